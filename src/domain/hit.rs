//! HIT types, HITs and assignments, with the state rules of the real
//! service (legacy-api.md §8, modern-api.md §2 "HITs" and "Assignments").
//!
//! ```text
//! HIT:        Assignable ⇄ Unassignable (all slots taken) ──expired or all submitted──► Reviewable ⇄ Reviewing ──delete──► Disposed
//! assignment: Accepted ──submit──► Submitted ──approve/auto-approve──► Approved
//!                │                    └──reject──► Rejected ──approve with OverrideRejection──► Approved
//!                ├──return──► Returned          (Returned and Abandoned free the slot again)
//!                └──deadline passes──► Abandoned
//! ```
//!
//! Time-driven transitions (expiry, abandonment) are computed from the
//! virtual clock on every read; auto-approval is settled by `ops` before
//! anything reads assignments or money, so it happens exactly when the clock
//! passes `AutoApprovalTime`.

use super::ids::{RequesterId, WorkerId};
use super::requirement::QualificationRequirement;
use super::time::Timestamp;

/// A HIT type: the properties HITs share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HitType {
    /// Id (30 characters).
    pub id: String,
    /// Owner.
    pub owner: RequesterId,
    /// Title (≤ 128 characters).
    pub title: String,
    /// Description (≤ 2000).
    pub description: String,
    /// Keywords (≤ 1000).
    pub keywords: Option<String>,
    /// Reward per assignment, in cents.
    pub reward_cents: i64,
    /// Seconds a worker has after accepting.
    pub assignment_duration_secs: i64,
    /// Seconds after submission before automatic approval.
    pub auto_approval_delay_secs: i64,
    /// Requirements a worker must meet.
    pub requirements: Vec<QualificationRequirement>,
    /// Creation time.
    pub creation_time: Timestamp,
}

/// Where a HIT stands, as the wire shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitStatus {
    /// Workers can accept it.
    Assignable,
    /// Every slot is taken by a pending assignment.
    Unassignable,
    /// Expired, or all assignments submitted.
    Reviewable,
    /// Marked by the requester.
    Reviewing,
    /// Deleted.
    Disposed,
}

impl HitStatus {
    /// The wire spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Assignable => "Assignable",
            Self::Unassignable => "Unassignable",
            Self::Reviewable => "Reviewable",
            Self::Reviewing => "Reviewing",
            Self::Disposed => "Disposed",
        }
    }
}

/// A HIT as stored, with its type and its assignment counts at some instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Id.
    pub id: String,
    /// Its type.
    pub hit_type: HitType,
    /// The question document, verbatim.
    pub question: String,
    /// Slots.
    pub max_assignments: i64,
    /// When it stops being available.
    pub expiration: Timestamp,
    /// Requester-only note.
    pub requester_annotation: Option<String>,
    /// Creation time.
    pub creation_time: Timestamp,
    /// Set by UpdateHITReviewStatus.
    pub reviewing: bool,
    /// Set by DeleteHIT.
    pub disposed: bool,
    /// Accepted, not submitted, deadline not passed.
    pub pending: i64,
    /// Submitted, awaiting review.
    pub submitted: i64,
    /// Approved or rejected.
    pub completed: i64,
}

impl Hit {
    /// Slots still open at `now` (none once expired).
    #[must_use]
    pub fn available(&self, now: Timestamp) -> i64 {
        if now >= self.expiration {
            return 0;
        }
        (self.max_assignments - self.pending - self.submitted - self.completed).max(0)
    }

    /// The status at `now`.
    #[must_use]
    pub fn status(&self, now: Timestamp) -> HitStatus {
        if self.disposed {
            HitStatus::Disposed
        } else if self.reviewing {
            HitStatus::Reviewing
        } else if self.available(now) > 0 {
            HitStatus::Assignable
        } else if self.pending > 0 {
            HitStatus::Unassignable
        } else {
            HitStatus::Reviewable
        }
    }
}

/// An assignment's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignmentStatus {
    /// Accepted, being worked on.
    Accepted,
    /// Submitted, awaiting review.
    Submitted,
    /// Approved (and paid).
    Approved,
    /// Rejected.
    Rejected,
    /// Given back by the worker.
    Returned,
    /// The deadline passed before submission.
    Abandoned,
}

impl AssignmentStatus {
    /// The stored spelling (the wire shows only the last three of the first four).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "Accepted",
            Self::Submitted => "Submitted",
            Self::Approved => "Approved",
            Self::Rejected => "Rejected",
            Self::Returned => "Returned",
            Self::Abandoned => "Abandoned",
        }
    }

    /// Parses the stored spelling.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "Accepted" => Self::Accepted,
            "Submitted" => Self::Submitted,
            "Approved" => Self::Approved,
            "Rejected" => Self::Rejected,
            "Returned" => Self::Returned,
            "Abandoned" => Self::Abandoned,
            _ => return None,
        })
    }
}

/// An assignment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// Id.
    pub id: String,
    /// The HIT.
    pub hit_id: String,
    /// The worker.
    pub worker_id: WorkerId,
    /// State as stored (see [`Assignment::status_at`]).
    pub status: AssignmentStatus,
    /// When accepted.
    pub accept_time: Timestamp,
    /// Accept time plus the assignment duration.
    pub deadline: Timestamp,
    /// When submitted.
    pub submit_time: Option<Timestamp>,
    /// When it is approved automatically.
    pub auto_approval_time: Option<Timestamp>,
    /// When approved.
    pub approval_time: Option<Timestamp>,
    /// When rejected.
    pub rejection_time: Option<Timestamp>,
    /// QuestionFormAnswers.
    pub answer: Option<String>,
    /// From approve or reject.
    pub requester_feedback: Option<String>,
}

impl Assignment {
    /// The status at `now`: an accepted assignment past its deadline is abandoned.
    #[must_use]
    pub fn status_at(&self, now: Timestamp) -> AssignmentStatus {
        if self.status == AssignmentStatus::Accepted && now > self.deadline {
            AssignmentStatus::Abandoned
        } else {
            self.status
        }
    }
}

/// MTurk's commission on a reward, in cents: 20%, or 40% for HITs with ten
/// or more assignments, at least one cent (the published 2015 fee schedule).
#[must_use]
pub fn reward_fee_cents(reward_cents: i64, max_assignments: i64) -> i64 {
    let pct = if max_assignments >= 10 { 40 } else { 20 };
    if reward_cents == 0 {
        0
    } else {
        ((reward_cents * pct + 99) / 100).max(1)
    }
}

/// MTurk's commission on a bonus, in cents: 20%, at least one cent.
#[must_use]
pub fn bonus_fee_cents(bonus_cents: i64) -> i64 {
    if bonus_cents == 0 {
        0
    } else {
        ((bonus_cents * 20 + 99) / 100).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(max: i64, pending: i64, submitted: i64, completed: i64) -> Hit {
        Hit {
            id: "H".into(),
            hit_type: HitType {
                id: "T".into(),
                owner: RequesterId::from_stored("R".into()),
                title: "t".into(),
                description: "d".into(),
                keywords: None,
                reward_cents: 50,
                assignment_duration_secs: 60,
                auto_approval_delay_secs: 60,
                requirements: vec![],
                creation_time: Timestamp::from_millis(0),
            },
            question: String::new(),
            max_assignments: max,
            expiration: Timestamp::from_millis(10_000),
            requester_annotation: None,
            creation_time: Timestamp::from_millis(0),
            reviewing: false,
            disposed: false,
            pending,
            submitted,
            completed,
        }
    }

    #[test]
    fn hit_status_follows_slots_and_expiry() {
        let before = Timestamp::from_millis(1);
        let after = Timestamp::from_millis(10_000);
        assert_eq!(hit(2, 1, 0, 0).status(before), HitStatus::Assignable);
        assert_eq!(hit(2, 1, 1, 0).status(before), HitStatus::Unassignable);
        assert_eq!(hit(2, 0, 1, 1).status(before), HitStatus::Reviewable);
        assert_eq!(hit(2, 0, 0, 0).status(after), HitStatus::Reviewable);
        assert_eq!(hit(2, 1, 0, 0).status(after), HitStatus::Unassignable);
    }

    #[test]
    fn fees_follow_the_schedule() {
        assert_eq!(reward_fee_cents(50, 1), 10);
        assert_eq!(reward_fee_cents(50, 10), 20);
        assert_eq!(reward_fee_cents(1, 1), 1);
        assert_eq!(reward_fee_cents(0, 1), 0);
        assert_eq!(bonus_fee_cents(100), 20);
    }
}

/// A bonus as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bonus {
    /// Id.
    pub id: String,
    /// Who paid.
    pub requester: RequesterId,
    /// Who got it.
    pub worker_id: WorkerId,
    /// For which assignment.
    pub assignment_id: String,
    /// Of which HIT.
    pub hit_id: String,
    /// Amount in cents (the fee is not included).
    pub amount_cents: i64,
    /// Why (shown to the worker).
    pub reason: String,
    /// When.
    pub grant_time: Timestamp,
}

/// What a payment paid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentKind {
    /// An approved assignment's reward.
    Reward,
    /// A bonus.
    Bonus,
}

impl PaymentKind {
    /// The name the console shows.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Reward => "Reward",
            Self::Bonus => "Bonus",
        }
    }
}

/// Money a requester's balance paid to a worker: an approved assignment's
/// reward (when it was approved, by the requester, a policy or the
/// auto-approval delay) or a bonus (when it was granted). The balance paid
/// MTurk's fee on top ([`Payment::fee_cents`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// Reward or bonus.
    pub kind: PaymentKind,
    /// The assignment's id for a reward, the bonus's id for a bonus.
    pub id: String,
    /// When it was paid.
    pub time: Timestamp,
    /// Who was paid.
    pub worker_id: WorkerId,
    /// The HIT.
    pub hit_id: String,
    /// The assignment paid for.
    pub assignment_id: String,
    /// The amount the worker got, in cents.
    pub amount_cents: i64,
    /// The HIT's number of assignments, which sets a reward's fee.
    pub hit_max_assignments: i64,
    /// A bonus's reason.
    pub reason: Option<String>,
}

impl Payment {
    /// MTurk's fee on it, as the balance paid it ([`reward_fee_cents`],
    /// [`bonus_fee_cents`]).
    #[must_use]
    pub fn fee_cents(&self) -> i64 {
        match self.kind {
            PaymentKind::Reward => reward_fee_cents(self.amount_cents, self.hit_max_assignments),
            PaymentKind::Bonus => bonus_fee_cents(self.amount_cents),
        }
    }
}
