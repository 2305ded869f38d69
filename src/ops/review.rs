//! Review policies (legacy-api.md §8 "GetReviewResultsForHIT", the MTurk
//! reference's "Assignment Review Policies" and "HIT Review Policies"):
//! checking the two published policies at CreateHIT, running them when MTurk
//! would (the assignment-level one when an assignment is submitted, the
//! HIT-level one when the HIT becomes Reviewable: its last assignment is in,
//! or it expired), and reading what they did (ListReviewPolicyResultsForHIT /
//! GetReviewResultsForHIT).
//!
//! A policy acts through the requester's own operations
//! ([`super::assignments::approve`], [`super::assignments::reject`],
//! [`super::hits::extend_hit`]) with the HIT owner as the caller, so the
//! payments, fees and state rules are the ones a requester's call meets. A
//! run first records its results and its actions as `Intended` in one
//! transaction ([`crate::store::review::ReviewStore::record_review`], which
//! also claims a HIT-level review), then takes each action in its own
//! transaction, as a requester's call is, and writes its outcome: a run cut
//! short shows what it meant to do, never half of a payment.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use crate::documents;
use crate::domain::hit::{AssignmentStatus, Hit, HitStatus};
use crate::domain::ids::{AssignmentId, HitId};
use crate::domain::paging::Page;
use crate::domain::review::{
    ActionStatus, HitReviewPolicies, PolicyLevel, PolicyParameter, ReviewAction, ReviewLog, ReviewPolicy, ReviewResult,
    KNOWN_ANSWERS, PLURALITY,
};
use crate::error::{MturkError, Result};
use crate::mturk_error;
use crate::store::review::ReviewClaim;

use super::assignments::{Approval, Rejection};
use super::hits::{owned_hit, HitExtension};
use super::{internal, Ctx, WorkerCtx};

/// `ScoreMyKnownAnswers/2011-09-01`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KnownAnswers {
    /// Question id → the expected values, trimmed and sorted.
    answer_key: Vec<(String, Vec<String>)>,
    approve_at_least: Option<i64>,
    approve_reason: Option<String>,
    reject_less_than: Option<i64>,
    reject_reason: Option<String>,
    extend_less_than: Option<i64>,
    extend_maximum: i64,
    extend_secs: Option<i64>,
}

/// `SimplePlurality/2011-09-01`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Plurality {
    question_ids: Vec<String>,
    agreement_threshold: i64,
    disregard_rejected: bool,
    disregard_known_below: Option<i64>,
    extend_less_than: Option<i64>,
    extend_maximum: i64,
    extend_secs: Option<i64>,
    approve_at_least: Option<i64>,
    reject_less_than: Option<i64>,
    reject_reason: Option<String>,
}

/// The parameters of one policy, each read once.
struct Parameters<'a> {
    field: &'static str,
    policy: &'a str,
    by_key: HashMap<&'a str, &'a PolicyParameter>,
}

fn invalid(field: &str, why: impl std::fmt::Display) -> MturkError {
    mturk_error!(InvalidParameterValue, "{field} is invalid: {why}")
}

impl<'a> Parameters<'a> {
    /// Refuses unknown and repeated keys.
    fn new(field: &'static str, policy: &'a ReviewPolicy, allowed: &[&str]) -> Result<Self> {
        let mut by_key = HashMap::new();
        for p in &policy.parameters {
            if !allowed.contains(&p.key.as_str()) {
                return Err(invalid(
                    field,
                    format!(
                        "{} is not a parameter of {}; its parameters are {}.",
                        p.key,
                        policy.name,
                        allowed.join(", ")
                    ),
                ));
            }
            if by_key.insert(p.key.as_str(), p).is_some() {
                return Err(invalid(field, format!("the parameter {} is given more than once.", p.key)));
            }
        }
        Ok(Self { field, policy: &policy.name, by_key })
    }

    /// The one value of a plain parameter.
    fn single(&self, key: &str) -> Result<Option<&'a str>> {
        let Some(p) = self.by_key.get(key) else { return Ok(None) };
        if !p.map_entries.is_empty() {
            return Err(invalid(self.field, format!("the parameter {key} takes values, not map entries.")));
        }
        match p.values.as_slice() {
            [one] => Ok(Some(one.trim())),
            _ => Err(invalid(self.field, format!("the parameter {key} takes exactly one value."))),
        }
    }

    /// An integer parameter within `min..=max`.
    fn int(&self, key: &str, min: i64, max: i64) -> Result<Option<i64>> {
        let Some(text) = self.single(key)? else { return Ok(None) };
        let n: i64 = text
            .parse()
            .map_err(|_| invalid(self.field, format!("the value \"{text}\" of {key} is not an integer.")))?;
        if !(min..=max).contains(&n) {
            return Err(invalid(self.field, format!("the value {n} of {key} is not between {min} and {max}.")));
        }
        Ok(Some(n))
    }

    fn text(&self, key: &str) -> Result<Option<String>> {
        let text = self.single(key)?.map(str::to_owned);
        if let Some(t) = &text {
            super::qualifications::check_len(key, t, 1024)?;
        }
        Ok(text)
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>> {
        self.single(key)?
            .map(|v| match v.to_ascii_lowercase().as_str() {
                "true" | "t" => Ok(true),
                "false" | "f" => Ok(false),
                _ => Err(invalid(self.field, format!("the value \"{v}\" of {key} is not true or false."))),
            })
            .transpose()
    }

    fn required<T>(&self, key: &str, value: Option<T>) -> Result<T> {
        value.ok_or_else(|| invalid(self.field, format!("{} needs the parameter {key}.", self.policy)))
    }
}

/// Values as compared: trimmed (the reference trims both sides), sorted, so
/// that a set of selections matches whatever order it came in.
fn normalized<'s>(values: impl IntoIterator<Item = &'s String>) -> Vec<String> {
    let mut out: Vec<String> = values.into_iter().map(|v| v.trim().to_owned()).collect();
    out.sort();
    out
}

fn known_answers(policy: &ReviewPolicy) -> Result<KnownAnswers> {
    const FIELD: &str = "AssignmentReviewPolicy";
    let p = Parameters::new(
        FIELD,
        policy,
        &[
            "AnswerKey",
            "ApproveIfKnownAnswerScoreIsAtLeast",
            "ApproveReason",
            "RejectIfKnownAnswerScoreIsLessThan",
            "RejectReason",
            "ExtendIfKnownAnswerScoreIsLessThan",
            "ExtendMaximumAssignments",
            "ExtendMinimumTimeInSeconds",
        ],
    )?;
    let key = p.required("AnswerKey", p.by_key.get("AnswerKey"))?;
    if !key.values.is_empty() || key.map_entries.is_empty() {
        return Err(invalid(FIELD, "AnswerKey takes map entries (question id → answers) and no values."));
    }
    let mut answer_key: Vec<(String, Vec<String>)> = Vec::new();
    for entry in &key.map_entries {
        let question = entry.key.trim();
        if question.is_empty() {
            return Err(invalid(FIELD, "every AnswerKey map entry needs a question id as its key."));
        }
        if answer_key.iter().any(|(q, _)| q == question) {
            return Err(invalid(FIELD, format!("the AnswerKey names question {question} more than once.")));
        }
        answer_key.push((question.to_owned(), normalized(&entry.values)));
    }
    // Ranges as the reference gives them: scores 0-101, 2-25 assignments, one hour to one year.
    Ok(KnownAnswers {
        answer_key,
        approve_at_least: p.int("ApproveIfKnownAnswerScoreIsAtLeast", 0, 101)?,
        approve_reason: p.text("ApproveReason")?,
        reject_less_than: p.int("RejectIfKnownAnswerScoreIsLessThan", 0, 101)?,
        reject_reason: p.text("RejectReason")?,
        extend_less_than: p.int("ExtendIfKnownAnswerScoreIsLessThan", 0, 101)?,
        extend_maximum: p.int("ExtendMaximumAssignments", 2, 25)?.unwrap_or(5),
        extend_secs: p.int("ExtendMinimumTimeInSeconds", 3600, 31_536_000)?,
    })
}

fn plurality(policy: &ReviewPolicy) -> Result<Plurality> {
    const FIELD: &str = "HITReviewPolicy";
    let p = Parameters::new(
        FIELD,
        policy,
        &[
            "QuestionIds",
            "QuestionAgreementThreshold",
            "DisregardAssignmentIfRejected",
            "DisregardAssignmentIfKnownAnswerScoreIsLessThan",
            "ExtendIfHITAgreementScoreIsLessThan",
            "ExtendMaximumAssignments",
            "ExtendMinimumTimeInSeconds",
            "ApproveIfWorkerAgreementScoreIsAtLeast",
            "RejectIfWorkerAgreementScoreIsLessThan",
            "RejectReason",
        ],
    )?;
    let ids = p.required("QuestionIds", p.by_key.get("QuestionIds"))?;
    if !ids.map_entries.is_empty() {
        return Err(invalid(FIELD, "QuestionIds takes values, not map entries."));
    }
    // The reference calls it a comma-separated list; SDK users send one value per id.
    let mut question_ids: Vec<String> = Vec::new();
    for id in ids.values.iter().flat_map(|v| v.split(',')).map(str::trim).filter(|s| !s.is_empty()) {
        if !question_ids.iter().any(|q| q == id) {
            question_ids.push(id.to_owned());
        }
    }
    if question_ids.is_empty() {
        return Err(invalid(FIELD, "QuestionIds names no question."));
    }
    let extend_less_than = p.int("ExtendIfHITAgreementScoreIsLessThan", 1, 100)?;
    let extend_maximum = p.int("ExtendMaximumAssignments", 1, 1_000_000)?;
    let extend_secs = p.int("ExtendMinimumTimeInSeconds", 60, 31_536_000)?;
    if extend_less_than.is_some() && (extend_maximum.is_none() || extend_secs.is_none()) {
        return Err(invalid(
            FIELD,
            "ExtendIfHITAgreementScoreIsLessThan needs ExtendMaximumAssignments and ExtendMinimumTimeInSeconds.",
        ));
    }
    Ok(Plurality {
        agreement_threshold: p.required("QuestionAgreementThreshold", p.int("QuestionAgreementThreshold", 0, 100)?)?,
        question_ids,
        // Required by the reference; absent reads as false, as a user would expect.
        disregard_rejected: p.boolean("DisregardAssignmentIfRejected")?.unwrap_or(false),
        disregard_known_below: p.int("DisregardAssignmentIfKnownAnswerScoreIsLessThan", 0, 101)?,
        extend_less_than,
        extend_maximum: extend_maximum.unwrap_or(0),
        extend_secs,
        approve_at_least: p.int("ApproveIfWorkerAgreementScoreIsAtLeast", 0, 101)?,
        reject_less_than: p.int("RejectIfWorkerAgreementScoreIsLessThan", 0, 101)?,
        reject_reason: p.text("RejectReason")?,
    })
}

/// Checks the policies of a new HIT: the published names at their own level,
/// their parameters and values.
///
/// # Errors
/// `InvalidParameterValue` naming the policy and what is wrong.
pub fn check(policies: &HitReviewPolicies) -> Result<()> {
    if let Some(p) = &policies.assignment {
        match p.name.as_str() {
            KNOWN_ANSWERS => known_answers(p).map(|_| ())?,
            PLURALITY => {
                return Err(invalid("AssignmentReviewPolicy", format!("{PLURALITY} is a HIT-level policy.")));
            }
            other => {
                return Err(invalid(
                    "AssignmentReviewPolicy",
                    format!("unknown PolicyName \"{other}\"; the assignment-level policy is {KNOWN_ANSWERS}."),
                ));
            }
        }
    }
    if let Some(p) = &policies.hit {
        match p.name.as_str() {
            PLURALITY => plurality(p).map(|_| ())?,
            KNOWN_ANSWERS => {
                return Err(invalid("HITReviewPolicy", format!("{KNOWN_ANSWERS} is an assignment-level policy.")));
            }
            other => {
                return Err(invalid(
                    "HITReviewPolicy",
                    format!("unknown PolicyName \"{other}\"; the HIT-level policy is {PLURALITY}."),
                ));
            }
        }
    }
    Ok(())
}

tokio::task_local! {
    /// Set while a policy takes its actions. They are requester operations,
    /// which settle; settling then reviews no other HIT (see
    /// [`review_due_hits`]), so reviews run one after another, never one
    /// inside another's action.
    static TAKING_ACTIONS: ();
}

/// An action a policy decided on, before it is taken.
#[derive(Debug, Clone)]
enum Planned {
    Approve { assignment_id: String, feedback: Option<String> },
    Reject { assignment_id: String, feedback: Option<String> },
    Extend { hit_id: String, maximum: i64, secs: Option<i64> },
}

/// One run of a policy: its results and the actions it decided on. It is
/// recorded first, the actions as `Intended` (with the HIT-level claim, in
/// the same transaction), then each action is taken and its outcome written:
/// a run cut short leaves its actions visibly `Intended`, never lost.
struct Run<'a> {
    ctx: &'a Ctx,
    level: PolicyLevel,
    results: Vec<ReviewResult>,
    planned: Vec<Planned>,
}

impl<'a> Run<'a> {
    fn new(ctx: &'a Ctx, level: PolicyLevel) -> Self {
        Self { ctx, level, results: Vec::new(), planned: Vec::new() }
    }

    fn result(&mut self, subject: (&str, &str), question: Option<&str>, key: &str, value: &dyn ToString) {
        self.results.push(ReviewResult {
            level: self.level,
            action_id: None,
            subject_id: subject.0.to_owned(),
            subject_type: subject.1.to_owned(),
            question_id: question.map(str::to_owned),
            key: key.to_owned(),
            value: value.to_string(),
        });
    }

    fn approve(&mut self, assignment_id: &str, feedback: Option<String>) {
        self.planned.push(Planned::Approve { assignment_id: assignment_id.to_owned(), feedback });
    }

    fn reject(&mut self, assignment_id: &str, feedback: Option<String>) {
        self.planned.push(Planned::Reject { assignment_id: assignment_id.to_owned(), feedback });
    }

    fn extend(&mut self, hit_id: &str, maximum: i64, secs: Option<i64>) {
        self.planned.push(Planned::Extend { hit_id: hit_id.to_owned(), maximum, secs });
    }

    /// Records the run (claiming the HIT-level review as `claim` describes
    /// it in the same transaction, when given), then takes its actions.
    /// Returns false, recording and doing nothing, when the claim was taken
    /// already.
    async fn finish(self, hit_id: &str, claim: Option<ReviewClaim>) -> Result<bool> {
        let ctx = self.ctx;
        let actions: Vec<ReviewAction> = self
            .planned
            .iter()
            .map(|p| {
                let (name, target_id, target_type) = match p {
                    Planned::Approve { assignment_id, .. } => ("approve", assignment_id.as_str(), "Assignment"),
                    Planned::Reject { assignment_id, .. } => ("reject", assignment_id.as_str(), "Assignment"),
                    Planned::Extend { hit_id, .. } => ("extend", hit_id.as_str(), "HIT"),
                };
                ReviewAction {
                    level: self.level,
                    id: format!("3{}", ctx.ids.alphanumeric(29)),
                    name: name.to_owned(),
                    target_id: target_id.to_owned(),
                    target_type: target_type.to_owned(),
                    status: ActionStatus::Intended,
                    complete_time: None,
                    result: None,
                    error_code: None,
                }
            })
            .collect();
        if claim.is_none() && self.results.is_empty() && actions.is_empty() {
            return Ok(true);
        }
        if !ctx.store.record_review(hit_id, claim, ctx.now, &self.results, &actions).await.map_err(internal)? {
            return Ok(false);
        }
        let planned = self.planned;
        let take_all = async {
            for (planned, action) in planned.into_iter().zip(&actions) {
                let outcome = take(ctx, planned).await;
                let (status, result, error_code) = match outcome {
                    Ok(text) => (ActionStatus::Succeeded, text, None),
                    Err(e) => (ActionStatus::Failed, e.message().to_owned(), Some(e.code().as_str().to_owned())),
                };
                let done = ReviewAction {
                    status,
                    complete_time: Some(ctx.now),
                    result: Some(result),
                    error_code,
                    ..action.clone()
                };
                ctx.store.finish_review_action(&done).await.map_err(internal)?;
            }
            Ok(true)
        };
        TAKING_ACTIONS.scope((), take_all).await
    }
}

async fn status_of(ctx: &Ctx, assignment_id: &str) -> Result<AssignmentStatus> {
    let a = ctx.store.assignment(assignment_id).await.map_err(internal)?;
    a.map(|a| a.status).ok_or_else(|| super::assignments::assignment_does_not_exist(assignment_id))
}

/// Takes one action through the requester's own operation, as the HIT's
/// owner. An assignment already in the wanted state counts as done (the
/// reference: "Already approved" succeeds); an extension up to a HIT that has
/// `maximum` assignments already has nothing to do, which also succeeds.
async fn take(ctx: &Ctx, planned: Planned) -> Result<String> {
    match planned {
        Planned::Approve { assignment_id, feedback } => {
            if let Ok(AssignmentStatus::Approved) = status_of(ctx, &assignment_id).await {
                return Ok("Already approved".to_owned());
            }
            let approval = Approval {
                assignment_id: AssignmentId::from_stored(assignment_id),
                feedback,
                override_rejection: false,
            };
            super::assignments::approve(ctx, approval).await.map(|()| "Approved".to_owned())
        }
        Planned::Reject { assignment_id, feedback } => {
            if let Ok(AssignmentStatus::Rejected) = status_of(ctx, &assignment_id).await {
                return Ok("Already rejected".to_owned());
            }
            let rejection = Rejection { assignment_id: AssignmentId::from_stored(assignment_id), feedback };
            super::assignments::reject(ctx, rejection).await.map(|()| "Rejected".to_owned())
        }
        Planned::Extend { hit_id, maximum, secs } => {
            let hit = ctx
                .store
                .hit(&hit_id, ctx.now)
                .await
                .map_err(internal)?
                .ok_or_else(|| super::hits::hit_does_not_exist(&hit_id))?;
            if hit.max_assignments >= maximum {
                return Ok(format!(
                    "The HIT has {} assignments, the policy's maximum; not extended.",
                    hit.max_assignments
                ));
            }
            let extension = HitExtension {
                hit_id: HitId::from_stored(hit_id),
                more_assignments: Some(1),
                expiration_increment_secs: secs,
                token: None,
            };
            super::hits::extend_hit(ctx, extension).await?;
            Ok(match secs {
                Some(s) => format!("Extended to {} assignments and by {s} seconds.", hit.max_assignments + 1),
                None => format!("Extended to {} assignments.", hit.max_assignments + 1),
            })
        }
    }
}

/// A worker's answer to `question`: its values as compared, `None` when the
/// assignment has no answer to it.
fn answer_to<'x>(answers: &'x documents::Answers, question: &str) -> Option<&'x Vec<String>> {
    answers.answers.iter().find(|(q, _)| q == question).map(|(_, values)| values)
}

fn parsed_answers(answer: Option<&str>) -> documents::Answers {
    answer.and_then(|a| documents::parse_answers(a).ok()).unwrap_or_default()
}

/// The context a HIT's policies act in: the HIT's owner as the caller.
fn owner_ctx(w: &WorkerCtx, hit: &Hit) -> Ctx {
    Ctx {
        store: w.store.clone(),
        now: w.now,
        ids: w.ids.clone(),
        caller: hit.hit_type.owner.clone(),
        policy: w.policy.clone(),
        origin: None,
    }
}

/// Runs a HIT's policies after one of its assignments was submitted: the
/// assignment-level policy on that assignment, then the HIT-level policy if
/// the HIT is now complete. Called by the worker-side submit once the
/// submission is committed; what the policies do never undoes it.
///
/// # Errors
/// Store failures.
pub(crate) async fn after_submit(w: &WorkerCtx, hit_id: &str, assignment_id: &str) -> Result<()> {
    let Some(policies) = w.store.review_policies(hit_id).await.map_err(internal)? else { return Ok(()) };
    if policies.is_empty() {
        return Ok(());
    }
    let Some(hit) = w.store.hit(hit_id, w.now).await.map_err(internal)? else { return Ok(()) };
    // The policies act as the HIT's owner would.
    let ctx = owner_ctx(w, &hit);
    if let Some(policy) = &policies.assignment {
        score_known_answers(&ctx, &hit, &known_answers(policy)?, assignment_id).await?;
    }
    if let Some(policy) = &policies.hit {
        review_hit(&ctx, hit_id, &plurality(policy)?).await?;
    }
    Ok(())
}

/// Runs the HIT-level policy of every HIT that has become Reviewable with
/// no submission to run it: expired (by the clock, `UpdateExpirationForHIT`
/// or `ForceExpireHIT`) with its slots never all taken, or with its last
/// worker returning or abandoning after the expiry. Part of settling, so it
/// happens at the first read after the HIT became Reviewable, whoever reads.
/// Each review is claimed in the transaction that records it, so a HIT is
/// reviewed once however many requests settle at once.
///
/// # Errors
/// Store failures listing the HITs; a review that fails is logged and the
/// others still run (it is tried again at the next settle).
///
/// Boxed, with its `Send` stated: a policy's actions are requester
/// operations, which settle too (and skip this part then, see
/// `TAKING_ACTIONS`).
pub(crate) fn review_due_hits(w: &WorkerCtx) -> Pin<Box<dyn Future<Output = Result<()>> + Send + '_>> {
    Box::pin(async move {
        // Inside a policy's action: the settle that started that review goes on to the others.
        if TAKING_ACTIONS.try_with(|()| ()).is_ok() {
            return Ok(());
        }
        let due = w.store.hits_due_for_review(w.now).await.map_err(internal)?;
        for hit_id in due {
            if let Err(e) = review_due_hit(w, &hit_id).await {
                tracing::error!(error = %e, hit_id = %hit_id, "the HIT-level review policy failed");
            }
        }
        Ok(())
    })
}

async fn review_due_hit(w: &WorkerCtx, hit_id: &str) -> Result<()> {
    let Some(policy) = w.store.review_policies(hit_id).await.map_err(internal)?.and_then(|p| p.hit) else {
        return Ok(());
    };
    let Some(hit) = w.store.hit(hit_id, w.now).await.map_err(internal)? else { return Ok(()) };
    review_hit(&owner_ctx(w, &hit), hit_id, &plurality(&policy)?).await
}

async fn score_known_answers(ctx: &Ctx, hit: &Hit, policy: &KnownAnswers, assignment_id: &str) -> Result<()> {
    let Some(a) = ctx.store.assignment(assignment_id).await.map_err(internal)? else { return Ok(()) };
    let answers = parsed_answers(a.answer.as_deref());
    let subject = (a.id.as_str(), "Assignment");
    let mut run = Run::new(ctx, PolicyLevel::Assignment);
    let mut correct = 0_i64;
    for (question, expected) in &policy.answer_key {
        // An empty key or an empty answer never matches (the reference's list of non-matches).
        let given = answer_to(&answers, question).map(normalized).unwrap_or_default();
        let right = !expected.is_empty() && !given.is_empty() && &given == expected;
        correct += i64::from(right);
        run.result(subject, Some(question), "KnownAnswerCorrect", &i64::from(right));
    }
    let total = i64::try_from(policy.answer_key.len()).unwrap_or(i64::MAX).max(1);
    // A percentage, rounded down: 2 of 3 scores 66.
    let score = correct * 100 / total;
    run.result(subject, None, "KnownAnswerScore", &score);
    // Approval first when a score meets both thresholds (a requester would set them apart).
    if policy.approve_at_least.is_some_and(|t| score >= t) {
        run.approve(&a.id, policy.approve_reason.clone());
    } else if policy.reject_less_than.is_some_and(|t| score < t) {
        run.reject(&a.id, policy.reject_reason.clone());
    }
    if policy.extend_less_than.is_some_and(|t| score < t) {
        run.extend(&hit.id, policy.extend_maximum, policy.extend_secs);
    }
    run.finish(&hit.id, None).await.map(|_| ())
}

/// The HIT-level policy, once the HIT is Reviewable (every assignment in, or
/// expired with no work in progress: "when a HIT becomes reviewable", the
/// reference says), once per (HIT size, assignments in): an extension lets
/// it run again when the new assignments are in, as the reference says it
/// may.
async fn review_hit(ctx: &Ctx, hit_id: &str, policy: &Plurality) -> Result<()> {
    let Some(hit) = ctx.store.hit(hit_id, ctx.now).await.map_err(internal)? else { return Ok(()) };
    if hit.status(ctx.now) != HitStatus::Reviewable {
        return Ok(());
    }
    let all = ctx
        .store
        .assignments_for_hit(
            hit_id,
            &[AssignmentStatus::Submitted, AssignmentStatus::Approved, AssignmentStatus::Rejected],
            Page::first(hit.max_assignments.max(1)),
        )
        .await
        .map_err(internal)?
        .items;
    let claim =
        ReviewClaim { max_assignments: hit.max_assignments, submitted: i64::try_from(all.len()).unwrap_or(i64::MAX) };
    let log = ctx.store.review_log(hit_id).await.map_err(internal)?;
    let known_scores: HashMap<&str, i64> = log
        .results
        .iter()
        .filter(|r| r.level == PolicyLevel::Assignment && r.key == "KnownAnswerScore")
        .filter_map(|r| Some((r.subject_id.as_str(), r.value.parse().ok()?)))
        .collect();
    let considered: Vec<(String, documents::Answers)> = all
        .into_iter()
        .filter(|a| !(policy.disregard_rejected && a.status == AssignmentStatus::Rejected))
        .filter(|a| {
            policy.disregard_known_below.is_none_or(|t| known_scores.get(a.id.as_str()).is_none_or(|score| *score >= t))
        })
        .map(|a| {
            let answers = parsed_answers(a.answer.as_deref());
            (a.id, answers)
        })
        .collect();
    let mut run = Run::new(ctx, PolicyLevel::Hit);
    let hit_subject = (hit_id, "HIT");
    // Question → the agreed answer, for the questions that have one.
    let mut agreed: Vec<(&str, Vec<String>)> = Vec::new();
    for question in &policy.question_ids {
        let given: Vec<Vec<String>> = considered
            .iter()
            .filter_map(|(_, answers)| answer_to(answers, question).map(normalized))
            // Answers longer than 256 characters take no part (the reference's note).
            .filter(|v| !v.is_empty() && v.iter().map(String::len).sum::<usize>() <= 256)
            .collect();
        let mut counts: Vec<(&Vec<String>, i64)> = Vec::new();
        for v in &given {
            match counts.iter_mut().find(|(c, _)| *c == v) {
                Some((_, n)) => *n += 1,
                None => counts.push((v, 1)),
            }
        }
        let top = counts.iter().map(|(_, n)| *n).max().unwrap_or(0);
        let leaders: Vec<&Vec<String>> = counts.iter().filter(|(_, n)| *n == top).map(|(v, _)| *v).collect();
        let answered = i64::try_from(given.len()).unwrap_or(i64::MAX);
        let score = if answered == 0 { 0 } else { top * 100 / answered };
        // A plurality is one answer given more often than any other, and it is
        // agreed when its share is greater than the threshold.
        match leaders.as_slice() {
            [answer] if score > policy.agreement_threshold => {
                run.result(hit_subject, Some(question), "AgreedAnswerFound", &"true");
                run.result(hit_subject, Some(question), "AgreedAnswer", &answer.join("|"));
                run.result(hit_subject, Some(question), "AnswerAgreementScore", &score);
                agreed.push((question, (*answer).clone()));
            }
            _ => run.result(hit_subject, Some(question), "AgreedAnswerFound", &"false"),
        }
    }
    let agreed_count = i64::try_from(agreed.len()).unwrap_or(i64::MAX);
    let questions = i64::try_from(policy.question_ids.len()).unwrap_or(i64::MAX).max(1);
    let hit_score = agreed_count * 100 / questions;
    let mut decisions: Vec<(String, i64)> = Vec::new();
    if agreed_count > 0 {
        for (assignment_id, answers) in &considered {
            let right = agreed
                .iter()
                .filter(|(q, answer)| answer_to(answers, q).map(normalized).as_ref() == Some(answer))
                .count();
            let right = i64::try_from(right).unwrap_or(i64::MAX);
            let score = right * 100 / agreed_count;
            let subject = (assignment_id.as_str(), "Assignment");
            run.result(subject, None, "WorkerAgreementScore", &score);
            run.result(subject, None, "PluralityAnswersCorrect", &right);
            run.result(subject, None, "PluralityAnswersIncorrect", &(agreed_count - right));
            decisions.push((assignment_id.clone(), score));
        }
    }
    run.result(hit_subject, None, "HitAgreementScore", &hit_score);
    for (assignment_id, score) in decisions {
        if policy.approve_at_least.is_some_and(|t| score >= t) {
            run.approve(&assignment_id, None);
        } else if policy.reject_less_than.is_some_and(|t| score < t) {
            run.reject(&assignment_id, policy.reject_reason.clone());
        }
    }
    if policy.extend_less_than.is_some_and(|t| hit_score < t) {
        run.extend(hit_id, policy.extend_maximum, policy.extend_secs);
    }
    // The claim makes the HIT-level review of the HIT as it stands happen
    // once, even when two last submissions (or a submission and a settle) race to it.
    run.finish(hit_id, Some(claim)).await.map(|_| ())
}

/// Input of ListReviewPolicyResultsForHIT / GetReviewResultsForHIT.
#[derive(Debug, Clone)]
pub struct ResultsQuery {
    /// The HIT.
    pub hit_id: HitId,
    /// Only what concerns this assignment (legacy `AssignmentId`).
    pub assignment_id: Option<AssignmentId>,
    /// Which levels; none means both.
    pub levels: Vec<PolicyLevel>,
    /// Whether to include the actions.
    pub retrieve_actions: bool,
    /// Whether to include the results.
    pub retrieve_results: bool,
    /// Which page: each list of each report shows the items of this page.
    pub page: Page,
}

/// What the policies of a HIT did, one page of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewReport {
    /// The HIT.
    pub hit_id: String,
    /// The HIT's policies.
    pub policies: HitReviewPolicies,
    /// The assignment-level report, when asked for and the HIT has that policy.
    pub assignment: Option<ReviewLog>,
    /// The HIT-level report, when asked for and the HIT has that policy.
    pub hit: Option<ReviewLog>,
}

impl ReviewReport {
    /// Whether this page shows anything.
    #[must_use]
    pub fn has_items(&self) -> bool {
        [&self.assignment, &self.hit].into_iter().flatten().any(|r| !r.results.is_empty() || !r.actions.is_empty())
    }
}

/// A page of a report's list, which is read whole (one HIT's log) and keyed
/// by position: a JSON page's cursor is the position it starts at.
fn page_of<T: Clone>(items: &[T], page: &Page) -> Vec<T> {
    let start = usize::try_from(page.position()).unwrap_or(usize::MAX);
    let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
    items.iter().skip(start).take(limit).cloned().collect()
}

/// ListReviewPolicyResultsForHIT / GetReviewResultsForHIT: the caller's HIT,
/// its policies and what they computed and did, oldest first.
///
/// # Errors
/// `HITDoesNotExist`, `PermissionDenied`.
pub async fn results(ctx: &Ctx, query: ResultsQuery) -> Result<ReviewReport> {
    let ResultsQuery { hit_id, assignment_id, levels, retrieve_actions, retrieve_results, page } = query;
    let about = |id: &str| assignment_id.as_ref().is_none_or(|a| a.as_str() == id);
    let hit = owned_hit(ctx, hit_id.as_str()).await?;
    let policies = ctx.store.review_policies(&hit.id).await.map_err(internal)?.unwrap_or_default();
    let log = ctx.store.review_log(&hit.id).await.map_err(internal)?;
    let wanted = |level| levels.is_empty() || levels.contains(&level);
    let report = |level: PolicyLevel| ReviewLog {
        results: if retrieve_results {
            let of_level: Vec<ReviewResult> =
                log.results.iter().filter(|r| r.level == level && about(&r.subject_id)).cloned().collect();
            page_of(&of_level, &page)
        } else {
            Vec::new()
        },
        actions: if retrieve_actions {
            let of_level: Vec<ReviewAction> =
                log.actions.iter().filter(|a| a.level == level && about(&a.target_id)).cloned().collect();
            page_of(&of_level, &page)
        } else {
            Vec::new()
        },
    };
    Ok(ReviewReport {
        assignment: (wanted(PolicyLevel::Assignment) && policies.assignment.is_some())
            .then(|| report(PolicyLevel::Assignment)),
        hit: (wanted(PolicyLevel::Hit) && policies.hit.is_some()).then(|| report(PolicyLevel::Hit)),
        hit_id: hit.id,
        policies,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::review::MapEntry;

    fn param(key: &str, values: &[&str]) -> PolicyParameter {
        PolicyParameter {
            key: key.into(),
            values: values.iter().map(|v| (*v).to_owned()).collect(),
            map_entries: vec![],
        }
    }

    fn known(extra: Vec<PolicyParameter>) -> HitReviewPolicies {
        let mut parameters = vec![PolicyParameter {
            key: "AnswerKey".into(),
            values: vec![],
            map_entries: vec![MapEntry { key: "q1".into(), values: vec![" A ".into()] }],
        }];
        parameters.extend(extra);
        HitReviewPolicies { assignment: Some(ReviewPolicy { name: KNOWN_ANSWERS.into(), parameters }), hit: None }
    }

    #[test]
    fn known_answer_policies_are_checked_value_by_value() {
        assert!(check(&known(vec![param("ApproveIfKnownAnswerScoreIsAtLeast", &["101"])])).is_ok());
        for bad in [
            param("ApproveIfKnownAnswerScoreIsAtLeast", &["102"]),
            param("ApproveIfKnownAnswerScoreIsAtLeast", &["ten"]),
            param("ApproveIfKnownAnswerScoreIsAtLeast", &["1", "2"]),
            param("ExtendMaximumAssignments", &["1"]),
            param("ExtendMinimumTimeInSeconds", &["60"]),
            param("QuestionIds", &["q1"]),
        ] {
            let err = check(&known(vec![bad.clone()])).unwrap_err();
            assert_eq!(err.code(), crate::error::ErrorCode::InvalidParameterValue, "{bad:?}");
        }
    }

    #[test]
    fn known_answers_are_trimmed_and_sorted() {
        let p = known_answers(known(vec![]).assignment.as_ref().unwrap()).unwrap();
        assert_eq!(p.answer_key, vec![("q1".to_owned(), vec!["A".to_owned()])]);
        assert_eq!(p.extend_maximum, 5);
    }
}
