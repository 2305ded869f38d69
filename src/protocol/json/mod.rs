//! The 2017-01-17 JSON API that boto3, the AWS CLI and the SDKs speak
//! (modern-api.md §1): `POST /` with `X-Amz-Target:
//! MTurkRequesterServiceV20170117.<Operation>`, an `application/x-amz-json-1.1`
//! body, SigV4 in the `Authorization` header.
//!
//! Pipeline: target → content type → bounded body → JSON object →
//! **authenticate** → handler → `{...}` or an error body. This module owns the
//! one JSON error renderer: HTTP 400 `RequestError` / 500 `ServiceFault` with
//! `__type`, `Message` and `TurkErrorCode`; `x-amzn-RequestId` on every answer.

pub mod dispatch;
pub mod dto;
pub mod handlers;
pub mod input;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use tracing::Instrument;

use crate::auth::sigv4::{self, SigV4Error, SignedHttpRequest};
use crate::config::AuthMode;
use crate::domain::clock::Clock as _;
use crate::domain::ids::RequesterId;
use crate::error::MturkError;
use crate::mturk_error;
use crate::state::AppState;

const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

fn respond(status: StatusCode, request_id: &str, error_type: Option<&str>, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-RequestId", id);
    }
    if let Some(kind) = error_type.and_then(|k| HeaderValue::from_str(k).ok()) {
        h.insert("x-amzn-ErrorType", kind);
    }
    response
}

/// Renders an [`MturkError`] as the model's `RequestError` or `ServiceFault`.
fn error_response(err: &MturkError, request_id: &str, epoch_ms: i64) -> Response {
    let (status, shape) = if err.code().is_client_fault() {
        (StatusCode::BAD_REQUEST, "com.amazonaws.mturk#RequestError")
    } else {
        (StatusCode::INTERNAL_SERVER_ERROR, "com.amazonaws.mturk#ServiceFault")
    };
    let body = json!({
        "__type": shape,
        "Message": format!("{} ({epoch_ms})", err.message()),
        "TurkErrorCode": err.code().as_str(),
    });
    respond(status, request_id, Some(shape), &body)
}

/// Renders an authentication failure the way AWS JSON services do.
fn auth_error_response(err: &SigV4Error, request_id: &str) -> Response {
    let status = StatusCode::from_u16(err.status).unwrap_or(StatusCode::FORBIDDEN);
    let shape = format!("com.amazon.coral.service#{}", err.kind);
    let body = json!({ "__type": shape, "Message": err.message });
    respond(status, request_id, Some(&shape), &body)
}

/// The axum handler for requests that carry `X-Amz-Target`.
pub async fn handle(state: AppState, method: Method, uri: Uri, headers: HeaderMap, body: Body) -> Response {
    let request_id = state.ids.request_id();
    let span = crate::protocol::request_span("json", &request_id);
    async move {
        let body = crate::protocol::read_body(body, state.settings.server.max_body_bytes).await;
        answer(&state, &request_id, &method, &uri, &headers, body.as_ref()).await
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
) -> Response {
    let epoch_ms = state.clock.now().millis();
    let tag = crate::protocol::RequestTag { protocol: "json", request_id };
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or("");
    let found = dispatch::find(target);
    let operation = found.map_or(target, |op| op.name);
    let refuse = |err: MturkError| {
        crate::protocol::record_result(tag, operation, Err(&err));
        error_response(&err, request_id, epoch_ms)
    };
    let Some(op) = found else {
        return refuse(mturk_error!(
            InvalidParameterValue,
            "X-Amz-Target {target:?} is not an operation of {}: expected {}.<Operation>.",
            dispatch::TARGET_PREFIX,
            dispatch::TARGET_PREFIX
        ));
    };
    tracing::Span::current().record("operation", op.name);
    if method != Method::POST {
        return refuse(mturk_error!(InvalidParameterValue, "The JSON API takes POST requests, not {method}."));
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    // Tolerated as the spec advises (modern-api.md §1.3): 1.1, 1.0, plain JSON, or none.
    if !matches!(mime.as_str(), "" | "application/x-amz-json-1.1" | "application/x-amz-json-1.0" | "application/json") {
        return refuse(mturk_error!(
            InvalidParameterValue,
            "The Content-Type {content_type:?} is not supported; send {CONTENT_TYPE}."
        ));
    }
    let body = match body {
        Ok(body) => body,
        Err(e) => return refuse(crate::protocol::body_error(*e, &state.settings.server)),
    };

    let verified = {
        let header_values = |name: &str| -> Vec<String> {
            headers.get_all(name).iter().filter_map(|v| v.to_str().ok().map(str::to_owned)).collect()
        };
        let signed = SignedHttpRequest {
            method: method.as_str(),
            path: uri.path(),
            query: uri.query(),
            header_values: &header_values,
            body,
        };
        sigv4::verify(
            &signed,
            &state.credentials,
            state.wall.now(),
            state.settings.auth.timestamp_window_secs,
            state.settings.auth.mode == AuthMode::Strict,
        )
    };
    let caller = match verified.map(|v| RequesterId::parse(&v.access_key_id).ok_or(v.access_key_id)) {
        Ok(Ok(caller)) => caller,
        Ok(Err(key)) => {
            let err = SigV4Error::new(
                "UnrecognizedClientException",
                format!("The access key id {key:?} is not a valid requester id."),
            );
            crate::protocol::record_outcome(tag, operation, Some((err.kind, &err.message, false)));
            return auth_error_response(&err, request_id);
        }
        Err(err) => {
            crate::protocol::record_outcome(tag, operation, Some((err.kind, &err.message, false)));
            return auth_error_response(&err, request_id);
        }
    };
    tracing::Span::current().record("access_key_id", caller.as_str());
    if let Err(err) = state.ensure_account(&caller).await {
        return refuse(err);
    }
    if let Err(err) = state.sync_clock().await {
        return refuse(err);
    }

    let members = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Map::new()
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return refuse(mturk_error!(InvalidParameterValue, "The request body must be a JSON object.")),
            Err(e) => return refuse(mturk_error!(InvalidParameterValue, "The request body is not valid JSON: {e}")),
        }
    };
    if let Some(name) = crate::protocol::first_non_xml_member(&members) {
        return refuse(crate::protocol::non_xml_error(&name));
    }
    let Some(handler) = op.handler else {
        return refuse(mturk_error!(
            NotImplemented,
            "The operation {} is part of the MTurk API but mturk-local does not implement it yet.",
            op.name
        ));
    };
    let ctx = state.ctx(caller);
    match handler(&ctx, &input::Input::new(members)).await {
        Ok(output) => {
            crate::protocol::record_result(tag, operation, Ok(()));
            respond(StatusCode::OK, request_id, None, &output)
        }
        Err(err) => refuse(err),
    }
}
