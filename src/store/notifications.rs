//! The notification half of the persistence port: HIT types' notification
//! settings, the outbox of events and their deliveries.
//!
//! Events are written by the store methods that change state, inside their
//! own transaction (see `event_sql::emit_for_hit` and its callers in
//! `hit_sql`), so a state change and its events commit or roll back
//! together. A dispatcher claims deliveries with a lease, so two instances
//! on one database never deliver one event at the same time.

use async_trait::async_trait;

use crate::domain::ids::RequesterId;
use crate::domain::notification::{
    ClaimedDelivery, Event, EventFilter, EventRecord, NotificationSetting, NotificationSpec,
};
use crate::domain::time::Timestamp;

use super::{Page, Paged, StoreResult};

/// How one delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The destination took it.
    Delivered,
    /// It failed; try again at `next_attempt_at` (wall time).
    Retry {
        /// What went wrong.
        error: String,
        /// When to try again.
        next_attempt_at: Timestamp,
    },
    /// It failed for the last time.
    Failed {
        /// What went wrong.
        error: String,
    },
    /// Not attempted (an earlier delivery to the same destination failed):
    /// give the claim back untouched.
    Released,
}

/// Notification settings and the outbox.
#[async_trait]
pub trait NotificationStore: Send + Sync {
    /// A HIT type's stored setting.
    async fn notification_setting(&self, hit_type_id: &str) -> StoreResult<Option<NotificationSetting>>;

    /// Stores a HIT type's setting (replacing the stored one). A new setting
    /// looks for clock-driven events from `now` on.
    async fn put_notification_setting(
        &self,
        setting: &NotificationSetting,
        requester: &str,
        now: Timestamp,
    ) -> StoreResult<()>;

    /// Records a test event (its `id` is ignored) with one delivery to
    /// `spec`'s destination; returns the event's `EventDocId`.
    async fn insert_test_event(&self, event: &Event, spec: &NotificationSpec) -> StoreResult<String>;

    /// Events matching `filter` with their deliveries, oldest first.
    async fn events(&self, filter: &EventFilter) -> StoreResult<Vec<EventRecord>>;

    /// A requester's events with their deliveries, newest first, a keyed
    /// page (by sequence number and id) at a time.
    async fn requester_events(&self, requester: &RequesterId, page: Page) -> StoreResult<Paged<EventRecord>>;

    /// Whether any HIT type has an active setting.
    async fn any_active_notifications(&self) -> StoreResult<bool>;

    /// Records the clock-driven events that came due up to `now` (emulated
    /// time) for every HIT type with an active setting: AssignmentAbandoned
    /// at each passed deadline, HITExpired at each passed expiration, and
    /// HITReviewable for the HITs they leave Reviewable. Returns how many.
    async fn settle_timed_events(&self, now: Timestamp) -> StoreResult<u64>;

    /// Claims up to `limit` pending deliveries that are due at `wall_now`
    /// for `owner` until `wall_now + lease_ms`: each the oldest pending one
    /// of its destination or following such a claimed one, so that the
    /// deliveries to one destination go in order, one dispatcher at a time.
    async fn claim_deliveries(
        &self,
        owner: &str,
        wall_now: Timestamp,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<ClaimedDelivery>>;

    /// Records how attempts at deliveries claimed by `owner` ended (by
    /// `seq`), in one transaction; a delivery whose claim was lost (it
    /// expired and another took it, or a reset) is left alone. Returns how
    /// many were recorded.
    async fn finish_deliveries(
        &self,
        owner: &str,
        outcomes: &[(i64, DeliveryOutcome)],
        wall_now: Timestamp,
    ) -> StoreResult<u64>;

    /// Woken after a commit that wrote events, so a dispatcher can start at once.
    fn events_signal(&self) -> std::sync::Arc<tokio::sync::Notify>;
}
