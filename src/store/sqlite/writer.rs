//! The writer connection and group commit: each store call that writes runs
//! in its own savepoint of a `BEGIN IMMEDIATE` transaction that several
//! calls may share, committed by the last of them (see the module
//! documentation of [`super`]).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::lock::OwnedMutexGuard;
use rusqlite::Connection;
use tokio::sync::watch;

use super::open::BUSY_TIMEOUT;
use super::statements::{closed, exec_on_connection, execute, sqlite_error};
use super::Shared;
use crate::store::db::{Arg, FromRow, Writer};
use crate::store::{StoreError, StoreResult};

/// First pause between two `BEGIN IMMEDIATE` attempts while another process
/// holds the write lock; it doubles up to [`MAX_BUSY_PAUSE`].
const FIRST_BUSY_PAUSE: Duration = Duration::from_micros(500);
/// Longest pause between two attempts.
const MAX_BUSY_PAUSE: Duration = Duration::from_millis(50);
/// Writes committed together at most.
const MAX_BATCH: usize = 64;
/// How long a writer waits for the next writer of its batch to commit it
/// before it takes the connection back and commits the batch itself (the
/// next writer may have been cancelled while queued).
const FOLLOWER_PATIENCE: Duration = Duration::from_millis(2);

/// The writer connection and the batch of writes it has open.
#[derive(Debug)]
pub struct WriterState {
    /// `None` once the store is closed.
    conn: Option<Connection>,
    /// The open `BEGIN IMMEDIATE` transaction, if any.
    batch: Option<Batch>,
}

/// Writes sharing one transaction.
#[derive(Debug)]
struct Batch {
    /// Writes released into it, waiting for its `COMMIT`.
    members: usize,
    /// Its fate, for the members waiting: `Some(true)` once committed,
    /// `Some(false)` once rolled back.
    outcome: watch::Sender<Option<bool>>,
}

impl WriterState {
    /// A new writer state around `conn`, with no batch open.
    pub(super) fn new(conn: Connection) -> Self {
        Self { conn: Some(conn), batch: None }
    }

    /// Commits what is open and closes the connection (in memory that drops
    /// the data, as closing the pool did).
    pub(super) fn close(&mut self) {
        if let Err(e) = self.finish_batch() {
            tracing::error!(error = %e, "SQLite commit on close failed");
        }
        self.conn.take();
    }

    pub(super) fn conn(&self) -> StoreResult<&Connection> {
        self.conn.as_ref().ok_or_else(closed)
    }

    /// Commits the open batch, if any, and tells its members.
    pub(super) fn finish_batch(&mut self) -> StoreResult<()> {
        let Some(batch) = self.batch.take() else {
            return Ok(());
        };
        let committed = self.conn().and_then(|conn| execute(conn, "COMMIT", &[]));
        if committed.is_err() {
            self.rollback_connection();
        }
        batch.outcome.send_replace(Some(committed.is_ok()));
        committed.map(drop)
    }

    /// Rolls the open batch back, with every member's work, and tells them.
    fn abort_batch(&mut self) {
        if let Some(batch) = self.batch.take() {
            self.rollback_connection();
            batch.outcome.send_replace(Some(false));
        }
    }

    fn rollback_connection(&self) {
        if let Some(conn) = &self.conn {
            if !conn.is_autocommit() {
                if let Err(e) = conn.execute_batch("ROLLBACK") {
                    tracing::error!(error = %e, "SQLite rollback failed");
                }
            }
        }
    }
}

fn batch_failed() -> StoreError {
    StoreError::Other(anyhow::anyhow!("the SQLite transaction holding this write could not be committed"))
}

/// Counts a writer as queued until it holds the connection (or is dropped).
struct Queued<'a>(&'a AtomicUsize);

impl<'a> Queued<'a> {
    fn new(counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        Self(counter)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One store call's writes: a savepoint in the writer's open batch, while
/// it holds the writer connection.
#[derive(Debug)]
pub struct SqliteWriter {
    /// `None` once committed.
    state: Option<OwnedMutexGuard<WriterState>>,
    shared: Arc<Shared>,
    /// In a transaction of its own, with foreign-key enforcement off
    /// ([`SqliteWriter::begin_alone`]).
    alone: bool,
}

impl SqliteWriter {
    /// Takes the writer connection (queueing behind other writers), joins or
    /// opens the batch and starts this call's savepoint.
    pub(super) async fn begin(shared: &Arc<Shared>) -> StoreResult<Self> {
        let mut state = {
            let _queued = Queued::new(&shared.queued);
            shared.writer.clone().lock_owned().await
        };
        if state.batch.is_none() {
            begin_immediate(&mut state).await?;
            state.batch = Some(Batch { members: 0, outcome: watch::channel(None).0 });
        }
        if let Err(e) = state.conn().and_then(|conn| execute(conn, "SAVEPOINT request", &[])) {
            // Whatever the batch holds is complete: commit it rather than strand it.
            if let Err(e) = state.finish_batch() {
                tracing::error!(error = %e, "SQLite commit failed");
            }
            return Err(e);
        }
        Ok(Self { state: Some(state), shared: Arc::clone(shared), alone: false })
    }

    /// Takes the writer connection for a transaction shared with no other
    /// writer, with foreign-key enforcement off until it ends: for a restore,
    /// which replaces whole tables with rows that satisfied every constraint
    /// when they were copied. With enforcement on, `DELETE FROM <table>` on a
    /// table in a foreign key deletes row by row; off, SQLite's truncate
    /// optimization drops its pages at once, and the inserts skip the parent
    /// look-ups (together about half of a 1,000-HIT restore; BENCHMARKS.md,
    /// "Snapshots"). The pragma only takes effect outside a transaction, so
    /// the open batch of other writers is committed first.
    pub(super) async fn begin_alone(shared: &Arc<Shared>) -> StoreResult<Self> {
        let state = {
            let _queued = Queued::new(&shared.queued);
            shared.writer.clone().lock_owned().await
        };
        // From here on, dropping `writer` (an error, a cancelled request) rolls
        // back and turns enforcement back on.
        let mut writer = Self { state: Some(state), shared: Arc::clone(shared), alone: true };
        let state = writer.state.as_mut().ok_or_else(closed)?;
        state.finish_batch()?;
        state.conn().and_then(|conn| conn.execute_batch("PRAGMA foreign_keys = OFF").map_err(sqlite_error))?;
        begin_immediate(state).await?;
        state.batch = Some(Batch { members: 0, outcome: watch::channel(None).0 });
        state.conn().and_then(|conn| execute(conn, "SAVEPOINT request", &[]))?;
        Ok(writer)
    }

    fn conn(&self) -> StoreResult<&Connection> {
        self.state.as_ref().ok_or_else(closed)?.conn()
    }

    /// Waits until the batch `outcome` belongs to is committed, committing
    /// it if no other writer does so in time.
    async fn await_batch(shared: &Shared, outcome: watch::Receiver<Option<bool>>) -> StoreResult<()> {
        let mut waiting = Waiting { shared, outcome };
        let done = |v: Option<bool>| if v == Some(true) { Ok(()) } else { Err(batch_failed()) };
        match tokio::time::timeout(FOLLOWER_PATIENCE, waiting.outcome.wait_for(Option::is_some)).await {
            Ok(Ok(v)) => return done(*v),
            Ok(Err(_)) => return Err(batch_failed()),
            Err(_) => {}
        }
        let mut state = {
            let _queued = Queued::new(&shared.queued);
            shared.writer.clone().lock_owned().await
        };
        if let Some(v) = *waiting.outcome.borrow() {
            return done(Some(v));
        }
        // Not finished, so it is still the open batch.
        state.finish_batch()
    }
}

/// A writer waiting for its batch's `COMMIT`. Dropped before the batch's
/// fate is known (its request was cancelled), it commits the batch if the
/// writer connection is free, so that no transaction is left open waiting
/// for writers that may never come; if the connection is taken, its holder
/// carries the batch on.
struct Waiting<'a> {
    shared: &'a Shared,
    outcome: watch::Receiver<Option<bool>>,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if self.outcome.borrow().is_some() {
            return;
        }
        if let Some(mut state) = self.shared.writer.try_lock() {
            if self.outcome.borrow().is_none() {
                if let Err(e) = state.finish_batch() {
                    tracing::error!(error = %e, "SQLite commit failed");
                }
            }
        }
    }
}

exec_on_connection!(SqliteWriter);

impl Writer for SqliteWriter {
    async fn commit(mut self) -> StoreResult<()> {
        let Some(mut state) = self.state.take() else {
            return Err(closed());
        };
        if let Err(e) = state.conn().and_then(|conn| execute(conn, "RELEASE request", &[])) {
            state.abort_batch();
            if self.alone {
                foreign_keys_on(&state);
            }
            return Err(e);
        }
        if self.alone {
            let committed = state.finish_batch();
            foreign_keys_on(&state);
            return committed;
        }
        let Some(batch) = state.batch.as_mut() else {
            return Err(batch_failed());
        };
        batch.members += 1;
        if self.shared.queued.load(Ordering::SeqCst) == 0 || batch.members >= MAX_BATCH {
            return state.finish_batch();
        }
        // The next queued writer carries the batch on; one of them commits it.
        let outcome = batch.outcome.subscribe();
        drop(state);
        Self::await_batch(&self.shared, outcome).await
    }
}

impl Drop for SqliteWriter {
    /// Not committed: undo this call's own writes, then commit the batch,
    /// so that anything this call saw of the others' writes is durable
    /// before it answers.
    fn drop(&mut self) {
        if let Some(mut state) = self.state.take() {
            if self.alone {
                // Nobody else's work is in this transaction.
                state.abort_batch();
                state.rollback_connection();
                foreign_keys_on(&state);
                return;
            }
            let undone = state.conn().and_then(|conn| {
                execute(conn, "ROLLBACK TO request", &[]).and_then(|_| execute(conn, "RELEASE request", &[]))
            });
            match undone {
                Ok(_) => {
                    if let Err(e) = state.finish_batch() {
                        tracing::error!(error = %e, "SQLite commit failed");
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "SQLite savepoint rollback failed");
                    state.abort_batch();
                }
            }
        }
    }
}

/// Turns foreign-key enforcement back on after [`SqliteWriter::begin_alone`]'s
/// transaction ended (the pragma is a no-op inside one).
fn foreign_keys_on(state: &WriterState) {
    if let Err(e) = state.conn().and_then(|conn| conn.execute_batch("PRAGMA foreign_keys = ON").map_err(sqlite_error)) {
        tracing::error!(error = %e, "cannot turn SQLite foreign-key enforcement back on");
    }
}

/// `BEGIN IMMEDIATE` on the writer connection, waiting while another
/// process holds the write lock.
///
/// The writer connection has no busy timeout: SQLite's busy handler waits by
/// sleeping the calling thread, which here is a runtime worker thread, so a
/// second process holding the lock for a long transaction would stall every
/// task on that thread (with 2 workers, half the server). Instead a busy
/// answer comes back at once and the task sleeps asynchronously (0.5 ms,
/// doubling up to 50 ms) before trying again, for [`BUSY_TIMEOUT`] in all.
/// `block_in_place` would keep the blocking handler but needs a
/// multi-threaded runtime and still takes a worker thread out of service for
/// the whole wait. Only `BEGIN IMMEDIATE` can meet another process's lock:
/// once it succeeds this connection holds the write lock until `COMMIT`, and
/// in WAL mode reads never wait for writers.
async fn begin_immediate(state: &mut WriterState) -> StoreResult<()> {
    let started = std::time::Instant::now();
    let mut pause = FIRST_BUSY_PAUSE;
    loop {
        let begun = state.conn().and_then(|conn| {
            let attempt = conn.prepare_cached("BEGIN IMMEDIATE").and_then(|mut stmt| stmt.raw_execute());
            match attempt {
                Ok(_) => Ok(true),
                Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::DatabaseBusy => Ok(false),
                Err(e) => Err(sqlite_error(e)),
            }
        })?;
        if begun {
            return Ok(());
        }
        if started.elapsed() >= BUSY_TIMEOUT {
            return Err(StoreError::Other(anyhow::anyhow!(
                "another process held the SQLite write lock for more than {} s",
                BUSY_TIMEOUT.as_secs()
            )));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_BUSY_PAUSE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::db::{Backend as _, Exec as _};
    use crate::store::SqliteStore;

    /// Many writers at once, on two runtime threads: each call's writes are
    /// all there when it committed, and none of them when it returned early
    /// or failed, whatever batch it shared.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn group_commit_keeps_each_call_all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let store = Arc::new(SqliteStore::open_file(path.to_str().unwrap()).unwrap());
        let tasks: Vec<_> = (0..400)
            .map(|i: i64| {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    let mut tx = store.db.writer().await.unwrap();
                    let key = format!("AKIA{i:016}");
                    let insert = "INSERT INTO requesters (access_key_id, balance_cents, created_at) VALUES ($1, $2, 0)";
                    tx.execute(insert, &[Arg::from(key.as_str()), Arg::from(i)]).await.unwrap();
                    tx.execute(insert, &[Arg::from(format!("{key}-2").as_str()), Arg::from(i)]).await.unwrap();
                    tokio::task::yield_now().await;
                    match i % 3 {
                        // Returns early: both rows go.
                        0 => false,
                        // A failing statement, then an early return: both rows go.
                        1 if i % 2 == 0 => {
                            let again = tx.insert_unique(insert, &[Arg::from(key.as_str()), Arg::from(i)]).await;
                            assert!(matches!(again, Err(StoreError::Conflict { .. })));
                            false
                        }
                        _ => {
                            tx.commit().await.unwrap();
                            true
                        }
                    }
                })
            })
            .collect();
        let mut expected = Vec::new();
        for (i, task) in (0..).zip(tasks) {
            if task.await.unwrap() {
                expected.push(format!("AKIA{i:016}"));
                expected.push(format!("AKIA{i:016}-2"));
            }
        }
        expected.sort();
        let mut reader = store.db.reader().await.unwrap();
        let stored: Vec<String> =
            reader.fetch_all("SELECT access_key_id FROM requesters ORDER BY access_key_id", &[]).await.unwrap();
        assert_eq!(stored, expected);
        assert_eq!(store.db.shared.queued.load(Ordering::SeqCst), 0);
    }

    /// A writer that released its savepoint and waits for the next queued
    /// writer to carry the batch on must not wait forever when that writer
    /// goes away (its request was cancelled while it queued).
    #[tokio::test(flavor = "current_thread")]
    async fn a_batch_whose_next_writer_is_cancelled_is_still_committed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open_file(dir.path().join("db.sqlite").to_str().unwrap()).unwrap());
        let insert = "INSERT INTO requesters (access_key_id, balance_cents, created_at) VALUES ($1, 1, 0)";
        let mut first = store.db.writer().await.unwrap();
        first.execute(insert, &[Arg::from("AKIAFIRSTWRITER00000")]).await.unwrap();
        // A second writer queues behind the first.
        let queued = tokio::spawn({
            let store = Arc::clone(&store);
            async move { drop(store.db.writer().await) }
        });
        while store.db.shared.queued.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        // The first sees it queued, so it hands the batch on and waits ...
        let mut committing = std::pin::pin!(first.commit());
        tokio::select! {
            biased;
            _ = &mut committing => panic!("the first writer committed without waiting for the queued one"),
            () = std::future::ready(()) => {}
        }
        // ... and the queued writer is cancelled before it runs again.
        queued.abort();
        let committed = tokio::time::timeout(Duration::from_secs(5), committing).await;
        committed.expect("the waiting writer committed its batch itself").unwrap();
        assert_eq!(store.db.shared.queued.load(Ordering::SeqCst), 0);
        let mut reader = store.db.reader().await.unwrap();
        let keys: Vec<String> = reader.fetch_all("SELECT access_key_id FROM requesters", &[]).await.unwrap();
        assert_eq!(keys, vec!["AKIAFIRSTWRITER00000".to_owned()]);
    }

    /// When the waiting writer's request is cancelled too, its batch is
    /// committed all the same, and no transaction is left open.
    #[tokio::test(flavor = "current_thread")]
    async fn a_batch_whose_writers_are_all_cancelled_is_still_committed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open_file(dir.path().join("db.sqlite").to_str().unwrap()).unwrap());
        let insert = "INSERT INTO requesters (access_key_id, balance_cents, created_at) VALUES ($1, 1, 0)";
        let mut first = store.db.writer().await.unwrap();
        first.execute(insert, &[Arg::from("AKIAFIRSTWRITER00000")]).await.unwrap();
        let queued = tokio::spawn({
            let store = Arc::clone(&store);
            async move { drop(store.db.writer().await) }
        });
        while store.db.shared.queued.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        {
            let mut committing = std::pin::pin!(first.commit());
            tokio::select! {
                biased;
                _ = &mut committing => panic!("the first writer committed without waiting for the queued one"),
                () = std::future::ready(()) => {}
            }
            queued.abort();
            // The waiting writer is cancelled here.
        }
        assert!(store.db.shared.writer.lock().await.batch.is_none(), "a batch was left open");
        let mut reader = store.db.reader().await.unwrap();
        let keys: Vec<String> = reader.fetch_all("SELECT access_key_id FROM requesters", &[]).await.unwrap();
        assert_eq!(keys, vec!["AKIAFIRSTWRITER00000".to_owned()]);
    }

    /// A writer alone commits or rolls back only its own work, and foreign
    /// keys are enforced again once it ends either way.
    #[tokio::test(flavor = "current_thread")]
    async fn a_writer_alone_turns_foreign_keys_back_on_when_it_ends() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_file(dir.path().join("db.sqlite").to_str().unwrap()).unwrap();
        let orphan = "INSERT INTO qualifications (type_id, worker_id, integer_value, status, grant_time) \
                      VALUES ('NOSUCHTYPE', $1, 1, 'Granted', 0)";
        let enforced = |e: StoreResult<u64>| e.unwrap_err().to_string().contains("FOREIGN KEY");
        // Committed: the orphan it was allowed to write stays, and enforcement is back.
        let mut alone = store.db.bulk_writer().await.unwrap();
        alone.execute(orphan, &[Arg::from("A1COMMITTED")]).await.unwrap();
        alone.commit().await.unwrap();
        let mut tx = store.db.writer().await.unwrap();
        assert!(enforced(tx.execute(orphan, &[Arg::from("A2")]).await));
        drop(tx);
        // Dropped: its work is undone, and enforcement is back.
        let mut alone = store.db.bulk_writer().await.unwrap();
        alone.execute(orphan, &[Arg::from("A1DROPPED")]).await.unwrap();
        drop(alone);
        let mut tx = store.db.writer().await.unwrap();
        assert!(enforced(tx.execute(orphan, &[Arg::from("A3")]).await));
        drop(tx);
        let mut reader = store.db.reader().await.unwrap();
        let workers: Vec<String> = reader.fetch_all("SELECT worker_id FROM qualifications", &[]).await.unwrap();
        assert_eq!(workers, vec!["A1COMMITTED".to_owned()]);
    }

    /// Another process holds the write lock: the writer waits for it without
    /// blocking its runtime thread, so other tasks on that thread (here the
    /// one that ends the other process's transaction) keep running.
    #[tokio::test(flavor = "current_thread")]
    async fn waiting_for_another_process_lock_does_not_block_the_runtime() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let store = SqliteStore::open_file(path.to_str().unwrap()).unwrap();
        let other = Connection::open(&path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let release = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            other.execute_batch("COMMIT").unwrap();
        };
        let write = async {
            let mut tx = store.db.writer().await.unwrap();
            tx.execute("UPDATE clock SET offset_ms = 7", &[]).await.unwrap();
            tx.commit().await.unwrap();
        };
        let started = std::time::Instant::now();
        // A blocking wait would hold the only thread for the 10 s busy timeout.
        tokio::join!(release, write);
        assert!(started.elapsed() < Duration::from_secs(5), "waited {:?}", started.elapsed());
        let mut reader = store.db.reader().await.unwrap();
        assert_eq!(reader.fetch_one::<i64>("SELECT offset_ms FROM clock", &[]).await.unwrap(), 7);
    }
}
