//! The worker marketplace, as simulated workers use it: which HITs a worker
//! may discover, preview and accept (requirements, blocks, the system
//! qualifications computed from profile and history), accepting, submitting
//! and returning.

use std::collections::HashMap;

use base64::Engine as _;

use crate::documents;
use crate::domain::hit::{Assignment, AssignmentStatus, Hit, HitStatus, HitType};
use crate::domain::ids::{QualificationTypeId, RequesterId, WorkerId};
use crate::domain::paging::Cursor;
use crate::domain::qualification::{QualificationStatus, SystemType};
use crate::domain::requirement::{GuardedActions, Held};
use crate::domain::time::Timestamp;
use crate::error::{ErrorCode, Result};
use crate::mturk_error;
use crate::store::files::StoredFile;
use crate::store::hits::{AcceptOutcome, HitFilter, WorkerHistory, WorkerProfile};
pub use crate::store::hits::{MarketCursor, MarketOrder};
use crate::store::Page;

use super::assignments::{assignment_does_not_exist, assignment_state_error};
use super::hits::hit_does_not_exist;
use super::qualifications::check_len;
use super::{internal, settle, WorkerCtx};

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
        let Some(system) = SystemType::from_id(type_id) else {
            if QualificationTypeId::parse(type_id).is_none() {
                return Ok(Held::Nothing);
            }
            return Ok(self.granted(type_id).await?.map_or(Held::Nothing, Held::Integer));
        };
        let profile = &self.profile;
        Ok(match system {
            SystemType::Locale => profile.locale.clone().map_or(Held::Nothing, Held::Locale),
            SystemType::Adult => Held::Integer(i32::from(profile.adult)),
            SystemType::Masters => {
                if profile.masters {
                    Held::Integer(1)
                } else {
                    Held::Nothing
                }
            }
            SystemType::PercentAssignmentsApproved => {
                let h = self.history().await?;
                // 100 until the worker has 100 submissions (the 2014 documentation).
                if h.submitted < 100 {
                    Held::Integer(100)
                } else {
                    percent(h.approved, h.approved + h.rejected, 100)
                }
            }
            SystemType::NumberHitsApproved => {
                Held::Integer(i32::try_from(self.history().await?.approved).unwrap_or(i32::MAX))
            }
            SystemType::PercentAssignmentsSubmitted => {
                let h = self.history().await?;
                percent(h.submitted, h.accepted, 100)
            }
            SystemType::PercentAssignmentsAbandoned => {
                let h = self.history().await?;
                percent(h.abandoned, h.accepted, 0)
            }
            SystemType::PercentAssignmentsReturned => {
                let h = self.history().await?;
                percent(h.returned, h.accepted, 0)
            }
            SystemType::PercentAssignmentsRejected => {
                let h = self.history().await?;
                percent(h.rejected, h.submitted, 0)
            }
        })
    }

    /// Evaluates every requirement of `hit` and the requester's block.
    async fn eligibility(&mut self, hit: &Hit) -> Result<Eligibility> {
        self.type_eligibility(&hit.hit_type).await
    }

    /// Evaluates every requirement of a HIT type (the same for every HIT of
    /// its group) and its requester's block.
    async fn type_eligibility(&mut self, hit_type: &HitType) -> Result<Eligibility> {
        let blocked = self.blocked_by(&hit_type.owner).await?;
        let mut e = Eligibility {
            can_discover: true,
            can_preview: true,
            can_accept: !blocked,
            blocked,
            failed_requirements: vec![],
        };
        for r in &hit_type.requirements {
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
    settle(w).await?;
    let mut facts = WorkerFacts::load(w, worker).await?;
    let mut out = Vec::new();
    let mut after = None;
    // Page by the listing's key (creation time, id), each page after the last
    // HIT of the one before, so that HITs filling up meanwhile shift nothing.
    loop {
        let page = Page::after(after.take().map(|c| market_key(&c, MarketOrder::Oldest)), MARKETPLACE_PAGE);
        let filter = HitFilter::Marketplace { order: MarketOrder::Oldest };
        let found = w.store.hits(&filter, w.now, page).await.map_err(internal)?;
        let full = i64::try_from(found.items.len()).unwrap_or(i64::MAX) >= MARKETPLACE_PAGE;
        after = found.items.last().map(|h| cursor_of(h, MarketOrder::Oldest));
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

/// Where a page that ended with `hit` stops, in `order`.
#[must_use]
pub fn cursor_of(hit: &Hit, order: MarketOrder) -> MarketCursor {
    let key = match order {
        MarketOrder::Oldest | MarketOrder::Newest => hit.creation_time.millis(),
        MarketOrder::HighestReward | MarketOrder::LowestReward => hit.hit_type.reward_cents,
    };
    MarketCursor { key, time: hit.creation_time, id: hit.id.clone() }
}

/// A marketplace cursor as the store's listing key in `order` (see
/// `HitFilter::Marketplace` and `HitStore::hit_groups`): creation time and
/// id, after the reward when the order is by reward.
fn market_key(c: &MarketCursor, order: MarketOrder) -> Cursor {
    let mut key = Vec::with_capacity(3);
    if matches!(order, MarketOrder::HighestReward | MarketOrder::LowestReward) {
        key.push(c.key.to_string());
    }
    key.extend([c.time.millis().to_string(), c.id.clone()]);
    Cursor(key)
}

/// A HIT group as a worker's list shows it: the HITs of one HIT type (one
/// requester, title, reward, time allotted, requirements), folded into one row.
#[derive(Debug, Clone)]
pub struct HitGroup {
    /// The HIT type; its properties are the group's.
    pub hit_type: HitType,
    /// HITs of the group this worker could accept now: open, and none of them
    /// already taken by this worker.
    pub available: i64,
    /// What the worker may do with the group's HITs.
    pub eligibility: Eligibility,
}

/// One page of HIT groups.
#[derive(Debug, Clone)]
pub struct GroupPage {
    /// The groups the worker can discover on this page.
    pub groups: Vec<HitGroup>,
    /// Where the next page starts (after this page's last group read), or
    /// `None` when this was the last page.
    pub next: Option<MarketCursor>,
}

/// Where a page of groups that ended with `hit_type` stops, in `order`.
#[must_use]
pub fn group_cursor(hit_type: &HitType, order: MarketOrder) -> MarketCursor {
    let key = match order {
        MarketOrder::Oldest | MarketOrder::Newest => hit_type.creation_time.millis(),
        MarketOrder::HighestReward | MarketOrder::LowestReward => hit_type.reward_cents,
    };
    MarketCursor { key, time: hit_type.creation_time, id: hit_type.id.clone() }
}

/// One page of the HIT groups a worker can find, in `order`, after `after`.
/// The store pages over HIT types by key, keeping those with an open HIT and
/// matching `search` (title, description, keywords), so a page reads about
/// `limit` types however many HITs are stored; groups whose requirement
/// hides them from this worker are skipped (reading on until `limit` are
/// found or the listing ends), and available HITs are counted only for the
/// groups shown.
///
/// # Errors
/// Store failures.
pub async fn find_groups_page(
    w: &WorkerCtx,
    worker: &WorkerId,
    after: Option<MarketCursor>,
    order: MarketOrder,
    search: Option<&str>,
    limit: usize,
) -> Result<GroupPage> {
    settle(w).await?;
    let mut facts = WorkerFacts::load(w, worker).await?;
    let search = search.map(str::trim).filter(|s| !s.is_empty());
    let read = i64::try_from(limit.clamp(1, 100)).unwrap_or(100);
    let mut shown: Vec<(HitType, Eligibility)> = Vec::new();
    let mut after = after;
    let mut next = None;
    loop {
        let page = Page::after(after.as_ref().map(|c| market_key(c, order)), read);
        let found = w.store.hit_groups(search, order, w.now, page).await.map_err(internal)?;
        let full = i64::try_from(found.items.len()).unwrap_or(i64::MAX) >= read;
        for t in found.items {
            after = Some(group_cursor(&t, order));
            let e = facts.type_eligibility(&t).await?;
            if e.can_discover {
                shown.push((t, e));
                if shown.len() >= limit {
                    next.clone_from(&after);
                    break;
                }
            }
        }
        if next.is_some() || !full {
            break;
        }
    }
    let ids: Vec<String> = shown.iter().map(|(t, _)| t.id.clone()).collect();
    let counts: HashMap<String, i64> =
        w.store.group_available(&ids, worker.as_str(), w.now).await.map_err(internal)?.into_iter().collect();
    let groups = shown
        .into_iter()
        .map(|(hit_type, eligibility)| HitGroup {
            available: counts.get(&hit_type.id).copied().unwrap_or(0),
            hit_type,
            eligibility,
        })
        .collect();
    Ok(GroupPage { groups, next })
}

/// One HIT group for `worker`, by its HIT type id, with its open HITs
/// `after` a HIT (creation time, id) in creation order, `limit` of them.
///
/// # Errors
/// `InvalidParameterValue` for a HIT type that does not exist; store failures.
pub async fn group(
    w: &WorkerCtx,
    worker: &WorkerId,
    hit_type_id: &str,
    after: Option<(Timestamp, String)>,
    limit: i64,
) -> Result<(HitGroup, Vec<Hit>, Option<(Timestamp, String)>)> {
    settle(w).await?;
    let hit_type = w.store.hit_type(hit_type_id).await.map_err(internal)?.ok_or_else(|| {
        mturk_error!(InvalidParameterValue, "HITType {hit_type_id} does not exist.").with_data("HITTypeId", hit_type_id)
    })?;
    let eligibility = WorkerFacts::load(w, worker).await?.type_eligibility(&hit_type).await?;
    let available = w
        .store
        .group_available(std::slice::from_ref(&hit_type.id), worker.as_str(), w.now)
        .await
        .map_err(internal)?
        .first()
        .map_or(0, |(_, n)| *n);
    let cursor = after.map(|(time, id)| Cursor(vec![time.millis().to_string(), id]));
    let filter = HitFilter::Group { hit_type: hit_type.id.clone() };
    let found = w.store.hits(&filter, w.now, Page::after(cursor, limit.clamp(1, 100))).await.map_err(internal)?;
    let full = i64::try_from(found.items.len()).unwrap_or(i64::MAX) >= limit.clamp(1, 100);
    let next = if full { found.items.last().map(|h| (h.creation_time, h.id.clone())) } else { None };
    Ok((HitGroup { hit_type, available, eligibility }, found.items, next))
}

/// The HIT of group `hit_type_id` that `worker` would get now: its oldest
/// open HIT the worker has not taken; `None` when there is none.
///
/// # Errors
/// Store failures.
pub async fn next_hit_of_group(w: &WorkerCtx, worker: &WorkerId, hit_type_id: &str) -> Result<Option<Hit>> {
    settle(w).await?;
    let Some(id) = w.store.next_group_hit(hit_type_id, worker.as_str(), w.now, &[]).await.map_err(internal)? else {
        return Ok(None);
    };
    w.store.hit(&id, w.now).await.map_err(internal)
}

/// HITs another worker may take between the choice and the accept, each
/// skipped before [`accept_from_group`] gives up.
const GROUP_ACCEPT_TRIES: usize = 5;

/// A worker accepts the next HIT of a HIT group (MTurk's "Accept & Work"):
/// its oldest open HIT the worker has not taken. A HIT that fills up
/// between the choice and the accept is skipped for the next one.
///
/// # Errors
/// As [`accept`]; `InvalidHITState` when the group has no HIT left that the
/// worker could accept.
pub async fn accept_from_group(w: &WorkerCtx, worker: &WorkerId, hit_type_id: &str) -> Result<Assignment> {
    settle(w).await?;
    let mut skip: Vec<String> = Vec::new();
    loop {
        let next = w.store.next_group_hit(hit_type_id, worker.as_str(), w.now, &skip).await.map_err(internal)?;
        let Some(hit_id) = next else {
            return Err(mturk_error!(InvalidHitState, "HIT group {hit_type_id} has no HIT left that you can accept.")
                .with_data("HITTypeId", hit_type_id));
        };
        match accept(w, worker, &hit_id).await {
            Err(e) if e.code() == ErrorCode::InvalidHitState && skip.len() + 1 < GROUP_ACCEPT_TRIES => {
                skip.push(hit_id);
            }
            other => return other,
        }
    }
}

/// A worker accepts a HIT.
///
/// # Errors
/// `HITDoesNotExist`, `InvalidHITState` (no slot, expired), `WorkerBlocked`,
/// `DoesNotMeetRequirements`, `AssignmentAlreadyExists`.
pub async fn accept(w: &WorkerCtx, worker: &WorkerId, hit_id: &str) -> Result<Assignment> {
    settle(w).await?;
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

/// A file a simulated worker uploads as the answer to a FileUploadAnswer question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedFile {
    /// The QuestionIdentifier it answers.
    pub question_id: String,
    /// The file's name.
    pub name: String,
    /// Its bytes.
    pub content: Vec<u8>,
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
    submit_work(w, id, worker, Some(answer), answer_is_xml, Vec::new()).await
}

/// A worker submits an assignment with files for its FileUploadAnswer
/// questions, and optionally the other answers as QuestionFormAnswers. Each
/// file becomes an `Answer` with `UploadedFileSizeInBytes` and
/// `UploadedFileKey` (QuestionFormAnswers.xsd 2005-10-01), and is kept with the
/// assignment in the submit's transaction.
///
/// # Errors
/// As [`submit`]; `InvalidParameterValue` for a file answering a question the
/// HIT does not have, or one that is not a FileUploadAnswer, or a question
/// answered twice; `AWS.ParameterOutOfRange` for a file outside the
/// question's `MinFileSizeInBytes`..`MaxFileSizeInBytes`.
pub async fn submit_with_files(
    w: &WorkerCtx,
    id: &str,
    worker: Option<&WorkerId>,
    answer: Option<&str>,
    files: Vec<UploadedFile>,
) -> Result<String> {
    submit_work(w, id, worker, answer, true, files).await
}

/// Every submission, with or without files.
async fn submit_work(
    w: &WorkerCtx,
    id: &str,
    worker: Option<&WorkerId>,
    answer: Option<&str>,
    answer_is_xml: bool,
    files: Vec<UploadedFile>,
) -> Result<String> {
    let a = workers_assignment(w, id, worker).await?;
    if answer_is_xml {
        if let Some(answer) = answer {
            documents::parse_answers(answer)?;
        }
    }
    if let Some(answer) = answer {
        check_len("Answer", answer, 65_535)?;
    }
    let hit = w.store.hit(&a.hit_id, w.now).await.map_err(internal)?.ok_or_else(|| hit_does_not_exist(&a.hit_id))?;
    let (answer, stored) = if files.is_empty() {
        (answer.unwrap_or_default().to_owned(), Vec::new())
    } else {
        file_answers(w, &hit, answer, files)?
    };
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
    let done = if stored.is_empty() {
        w.store.submit(id, &answer, w.now, auto).await
    } else {
        w.store.submit_with_files(id, &answer, w.now, auto, &stored).await
    };
    if !done.map_err(internal)? {
        return Err(assignment_state_error(&a, w.now, "Accepted"));
    }
    // The HIT's review policies run on the committed submission; whatever
    // they do (or fail to do), the submission stands.
    if let Err(e) = super::review::after_submit(w, &a.hit_id, id).await {
        tracing::error!(error = %e, hit_id = %a.hit_id, "review policies failed after a submission");
    }
    Ok(a.hit_id)
}

/// Checks each file against its question of `hit` and returns the answer
/// document with one `Answer` per file added, and the files to keep.
fn file_answers(
    w: &WorkerCtx,
    hit: &Hit,
    answer: Option<&str>,
    files: Vec<UploadedFile>,
) -> Result<(String, Vec<StoredFile>)> {
    let questions = documents::form_questions(&hit.question)?;
    let answered: Vec<String> = match answer {
        Some(a) => documents::parse_answers(a)?.answers.into_iter().map(|(q, _)| q).collect(),
        None => Vec::new(),
    };
    let mut stored: Vec<StoredFile> = Vec::with_capacity(files.len());
    for f in files {
        let q = &f.question_id;
        let question = questions.iter().find(|x| &x.id == q).ok_or_else(|| {
            mturk_error!(InvalidParameterValue, "HIT {} has no QuestionForm question {q}.", hit.id)
                .with_data("QuestionIdentifier", q.as_str())
        })?;
        let Some((min, max)) = question.file_sizes else {
            return Err(mturk_error!(
                InvalidParameterValue,
                "Question {q} of HIT {} does not take a file: its answer is not a FileUploadAnswer.",
                hit.id
            )
            .with_data("QuestionIdentifier", q.as_str()));
        };
        if answered.contains(q) || stored.iter().any(|s| &s.question_identifier == q) {
            return Err(mturk_error!(InvalidParameterValue, "Question {q} is answered twice."));
        }
        let size = i64::try_from(f.content.len()).unwrap_or(i64::MAX);
        // UploadedFileSizeInBytes is a positiveInteger: an empty file is never an answer.
        let min = min.max(1);
        if size < min || size > max {
            return Err(mturk_error!(
                ParameterOutOfRange,
                "The file for question {q} has {size} bytes; the question takes {min} to {max} bytes."
            ));
        }
        check_len("Name", &f.name, 255)?;
        if f.name.is_empty() || !f.name.chars().all(|c| documents::is_xml_char(c) && !c.is_control()) {
            return Err(mturk_error!(InvalidParameterValue, "The file for question {q} needs a printable Name."));
        }
        let key = w.ids.alphanumeric(40);
        stored.push(StoredFile {
            question_identifier: q.clone(),
            file_key: key,
            file_name: f.name,
            size_bytes: size,
            content_base64: base64::engine::general_purpose::STANDARD.encode(&f.content),
        });
    }
    let uploaded: Vec<documents::UploadedFileAnswer<'_>> = stored
        .iter()
        .map(|f| documents::UploadedFileAnswer {
            question_id: &f.question_identifier,
            size_bytes: f.size_bytes,
            file_key: &f.file_key,
        })
        .collect();
    let document = documents::with_uploaded_files(answer, &uploaded);
    documents::parse_answers(&document)?;
    check_len("Answer", &document, 65_535)?;
    Ok((document, stored))
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
