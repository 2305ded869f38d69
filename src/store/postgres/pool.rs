//! The connections of a PostgreSQL store: at most a fixed number, each lent
//! to one statement or one transaction at a time, with no round trip of its
//! own.
//!
//! sqlx's pool sends a `ping` (a round trip) before it lends an idle
//! connection, unless told not to, and always sends another when the
//! connection comes back, so a one-statement request cost the server two
//! exchanges more than the statement (BENCHMARKS.md, issue 16). Here a
//! connection goes back to the idle list as it is, unless
//!
//! - a statement on it failed other than with an error of the database (the
//!   connection may be broken), or it was dropped in the middle of a
//!   statement: it is closed, and a new one is opened when needed;
//! - it was dropped in a transaction: a task rolls the transaction back, then
//!   returns the connection.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::Connection as _;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a request waits for a connection before it fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The connections of one store.
#[derive(Debug, Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    options: PgConnectOptions,
    idle: Mutex<Vec<PgConnection>>,
    /// One permit per connection that may be open.
    permits: Arc<Semaphore>,
}

impl Inner {
    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<PgConnection>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Pool {
    /// A pool of at most `size` connections made with `options`, none open yet.
    pub fn new(options: PgConnectOptions, size: u32) -> Self {
        let size = usize::try_from(size.max(1)).unwrap_or(1);
        Self {
            inner: Arc::new(Inner {
                options,
                idle: Mutex::new(Vec::with_capacity(size)),
                permits: Arc::new(Semaphore::new(size)),
            }),
        }
    }

    /// A connection of its own: an idle one, or a new one while fewer than
    /// the pool's size are open.
    pub async fn acquire(&self) -> sqlx::Result<Lease> {
        let permit = tokio::time::timeout(ACQUIRE_TIMEOUT, Arc::clone(&self.inner.permits).acquire_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let idle = self.inner.idle().pop();
        let conn = match idle {
            Some(conn) => conn,
            None => PgConnection::connect_with(&self.inner.options).await?,
        };
        Ok(Lease {
            conn: Some(conn),
            inner: Arc::clone(&self.inner),
            permit: Some(permit),
            in_transaction: false,
            in_statement: false,
            broken: false,
        })
    }

    /// Lends no more connections and closes the idle ones.
    pub async fn close(&self) {
        self.inner.permits.close();
        let idle: Vec<PgConnection> = std::mem::take(&mut *self.inner.idle());
        for conn in idle {
            let _ = conn.close().await;
        }
    }
}

/// A connection lent to one user; it goes back when dropped.
#[derive(Debug)]
pub struct Lease {
    conn: Option<PgConnection>,
    inner: Arc<Inner>,
    permit: Option<OwnedSemaphorePermit>,
    /// A transaction is open on it.
    in_transaction: bool,
    /// A statement was started and has not finished.
    in_statement: bool,
    /// A statement failed in a way that may have broken it.
    broken: bool,
}

impl Lease {
    /// The connection, for one statement: call [`Lease::finished`] with its
    /// outcome when it is done. (A lease holds its connection until it is
    /// dropped; the error cannot happen.)
    pub fn start(&mut self) -> sqlx::Result<&mut PgConnection> {
        self.in_statement = true;
        self.conn.as_mut().ok_or(sqlx::Error::PoolClosed)
    }

    /// The statement begun with [`Lease::start`] ended with `outcome`.
    pub fn finished<T>(&mut self, outcome: &sqlx::Result<T>) {
        self.in_statement = false;
        if let Err(e) = outcome {
            // An error the database answered leaves the connection usable
            // (an open transaction is aborted, and rolled back on return).
            if !matches!(e, sqlx::Error::Database(_) | sqlx::Error::RowNotFound | sqlx::Error::ColumnDecode { .. }) {
                self.broken = true;
            }
        }
    }

    /// Runs `sql` (no arguments, no rows) as one statement.
    pub async fn simple(&mut self, sql: &str) -> sqlx::Result<()> {
        let outcome = match self.start() {
            Ok(conn) => sqlx::query(sql).execute(conn).await.map(|_| ()),
            Err(e) => Err(e),
        };
        self.finished(&outcome);
        outcome
    }

    /// Begins a transaction with `begin` (`BEGIN …`).
    pub async fn begin(&mut self, begin: &str) -> sqlx::Result<()> {
        self.in_transaction = true;
        self.simple(begin).await
    }

    /// Commits the open transaction.
    pub async fn commit(&mut self) -> sqlx::Result<()> {
        self.simple("COMMIT").await?;
        self.in_transaction = false;
        Ok(())
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else { return };
        if self.broken || self.in_statement {
            // Closed by dropping it; its permit lets a new one be opened.
            return;
        }
        if !self.in_transaction {
            self.inner.idle().push(conn);
            return;
        }
        // Roll back off the caller's path; the permit stays taken until then.
        let inner = Arc::clone(&self.inner);
        let permit = self.permit.take();
        let rollback = async move {
            if sqlx::query("ROLLBACK").execute(&mut conn).await.is_ok() {
                inner.idle().push(conn);
            }
            drop(permit);
        };
        // Without a runtime (the process is ending) the connection is dropped.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            drop(runtime.spawn(rollback));
        }
    }
}
