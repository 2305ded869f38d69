//! The HIT half of the persistence port: HIT types, HITs, assignments,
//! worker profiles and the money they move. Same rules as [`super::Store`]:
//! use-case sized methods, one transaction each, compare-and-set transitions.

use async_trait::async_trait;

pub use crate::domain::hit::Bonus;
use crate::domain::hit::{Assignment, AssignmentStatus, Hit, HitType, Payment};
use crate::domain::ids::RequesterId;
use crate::domain::review::HitReviewPolicies;
use crate::domain::time::Timestamp;
pub use crate::domain::worker::WorkerProfile;

use super::{Page, Paged, StoreResult};

/// Counts of a worker's assignments, for the computed system qualifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WorkerHistory {
    /// Every assignment ever accepted.
    pub accepted: i64,
    /// Submitted at some point (submitted, approved, rejected).
    pub submitted: i64,
    /// Approved.
    pub approved: i64,
    /// Rejected.
    pub rejected: i64,
    /// Returned.
    pub returned: i64,
    /// Abandoned (deadline passed).
    pub abandoned: i64,
}

/// What an accept attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptOutcome {
    /// The assignment was created.
    Accepted,
    /// No open slot (all taken, or the HIT expired meanwhile).
    NoSlot,
    /// The worker already has a live assignment for this HIT.
    AlreadyAccepted,
}

/// A requester-side decision on a submitted (or rejected) assignment.
#[derive(Debug, Clone)]
pub struct Review {
    /// The assignment.
    pub id: String,
    /// The state it must still be in.
    pub from: AssignmentStatus,
    /// Approved or Rejected.
    pub to: AssignmentStatus,
    /// When.
    pub now: Timestamp,
    /// Feedback for the worker.
    pub feedback: Option<String>,
    /// Cents to take from `payer` (reward plus fee) when approving.
    pub cost_cents: i64,
    /// Whose balance pays.
    pub payer: RequesterId,
}

/// What a review did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewOutcome {
    /// Done.
    Done,
    /// The assignment was not in `from` any more.
    WrongState,
    /// The payer's balance does not cover the cost; nothing changed.
    InsufficientFunds,
}

/// What a list of reviews in one transaction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewsOutcome {
    /// Every review was done.
    Done,
    /// The review at `index` could not be done, for `outcome`; none was.
    Failed {
        /// Its position in the list.
        index: usize,
        /// Why (never `Done`).
        outcome: ReviewOutcome,
    },
}

/// What a money-moving, token-guarded write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaidOutcome {
    /// Done.
    Done,
    /// The balance does not cover it; nothing changed.
    InsufficientFunds,
    /// The UniqueRequestToken was used before; nothing changed.
    DuplicateToken,
}

/// ExtendHIT / CreateAdditionalAssignmentsForHIT: more time and/or more
/// assignments, committed together or not at all.
#[derive(Debug, Clone)]
pub struct Extension<'a> {
    /// The HIT.
    pub hit_id: &'a str,
    /// Its owner (the idempotency token is the owner's).
    pub owner: &'a RequesterId,
    /// The new expiration, if it changes.
    pub expiration: Option<Timestamp>,
    /// Assignments to add, if any. A HIT with fewer than 10 assignments is
    /// never taken to 10 or more (the fee changes at 10): the store checks
    /// it again in the update, against the count of that moment.
    pub more_assignments: Option<i64>,
    /// CreateAdditionalAssignmentsForHIT's UniqueRequestToken.
    pub token: Option<&'a str>,
    /// When (for the token's record).
    pub now: Timestamp,
}

/// What an extension did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtendOutcome {
    /// Done.
    Done,
    /// The UniqueRequestToken was used before; nothing changed.
    DuplicateToken,
    /// The HIT was disposed, or other assignments took it past the 10
    /// rule, since the caller looked; nothing changed.
    Changed,
}

/// What DisableHIT did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisableOutcome {
    /// Expired, every submitted assignment approved and paid, disposed.
    Done,
    /// The HIT was disposed already; nothing changed.
    Disposed,
    /// The payer cannot pay every submitted assignment; nothing changed.
    InsufficientFunds {
        /// What approving them all costs, fees included.
        cost_cents: i64,
        /// The payer's balance.
        balance_cents: i64,
    },
}

/// The review mark of a HIT (UpdateHITReviewStatus).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewMark {
    /// Marked Reviewing.
    Reviewing,
    /// Not marked (Reviewable, or whatever its counts make it).
    Unmarked,
}

/// Whose bonuses to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BonusesOf<'a> {
    /// Every bonus paid for assignments of this HIT.
    Hit(&'a str),
    /// The bonuses of one assignment.
    Assignment(&'a str),
}

/// HIT listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HitFilter {
    /// The owner's HITs that are not disposed.
    Owner(RequesterId),
    /// The owner's HITs that require a qualification type.
    Qualification(RequesterId, String),
    /// The owner's HITs ready for review (ListReviewableHITs), optionally of
    /// one HIT type: those marked Reviewing, or the unmarked ones that are
    /// Reviewable at `now` (neither assignable nor with work in progress).
    Review {
        /// The owner.
        owner: RequesterId,
        /// Only HITs of this HIT type.
        hit_type: Option<String>,
        /// Which mark.
        mark: ReviewMark,
    },
    /// Every HIT of every requester that a worker could accept now (live,
    /// unexpired, with a free slot), in `order`; a page after a cursor
    /// starts after the HIT with that key: (creation time, id), after the
    /// reward in cents when the order is by reward.
    Marketplace {
        /// The listing's order.
        order: MarketOrder,
    },
    /// The open HITs of one HIT type (a HIT group), as
    /// [`HitFilter::Marketplace`] keeps them, oldest first: (creation time, id).
    Group {
        /// The HIT type.
        hit_type: String,
    },
}

/// The orders of the marketplace listing. Each ends with creation time and
/// id, so that every HIT has one place and a page can start after another.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MarketOrder {
    /// Oldest first (creation time, id): the default, and the indexed one.
    #[default]
    Oldest,
    /// Newest first.
    Newest,
    /// Highest reward first (ties newest first).
    HighestReward,
    /// Lowest reward first (ties oldest first).
    LowestReward,
}

/// Where a page of the marketplace ended: the last HIT's sort key (its
/// creation time in milliseconds, or its reward in cents), creation time and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketCursor {
    /// The order's key of the last HIT.
    pub key: i64,
    /// Its creation time.
    pub time: Timestamp,
    /// Its id.
    pub id: String,
}

/// Persistence of HITs and assignments.
#[async_trait]
pub trait HitStore: Send + Sync {
    /// Inserts a HIT type, or returns the id of the owner's existing type with
    /// the same `fingerprint`.
    async fn insert_hit_type(&self, hit_type: &HitType, fingerprint: &str) -> StoreResult<String>;

    /// A HIT type by id.
    async fn hit_type(&self, id: &str) -> StoreResult<Option<HitType>>;

    /// Inserts a HIT with its review policies. `Conflict` carries the
    /// existing HIT's id when the owner already used `unique_request_token`.
    async fn insert_hit(
        &self,
        hit: &Hit,
        unique_request_token: Option<&str>,
        policies: &HitReviewPolicies,
    ) -> StoreResult<()>;

    /// A HIT with its counts at `now`.
    async fn hit(&self, id: &str, now: Timestamp) -> StoreResult<Option<Hit>>;

    /// HITs matching `filter`, oldest first, with counts at `now`.
    async fn hits(&self, filter: &HitFilter, now: Timestamp, page: Page) -> StoreResult<Paged<Hit>>;

    /// The HIT groups of the marketplace: the HIT types with at least one
    /// HIT a worker could accept at `now` (live, not under review, unexpired,
    /// with a free slot), in `order`, keyed by (creation time, id) after the
    /// reward in cents when the order is by reward (see [`MarketCursor`]).
    /// `search`, when given, keeps the types whose title, description or
    /// keywords contain it, case-insensitively (ASCII case on SQLite).
    async fn hit_groups(
        &self,
        search: Option<&str>,
        order: MarketOrder,
        now: Timestamp,
        page: Page,
    ) -> StoreResult<Paged<HitType>>;

    /// For each of `hit_types`, how many of its HITs `worker` could accept at
    /// `now`: open (as in [`HitStore::hit_groups`]) and without an assignment
    /// of the worker's in progress or submitted. Types with none are absent.
    async fn group_available(
        &self,
        hit_types: &[String],
        worker: &str,
        now: Timestamp,
    ) -> StoreResult<Vec<(String, i64)>>;

    /// The oldest HIT of `hit_type` that `worker` could accept at `now` (as
    /// [`HitStore::group_available`] counts them), other than `skip`.
    async fn next_group_hit(
        &self,
        hit_type: &str,
        worker: &str,
        now: Timestamp,
        skip: &[String],
    ) -> StoreResult<Option<String>>;

    /// Moves a live HIT's review mark to `to`; false if it was not in the
    /// other mark (or is disposed).
    async fn set_reviewing(&self, hit_id: &str, to: ReviewMark) -> StoreResult<bool>;

    /// Changes a HIT's expiration; false if the HIT is disposed. An
    /// expiration at or before `now` records HITExpired (and HITReviewable
    /// when nothing is in progress), a later one than before HITExtended.
    async fn set_expiration(&self, hit_id: &str, expiration: Timestamp, now: Timestamp) -> StoreResult<bool>;

    /// Disposes a HIT that has nothing left in progress or to review at
    /// `now` and is Reviewable or Reviewing (DeleteHIT); false otherwise.
    async fn dispose_hit(&self, hit_id: &str, now: Timestamp) -> StoreResult<bool>;

    /// DisableHIT in one transaction: expires the HIT at `now`, approves every
    /// submitted assignment and takes reward plus fee for each from `payer`
    /// (all or nothing), and disposes the HIT.
    async fn disable_hit(&self, hit_id: &str, payer: &RequesterId, now: Timestamp) -> StoreResult<DisableOutcome>;

    /// Extends a live HIT (more time, more assignments, or both) in one
    /// transaction, unless the token was used before.
    async fn extend_hit(&self, extension: &Extension<'_>) -> StoreResult<ExtendOutcome>;

    /// Moves a live HIT to another HIT type; false if the HIT is disposed.
    async fn change_hit_type(&self, hit_id: &str, hit_type_id: &str) -> StoreResult<bool>;
}

/// Assignments, their review, automatic approval and bonuses.
#[async_trait]
pub trait AssignmentStore: Send + Sync {
    /// Creates `assignment` if the HIT still has a slot and the worker has
    /// no live assignment for it (serialized per HIT).
    async fn accept(&self, assignment: &Assignment, max_assignments: i64, now: Timestamp)
        -> StoreResult<AcceptOutcome>;

    /// An assignment by id.
    async fn assignment(&self, id: &str) -> StoreResult<Option<Assignment>>;

    /// A HIT's assignments in `statuses` (as stored), oldest first.
    async fn assignments_for_hit(
        &self,
        hit_id: &str,
        statuses: &[AssignmentStatus],
        page: Page,
    ) -> StoreResult<Paged<Assignment>>;

    /// Accepted → Submitted if the worker's deadline has not passed.
    async fn submit(&self, id: &str, answer: &str, now: Timestamp, auto_approval_time: Timestamp) -> StoreResult<bool>;

    /// Accepted → Returned if the deadline has not passed.
    async fn return_assignment(&self, id: &str, now: Timestamp) -> StoreResult<bool>;

    /// Approves or rejects, paying on approval, atomically.
    async fn review(&self, review: &Review) -> StoreResult<ReviewOutcome>;

    /// Every review of `reviews` in one transaction, in order, each as
    /// [`AssignmentStore::review`] does it: all of them, or none.
    async fn review_all(&self, reviews: &[Review]) -> StoreResult<ReviewsOutcome>;

    /// Approves every submitted assignment whose auto-approval time has come,
    /// paying each HIT owner; returns how many.
    async fn settle_auto_approvals(&self, now: Timestamp) -> StoreResult<u64>;

    /// Records a bonus and takes `cost_cents` from the payer, unless the
    /// token was used before for SendBonus.
    async fn grant_bonus(&self, bonus: &Bonus, cost_cents: i64, token: Option<&str>) -> StoreResult<PaidOutcome>;

    /// Bonuses of a HIT or of an assignment, oldest first.
    async fn bonuses(&self, of: BonusesOf<'_>, page: Page) -> StoreResult<Paged<Bonus>>;

    /// What `requester` paid workers, newest first: the reward of every
    /// approved assignment of its HITs (at its approval time) and every
    /// bonus it granted, keyed by (time, id, kind).
    async fn payments(&self, requester: &RequesterId, page: Page) -> StoreResult<Paged<Payment>>;
}
