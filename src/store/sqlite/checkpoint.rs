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
/// Background checkpoints in a row that find the WAL as long as before (no
/// write in between) after which the load counts as over: then the WAL is
/// checkpointed and cut to nothing (`TRUNCATE`), so an idle server keeps a
/// WAL of 0 bytes instead of the up to `WAL_SIZE_LIMIT` a write load left.
const IDLE_CHECKPOINTS: u32 = 10;

/// The background checkpoint thread's loop; ends when the store is closed
/// or dropped.
pub(super) fn checkpoint_loop(conn: &Connection, writer: &Mutex<WriterState>, stop: &mpsc::Receiver<()>) {
    // Columns of the pragma: busy flag, pages in the WAL, pages copied into the database.
    let checkpoint = |mode: &str| conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| r.get::<_, i64>(1));
    // With every writer held and the last batch committed, `mode` finishes
    // the checkpoint (RESTART or TRUNCATE wait for readers, briefly).
    let with_writer_held = |mode: &str| {
        let mut state = futures_executor::block_on(writer.lock());
        if let Err(e) = state.finish_batch() {
            tracing::error!(error = %e, "SQLite commit before a checkpoint failed");
        }
        if let Err(e) = checkpoint(mode) {
            tracing::warn!(error = %e, mode, "SQLite checkpoint failed");
        }
    };
    let mut last_pages = 0;
    let mut unchanged = 0_u32;
    // Whether anything was written since the WAL was last cut to nothing.
    let mut written = false;
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
        match checkpoint("PASSIVE") {
            Ok(wal_pages) => {
                if wal_pages == last_pages {
                    unchanged = unchanged.saturating_add(1);
                } else {
                    written = true;
                    unchanged = 0;
                }
                last_pages = wal_pages;
                if written && unchanged >= IDLE_CHECKPOINTS {
                    // The load is over (however long the WAL it left).
                    with_writer_held("TRUNCATE");
                    written = false;
                    unchanged = 0;
                    last_pages = 0;
                } else if wal_pages > WAL_RESTART_PAGES {
                    // Writers wait for the length of one short checkpoint.
                    with_writer_held("PASSIVE");
                }
            }
            Err(e) => tracing::warn!(error = %e, "SQLite checkpoint failed"),
        }
    }
}
