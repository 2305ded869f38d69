//! The PostgreSQL backend, for shared dev stacks and several instances behind
//! a load balancer. Transactions run at READ COMMITTED; every state change is
//! a single compare-and-set statement, so that level is enough.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl PgStore {
    const BACKEND: &'static str = "postgres";
    /// Row locks serialize competing writers of one row.
    const LOCK_ROW: &'static str = " FOR UPDATE";

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
        Ok(Self { pool })
    }

    async fn close_pools(&self) {
        self.pool.close().await;
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Postgres>, sqlx::Error> {
        self.pool.begin().await
    }
}

super::sql::impl_sql_store!(PgStore, Postgres);
super::sql_hits::impl_sql_hit_store!(PgStore, Postgres);
