//! The requester's review of assignments and the money that moves with it:
//! listing and reading assignments, approval (with MTurk's fee), rejection,
//! bonuses (modern-api.md §2 "Assignments", "Bonuses").

use crate::domain::hit::{reward_fee_cents, Assignment, AssignmentStatus, Hit};
use crate::domain::ids::{AssignmentId, HitId, WorkerId};
use crate::domain::money::Money;
use crate::error::{MturkError, Result};
use crate::mturk_error;
use crate::store::hits::{Bonus, BonusesOf, PaidOutcome, Review, ReviewOutcome};
use crate::store::{Page, Paged};

use super::account::insufficient_funds;
use super::hits::{check_token, duplicate_token, load_owned_hit, owned_hit};
use super::qualifications::check_len;
use super::{internal, settle, Ctx};

/// Input of ListAssignmentsForHIT / GetAssignmentsForHIT.
#[derive(Debug, Clone)]
pub struct AssignmentListing {
    /// The HIT.
    pub hit_id: HitId,
    /// Only these statuses; none means Submitted, Approved and Rejected.
    pub statuses: Vec<AssignmentStatus>,
    /// Which page.
    pub page: Page,
}

/// ListAssignmentsForHIT / GetAssignmentsForHIT. Accepted-but-unsubmitted
/// work never appears.
///
/// # Errors
/// Ownership errors.
pub async fn list_assignments(ctx: &Ctx, listing: AssignmentListing) -> Result<Paged<Assignment>> {
    let AssignmentListing { hit_id, statuses, page } = listing;
    let hit_id = hit_id.as_str();
    owned_hit(ctx, hit_id).await?;
    let wanted: Vec<AssignmentStatus> = if statuses.is_empty() {
        vec![AssignmentStatus::Submitted, AssignmentStatus::Approved, AssignmentStatus::Rejected]
    } else {
        statuses
    };
    ctx.store.assignments_for_hit(hit_id, &wanted, page).await.map_err(internal)
}

pub(super) fn assignment_does_not_exist(id: &str) -> MturkError {
    mturk_error!(AssignmentDoesNotExist, "Assignment {id} does not exist.").with_data("AssignmentId", id)
}

/// GetAssignment: a submitted (or reviewed) assignment of one of the caller's HITs, with its HIT.
///
/// # Errors
/// `AssignmentDoesNotExist`, `PermissionDenied`.
pub async fn get_assignment(ctx: &Ctx, id: AssignmentId) -> Result<(Assignment, Hit)> {
    settled_assignment(ctx, id.as_str()).await
}

pub(super) async fn settled_assignment(ctx: &Ctx, id: &str) -> Result<(Assignment, Hit)> {
    settle(&ctx.worker()).await?;
    load_assignment(ctx, id).await
}

/// [`get_assignment`] for a use case that has settled already.
pub(super) async fn load_assignment(ctx: &Ctx, id: &str) -> Result<(Assignment, Hit)> {
    let a = ctx.store.assignment(id).await.map_err(internal)?.ok_or_else(|| assignment_does_not_exist(id))?;
    let hit = load_owned_hit(ctx, &a.hit_id).await?;
    if matches!(
        a.status_at(ctx.now),
        AssignmentStatus::Accepted | AssignmentStatus::Returned | AssignmentStatus::Abandoned
    ) {
        // Work in progress or given up is not the requester's to see.
        return Err(assignment_does_not_exist(id));
    }
    Ok((a, hit))
}

pub(super) fn assignment_state_error(
    a: &Assignment,
    now: crate::domain::time::Timestamp,
    expected: &str,
) -> MturkError {
    mturk_error!(
        InvalidAssignmentState,
        "This operation can be called with a status of: {expected} (assignment {} is {}).",
        a.id,
        a.status_at(now).as_str()
    )
    .with_data("AssignmentId", a.id.as_str())
    .with_data("CurrentState", a.status_at(now).as_str())
}

/// Input of ApproveAssignment and ApproveRejectedAssignment.
#[derive(Debug, Clone)]
pub struct Approval {
    /// The assignment.
    pub assignment_id: AssignmentId,
    /// Shown to the worker; empty is none.
    pub feedback: Option<String>,
    /// Whether a rejected assignment may be approved.
    pub override_rejection: bool,
}

/// ApproveAssignment (and ApproveRejectedAssignment / `OverrideRejection`):
/// Submitted → Approved, or Rejected → Approved within 30 days of submission;
/// pays the reward plus MTurk's fee.
///
/// # Errors
/// State errors, `InsufficientFunds`.
pub async fn approve(ctx: &Ctx, approval: Approval) -> Result<()> {
    settle(&ctx.worker()).await?;
    let (a, hit) = load_assignment(ctx, approval.assignment_id.as_str()).await?;
    let review = approval_review(ctx, &a, &hit, approval)?;
    // The payment needs the payer's row (another instance's reset may have removed it).
    super::account::ensure_account(ctx).await?;
    match ctx.store.review(&review).await.map_err(internal)? {
        ReviewOutcome::Done => Ok(()),
        outcome => Err(review_failed(ctx, &a, outcome, review.cost_cents).await),
    }
}

/// The store's change for approving `a` (of `hit`, loaded after settling):
/// the state rules of ApproveAssignment (and `OverrideRejection`), the
/// feedback's, and the cost (reward plus MTurk's fee). Shared by
/// [`approve`] and the reviewed batch CSV, which applies many in one
/// transaction.
///
/// # Errors
/// State errors, feedback too long.
pub(super) fn approval_review(ctx: &Ctx, a: &Assignment, hit: &Hit, approval: Approval) -> Result<Review> {
    let Approval { assignment_id: _, feedback, override_rejection } = approval;
    let feedback = feedback_text(feedback)?;
    let from = match a.status {
        AssignmentStatus::Submitted => AssignmentStatus::Submitted,
        AssignmentStatus::Rejected if override_rejection => {
            let within = a.submit_time.is_some_and(|s| ctx.now <= s.plus_seconds(30 * 86_400));
            if !within || hit.disposed {
                return Err(mturk_error!(
                    InvalidAssignmentState,
                    "A rejection can be overridden only within 30 days of submission and while the HIT exists."
                ));
            }
            AssignmentStatus::Rejected
        }
        _ => {
            return Err(assignment_state_error(
                a,
                ctx.now,
                if override_rejection { "Submitted,Rejected" } else { "Submitted" },
            ))
        }
    };
    let reward = hit.hit_type.reward_cents;
    Ok(Review {
        id: a.id.clone(),
        from,
        to: AssignmentStatus::Approved,
        now: ctx.now,
        feedback,
        cost_cents: reward + reward_fee_cents(reward, hit.max_assignments),
        payer: ctx.caller.clone(),
    })
}

/// The error for a review of `a` the store could not do: the assignment
/// changed state since it was read, or the balance no longer covers
/// `cost_cents` (reported with the balance as it is now).
pub(super) async fn review_failed(ctx: &Ctx, a: &Assignment, outcome: ReviewOutcome, cost_cents: i64) -> MturkError {
    match outcome {
        ReviewOutcome::InsufficientFunds => match super::account::ensure_account(ctx).await {
            Ok(balance) => insufficient_funds(cost_cents, balance),
            Err(e) => e,
        },
        // `Done` is not a failure; it cannot reach here, and reads as the state error.
        ReviewOutcome::WrongState | ReviewOutcome::Done => {
            // Read again, so that the error names the state that won the race.
            match ctx.store.assignment(&a.id).await {
                Ok(Some(now)) => assignment_state_error(&now, ctx.now, "Submitted"),
                Ok(None) => assignment_does_not_exist(&a.id),
                Err(e) => internal(e),
            }
        }
    }
}

/// `RequesterFeedback` as stored: at most 1,024 characters, and an empty
/// text is no feedback. The model gives the member no minimum length, and
/// oTree and psiTurk reject with `RequesterFeedback: ""` (the JSON API requires
/// the member on RejectAssignment); the legacy API reads an empty parameter as
/// absent, so both faces store the same nothing.
fn feedback_text(feedback: Option<String>) -> Result<Option<String>> {
    match feedback {
        Some(f) if f.is_empty() => Ok(None),
        Some(f) => {
            check_len("RequesterFeedback", &f, 1024)?;
            Ok(Some(f))
        }
        None => Ok(None),
    }
}

/// Input of RejectAssignment.
#[derive(Debug, Clone)]
pub struct Rejection {
    /// The assignment.
    pub assignment_id: AssignmentId,
    /// Shown to the worker; empty is none.
    pub feedback: Option<String>,
}

/// RejectAssignment: Submitted → Rejected, with feedback for the worker.
///
/// # Errors
/// State errors.
pub async fn reject(ctx: &Ctx, rejection: Rejection) -> Result<()> {
    let (a, _) = settled_assignment(ctx, rejection.assignment_id.as_str()).await?;
    let review = rejection_review(ctx, &a, rejection)?;
    match ctx.store.review(&review).await.map_err(internal)? {
        ReviewOutcome::Done => Ok(()),
        outcome => Err(review_failed(ctx, &a, outcome, 0).await),
    }
}

/// The store's change for rejecting `a` (loaded after settling): the state
/// rule of RejectAssignment and the feedback's. Shared by [`reject`] and the
/// reviewed batch CSV.
///
/// # Errors
/// State errors, feedback too long.
pub(super) fn rejection_review(ctx: &Ctx, a: &Assignment, rejection: Rejection) -> Result<Review> {
    let feedback = feedback_text(rejection.feedback)?;
    if a.status != AssignmentStatus::Submitted {
        return Err(assignment_state_error(a, ctx.now, "Submitted"));
    }
    Ok(Review {
        id: a.id.clone(),
        from: AssignmentStatus::Submitted,
        to: AssignmentStatus::Rejected,
        now: ctx.now,
        feedback,
        cost_cents: 0,
        payer: ctx.caller.clone(),
    })
}

/// Input of SendBonus / GrantBonus.
#[derive(Debug, Clone)]
pub struct BonusGrant {
    /// Who gets it.
    pub worker_id: WorkerId,
    /// How much (the fee comes on top).
    pub amount: Money,
    /// For which of the worker's assignments.
    pub assignment_id: AssignmentId,
    /// Why, shown to the worker; may be empty.
    pub reason: String,
    /// Idempotency token.
    pub token: Option<String>,
}

/// SendBonus / GrantBonus: pays `amount` plus MTurk's 20% fee to the worker
/// of one of the caller's assignments.
///
/// # Errors
/// Unknown or foreign assignment, wrong worker, `InsufficientFunds`, reused token.
pub async fn send_bonus(ctx: &Ctx, grant: BonusGrant) -> Result<()> {
    let BonusGrant { worker_id, amount, assignment_id, reason, token } = grant;
    let (worker, assignment_id, amount_cents, token) =
        (&worker_id, assignment_id.as_str(), amount.cents(), token.as_deref());
    check_len("Reason", &reason, 4096)?;
    check_token(token)?;
    if amount_cents <= 0 {
        return Err(mturk_error!(InvalidParameterValue, "The bonus amount must be greater than zero."));
    }
    let (a, hit) = settled_assignment(ctx, assignment_id).await?;
    if &a.worker_id != worker {
        return Err(mturk_error!(InvalidParameterValue, "Assignment {assignment_id} was not done by worker {worker}."));
    }
    let bonus = Bonus {
        id: format!("3{}", ctx.ids.alphanumeric(29)),
        requester: ctx.caller.clone(),
        worker_id: worker.clone(),
        assignment_id: a.id.clone(),
        hit_id: hit.id.clone(),
        amount_cents,
        reason,
        grant_time: ctx.now,
    };
    let cost = amount_cents + crate::domain::hit::bonus_fee_cents(amount_cents);
    // The payment needs the payer's row (another instance's reset may have removed it).
    super::account::ensure_account(ctx).await?;
    match ctx.store.grant_bonus(&bonus, cost, token).await.map_err(internal)? {
        PaidOutcome::Done => Ok(()),
        PaidOutcome::DuplicateToken => Err(duplicate_token()),
        PaidOutcome::InsufficientFunds => {
            let balance = super::account::ensure_account(ctx).await?;
            Err(insufficient_funds(cost, balance))
        }
    }
}

/// Input of ListBonusPayments / GetBonusPayments.
#[derive(Debug, Clone)]
pub struct BonusListing {
    /// The HIT's bonuses.
    pub hit_id: Option<HitId>,
    /// The assignment's bonuses.
    pub assignment_id: Option<AssignmentId>,
    /// Which page.
    pub page: Page,
}

/// ListBonusPayments / GetBonusPayments: by HIT or by assignment (exactly one).
///
/// # Errors
/// Neither or both given; ownership errors.
pub async fn list_bonuses(ctx: &Ctx, listing: BonusListing) -> Result<Paged<Bonus>> {
    let BonusListing { hit_id, assignment_id, page } = listing;
    match (hit_id.as_ref().map(HitId::as_str), assignment_id.as_ref().map(AssignmentId::as_str)) {
        (Some(h), None) => {
            owned_hit(ctx, h).await?;
            ctx.store.bonuses(BonusesOf::Hit(h), page).await.map_err(internal)
        }
        (None, Some(a)) => {
            settled_assignment(ctx, a).await?;
            ctx.store.bonuses(BonusesOf::Assignment(a), page).await.map_err(internal)
        }
        _ => Err(mturk_error!(InvalidParameterValue, "Give exactly one of HITId and AssignmentId.")),
    }
}
