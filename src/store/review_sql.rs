//! The SQL of the [`super::review::ReviewStore`] methods, and the encoding of
//! a HIT's policies, written with the HIT by `insert_hit`.

use anyhow::anyhow;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::db::{args, stored_row, Backend, Exec, Writer as _};
use super::review::{ReviewClaim, ReviewStore};
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
        hit_id: String,
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
        // One read on every submission: the HIT, and its policies if it has any.
        let row = self
            .db
            .reader()
            .await?
            .fetch_optional::<PolicyRow>(
                "SELECT h.id AS hit_id, p.assignment_policy, p.hit_policy FROM hits h \
                 LEFT JOIN review_policies p ON p.hit_id = h.id WHERE h.id = $1",
                args![hit_id],
            )
            .await?;
        let Some(row) = row.filter(|r| r.hit_id == hit_id) else { return Ok(None) };
        Ok(Some(HitReviewPolicies { assignment: decode(row.assignment_policy)?, hit: decode(row.hit_policy)? }))
    }

    async fn record_review(
        &self,
        hit_id: &str,
        claim: Option<ReviewClaim>,
        now: Timestamp,
        results: &[ReviewResult],
        actions: &[ReviewAction],
    ) -> StoreResult<bool> {
        let mut tx = self.db.writer().await?;
        if let Some(ReviewClaim { max_assignments, submitted }) = claim {
            // Both numbers only grow: a review that saw no more than the last
            // one claimed (a racing twin, or a stale one) records nothing.
            let claimed = tx
                .execute(
                    "UPDATE review_policies SET hit_reviewed_max = $2, hit_reviewed_submitted = $3 \
                     WHERE hit_id = $1 AND hit_policy IS NOT NULL AND (hit_reviewed_max IS NULL \
                     OR hit_reviewed_submitted IS NULL OR hit_reviewed_max < $2 OR hit_reviewed_submitted < $3)",
                    args![hit_id, max_assignments, submitted],
                )
                .await?;
            if claimed == 0 {
                return Ok(false);
            }
        }
        // Serialize the recordings of one HIT (a row lock on PostgreSQL), so positions never collide.
        tx.fetch_optional::<String>(&format!("SELECT id FROM hits WHERE id = $1{}", B::LOCK_ROW), args![hit_id])
            .await?;
        let next = tx
            .fetch_one::<i64>("SELECT COALESCE(MAX(position), 0) FROM review_results WHERE hit_id = $1", args![hit_id])
            .await?;
        for (r, position) in results.iter().zip(next + 1..) {
            tx.execute(
                "INSERT INTO review_results (hit_id, position, level, action_id, subject_id, subject_type, \
                 question_id, result_key, result_value, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                args![
                    hit_id,
                    position,
                    r.level.as_str(),
                    r.action_id.as_deref(),
                    r.subject_id.as_str(),
                    r.subject_type.as_str(),
                    r.question_id.as_deref(),
                    r.key.as_str(),
                    r.value.as_str(),
                    now.millis()
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
        tx.commit().await?;
        Ok(true)
    }

    async fn hits_due_for_review(&self, now: Timestamp) -> StoreResult<Vec<String>> {
        // Cheap when there is nothing to do: only HITs with a HIT-level policy
        // are looked at, and those reviewed as they stand drop out. Every
        // read settles, so this runs on every request: the CROSS JOIN keeps
        // SQLite's planner (which has no statistics) from starting at `hits`
        // through `hits_expiration (disposed, …)`, which read every live HIT
        // (80 ms a request with 100,000 stored; benches/listings.py).
        // PostgreSQL plans a CROSS JOIN with a WHERE equality as any join. A HIT
        // whose assignment-level policy has not finished with every
        // assignment in (a submission being scored, its actions being taken)
        // waits: the HIT-level policy runs after it, as after a submission.
        self.db
            .reader()
            .await?
            .fetch_all::<String>(
                "SELECT c.id FROM (SELECT h.id AS id, h.max_assignments AS max_assignments, \
                 h.expiration AS expiration, p.hit_reviewed_max AS reviewed_max, \
                 p.hit_reviewed_submitted AS reviewed_submitted, \
                 (SELECT COUNT(*) FROM assignments a WHERE a.hit_id = h.id \
                  AND a.status IN ('Submitted', 'Approved', 'Rejected')) AS submitted \
                 FROM review_policies p CROSS JOIN hits h \
                 WHERE h.id = p.hit_id AND p.hit_policy IS NOT NULL AND h.disposed = 0 AND h.reviewing = 0 \
                 AND (p.assignment_policy IS NULL OR (NOT EXISTS (SELECT 1 FROM assignments a \
                  WHERE a.hit_id = h.id AND a.status IN ('Submitted', 'Approved', 'Rejected') \
                  AND NOT EXISTS (SELECT 1 FROM review_results r WHERE r.hit_id = h.id \
                  AND r.subject_id = a.id AND r.result_key = 'KnownAnswerScore')) \
                 AND NOT EXISTS (SELECT 1 FROM review_actions x WHERE x.hit_id = h.id \
                  AND x.level = 'Assignment' AND x.status = 'Intended')))) c \
                 WHERE (c.expiration <= $1 OR c.submitted >= c.max_assignments) \
                 AND (c.reviewed_max IS NULL OR c.reviewed_submitted IS NULL \
                 OR c.reviewed_max < c.max_assignments OR c.reviewed_submitted < c.submitted) ORDER BY c.id",
                args![now.millis()],
            )
            .await
    }

    async fn finish_review_action(&self, a: &ReviewAction) -> StoreResult<()> {
        self.update_one(
            "UPDATE review_actions SET status = $2, complete_time = $3, result = $4, error_code = $5 \
             WHERE id = $1 AND status = 'Intended'",
            args![
                a.id.as_str(),
                a.status.as_str(),
                a.complete_time.map(Timestamp::millis),
                a.result.as_deref(),
                a.error_code.as_deref()
            ],
        )
        .await
        .map(|_| ())
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

#[cfg(test)]
mod tests {
    //! The claim that runs a HIT-level review once per HIT size, and actions
    //! recorded as `Intended` that take their outcome once.

    use super::*;
    use crate::store::SqliteStore;

    fn at(millis: i64) -> Timestamp {
        Timestamp::from_millis(millis)
    }

    fn claim(max_assignments: i64, submitted: i64) -> ReviewClaim {
        ReviewClaim { max_assignments, submitted }
    }

    async fn store_with_policies() -> SqliteStore {
        let policy = ReviewPolicy {
            name: "SimplePlurality/2011-09-01".into(),
            parameters: vec![PolicyParameter {
                key: "QuestionIds".into(),
                values: vec!["q".into()],
                map_entries: vec![],
            }],
        };
        let policies = HitReviewPolicies { assignment: None, hit: Some(policy) };
        let (store, _) = crate::store::hit_sql::tests::store_with_hit(3, &policies).await;
        assert_eq!(store.review_policies("3HIT").await.unwrap(), Some(policies));
        assert_eq!(store.review_policies("3NONE").await.unwrap(), None);
        store
    }

    fn action(id: &str, status: ActionStatus) -> ReviewAction {
        ReviewAction {
            level: PolicyLevel::Hit,
            id: id.into(),
            name: "approve".into(),
            target_id: "3ASG".into(),
            target_type: "Assignment".into(),
            status,
            complete_time: None,
            result: None,
            error_code: None,
        }
    }

    #[tokio::test]
    async fn a_hit_level_review_is_claimed_once_per_hit_size() {
        let store = store_with_policies().await;
        let result = ReviewResult {
            level: PolicyLevel::Hit,
            action_id: None,
            subject_id: "3HIT".into(),
            subject_type: "HIT".into(),
            question_id: None,
            key: "HitAgreementScore".into(),
            value: "50".into(),
        };
        assert!(store
            .record_review("3HIT", Some(claim(3, 3)), at(9), std::slice::from_ref(&result), &[])
            .await
            .unwrap());
        // A racing submission that also saw the HIT complete records nothing.
        assert!(!store
            .record_review(
                "3HIT",
                Some(claim(3, 3)),
                at(9),
                std::slice::from_ref(&result),
                &[action("3A", ActionStatus::Intended)]
            )
            .await
            .unwrap());
        // Extended to 4, the HIT is reviewed again.
        assert!(store
            .record_review("3HIT", Some(claim(4, 3)), at(9), std::slice::from_ref(&result), &[])
            .await
            .unwrap());
        // A review that saw less than the last one claimed (a stale one) records nothing.
        assert!(!store.record_review("3HIT", Some(claim(3, 3)), at(9), &[], &[]).await.unwrap());
        assert!(!store.record_review("3HIT", Some(claim(4, 2)), at(9), &[], &[]).await.unwrap());
        let log = store.review_log("3HIT").await.unwrap();
        assert_eq!(log.results, vec![result.clone(), result]);
        assert!(log.actions.is_empty());
    }

    #[tokio::test]
    async fn an_expired_hit_is_due_for_review_until_it_is_reviewed_as_it_stands() {
        let store = store_with_policies().await;
        // Open (expires at 1,000,000) and with no work in: not due.
        assert!(store.hits_due_for_review(at(999_999)).await.unwrap().is_empty());
        // Expired: due, until reviewed with its 3 slots and none of them in.
        assert_eq!(store.hits_due_for_review(at(1_000_000)).await.unwrap(), vec!["3HIT".to_owned()]);
        assert!(store.record_review("3HIT", Some(claim(3, 0)), at(1_000_000), &[], &[]).await.unwrap());
        assert!(store.hits_due_for_review(at(2_000_000)).await.unwrap().is_empty());
        // A second sweep that saw the same would record nothing.
        assert!(!store.record_review("3HIT", Some(claim(3, 0)), at(2_000_000), &[], &[]).await.unwrap());
    }

    #[tokio::test]
    async fn an_intended_action_takes_its_outcome_once() {
        let store = store_with_policies().await;
        assert!(store.record_review("3HIT", None, at(9), &[], &[action("3A", ActionStatus::Intended)]).await.unwrap());
        assert_eq!(store.review_log("3HIT").await.unwrap().actions, vec![action("3A", ActionStatus::Intended)]);
        let done = ReviewAction {
            complete_time: Some(at(5)),
            result: Some("Approved".into()),
            ..action("3A", ActionStatus::Succeeded)
        };
        store.finish_review_action(&done).await.unwrap();
        let failed = ReviewAction { error_code: Some("X".into()), ..action("3A", ActionStatus::Failed) };
        store.finish_review_action(&failed).await.unwrap();
        assert_eq!(store.review_log("3HIT").await.unwrap().actions, vec![done]);
    }
}
