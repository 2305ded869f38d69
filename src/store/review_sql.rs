//! The SQL of the [`super::review::ReviewStore`] methods, and the encoding of
//! a HIT's policies, written with the HIT by `insert_hit`.

use anyhow::anyhow;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::db::{args, stored_row, Backend, Exec, Writer as _};
use super::review::ReviewStore;
use super::sql_store::SqlStore;
use crate::domain::review::{
    ActionStatus, HitReviewPolicies, MapEntry, PolicyLevel, PolicyParameter, ReviewAction, ReviewLog, ReviewPolicy,
    ReviewResult,
};
use crate::domain::time::Timestamp;
use crate::store::{StoreError, StoreResult};

/// A stored parameter: key, values, map entries (key, values).
type StoredParameter = (String, Vec<String>, Vec<(String, Vec<String>)>);

#[derive(Serialize, Deserialize)]
struct StoredPolicy {
    name: String,
    parameters: Vec<StoredParameter>,
}

fn encode(policy: Option<&ReviewPolicy>) -> StoreResult<Option<String>> {
    let Some(p) = policy else { return Ok(None) };
    let stored = StoredPolicy {
        name: p.name.clone(),
        parameters: p
            .parameters
            .iter()
            .map(|q| {
                let entries = q.map_entries.iter().map(|e| (e.key.clone(), e.values.clone())).collect();
                (q.key.clone(), q.values.clone(), entries)
            })
            .collect(),
    };
    serde_json::to_string(&stored).map(Some).map_err(|e| StoreError::Other(e.into()))
}

fn decode(text: Option<String>) -> StoreResult<Option<ReviewPolicy>> {
    let Some(text) = text else { return Ok(None) };
    let stored: StoredPolicy =
        serde_json::from_str(&text).map_err(|e| StoreError::Other(anyhow!("corrupt review policy: {e}")))?;
    Ok(Some(ReviewPolicy {
        name: stored.name,
        parameters: stored
            .parameters
            .into_iter()
            .map(|(key, values, entries)| PolicyParameter {
                key,
                values,
                map_entries: entries.into_iter().map(|(key, values)| MapEntry { key, values }).collect(),
            })
            .collect(),
    }))
}

/// Writes a new HIT's policies in the transaction that inserts the HIT.
pub(super) async fn insert_policies<E: Exec>(tx: &mut E, hit_id: &str, p: &HitReviewPolicies) -> StoreResult<()> {
    if p.is_empty() {
        return Ok(());
    }
    let (assignment, hit) = (encode(p.assignment.as_ref())?, encode(p.hit.as_ref())?);
    tx.execute(
        "INSERT INTO review_policies (hit_id, assignment_policy, hit_policy) VALUES ($1, $2, $3)",
        args![hit_id, assignment.as_deref(), hit.as_deref()],
    )
    .await?;
    Ok(())
}

fn level(text: &str) -> StoreResult<PolicyLevel> {
    PolicyLevel::parse(text).ok_or_else(|| StoreError::Other(anyhow!("corrupt policy level {text:?}")))
}

stored_row! {
    struct PolicyRow {
        assignment_policy: Option<String>,
        hit_policy: Option<String>,
    }
}

stored_row! {
    struct ResultRow {
        level: String,
        action_id: Option<String>,
        subject_id: String,
        subject_type: String,
        question_id: Option<String>,
        result_key: String,
        result_value: String,
    }
}

stored_row! {
    struct ActionRow {
        level: String,
        id: String,
        action_name: String,
        target_id: String,
        target_type: String,
        status: String,
        complete_time: Option<i64>,
        result: Option<String>,
        error_code: Option<String>,
    }
}

#[async_trait]
impl<B: Backend> ReviewStore for SqlStore<B> {
    async fn review_policies(&self, hit_id: &str) -> StoreResult<Option<HitReviewPolicies>> {
        let mut reader = self.db.reader().await?;
        let exists = reader.fetch_optional::<String>("SELECT id FROM hits WHERE id = $1", args![hit_id]).await?;
        if exists.is_none() {
            return Ok(None);
        }
        let row = reader
            .fetch_optional::<PolicyRow>(
                "SELECT assignment_policy, hit_policy FROM review_policies WHERE hit_id = $1",
                args![hit_id],
            )
            .await?;
        let Some(row) = row else { return Ok(Some(HitReviewPolicies::default())) };
        Ok(Some(HitReviewPolicies { assignment: decode(row.assignment_policy)?, hit: decode(row.hit_policy)? }))
    }

    async fn claim_hit_review(&self, hit_id: &str, max_assignments: i64) -> StoreResult<bool> {
        self.update_one(
            "UPDATE review_policies SET hit_reviewed_max = $2 WHERE hit_id = $1 AND hit_policy IS NOT NULL \
             AND (hit_reviewed_max IS NULL OR hit_reviewed_max <> $2)",
            args![hit_id, max_assignments],
        )
        .await
    }

    async fn record_review(&self, hit_id: &str, results: &[ReviewResult], actions: &[ReviewAction]) -> StoreResult<()> {
        let mut tx = self.db.writer().await?;
        // Serialize the recordings of one HIT (a row lock on PostgreSQL), so positions never collide.
        tx.fetch_optional::<String>(&format!("SELECT id FROM hits WHERE id = $1{}", B::LOCK_ROW), args![hit_id])
            .await?;
        let next = tx
            .fetch_one::<i64>("SELECT COALESCE(MAX(position), 0) FROM review_results WHERE hit_id = $1", args![hit_id])
            .await?;
        for (r, position) in results.iter().zip(next + 1..) {
            tx.execute(
                "INSERT INTO review_results (hit_id, position, level, action_id, subject_id, subject_type, \
                 question_id, result_key, result_value) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                args![
                    hit_id,
                    position,
                    r.level.as_str(),
                    r.action_id.as_deref(),
                    r.subject_id.as_str(),
                    r.subject_type.as_str(),
                    r.question_id.as_deref(),
                    r.key.as_str(),
                    r.value.as_str()
                ],
            )
            .await?;
        }
        let next = tx
            .fetch_one::<i64>("SELECT COALESCE(MAX(position), 0) FROM review_actions WHERE hit_id = $1", args![hit_id])
            .await?;
        for (a, position) in actions.iter().zip(next + 1..) {
            tx.execute(
                "INSERT INTO review_actions (id, hit_id, position, level, action_name, target_id, target_type, \
                 status, complete_time, result, error_code) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                args![
                    a.id.as_str(),
                    hit_id,
                    position,
                    a.level.as_str(),
                    a.name.as_str(),
                    a.target_id.as_str(),
                    a.target_type.as_str(),
                    a.status.as_str(),
                    a.complete_time.map(Timestamp::millis),
                    a.result.as_deref(),
                    a.error_code.as_deref()
                ],
            )
            .await?;
        }
        tx.commit().await
    }

    async fn review_log(&self, hit_id: &str) -> StoreResult<ReviewLog> {
        let mut snapshot = self.db.snapshot().await?;
        let results = snapshot
            .fetch_all::<ResultRow>(
                "SELECT level, action_id, subject_id, subject_type, question_id, result_key, result_value \
                 FROM review_results WHERE hit_id = $1 ORDER BY position",
                args![hit_id],
            )
            .await?;
        let actions = snapshot
            .fetch_all::<ActionRow>(
                "SELECT level, id, action_name, target_id, target_type, status, complete_time, result, error_code \
                 FROM review_actions WHERE hit_id = $1 ORDER BY position",
                args![hit_id],
            )
            .await?;
        Ok(ReviewLog {
            results: results
                .into_iter()
                .map(|r| {
                    Ok(ReviewResult {
                        level: level(&r.level)?,
                        action_id: r.action_id,
                        subject_id: r.subject_id,
                        subject_type: r.subject_type,
                        question_id: r.question_id,
                        key: r.result_key,
                        value: r.result_value,
                    })
                })
                .collect::<StoreResult<_>>()?,
            actions: actions
                .into_iter()
                .map(|a| {
                    Ok(ReviewAction {
                        level: level(&a.level)?,
                        id: a.id,
                        name: a.action_name,
                        target_id: a.target_id,
                        target_type: a.target_type,
                        status: ActionStatus::parse(&a.status)
                            .ok_or_else(|| StoreError::Other(anyhow!("corrupt action status {:?}", a.status)))?,
                        complete_time: a.complete_time.map(Timestamp::from_millis),
                        result: a.result,
                        error_code: a.error_code,
                    })
                })
                .collect::<StoreResult<_>>()?,
        })
    }
}
