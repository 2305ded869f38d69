//! The background checkpoint thread: copies the WAL into the database file
//! off the request path, and now and then starts the WAL over.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use futures_util::lock::Mutex;
use rusqlite::Connection;

use super::writer::WriterState;

/// Pause between background checkpoints.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);
/// WAL length, in pages, past which the background thread takes the writer
/// to finish a checkpoint (128 MiB with 4 KiB pages). That checkpoint holds
/// every writer for its two `fsync`s (2.5-4.5 ms here), so it should be rare:
/// under the benchmark's 40 thousand writes a second it runs about once a
/// second, and a test suite's writes never get there.
const WAL_RESTART_PAGES: i64 = 32_768;
/// The WAL file is cut back to this size when it starts over. It is as large
/// as the WAL may grow, so that a busy server does not give the file system
/// back space it will ask for again a second later.
pub(super) const WAL_SIZE_LIMIT: i64 = (WAL_RESTART_PAGES + 4_096) * 4_096;

/// The background checkpoint thread's loop; ends when the store is closed
/// or dropped.
pub(super) fn checkpoint_loop(conn: &Connection, writer: &Mutex<WriterState>, stop: &mpsc::Receiver<()>) {
    // Columns of the pragma: busy flag, pages in the WAL, pages copied into the database.
    let checkpoint = || conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1));
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
        match checkpoint() {
            Ok(wal_pages) if wal_pages > WAL_RESTART_PAGES => {
                // Writers wait for the length of one short checkpoint.
                let mut state = futures_executor::block_on(writer.lock());
                if let Err(e) = state.finish_batch() {
                    tracing::error!(error = %e, "SQLite commit before a checkpoint failed");
                }
                if let Err(e) = checkpoint() {
                    tracing::warn!(error = %e, "SQLite checkpoint failed");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "SQLite checkpoint failed"),
        }
    }
}
