//! Wire codecs. Each protocol decodes requests into domain inputs, calls
//! `ops`, and encodes outputs and errors in its own format. Requests are
//! classified here: an `X-Amz-Target` header means the JSON API (a later
//! front end); everything else on `/` and `/onca/xml` is the legacy API.

pub mod legacy_xml;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// Answers a JSON-API request (one with `X-Amz-Target`) while that front end
/// is not served: an AWS-shaped `RequestError`, so SDKs raise a clear error.
pub fn json_not_served(state: &AppState, headers: &HeaderMap) -> Response {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or("");
    let body = serde_json::json!({
        "__type": "com.amazonaws.mturk#RequestError",
        "Message": format!("mturk-local does not serve the 2017-01-17 JSON API yet (target {target:?}); use the legacy REST/XML API."),
        "TurkErrorCode": crate::error::ErrorCode::NotImplemented.as_str(),
    });
    let mut response = (StatusCode::BAD_REQUEST, body.to_string()).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-amz-json-1.1"));
    h.insert("x-amzn-ErrorType", HeaderValue::from_static("RequestError"));
    if let Ok(id) = HeaderValue::from_str(&state.ids.request_id()) {
        h.insert("x-amzn-RequestId", id);
    }
    response
}
