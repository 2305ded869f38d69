//! The PostgreSQL backend, for shared dev stacks and several instances behind
//! a load balancer. Transactions run at READ COMMITTED; every state change is
//! a single compare-and-set statement, so that level is enough.
//!
//! The rows every request reads and that rarely change (the virtual clock and
//! the qualification types) are kept in memory while no store on the
//! database has changed them ([`signal`]). Connections come from a pool of
//! our own ([`pool`]).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgConnection, PgRow};
use sqlx::query::Query;
use sqlx::{Connection as _, Postgres, Row as _};

use crate::config::DatabaseSettings;

use super::db::{Arg, Backend, Exec, FromRow, RowRead, TableLock, Writer};
use super::sql_store::SqlStore;
use super::{StoreError, StoreResult};

/// The PostgreSQL store.
pub type PgStore = SqlStore<PgDb>;

mod pool;
mod signal;

use pool::{Lease, Pool};
use signal::Signal;

/// A PostgreSQL database: the store's connections, and the listener that
/// keeps its cache honest.
#[derive(Debug, Clone)]
pub struct PgDb {
    pool: Pool,
    signal: Arc<Signal>,
    /// Stops the listener when the last clone goes.
    listener: Arc<AbortOnDrop>,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How long start-up waits for the listener, at most.
const LISTEN_WAIT: Duration = Duration::from_secs(5);

#[derive(Debug)]
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl SqlStore<PgDb> {
    /// Connects to `url` (with at most `settings.max_connections`
    /// connections) and migrates the database.
    ///
    /// # Errors
    /// When the URL is malformed, the server unreachable, or migration fails.
    pub async fn connect(url: &str, settings: &DatabaseSettings) -> anyhow::Result<Self> {
        let mut options = PgConnectOptions::from_str(url).context("invalid PostgreSQL URL")?;
        if !settings.synchronous_commit {
            options = options.options([("synchronous_commit", "off")]);
        }
        let mut first = PgConnection::connect_with(&options).await.context("cannot connect to PostgreSQL")?;
        MIGRATOR.run(&mut first).await.context("cannot migrate the PostgreSQL database")?;
        first.close().await.context("cannot close the migrating connection")?;
        let pool = Pool::new(options.clone(), settings.max_connections);
        let signal = Arc::new(Signal::new());
        let listener = tokio::spawn(signal::listen(options.clone(), Arc::clone(&signal)));
        // Serve only once listening, so that from the first request on a
        // change through another instance is heard (else the store would
        // start without a cache until the listener is up).
        let started = tokio::time::Instant::now();
        while !signal.is_listening() && started.elapsed() < LISTEN_WAIT {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(Self::new(PgDb { pool, signal, listener: Arc::new(AbortOnDrop(listener)) }))
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

/// Runs `$run` (a sqlx query's `execute`, `fetch_all` … on a connection) on
/// the lease `$lease`, marking the statement's start and end on it.
macro_rules! on_lease {
    ($lease:expr, |$conn:ident| $run:expr) => {{
        let lease: &mut Lease = $lease;
        let outcome = match lease.start() {
            Ok($conn) => $run.await,
            Err(e) => Err(e),
        };
        lease.finished(&outcome);
        outcome
    }};
}

/// Implements [`Exec`] for a type whose `lease()` lends the connection a
/// statement runs on.
macro_rules! exec_on_lease {
    ($ty:ty) => {
        impl Exec for $ty {
            async fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<u64> {
                let mut lease = self.lease().await?;
                let done = on_lease!(lease.as_mut(), |conn| bind(sql, args).execute(conn)).map_err(pg_error)?;
                Ok(done.rows_affected())
            }

            async fn insert_unique(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<u64> {
                let mut lease = self.lease().await?;
                match on_lease!(lease.as_mut(), |conn| bind(sql, args).execute(conn)) {
                    Ok(done) => Ok(done.rows_affected()),
                    Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                        Err(StoreError::Conflict { existing: None })
                    }
                    Err(e) => Err(pg_error(e)),
                }
            }

            async fn fetch_all<R: FromRow>(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<Vec<R>> {
                let mut lease = self.lease().await?;
                let rows = on_lease!(lease.as_mut(), |conn| bind(sql, args).fetch_all(conn)).map_err(pg_error)?;
                decode_all(&rows)
            }

            async fn fetch_optional<R: FromRow>(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<Option<R>> {
                let mut lease = self.lease().await?;
                let row = on_lease!(lease.as_mut(), |conn| bind(sql, args).fetch_optional(conn)).map_err(pg_error)?;
                row.map(|row| R::from_row(&PgRowRead(&row))).transpose()
            }
        }
    };
}

/// Where a statement of a reader or a transaction runs.
enum LeaseOf<'a> {
    /// A connection of its own, returned after the statement.
    Own(Lease),
    /// The transaction's connection.
    Held(&'a mut Lease),
}

impl LeaseOf<'_> {
    fn as_mut(&mut self) -> &mut Lease {
        match self {
            Self::Own(lease) => lease,
            Self::Held(lease) => lease,
        }
    }
}

/// Reads run on the pool, each statement on whichever connection is free.
#[derive(Debug)]
pub struct PgReader(Pool);

impl PgReader {
    async fn lease(&mut self) -> StoreResult<LeaseOf<'_>> {
        Ok(LeaseOf::Own(self.0.acquire().await.map_err(pg_error)?))
    }
}

exec_on_lease!(PgReader);

/// A read-only transaction at REPEATABLE READ: every statement sees one
/// snapshot. Dropped, it is rolled back (nothing to undo).
#[derive(Debug)]
pub struct PgSnapshot(Lease);

impl PgSnapshot {
    #[allow(clippy::unused_async, reason = "the signature exec_on_lease! calls on every executor")]
    async fn lease(&mut self) -> StoreResult<LeaseOf<'_>> {
        Ok(LeaseOf::Held(&mut self.0))
    }
}

exec_on_lease!(PgSnapshot);

/// A transaction on one connection of its own.
#[derive(Debug)]
pub struct PgWriter(Lease);

impl PgWriter {
    #[allow(clippy::unused_async, reason = "the signature exec_on_lease! calls on every executor")]
    async fn lease(&mut self) -> StoreResult<LeaseOf<'_>> {
        Ok(LeaseOf::Held(&mut self.0))
    }
}

exec_on_lease!(PgWriter);

impl Writer for PgWriter {
    async fn commit(mut self) -> StoreResult<()> {
        self.0.commit().await.map_err(pg_error)
    }
}

impl PgDb {
    /// A connection with a transaction begun by `begin`.
    async fn transaction(&self, begin: &str) -> StoreResult<Lease> {
        let mut lease = self.pool.acquire().await.map_err(pg_error)?;
        lease.begin(begin).await.map_err(pg_error)?;
        Ok(lease)
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
        Ok(PgSnapshot(self.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?))
    }

    async fn writer(&self) -> StoreResult<PgWriter> {
        Ok(PgWriter(self.transaction("BEGIN").await?))
    }

    async fn close(&self) {
        self.listener.0.abort();
        self.pool.close().await;
    }

    async fn write_alone(&self, sql: &str, args: &[Arg<'_>]) -> StoreResult<u64> {
        // Autocommit: the statement is its own transaction, committed (and
        // flushed) before PostgreSQL answers it.
        let mut lease = self.pool.acquire().await.map_err(pg_error)?;
        let done = on_lease!(&mut lease, |conn| bind(sql, args).execute(conn)).map_err(pg_error)?;
        Ok(done.rows_affected())
    }

    fn shared_generation(&self) -> Option<u64> {
        self.signal.generation()
    }

    async fn shared_changed(&self) {
        self.signal.announce(&self.pool).await;
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
