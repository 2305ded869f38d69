//! The worker's pages (`/worker`): choose or create a simulated worker, find
//! HITs with whether this worker qualifies (and which requirement fails, a
//! revoked qualification with its reason), preview, accept, work, submit or
//! return; qualifications with requests and tests; messages; history.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};

use super::pages::{self, dollars, duration, Layout, Query};
use super::{enc, see_other, Session};
use crate::documents::form::{self as qform, AnswerSpec, Content, Entered, Item};
use crate::domain::clock::Clock as _;
use crate::domain::hit::{Assignment, AssignmentStatus, Hit, HitType};
use crate::domain::ids::{QualificationRequestId, QualificationTypeId, WorkerId};
use crate::domain::qualification::{Qualification, QualificationStatus};
use crate::domain::requirement::Locale;
use crate::domain::time::Timestamp;
use crate::domain::worker::WorkerProfile;
use crate::error::{invalid_value, MturkError};
use crate::ops::marketplace::{self, Eligibility, HitGroup, MarketCursor, MarketOrder, UploadedFile};
use crate::ops::requests::{self, RequestOutcome};
use crate::ops::{local, WorkerCtx};
use crate::state::AppState;

/// What `assignmentId` is while a worker previews (the MTurk convention).
pub(crate) const PREVIEW_ASSIGNMENT: &str = "ASSIGNMENT_ID_NOT_AVAILABLE";
/// HITs per page of the worker's list.
const HITS_PER_PAGE: usize = 25;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/worker", get(home).post(choose))
        .route("/worker/{worker_id}", get(hits))
        .route("/worker/{worker_id}/groups/{hit_type_id}", get(group))
        .route("/worker/{worker_id}/groups/{hit_type_id}/accept", post(accept_group))
        .route("/worker/{worker_id}/hits/{hit_id}", get(preview))
        .route("/worker/{worker_id}/hits/{hit_id}/accept", post(accept))
        .route("/worker/{worker_id}/assignments/{assignment_id}", get(work))
        .route("/worker/{worker_id}/assignments/{assignment_id}/submit", post(submit))
        .route("/worker/{worker_id}/assignments/{assignment_id}/return", post(give_back))
        .route("/worker/{worker_id}/qualifications", get(qualifications).post(request_qualification))
        .route("/worker/{worker_id}/tests/{request_id}", get(test).post(answer_test))
        .route("/worker/{worker_id}/messages", get(messages))
        .route("/worker/{worker_id}/history", get(history))
        .route("/worker-content/{hit_id}", get(content))
}

fn worker_id(raw: &str) -> Result<WorkerId, MturkError> {
    WorkerId::parse(raw).ok_or_else(|| invalid_value("WorkerId", raw))
}

fn layout(state: &AppState, session: &Session, worker: &WorkerId, title: &str, q: &Query) -> Layout {
    let base = format!("/worker/{}", worker.as_str());
    let nav = vec![
        (base.clone(), "HITs".to_owned()),
        (format!("{base}/qualifications"), "Qualifications".to_owned()),
        (format!("{base}/messages"), "Messages".to_owned()),
        (format!("{base}/history"), "History & earnings".to_owned()),
        ("/worker".to_owned(), "Switch worker".to_owned()),
        ("/requester".to_owned(), "Requester console".to_owned()),
    ];
    q.layout(title, &session.csrf, nav, state.clock.now())
}

fn fail(err: &MturkError) -> Response {
    pages::error(err)
}

macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(err) => return fail(&err),
        }
    };
}

// ---------------------------------------------------------------- choose

#[derive(askama::Template)]
#[template(path = "worker_home.html")]
struct HomePage {
    l: Layout,
}

async fn home(State(state): State<AppState>, Extension(session): Extension<Session>, uri: Uri) -> Response {
    let q = Query::from_uri(&uri);
    if let Some(id) = q.get("worker_id") {
        return match worker_id(id.trim()) {
            Ok(w) => Redirect::to(&format!("/worker/{}", w.as_str())).into_response(),
            Err(e) => see_other("/worker", Err(e)),
        };
    }
    let nav = vec![("/requester".into(), "Requester console".into())];
    let l = q.layout("Be a worker", &session.csrf, nav, state.clock.now());
    pages::render(&HomePage { l })
}

/// `POST /worker`: sets a worker's profile (locale, adult, masters), the
/// simulator's profile behind the system qualifications, and opens its page.
async fn choose(State(state): State<AppState>, body: Bytes) -> Response {
    let f = pages::form(&body);
    let worker = match worker_id(f.get("worker_id").unwrap_or_default().trim()) {
        Ok(w) => w,
        Err(e) => return see_other("/worker", Err(e)),
    };
    let locale = f.get("country").map(|c| Locale {
        country: c.trim().to_uppercase(),
        subdivision: f.get("subdivision").map(|s| s.trim().to_uppercase()),
    });
    let profile = WorkerProfile { locale, adult: f.get("adult").is_some(), masters: f.get("masters").is_some() };
    match local::set_worker_profile(&state.worker_ctx(), &worker, profile).await {
        Ok(_) => see_other(&format!("/worker/{}", worker.as_str()), Ok(format!("Worker {worker} is ready."))),
        Err(e) => see_other("/worker", Err(e)),
    }
}

// ---------------------------------------------------------------- HIT list

/// A requirement as a worker's page states it.
struct RequirementView {
    text: String,
    /// Why this worker fails it, when it does.
    failing: Option<String>,
}

/// A HIT group as a row of the worker's list.
#[allow(clippy::struct_excessive_bools, reason = "independent facts the template shows as they are")]
struct GroupRow {
    type_id: String,
    title: String,
    description: String,
    requester: String,
    reward: String,
    duration: String,
    available: i64,
    requirements: Vec<RequirementView>,
    /// No requirement fails.
    qualified: bool,
    can_accept: bool,
    can_preview: bool,
    blocked: bool,
}

#[derive(askama::Template)]
#[template(path = "worker_hits.html")]
struct HitsPage {
    l: Layout,
    worker: String,
    search: String,
    sort: String,
    sorts: Vec<(String, String)>,
    rows: Vec<GroupRow>,
    next: Option<String>,
    first: bool,
}

/// Why the worker fails a requirement of `type_id`: a revoked qualification
/// with its reason, a value that does not satisfy it, or none held.
fn failure_reason(type_id: &str, held: &[Qualification]) -> String {
    match held.iter().find(|q| q.type_id.as_str() == type_id) {
        Some(q) if q.status == QualificationStatus::Revoked => match q.revoke_reason.as_deref() {
            Some(r) if !r.is_empty() => format!("revoked: {r}"),
            _ => "revoked".to_owned(),
        },
        Some(q) => format!("your value {} does not qualify", q.integer_value),
        None => "you do not have it".to_owned(),
    }
}

async fn type_name(w: &WorkerCtx, id: &str) -> String {
    if let Some(system) = crate::domain::qualification::SystemType::from_id(id) {
        return format!("{system:?}");
    }
    match QualificationTypeId::parse(id) {
        Some(tid) => match local::qualification_type(w, &tid).await {
            Ok(Some(t)) => format!("{} ({id})", t.name),
            _ => id.to_owned(),
        },
        None => id.to_owned(),
    }
}

async fn requirement_views(
    w: &WorkerCtx,
    hit_type: &HitType,
    e: &Eligibility,
    held: &[Qualification],
) -> Vec<RequirementView> {
    let mut out = Vec::new();
    for r in &hit_type.requirements {
        let name = type_name(w, &r.type_id).await;
        let values: Vec<String> = r
            .integer_values
            .iter()
            .map(ToString::to_string)
            .chain(r.locale_values.iter().map(|l| match &l.subdivision {
                Some(s) => format!("{}-{s}", l.country),
                None => l.country.clone(),
            }))
            .collect();
        let text = format!("{name} {} {}", r.comparator.as_str(), values.join(", ")).trim_end().to_owned();
        let failing = e.failed_requirements.contains(&r.type_id).then(|| failure_reason(&r.type_id, held));
        out.push(RequirementView { text, failing });
    }
    out
}

fn cursor(next: Option<&MarketCursor>) -> Option<String> {
    next.map(|c| format!("{}~{}~{}", c.key, c.time.millis(), c.id))
}

fn parse_cursor(raw: &str) -> Option<MarketCursor> {
    let mut parts = raw.splitn(3, '~');
    let key = parts.next()?.parse().ok()?;
    let time = Timestamp::from_millis(parts.next()?.parse().ok()?);
    Some(MarketCursor { key, time, id: parts.next()?.to_owned() })
}

/// The orders the list offers: (query value, label).
const SORTS: [(&str, &str, MarketOrder); 4] = [
    ("oldest", "Oldest first", MarketOrder::Oldest),
    ("newest", "Newest first", MarketOrder::Newest),
    ("reward", "Highest reward first", MarketOrder::HighestReward),
    ("reward-asc", "Lowest reward first", MarketOrder::LowestReward),
];

async fn group_row(w: &WorkerCtx, g: &HitGroup, held: &[Qualification]) -> GroupRow {
    let t = &g.hit_type;
    let e = &g.eligibility;
    GroupRow {
        type_id: t.id.clone(),
        title: t.title.clone(),
        description: t.description.clone(),
        requester: t.owner.as_str().to_owned(),
        reward: dollars(t.reward_cents),
        duration: duration(t.assignment_duration_secs),
        available: g.available,
        requirements: requirement_views(w, t, e, held).await,
        qualified: e.failed_requirements.is_empty(),
        can_accept: e.can_accept && g.available > 0,
        can_preview: e.can_preview,
        blocked: e.blocked,
    }
}

/// `GET /worker/{WorkerId}`: the HIT groups this worker can find, a page at
/// a time (`?after=`), searched (`?q=`) and sorted (`?sort=`) in the database.
async fn hits(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(raw): Path<String>,
    uri: Uri,
) -> Response {
    let worker = tri!(worker_id(&raw));
    let q = Query::from_uri(&uri);
    let w = state.worker_ctx();
    let after = q.get("after").and_then(parse_cursor);
    let first = after.is_none();
    let search = q.get("q").unwrap_or_default().to_owned();
    let (sort, _, order) = SORTS.iter().find(|(v, _, _)| Some(*v) == q.get("sort")).copied().unwrap_or(SORTS[0]);
    let page = tri!(marketplace::find_groups_page(&w, &worker, after, order, Some(&search), HITS_PER_PAGE).await);
    let held = tri!(local::worker_qualifications(&w, &worker).await);
    let mut rows = Vec::new();
    for g in &page.groups {
        rows.push(group_row(&w, g, &held).await);
    }
    let l = layout(&state, &session, &worker, &format!("HITs for {worker}"), &q);
    let next = cursor(page.next.as_ref());
    let sorts = SORTS.iter().map(|(v, label, _)| ((*v).to_owned(), (*label).to_owned())).collect();
    let sort = sort.to_owned();
    pages::render(&HitsPage { l, worker: worker.as_str().to_owned(), search, sort, sorts, rows, next, first })
}

/// One HIT of a group's list.
struct GroupHit {
    hit_id: String,
    available: i64,
    created: String,
    expires: String,
}

#[derive(askama::Template)]
#[template(path = "worker_group.html")]
struct GroupPageView {
    l: Layout,
    worker: String,
    group: GroupRow,
    /// The HIT Accept & Work would take, previewed.
    next_hit: Option<String>,
    question: Option<QuestionView>,
    hits: Vec<GroupHit>,
    next: Option<String>,
    first: bool,
}

/// `GET /worker/{WorkerId}/groups/{HITTypeId}`: a HIT group, with a preview
/// of the HIT Accept & Work takes, and its open HITs a page at a time.
async fn group(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path((raw, type_id)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
    uri: Uri,
) -> Response {
    let worker = tri!(worker_id(&raw));
    let q = Query::from_uri(&uri);
    let w = state.worker_ctx();
    let after = q.get("after").and_then(|a| {
        let (time, id) = a.split_once('~')?;
        Some((Timestamp::from_millis(time.parse().ok()?), id.to_owned()))
    });
    let first = after.is_none();
    let (g, list, next) =
        tri!(marketplace::group(&w, &worker, &type_id, after, i64::try_from(HITS_PER_PAGE).unwrap_or(25)).await);
    let held = tri!(local::worker_qualifications(&w, &worker).await);
    let next_hit = tri!(marketplace::next_hit_of_group(&w, &worker, &type_id).await);
    let question = next_hit
        .as_ref()
        .filter(|_| g.eligibility.can_preview)
        .map(|hit| question_view(&state, &headers, hit, PREVIEW_ASSIGNMENT, &worker));
    let csp = question.as_ref().map(csp_for);
    let hits = list
        .iter()
        .map(|h| GroupHit {
            hit_id: h.id.clone(),
            available: h.available(w.now),
            created: h.creation_time.to_rfc3339_millis(),
            expires: h.expiration.to_rfc3339_millis(),
        })
        .collect();
    let l = layout(&state, &session, &worker, &format!("HIT group: {}", g.hit_type.title), &q);
    let page = GroupPageView {
        l,
        worker: worker.as_str().to_owned(),
        group: group_row(&w, &g, &held).await,
        next_hit: next_hit.map(|h| h.id),
        question,
        hits,
        next: next.map(|(t, id)| format!("{}~{id}", t.millis())),
        first,
    };
    let response = pages::render(&page);
    match csp {
        Some(csp) => with_csp(response, &csp),
        None => response,
    }
}

/// `POST /worker/{WorkerId}/groups/{HITTypeId}/accept`: MTurk's Accept &
/// Work, the next HIT of the group.
async fn accept_group(State(state): State<AppState>, Path((raw, type_id)): Path<(String, String)>) -> Response {
    let worker = tri!(worker_id(&raw));
    match marketplace::accept_from_group(&state.worker_ctx(), &worker, &type_id).await {
        Ok(a) => see_other(&format!("/worker/{}/assignments/{}", worker.as_str(), enc(&a.id)), Ok(String::new())),
        Err(e) => see_other(&format!("/worker/{}/groups/{}", worker.as_str(), enc(&type_id)), Err(e)),
    }
}

// ---------------------------------------------------------------- preview and work

/// The question of a HIT as the page shows it.
enum QuestionView {
    /// An HTMLQuestion: an iframe on `/worker-content/…`.
    Html { src: String, height: i64 },
    /// An ExternalQuestion: an iframe on the requester's URL.
    External { src: String, height: i64 },
    /// A QuestionForm rendered here.
    Form(Vec<Item>),
    /// A question this page cannot show.
    Unreadable(String),
}

fn question_view(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    hit: &Hit,
    assignment: &str,
    worker: &WorkerId,
) -> QuestionView {
    // With a control token, a capability prefix the frame's form can post
    // to without the console's cookie (see `control::turk_submit_to`).
    let submit_to = crate::control::turk_submit_to(state, &state.origin(headers), assignment);
    let params = format!(
        "assignmentId={}&hitId={}&workerId={}&turkSubmitTo={}",
        enc(assignment),
        enc(&hit.id),
        enc(worker.as_str()),
        enc(&submit_to)
    );
    let height = crate::documents::frame_height(&hit.question).filter(|h| *h > 0).unwrap_or(600);
    if crate::documents::html_content(&hit.question).is_some() {
        return QuestionView::Html { src: format!("/worker-content/{}?{params}", enc(&hit.id)), height };
    }
    if let Some(url) = crate::documents::external_url(&hit.question) {
        let sep = if url.contains('?') { '&' } else { '?' };
        return QuestionView::External { src: format!("{url}{sep}{params}"), height };
    }
    match qform::parse(&hit.question) {
        Ok(Some(items)) => QuestionView::Form(items),
        Ok(None) => QuestionView::Unreadable("This HIT's question is of a kind this page does not show.".into()),
        Err(e) => QuestionView::Unreadable(e.message().to_owned()),
    }
}

/// The page's policy: frames from here, and from an ExternalQuestion's origin.
fn csp_for(view: &QuestionView) -> String {
    let mut origins = Vec::new();
    if let QuestionView::External { src, .. } = view {
        if let Some((scheme, rest)) = src.split_once("://") {
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            if !host.is_empty()
                && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
            {
                origins.push(format!("{scheme}://{host}"));
            }
        }
    }
    super::console_csp(&origins)
}

fn with_csp(mut response: Response, csp: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(csp) {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    response
}

struct HitFacts {
    hit_id: String,
    title: String,
    description: String,
    requester: String,
    reward: String,
    duration: String,
    available: i64,
    requirements: Vec<RequirementView>,
}

async fn hit_facts(w: &WorkerCtx, hit: &Hit, e: &Eligibility, held: &[Qualification]) -> HitFacts {
    HitFacts {
        hit_id: hit.id.clone(),
        title: hit.hit_type.title.clone(),
        description: hit.hit_type.description.clone(),
        requester: hit.hit_type.owner.as_str().to_owned(),
        reward: dollars(hit.hit_type.reward_cents),
        duration: duration(hit.hit_type.assignment_duration_secs),
        available: hit.available(w.now),
        requirements: requirement_views(w, &hit.hit_type, e, held).await,
    }
}

#[derive(askama::Template)]
#[template(path = "worker_preview.html")]
struct PreviewPage {
    l: Layout,
    worker: String,
    hit: HitFacts,
    can_accept: bool,
    blocked: bool,
    question: Option<QuestionView>,
    mine: Option<String>,
}

async fn preview(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path((raw, hit_id)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
    uri: Uri,
) -> Response {
    let worker = tri!(worker_id(&raw));
    let q = Query::from_uri(&uri);
    let w = state.worker_ctx();
    let (hit, e) = tri!(local::hit_for_worker(&w, &worker, &hit_id).await);
    let held = tri!(local::worker_qualifications(&w, &worker).await);
    let mine = tri!(local::worker_assignments(&w, &worker).await)
        .into_iter()
        .find(|a| a.hit_id == hit.id && a.status_at(w.now) == AssignmentStatus::Accepted)
        .map(|a| a.id);
    let question = e.can_preview.then(|| question_view(&state, &headers, &hit, PREVIEW_ASSIGNMENT, &worker));
    let csp = question.as_ref().map(csp_for);
    let l = layout(&state, &session, &worker, &format!("Preview: {}", hit.hit_type.title), &q);
    let facts = hit_facts(&w, &hit, &e, &held).await;
    let page = PreviewPage {
        l,
        worker: worker.as_str().to_owned(),
        hit: facts,
        can_accept: e.can_accept && hit.available(w.now) > 0,
        blocked: e.blocked,
        question,
        mine,
    };
    let response = pages::render(&page);
    match csp {
        Some(csp) => with_csp(response, &csp),
        None => response,
    }
}

async fn accept(State(state): State<AppState>, Path((raw, hit_id)): Path<(String, String)>) -> Response {
    let worker = tri!(worker_id(&raw));
    match local::accept(&state.worker_ctx(), &worker, &hit_id).await {
        Ok((a, _)) => see_other(&format!("/worker/{}/assignments/{}", worker.as_str(), enc(&a.id)), Ok(String::new())),
        Err(e) => see_other(&format!("/worker/{}/hits/{}", worker.as_str(), enc(&hit_id)), Err(e)),
    }
}

#[derive(askama::Template)]
#[template(path = "worker_work.html")]
struct WorkPage {
    l: Layout,
    worker: String,
    hit: HitFacts,
    assignment_id: String,
    status: String,
    in_progress: bool,
    seconds_left: i64,
    deadline: String,
    question: QuestionView,
    form_action: String,
}

async fn work(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path((raw, assignment_id)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
    uri: Uri,
) -> Response {
    let worker = tri!(worker_id(&raw));
    let query = Query::from_uri(&uri);
    let wctx = state.worker_ctx();
    let (assignment, hit) = tri!(local::worker_assignment(&wctx, &worker, &assignment_id).await);
    let e = tri!(marketplace::eligibility(&wctx, &worker, &hit).await);
    let held = tri!(local::worker_qualifications(&wctx, &worker).await);
    let status = assignment.status_at(wctx.now);
    let question = question_view(&state, &headers, &hit, &assignment.id, &worker);
    let csp = csp_for(&question);
    let l = layout(&state, &session, &worker, &hit.hit_type.title, &query);
    let page = WorkPage {
        l,
        worker: worker.as_str().to_owned(),
        hit: hit_facts(&wctx, &hit, &e, &held).await,
        assignment_id: assignment.id.clone(),
        status: status.as_str().to_owned(),
        in_progress: status == AssignmentStatus::Accepted,
        seconds_left: (assignment.deadline.millis() - wctx.now.millis()).max(0) / 1000,
        deadline: assignment.deadline.to_rfc3339_millis(),
        question,
        form_action: format!("/worker/{}/assignments/{}/submit", worker.as_str(), enc(&assignment.id)),
    };
    with_csp(pages::render(&page), &csp)
}

/// What a posted QuestionForm says for question `id`: its text field
/// `q.<id>` (or `other.<id>`), its chosen selections `s.<id>`, and whether
/// a file `f.<id>` came with it (`files`: the questions with a file).
fn entered_from<'a>(f: &'a Query, files: &'a [String]) -> impl Fn(&str) -> Entered + 'a {
    move |id: &str| {
        let text = f.get(&format!("q.{id}")).or_else(|| f.get(&format!("other.{id}"))).map(str::to_owned);
        let selections = f.all(&format!("s.{id}")).into_iter().filter(|s| !s.is_empty()).collect();
        Entered { text, selections, file: files.iter().any(|q| q == id) }
    }
}

/// A posted answer form: its fields, and the files of its file inputs
/// (`f.<QuestionIdentifier>`; an input left empty sends no file).
fn posted(headers: &axum::http::HeaderMap, body: &[u8]) -> Result<(Query, Vec<UploadedFile>), MturkError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let Some(boundary) = super::multipart::boundary(content_type) else {
        return Ok((pages::form(body), Vec::new()));
    };
    let parts =
        super::multipart::parse(body, &boundary).map_err(|why| crate::mturk_error!(InvalidParameterValue, "{why}"))?;
    let fields = Query(super::multipart::fields(&parts));
    let mut files = Vec::new();
    for p in parts {
        let Some(name) = p.filename else { continue };
        if name.is_empty() && p.data.is_empty() {
            continue;
        }
        let Some(question_id) = p.name.strip_prefix("f.") else {
            return Err(crate::mturk_error!(InvalidParameterValue, "The file field {} answers no question.", p.name));
        };
        let name = if name.is_empty() { "upload".to_owned() } else { name };
        files.push(UploadedFile { question_id: question_id.to_owned(), name, content: p.data });
    }
    Ok((fields, files))
}

/// `POST …/submit`: the answers of a QuestionForm rendered by this page,
/// stored as QuestionFormAnswers (FreeText, SelectionIdentifier,
/// OtherSelectionText) after checking them against the form; the files of
/// its FileUploadAnswer questions (a `multipart/form-data` post) are stored
/// with the assignment as the API stores them, each an `Answer` with
/// `UploadedFileSizeInBytes` and `UploadedFileKey`.
async fn submit(
    State(state): State<AppState>,
    Path((raw, assignment_id)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let worker = tri!(worker_id(&raw));
    let w = state.worker_ctx();
    let back = format!("/worker/{}/assignments/{}", worker.as_str(), enc(&assignment_id));
    let (_, hit) = tri!(local::worker_assignment(&w, &worker, &assignment_id).await);
    let items = match qform::parse(&hit.question) {
        Ok(Some(items)) => items,
        Ok(None) => {
            return see_other(
                &back,
                Err(crate::mturk_error!(
                    InvalidParameterValue,
                    "This HIT's page submits itself to /mturk/externalSubmit."
                )),
            )
        }
        Err(e) => return see_other(&back, Err(e)),
    };
    let (f, files) = match posted(&headers, &body) {
        Ok(p) => p,
        Err(e) => return see_other(&back, Err(e)),
    };
    let with_file: Vec<String> = files.iter().map(|f| f.question_id.clone()).collect();
    let answer = match qform::answers(&items, &entered_from(&f, &with_file)) {
        Ok(a) => a,
        Err(e) => return see_other(&back, Err(e)),
    };
    let submitted = if files.is_empty() {
        marketplace::submit(&w, &assignment_id, Some(&worker), &answer, true).await
    } else {
        marketplace::submit_with_files(&w, &assignment_id, Some(&worker), Some(&answer), files).await
    };
    match submitted {
        Ok(_) => {
            see_other(&format!("/worker/{}", worker.as_str()), Ok(format!("Assignment {assignment_id} submitted.")))
        }
        Err(e) => see_other(&back, Err(e)),
    }
}

async fn give_back(State(state): State<AppState>, Path((raw, assignment_id)): Path<(String, String)>) -> Response {
    let worker = tri!(worker_id(&raw));
    match marketplace::return_assignment(&state.worker_ctx(), &assignment_id, Some(&worker)).await {
        Ok(()) => {
            see_other(&format!("/worker/{}", worker.as_str()), Ok(format!("Assignment {assignment_id} returned.")))
        }
        Err(e) => see_other(&format!("/worker/{}/assignments/{}", worker.as_str(), enc(&assignment_id)), Err(e)),
    }
}

/// `GET /worker-content/{HITId}`: an HTMLQuestion's HTML, for the sandboxed
/// iframe of the preview and work pages. Its own policy: the `sandbox`
/// directive (scripts and forms, no same origin: the page cannot read the
/// console's cookies or pages, even when opened outside the iframe), no
/// fetches, forms only to `/mturk/externalSubmit` of this server (or under
/// its capability prefix `/_submit/`), framed
/// only by the console.
///
/// The worker named by `workerId` must be allowed to preview the HIT (a
/// requirement may guard preview), as on the preview page.
async fn content(
    State(state): State<AppState>,
    Path(hit_id): Path<String>,
    headers: axum::http::HeaderMap,
    uri: Uri,
) -> Response {
    let q = Query::from_uri(&uri);
    let worker = tri!(worker_id(q.get("workerId").unwrap_or_default()));
    let w = state.worker_ctx();
    let (hit, e) = tri!(local::hit_for_worker(&w, &worker, &hit_id).await);
    if !e.can_preview {
        return pages::message(
            StatusCode::FORBIDDEN,
            "Not qualified",
            "A qualification requirement of this HIT keeps this worker from previewing it.",
        );
    }
    let Some(html) = crate::documents::html_content(&hit.question) else {
        return pages::message(StatusCode::NOT_FOUND, "No HTML", "This HIT has no HTMLQuestion.");
    };
    let origin = state.origin(&headers);
    let csp = format!(
        "sandbox allow-forms allow-scripts; default-src 'none'; script-src 'unsafe-inline' https: http:; \
         style-src 'unsafe-inline' https: http:; img-src https: http: data:; font-src https: http: data:; \
         media-src https: http:; connect-src 'none'; form-action {origin}/mturk/externalSubmit {origin}/_submit/; \
         frame-ancestors 'self'; base-uri 'none'"
    );
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    response
}

// ---------------------------------------------------------------- qualifications and tests

struct QualRow {
    name: String,
    type_id: String,
    value: i32,
    status: String,
    granted: String,
    revoked: Option<String>,
    reason: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "worker_qualifications.html")]
struct QualificationsPage {
    l: Layout,
    worker: String,
    rows: Vec<QualRow>,
    profile: String,
}

async fn qualifications(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(raw): Path<String>,
    uri: Uri,
) -> Response {
    let worker = tri!(worker_id(&raw));
    let q = Query::from_uri(&uri);
    let w = state.worker_ctx();
    let held = tri!(local::worker_qualifications(&w, &worker).await);
    let profile = tri!(local::worker_profile(&w, &worker).await);
    let mut rows = Vec::new();
    for qual in &held {
        rows.push(QualRow {
            name: type_name(&w, qual.type_id.as_str()).await,
            type_id: qual.type_id.as_str().to_owned(),
            value: qual.integer_value,
            status: qual.status.as_str().to_owned(),
            granted: qual.grant_time.to_rfc3339_millis(),
            revoked: qual.revoke_time.map(Timestamp::to_rfc3339_millis),
            reason: qual.revoke_reason.clone(),
        });
    }
    let locale = profile.locale.as_ref().map_or_else(
        || "no locale".to_owned(),
        |l| l.subdivision.as_ref().map_or_else(|| l.country.clone(), |s| format!("{}-{s}", l.country)),
    );
    let profile = format!("Locale {locale}; adult: {}; masters: {}", profile.adult, profile.masters);
    let l = layout(&state, &session, &worker, &format!("Qualifications of {worker}"), &q);
    pages::render(&QualificationsPage { l, worker: worker.as_str().to_owned(), rows, profile })
}

fn outcome_notice(outcome: &RequestOutcome) -> String {
    match outcome {
        RequestOutcome::Granted { request_id, integer_value } => {
            format!("Request {request_id}: granted with the value {integer_value}.")
        }
        RequestOutcome::Pending { request_id } => {
            format!("Request {request_id} is waiting for the requester's decision.")
        }
        RequestOutcome::TestStarted { request_id, .. } => format!("Request {request_id}: take the test."),
    }
}

async fn request_qualification(State(state): State<AppState>, Path(raw): Path<String>, body: Bytes) -> Response {
    let worker = tri!(worker_id(&raw));
    let back = format!("/worker/{}/qualifications", worker.as_str());
    let f = pages::form(&body);
    let raw_type = f.get("type_id").unwrap_or_default().trim().to_owned();
    let Some(type_id) = QualificationTypeId::parse(&raw_type) else {
        return see_other(&back, Err(invalid_value("QualificationTypeId", &raw_type)));
    };
    match requests::request(&state.worker_ctx(), &worker, &type_id, None).await {
        Ok(RequestOutcome::TestStarted { request_id, .. }) => {
            Redirect::to(&format!("/worker/{}/tests/{}", worker.as_str(), enc(request_id.as_str()))).into_response()
        }
        Ok(outcome) => see_other(&back, Ok(outcome_notice(&outcome))),
        Err(e) => see_other(&back, Err(e)),
    }
}

#[derive(askama::Template)]
#[template(path = "worker_test.html")]
struct TestPage {
    l: Layout,
    worker: String,
    request_id: String,
    type_name: String,
    seconds_left: i64,
    items: Vec<Item>,
}

async fn test(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path((raw, request_id)): Path<(String, String)>,
    uri: Uri,
) -> Response {
    let worker = tri!(worker_id(&raw));
    let q = Query::from_uri(&uri);
    let w = state.worker_ctx();
    let Some(rid) = QualificationRequestId::parse(&request_id) else {
        return fail(&invalid_value("QualificationRequestId", &request_id));
    };
    let req = tri!(requests::started_test(&w, &worker, &rid).await);
    let items = match qform::parse(req.test.as_deref().unwrap_or_default()) {
        Ok(Some(items)) => items,
        Ok(None) => Vec::new(),
        Err(e) => return fail(&e),
    };
    let l = layout(&state, &session, &worker, "Qualification test", &q);
    let page = TestPage {
        l,
        worker: worker.as_str().to_owned(),
        request_id: rid.as_str().to_owned(),
        type_name: type_name(&w, req.type_id.as_str()).await,
        seconds_left: req.test_deadline.map_or(0, |d| (d.millis() - w.now.millis()).max(0) / 1000),
        items,
    };
    pages::render(&page)
}

async fn answer_test(
    State(state): State<AppState>,
    Path((raw, request_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let worker = tri!(worker_id(&raw));
    let w = state.worker_ctx();
    let Some(rid) = QualificationRequestId::parse(&request_id) else {
        return fail(&invalid_value("QualificationRequestId", &request_id));
    };
    let back = format!("/worker/{}/tests/{}", worker.as_str(), enc(rid.as_str()));
    let req = match requests::started_test(&w, &worker, &rid).await {
        Ok(r) => r,
        Err(e) => return see_other(&format!("/worker/{}/qualifications", worker.as_str()), Err(e)),
    };
    let items = match qform::parse(req.test.as_deref().unwrap_or_default()) {
        Ok(Some(items)) => items,
        Ok(None) => Vec::new(),
        Err(e) => return see_other(&back, Err(e)),
    };
    let f = pages::form(&body);
    let answer = match qform::answers(&items, &entered_from(&f, &[])) {
        Ok(a) => a,
        Err(e) => return see_other(&back, Err(e)),
    };
    match requests::answer_test(&w, &worker, &rid, answer).await {
        Ok(outcome) => see_other(&format!("/worker/{}/qualifications", worker.as_str()), Ok(outcome_notice(&outcome))),
        Err(e) => see_other(&back, Err(e)),
    }
}

// ---------------------------------------------------------------- messages and history

struct MessageRow {
    time: String,
    from: String,
    kind: String,
    subject: String,
    text: String,
}

#[derive(askama::Template)]
#[template(path = "worker_messages.html")]
struct MessagesPage {
    l: Layout,
    rows: Vec<MessageRow>,
}

async fn messages(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(raw): Path<String>,
    uri: Uri,
) -> Response {
    let worker = tri!(worker_id(&raw));
    let q = Query::from_uri(&uri);
    let w = state.worker_ctx();
    let notes = tri!(local::worker_notifications(&w, &worker).await);
    let mut rows = Vec::new();
    for n in notes.iter().rev() {
        let about = match &n.qualification_type_id {
            Some(t) => type_name(&w, t.as_str()).await,
            None => String::new(),
        };
        rows.push(MessageRow {
            time: n.time.to_rfc3339_millis(),
            from: n.requester.as_str().to_owned(),
            kind: n.kind.as_str().to_owned(),
            subject: n.subject.clone().unwrap_or(about),
            text: n.text.clone(),
        });
    }
    let l = layout(&state, &session, &worker, &format!("Messages for {worker}"), &q);
    pages::render(&MessagesPage { l, rows })
}

struct HistoryRow {
    assignment_id: String,
    hit_id: String,
    status: String,
    accepted: String,
    submitted: String,
    feedback: String,
    in_progress: bool,
}

#[derive(askama::Template)]
#[template(path = "worker_history.html")]
struct HistoryPage {
    l: Layout,
    worker: String,
    rows: Vec<HistoryRow>,
    earned: String,
    pending: String,
}

async fn history(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(raw): Path<String>,
    uri: Uri,
) -> Response {
    let worker = tri!(worker_id(&raw));
    let q = Query::from_uri(&uri);
    let w = state.worker_ctx();
    let list: Vec<Assignment> = tri!(local::worker_assignments(&w, &worker).await);
    let earnings = tri!(local::worker_earnings(&w, &worker).await);
    let rows = list
        .iter()
        .map(|a| {
            let status = a.status_at(w.now);
            HistoryRow {
                assignment_id: a.id.clone(),
                hit_id: a.hit_id.clone(),
                status: status.as_str().to_owned(),
                accepted: a.accept_time.to_rfc3339_millis(),
                submitted: a.submit_time.map(Timestamp::to_rfc3339_millis).unwrap_or_default(),
                feedback: a.requester_feedback.clone().unwrap_or_default(),
                in_progress: status == AssignmentStatus::Accepted,
            }
        })
        .collect();
    let l = layout(&state, &session, &worker, &format!("History of {worker}"), &q);
    let page = HistoryPage {
        l,
        worker: worker.as_str().to_owned(),
        rows,
        earned: dollars(earnings.approved_cents + earnings.bonus_cents),
        pending: dollars(earnings.pending_cents),
    };
    pages::render(&page)
}
