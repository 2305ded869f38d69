//! The requester console (`/requester`): a configured requester's HITs and
//! their assignments with answers (approve, reject with feedback, bonus,
//! extend, expire), qualification types with holders (assign, revoke with a
//! reason), pending qualification requests, blocked workers, the balance and
//! the virtual clock. Every action is the API's operation, through `ops`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};

use super::keyed::{self, Pager};
use super::pages::{self, dollars, duration, Layout, Query};
use super::{enc, see_other, Session};
use crate::config::AuthMode;
use crate::domain::clock::Clock as _;
use crate::domain::hit::AssignmentStatus;
use crate::domain::ids::{AssignmentId, HitId, QualificationRequestId, QualificationTypeId, RequesterId, WorkerId};
use crate::domain::money::Money;
use crate::domain::qualification::{GrantMode, QualificationStatus};
use crate::domain::time::Timestamp;
use crate::error::{invalid_value, MturkError};
use crate::mturk_error;
use crate::ops::{account, assignments, hits, notifications, qualifications, requests, workers, Ctx};
use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/requester", get(choose))
        .route("/requester/{requester}", get(overview))
        .route("/requester/{requester}/hits/{hit_id}", get(hit_page))
        .route("/requester/{requester}/hits/{hit_id}/{action}", post(hit_action))
        .route("/requester/{requester}/assignments/{assignment_id}/{action}", post(assignment_action))
        .route("/requester/{requester}/qualifications", get(types_page))
        .route("/requester/{requester}/qualifications/{type_id}", get(type_page))
        .route("/requester/{requester}/qualifications/{type_id}/{action}", post(type_action))
        .route("/requester/{requester}/requests/{request_id}/{action}", post(request_action))
        .route("/requester/{requester}/workers", get(workers_page).post(worker_action))
        .route("/requester/{requester}/events", get(events_page))
        .route("/requester/{requester}/payments", get(payments_page))
        .route("/requester/{requester}/clock", post(clock_action))
        .merge(super::batches::router())
}

/// The requester a console URL names: a configured one, or (in the open
/// auth mode) any access key id, whose account is made on first use.
pub(super) async fn requester_ctx(state: &AppState, raw: &str) -> Result<Ctx, MturkError> {
    let id = RequesterId::parse(raw).ok_or_else(|| invalid_value("RequesterId", raw))?;
    let configured = state.accounts.iter().any(|(r, _)| r == &id);
    if !configured && state.settings.auth.mode == AuthMode::Strict {
        return Err(mturk_error!(InvalidParameterValue, "{raw} is not a configured requester."));
    }
    state.ensure_account(&id).await?;
    Ok(state.ctx(id))
}

pub(super) fn layout(state: &AppState, session: &Session, requester: &str, title: &str, q: &Query) -> Layout {
    let base = format!("/requester/{requester}");
    let nav = vec![
        (base.clone(), "HITs".to_owned()),
        (format!("{base}/batches"), "Batches".to_owned()),
        (format!("{base}/qualifications"), "Qualifications".to_owned()),
        (format!("{base}/workers"), "Workers".to_owned()),
        (format!("{base}/payments"), "Payments".to_owned()),
        (format!("{base}/events"), "Events".to_owned()),
        ("/requester".to_owned(), "Switch requester".to_owned()),
        ("/worker".to_owned(), "Worker pages".to_owned()),
    ];
    q.layout(title, &session.csrf, nav, state.clock.now())
}

macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(err) => return pages::error(&err),
        }
    };
}

// ---------------------------------------------------------------- choose and overview

#[derive(askama::Template)]
#[template(path = "requester_choose.html")]
struct ChoosePage {
    l: Layout,
    requesters: Vec<String>,
}

async fn choose(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    uri: axum::http::Uri,
) -> Response {
    let q = Query::from_uri(&uri);
    let nav = vec![("/worker".into(), "Worker pages".into())];
    let l = q.layout("Requester console", &session.csrf, nav, state.clock.now());
    let requesters = state.accounts.iter().map(|(r, _)| r.as_str().to_owned()).collect();
    pages::render(&ChoosePage { l, requesters })
}

struct HitRow {
    hit_id: String,
    title: String,
    status: String,
    reward: String,
    max: i64,
    pending: i64,
    submitted: i64,
    completed: i64,
    available: i64,
    expires: String,
}

#[derive(askama::Template)]
#[template(path = "requester_overview.html")]
struct OverviewPage {
    l: Layout,
    requester: String,
    balance: String,
    rows: Vec<HitRow>,
    pager: Pager,
}

async fn overview(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(raw): Path<String>,
    uri: axum::http::Uri,
) -> Response {
    let ctx = tri!(requester_ctx(&state, &raw).await);
    let q = Query::from_uri(&uri);
    let scope = format!("console/hits/{raw}");
    let page = tri!(keyed::page(&q, "after", &scope));
    let balance = tri!(account::balance(&ctx).await);
    let found = tri!(hits::list_hits(&ctx, hits::HitListing { qualification: None, page }).await);
    let rows = found
        .items
        .iter()
        .map(|h| HitRow {
            hit_id: h.id.clone(),
            title: h.hit_type.title.clone(),
            status: h.status(ctx.now).as_str().to_owned(),
            reward: dollars(h.hit_type.reward_cents),
            max: h.max_assignments,
            pending: h.pending,
            submitted: h.submitted,
            completed: h.completed,
            available: h.available(ctx.now),
            expires: h.expiration.to_rfc3339_millis(),
        })
        .collect();
    let pager = Pager::of(&format!("/requester/{raw}"), &q, "after", &scope, &found, keyed::PER_PAGE);
    let l = layout(&state, &session, &raw, &format!("HITs of {raw}"), &q);
    pages::render(&OverviewPage { l, requester: raw, balance: format!("${balance}"), rows, pager })
}

// ---------------------------------------------------------------- one HIT

struct AssignmentRow {
    assignment_id: String,
    worker_id: String,
    status: String,
    submitted: String,
    answers: Vec<(String, String)>,
    feedback: String,
    submitted_state: bool,
    rejected_state: bool,
    payable: bool,
}

#[derive(askama::Template)]
#[template(path = "requester_hit.html")]
struct HitPage {
    l: Layout,
    requester: String,
    hit_id: String,
    status: String,
    reward: String,
    duration: String,
    progress: String,
    expires: String,
    rows: Vec<AssignmentRow>,
    pager: Pager,
    bonuses: Vec<BonusRow>,
    bonus_pager: Pager,
}

struct BonusRow {
    worker_id: String,
    assignment_id: String,
    amount: String,
    reason: String,
    time: String,
}

/// An answer document's answers, each as text (selections joined by commas).
pub(super) fn answer_pairs(answer: Option<&str>) -> Vec<(String, String)> {
    let Some(answer) = answer.filter(|a| !a.is_empty()) else { return Vec::new() };
    match crate::documents::parse_answers(answer) {
        Ok(a) => a.answers.into_iter().map(|(q, v)| (q, v.join(", "))).collect(),
        Err(_) => vec![("(answer)".to_owned(), answer.to_owned())],
    }
}

async fn hit_page(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path((raw, hit_id)): Path<(String, String)>,
    uri: axum::http::Uri,
) -> Response {
    let ctx = tri!(requester_ctx(&state, &raw).await);
    let q = Query::from_uri(&uri);
    let Some(id) = HitId::parse(&hit_id) else { return pages::error(&invalid_value("HITId", &hit_id)) };
    let path = format!("/requester/{raw}/hits/{}", enc(id.as_str()));
    let scope = format!("console/assignments/{raw}/{}", id.as_str());
    let bonus_scope = format!("console/bonuses/{raw}/{}", id.as_str());
    let page = tri!(keyed::page(&q, "after", &scope));
    let bonus_page = tri!(keyed::page(&q, "bonuses_after", &bonus_scope));
    let hit = tri!(hits::get_hit(&ctx, id.clone()).await);
    let listing = assignments::BonusListing { hit_id: Some(id.clone()), assignment_id: None, page: bonus_page };
    let paid = tri!(assignments::list_bonuses(&ctx, listing).await);
    let bonus_pager = Pager::of(&path, &q, "bonuses_after", &bonus_scope, &paid, keyed::PER_PAGE);
    let bonuses = paid
        .items
        .iter()
        .map(|b| BonusRow {
            worker_id: b.worker_id.as_str().to_owned(),
            assignment_id: b.assignment_id.clone(),
            amount: dollars(b.amount_cents),
            reason: b.reason.clone(),
            time: b.grant_time.to_rfc3339_millis(),
        })
        .collect();
    let listing = assignments::AssignmentListing { hit_id: id, statuses: Vec::new(), page };
    let found = tri!(assignments::list_assignments(&ctx, listing).await);
    let pager = Pager::of(&path, &q, "after", &scope, &found, keyed::PER_PAGE);
    let rows = found
        .items
        .iter()
        .map(|a| {
            let status = a.status_at(ctx.now);
            AssignmentRow {
                assignment_id: a.id.clone(),
                worker_id: a.worker_id.as_str().to_owned(),
                status: status.as_str().to_owned(),
                submitted: a.submit_time.map(Timestamp::to_rfc3339_millis).unwrap_or_default(),
                answers: answer_pairs(a.answer.as_deref()),
                feedback: a.requester_feedback.clone().unwrap_or_default(),
                submitted_state: status == AssignmentStatus::Submitted,
                rejected_state: status == AssignmentStatus::Rejected,
                payable: matches!(
                    status,
                    AssignmentStatus::Submitted | AssignmentStatus::Approved | AssignmentStatus::Rejected
                ),
            }
        })
        .collect();
    let l = layout(&state, &session, &raw, &format!("HIT {}", hit.hit_type.title), &q);
    let page = HitPage {
        l,
        requester: raw,
        hit_id: hit.id.clone(),
        status: hit.status(ctx.now).as_str().to_owned(),
        reward: dollars(hit.hit_type.reward_cents),
        duration: duration(hit.hit_type.assignment_duration_secs),
        progress: format!(
            "{} of {}: {} in progress, {} submitted, {} reviewed",
            hit.submitted + hit.completed,
            hit.max_assignments,
            hit.pending,
            hit.submitted,
            hit.completed
        ),
        expires: hit.expiration.to_rfc3339_millis(),
        rows,
        pager,
        bonuses,
        bonus_pager,
    };
    pages::render(&page)
}

fn number(f: &Query, name: &str) -> Result<Option<i64>, MturkError> {
    match f.get(name) {
        None => Ok(None),
        Some(v) => v.trim().parse().map(Some).map_err(|_| invalid_value(name, v)),
    }
}

async fn hit_action(
    State(state): State<AppState>,
    Path((raw, hit_id, action)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let back = format!("/requester/{raw}/hits/{}", enc(&hit_id));
    let result = async {
        let ctx = requester_ctx(&state, &raw).await?;
        let id = HitId::parse(&hit_id).ok_or_else(|| invalid_value("HITId", &hit_id))?;
        let f = pages::form(&body);
        match action.as_str() {
            "expire" => {
                hits::force_expire(&ctx, id).await?;
                Ok(format!("HIT {hit_id} expired."))
            }
            "extend" => {
                let more_assignments = number(&f, "assignments")?;
                let expiration_increment_secs = number(&f, "seconds")?;
                hits::extend_hit(
                    &ctx,
                    hits::HitExtension { hit_id: id, more_assignments, expiration_increment_secs, token: None },
                )
                .await?;
                Ok(format!("HIT {hit_id} extended."))
            }
            other => Err(mturk_error!(InvalidParameterValue, "Unknown action {other}.")),
        }
    }
    .await;
    see_other(&back, result)
}

async fn assignment_action(
    State(state): State<AppState>,
    Path((raw, assignment_id, action)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let f = pages::form(&body);
    let back = match f.get("hit_id") {
        Some(h) => format!("/requester/{raw}/hits/{}", enc(h)),
        None => format!("/requester/{raw}"),
    };
    let result = async {
        let ctx = requester_ctx(&state, &raw).await?;
        let id = AssignmentId::parse(&assignment_id).ok_or_else(|| invalid_value("AssignmentId", &assignment_id))?;
        let feedback = f.get("feedback").map(str::to_owned);
        match action.as_str() {
            "approve" => {
                let override_rejection = f.get("override").is_some();
                assignments::approve(&ctx, assignments::Approval { assignment_id: id, feedback, override_rejection })
                    .await?;
                Ok(format!("Assignment {assignment_id} approved."))
            }
            "reject" => {
                assignments::reject(&ctx, assignments::Rejection { assignment_id: id, feedback }).await?;
                Ok(format!("Assignment {assignment_id} rejected."))
            }
            "bonus" => {
                let raw_amount = f.get("amount").unwrap_or_default().trim().trim_start_matches('$');
                let amount = Money::parse(raw_amount).ok_or_else(|| invalid_value("Amount", raw_amount))?;
                let worker = f.get("worker_id").unwrap_or_default();
                let worker_id = WorkerId::parse(worker).ok_or_else(|| invalid_value("WorkerId", worker))?;
                let reason = f.get("reason").unwrap_or_default().to_owned();
                let grant = assignments::BonusGrant { worker_id, amount, assignment_id: id, reason, token: None };
                assignments::send_bonus(&ctx, grant).await?;
                Ok(format!("Bonus of ${amount} sent for assignment {assignment_id}."))
            }
            other => Err(mturk_error!(InvalidParameterValue, "Unknown action {other}.")),
        }
    }
    .await;
    see_other(&back, result)
}

// ---------------------------------------------------------------- qualifications

struct TypeRow {
    type_id: String,
    name: String,
    status: String,
    requestable: bool,
    test: bool,
    auto: bool,
}

struct RequestRow {
    request_id: String,
    type_id: String,
    worker_id: String,
    submitted: String,
    answers: Vec<(String, String)>,
}

#[derive(askama::Template)]
#[template(path = "requester_types.html")]
struct TypesPage {
    l: Layout,
    requester: String,
    types: Vec<TypeRow>,
    pager: Pager,
    requests: Vec<RequestRow>,
    request_pager: Pager,
}

async fn types_page(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(raw): Path<String>,
    uri: axum::http::Uri,
) -> Response {
    let ctx = tri!(requester_ctx(&state, &raw).await);
    let q = Query::from_uri(&uri);
    let path = format!("/requester/{raw}/qualifications");
    let scope = format!("console/types/{raw}");
    let request_scope = format!("console/requests/{raw}");
    let page = tri!(keyed::page(&q, "after", &scope));
    let request_page = tri!(keyed::page(&q, "requests_after", &request_scope));
    let search = qualifications::SearchTypes {
        query: None,
        must_be_requestable: false,
        must_be_owned_by_caller: true,
        descending: false,
        page,
    };
    let found = tri!(qualifications::search_types(&ctx, search).await);
    let types = found
        .items
        .iter()
        .map(|t| TypeRow {
            type_id: t.id.as_str().to_owned(),
            name: t.name.clone(),
            status: t.status_at(ctx.now).as_str().to_owned(),
            requestable: t.is_requestable,
            test: t.test.is_some(),
            auto: t.auto_granted,
        })
        .collect();
    let pager = Pager::of(&path, &q, "after", &scope, &found, keyed::PER_PAGE);
    let listing =
        requests::RequestListing { type_id: None, sort: requests::RequestSort::default(), page: request_page };
    let pending = tri!(requests::list(&ctx, listing).await);
    let request_pager = Pager::of(&path, &q, "requests_after", &request_scope, &pending, keyed::PER_PAGE);
    let requests = pending
        .items
        .iter()
        .map(|r| RequestRow {
            request_id: r.id.as_str().to_owned(),
            type_id: r.type_id.as_str().to_owned(),
            worker_id: r.worker_id.as_str().to_owned(),
            submitted: r.submit_time.unwrap_or(r.request_time).to_rfc3339_millis(),
            answers: answer_pairs(r.answer.as_deref()),
        })
        .collect();
    let l = layout(&state, &session, &raw, "Qualification types", &q);
    pages::render(&TypesPage { l, requester: raw, types, pager, requests, request_pager })
}

struct HolderRow {
    worker_id: String,
    value: i32,
    status: String,
    granted: String,
    revoked: String,
    reason: String,
    granted_state: bool,
}

#[derive(askama::Template)]
#[template(path = "requester_type.html")]
struct TypePage {
    l: Layout,
    requester: String,
    type_id: String,
    description: String,
    granted: Vec<HolderRow>,
    granted_pager: Pager,
    revoked: Vec<HolderRow>,
    revoked_pager: Pager,
}

async fn type_page(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path((raw, type_id)): Path<(String, String)>,
    uri: axum::http::Uri,
) -> Response {
    let ctx = tri!(requester_ctx(&state, &raw).await);
    let q = Query::from_uri(&uri);
    let Some(tid) = QualificationTypeId::parse(&type_id) else {
        return pages::error(&invalid_value("QualificationTypeId", &type_id));
    };
    let t = tri!(qualifications::get_type(&ctx, tid.clone()).await);
    let path = format!("/requester/{raw}/qualifications/{}", enc(tid.as_str()));
    // Granted and revoked holders are two lists, each paged on its own.
    let mut lists = Vec::new();
    for (status, param) in
        [(QualificationStatus::Granted, "granted_after"), (QualificationStatus::Revoked, "revoked_after")]
    {
        let scope = format!("console/holders/{raw}/{}/{}", tid.as_str(), status.as_str());
        let page = tri!(keyed::page(&q, param, &scope));
        let input = qualifications::TypeQualifications { type_id: tid.clone(), status, page };
        let found = tri!(qualifications::list_for_type(&ctx, input).await);
        let pager = Pager::of(&path, &q, param, &scope, &found, keyed::PER_PAGE);
        let holders: Vec<HolderRow> = found
            .items
            .into_iter()
            .map(|h| HolderRow {
                worker_id: h.worker_id.as_str().to_owned(),
                value: h.integer_value,
                status: h.status.as_str().to_owned(),
                granted: h.grant_time.to_rfc3339_millis(),
                revoked: h.revoke_time.map(Timestamp::to_rfc3339_millis).unwrap_or_default(),
                reason: h.revoke_reason.unwrap_or_default(),
                granted_state: h.status == QualificationStatus::Granted,
            })
            .collect();
        lists.push((holders, pager));
    }
    let (Some((revoked, revoked_pager)), Some((granted, granted_pager))) = (lists.pop(), lists.pop()) else {
        return pages::error(&MturkError::internal(anyhow::anyhow!("the holders' two lists")));
    };
    let l = layout(&state, &session, &raw, &format!("Qualification {}", t.name), &q);
    pages::render(&TypePage {
        l,
        requester: raw,
        type_id,
        description: t.description,
        granted,
        granted_pager,
        revoked,
        revoked_pager,
    })
}

async fn type_action(
    State(state): State<AppState>,
    Path((raw, type_id, action)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let back = format!("/requester/{raw}/qualifications/{}", enc(&type_id));
    let f = pages::form(&body);
    let result = async {
        let ctx = requester_ctx(&state, &raw).await?;
        let tid = QualificationTypeId::parse(&type_id).ok_or_else(|| invalid_value("QualificationTypeId", &type_id))?;
        let worker = f.get("worker_id").unwrap_or_default().trim();
        let worker_id = WorkerId::parse(worker).ok_or_else(|| invalid_value("WorkerId", worker))?;
        match action.as_str() {
            "assign" => {
                let value = number(&f, "value")?.unwrap_or(1);
                let integer_value =
                    i32::try_from(value).map_err(|_| invalid_value("IntegerValue", &value.to_string()))?;
                let input = qualifications::AssignInput {
                    type_id: tid,
                    worker_id: worker_id.clone(),
                    integer_value,
                    send_notification: f.get("notify").is_some(),
                    mode: GrantMode::Overwrite,
                };
                qualifications::assign(&ctx, input).await?;
                Ok(format!("Granted to {worker_id} with the value {integer_value}."))
            }
            "revoke" => {
                let reason = f.get("reason").map(str::to_owned);
                qualifications::revoke(
                    &ctx,
                    qualifications::Revocation { type_id: tid, worker_id: worker_id.clone(), reason },
                )
                .await?;
                Ok(format!("Revoked from {worker_id}."))
            }
            other => Err(mturk_error!(InvalidParameterValue, "Unknown action {other}.")),
        }
    }
    .await;
    see_other(&back, result)
}

async fn request_action(
    State(state): State<AppState>,
    Path((raw, request_id, action)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let back = format!("/requester/{raw}/qualifications");
    let f = pages::form(&body);
    let result = async {
        let ctx = requester_ctx(&state, &raw).await?;
        let id = QualificationRequestId::parse(&request_id)
            .ok_or_else(|| invalid_value("QualificationRequestId", &request_id))?;
        match action.as_str() {
            "grant" => {
                let value = number(&f, "value")?
                    .map(|v| i32::try_from(v).map_err(|_| invalid_value("IntegerValue", &v.to_string())))
                    .transpose()?;
                requests::grant(&ctx, requests::RequestGrant { id, integer_value: value }).await?;
                Ok(format!("Request {request_id} granted."))
            }
            "reject" => {
                let reason = f.get("reason").map(str::to_owned);
                requests::reject(&ctx, requests::RequestRejection { id, reason }).await?;
                Ok(format!("Request {request_id} rejected."))
            }
            other => Err(mturk_error!(InvalidParameterValue, "Unknown action {other}.")),
        }
    }
    .await;
    see_other(&back, result)
}

// ---------------------------------------------------------------- workers and clock

struct BlockRow {
    worker_id: String,
    reason: String,
}

/// One event of the log, with its deliveries in a line each.
struct EventRow {
    time: String,
    event_type: &'static str,
    hit_type_id: String,
    hit_id: String,
    assignment_id: String,
    deliveries: Vec<String>,
}

#[derive(askama::Template)]
#[template(path = "requester_events.html")]
struct EventsPage {
    l: Layout,
    events: Vec<EventRow>,
    pager: Pager,
}

/// The notification outbox of this requester (`ops::notifications`): every
/// event, newest first, with each delivery's state.
async fn events_page(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(raw): Path<String>,
    uri: axum::http::Uri,
) -> Response {
    let ctx = tri!(requester_ctx(&state, &raw).await);
    let q = Query::from_uri(&uri);
    let scope = format!("console/events/{raw}");
    let page = tri!(keyed::page(&q, "after", &scope));
    let records = tri!(notifications::requester_events(&ctx, page).await);
    let pager = Pager::of(&format!("/requester/{raw}/events"), &q, "after", &scope, &records, keyed::PER_PAGE);
    let events = records
        .items
        .into_iter()
        .map(|r| EventRow {
            time: r.event.time.to_rfc3339_millis(),
            event_type: r.event.event_type.as_str(),
            hit_type_id: r.event.hit_type_id,
            hit_id: r.event.hit_id,
            assignment_id: r.event.assignment_id.unwrap_or_default(),
            deliveries: r
                .deliveries
                .iter()
                .map(|d| {
                    let error = d.last_error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
                    format!(
                        "{} {} — {} after {} attempt(s){error}",
                        d.transport.as_str(),
                        d.destination,
                        d.status.as_str(),
                        d.attempts
                    )
                })
                .collect(),
        })
        .collect();
    let l = layout(&state, &session, &raw, "Notification events", &q);
    pages::render(&EventsPage { l, events, pager })
}

struct PaymentLine {
    id: String,
    time: String,
    kind: &'static str,
    worker_id: String,
    amount: String,
    fee: String,
    total: String,
    hit_id: String,
    assignment_id: String,
    reason: String,
}

#[derive(askama::Template)]
#[template(path = "requester_payments.html")]
struct PaymentsPage {
    l: Layout,
    requester: String,
    balance: String,
    rows: Vec<PaymentLine>,
    pager: Pager,
}

/// `GET /requester/{key}/payments`: the balance and what it paid, newest
/// first, a keyed page at a time.
async fn payments_page(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(raw): Path<String>,
    uri: axum::http::Uri,
) -> Response {
    let ctx = tri!(requester_ctx(&state, &raw).await);
    let q = Query::from_uri(&uri);
    let scope = format!("console/payments/{raw}");
    let page = tri!(keyed::page(&q, "after", &scope));
    let found = tri!(account::payments(&ctx, page).await);
    let balance = tri!(account::balance(&ctx).await);
    let rows = found
        .items
        .iter()
        .map(|p| {
            let fee = p.fee_cents();
            PaymentLine {
                id: p.id.clone(),
                time: p.time.to_rfc3339_millis(),
                kind: p.kind.as_str(),
                worker_id: p.worker_id.as_str().to_owned(),
                amount: dollars(p.amount_cents),
                fee: dollars(fee),
                total: dollars(p.amount_cents + fee),
                hit_id: p.hit_id.clone(),
                assignment_id: p.assignment_id.clone(),
                reason: p.reason.clone().unwrap_or_default(),
            }
        })
        .collect();
    let pager = Pager::of(&format!("/requester/{raw}/payments"), &q, "after", &scope, &found, keyed::PER_PAGE);
    let l = layout(&state, &session, &raw, "Payments", &q);
    pages::render(&PaymentsPage { l, requester: raw, balance: format!("${balance}"), rows, pager })
}

#[derive(askama::Template)]
#[template(path = "requester_workers.html")]
struct WorkersPage {
    l: Layout,
    requester: String,
    blocks: Vec<BlockRow>,
    pager: Pager,
}

async fn workers_page(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(raw): Path<String>,
    uri: axum::http::Uri,
) -> Response {
    let ctx = tri!(requester_ctx(&state, &raw).await);
    let q = Query::from_uri(&uri);
    let scope = format!("console/blocks/{raw}");
    let page = tri!(keyed::page(&q, "after", &scope));
    let found = tri!(workers::blocks(&ctx, page).await);
    let pager = Pager::of(&format!("/requester/{raw}/workers"), &q, "after", &scope, &found, keyed::PER_PAGE);
    let blocks = found
        .items
        .into_iter()
        .map(|b| BlockRow { worker_id: b.worker_id.as_str().to_owned(), reason: b.reason })
        .collect();
    let l = layout(&state, &session, &raw, "Workers", &q);
    pages::render(&WorkersPage { l, requester: raw, blocks, pager })
}

async fn worker_action(State(state): State<AppState>, Path(raw): Path<String>, body: Bytes) -> Response {
    let back = format!("/requester/{raw}/workers");
    let f = pages::form(&body);
    let result = async {
        let ctx = requester_ctx(&state, &raw).await?;
        let worker = f.get("worker_id").unwrap_or_default().trim();
        let worker_id = WorkerId::parse(worker).ok_or_else(|| invalid_value("WorkerId", worker))?;
        match f.get("action") {
            Some("block") => {
                let reason = f.get("reason").unwrap_or_default().to_owned();
                workers::block(&ctx, workers::Block { worker_id: worker_id.clone(), reason }).await?;
                Ok(format!("{worker_id} blocked."))
            }
            Some("unblock") => {
                workers::unblock(&ctx, worker_id.clone()).await?;
                Ok(format!("{worker_id} unblocked."))
            }
            Some("notify") => {
                let message = workers::Message {
                    subject: f.get("subject").unwrap_or_default().to_owned(),
                    text: f.get("text").unwrap_or_default().to_owned(),
                    workers: vec![worker_id.clone()],
                };
                let failures = workers::notify(&ctx, message).await?;
                match failures.first() {
                    Some(fail) => Err(mturk_error!(InvalidParameterValue, "{}", fail.message)),
                    None => Ok(format!("Message sent to {worker_id}.")),
                }
            }
            _ => Err(mturk_error!(InvalidParameterValue, "Unknown action.")),
        }
    }
    .await;
    see_other(&back, result)
}

/// `POST /requester/{id}/clock`: advance the virtual clock by `seconds`, or
/// set it to `set` (ISO 8601), as `POST /_local/clock` does.
async fn clock_action(State(state): State<AppState>, Path(raw): Path<String>, body: Bytes) -> Response {
    let back = format!("/requester/{raw}");
    let f = pages::form(&body);
    let result = async {
        let set = f.get("set").map(str::trim);
        let seconds = if set.is_some() { None } else { number(&f, "seconds")? };
        crate::control::move_clock_by(&state, seconds, set).await?;
        Ok(format!("The clock reads {}.", state.clock.now().to_rfc3339_millis()))
    }
    .await;
    see_other(&back, result)
}
