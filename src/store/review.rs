//! The review-policy half of the persistence port: a HIT's policies (written
//! with the HIT, see [`super::hits::HitStore::insert_hit`]), the claim that
//! lets the HIT-level policy run once per HIT size, and the results and
//! actions the policies record. Same rules as [`super::Store`].

use async_trait::async_trait;

use crate::domain::review::{HitReviewPolicies, ReviewAction, ReviewLog, ReviewResult};

use super::StoreResult;

/// Persistence of review policies and what they did.
#[async_trait]
pub trait ReviewStore: Send + Sync {
    /// The policies a HIT was created with (`None` for an unknown HIT).
    async fn review_policies(&self, hit_id: &str) -> StoreResult<Option<HitReviewPolicies>>;

    /// Appends results and actions to the HIT's log, in one transaction.
    /// With `claim`, the same transaction first claims the HIT-level review
    /// of the HIT at that many assignments, and records nothing (false) when
    /// it was claimed already: two submissions racing to complete a HIT run
    /// its HIT-level policy once, and an extended HIT runs it again.
    async fn record_review(
        &self,
        hit_id: &str,
        claim: Option<i64>,
        results: &[ReviewResult],
        actions: &[ReviewAction],
    ) -> StoreResult<bool>;

    /// Writes the outcome (status, time, result, error code) of a recorded
    /// action that is still `Intended`.
    async fn finish_review_action(&self, action: &ReviewAction) -> StoreResult<()>;

    /// The HIT's whole log, oldest first.
    async fn review_log(&self, hit_id: &str) -> StoreResult<ReviewLog>;
}
