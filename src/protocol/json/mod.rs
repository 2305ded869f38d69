//! The 2017-01-17 JSON API that boto3, the AWS CLI and the SDKs speak
//! (modern-api.md §1): `POST /` with `X-Amz-Target:
//! MTurkRequesterServiceV20170117.<Operation>`, an `application/x-amz-json-1.1`
//! body, SigV4 in the `Authorization` header.
//!
//! In the [pipeline](crate::protocol::pipeline): before authentication the
//! target, the method and the content type are checked; SigV4 authenticates;
//! after it the body is parsed as a JSON object. This module owns the one
//! JSON error renderer: HTTP 400 `RequestError` / 500 `ServiceFault` with
//! `__type`, `Message` and `TurkErrorCode`; `x-amzn-RequestId` on every answer.

pub mod answer;
pub mod decode;
pub mod dispatch;
pub mod dto;
pub mod input;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::auth::sigv4::{self, SigV4Error, SignedHttpRequest};
use crate::config::AuthMode;
use crate::domain::ids::RequesterId;
use crate::error::MturkError;
use crate::mturk_error;
use crate::protocol::pipeline::{self, ApiHandler, Decoded, Handler, Incoming, Refused};
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

/// The JSON face for the [pipeline](crate::protocol::pipeline).
#[derive(Debug, Clone, Copy)]
pub struct JsonApi;

/// The axum handler for requests that carry `X-Amz-Target`.
pub async fn handle(state: AppState, method: Method, uri: Uri, headers: HeaderMap, body: Body) -> Response {
    pipeline::serve::<JsonApi>(state, method, uri, headers, body).await
}

impl ApiHandler for JsonApi {
    const PROTOCOL: &'static str = "json";
    type Operation = &'static dispatch::Operation;
    /// The body, parsed once the caller is known (an unsigned malformed body
    /// gets the authentication failure, as on AWS).
    type Pending = Bytes;
    type Input = input::Input;
    type Output = Value;
    /// JSON answers need nothing but the request id and the time.
    type Frame = ();
    type AuthError = SigV4Error;

    fn decode(state: &AppState, incoming: Incoming<'_>) -> Result<Decoded<Self>, Refused<Self>> {
        let target = incoming.headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or("");
        let refused =
            |operation: &str, error: MturkError| Refused { operation: operation.to_owned(), frame: (), error };
        let Some(op) = dispatch::find(target) else {
            return Err(refused(
                target,
                mturk_error!(
                    InvalidParameterValue,
                    "X-Amz-Target {target:?} is not an operation of {}: expected {}.<Operation>.",
                    dispatch::TARGET_PREFIX,
                    dispatch::TARGET_PREFIX
                ),
            ));
        };
        let method = incoming.method;
        if method != Method::POST {
            return Err(refused(
                op.name,
                mturk_error!(InvalidParameterValue, "The JSON API takes POST requests, not {method}."),
            ));
        }
        let content_type = incoming.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        // Tolerated as the spec advises (modern-api.md §1.3): 1.1, 1.0, plain JSON, or none.
        if !matches!(
            mime.as_str(),
            "" | "application/x-amz-json-1.1" | "application/x-amz-json-1.0" | "application/json"
        ) {
            return Err(refused(
                op.name,
                mturk_error!(
                    InvalidParameterValue,
                    "The Content-Type {content_type:?} is not supported; send {CONTENT_TYPE}."
                ),
            ));
        }
        let body = match incoming.body {
            Ok(body) => body.clone(),
            Err(e) => return Err(refused(op.name, crate::protocol::body_error(*e, &state.settings.server))),
        };
        Ok(Decoded { operation: op.name.to_owned(), op: Some(op), access_key: None, pending: body, frame: () })
    }

    fn authenticate(
        state: &AppState,
        incoming: Incoming<'_>,
        decoded: &Decoded<Self>,
    ) -> Result<RequesterId, SigV4Error> {
        let headers = incoming.headers;
        let header_values = |name: &str| -> Vec<String> {
            headers.get_all(name).iter().filter_map(|v| v.to_str().ok().map(str::to_owned)).collect()
        };
        let signed = SignedHttpRequest {
            method: incoming.method.as_str(),
            path: incoming.uri.path(),
            query: incoming.uri.query(),
            header_values: &header_values,
            body: &decoded.pending,
        };
        let verified = sigv4::verify(
            &signed,
            &state.credentials,
            state.wall.now(),
            state.settings.auth.timestamp_window_secs,
            state.settings.auth.mode == AuthMode::Strict,
        )?;
        RequesterId::parse(&verified.access_key_id).ok_or_else(|| {
            SigV4Error::new(
                "UnrecognizedClientException",
                format!("The access key id {:?} is not a valid requester id.", verified.access_key_id),
            )
        })
    }

    fn admit(
        _state: &AppState,
        op: Option<Self::Operation>,
        body: Bytes,
        (): &mut (),
    ) -> Result<(Self::Operation, input::Input), MturkError> {
        let op = op.ok_or_else(|| mturk_error!(InvalidParameterValue, "The operation is not known."))?;
        let members = if body.iter().all(u8::is_ascii_whitespace) {
            serde_json::Map::new()
        } else {
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(map)) => map,
                Ok(_) => return Err(mturk_error!(InvalidParameterValue, "The request body must be a JSON object.")),
                Err(e) => return Err(mturk_error!(InvalidParameterValue, "The request body is not valid JSON: {e}")),
            }
        };
        if let Some(name) = crate::protocol::first_non_xml_member(&members) {
            return Err(crate::protocol::non_xml_error(&name));
        }
        Ok((op, input::Input::for_operation(op.name, members)))
    }

    fn handler(op: Self::Operation) -> Option<Handler<Self>> {
        op.handler
    }

    fn name(op: Self::Operation) -> &'static str {
        op.name
    }

    fn render(_frame: &(), request_id: &str, epoch_ms: i64, outcome: Result<&Value, &MturkError>) -> Response {
        match outcome {
            Ok(output) => respond(StatusCode::OK, request_id, None, output),
            Err(err) => error_response(err, request_id, epoch_ms),
        }
    }

    /// AWS's throttling answer for JSON services: HTTP 400 with the Coral
    /// shape `com.amazon.coral.availability#ThrottlingException` and the
    /// message "Rate exceeded", no `TurkErrorCode`. That is what MTurk users
    /// met ("An error occurred (ThrottlingException) when calling the
    /// CreateHITWithHITType operation (reached max retries: 4): Rate
    /// exceeded", allenai/amti PR #12), and the shape other clients check for
    /// (`__type == "com.amazon.coral.availability#ThrottlingException"` in
    /// DynamoDB clients). botocore keeps the part after `#`, and both its
    /// retry modes take `ThrottlingException` as throttling: the legacy
    /// mode's `_retry.json` only with HTTP 400, the standard mode's
    /// `retries/standard.py` (`_THROTTLED_ERROR_CODES`) by code alone.
    fn render_throttled(_frame: &(), request_id: &str, _epoch_ms: i64, message: Option<&str>) -> Response {
        let shape = "com.amazon.coral.availability#ThrottlingException";
        let body = json!({ "__type": shape, "message": message.unwrap_or("Rate exceeded") });
        respond(StatusCode::BAD_REQUEST, request_id, Some(shape), &body)
    }

    /// HTTP 503 with Coral's generic `ServiceUnavailableException` (the
    /// `com.amazon.coral.service#ServiceUnavailableException` that generated
    /// awsJson1_1 deserializers list beside each service's own shapes). Not
    /// captured from MTurk; what matters to an SDK is the 503, which every
    /// retry mode retries (botocore's `_retry.json` `service_unavailable`,
    /// `retries/standard.py` `_TRANSIENT_STATUS_CODES`).
    fn render_unavailable(_frame: &(), request_id: &str, _epoch_ms: i64, message: Option<&str>) -> Response {
        let shape = "com.amazon.coral.service#ServiceUnavailableException";
        let body = json!({ "__type": shape, "message": message.unwrap_or("Service Unavailable") });
        respond(StatusCode::SERVICE_UNAVAILABLE, request_id, Some(shape), &body)
    }

    fn render_auth_error(_frame: &(), request_id: &str, _epoch_ms: i64, err: &SigV4Error) -> Response {
        auth_error_response(err, request_id)
    }

    fn describe_auth_error(err: &SigV4Error) -> (&str, &str, bool) {
        (err.kind, &err.message, false)
    }
}
