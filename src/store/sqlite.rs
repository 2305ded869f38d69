//! The embedded default backend: SQLite in WAL mode.
//!
//! Reads go to a small pool of read-only connections; every write goes
//! through one writer connection with `BEGIN IMMEDIATE`, so concurrent
//! writers queue inside the process instead of failing with "database is
//! locked" (a deferred transaction that reads and then writes can fail that
//! way in WAL mode whatever the busy timeout). A busy timeout still covers a
//! second process on the same file. `synchronous = NORMAL` in WAL mode keeps
//! every committed transaction across a process crash (not across power loss).
//! Connections are not pinged before use: a local file connection does not go
//! stale, and the ping cost a round trip per query (BENCHMARKS.md, P1).

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    read: SqlitePool,
    write: SqlitePool,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

impl SqliteStore {
    const BACKEND: &'static str = "sqlite";
    /// The single writer connection already serializes writers.
    const LOCK_ROW: &'static str = "";

    /// Opens (creating if missing) the database at `path` and migrates it.
    ///
    /// # Errors
    /// When the file cannot be opened or migrated.
    pub async fn open_file(path: &str) -> anyhow::Result<Self> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite:{path}"))
            .with_context(|| format!("invalid SQLite path {path:?}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await
            .with_context(|| format!("cannot open SQLite database {path}"))?;
        MIGRATOR.run(&write).await.context("cannot migrate the SQLite database")?;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(30))
            .test_before_acquire(false)
            .connect_with(options.read_only(true))
            .await
            .with_context(|| format!("cannot open SQLite database {path} for reading"))?;
        Ok(Self { read, write })
    }

    /// A fresh private database in memory that lives as long as the process.
    /// One connection serves reads and writes: a second connection would see
    /// a different, empty database.
    ///
    /// # Errors
    /// When SQLite cannot be initialised.
    pub async fn in_memory() -> anyhow::Result<Self> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(Duration::from_secs(30))
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .context("cannot open an in-memory SQLite database")?;
        MIGRATOR.run(&pool).await.context("cannot migrate the in-memory database")?;
        Ok(Self { read: pool.clone(), write: pool })
    }

    async fn close_pools(&self) {
        self.read.close().await;
        self.write.close().await;
    }

    fn reader(&self) -> &SqlitePool {
        &self.read
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Sqlite>, sqlx::Error> {
        self.write.begin_with("BEGIN IMMEDIATE").await
    }
}

super::sql::impl_sql_store!(SqliteStore, Sqlite);
super::sql_hits::impl_sql_hit_store!(SqliteStore, Sqlite);
