//! Read connections: a small pool of read-only connections (in WAL mode they
//! never wait for the writer), each returned to the pool when dropped; a
//! snapshot is one of them inside a read transaction.

use std::sync::{Arc, PoisonError};

use futures_util::lock::OwnedMutexGuard;
use rusqlite::{Connection, OpenFlags};

use super::open::configure;
use super::statements::{closed, exec_on_connection, execute, sqlite_error};
use super::writer::WriterState;
use super::Shared;
use crate::store::db::{Arg, FromRow};
use crate::store::StoreResult;

/// Idle read connections kept open.
const MAX_IDLE_READERS: usize = 8;

/// A read connection: one from the pool (returned to it when dropped), or
/// the writer of an in-memory database.
#[derive(Debug)]
pub struct SqliteReader(ReadConn);

#[derive(Debug)]
enum ReadConn {
    /// A read-only connection of the pool, taken back by `Drop`; in a read
    /// transaction (one snapshot for every statement) when `snapshot`.
    Pooled { conn: Option<Connection>, shared: Arc<Shared>, snapshot: bool },
    /// The one connection of an in-memory database.
    Writer(OwnedMutexGuard<WriterState>),
}

impl SqliteReader {
    fn conn(&self) -> StoreResult<&Connection> {
        match &self.0 {
            ReadConn::Pooled { conn, .. } => conn.as_ref().ok_or_else(closed),
            ReadConn::Writer(state) => state.conn(),
        }
    }
}

exec_on_connection!(SqliteReader);

impl Drop for SqliteReader {
    fn drop(&mut self) {
        if let ReadConn::Pooled { conn, shared, snapshot } = &mut self.0 {
            if let Some(conn) = conn.take() {
                // A read transaction only ends; a connection that cannot end it is not reused.
                if *snapshot && execute(&conn, "COMMIT", &[]).is_err() {
                    return;
                }
                let mut idle = shared.readers.lock().unwrap_or_else(PoisonError::into_inner);
                if idle.len() < MAX_IDLE_READERS {
                    idle.push(conn);
                }
            }
        }
    }
}

impl SqliteReader {
    /// A connection of the pool (a new one if none is idle), or the one
    /// connection of an in-memory database.
    pub(super) async fn open(shared: &Arc<Shared>) -> StoreResult<Self> {
        let Some(path) = &shared.path else {
            return Ok(Self(ReadConn::Writer(shared.writer.clone().lock_owned().await)));
        };
        let idle = shared.readers.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open_reader(path).map_err(sqlite_error)?,
        };
        Ok(Self(ReadConn::Pooled { conn: Some(conn), shared: Arc::clone(shared), snapshot: false }))
    }

    /// A reader whose statements all see one snapshot.
    pub(super) async fn snapshot(shared: &Arc<Shared>) -> StoreResult<Self> {
        let mut reader = Self::open(shared).await?;
        // In memory the reader holds the one connection, so no write can come
        // between its statements; a pooled connection opens a read transaction,
        // whose snapshot its first statement takes.
        if let ReadConn::Pooled { conn: Some(conn), snapshot, .. } = &mut reader.0 {
            execute(conn, "BEGIN", &[])?;
            *snapshot = true;
        }
        Ok(reader)
    }
}

fn open_reader(path: &std::path::Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    configure(&conn)?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use crate::store::db::{Backend as _, Exec as _, Writer as _};
    use crate::store::SqliteStore;

    /// The reads of a snapshot (a page and its total) see one state, whatever
    /// is committed between them.
    #[tokio::test]
    async fn a_snapshot_does_not_see_writes_committed_after_its_first_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_file(dir.path().join("db.sqlite").to_str().unwrap()).unwrap();
        let count = "SELECT COUNT(*) FROM requesters";
        let mut snapshot = store.db.snapshot().await.unwrap();
        assert_eq!(snapshot.fetch_one::<i64>(count, &[]).await.unwrap(), 0);
        let mut tx = store.db.writer().await.unwrap();
        tx.execute("INSERT INTO requesters (access_key_id, balance_cents, created_at) VALUES ('A', 1, 0)", &[])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(snapshot.fetch_one::<i64>(count, &[]).await.unwrap(), 0);
        drop(snapshot);
        // The connection went back to the pool with its transaction ended.
        let mut later = store.db.snapshot().await.unwrap();
        assert_eq!(later.fetch_one::<i64>(count, &[]).await.unwrap(), 1);
    }
}
