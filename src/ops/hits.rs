//! HIT types, HITs and assignments, from both sides: the requester creates,
//! reads and reviews; simulated workers find, accept, submit and return.
//! Rules from modern-api.md §2 ("HITs", "Assignments") and legacy-api.md §5.4.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::documents;
use crate::domain::hit::{reward_fee_cents, Assignment, AssignmentStatus, Hit, HitStatus, HitType};
use crate::domain::ids::{QualificationTypeId, RequesterId, WorkerId};
use crate::domain::qualification::{QualificationStatus, TypeStatus};
use crate::domain::requirement::{GuardedActions, Held, QualificationRequirement, LOCALE_TYPE_ID, MAX_REQUIREMENTS};
use crate::error::{missing_parameter, out_of_range, permission_denied, MturkError, Result};
use crate::mturk_error;
use crate::store::hits::{
    AcceptOutcome, Bonus, BonusesOf, DisableOutcome, ExtendOutcome, Extension, HitFilter, PaidOutcome, Review,
    ReviewMark, ReviewOutcome, WorkerHistory, WorkerProfile,
};
use crate::store::{Page, Paged, StoreError};

use super::qualifications::check_len;
use super::requests::WorkerCtx;
use super::{internal, Ctx};

/// The properties that make a HIT type.
#[derive(Debug, Clone)]
pub struct NewHitType {
    /// ≤ 128 characters.
    pub title: String,
    /// ≤ 2000 characters.
    pub description: String,
    /// ≤ 1000 characters.
    pub keywords: Option<String>,
    /// Reward in cents.
    pub reward_cents: i64,
    /// 30 s to 365 days.
    pub assignment_duration_secs: i64,
    /// 0 to 30 days; default 30 days.
    pub auto_approval_delay_secs: Option<i64>,
    /// At most 10.
    pub requirements: Vec<QualificationRequirement>,
}

/// Default AutoApprovalDelayInSeconds: 30 days.
pub const DEFAULT_AUTO_APPROVAL_SECS: i64 = 2_592_000;

fn check_range(name: &str, value: i64, min: i64, max: i64) -> Result<()> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(out_of_range(name, value, min, max))
    }
}

/// `UniqueRequestToken` (the model's `IdempotencyToken`): 1 to 64 characters.
fn check_token(token: Option<&str>) -> Result<()> {
    match token {
        Some(t) if t.is_empty() || t.len() > 64 => {
            Err(mturk_error!(InvalidParameterValue, "UniqueRequestToken must be 1 to 64 characters long."))
        }
        _ => Ok(()),
    }
}

/// Checks each requirement's shape and that its type exists and is usable.
async fn check_requirements(ctx: &Ctx, reqs: &[QualificationRequirement]) -> Result<()> {
    if reqs.len() > MAX_REQUIREMENTS {
        return Err(mturk_error!(
            InvalidParameterValue,
            "A HIT can have at most {MAX_REQUIREMENTS} QualificationRequirements; {} were given.",
            reqs.len()
        ));
    }
    for r in reqs {
        r.validate()
            .map_err(|why| mturk_error!(InvalidParameterValue, "QualificationRequirement {}: {why}.", r.type_id))?;
        let id = QualificationTypeId::parse(&r.type_id)
            .ok_or_else(|| crate::error::invalid_value("QualificationTypeId", &r.type_id))?;
        let t = super::qualifications::existing_type(ctx, &id).await?;
        if t.status_at(ctx.now) != TypeStatus::Active {
            return Err(mturk_error!(
                InvalidQualificationTypeState,
                "QualificationType {id} is not Active, so HITs cannot require it."
            ));
        }
    }
    Ok(())
}

fn fingerprint(t: &NewHitType, auto: i64) -> String {
    let canonical = format!(
        "{:?}|{:?}|{:?}|{}|{}|{}|{:?}",
        t.title, t.description, t.keywords, t.reward_cents, t.assignment_duration_secs, auto, t.requirements
    );
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// CreateHITType / RegisterHITType: returns the id of a new type, or of the
/// caller's existing type with exactly the same properties.
///
/// # Errors
/// Validation errors.
pub async fn create_hit_type(ctx: &Ctx, t: NewHitType) -> Result<String> {
    check_len("Title", &t.title, 128)?;
    check_len("Description", &t.description, 2000)?;
    if let Some(k) = &t.keywords {
        check_len("Keywords", k, 1000)?;
    }
    check_range("AssignmentDurationInSeconds", t.assignment_duration_secs, 30, 31_536_000)?;
    let auto = t.auto_approval_delay_secs.unwrap_or(DEFAULT_AUTO_APPROVAL_SECS);
    check_range("AutoApprovalDelayInSeconds", auto, 0, DEFAULT_AUTO_APPROVAL_SECS)?;
    check_requirements(ctx, &t.requirements).await?;
    let fp = fingerprint(&t, auto);
    let hit_type = HitType {
        id: format!("3{}", ctx.ids.alphanumeric(29)),
        owner: ctx.caller.clone(),
        title: t.title,
        description: t.description,
        keywords: t.keywords,
        reward_cents: t.reward_cents,
        assignment_duration_secs: t.assignment_duration_secs,
        auto_approval_delay_secs: auto,
        requirements: t.requirements,
        creation_time: ctx.now,
    };
    ctx.store.insert_hit_type(&hit_type, &fp).await.map_err(internal)
}

/// A HIT's properties besides its type.
#[derive(Debug, Clone)]
pub struct NewHit {
    /// QuestionForm, ExternalQuestion or HTMLQuestion.
    pub question: String,
    /// 1 to 1,000,000; default 1.
    pub max_assignments: Option<i64>,
    /// 30 s to 365 days.
    pub lifetime_secs: i64,
    /// ≤ 255 characters.
    pub requester_annotation: Option<String>,
    /// Idempotency token (1-64 characters).
    pub unique_request_token: Option<String>,
}

/// Loads a HIT type the caller owns.
///
/// # Errors
/// Unknown type (`InvalidParameterValue`) or another requester's (`PermissionDenied`).
pub async fn owned_hit_type(ctx: &Ctx, id: &str) -> Result<HitType> {
    let t = ctx.store.hit_type(id).await.map_err(internal)?.ok_or_else(|| {
        mturk_error!(InvalidParameterValue, "HITType {id} does not exist.").with_data("HITTypeId", id)
    })?;
    if t.owner != ctx.caller {
        return Err(permission_denied());
    }
    Ok(t)
}

/// CreateHITWithHITType (and CreateHIT after its implicit CreateHITType).
///
/// # Errors
/// Validation, `InsufficientFunds`, `HitAlreadyExists` for a reused token.
pub async fn create_hit(ctx: &Ctx, hit_type_id: &str, input: NewHit) -> Result<Hit> {
    let hit_type = owned_hit_type(ctx, hit_type_id).await?;
    let max = input.max_assignments.unwrap_or(1);
    check_range("MaxAssignments", max, 1, 1_000_000)?;
    check_range("LifetimeInSeconds", input.lifetime_secs, 30, 31_536_000)?;
    if let Some(a) = &input.requester_annotation {
        check_len("RequesterAnnotation", a, 255)?;
    }
    check_token(input.unique_request_token.as_deref())?;
    if input.question.len() > 65_535 {
        return Err(mturk_error!(
            InvalidParameterValue,
            "Your request parameter Question has a maximum length of 65535 bytes."
        ));
    }
    documents::check_question(&input.question)?;
    // The requester must be able to pay every assignment with MTurk's fee.
    let cost = max.saturating_mul(hit_type.reward_cents + reward_fee_cents(hit_type.reward_cents, max));
    let balance = super::account::balance_cents(ctx).await?;
    if balance < cost {
        return Err(insufficient_funds(cost, balance));
    }
    let hit = Hit {
        id: format!("3{}", ctx.ids.alphanumeric(29)),
        hit_type,
        question: input.question,
        max_assignments: max,
        expiration: super::later(ctx.now, input.lifetime_secs, "HIT's expiration (now plus LifetimeInSeconds)")?,
        requester_annotation: input.requester_annotation,
        creation_time: ctx.now,
        reviewing: false,
        disposed: false,
        pending: 0,
        submitted: 0,
        completed: 0,
    };
    match ctx.store.insert_hit(&hit, input.unique_request_token.as_deref()).await {
        Ok(()) => Ok(hit),
        Err(StoreError::Conflict { existing }) => {
            let existing = existing.unwrap_or_default();
            Err(mturk_error!(
                HitAlreadyExists,
                "The HIT with ID \"{existing}\" already exists for this UniqueRequestToken."
            )
            .with_data("HITId", existing))
        }
        Err(e) => Err(internal(e)),
    }
}

fn insufficient_funds(cost: i64, balance: i64) -> MturkError {
    mturk_error!(
        InsufficientFunds,
        "This Requester has insufficient funds in their account to complete this transaction: it costs {} and the \
         available balance is {}.",
        super::account::format_cents(cost),
        super::account::format_cents(balance)
    )
}

/// Approves what is due for automatic approval (on every read of HITs,
/// assignments or money, so it happens exactly when the clock passes).
/// Each use case settles once, at its start; the helpers it calls after
/// that (`load_*`, [`super::account::ensure_account`]) do not settle again.
pub(crate) async fn settle(store: &dyn crate::store::Store, now: crate::domain::time::Timestamp) -> Result<()> {
    store.settle_auto_approvals(now).await.map_err(internal).map(|_| ())
}

fn hit_does_not_exist(id: &str) -> MturkError {
    mturk_error!(HitDoesNotExist, "Hit {id} does not exist.").with_data("HITId", id)
}

/// Loads one of the caller's HITs (disposed ones included).
///
/// # Errors
/// `HITDoesNotExist`, `PermissionDenied`.
pub async fn owned_hit(ctx: &Ctx, id: &str) -> Result<Hit> {
    settle(ctx.store.as_ref(), ctx.now).await?;
    load_owned_hit(ctx, id).await
}

/// [`owned_hit`] for a use case that has settled already.
async fn load_owned_hit(ctx: &Ctx, id: &str) -> Result<Hit> {
    let hit = ctx.store.hit(id, ctx.now).await.map_err(internal)?.ok_or_else(|| hit_does_not_exist(id))?;
    if hit.hit_type.owner != ctx.caller {
        return Err(permission_denied());
    }
    Ok(hit)
}

/// ListHITs / SearchHITs, and ListHITsForQualificationType.
///
/// # Errors
/// Ownership errors for the qualification type.
pub async fn list_hits(ctx: &Ctx, qualification: Option<&QualificationTypeId>, page: Page) -> Result<Paged<Hit>> {
    settle(ctx.store.as_ref(), ctx.now).await?;
    let filter = match qualification {
        None => HitFilter::Owner(ctx.caller.clone()),
        Some(q) => {
            super::qualifications::existing_type(ctx, q).await?;
            HitFilter::Qualification(ctx.caller.clone(), q.as_str().to_owned())
        }
    };
    ctx.store.hits(&filter, ctx.now, page).await.map_err(internal)
}

/// UpdateExpirationForHIT / ForceExpireHIT: a time at or before now expires
/// the HIT at once.
///
/// # Errors
/// Ownership errors; a disposed HIT.
pub async fn update_expiration(ctx: &Ctx, id: &str, expire_at: crate::domain::time::Timestamp) -> Result<()> {
    let hit = owned_hit(ctx, id).await?;
    if hit.disposed {
        return Err(mturk_error!(InvalidHitState, "Hit {id} has been deleted."));
    }
    // A time at or before now expires the HIT now; a later one (re)opens it.
    let at = if expire_at <= ctx.now { ctx.now } else { expire_at };
    // Disposed since we looked: the same answer as if it had been before.
    if ctx.store.set_expiration(id, at).await.map_err(internal)? {
        Ok(())
    } else {
        Err(hit_deleted(id))
    }
}

fn hit_deleted(id: &str) -> MturkError {
    mturk_error!(InvalidHitState, "Hit {id} has been deleted.")
}

/// DisableHIT: removes the HIT from the marketplace at once, approves (and
/// pays) every submitted assignment, and disposes it; assignments still in
/// progress are approved when they are submitted (legacy API reference).
///
/// # Errors
/// Ownership errors, a disposed HIT, `InsufficientFunds` (checked first, so
/// nothing changes when the balance cannot pay).
pub async fn disable_hit(ctx: &Ctx, id: &str) -> Result<()> {
    let hit = owned_hit(ctx, id).await?;
    if hit.disposed {
        return Err(hit_deleted(id));
    }
    // The payment needs the payer's row (another instance's reset may have removed it).
    super::account::ensure_account(ctx).await?;
    match ctx.store.disable_hit(id, &ctx.caller, ctx.now).await.map_err(internal)? {
        DisableOutcome::Done => Ok(()),
        DisableOutcome::Disposed => Err(hit_deleted(id)),
        DisableOutcome::InsufficientFunds { cost_cents, balance_cents } => {
            Err(insufficient_funds(cost_cents, balance_cents))
        }
    }
}

/// DeleteHIT / DisposeHIT: only when Reviewable (or Reviewing) with nothing
/// left to review.
///
/// # Errors
/// `InvalidHITState` otherwise.
pub async fn delete_hit(ctx: &Ctx, id: &str) -> Result<()> {
    let hit = owned_hit(ctx, id).await?;
    let status = hit.status(ctx.now);
    if !matches!(status, HitStatus::Reviewable | HitStatus::Reviewing) || hit.submitted > 0 || hit.pending > 0 {
        return Err(mturk_error!(
            InvalidHitState,
            "This HIT is currently in the state '{}'. This operation can be called with a status of: Reviewable, \
             Reviewing, with every assignment approved or rejected.",
            status.as_str()
        ));
    }
    if ctx.store.dispose_hit(id, ctx.now).await.map_err(internal)? {
        Ok(())
    } else {
        // Something changed since we looked (new work, more assignments or time):
        // the answer the state check gives for a HIT that is not Reviewable.
        Err(mturk_error!(
            InvalidHitState,
            "This HIT is currently in the state '{}'. This operation can be called with a status of: Reviewable, \
             Reviewing, with every assignment approved or rejected.",
            status.as_str()
        ))
    }
}

/// ListAssignmentsForHIT / GetAssignmentsForHIT. Accepted-but-unsubmitted
/// work never appears.
///
/// # Errors
/// Ownership errors.
pub async fn list_assignments(
    ctx: &Ctx,
    hit_id: &str,
    statuses: &[AssignmentStatus],
    page: Page,
) -> Result<Paged<Assignment>> {
    owned_hit(ctx, hit_id).await?;
    let wanted: Vec<AssignmentStatus> = if statuses.is_empty() {
        vec![AssignmentStatus::Submitted, AssignmentStatus::Approved, AssignmentStatus::Rejected]
    } else {
        statuses.to_vec()
    };
    ctx.store.assignments_for_hit(hit_id, &wanted, page).await.map_err(internal)
}

fn assignment_does_not_exist(id: &str) -> MturkError {
    mturk_error!(AssignmentDoesNotExist, "Assignment {id} does not exist.").with_data("AssignmentId", id)
}

/// GetAssignment: a submitted (or reviewed) assignment of one of the caller's HITs, with its HIT.
///
/// # Errors
/// `AssignmentDoesNotExist`, `PermissionDenied`.
pub async fn get_assignment(ctx: &Ctx, id: &str) -> Result<(Assignment, Hit)> {
    settle(ctx.store.as_ref(), ctx.now).await?;
    load_assignment(ctx, id).await
}

/// [`get_assignment`] for a use case that has settled already.
async fn load_assignment(ctx: &Ctx, id: &str) -> Result<(Assignment, Hit)> {
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

fn assignment_state_error(a: &Assignment, now: crate::domain::time::Timestamp, expected: &str) -> MturkError {
    mturk_error!(
        InvalidAssignmentState,
        "This operation can be called with a status of: {expected} (assignment {} is {}).",
        a.id,
        a.status_at(now).as_str()
    )
    .with_data("AssignmentId", a.id.as_str())
    .with_data("CurrentState", a.status_at(now).as_str())
}

/// ApproveAssignment (and ApproveRejectedAssignment / `OverrideRejection`):
/// Submitted → Approved, or Rejected → Approved within 30 days of submission;
/// pays the reward plus MTurk's fee.
///
/// # Errors
/// State errors, `InsufficientFunds`.
pub async fn approve(ctx: &Ctx, id: &str, feedback: Option<String>, override_rejection: bool) -> Result<()> {
    settle(ctx.store.as_ref(), ctx.now).await?;
    let (a, hit) = load_assignment(ctx, id).await?;
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
                &a,
                ctx.now,
                if override_rejection { "Submitted,Rejected" } else { "Submitted" },
            ))
        }
    };
    let reward = hit.hit_type.reward_cents;
    // The payment needs the payer's row (another instance's reset may have removed it).
    super::account::ensure_account(ctx).await?;
    let review = Review {
        id: a.id.clone(),
        from,
        to: AssignmentStatus::Approved,
        now: ctx.now,
        feedback,
        cost_cents: reward + reward_fee_cents(reward, hit.max_assignments),
        payer: ctx.caller.clone(),
    };
    match ctx.store.review(&review).await.map_err(internal)? {
        ReviewOutcome::Done => Ok(()),
        ReviewOutcome::WrongState => Err(assignment_state_error(&a, ctx.now, "Submitted")),
        ReviewOutcome::InsufficientFunds => {
            let balance = super::account::ensure_account(ctx).await?;
            Err(insufficient_funds(review.cost_cents, balance))
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

/// RejectAssignment: Submitted → Rejected, with feedback for the worker.
///
/// # Errors
/// State errors.
pub async fn reject(ctx: &Ctx, id: &str, feedback: Option<String>) -> Result<()> {
    let (a, _) = get_assignment(ctx, id).await?;
    let feedback = feedback_text(feedback)?;
    if a.status != AssignmentStatus::Submitted {
        return Err(assignment_state_error(&a, ctx.now, "Submitted"));
    }
    let review = Review {
        id: a.id.clone(),
        from: AssignmentStatus::Submitted,
        to: AssignmentStatus::Rejected,
        now: ctx.now,
        feedback,
        cost_cents: 0,
        payer: ctx.caller.clone(),
    };
    match ctx.store.review(&review).await.map_err(internal)? {
        ReviewOutcome::Done => Ok(()),
        _ => Err(assignment_state_error(&a, ctx.now, "Submitted")),
    }
}

// ---------------------------------------------------------------------------
// The worker side.

/// What a worker may do with a HIT.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools, reason = "independent facts the control plane reports as they are")]
pub struct Eligibility {
    /// The HIT shows up in the worker's search.
    pub can_discover: bool,
    /// The worker may see the question.
    pub can_preview: bool,
    /// The worker may accept.
    pub can_accept: bool,
    /// The requester blocked the worker.
    pub blocked: bool,
    /// Qualification types of the requirements the worker fails.
    pub failed_requirements: Vec<String>,
}

fn percent(part: i64, whole: i64, when_empty: i32) -> Held {
    if whole == 0 {
        return Held::Integer(when_empty);
    }
    Held::Integer(i32::try_from(part.saturating_mul(100) / whole).unwrap_or(100))
}

/// What one worker brings to the requirements of HITs, read once per
/// request and only as far as the HITs at hand need it: the marketplace
/// listing asks the same questions of every HIT, and used to ask the
/// database each time (2 + R queries per HIT).
struct WorkerFacts<'a> {
    w: &'a WorkerCtx,
    worker: &'a WorkerId,
    profile: WorkerProfile,
    /// Granted qualification values by type id, once a requirement asks.
    granted: Option<HashMap<String, i32>>,
    /// Assignment counts, once a computed system qualification asks.
    history: Option<WorkerHistory>,
    /// Whether each HIT owner asked about so far blocks the worker.
    blocked_by: HashMap<RequesterId, bool>,
}

impl<'a> WorkerFacts<'a> {
    async fn load(w: &'a WorkerCtx, worker: &'a WorkerId) -> Result<Self> {
        let profile = w.store.worker_profile(worker).await.map_err(internal)?;
        Ok(Self { w, worker, profile, granted: None, history: None, blocked_by: HashMap::new() })
    }

    async fn blocked_by(&mut self, owner: &RequesterId) -> Result<bool> {
        if let Some(&blocked) = self.blocked_by.get(owner) {
            return Ok(blocked);
        }
        let blocked = self.w.store.is_blocked(owner, self.worker).await.map_err(internal)?;
        self.blocked_by.insert(owner.clone(), blocked);
        Ok(blocked)
    }

    async fn history(&mut self) -> Result<WorkerHistory> {
        if let Some(h) = self.history {
            return Ok(h);
        }
        let h = self.w.store.worker_history(self.worker, self.w.now).await.map_err(internal)?;
        self.history = Some(h);
        Ok(h)
    }

    async fn granted(&mut self, type_id: &str) -> Result<Option<i32>> {
        if self.granted.is_none() {
            let all = self.w.store.worker_qualifications(self.worker).await.map_err(internal)?;
            let granted = all
                .into_iter()
                .filter(|q| q.status == QualificationStatus::Granted)
                .map(|q| (q.type_id.as_str().to_owned(), q.integer_value))
                .collect();
            self.granted = Some(granted);
        }
        Ok(self.granted.as_ref().and_then(|g| g.get(type_id).copied()))
    }

    /// What the worker holds of `type_id`: system types are computed from the
    /// profile and the assignment history; a revoked qualification is absent.
    async fn held(&mut self, type_id: &str) -> Result<Held> {
        let profile = &self.profile;
        Ok(match type_id {
            LOCALE_TYPE_ID => profile.locale.clone().map_or(Held::Nothing, Held::Locale),
            "00000000000000000060" => Held::Integer(i32::from(profile.adult)),
            "2ARFPLSP75KLA8M8DH1HTEQVJT3SY6" | "2F1QJWKUDD8XADTFD2Q0G6UTO95ALH" => {
                if profile.masters {
                    Held::Integer(1)
                } else {
                    Held::Nothing
                }
            }
            "000000000000000000L0" => {
                let h = self.history().await?;
                // 100 until the worker has 100 submissions (the 2014 documentation).
                if h.submitted < 100 {
                    Held::Integer(100)
                } else {
                    percent(h.approved, h.approved + h.rejected, 100)
                }
            }
            "00000000000000000040" => Held::Integer(i32::try_from(self.history().await?.approved).unwrap_or(i32::MAX)),
            "00000000000000000000" => {
                let h = self.history().await?;
                percent(h.submitted, h.accepted, 100)
            }
            "00000000000000000070" => {
                let h = self.history().await?;
                percent(h.abandoned, h.accepted, 0)
            }
            "000000000000000000E0" => {
                let h = self.history().await?;
                percent(h.returned, h.accepted, 0)
            }
            "000000000000000000S0" => {
                let h = self.history().await?;
                percent(h.rejected, h.submitted, 0)
            }
            other => {
                if QualificationTypeId::parse(other).is_none() {
                    return Ok(Held::Nothing);
                }
                self.granted(other).await?.map_or(Held::Nothing, Held::Integer)
            }
        })
    }

    /// Evaluates every requirement of `hit` and the requester's block.
    async fn eligibility(&mut self, hit: &Hit) -> Result<Eligibility> {
        let blocked = self.blocked_by(&hit.hit_type.owner).await?;
        let mut e = Eligibility {
            can_discover: true,
            can_preview: true,
            can_accept: !blocked,
            blocked,
            failed_requirements: vec![],
        };
        for r in &hit.hit_type.requirements {
            if r.is_met_by(&self.held(&r.type_id).await?) {
                continue;
            }
            e.failed_requirements.push(r.type_id.clone());
            e.can_accept = false;
            match r.guards() {
                GuardedActions::Accept => {}
                GuardedActions::PreviewAndAccept => e.can_preview = false,
                GuardedActions::DiscoverPreviewAndAccept => {
                    e.can_preview = false;
                    e.can_discover = false;
                }
            }
        }
        Ok(e)
    }
}

/// Evaluates every requirement of `hit` and the requester's block.
///
/// # Errors
/// Store failures.
pub async fn eligibility(w: &WorkerCtx, worker: &WorkerId, hit: &Hit) -> Result<Eligibility> {
    WorkerFacts::load(w, worker).await?.eligibility(hit).await
}

/// HITs read per page of the marketplace listing.
const MARKETPLACE_PAGE: i64 = 200;

/// The HITs a worker can find, each with what the worker may do.
///
/// # Errors
/// Store failures.
pub async fn find_hits(w: &WorkerCtx, worker: &WorkerId) -> Result<Vec<(Hit, Eligibility)>> {
    settle(w.store.as_ref(), w.now).await?;
    let mut facts = WorkerFacts::load(w, worker).await?;
    let mut out = Vec::new();
    let mut after = None;
    // Page by the listing's order (creation time, id), each page after the last
    // HIT of the one before, so that HITs filling up meanwhile shift nothing.
    loop {
        let page = Page { offset: 0, limit: MARKETPLACE_PAGE };
        let found = w.store.hits(&HitFilter::Marketplace { after }, w.now, page).await.map_err(internal)?;
        let full = i64::try_from(found.items.len()).unwrap_or(i64::MAX) >= MARKETPLACE_PAGE;
        after = found.items.last().map(|h| (h.creation_time, h.id.clone()));
        for hit in found.items {
            if hit.status(w.now) != HitStatus::Assignable {
                continue;
            }
            let e = facts.eligibility(&hit).await?;
            if e.can_discover {
                out.push((hit, e));
            }
        }
        if !full {
            return Ok(out);
        }
    }
}

/// A worker accepts a HIT.
///
/// # Errors
/// `HITDoesNotExist`, `InvalidHITState` (no slot, expired), `WorkerBlocked`,
/// `DoesNotMeetRequirements`, `AssignmentAlreadyExists`.
pub async fn accept(w: &WorkerCtx, worker: &WorkerId, hit_id: &str) -> Result<Assignment> {
    settle(w.store.as_ref(), w.now).await?;
    let hit = w.store.hit(hit_id, w.now).await.map_err(internal)?.ok_or_else(|| hit_does_not_exist(hit_id))?;
    let e = eligibility(w, worker, &hit).await?;
    if e.blocked {
        return Err(mturk_error!(WorkerBlocked, "The requester of HIT {hit_id} has blocked you from their HITs."));
    }
    if !e.failed_requirements.is_empty() {
        return Err(mturk_error!(
            DoesNotMeetRequirements,
            "You do not meet the Qualification requirements of HIT {hit_id}: {}.",
            e.failed_requirements.join(", ")
        )
        .with_data("QualificationTypeId", e.failed_requirements.join(",")));
    }
    // Expired, deleted or under review: closed whatever the slots say. A full
    // HIT is left to the store, which tells "no slot" from "already yours".
    if hit.disposed || hit.reviewing || w.now >= hit.expiration {
        return Err(mturk_error!(
            InvalidHitState,
            "HIT {hit_id} is {} and cannot be accepted.",
            hit.status(w.now).as_str()
        ));
    }
    let a = Assignment {
        id: format!("3{}", w.ids.alphanumeric(29)),
        hit_id: hit.id.clone(),
        worker_id: worker.clone(),
        status: AssignmentStatus::Accepted,
        accept_time: w.now,
        deadline: super::later(
            w.now,
            hit.hit_type.assignment_duration_secs,
            "assignment's deadline (now plus AssignmentDurationInSeconds)",
        )?,
        submit_time: None,
        auto_approval_time: None,
        approval_time: None,
        rejection_time: None,
        answer: None,
        requester_feedback: None,
    };
    match w.store.accept(&a, hit.max_assignments, w.now).await.map_err(internal)? {
        AcceptOutcome::Accepted => Ok(a),
        AcceptOutcome::AlreadyAccepted => {
            Err(mturk_error!(AssignmentAlreadyExists, "You already have an assignment for HIT {hit_id}."))
        }
        AcceptOutcome::NoSlot => Err(mturk_error!(InvalidHitState, "HIT {hit_id} has no assignment left.")),
    }
}

async fn workers_assignment(w: &WorkerCtx, id: &str, worker: Option<&WorkerId>) -> Result<Assignment> {
    let a = w.store.assignment(id).await.map_err(internal)?.ok_or_else(|| assignment_does_not_exist(id))?;
    if worker.is_some_and(|wk| wk != &a.worker_id) {
        return Err(assignment_does_not_exist(id));
    }
    Ok(a)
}

/// A worker submits an assignment's answers (the control plane, or
/// `/mturk/externalSubmit`). Returns the assignment's HIT id.
///
/// # Errors
/// `AssignmentDoesNotExist`, `InvalidAssignmentState` (not in progress, or
/// past its deadline), `XMLParseError` when `answer_is_xml` and it is bad.
pub async fn submit(
    w: &WorkerCtx,
    id: &str,
    worker: Option<&WorkerId>,
    answer: &str,
    answer_is_xml: bool,
) -> Result<String> {
    let a = workers_assignment(w, id, worker).await?;
    if answer_is_xml {
        documents::parse_answers(answer)?;
    }
    check_len("Answer", answer, 65_535)?;
    let hit = w.store.hit(&a.hit_id, w.now).await.map_err(internal)?.ok_or_else(|| hit_does_not_exist(&a.hit_id))?;
    // Work submitted after DisableHIT is approved at once, as the legacy reference says.
    let auto = if hit.disposed {
        w.now
    } else {
        super::later(
            w.now,
            hit.hit_type.auto_approval_delay_secs,
            "automatic approval (now plus AutoApprovalDelayInSeconds)",
        )?
    };
    if w.store.submit(id, answer, w.now, auto).await.map_err(internal)? {
        Ok(a.hit_id)
    } else {
        Err(assignment_state_error(&a, w.now, "Accepted"))
    }
}

/// A worker returns an assignment: the slot opens again.
///
/// # Errors
/// As [`submit`].
pub async fn return_assignment(w: &WorkerCtx, id: &str, worker: Option<&WorkerId>) -> Result<()> {
    let a = workers_assignment(w, id, worker).await?;
    if w.store.return_assignment(id, w.now).await.map_err(internal)? {
        Ok(())
    } else {
        Err(assignment_state_error(&a, w.now, "Accepted"))
    }
}

// ---------------------------------------------------------------------------
// Review, more assignments, type changes and bonuses.

/// ListReviewableHITs / GetReviewableHITs: the caller's HITs in `Reviewable`
/// (default) or `Reviewing`, optionally of one HIT type.
///
/// # Errors
/// Store failures.
pub async fn list_reviewable(ctx: &Ctx, hit_type_id: Option<&str>, reviewing: bool, page: Page) -> Result<Paged<Hit>> {
    settle(ctx.store.as_ref(), ctx.now).await?;
    let mark = if reviewing { ReviewMark::Reviewing } else { ReviewMark::Unmarked };
    let filter = HitFilter::Review { owner: ctx.caller.clone(), hit_type: hit_type_id.map(str::to_owned), mark };
    ctx.store.hits(&filter, ctx.now, page).await.map_err(internal)
}

/// UpdateHITReviewStatus / SetHITAsReviewing: Reviewable → Reviewing, or
/// back with `revert`.
///
/// # Errors
/// `InvalidHITState` from any other state.
pub async fn update_review_status(ctx: &Ctx, id: &str, revert: bool) -> Result<()> {
    let hit = owned_hit(ctx, id).await?;
    let (from, to) = if revert {
        (HitStatus::Reviewing, ReviewMark::Unmarked)
    } else {
        (HitStatus::Reviewable, ReviewMark::Reviewing)
    };
    if hit.status(ctx.now) != from || !ctx.store.set_reviewing(id, to).await.map_err(internal)? {
        return Err(mturk_error!(
            InvalidHitState,
            "This operation can be called with a status of: {} (HIT {id} is {}).",
            from.as_str(),
            hit.status(ctx.now).as_str()
        ));
    }
    Ok(())
}

/// UpdateHITTypeOfHIT / ChangeHITTypeOfHIT: the HIT takes every property of
/// the new type.
///
/// # Errors
/// Ownership errors; a disposed HIT.
pub async fn change_hit_type(ctx: &Ctx, id: &str, hit_type_id: &str) -> Result<()> {
    let hit = owned_hit(ctx, id).await?;
    if hit.disposed {
        return Err(hit_deleted(id));
    }
    owned_hit_type(ctx, hit_type_id).await?;
    if ctx.store.change_hit_type(id, hit_type_id).await.map_err(internal)? {
        Ok(())
    } else {
        Err(hit_deleted(id))
    }
}

/// CreateAdditionalAssignmentsForHIT / ExtendHIT's assignments: going from
/// fewer than 10 to 10 or more is refused (the fee changes at 10).
///
/// # Errors
/// `InvalidMaximumAssignmentsIncrease`-style `InvalidParameterValue`, a reused
/// token, `InsufficientFunds`.
pub async fn add_assignments(ctx: &Ctx, id: &str, more: i64, token: Option<&str>) -> Result<()> {
    extend_hit(ctx, id, Some(more), None, token).await
}

/// ExtendHIT: more assignments (as [`add_assignments`]) and/or more time
/// (`expiration_increment_secs`, 60 s to 365 days, counted from the later of
/// the expiration and now). Everything is checked first, and both changes
/// are committed together or not at all.
///
/// # Errors
/// Neither given, out-of-range values, a reused token (checked only with
/// assignments, as CreateAdditionalAssignmentsForHIT checks it), ownership
/// errors, a disposed HIT, the 10 rule, `InsufficientFunds`.
pub async fn extend_hit(
    ctx: &Ctx,
    id: &str,
    more_assignments: Option<i64>,
    expiration_increment_secs: Option<i64>,
    token: Option<&str>,
) -> Result<()> {
    if more_assignments.is_none() && expiration_increment_secs.is_none() {
        return Err(missing_parameter("MaxAssignmentsIncrement or ExpirationIncrementInSeconds"));
    }
    if let Some(s) = expiration_increment_secs {
        check_range("ExpirationIncrementInSeconds", s, 60, 31_536_000)?;
    }
    if let Some(more) = more_assignments {
        check_range("NumberOfAdditionalAssignments", more, 1, 1_000_000)?;
        check_token(token)?;
    }
    let hit = owned_hit(ctx, id).await?;
    if hit.disposed {
        return Err(hit_deleted(id));
    }
    let expiration = match expiration_increment_secs {
        Some(s) => Some(super::later(hit.expiration.max(ctx.now), s, "HIT's new expiration")?),
        None => None,
    };
    if let Some(more) = more_assignments {
        let new_max = hit.max_assignments + more;
        if hit.max_assignments < 10 && new_max >= 10 {
            return Err(ten_rule());
        }
        let reward = hit.hit_type.reward_cents;
        let cost = more.saturating_mul(reward + reward_fee_cents(reward, new_max));
        let balance = super::account::ensure_account(ctx).await?;
        if balance < cost {
            return Err(insufficient_funds(cost, balance));
        }
    }
    let extension = Extension {
        hit_id: id,
        owner: &ctx.caller,
        expiration,
        more_assignments,
        token: more_assignments.and(token),
        now: ctx.now,
    };
    match ctx.store.extend_hit(&extension).await.map_err(internal)? {
        ExtendOutcome::Done => Ok(()),
        ExtendOutcome::DuplicateToken => Err(duplicate_token()),
        // Lost a race: answer as the checks above would have, had they seen it.
        ExtendOutcome::Changed => match load_owned_hit(ctx, id).await? {
            now if now.disposed => Err(hit_deleted(id)),
            _ => Err(ten_rule()),
        },
    }
}

fn ten_rule() -> MturkError {
    mturk_error!(
        InvalidMaximumAssignmentsIncrease,
        "A HIT created with fewer than 10 assignments cannot be extended to 10 or more."
    )
}

fn duplicate_token() -> MturkError {
    mturk_error!(InvalidParameterValue, "The UniqueRequestToken has already been used for this operation.")
}

/// SendBonus / GrantBonus: pays `amount` plus MTurk's 20% fee to the worker
/// of one of the caller's assignments.
///
/// # Errors
/// Unknown or foreign assignment, wrong worker, `InsufficientFunds`, reused token.
pub async fn send_bonus(
    ctx: &Ctx,
    worker: &WorkerId,
    assignment_id: &str,
    amount_cents: i64,
    reason: String,
    token: Option<&str>,
) -> Result<()> {
    check_len("Reason", &reason, 4096)?;
    check_token(token)?;
    if amount_cents <= 0 {
        return Err(mturk_error!(InvalidParameterValue, "The bonus amount must be greater than zero."));
    }
    let (a, hit) = get_assignment(ctx, assignment_id).await?;
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

/// ListBonusPayments / GetBonusPayments: by HIT or by assignment (exactly one).
///
/// # Errors
/// Neither or both given; ownership errors.
pub async fn list_bonuses(
    ctx: &Ctx,
    hit_id: Option<&str>,
    assignment_id: Option<&str>,
    page: Page,
) -> Result<Paged<Bonus>> {
    match (hit_id, assignment_id) {
        (Some(h), None) => {
            owned_hit(ctx, h).await?;
            ctx.store.bonuses(BonusesOf::Hit(h), page).await.map_err(internal)
        }
        (None, Some(a)) => {
            get_assignment(ctx, a).await?;
            ctx.store.bonuses(BonusesOf::Assignment(a), page).await.map_err(internal)
        }
        _ => Err(mturk_error!(InvalidParameterValue, "Give exactly one of HITId and AssignmentId.")),
    }
}
