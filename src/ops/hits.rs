//! The requester's HIT types and HITs: create, read, list, expire, review
//! status, type changes, more assignments and time, disable and delete
//! (modern-api.md §2 "HITs", legacy-api.md §5.4).

use sha2::{Digest, Sha256};

use crate::documents;
use crate::domain::hit::{reward_fee_cents, Hit, HitStatus, HitType};
use crate::domain::ids::{HitId, HitTypeId, QualificationTypeId};
use crate::domain::money::Money;
use crate::domain::qualification::TypeStatus;
use crate::domain::requirement::{QualificationRequirement, MAX_REQUIREMENTS};
use crate::domain::review::HitReviewPolicies;
use crate::error::{missing_parameter, out_of_range, permission_denied, MturkError, Result};
use crate::mturk_error;
use crate::store::hits::{DisableOutcome, ExtendOutcome, Extension, HitFilter, ReviewMark};
use crate::store::{Page, Paged, StoreError};

use super::account::insufficient_funds;
use super::qualifications::check_len;
use super::{internal, settle, Ctx};

/// The properties that make a HIT type.
#[derive(Debug, Clone)]
pub struct NewHitType {
    /// ≤ 128 characters.
    pub title: String,
    /// ≤ 2000 characters.
    pub description: String,
    /// ≤ 1000 characters.
    pub keywords: Option<String>,
    /// Reward.
    pub reward: Money,
    /// 30 s to 365 days.
    pub assignment_duration_secs: i64,
    /// 0 to 30 days; default 30 days.
    pub auto_approval_delay_secs: Option<i64>,
    /// At most 10.
    pub requirements: Vec<QualificationRequirement>,
}

/// Default AutoApprovalDelayInSeconds: 30 days.
pub const DEFAULT_AUTO_APPROVAL_SECS: i64 = 2_592_000;

pub(super) fn check_range(name: &str, value: i64, min: i64, max: i64) -> Result<()> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(out_of_range(name, value, min, max))
    }
}

/// `UniqueRequestToken` (the model's `IdempotencyToken`): 1 to 64 characters.
pub(super) fn check_token(token: Option<&str>) -> Result<()> {
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
        t.title,
        t.description,
        t.keywords,
        t.reward.cents(),
        t.assignment_duration_secs,
        auto,
        t.requirements
    );
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// CreateHITType / RegisterHITType: returns the id of a new type, or of the
/// caller's existing type with exactly the same properties.
///
/// # Errors
/// Validation errors.
pub async fn create_hit_type(ctx: &Ctx, t: NewHitType) -> Result<HitTypeId> {
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
        reward_cents: t.reward.cents(),
        assignment_duration_secs: t.assignment_duration_secs,
        auto_approval_delay_secs: auto,
        requirements: t.requirements,
        creation_time: ctx.now,
    };
    ctx.store.insert_hit_type(&hit_type, &fp).await.map(HitTypeId::from_stored).map_err(internal)
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
    /// `AssignmentReviewPolicy` and `HITReviewPolicy`.
    pub review_policies: HitReviewPolicies,
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

/// Which type a new HIT has.
#[derive(Debug, Clone)]
pub enum HitTypeChoice {
    /// One of the caller's types (CreateHITWithHITType, legacy CreateHIT with `HITTypeId`).
    Existing(HitTypeId),
    /// The caller's type with these properties, made first if it does not
    /// exist yet (CreateHIT, legacy CreateHIT without `HITTypeId`).
    New(NewHitType),
}

/// Input of CreateHIT and CreateHITWithHITType.
#[derive(Debug, Clone)]
pub struct HitOrder {
    /// The HIT's type.
    pub hit_type: HitTypeChoice,
    /// The HIT's own properties.
    pub hit: NewHit,
}

/// CreateHITWithHITType, and CreateHIT with its implicit CreateHITType.
///
/// # Errors
/// Validation, `InsufficientFunds`, `HitAlreadyExists` for a reused token.
pub async fn create_hit(ctx: &Ctx, order: HitOrder) -> Result<Hit> {
    let HitOrder { hit_type, hit: input } = order;
    let hit_type = match hit_type {
        HitTypeChoice::Existing(id) => owned_hit_type(ctx, id.as_str()).await?,
        HitTypeChoice::New(properties) => {
            let id = create_hit_type(ctx, properties).await?;
            owned_hit_type(ctx, id.as_str()).await?
        }
    };
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
    super::review::check(&input.review_policies)?;
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
    match ctx.store.insert_hit(&hit, input.unique_request_token.as_deref(), &input.review_policies).await {
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

pub(super) fn hit_does_not_exist(id: &str) -> MturkError {
    mturk_error!(HitDoesNotExist, "Hit {id} does not exist.").with_data("HITId", id)
}

/// GetHIT: one of the caller's HITs (disposed ones included).
///
/// # Errors
/// `HITDoesNotExist`, `PermissionDenied`.
pub async fn get_hit(ctx: &Ctx, id: HitId) -> Result<Hit> {
    owned_hit(ctx, id.as_str()).await
}

pub(super) async fn owned_hit(ctx: &Ctx, id: &str) -> Result<Hit> {
    settle(&ctx.worker()).await?;
    load_owned_hit(ctx, id).await
}

/// [`owned_hit`] for a use case that has settled already.
pub(super) async fn load_owned_hit(ctx: &Ctx, id: &str) -> Result<Hit> {
    let hit = ctx.store.hit(id, ctx.now).await.map_err(internal)?.ok_or_else(|| hit_does_not_exist(id))?;
    if hit.hit_type.owner != ctx.caller {
        return Err(permission_denied());
    }
    Ok(hit)
}

/// Input of ListHITs / SearchHITs and ListHITsForQualificationType.
#[derive(Debug, Clone)]
pub struct HitListing {
    /// Only HITs that require this type.
    pub qualification: Option<QualificationTypeId>,
    /// Which page.
    pub page: Page,
}

/// ListHITs / SearchHITs, and ListHITsForQualificationType.
///
/// # Errors
/// Ownership errors for the qualification type.
pub async fn list_hits(ctx: &Ctx, listing: HitListing) -> Result<Paged<Hit>> {
    let HitListing { qualification, page } = listing;
    settle(&ctx.worker()).await?;
    let filter = match &qualification {
        None => HitFilter::Owner(ctx.caller.clone()),
        Some(q) => {
            super::qualifications::existing_type(ctx, q).await?;
            HitFilter::Qualification(ctx.caller.clone(), q.as_str().to_owned())
        }
    };
    ctx.store.hits(&filter, ctx.now, page).await.map_err(internal)
}

/// Input of UpdateExpirationForHIT.
#[derive(Debug, Clone)]
pub struct ExpirationChange {
    /// The HIT.
    pub hit_id: HitId,
    /// The new expiration; at or before now expires the HIT at once.
    pub expire_at: crate::domain::time::Timestamp,
}

/// ForceExpireHIT: expires the HIT now.
///
/// # Errors
/// As [`update_expiration`].
pub async fn force_expire(ctx: &Ctx, hit_id: HitId) -> Result<()> {
    update_expiration(ctx, ExpirationChange { hit_id, expire_at: ctx.now }).await
}

/// UpdateExpirationForHIT / ForceExpireHIT: a time at or before now expires
/// the HIT at once.
///
/// # Errors
/// Ownership errors; a disposed HIT.
pub async fn update_expiration(ctx: &Ctx, change: ExpirationChange) -> Result<()> {
    let ExpirationChange { hit_id, expire_at } = change;
    let id = hit_id.as_str();
    let hit = owned_hit(ctx, id).await?;
    if hit.disposed {
        return Err(mturk_error!(InvalidHitState, "Hit {id} has been deleted."));
    }
    // A time at or before now expires the HIT now; a later one (re)opens it.
    let at = if expire_at <= ctx.now { ctx.now } else { expire_at };
    // Disposed since we looked: the same answer as if it had been before.
    if !ctx.store.set_expiration(id, at, ctx.now).await.map_err(internal)? {
        return Err(hit_deleted(id));
    }
    // Expired, the HIT may be Reviewable now: its HIT-level policy runs at
    // once (else at the next settle, claimed once either way). The new
    // expiration stands whatever the policy does.
    if at <= ctx.now {
        if let Err(e) = super::review::review_due_hits(&ctx.worker()).await {
            tracing::error!(error = %e, hit_id = %id, "the HIT-level review policy failed after an expiry");
        }
    }
    Ok(())
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
pub async fn disable_hit(ctx: &Ctx, hit_id: HitId) -> Result<()> {
    let id = hit_id.as_str();
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
pub async fn delete_hit(ctx: &Ctx, hit_id: HitId) -> Result<()> {
    let id = hit_id.as_str();
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

/// Input of ListReviewableHITs / GetReviewableHITs.
#[derive(Debug, Clone)]
pub struct ReviewableListing {
    /// Only HITs of this type.
    pub hit_type_id: Option<HitTypeId>,
    /// `Reviewing` instead of `Reviewable`.
    pub reviewing: bool,
    /// Which page.
    pub page: Page,
}

/// ListReviewableHITs / GetReviewableHITs: the caller's HITs in `Reviewable`
/// (default) or `Reviewing`, optionally of one HIT type.
///
/// # Errors
/// Store failures.
pub async fn list_reviewable(ctx: &Ctx, listing: ReviewableListing) -> Result<Paged<Hit>> {
    let ReviewableListing { hit_type_id, reviewing, page } = listing;
    let hit_type_id = hit_type_id.as_ref().map(HitTypeId::as_str);
    settle(&ctx.worker()).await?;
    let mark = if reviewing { ReviewMark::Reviewing } else { ReviewMark::Unmarked };
    let filter = HitFilter::Review { owner: ctx.caller.clone(), hit_type: hit_type_id.map(str::to_owned), mark };
    ctx.store.hits(&filter, ctx.now, page).await.map_err(internal)
}

/// Input of UpdateHITReviewStatus / SetHITAsReviewing.
#[derive(Debug, Clone)]
pub struct ReviewStatusChange {
    /// The HIT.
    pub hit_id: HitId,
    /// Back from Reviewing to Reviewable.
    pub revert: bool,
}

/// UpdateHITReviewStatus / SetHITAsReviewing: Reviewable → Reviewing, or
/// back with `revert`.
///
/// # Errors
/// `InvalidHITState` from any other state.
pub async fn update_review_status(ctx: &Ctx, change: ReviewStatusChange) -> Result<()> {
    let ReviewStatusChange { hit_id, revert } = change;
    let id = hit_id.as_str();
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

/// Input of UpdateHITTypeOfHIT / ChangeHITTypeOfHIT: two ids that cannot be swapped.
#[derive(Debug, Clone)]
pub struct HitTypeChange {
    /// The HIT.
    pub hit_id: HitId,
    /// Its new type.
    pub hit_type_id: HitTypeId,
}

/// UpdateHITTypeOfHIT / ChangeHITTypeOfHIT: the HIT takes every property of
/// the new type.
///
/// # Errors
/// Ownership errors; a disposed HIT.
pub async fn change_hit_type(ctx: &Ctx, change: HitTypeChange) -> Result<()> {
    let id = change.hit_id.as_str();
    let hit_type_id = change.hit_type_id.as_str();
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
pub async fn add_assignments(ctx: &Ctx, more: MoreAssignments) -> Result<()> {
    let extension = HitExtension {
        hit_id: more.hit_id,
        more_assignments: Some(more.more),
        expiration_increment_secs: None,
        token: more.token,
    };
    extend_hit(ctx, extension).await
}

/// Input of CreateAdditionalAssignmentsForHIT.
#[derive(Debug, Clone)]
pub struct MoreAssignments {
    /// The HIT.
    pub hit_id: HitId,
    /// How many more (1 to 1,000,000).
    pub more: i64,
    /// Idempotency token.
    pub token: Option<String>,
}

/// Input of ExtendHIT.
#[derive(Debug, Clone)]
pub struct HitExtension {
    /// The HIT.
    pub hit_id: HitId,
    /// More assignments.
    pub more_assignments: Option<i64>,
    /// More time, in seconds.
    pub expiration_increment_secs: Option<i64>,
    /// Idempotency token (checked with assignments only).
    pub token: Option<String>,
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
pub async fn extend_hit(ctx: &Ctx, extension: HitExtension) -> Result<()> {
    let HitExtension { hit_id, more_assignments, expiration_increment_secs, token } = extension;
    let id = hit_id.as_str();
    let token = token.as_deref();
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

pub(super) fn duplicate_token() -> MturkError {
    mturk_error!(InvalidParameterValue, "The UniqueRequestToken has already been used for this operation.")
}
