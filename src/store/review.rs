//! The review-policy half of the persistence port: a HIT's policies (written
//! with the HIT, see [`super::hits::HitStore::insert_hit`]), the claim that
//! lets the HIT-level policy run once per HIT size, and the results and
//! actions the policies record. Same rules as [`super::Store`].

use async_trait::async_trait;

use crate::domain::review::{HitReviewPolicies, ReviewAction, ReviewLog, ReviewResult};
use crate::domain::time::Timestamp;

use super::StoreResult;

/// What a HIT-level review covers: the HIT's `MaxAssignments` and how many
/// of its assignments were in (submitted, approved or rejected). Both only
/// grow, and a HIT is reviewed once per pair: a HIT reviewed when it
/// expired is reviewed again when more work comes in, or when it is
/// extended and becomes Reviewable again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewClaim {
    /// The HIT's `MaxAssignments`.
    pub max_assignments: i64,
    /// Its assignments submitted, approved or rejected.
    pub submitted: i64,
}

/// Persistence of review policies and what they did.
#[async_trait]
pub trait ReviewStore: Send + Sync {
    /// The policies a HIT was created with (`None` for an unknown HIT).
    async fn review_policies(&self, hit_id: &str) -> StoreResult<Option<HitReviewPolicies>>;

    /// Appends results (dated `now`) and actions to the HIT's log, in one
    /// transaction. With `claim`, the same transaction first claims the
    /// HIT-level review of the HIT as `claim` describes it, and records
    /// nothing (false) when a review covering as much was claimed already:
    /// two submissions racing to complete a HIT (or a submission and an
    /// expiry sweep) run its HIT-level policy once, and an extended HIT runs
    /// it again.
    async fn record_review(
        &self,
        hit_id: &str,
        claim: Option<ReviewClaim>,
        now: Timestamp,
        results: &[ReviewResult],
        actions: &[ReviewAction],
    ) -> StoreResult<bool>;

    /// The HITs with a HIT-level policy that may be due for a review at
    /// `now`: not deleted, not marked Reviewing, expired or with every slot
    /// submitted, not reviewed yet as they stand, and with the
    /// assignment-level policy done with every assignment in (each scored,
    /// none of its actions still `Intended`). The caller checks each
    /// one's status (work may still be in progress) before reviewing it.
    async fn hits_due_for_review(&self, now: Timestamp) -> StoreResult<Vec<String>>;

    /// Writes the outcome (status, time, result, error code) of a recorded
    /// action that is still `Intended`.
    async fn finish_review_action(&self, action: &ReviewAction) -> StoreResult<()>;

    /// The HIT's whole log, oldest first.
    async fn review_log(&self, hit_id: &str) -> StoreResult<ReviewLog>;
}
