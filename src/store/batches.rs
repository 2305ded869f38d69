//! The console's batches (issue 14): a batch row, its HITs and the CSV rows
//! they were made from, all written in one transaction.

use async_trait::async_trait;

use super::db::{args, Backend, Exec as _, Writer as _};
use super::sql_store::{Key, PagedQuery, SqlStore};
use super::{Page, Paged, StoreError, StoreResult};
use crate::domain::batch::{Batch, BatchRow};
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
}

fn encode(values: &[String]) -> StoreResult<String> {
    serde_json::to_string(values).map_err(|e| StoreError::Other(anyhow::anyhow!("stored batch values: {e}")))
}

fn decode(text: &str) -> StoreResult<Vec<String>> {
    serde_json::from_str(text).map_err(|e| StoreError::Other(anyhow::anyhow!("stored batch values: {e}")))
}

type BatchTuple = (String, String, String, String, String, String, i64);

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
        rows.into_iter().map(|(index, hit_id, input)| Ok(BatchRow { index, hit_id, values: decode(&input)? })).collect()
    }
}
