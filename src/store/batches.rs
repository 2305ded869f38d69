//! The console's batches (issue 14): a batch row, its HITs and the CSV rows
//! they were made from, all written in one transaction.

use async_trait::async_trait;

use super::db::{args, Backend, Exec as _, Writer as _};
use super::sql_store::{Key, PagedQuery, SqlStore};
use super::{Page, Paged, StoreError, StoreResult};
use crate::domain::batch::{Batch, BatchRow, Progress};
use crate::domain::hit::Hit;
use crate::domain::ids::RequesterId;
use crate::domain::review::HitReviewPolicies;
use crate::domain::time::Timestamp;

/// Persistence of batches.
#[async_trait]
pub trait BatchStore: Send + Sync {
    /// Writes the batch, its HITs (rows of `hits`, each with no review
    /// policy) and its rows, all or nothing. `rows[i].hit_id` is `hits[i].id`.
    async fn insert_batch(&self, batch: &Batch, hits: &[Hit], rows: &[BatchRow]) -> StoreResult<()>;

    /// The requester's batches, newest first.
    async fn batches(&self, requester: &RequesterId, page: Page) -> StoreResult<Paged<Batch>>;

    /// One of the requester's batches.
    async fn batch(&self, requester: &RequesterId, id: &str) -> StoreResult<Option<Batch>>;

    /// A batch's rows, in CSV order.
    async fn batch_rows(&self, batch_id: &str) -> StoreResult<Vec<BatchRow>>;

    /// A page of a batch's rows, in CSV order (keyed by row index).
    async fn batch_rows_page(&self, batch_id: &str, page: Page) -> StoreResult<Paged<BatchRow>>;

    /// How far a batch's HITs have come at `now`, counted in one statement.
    async fn batch_progress(&self, batch_id: &str, now: Timestamp) -> StoreResult<Progress>;
}

fn encode(values: &[String]) -> StoreResult<String> {
    serde_json::to_string(values).map_err(|e| StoreError::Other(anyhow::anyhow!("stored batch values: {e}")))
}

fn decode(text: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(text).map_err(|e| StoreError::Other(anyhow::anyhow!("stored batch values: {e}")))
}

type BatchTuple = (String, String, String, String, String, String, i64);

impl TryFrom<(i64, String, String)> for BatchRow {
    type Error = StoreError;

    fn try_from((index, hit_id, input): (i64, String, String)) -> StoreResult<Self> {
        Ok(Self { index, hit_id, values: decode(&input)? })
    }
}

const BATCH_COLUMNS: &str = "id, requester, name, hit_type_id, template, columns, created_at";

impl TryFrom<BatchTuple> for Batch {
    type Error = StoreError;

    fn try_from(t: BatchTuple) -> StoreResult<Self> {
        let (id, requester, name, hit_type_id, template, columns, created_at) = t;
        Ok(Self {
            id,
            requester: RequesterId::from_stored(requester),
            name,
            hit_type_id,
            template,
            columns: decode(&columns)?,
            created_at: Timestamp::from_millis(created_at),
        })
    }
}

#[async_trait]
impl<B: Backend> BatchStore for SqlStore<B> {
    async fn insert_batch(&self, batch: &Batch, hits: &[Hit], rows: &[BatchRow]) -> StoreResult<()> {
        let mut tx = self.db.writer().await?;
        let none = HitReviewPolicies::default();
        for h in hits {
            super::hit_sql::insert_hit_row(&mut tx, h, None).await?;
            super::review_sql::insert_policies(&mut tx, &h.id, &none).await?;
        }
        tx.execute(
            "INSERT INTO batches (id, requester, name, hit_type_id, template, columns, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            args![
                batch.id.as_str(),
                batch.requester.as_str(),
                batch.name.as_str(),
                batch.hit_type_id.as_str(),
                batch.template.as_str(),
                encode(&batch.columns)?.as_str(),
                batch.created_at.millis()
            ],
        )
        .await?;
        for r in rows {
            tx.execute(
                "INSERT INTO batch_hits (batch_id, row_index, hit_id, input) VALUES ($1, $2, $3, $4)",
                args![batch.id.as_str(), r.index, r.hit_id.as_str(), encode(&r.values)?.as_str()],
            )
            .await?;
        }
        tx.commit().await
    }

    async fn batches(&self, requester: &RequesterId, page: Page) -> StoreResult<Paged<Batch>> {
        let q = PagedQuery {
            select: "SELECT id, requester, name, hit_type_id, template, columns, created_at",
            from: "FROM batches WHERE requester = $1",
            keys: &[Key::int("created_at"), Key::text("id")],
            descending: true,
            filter_args: args![requester.as_str()],
            select_args: &[],
        };
        self.paged::<BatchTuple, Batch>(&q, &page).await
    }

    async fn batch(&self, requester: &RequesterId, id: &str) -> StoreResult<Option<Batch>> {
        let sql = format!("SELECT {BATCH_COLUMNS} FROM batches WHERE requester = $1 AND id = $2");
        self.read_one::<BatchTuple, Batch>(&sql, args![requester.as_str(), id]).await
    }

    async fn batch_rows(&self, batch_id: &str) -> StoreResult<Vec<BatchRow>> {
        let mut r = self.db.reader().await?;
        let rows: Vec<(i64, String, String)> = r
            .fetch_all(
                "SELECT row_index, hit_id, input FROM batch_hits WHERE batch_id = $1 ORDER BY row_index",
                args![batch_id],
            )
            .await?;
        rows.into_iter().map(BatchRow::try_from).collect()
    }

    async fn batch_rows_page(&self, batch_id: &str, page: Page) -> StoreResult<Paged<BatchRow>> {
        let q = PagedQuery {
            select: "SELECT row_index, hit_id, input",
            from: "FROM batch_hits WHERE batch_id = $1",
            keys: &[Key::int("row_index")],
            descending: false,
            filter_args: args![batch_id],
            select_args: &[],
        };
        self.paged::<(i64, String, String), BatchRow>(&q, &page).await
    }

    async fn batch_progress(&self, batch_id: &str, now: Timestamp) -> StoreResult<Progress> {
        // The states as `Hit`'s counts read them: in progress is accepted with
        // its deadline not passed; reviewed is approved or rejected.
        let (hits, assignments, in_progress, submitted, reviewed): (i64, i64, i64, i64, i64) = self
            .db
            .reader()
            .await?
            .fetch_one(
                "SELECT (SELECT COUNT(*) FROM batch_hits b WHERE b.batch_id = $1), \
                        (SELECT CAST(COALESCE(SUM(h.max_assignments), 0) AS BIGINT) FROM batch_hits b JOIN hits h ON h.id = b.hit_id \
                            WHERE b.batch_id = $1), \
                        (SELECT COUNT(*) FROM batch_hits b JOIN assignments a ON a.hit_id = b.hit_id \
                            WHERE b.batch_id = $1 AND a.status = 'Accepted' AND a.deadline >= $2), \
                        (SELECT COUNT(*) FROM batch_hits b JOIN assignments a ON a.hit_id = b.hit_id \
                            WHERE b.batch_id = $1 AND a.status = 'Submitted'), \
                        (SELECT COUNT(*) FROM batch_hits b JOIN assignments a ON a.hit_id = b.hit_id \
                            WHERE b.batch_id = $1 AND a.status IN ('Approved', 'Rejected'))",
                args![batch_id, now.millis()],
            )
            .await?;
        Ok(Progress { hits, assignments, in_progress, submitted, reviewed })
    }
}
