//! The PostgreSQL backend, for shared dev stacks and several instances behind
//! a load balancer. Transactions run at READ COMMITTED; every state change is
//! a single compare-and-set statement, so that level is enough.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::query::Query;
use sqlx::{PgPool, Postgres, Row as _};

use super::db::{Arg, Backend, Exec, FromRow, RowRead, TableLock, Writer};
use super::sql_store::SqlStore;
use super::{StoreError, StoreResult};

/// The PostgreSQL store.
pub type PgStore = SqlStore<PgDb>;

/// A PostgreSQL connection pool.
#[derive(Debug, Clone)]
pub struct PgDb {
    pool: PgPool,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl SqlStore<PgDb> {
    /// Connects to `url` and migrates the database.
    ///
    /// # Errors
    /// When the URL is malformed, the server unreachable, or migration fails.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let options = PgConnectOptions::from_str(url).context("invalid PostgreSQL URL")?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .context("cannot connect to PostgreSQL")?;
        MIGRATOR.run(&pool).await.context("cannot migrate the PostgreSQL database")?;
        Ok(Self::new(PgDb { pool }))
    }
}

fn pg_error(err: sqlx::Error) -> StoreError {
    StoreError::Other(err.into())
}

fn bind<'q>(sql: &'q str, args: &'q [Arg<'q>]) -> Query<'q, Postgres, PgArguments> {
    args.iter().fold(sqlx::query(sql), |q, arg| match *arg {
        Arg::Text(v) => q.bind(v),
        Arg::Int(v) => q.bind(v),
    })
}

struct PgRowRead<'r>(&'r PgRow);

impl PgRowRead<'_> {
    fn get<T>(&self, col: usize) -> StoreResult<T>
    where
        T: for<'v> sqlx::Decode<'v, Postgres> + sqlx::Type<Postgres>,
    {
        self.0.try_get(col).map_err(pg_error)
    }
}

impl RowRead for PgRowRead<'_> {
    fn text(&self, col: usize) -> StoreResult<Option<String>> {
        self.get(col)
    }

    fn int(&self, col: usize) -> StoreResult<Option<i64>> {
        self.get(col)
    }

    fn column_name(&self, col: usize) -> Option<String> {
        use sqlx::Column as _;
        self.0.columns().get(col).map(|c| c.name().to_owned())
    }
}

fn decode_all<R: FromRow>(rows: &[PgRow]) -> StoreResult<Vec<R>> {
    rows.iter().map(|row| R::from_row(&PgRowRead(row))).collect()
}

/// Implements [`Exec`] for a type whose `executor()` is a sqlx executor.
macro_rules! exec_on_executor {
    ($ty:ty) => {
        impl Exec for $ty {
            async fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<u64> {
                let done = bind(sql, args).execute(self.executor()).await.map_err(pg_error)?;
                Ok(done.rows_affected())
            }

            async fn insert_unique(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<u64> {
                match bind(sql, args).execute(self.executor()).await {
                    Ok(done) => Ok(done.rows_affected()),
                    Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                        Err(StoreError::Conflict { existing: None })
                    }
                    Err(e) => Err(pg_error(e)),
                }
            }

            async fn fetch_all<R: FromRow>(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<Vec<R>> {
                let rows = bind(sql, args).fetch_all(self.executor()).await.map_err(pg_error)?;
                decode_all(&rows)
            }

            async fn fetch_optional<R: FromRow>(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<Option<R>> {
                let row = bind(sql, args).fetch_optional(self.executor()).await.map_err(pg_error)?;
                row.map(|row| R::from_row(&PgRowRead(&row))).transpose()
            }
        }
    };
}

/// Reads run on the pool, each statement on whichever connection is free.
#[derive(Debug)]
pub struct PgReader(PgPool);

impl PgReader {
    fn executor(&mut self) -> &PgPool {
        &self.0
    }
}

exec_on_executor!(PgReader);

/// A read-only transaction at REPEATABLE READ: every statement sees one
/// snapshot. Dropped, sqlx rolls it back (nothing to undo).
#[derive(Debug)]
pub struct PgSnapshot(sqlx::Transaction<'static, Postgres>);

impl PgSnapshot {
    fn executor(&mut self) -> &mut sqlx::PgConnection {
        &mut self.0
    }
}

exec_on_executor!(PgSnapshot);

/// A transaction on one pooled connection.
#[derive(Debug)]
pub struct PgWriter(sqlx::Transaction<'static, Postgres>);

impl PgWriter {
    fn executor(&mut self) -> &mut sqlx::PgConnection {
        &mut self.0
    }
}

exec_on_executor!(PgWriter);

impl Writer for PgWriter {
    async fn commit(self) -> StoreResult<()> {
        self.0.commit().await.map_err(pg_error)
    }
}

impl Backend for PgDb {
    const NAME: &'static str = "postgres";
    const LOCK_ROW: &'static str = " FOR UPDATE";
    const SCHEMA_VERSION: &'static str = "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success";
    const NEXT_EVENT_SEQ: &'static str = "SELECT nextval('event_seq')";

    type Reader = PgReader;
    type Snapshot = PgSnapshot;
    type Writer = PgWriter;

    async fn reader(&self) -> StoreResult<PgReader> {
        Ok(PgReader(self.pool.clone()))
    }

    async fn snapshot(&self) -> StoreResult<PgSnapshot> {
        let tx = self.pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await.map_err(pg_error)?;
        Ok(PgSnapshot(tx))
    }

    async fn writer(&self) -> StoreResult<PgWriter> {
        Ok(PgWriter(self.pool.begin().await.map_err(pg_error)?))
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    fn lock_tables(tables: &str, mode: TableLock) -> Option<String> {
        Some(format!("LOCK TABLE {tables} IN {} MODE", mode.sql()))
    }

    fn empty_tables(tables: &str) -> Option<String> {
        Some(format!("TRUNCATE {tables}"))
    }

    fn claim_lock() -> Option<&'static str> {
        // A transaction-scoped advisory lock; the key is arbitrary but fixed
        // ("mturk-local notification claims").
        Some("SELECT pg_advisory_xact_lock(7212012)")
    }
}
