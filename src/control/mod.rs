//! The `/_local` control plane: a third front end on the same core, for test
//! suites and people. Simulated workers request qualifications and take
//! tests, read what they hold and what they were told; the virtual clock can
//! be read, advanced or set; the store can be reset, and its whole state
//! kept in named snapshots and brought back; fault rules make API calls fail
//! the way the real service fails ([`faults`]).
//!
//! JSON in and out with PascalCase names like the MTurk JSON API; errors are
//! `{"Code": "AWS.MechanicalTurk.…", "Message": "…"}` with a 4xx status. Open
//! on loopback; elsewhere only with the configured bearer token.

mod faults;
pub mod fixtures;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

use crate::domain::clock::Clock as _;
use crate::domain::ids::{QualificationRequestId, QualificationTypeId, WorkerId};
use crate::domain::notification::{EventFilter, EventRecord, EventType};
use crate::domain::requirement::Locale;
use crate::domain::snapshot::{Snapshot, SnapshotName};
use crate::domain::time::Timestamp;
use crate::domain::worker::WorkerProfile;
use crate::error::{invalid_value, ErrorCode, MturkError};
use crate::mturk_error;
use crate::ops::requests::{self, RequestOutcome};
use crate::ops::{local, marketplace, notifications};
use crate::state::{AppState, ControlAccess};

/// The control-plane routes (nested under `/_local`).
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/workers/{worker_id}/qualification-requests", post(request_qualification))
        .route("/workers/{worker_id}/qualification-requests/{request_id}/answer", post(answer_test))
        .route("/workers/{worker_id}/qualifications", get(worker_qualifications))
        .route("/workers/{worker_id}/notifications", get(worker_notifications))
        .route("/workers/{worker_id}", put(set_profile).get(get_profile))
        .route("/workers/{worker_id}/hits", get(worker_hits))
        .route("/workers/{worker_id}/assignments", post(accept_hit).get(worker_assignments))
        .route(
            "/assignments/{assignment_id}/submit",
            // Files come base64-encoded in the body: up to 64 MiB of it.
            post(submit_assignment).layer(axum::extract::DefaultBodyLimit::max(64 << 20)),
        )
        .route("/assignments/{assignment_id}/return", post(return_assignment))
        .route("/clock", get(read_clock).post(move_clock))
        .route("/reset", post(reset))
        .route("/events", get(list_events))
        .route("/faults", post(faults::add_fault).get(faults::list_faults).delete(faults::clear_faults))
        .route("/faults/{fault_id}", delete(faults::delete_fault))
        .route("/snapshots", post(take_snapshot).get(list_snapshots))
        .route("/snapshots/{name}", delete(delete_snapshot))
        .route("/snapshots/{name}/restore", post(restore_snapshot))
        .route("/fixtures", post(load_fixtures))
        .route_layer(middleware::from_fn_with_state(state, guard))
}

/// `POST /mturk/externalSubmit`, as the worker site takes it: the form
/// fields of an ExternalQuestion page plus `assignmentId`. Each other field
/// becomes a FreeText answer whose QuestionIdentifier is the field name.
/// Same access rule as `/_local`.
///
/// `POST /_submit/{mac}/mturk/externalSubmit` is the same submission behind
/// a capability instead of the guard: the console hands a HIT's frame
/// `turkSubmitTo = {origin}/_submit/{mac}` when a control token is
/// configured (the sandboxed frame has no origin, so its form carries no
/// session cookie), and `mac` lets exactly that assignment be submitted.
pub fn external_submit_router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/mturk/externalSubmit", post(external_submit).get(external_submit))
        .route_layer(middleware::from_fn_with_state(state, guard))
        .route("/_submit/{mac}/mturk/externalSubmit", post(capability_submit).get(capability_submit))
}

/// The path segment before `/mturk/externalSubmit` that lets assignment
/// `assignment_id` be submitted without the control token: hex of
/// HMAC-SHA256, keyed by the token, of a label and the assignment id.
fn submit_mac(token: &str, assignment_id: &str) -> String {
    use hmac::Mac as _;
    let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(token.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    mac.update(b"mturk-local externalSubmit\n");
    mac.update(assignment_id.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// What the console gives a HIT's page as `turkSubmitTo` for
/// `assignment_id`: this server's origin, behind which the page posts to
/// `/mturk/externalSubmit`; with a control token, the capability prefix
/// `{origin}/_submit/{mac}` (see [`external_submit_router`]).
#[must_use]
pub fn turk_submit_to(state: &AppState, origin: &str, assignment_id: &str) -> String {
    match &state.control {
        ControlAccess::Token(token) => format!("{origin}/_submit/{}", submit_mac(token, assignment_id)),
        ControlAccess::Open | ControlAccess::Off => origin.to_owned(),
    }
}

/// The form of an externalSubmit: its fields (query and body), checked to be
/// XML characters.
fn submitted_fields(
    uri: &axum::http::Uri,
    body: &Bytes,
) -> Result<std::collections::BTreeMap<String, String>, MturkError> {
    let fields = crate::protocol::form::decode(uri.query(), (!body.is_empty()).then_some(body.as_ref()))
        .map_err(|e| mturk_error!(InvalidParameterValue, "{e}"))?;
    // A form field XML cannot carry is refused, not stored as a changed answer.
    if let Some((name, _)) = fields.iter().find(|(k, v)| !k.chars().chain(v.chars()).all(crate::documents::is_xml_char))
    {
        let name: String = name.chars().filter(|c| crate::documents::is_xml_char(*c)).collect();
        return Err(crate::protocol::non_xml_error(&name));
    }
    Ok(fields)
}

async fn external_submit(State(state): State<AppState>, uri: axum::http::Uri, body: Bytes) -> Response {
    match submitted_fields(&uri, &body) {
        Ok(fields) => submit_fields(&state, fields).await,
        Err(e) => ControlError(e).into_response(),
    }
}

/// `/_submit/{mac}/mturk/externalSubmit`: the form's `assignmentId` must be
/// the one `mac` was made for, with this server's control token; nothing is
/// read into the store before that holds. Without a token the console is
/// open (and so is `/mturk/externalSubmit`) or off, and so is this.
async fn capability_submit(
    State(state): State<AppState>,
    Path(mac): Path<String>,
    uri: axum::http::Uri,
    body: Bytes,
) -> Response {
    let fields = match submitted_fields(&uri, &body) {
        Ok(fields) => fields,
        Err(e) => return ControlError(e).into_response(),
    };
    match &state.control {
        ControlAccess::Open => {}
        ControlAccess::Off => {
            return ControlError(mturk_error!(
                Unauthorized,
                "The console is off: the server listens beyond loopback and no control.token is configured."
            ))
            .into_response()
        }
        ControlAccess::Token(token) => {
            let assignment_id = fields.get("assignmentId").map_or("", String::as_str);
            let expected = submit_mac(token, assignment_id);
            if !bool::from(expected.as_bytes().ct_eq(mac.as_bytes())) {
                return ControlError(mturk_error!(
                    Unauthorized,
                    "This submit address was not made for assignment {assignment_id:?}: open the assignment in the \
                     console again and submit from its page."
                ))
                .into_response();
            }
        }
    }
    submit_fields(&state, fields).await
}

/// Stores an externalSubmit's fields as the assignment's answers.
async fn submit_fields(state: &AppState, mut fields: std::collections::BTreeMap<String, String>) -> Response {
    let Some(assignment_id) = fields.remove("assignmentId").filter(|id| !id.is_empty()) else {
        return ControlError(crate::error::missing_parameter("assignmentId")).into_response();
    };
    let answers = crate::documents::free_text_answers(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    match marketplace::submit(&state.worker_ctx(), &assignment_id, None, &answers, false).await {
        Ok(hit_id) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            format!("<!DOCTYPE html><html><body><p>Assignment {assignment_id} of HIT {hit_id} was submitted.</p></body></html>"),
        )
            .into_response(),
        Err(e) => ControlError(e).into_response(),
    }
}

/// An error as the control plane renders it.
#[derive(Debug)]
pub struct ControlError(MturkError);

impl From<MturkError> for ControlError {
    fn from(err: MturkError) -> Self {
        Self(err)
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let code = self.0.code();
        let status = match code {
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::QualificationTypeDoesNotExist
            | ErrorCode::SnapshotDoesNotExist
            | ErrorCode::QualificationRequestDoesNotExist
            | ErrorCode::HitDoesNotExist
            | ErrorCode::AssignmentDoesNotExist
            | ErrorCode::FaultDoesNotExist => StatusCode::NOT_FOUND,
            ErrorCode::ServiceFault => StatusCode::INTERNAL_SERVER_ERROR,
            _ if code.is_client_fault() => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::error!(error = ?self.0, "control request failed");
        }
        let mut body = json!({ "Code": code.as_str(), "Message": self.0.message() });
        if !self.0.data().is_empty() {
            body["Data"] = self.0.data().iter().map(|(k, v)| json!({ "Key": k, "Value": v })).collect();
        }
        (status, Json(body)).into_response()
    }
}

type ControlResult = Result<Json<Value>, ControlError>;

async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let allowed = match &state.control {
        ControlAccess::Open => true,
        ControlAccess::Off => false,
        ControlAccess::Token(token) => request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| bool::from(given.as_bytes().ct_eq(token.as_bytes()))),
    };
    if allowed {
        if let Err(err) = state.sync_clock().await {
            return ControlError(err).into_response();
        }
        next.run(request).await
    } else {
        let message = match state.control {
            ControlAccess::Off => {
                "The control plane is off: the server listens beyond loopback and no control.token is configured."
            }
            _ => "The control plane needs the configured bearer token (Authorization: Bearer <control.token>).",
        };
        ControlError(MturkError::new(ErrorCode::Unauthorized, message)).into_response()
    }
}

fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ControlError> {
    let body: &[u8] = if body.is_empty() { b"{}" } else { body };
    let invalid =
        |e: serde_json::Error| ControlError(mturk_error!(InvalidParameterValue, "The request body is not valid: {e}"));
    let members: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(body).map_err(invalid)?;
    // What a simulated worker sends is stored and served back as XML, as API input is.
    if let Some(name) = crate::protocol::first_non_xml_member(&members) {
        return Err(ControlError(crate::protocol::non_xml_error(&name)));
    }
    serde_json::from_value(serde_json::Value::Object(members)).map_err(invalid)
}

fn worker(raw: &str) -> Result<WorkerId, ControlError> {
    WorkerId::parse(raw).ok_or_else(|| ControlError(invalid_value("WorkerId", raw)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct RequestBody {
    qualification_type_id: String,
    #[serde(default)]
    answer: Option<String>,
}

fn outcome_json(outcome: RequestOutcome) -> Value {
    match outcome {
        RequestOutcome::Granted { request_id, integer_value } => {
            json!({ "QualificationRequestId": request_id.as_str(), "Status": "Granted", "IntegerValue": integer_value })
        }
        RequestOutcome::Pending { request_id } => {
            json!({ "QualificationRequestId": request_id.as_str(), "Status": "Pending" })
        }
        RequestOutcome::TestStarted { request_id, test, deadline } => json!({
            "QualificationRequestId": request_id.as_str(),
            "Status": "TestStarted",
            "Test": test,
            "TestDeadline": deadline.to_rfc3339_millis(),
        }),
    }
}

/// `POST /_local/workers/{WorkerId}/qualification-requests`.
async fn request_qualification(
    State(state): State<AppState>,
    Path(worker_id): Path<String>,
    body: Bytes,
) -> ControlResult {
    let worker = worker(&worker_id)?;
    let input: RequestBody = parse_body(&body)?;
    let type_id = QualificationTypeId::parse(&input.qualification_type_id)
        .ok_or_else(|| ControlError(invalid_value("QualificationTypeId", &input.qualification_type_id)))?;
    let outcome = requests::request(&state.worker_ctx(), &worker, &type_id, input.answer).await?;
    Ok(Json(outcome_json(outcome)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct AnswerBody {
    answer: String,
}

/// `POST /_local/workers/{WorkerId}/qualification-requests/{QualificationRequestId}/answer`.
async fn answer_test(
    State(state): State<AppState>,
    Path((worker_id, request_id)): Path<(String, String)>,
    body: Bytes,
) -> ControlResult {
    let worker = worker(&worker_id)?;
    let request_id = QualificationRequestId::parse(&request_id)
        .ok_or_else(|| ControlError(invalid_value("QualificationRequestId", &request_id)))?;
    let input: AnswerBody = parse_body(&body)?;
    let outcome = requests::answer_test(&state.worker_ctx(), &worker, &request_id, input.answer).await?;
    Ok(Json(outcome_json(outcome)))
}

/// `GET /_local/workers/{WorkerId}/qualifications`.
async fn worker_qualifications(State(state): State<AppState>, Path(worker_id): Path<String>) -> ControlResult {
    let worker = worker(&worker_id)?;
    let quals = local::worker_qualifications(&state.worker_ctx(), &worker).await?;
    let items: Vec<Value> = quals
        .iter()
        .map(|q| {
            let mut v = json!({
                "QualificationTypeId": q.type_id.as_str(),
                "IntegerValue": q.integer_value,
                "Status": q.status.as_str(),
                "GrantTime": q.grant_time.to_rfc3339_millis(),
            });
            if let Some(t) = q.revoke_time {
                v["RevokeTime"] = json!(t.to_rfc3339_millis());
            }
            if let Some(r) = &q.revoke_reason {
                v["RevokeReason"] = json!(r);
            }
            v
        })
        .collect();
    Ok(Json(json!({ "WorkerId": worker.as_str(), "Qualifications": items })))
}

/// `GET /_local/workers/{WorkerId}/notifications`: oldest first.
async fn worker_notifications(State(state): State<AppState>, Path(worker_id): Path<String>) -> ControlResult {
    let worker = worker(&worker_id)?;
    let notes = local::worker_notifications(&state.worker_ctx(), &worker).await?;
    let items: Vec<Value> = notes
        .iter()
        .map(|n| {
            let mut v = json!({
                "Kind": n.kind.as_str(),
                "Time": n.time.to_rfc3339_millis(),
                "RequesterId": n.requester.as_str(),
                "Text": n.text,
            });
            if let Some(t) = &n.qualification_type_id {
                v["QualificationTypeId"] = json!(t.as_str());
            }
            if let Some(s) = &n.subject {
                v["Subject"] = json!(s);
            }
            v
        })
        .collect();
    Ok(Json(json!({ "WorkerId": worker.as_str(), "Notifications": items })))
}

fn clock_json(state: &AppState) -> Value {
    json!({ "Now": state.clock.now().to_rfc3339_millis(), "OffsetSeconds": state.clock.offset_ms() / 1000 })
}

/// `GET /_local/clock`.
async fn read_clock(State(state): State<AppState>) -> ControlResult {
    Ok(Json(clock_json(&state)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct ClockBody {
    #[serde(default)]
    advance_seconds: Option<i64>,
    #[serde(default)]
    set: Option<String>,
}

/// `POST /_local/clock` with `{"AdvanceSeconds": N}` or `{"Set": "<RFC 3339>"}`.
/// Moves the virtual clock forward by `advance_seconds`, or sets it to `set`
/// (xsd:dateTime), for this instance and (through the store) every instance
/// sharing the database: `POST /_local/clock` and the console's clock form.
///
/// # Errors
/// `ParameterOutOfRange`, `InvalidParameterValue`; store failures.
pub(crate) async fn move_clock_by(
    state: &AppState,
    advance_seconds: Option<i64>,
    set: Option<&str>,
) -> Result<(), MturkError> {
    let offset = match (advance_seconds, set) {
        (Some(secs), None) => {
            if !(0..=100 * 365 * 86_400).contains(&secs) {
                return Err(mturk_error!(
                    ParameterOutOfRange,
                    "AdvanceSeconds must be between 0 and 3153600000; use Set to move the clock to any instant."
                ));
            }
            if state.clock.now().checked_plus_seconds(secs).is_none() {
                return Err(mturk_error!(
                    ParameterOutOfRange,
                    "AdvanceSeconds would move the clock after 9999-12-31T23:59:59Z, the latest time the service keeps."
                ));
            }
            state.clock.offset_ms().saturating_add(secs.saturating_mul(1000))
        }
        (None, Some(set)) => {
            let to = Timestamp::parse_xml_datetime(set)
                .filter(|t| t.millis() >= 0)
                .ok_or_else(|| invalid_value("Set", set))?;
            if to > Timestamp::LATEST {
                return Err(mturk_error!(
                    ParameterOutOfRange,
                    "Set must not be after 9999-12-31T23:59:59Z, the latest time the service keeps."
                ));
            }
            state.clock.offset_for(to)
        }
        _ => {
            return Err(mturk_error!(InvalidParameterValue, "Send exactly one of AdvanceSeconds and Set."));
        }
    };
    local::set_clock_offset(&state.worker_ctx(), offset).await?;
    state.clock.set_offset_ms(offset);
    // What the move made due happens now, events included (deadlines passed,
    // expirations, automatic approvals), rather than at the next request.
    let w = state.worker_ctx();
    if let Err(e) = crate::ops::settle(&w).await {
        tracing::error!(error = %e, "settling after a clock move failed");
    }
    if let Err(e) = notifications::settle_timed(&w).await {
        tracing::error!(error = %e, "recording clock-driven events after a clock move failed");
    }
    Ok(())
}

async fn move_clock(State(state): State<AppState>, body: Bytes) -> ControlResult {
    let input: ClockBody = parse_body(&body)?;
    move_clock_by(&state, input.advance_seconds, input.set.as_deref()).await?;
    Ok(Json(clock_json(&state)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventQuery {
    #[serde(rename = "HITId")]
    hit_id: Option<String>,
    #[serde(rename = "HITTypeId")]
    hit_type_id: Option<String>,
    #[serde(rename = "EventType")]
    event_type: Option<String>,
}

/// `GET /_local/events[?HITId=…&HITTypeId=…&EventType=…]`: the notification
/// outbox, oldest event first, each with its deliveries.
async fn list_events(State(state): State<AppState>, uri: axum::http::Uri) -> ControlResult {
    let query: EventQuery = serde_urlencoded_query(uri.query().unwrap_or(""))?;
    let event_type = query
        .event_type
        .as_deref()
        .map(|t| EventType::parse(t).ok_or_else(|| ControlError(invalid_value("EventType", t))))
        .transpose()?;
    let filter = EventFilter { hit_id: query.hit_id, hit_type_id: query.hit_type_id, event_type };
    let records = notifications::events(&state.worker_ctx(), &filter).await?;
    let items: Vec<Value> = records.iter().map(event_json).collect();
    Ok(Json(json!({ "Events": items })))
}

fn serde_urlencoded_query(query: &str) -> Result<EventQuery, ControlError> {
    let fields = crate::protocol::form::decode(Some(query), None)
        .map_err(|e| ControlError(mturk_error!(InvalidParameterValue, "{e}")))?;
    let mut out = EventQuery { hit_id: None, hit_type_id: None, event_type: None };
    for (k, v) in fields {
        match k.as_str() {
            "HITId" => out.hit_id = Some(v),
            "HITTypeId" => out.hit_type_id = Some(v),
            "EventType" => out.event_type = Some(v),
            other => {
                return Err(ControlError(mturk_error!(
                    InvalidParameterValue,
                    "Unknown filter {other}: use HITId, HITTypeId or EventType."
                )))
            }
        }
    }
    Ok(out)
}

fn event_json(r: &EventRecord) -> Value {
    let e = &r.event;
    let deliveries: Vec<Value> = r
        .deliveries
        .iter()
        .map(|d| {
            json!({
                "Transport": d.transport.as_str(),
                "Destination": d.destination,
                "Status": d.status.as_str(),
                "Attempts": d.attempts,
                "LastError": d.last_error,
                "FinishedAt": d.finished_at.map(Timestamp::to_rfc3339_millis),
            })
        })
        .collect();
    json!({
        "EventDocId": e.id,
        "EventType": e.event_type.as_str(),
        "EventTimestamp": e.time.to_xml_datetime(),
        "CustomerId": e.requester.as_str(),
        "HITTypeId": e.hit_type_id,
        "HITId": e.hit_id,
        "AssignmentId": e.assignment_id,
        "Deliveries": deliveries,
    })
}

/// `POST /_local/reset`: empties every table but the configured requesters'
/// accounts (restored to their starting balances), rewinds the clock (to real
/// time, or to `service.clock_start`), restarts a seeded id sequence and
/// removes every fault rule.
async fn reset(State(state): State<AppState>) -> ControlResult {
    let offset = state.settings.service.clock_start().map_or(0, |start| state.clock.offset_for(start));
    local::reset(&state.worker_ctx(), &state.accounts, state.wall.now(), offset).await?;
    state.clock.set_offset_ms(offset);
    // Epoch 0, as on a new store: the store is empty, so its ids are free again.
    state.ids.restart(0);
    state.faults.clear();
    forget_accounts(&state);
    Ok(Json(json!({ "Reset": true })))
}

/// After the whole state was replaced (reset, restore): accounts made on
/// first use (open auth mode) may be gone, so only the configured ones are
/// known to exist; the others come back on their next call. A configured
/// requester missing from a restored state gets a fresh account on its next
/// call too (`ops::account::ensure_account`).
pub(crate) fn forget_accounts(state: &AppState) {
    let mut known = state.known_accounts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    known.clear();
    known.extend(state.accounts.iter().map(|(id, _)| id.as_str().to_owned()));
}

fn snapshot_name(raw: &str) -> Result<SnapshotName, ControlError> {
    SnapshotName::parse(raw).ok_or_else(|| {
        ControlError(crate::error::invalid_value_because(
            "Name",
            raw,
            "A snapshot name is 1 to 64 of the characters A-Z, a-z, 0-9, _, . and -.",
        ))
    })
}

fn snapshot_json(s: &Snapshot) -> Value {
    json!({ "Name": s.name.as_str(), "CreatedAt": s.created_at.to_rfc3339_millis(), "Rows": s.rows })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct SnapshotBody {
    name: String,
}

/// `POST /_local/snapshots` with `{"Name": …}`: a snapshot of the whole
/// state, replacing one of that name.
async fn take_snapshot(State(state): State<AppState>, body: Bytes) -> ControlResult {
    let input: SnapshotBody = parse_body(&body)?;
    let name = snapshot_name(&input.name)?;
    let snapshot = local::take_snapshot(&state.worker_ctx(), &name).await?;
    Ok(Json(json!({ "Snapshot": snapshot_json(&snapshot) })))
}

/// `GET /_local/snapshots`: by name.
async fn list_snapshots(State(state): State<AppState>) -> ControlResult {
    let list = local::snapshots(&state.worker_ctx()).await?;
    Ok(Json(json!({ "Snapshots": list.iter().map(snapshot_json).collect::<Vec<_>>() })))
}

/// `POST /_local/snapshots/{name}/restore`: the snapshot's state, and the
/// virtual clock back at the instant it was taken.
async fn restore_snapshot(State(state): State<AppState>, Path(name): Path<String>) -> ControlResult {
    let name = snapshot_name(&name)?;
    let clock = std::sync::Arc::clone(&state.clock);
    let offset_for = move |at: Timestamp| clock.offset_for(at);
    let snapshot = local::restore_snapshot(&state.worker_ctx(), &name, &offset_for).await?;
    state.sync_clock().await?;
    forget_accounts(&state);
    // With a seed, the sequence goes on in a fresh epoch taken from the restored store: every
    // epoch its rows were minted in is below the stored one, so no id is minted twice, even
    // when a reset restarted the sequence before this restore; and every restore of the same
    // snapshot takes the same epoch, so what follows it gets the same ids each time.
    state.fresh_id_epoch().await?;
    Ok(Json(json!({ "Snapshot": snapshot_json(&snapshot), "Clock": clock_json(&state) })))
}

/// `POST /_local/fixtures`: a fixture file in the body, JSON or (with a YAML
/// content type) YAML.
async fn load_fixtures(State(state): State<AppState>, headers: axum::http::HeaderMap, body: Bytes) -> ControlResult {
    let yaml = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(fixtures::is_yaml_type);
    let file = fixtures::decode(&body, yaml)?;
    let outcome = fixtures::load(&state, &file).await?;
    Ok(Json(fixtures::outcome_json(&outcome)))
}

/// `DELETE /_local/snapshots/{name}`.
async fn delete_snapshot(State(state): State<AppState>, Path(name): Path<String>) -> ControlResult {
    let name = snapshot_name(&name)?;
    local::delete_snapshot(&state.worker_ctx(), &name).await?;
    Ok(Json(json!({ "Deleted": true })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct LocaleBody {
    country: String,
    #[serde(default)]
    subdivision: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct ProfileBody {
    #[serde(default)]
    locale: Option<LocaleBody>,
    #[serde(default)]
    adult: bool,
    #[serde(default)]
    masters: bool,
}

fn profile_json(worker: &WorkerId, p: &WorkerProfile) -> Value {
    let mut v = json!({ "WorkerId": worker.as_str(), "Adult": p.adult, "Masters": p.masters });
    if let Some(l) = &p.locale {
        v["Locale"] = json!({ "Country": l.country, "Subdivision": l.subdivision });
    }
    v
}

/// `PUT /_local/workers/{WorkerId}`: the profile behind the Locale, Adult and
/// Masters system qualifications.
async fn set_profile(State(state): State<AppState>, Path(worker_id): Path<String>, body: Bytes) -> ControlResult {
    let worker = worker(&worker_id)?;
    let input: ProfileBody = parse_body(&body)?;
    let locale = input.locale.map(|l| Locale { country: l.country, subdivision: l.subdivision });
    let profile = WorkerProfile { locale, adult: input.adult, masters: input.masters };
    let profile = local::set_worker_profile(&state.worker_ctx(), &worker, profile).await?;
    Ok(Json(profile_json(&worker, &profile)))
}

/// `GET /_local/workers/{WorkerId}`.
async fn get_profile(State(state): State<AppState>, Path(worker_id): Path<String>) -> ControlResult {
    let worker = worker(&worker_id)?;
    let profile = local::worker_profile(&state.worker_ctx(), &worker).await?;
    Ok(Json(profile_json(&worker, &profile)))
}

/// `GET /_local/workers/{WorkerId}/hits`: what the worker can find, and may do.
async fn worker_hits(State(state): State<AppState>, Path(worker_id): Path<String>) -> ControlResult {
    let worker = worker(&worker_id)?;
    let w = state.worker_ctx();
    let found = marketplace::find_hits(&w, &worker).await?;
    let items: Vec<Value> = found
        .iter()
        .map(|(h, e)| {
            let mut v = json!({
                "HITId": h.id,
                "HITTypeId": h.hit_type.id,
                "RequesterId": h.hit_type.owner.as_str(),
                "Title": h.hit_type.title,
                "Reward": crate::domain::money::format_cents(h.hit_type.reward_cents),
                "NumberOfAssignmentsAvailable": h.available(w.now),
                "Expiration": h.expiration.to_rfc3339_millis(),
                "CanPreview": e.can_preview,
                "CanAccept": e.can_accept,
                "Blocked": e.blocked,
                "FailedRequirements": e.failed_requirements,
            });
            if e.can_preview {
                v["Question"] = json!(h.question);
            }
            v
        })
        .collect();
    Ok(Json(json!({ "WorkerId": worker.as_str(), "HITs": items })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct AcceptBody {
    #[serde(rename = "HITId")]
    hit_id: String,
}

fn assignment_json(a: &crate::domain::hit::Assignment, now: Timestamp) -> Value {
    let mut v = json!({
        "AssignmentId": a.id,
        "HITId": a.hit_id,
        "WorkerId": a.worker_id.as_str(),
        "Status": a.status_at(now).as_str(),
        "AcceptTime": a.accept_time.to_rfc3339_millis(),
        "Deadline": a.deadline.to_rfc3339_millis(),
    });
    if let Some(t) = a.submit_time {
        v["SubmitTime"] = json!(t.to_rfc3339_millis());
    }
    if let Some(f) = &a.requester_feedback {
        v["RequesterFeedback"] = json!(f);
    }
    v
}

/// `POST /_local/workers/{WorkerId}/assignments` with `{"HITId": …}`: accept.
/// For an ExternalQuestion the answer carries the URL the worker's browser
/// would open, with `assignmentId`, `hitId`, `workerId` and `turkSubmitTo`
/// pointing back at this server's `/mturk/externalSubmit`.
async fn accept_hit(
    State(state): State<AppState>,
    Path(worker_id): Path<String>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> ControlResult {
    let worker = worker(&worker_id)?;
    let input: AcceptBody = parse_body(&body)?;
    let w = state.worker_ctx();
    let (a, hit) = local::accept(&w, &worker, &input.hit_id).await?;
    let mut out = assignment_json(&a, w.now);
    if let Some(url) = crate::documents::external_url(&hit.question) {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("127.0.0.1:8099");
        let submit_to = format!("http://{host}");
        let enc = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
        let sep = if url.contains('?') { '&' } else { '?' };
        out["ExternalURL"] = json!(format!(
            "{url}{sep}assignmentId={}&hitId={}&workerId={}&turkSubmitTo={}",
            enc(&a.id),
            enc(&a.hit_id),
            enc(worker.as_str()),
            enc(&submit_to)
        ));
        out["TurkSubmitTo"] = json!(submit_to);
    } else {
        out["Question"] = json!(hit.question);
    }
    Ok(Json(out))
}

/// `GET /_local/workers/{WorkerId}/assignments`: newest first.
async fn worker_assignments(State(state): State<AppState>, Path(worker_id): Path<String>) -> ControlResult {
    let worker = worker(&worker_id)?;
    let w = state.worker_ctx();
    let list = local::worker_assignments(&w, &worker).await?;
    let items: Vec<Value> = list.iter().map(|a| assignment_json(a, w.now)).collect();
    Ok(Json(json!({ "WorkerId": worker.as_str(), "Assignments": items })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct SubmitBody {
    answer: Option<String>,
    /// Files for FileUploadAnswer questions, by QuestionIdentifier.
    files: Option<std::collections::BTreeMap<String, FileBody>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct FileBody {
    /// The file's name (default `upload`).
    name: Option<String>,
    /// Its bytes, base64 (standard alphabet, padded).
    content_base64: String,
}

/// `POST /_local/assignments/{AssignmentId}/submit` with
/// `{"Answer": "<QuestionFormAnswers …>"}`, and for FileUploadAnswer
/// questions `"Files": {"<QuestionIdentifier>": {"Name": …, "ContentBase64": …}}`
/// (then `Answer` may be left out, or hold the other questions' answers).
async fn submit_assignment(
    State(state): State<AppState>,
    Path(assignment_id): Path<String>,
    body: Bytes,
) -> ControlResult {
    use base64::Engine as _;
    let input: SubmitBody = parse_body(&body)?;
    let w = state.worker_ctx();
    match input.files {
        None => {
            let answer = input.answer.ok_or_else(|| crate::error::missing_parameter("Answer"))?;
            marketplace::submit(&w, &assignment_id, None, &answer, true).await?;
        }
        Some(files) => {
            if files.is_empty() {
                return Err(mturk_error!(InvalidParameterValue, "Files names no file.").into());
            }
            let files = files
                .into_iter()
                .map(|(question_id, f)| {
                    let content = base64::engine::general_purpose::STANDARD
                        .decode(f.content_base64.as_bytes())
                        .map_err(|e| invalid_value_why("ContentBase64", &format!("it is not base64 ({e})")))?;
                    Ok(marketplace::UploadedFile {
                        question_id,
                        name: f.name.unwrap_or_else(|| "upload".to_owned()),
                        content,
                    })
                })
                .collect::<Result<Vec<_>, MturkError>>()?;
            marketplace::submit_with_files(&w, &assignment_id, None, input.answer.as_deref(), files).await?;
        }
    }
    Ok(Json(json!({ "AssignmentId": assignment_id, "Status": "Submitted" })))
}

fn invalid_value_why(name: &str, why: &str) -> MturkError {
    mturk_error!(InvalidParameterValue, "The value of {name} is not valid: {why}.")
}

/// `GET /_files/{token}`: the file behind a GetFileUploadURL address while it
/// is valid (60 seconds of emulated time); 404 otherwise. No signature: the
/// unguessable token is the capability, as on the real service.
pub async fn download_file(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    if let Err(err) = state.sync_clock().await {
        return ControlError(err).into_response();
    }
    let now = state.clock.now();
    match crate::ops::files::download(state.store.as_ref(), &token, now).await {
        Ok(Some(file)) => {
            // The name as a quoted-string: quotes and backslashes dropped, non-ASCII kept out.
            let name: String = file
                .name
                .chars()
                .filter(|c| c.is_ascii_graphic() || *c == ' ')
                .filter(|c| !matches!(c, '"' | '\\'))
                .collect();
            (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
                    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
                ],
                file.content,
            )
                .into_response()
        }
        Ok(None) => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "This file address is unknown or has expired; call GetFileUploadURL again.\n",
        )
            .into_response(),
        Err(err) => ControlError(err).into_response(),
    }
}

/// `POST /_local/assignments/{AssignmentId}/return`.
async fn return_assignment(State(state): State<AppState>, Path(assignment_id): Path<String>) -> ControlResult {
    let w = state.worker_ctx();
    marketplace::return_assignment(&w, &assignment_id, None).await?;
    Ok(Json(json!({ "AssignmentId": assignment_id, "Status": "Returned" })))
}
