//! The legacy REST/XML requester API: `GET`/`POST` on `/` and `/onca/xml`
//! with `Service=AWSMechanicalTurkRequester&Operation=…` (spec §1-§3).
//!
//! Pipeline: read the body (bounded) → decode parameters → resolve the
//! operation name → **authenticate** → check the operation is known and the
//! values are XML-safe → run the handler → wrap the result or error in the
//! envelope. Every answer is HTTP 200 `text/xml`, as on the real service.

pub mod answer;
pub mod decode;
pub mod dispatch;
pub mod dto;
pub mod envelope;
pub mod params;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::auth::legacy::{self, SignedRequest, SERVICE};
use crate::config::AuthMode;
use crate::domain::ids::RequesterId;
use crate::error::{invalid_value, invalid_value_because, missing_parameter, MturkError};
use crate::mturk_error;
use crate::protocol::pipeline::{self, ApiHandler, Decoded, Handler, Incoming, Refused};
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
#[must_use]
pub fn xml_response(body: String) -> Response {
    xml_response_with(StatusCode::OK, body)
}

/// A `text/xml` answer with `status` (the 503 of an injected fault).
fn xml_response_with(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
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

/// The legacy face for the [pipeline](crate::protocol::pipeline).
#[derive(Debug, Clone, Copy)]
pub struct LegacyApi;

/// What a legacy answer needs besides its outcome.
#[derive(Debug, Clone, Default)]
pub struct LegacyFrame {
    /// The operation, as the root element names it (`{operation}Response`).
    operation: String,
    /// Once the operation is known: its result element and the request's
    /// echo. Until then an error goes in `OperationRequest/Errors`; after,
    /// in the result's `Request`.
    result: Option<(String, String)>,
}

/// The axum handler for `/` and `/onca/xml` (requests without `X-Amz-Target`).
pub async fn handle(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    pipeline::serve::<LegacyApi>(state, method, uri, headers, body).await
}

impl ApiHandler for LegacyApi {
    const PROTOCOL: &'static str = "legacy";
    type Operation = &'static dispatch::Operation;
    type Pending = Params;
    type Input = Params;
    type Output = String;
    type Frame = LegacyFrame;
    type AuthError = MturkError;

    fn decode(state: &AppState, incoming: Incoming<'_>) -> Result<Decoded<Self>, Refused<Self>> {
        let query = incoming.uri.query();
        let refused = |operation: &str, error: MturkError| Refused {
            operation: operation.to_owned(),
            frame: LegacyFrame { operation: operation.to_owned(), result: None },
            error,
        };
        let body = match incoming.body {
            Ok(body) => body,
            Err(e) => {
                return Err(refused(
                    &sniff_operation(query, &[]),
                    crate::protocol::body_error(*e, &state.settings.server),
                ))
            }
        };
        let method = incoming.method;
        if method != Method::GET && method != Method::POST {
            let err =
                mturk_error!(InvalidParameterValue, "The HTTP method {method} is not supported; use GET or POST.");
            return Err(refused(&sniff_operation(query, body), err));
        }
        if method == Method::POST && !body.is_empty() && !is_form(incoming.headers) {
            let content_type = incoming.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
            // A SOAP envelope without its SOAPAction header lands here: say where SOAP is served.
            let err = mturk_error!(
                InvalidParameterValue,
                "The Content-Type {content_type:?} is not supported; send application/x-www-form-urlencoded \
                 (SOAP envelopes go to /onca/soap, or to / with a SOAPAction header)."
            );
            return Err(refused(&sniff_operation(query, &[]), err));
        }
        let params = match Params::decode(query, (!body.is_empty()).then_some(body.as_ref())) {
            Ok(p) => p,
            Err(e) => return Err(refused(&sniff_operation(query, body), mturk_error!(InvalidParameterValue, "{e}"))),
        };
        // `Action` is an accepted alias of `Operation` (boto 2 before Dec 2012, spec §1.2).
        let operation = match (params.plain("Operation"), params.plain("Action")) {
            (Some(op), Some(action)) if op != action => {
                let err = mturk_error!(InvalidParameterValue, "Operation {op:?} and Action {action:?} disagree.");
                return Err(refused(UNRESOLVED_OPERATION, err));
            }
            (Some(op), _) | (None, Some(op)) => op.to_owned(),
            (None, None) => return Err(refused(UNRESOLVED_OPERATION, missing_parameter("Operation"))),
        };
        if !is_operation_name(&operation) {
            return Err(refused(UNRESOLVED_OPERATION, invalid_value("Operation", &operation)));
        }
        if let Some(service) = params.get("Service") {
            if service != SERVICE {
                return Err(refused(
                    &operation,
                    invalid_value_because("Service", service, "Expected AWSMechanicalTurkRequester."),
                ));
            }
        }
        Ok(Decoded {
            op: dispatch::find(&operation),
            access_key: params.plain("AWSAccessKeyId").map(str::to_owned),
            frame: LegacyFrame { operation: operation.clone(), result: None },
            operation,
            pending: params,
        })
    }

    fn authenticate(
        state: &AppState,
        _incoming: Incoming<'_>,
        decoded: &Decoded<Self>,
    ) -> Result<RequesterId, MturkError> {
        let params = &decoded.pending;
        let signed = SignedRequest {
            operation: &decoded.operation,
            access_key_id: params.plain("AWSAccessKeyId"),
            signature: params.plain("Signature"),
            timestamp: params.plain("Timestamp"),
            signature_version: params.plain("SignatureVersion"),
        };
        legacy::verify(
            signed,
            params.iter(),
            &state.credentials,
            state.wall.now(),
            state.settings.auth.timestamp_window_secs,
            state.settings.auth.mode == AuthMode::Strict,
        )
    }

    fn admit(
        _state: &AppState,
        op: Option<Self::Operation>,
        params: Params,
        frame: &mut LegacyFrame,
    ) -> Result<(Self::Operation, Params), MturkError> {
        if let Some(version) = params.plain("Version") {
            if !VERSIONS.contains(&version) {
                return Err(invalid_value_because("Version", version, "Expected a published API version."));
            }
        }
        // Not captured; spec §9 item 5 suggests InvalidParameterValue.
        let op = op.ok_or_else(|| invalid_value("Operation", &frame.operation))?;
        let echo = if params.response_groups().contains(&"Request") { render_echo(op, &params) } else { String::new() };
        frame.result = Some((op.result_element(), echo));
        params.check_xml_safe()?;
        Ok((op, params))
    }

    fn handler(op: Self::Operation) -> Option<Handler<Self>> {
        op.handler
    }

    fn name(op: Self::Operation) -> &'static str {
        op.name
    }

    fn render(frame: &LegacyFrame, request_id: &str, epoch_ms: i64, outcome: Result<&String, &MturkError>) -> Response {
        let envelope = Frame { operation: &frame.operation, request_id, epoch_ms };
        xml_response(match (&frame.result, outcome) {
            (Some((element, echo)), outcome) => envelope::result(envelope, element, echo, outcome.map(String::as_str)),
            (None, Err(err)) => envelope::service_error(envelope, err),
            // Every operation that reaches an outcome has its result element.
            (None, Ok(_)) => envelope::service_error(
                envelope,
                &MturkError::internal(anyhow::anyhow!("an answer without its operation")),
            ),
        })
    }

    /// Over the request rate the legacy service answered HTTP 503 with an
    /// XML body holding `<Errors>` (the 2008 docs: "503 Service
    /// Unavailable"; Amazon's Perl SDK, `RESTTransport.pm`: "ServiceUnavailable
    /// errors have an XML response and come back as a 503"), a root-level
    /// `Errors/Error/Code` of `ServiceUnavailable` that Amazon's Ruby SDK
    /// (`mechanical_turk_error_handler.rb`) raises as `Throttled` and retries
    /// with back-off. The document is AWS's generic one, captured from the
    /// same endpoint after retirement (`<Response><Errors>…</Errors>
    /// <RequestID>…</RequestID></Response>`, spec §3.1). boto 2 retries any
    /// 503 (`_mexe`), the Java SDK's default retriable errors include `503`.
    fn render_throttled(_frame: &LegacyFrame, request_id: &str, _epoch_ms: i64, message: Option<&str>) -> Response {
        let mut xml = envelope::Xml::new();
        xml.raw(envelope::PROLOG).open("Response").open("Errors").open("Error");
        xml.leaf("Code", "ServiceUnavailable");
        xml.leaf("Message", message.unwrap_or("Request rate exceeded. Please retry the request later."));
        xml.close("Error").close("Errors").leaf("RequestID", request_id).close("Response");
        xml_response_with(StatusCode::SERVICE_UNAVAILABLE, xml.finish())
    }

    /// `AWS.ServiceUnavailable`, the code Amazon's Java SDK (its default
    /// retriable errors: `503`, `AWS.ServiceUnavailable`,
    /// `Server.ServiceUnavailable`) and Ruby SDK (retried with back-off)
    /// retry, in the service-level `OperationRequest/Errors` of the
    /// operation's envelope, with the 503 that the Perl SDK expects of these
    /// errors and that boto 2 retries.
    fn render_unavailable(frame: &LegacyFrame, request_id: &str, epoch_ms: i64, message: Option<&str>) -> Response {
        let err = MturkError::new(
            crate::error::ErrorCode::ServiceUnavailable,
            message.unwrap_or("The service is temporarily unavailable. Please retry the request."),
        );
        let envelope = Frame { operation: &frame.operation, request_id, epoch_ms };
        xml_response_with(StatusCode::SERVICE_UNAVAILABLE, envelope::service_error(envelope, &err))
    }

    fn render_auth_error(frame: &LegacyFrame, request_id: &str, epoch_ms: i64, err: &MturkError) -> Response {
        xml_response(envelope::service_error(Frame { operation: &frame.operation, request_id, epoch_ms }, err))
    }

    fn describe_auth_error(err: &MturkError) -> (&str, &str, bool) {
        (err.code().as_str(), err.message(), !err.code().is_client_fault())
    }
}

/// The `ResponseGroup=Request` echo: the parsed parameters in XSD order
/// (spec §3.4). Operations without an echo element in the XSD echo nothing.
pub(crate) fn render_echo(op: &dispatch::Operation, params: &Params) -> String {
    let Some(fields) = op.echo else {
        return String::new();
    };
    let mut xml = envelope::Xml::new();
    let element = format!("{}Request", op.name);
    xml.open(&element);
    for field in fields {
        if *field == "About" {
            // Help's About is `About+` in the XSD's HelpRequest: one element per
            // value, sent as `About` or `About.1`, `About.2`, …
            for about in params.list(field) {
                xml.leaf(field, about);
            }
        } else {
            // As the handler reads it: `Name`, or the Perl SDK's `Name.1`.
            xml.leaf_opt(field, params.value(field).ok().flatten());
        }
    }
    for group in params.response_groups() {
        xml.leaf("ResponseGroup", group);
    }
    xml.close(&element);
    xml.finish()
}
