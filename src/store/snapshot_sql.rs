//! The SQL of the [`SnapshotStore`] methods, written once for both backends.
//!
//! A snapshot is a row of the `snapshots` registry plus one table per state
//! table, `snap_<id>_<table>`, made by `CREATE TABLE … AS SELECT * FROM
//! <table>`. A restore empties each state table and refills it with
//! `INSERT INTO <table> SELECT * FROM snap_<id>_<table>`: the database copies
//! the rows itself, so nothing is decoded, and no table needs a twin written
//! by hand. The table list is [`STATE_TABLES`], the one reset empties.
//! `SELECT *` is safe because a snapshot only restores into the schema it
//! was taken under (the registry records the latest migration).

use std::sync::LazyLock;

use async_trait::async_trait;

use super::db::{args, Backend, Exec as _, TableLock, Writer as _};
use super::sql_store::SqlStore;
use super::{RestoreOutcome, SnapshotStore, StoreResult, STATE_TABLES};
use crate::domain::snapshot::{Snapshot, SnapshotName};
use crate::domain::time::Timestamp;

/// The registry row of a snapshot: its number and the tables it holds.
type Entry = (i64, String, i64, i64);

/// The rows of every state table, in one statement (the tables are locked,
/// so these are the rows the copies get).
static COUNT_ROWS: LazyLock<String> = LazyLock::new(|| {
    let counts: Vec<String> = STATE_TABLES.iter().map(|t| format!("(SELECT COUNT(*) FROM {t})")).collect();
    format!("SELECT {}", counts.join(" + "))
});

/// The name of snapshot `id`'s copy of `table`.
fn copy_of(id: i64, table: &str) -> String {
    format!("snap_{id}_{table}")
}

impl<B: Backend> SqlStore<B> {
    /// On PostgreSQL, one snapshot operation at a time (other instances
    /// included): taking this lock on the registry serializes them.
    async fn lock_registry(tx: &mut B::Writer) -> StoreResult<()> {
        if let Some(sql) = B::lock_tables("snapshots", TableLock::Serial) {
            tx.execute_once(&sql).await?;
        }
        Ok(())
    }

    async fn lock_state(tx: &mut B::Writer, mode: TableLock) -> StoreResult<()> {
        if let Some(sql) = B::lock_tables(&STATE_TABLES.join(", "), mode) {
            tx.execute_once(&sql).await?;
        }
        Ok(())
    }

    /// The registry row of `name`: id, tables, created_at, schema version.
    async fn entry(tx: &mut B::Writer, name: &SnapshotName) -> StoreResult<Option<Entry>> {
        tx.fetch_optional::<Entry>(
            "SELECT id, tables, created_at, schema_version FROM snapshots WHERE name = $1",
            args![name.as_str()],
        )
        .await
    }

    /// Drops snapshot `id`'s tables and its registry row.
    async fn drop_snapshot(tx: &mut B::Writer, id: i64, tables: &str) -> StoreResult<()> {
        for table in tables.split(',').filter(|t| !t.is_empty()) {
            tx.execute_once(&format!("DROP TABLE IF EXISTS {}", copy_of(id, table))).await?;
        }
        tx.execute("DELETE FROM snapshots WHERE id = $1", args![id]).await?;
        Ok(())
    }
}

#[async_trait]
impl<B: Backend> SnapshotStore for SqlStore<B> {
    async fn take_snapshot(&self, name: &SnapshotName, created_at: Timestamp) -> StoreResult<Snapshot> {
        let mut tx = self.db.writer().await?;
        Self::lock_registry(&mut tx).await?;
        // Writers wait until the copy is committed, so every table is copied
        // from the same state (SQLite's one writer connection does that by itself).
        Self::lock_state(&mut tx, TableLock::Share).await?;
        if let Some((id, tables, _, _)) = Self::entry(&mut tx, name).await? {
            Self::drop_snapshot(&mut tx, id, &tables).await?;
        }
        let id = tx.fetch_one::<i64>("SELECT COALESCE(MAX(id), 0) + 1 FROM snapshots", args![]).await?;
        let schema_version = tx.fetch_one::<i64>(B::SCHEMA_VERSION, args![]).await?;
        let rows = tx.fetch_one::<i64>(&COUNT_ROWS, args![]).await?;
        for table in STATE_TABLES {
            let copy = copy_of(id, table);
            tx.execute_once(&format!("DROP TABLE IF EXISTS {copy}")).await?;
            tx.execute_once(&format!("CREATE TABLE {copy} AS SELECT * FROM {table}")).await?;
        }
        tx.execute(
            "INSERT INTO snapshots (name, id, created_at, schema_version, tables, row_count) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            args![name.as_str(), id, created_at.millis(), schema_version, STATE_TABLES.join(",").as_str(), rows],
        )
        .await?;
        tx.commit().await?;
        Ok(Snapshot { name: name.clone(), created_at, rows })
    }

    async fn snapshots(&self) -> StoreResult<Vec<Snapshot>> {
        let rows = self
            .db
            .reader()
            .await?
            .fetch_all::<(String, i64, i64, i64)>(
                "SELECT name, created_at, row_count, id FROM snapshots ORDER BY name",
                args![],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(name, created_at, rows, _)| Snapshot {
                name: SnapshotName::from_stored(name),
                created_at: Timestamp::from_millis(created_at),
                rows,
            })
            .filter(|s| !s.name.is_internal())
            .collect())
    }

    async fn restore_snapshot(
        &self,
        name: &SnapshotName,
        offset_for: &(dyn Fn(Timestamp) -> i64 + Send + Sync),
    ) -> StoreResult<RestoreOutcome> {
        let mut tx = self.db.bulk_writer().await?;
        Self::lock_registry(&mut tx).await?;
        let Some((id, tables, created_at, taken)) = Self::entry(&mut tx, name).await? else {
            return Ok(RestoreOutcome::NotFound);
        };
        let current = tx.fetch_one::<i64>(B::SCHEMA_VERSION, args![]).await?;
        if taken != current || tables != STATE_TABLES.join(",") {
            return Ok(RestoreOutcome::OtherSchema { taken, current });
        }
        // Everyone else waits until the restore is committed (on SQLite the one
        // writer connection already keeps other writers out, and readers see the
        // state before the restore until it commits).
        Self::lock_state(&mut tx, TableLock::AccessExclusive).await?;
        if let Some(sql) = B::empty_tables(&STATE_TABLES.join(", ")) {
            tx.execute_once(&sql).await?;
        } else {
            for table in STATE_TABLES {
                tx.execute_once(&format!("DELETE FROM {table}")).await?;
            }
        }
        for table in STATE_TABLES.iter().rev() {
            tx.execute_once(&format!("INSERT INTO {table} SELECT * FROM {}", copy_of(id, table))).await?;
        }
        let created_at = Timestamp::from_millis(created_at);
        tx.execute("UPDATE clock SET offset_ms = $1 WHERE id = 1", args![offset_for(created_at)]).await?;
        let rows = tx.fetch_one::<i64>("SELECT row_count FROM snapshots WHERE id = $1", args![id]).await?;
        tx.commit().await?;
        // The clock and the types changed: drop the cached copies, here and in other processes.
        self.shared_changed().await;
        Ok(RestoreOutcome::Restored(Snapshot { name: name.clone(), created_at, rows }))
    }

    async fn delete_snapshot(&self, name: &SnapshotName) -> StoreResult<bool> {
        let mut tx = self.db.writer().await?;
        Self::lock_registry(&mut tx).await?;
        let Some((id, tables, _, _)) = Self::entry(&mut tx, name).await? else {
            return Ok(false);
        };
        Self::drop_snapshot(&mut tx, id, &tables).await?;
        tx.commit().await?;
        Ok(true)
    }
}
