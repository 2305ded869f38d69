//! Persistence: the [`Store`] trait and its two backends.
//!
//! Methods are use-case sized and each runs in one transaction. State changes
//! are compare-and-set (`UPDATE … WHERE status = 'Granted'` plus a
//! rows-affected check, `INSERT … ON CONFLICT … WHERE`), so two requests
//! racing on one (type, worker) pair can never leave two rows or lose an
//! update. Business rules live in `ops`; the store only guards the transitions.
//!
//! The SQL is written once (`qualification_sql`, `hit_sql`, sharing
//! `sql_store`) against a small statement interface (`db`) that both
//! backends implement: SQLite (embedded, WAL,
//! called on the request's own task through rusqlite, one writer connection
//! with group commit) and PostgreSQL (through sqlx).

pub mod activity;
pub mod batches;
mod db;
mod event_sql;
pub mod files;
mod hit_rows;
mod hit_sql;
pub mod hits;
pub mod notifications;
mod postgres;
mod qualification_rows;
mod qualification_sql;
pub mod review;
mod review_sql;
mod snapshot_sql;
mod sql_store;
mod sqlite;
mod worker_sql;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

pub use crate::domain::paging::{Page, Paged};
pub use crate::domain::qualification::GrantMode;

use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::hit::Assignment;
use crate::domain::ids::{QualificationRequestId, QualificationTypeId, RequesterId, WorkerId};
use crate::domain::qualification::{
    Qualification, QualificationRequest, QualificationStatus, QualificationType, RequestStatus, TypeStatus,
};
use crate::domain::snapshot::{Snapshot, SnapshotName};
use crate::domain::time::Timestamp;
use crate::domain::worker::{WorkerBlock, WorkerNotification, WorkerProfile};
use hits::WorkerHistory;

/// Every table that holds the service's state, each before the tables its
/// foreign keys point at. Reset empties them in this order (keeping the
/// system qualification types and the clock's one row); a snapshot copies
/// each whole; a restore empties them in this order and refills them in
/// the reverse one. `tests/api/reset_every_table.rs` and
/// `tests/api/snapshots.rs` check that this names every table of the schema
/// but the migration runners' and the snapshot storage, so a new table
/// cannot be left out of either.
pub const STATE_TABLES: &[&str] = &[
    "batch_hits",
    "batches",
    "event_deliveries",
    "events",
    "notification_settings",
    "fixture_names",
    "review_actions",
    "review_results",
    "review_policies",
    "file_download_urls",
    "assignment_files",
    "bonus_payments",
    "idempotency_tokens",
    "assignments",
    "hits",
    "hit_type_qualifications",
    "hit_types",
    "worker_profiles",
    "worker_notifications",
    "worker_blocks",
    "qualification_requests",
    "qualifications",
    "qualification_types",
    "requesters",
    "clock",
];

/// What can go wrong in the store, in terms `ops` can map to wire codes.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was hit; carries the id of the existing row if known.
    #[error("conflicts with existing row {existing:?}")]
    Conflict {
        /// Id of the row that already holds the unique value.
        existing: Option<String>,
    },
    /// Anything else: connection loss, a constraint we did not expect, a bug.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Result of store calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// A qualification grant, with what must happen atomically alongside it.
#[derive(Debug, Clone)]
pub struct Grant {
    /// The type.
    pub type_id: QualificationTypeId,
    /// The worker.
    pub worker_id: WorkerId,
    /// The score.
    pub integer_value: i32,
    /// Grant time.
    pub now: Timestamp,
    /// Whether an existing grant may be overwritten.
    pub mode: GrantMode,
    /// A notice to record for the worker in the same transaction.
    pub notification: Option<WorkerNotification>,
}

/// What a grant did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantOutcome {
    /// The worker now holds the qualification as granted.
    Granted,
    /// `GrantMode::IfNotGranted` and the worker already held it.
    AlreadyGranted,
}

/// What a revoke found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeOutcome {
    /// Granted → Revoked.
    Revoked,
    /// The worker never held the qualification.
    NotHeld,
    /// It was revoked already.
    AlreadyRevoked,
}

/// A request decision: move a request from `from` to `to`, optionally with a
/// grant and a notice, all in one transaction.
#[derive(Debug, Clone)]
pub struct RequestDecision {
    /// The request.
    pub id: QualificationRequestId,
    /// The state it must still be in.
    pub from: RequestStatus,
    /// The state it moves to.
    pub to: RequestStatus,
    /// The worker's answers, if this decision records them.
    pub answer: Option<String>,
    /// Submit time to record, if this decision records it.
    pub submit_time: Option<Timestamp>,
    /// Rejection reason.
    pub reason: Option<String>,
    /// The grant that goes with it.
    pub grant: Option<Grant>,
    /// A notice to record for the worker.
    pub notification: Option<WorkerNotification>,
}

/// A sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Smallest first.
    Ascending,
    /// Largest first.
    Descending,
}

/// The order of a qualification request listing; ties go by request id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestOrder {
    /// By submit time.
    SubmitTime(Direction),
    /// By type id, then submit time.
    Type(Direction),
}

/// Filter for type searches.
#[derive(Debug, Clone)]
pub struct TypeSearch {
    /// The caller: sees its own Inactive types.
    pub caller: Option<RequesterId>,
    /// Only the caller's types.
    pub owned_by_caller: bool,
    /// Only requestable types (leaves out the system types).
    pub requestable_only: bool,
    /// Lower-cased substring over name, description and keywords.
    pub query: Option<String>,
    /// By name (then id), in this direction.
    pub order: Direction,
}

/// The persistence port: one trait per aggregate (qualifications, requests,
/// workers, HITs, assignments), and this one for the service as a whole
/// (accounts, the clock, reset). One implementation, `SqlStore` over
/// either backend; `ops` holds it as `Arc<dyn Store>`.
#[async_trait]
pub trait Store:
    QualificationStore
    + RequestStore
    + WorkerStore
    + hits::HitStore
    + hits::AssignmentStore
    + SnapshotStore
    + activity::ActivityStore
    + files::FileStore
    + review::ReviewStore
    + notifications::NotificationStore
    + batches::BatchStore
    + Send
    + Sync
    + std::fmt::Debug
{
    /// `"sqlite"` or `"postgres"`, for logs.
    fn backend(&self) -> &'static str;

    /// Closes every connection (SQLite then checkpoints its write-ahead log).
    async fn close(&self);

    /// Makes sure every configured requester has an account row.
    async fn ensure_requesters(&self, requesters: &[(RequesterId, i64)], now: Timestamp) -> StoreResult<()>;

    /// Empties every table, recreates the configured requesters' accounts and
    /// sets the virtual clock's offset to `clock_offset_ms`, in one transaction.
    /// The seeded-id epoch stays: a seeded server stored the one after its own
    /// at start, so the next start will not take 0, where a reset restarts.
    async fn reset(&self, requesters: &[(RequesterId, i64)], now: Timestamp, clock_offset_ms: i64) -> StoreResult<()>;

    /// The requester's available balance in cents.
    async fn balance_cents(&self, requester: &RequesterId) -> StoreResult<Option<i64>>;

    /// The persisted virtual clock offset.
    async fn clock_offset(&self) -> StoreResult<i64>;

    /// Persists the virtual clock offset.
    async fn set_clock_offset(&self, offset_ms: i64) -> StoreResult<()>;

    /// Takes the next seeded-id epoch: returns the stored one and stores the
    /// one after it, atomically, so two servers starting on one database
    /// take different epochs. 0 on a new store.
    async fn take_id_epoch(&self) -> StoreResult<i64>;

    /// Answers when the database does (a trivial query), for `GET /health`.
    async fn ping(&self) -> StoreResult<()>;
    /// What fixture files created: (section, name, id), in no order.
    async fn fixture_names(&self) -> StoreResult<Vec<(String, String, String)>>;

    /// Records that a fixture entry created `id` (a name already recorded keeps its id).
    async fn record_fixture_name(&self, section: &str, name: &str, id: &str) -> StoreResult<()>;
}

/// Qualification types and the qualifications workers hold.
#[async_trait]
pub trait QualificationStore: Send + Sync {
    /// Inserts a new type. Completes the owner's disposals that are due first,
    /// so their names are free. `Conflict` carries the id of the live type
    /// that already has the name.
    async fn insert_qualification_type(&self, qtype: &QualificationType, now: Timestamp) -> StoreResult<()>;

    /// A stored type by id, whatever its state.
    /// Shared, not copied: on SQLite it usually comes from the cache, and a
    /// type carries its whole Test and AnswerKey.
    async fn qualification_type(&self, id: &QualificationTypeId) -> StoreResult<Option<Arc<QualificationType>>>;

    /// Replaces the mutable fields of a type if it is still in `expected`
    /// state. Returns false if the state changed under us.
    async fn update_qualification_type(&self, qtype: &QualificationType, expected: TypeStatus) -> StoreResult<bool>;

    /// Starts (or, when `due <= now`, completes) a disposal if the type is
    /// still Active or Inactive, and rejects its open requests with `reason`.
    /// Returns false if the type was not in a disposable state.
    async fn dispose_qualification_type(
        &self,
        id: &QualificationTypeId,
        now: Timestamp,
        due: Timestamp,
        reason: &str,
    ) -> StoreResult<bool>;

    /// Active types matching `search` (and the caller's Inactive ones), sorted
    /// by name; Disposing and Disposed types are never listed (spec §4.3 INF).
    async fn search_qualification_types(
        &self,
        search: &TypeSearch,
        page: Page,
    ) -> StoreResult<Paged<QualificationType>>;

    /// A type and the worker's qualification of it (granted or revoked), in
    /// one read: `None` when the type does not exist.
    async fn type_with_qualification(
        &self,
        type_id: &QualificationTypeId,
        worker: &WorkerId,
    ) -> StoreResult<Option<(Arc<QualificationType>, Option<Qualification>)>>;

    /// A worker's qualification of a type, granted or revoked.
    async fn qualification(
        &self,
        type_id: &QualificationTypeId,
        worker: &WorkerId,
    ) -> StoreResult<Option<Qualification>>;

    /// Grants a qualification (see [`GrantMode`]).
    async fn grant(&self, grant: &Grant) -> StoreResult<GrantOutcome>;

    /// Granted → Revoked, recording the reason and a notice for the worker.
    async fn revoke(
        &self,
        type_id: &QualificationTypeId,
        worker: &WorkerId,
        reason: Option<&str>,
        now: Timestamp,
        notification: Option<&WorkerNotification>,
    ) -> StoreResult<RevokeOutcome>;

    /// Changes the value of a granted qualification. False if not granted.
    async fn update_score(&self, type_id: &QualificationTypeId, worker: &WorkerId, value: i32) -> StoreResult<bool>;

    /// The type's qualifications in `status`, oldest grant first.
    async fn qualifications_for_type(
        &self,
        type_id: &QualificationTypeId,
        status: QualificationStatus,
        page: Page,
    ) -> StoreResult<Paged<Qualification>>;

    /// Every qualification a worker holds or held, by type id.
    async fn worker_qualifications(&self, worker: &WorkerId) -> StoreResult<Vec<Qualification>>;
}

/// Workers' qualification requests and their decisions.
#[async_trait]
pub trait RequestStore: Send + Sync {
    /// Records a new request, with the grant it leads to at once (auto-granted
    /// types, answer-key scoring) in the same transaction.
    async fn insert_request(&self, request: &QualificationRequest, grant: Option<&Grant>) -> StoreResult<()>;

    /// A request by id.
    async fn request(&self, id: &QualificationRequestId) -> StoreResult<Option<QualificationRequest>>;

    /// The worker's most recent request for the type.
    async fn latest_request(
        &self,
        type_id: &QualificationTypeId,
        worker: &WorkerId,
    ) -> StoreResult<Option<QualificationRequest>>;

    /// Applies a decision if the request is still in `decision.from`.
    /// Returns false if it moved on meanwhile.
    async fn decide_request(&self, decision: &RequestDecision) -> StoreResult<bool>;

    /// The owner's Submitted requests, optionally of one type.
    async fn submitted_requests(
        &self,
        owner: &RequesterId,
        type_id: Option<&QualificationTypeId>,
        order: RequestOrder,
        page: Page,
    ) -> StoreResult<Paged<QualificationRequest>>;
}

/// Workers as requesters see them: blocks, notices, profiles, histories.
#[async_trait]
pub trait WorkerStore: Send + Sync {
    /// Blocks (or re-blocks with a new reason) a worker.
    async fn block_worker(&self, requester: &RequesterId, block: &WorkerBlock, now: Timestamp) -> StoreResult<()>;

    /// Removes a block; true if there was one.
    async fn unblock_worker(&self, requester: &RequesterId, worker: &WorkerId) -> StoreResult<bool>;

    /// The requester's blocks, oldest first.
    async fn blocks(&self, requester: &RequesterId, page: Page) -> StoreResult<Paged<WorkerBlock>>;

    /// Whether the requester blocks the worker.
    async fn is_blocked(&self, requester: &RequesterId, worker: &WorkerId) -> StoreResult<bool>;

    /// Records notices for workers.
    async fn notify(&self, notifications: &[WorkerNotification]) -> StoreResult<()>;

    /// Whether the worker ever had anything to do with the requester
    /// (a qualification of one of its types, a request, a block, an assignment).
    async fn worker_knows_requester(&self, requester: &RequesterId, worker: &WorkerId) -> StoreResult<bool>;

    /// A worker's notices, oldest first.
    async fn notifications(&self, worker: &WorkerId) -> StoreResult<Vec<WorkerNotification>>;

    /// A worker's profile (default when never set).
    async fn worker_profile(&self, worker: &WorkerId) -> StoreResult<WorkerProfile>;

    /// Replaces a worker's profile.
    async fn set_worker_profile(&self, worker: &WorkerId, profile: &WorkerProfile) -> StoreResult<()>;

    /// Counts of the worker's assignments at `now`.
    async fn worker_history(&self, worker: &WorkerId, now: Timestamp) -> StoreResult<WorkerHistory>;

    /// A worker's assignments, newest first.
    async fn worker_assignments(&self, worker: &WorkerId) -> StoreResult<Vec<Assignment>>;
}

/// What a restore found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreOutcome {
    /// The state is the snapshot's now.
    Restored(Snapshot),
    /// No snapshot has that name.
    NotFound,
    /// The snapshot was taken under another schema (an older or newer
    /// mturk-local migrated this database since): its rows do not fit.
    OtherSchema {
        /// The latest migration when it was taken.
        taken: i64,
        /// The latest migration now.
        current: i64,
    },
}

/// Snapshots of every table of [`STATE_TABLES`], kept in the database
/// itself so that every instance on it can restore them. Each method runs
/// in one transaction; on PostgreSQL a take keeps writers out while it
/// copies (so it sees one state) and a restore keeps everyone out until it
/// commits (so nobody sees half of it).
#[async_trait]
pub trait SnapshotStore: Send + Sync {
    /// Copies every state table under `name`, replacing a snapshot of that name.
    async fn take_snapshot(&self, name: &SnapshotName, created_at: Timestamp) -> StoreResult<Snapshot>;

    /// The snapshots clients took (not [`SnapshotName::internal`] ones), by name.
    async fn snapshots(&self) -> StoreResult<Vec<Snapshot>>;

    /// Replaces the rows of every state table with the snapshot's, and sets
    /// the clock's offset to `offset_for(created_at)`, all or nothing.
    async fn restore_snapshot(
        &self,
        name: &SnapshotName,
        offset_for: &(dyn Fn(Timestamp) -> i64 + Send + Sync),
    ) -> StoreResult<RestoreOutcome>;

    /// Removes a snapshot; false if there was none of that name.
    async fn delete_snapshot(&self, name: &SnapshotName) -> StoreResult<bool>;
}
