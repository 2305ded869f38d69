//! The legacy REST/XML requester API: `GET`/`POST` on `/` and `/onca/xml`
//! with `Service=AWSMechanicalTurkRequester&Operation=…` (spec §1-§3).
//!
//! Pipeline: read the body (bounded) → decode parameters → resolve the
//! operation name → **authenticate** → check the operation is known and the
//! values are XML-safe → run the handler → wrap the result or error in the
//! envelope. Every answer is HTTP 200 `text/xml`, as on the real service.

pub mod dispatch;
pub mod dto;
pub mod envelope;
pub mod handlers;
pub mod hit_handlers;
pub mod params;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::auth::legacy::{self, SignedRequest, SERVICE};
use crate::config::AuthMode;
use crate::domain::clock::Clock as _;
use crate::error::{invalid_value, invalid_value_because, missing_parameter, MturkError};
use crate::mturk_error;
use crate::state::AppState;

use envelope::Frame;
use params::Params;

/// Every published API version; absent means the latest.
///
/// Spec §1.2 listed eight; public clients and Amazon's release notes name
/// five more, and real clients send them: Amazon's Perl SDK
/// (`Net::Amazon::MechanicalTurk` 1.02) defaults to 2011-10-01, its 1.0 and
/// 1.01 and the Java SDK to 2007-06-21, a PHP client to 2007-03-12; the
/// release notes of 2006 announce 2006-05-05 and 2006-06-20, and the 2008
/// WSDL-location page 2008-04-01. No client or document names another.
pub const VERSIONS: &[&str] = &[
    "2005-10-01",
    "2006-05-05",
    "2006-06-20",
    "2006-08-23",
    "2006-10-31",
    "2007-03-12",
    "2007-06-21",
    "2008-04-01",
    "2008-08-02",
    "2011-10-01",
    "2012-03-25",
    "2013-11-15",
    "2014-08-15",
];

/// Root name used when the operation cannot be named: the 2009 capture of an
/// unresolvable request had root `GetResponse` (spec §2.4, open question 4).
const UNRESOLVED_OPERATION: &str = "Get";

/// An HTTP 200 `text/xml` answer with the real service's `Server` header.
pub fn xml_response(body: String) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    headers.insert(header::SERVER, HeaderValue::from_static("MTurk"));
    response
}

/// Whether `name` can serve as an element name (and so as an operation).
fn is_operation_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Best-effort operation name from raw input, for the root of an error
/// answer to a request whose parameters could not be decoded.
fn sniff_operation(query: Option<&str>, body: &[u8]) -> String {
    let body = String::from_utf8_lossy(body);
    [query.unwrap_or(""), &body]
        .iter()
        .flat_map(|part| part.split('&'))
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "Operation" || *k == "Action")
        .map(|(_, v)| v.to_owned())
        .filter(|v| is_operation_name(v))
        .unwrap_or_else(|| UNRESOLVED_OPERATION.to_owned())
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_none_or(|mime| mime.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
}

/// The axum handler for `/` and `/onca/xml` (requests without `X-Amz-Target`).
pub async fn handle(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request_id = state.ids.request_id();
    let span = crate::protocol::request_span("legacy", &request_id);
    async move {
        // `None`: the body was over the limit (or the connection broke while reading it).
        let body = crate::protocol::read_body(body, state.settings.server.max_body_bytes).await;
        let answer = answer(&state, &request_id, &method, &uri, &headers, body.as_ref()).await;
        xml_response(answer)
    }
    .instrument(span)
    .await
}

#[allow(clippy::too_many_lines, reason = "one linear pipeline reads best in one place")]
async fn answer(
    state: &AppState,
    request_id: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Result<&Bytes, &crate::protocol::BodyError>,
) -> String {
    let epoch_ms = state.clock.now().millis();
    let query = uri.query();
    let tag = crate::protocol::RequestTag { protocol: "legacy", request_id };
    let refuse = |operation: &str, err: MturkError| {
        crate::protocol::record_result(tag, operation, Err(&err));
        envelope::service_error(Frame { operation, request_id, epoch_ms }, &err)
    };

    let body = match body {
        Ok(body) => body,
        Err(e) => return refuse(&sniff_operation(query, &[]), crate::protocol::body_error(*e, &state.settings.server)),
    };
    if method != Method::GET && method != Method::POST {
        let err = mturk_error!(InvalidParameterValue, "The HTTP method {method} is not supported; use GET or POST.");
        return refuse(&sniff_operation(query, body), err);
    }
    if method == Method::POST && !body.is_empty() && !is_form(headers) {
        let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let err = mturk_error!(
            InvalidParameterValue,
            "The Content-Type {content_type:?} is not supported; send application/x-www-form-urlencoded."
        );
        return refuse(&sniff_operation(query, &[]), err);
    }
    let params = match Params::decode(query, (!body.is_empty()).then_some(body.as_ref())) {
        Ok(p) => p,
        Err(e) => return refuse(&sniff_operation(query, body), mturk_error!(InvalidParameterValue, "{e}")),
    };

    // `Action` is an accepted alias of `Operation` (boto 2 before Dec 2012, spec §1.2).
    let operation = match (params.plain("Operation"), params.plain("Action")) {
        (Some(op), Some(action)) if op != action => {
            let err = mturk_error!(InvalidParameterValue, "Operation {op:?} and Action {action:?} disagree.");
            return refuse(UNRESOLVED_OPERATION, err);
        }
        (Some(op), _) | (None, Some(op)) => op,
        (None, None) => return refuse(UNRESOLVED_OPERATION, missing_parameter("Operation")),
    };
    if !is_operation_name(operation) {
        return refuse(UNRESOLVED_OPERATION, invalid_value("Operation", operation));
    }
    tracing::Span::current().record("operation", operation);
    if let Some(service) = params.get("Service") {
        if service != SERVICE {
            return refuse(
                operation,
                invalid_value_because("Service", service, "Expected AWSMechanicalTurkRequester."),
            );
        }
    }

    let signed = SignedRequest {
        operation,
        access_key_id: params.plain("AWSAccessKeyId"),
        signature: params.plain("Signature"),
        timestamp: params.plain("Timestamp"),
        signature_version: params.plain("SignatureVersion"),
    };
    if let Some(key) = signed.access_key_id {
        tracing::Span::current().record("access_key_id", key);
    }
    let caller = match legacy::verify(
        signed,
        params.iter(),
        &state.credentials,
        state.wall.now(),
        state.settings.auth.timestamp_window_secs,
        state.settings.auth.mode == AuthMode::Strict,
    ) {
        Ok(caller) => caller,
        Err(err) => return refuse(operation, err),
    };
    if let Err(err) = state.ensure_account(&caller).await {
        return refuse(operation, err);
    }
    if let Err(err) = state.sync_clock().await {
        return refuse(operation, err);
    }

    if let Some(version) = params.plain("Version") {
        if !VERSIONS.contains(&version) {
            return refuse(operation, invalid_value_because("Version", version, "Expected a published API version."));
        }
    }
    let Some(op) = dispatch::find(operation) else {
        // Not captured; spec §9 item 5 suggests InvalidParameterValue.
        return refuse(operation, invalid_value("Operation", operation));
    };

    let ctx = state.ctx(caller);
    let echo = if params.response_groups().contains(&"Request") { render_echo(op, &params) } else { String::new() };
    let outcome = match (params.check_xml_safe(), op.handler) {
        (Err(err), _) => Err(err),
        (Ok(()), None) => Err(mturk_error!(
            NotImplemented,
            "The operation {operation} is part of the MTurk API but mturk-local does not implement it yet."
        )),
        (Ok(()), Some(handler)) => handler(&ctx, &params).await,
    };
    crate::protocol::record_result(tag, operation, outcome.as_ref().map(|_| ()));
    envelope::result(Frame { operation, request_id, epoch_ms }, &op.result_element(), &echo, outcome.as_deref())
}

/// The `ResponseGroup=Request` echo: the parsed parameters in XSD order
/// (spec §3.4). Operations without an echo element in the XSD echo nothing.
fn render_echo(op: &dispatch::Operation, params: &Params) -> String {
    let Some(fields) = op.echo else {
        return String::new();
    };
    let mut xml = envelope::Xml::new();
    let element = format!("{}Request", op.name);
    xml.open(&element);
    for field in fields {
        xml.leaf_opt(field, params.get(field));
    }
    for group in params.response_groups() {
        xml.leaf("ResponseGroup", group);
    }
    xml.close(&element);
    xml.finish()
}
