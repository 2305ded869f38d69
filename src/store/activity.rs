//! What the requester statistics are computed from: a requester's HITs,
//! the assignments of those HITs, the bonuses it paid and the review-policy
//! results about those assignments, read from one snapshot. `ops::statistics` does the arithmetic; the store only reads.

use async_trait::async_trait;

use super::db::{args, stored_row, Backend, Exec as _};
use super::sql_store::SqlStore;
use super::StoreResult;
use crate::domain::ids::RequesterId;

/// A HIT as the statistics see it (times in epoch milliseconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HitFacts {
    /// Its id.
    pub id: String,
    /// When it was created.
    pub creation_time: i64,
    /// When it expires (or expired).
    pub expiration: i64,
    /// Its assignment count now.
    pub max_assignments: i64,
    /// Its HIT type's reward, in cents.
    pub reward_cents: i64,
    /// Whether it is deleted.
    pub disposed: bool,
}

/// An assignment as the statistics see it (times in epoch milliseconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentFacts {
    /// Its HIT.
    pub hit_id: String,
    /// Its worker.
    pub worker_id: String,
    /// Its stored status (`Accepted` past its deadline is abandoned).
    pub status: String,
    /// When it was accepted.
    pub accept_time: i64,
    /// When it was due.
    pub deadline: i64,
    /// When it was submitted.
    pub submit_time: Option<i64>,
    /// When it was approved.
    pub approval_time: Option<i64>,
    /// When it was rejected.
    pub rejection_time: Option<i64>,
    /// When it was returned.
    pub return_time: Option<i64>,
}

/// A bonus as the statistics see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BonusFacts {
    /// Who got it.
    pub worker_id: String,
    /// How much, in cents (the fee is not included).
    pub amount_cents: i64,
    /// When (epoch milliseconds).
    pub grant_time: i64,
}

/// A review-policy result about one assignment, as the worker statistics
/// see it: `KnownAnswerCorrect` (one per question of the answer key),
/// `PluralityAnswersCorrect` and `PluralityAnswersIncorrect`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewFacts {
    /// The assignment the result is about.
    pub assignment_id: String,
    /// Its worker.
    pub worker_id: String,
    /// The result's key.
    pub key: String,
    /// Its value, as recorded (an integer).
    pub value: String,
    /// When it was recorded (epoch milliseconds, emulated time); `None` for a
    /// result older than the record of its time, of an assignment never submitted.
    pub recorded_at: Option<i64>,
}

/// Everything a requester did, as the statistics need it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Activity {
    /// Its HITs, deleted ones included.
    pub hits: Vec<HitFacts>,
    /// Every assignment of those HITs.
    pub assignments: Vec<AssignmentFacts>,
    /// Every bonus it paid.
    pub bonuses: Vec<BonusFacts>,
    /// The review results about those assignments that the worker statistics
    /// count, in the order they were recorded (per HIT).
    pub reviews: Vec<ReviewFacts>,
}

/// Reads a requester's activity.
#[async_trait]
pub trait ActivityStore: Send + Sync {
    /// The requester's HITs, their assignments and its bonuses, from one snapshot.
    async fn requester_activity(&self, requester: &RequesterId) -> StoreResult<Activity>;
}

stored_row! {
    struct HitFactsRow {
        id: String,
        creation_time: i64,
        expiration: i64,
        max_assignments: i64,
        reward_cents: i64,
        disposed: i64,
    }
}

stored_row! {
    struct AssignmentFactsRow {
        hit_id: String,
        worker_id: String,
        status: String,
        accept_time: i64,
        deadline: i64,
        submit_time: Option<i64>,
        approval_time: Option<i64>,
        rejection_time: Option<i64>,
        return_time: Option<i64>,
    }
}

stored_row! {
    struct ReviewFactsRow {
        assignment_id: String,
        worker_id: String,
        result_key: String,
        result_value: String,
        recorded_at: Option<i64>,
    }
}

#[async_trait]
impl<B: Backend> ActivityStore for SqlStore<B> {
    async fn requester_activity(&self, requester: &RequesterId) -> StoreResult<Activity> {
        let mut snapshot = self.db.snapshot().await?;
        let hits: Vec<HitFactsRow> = snapshot
            .fetch_all(
                "SELECT h.id AS id, h.creation_time AS creation_time, h.expiration AS expiration, \
                 h.max_assignments AS max_assignments, t.reward_cents AS reward_cents, h.disposed AS disposed \
                 FROM hits h JOIN hit_types t ON t.id = h.hit_type_id WHERE h.owner = $1 ORDER BY h.creation_time, h.id",
                args![requester.as_str()],
            )
            .await?;
        let assignments: Vec<AssignmentFactsRow> = snapshot
            .fetch_all(
                "SELECT a.hit_id AS hit_id, a.worker_id AS worker_id, a.status AS status, \
                 a.accept_time AS accept_time, a.deadline AS deadline, a.submit_time AS submit_time, \
                 a.approval_time AS approval_time, a.rejection_time AS rejection_time, a.return_time AS return_time \
                 FROM assignments a JOIN hits h ON h.id = a.hit_id WHERE h.owner = $1 ORDER BY a.accept_time, a.id",
                args![requester.as_str()],
            )
            .await?;
        let bonuses: Vec<(String, i64, i64, String)> = snapshot
            .fetch_all(
                "SELECT worker_id, amount_cents, grant_time, id FROM bonus_payments WHERE requester = $1 \
                 ORDER BY grant_time, id",
                args![requester.as_str()],
            )
            .await?;
        let reviews: Vec<ReviewFactsRow> = snapshot
            .fetch_all(
                "SELECT r.subject_id AS assignment_id, a.worker_id AS worker_id, r.result_key AS result_key, \
                 r.result_value AS result_value, r.recorded_at AS recorded_at \
                 FROM review_results r JOIN hits h ON h.id = r.hit_id JOIN assignments a ON a.id = r.subject_id \
                 WHERE h.owner = $1 AND r.subject_type = 'Assignment' AND r.result_key IN \
                 ('KnownAnswerCorrect', 'PluralityAnswersCorrect', 'PluralityAnswersIncorrect') \
                 ORDER BY r.hit_id, r.position",
                args![requester.as_str()],
            )
            .await?;
        Ok(Activity {
            reviews: reviews
                .into_iter()
                .map(|r| ReviewFacts {
                    assignment_id: r.assignment_id,
                    worker_id: r.worker_id,
                    key: r.result_key,
                    value: r.result_value,
                    recorded_at: r.recorded_at,
                })
                .collect(),
            hits: hits
                .into_iter()
                .map(|r| HitFacts {
                    id: r.id,
                    creation_time: r.creation_time,
                    expiration: r.expiration,
                    max_assignments: r.max_assignments,
                    reward_cents: r.reward_cents,
                    disposed: r.disposed != 0,
                })
                .collect(),
            assignments: assignments
                .into_iter()
                .map(|r| AssignmentFacts {
                    hit_id: r.hit_id,
                    worker_id: r.worker_id,
                    status: r.status,
                    accept_time: r.accept_time,
                    deadline: r.deadline,
                    submit_time: r.submit_time,
                    approval_time: r.approval_time,
                    rejection_time: r.rejection_time,
                    return_time: r.return_time,
                })
                .collect(),
            bonuses: bonuses
                .into_iter()
                .map(|(worker_id, amount_cents, grant_time, _)| BonusFacts { worker_id, amount_cents, grant_time })
                .collect(),
        })
    }
}
