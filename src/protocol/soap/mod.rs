//! The legacy SOAP face: `POST /onca/soap` (and `POST /` with a `text/xml`
//! body and a `SOAPAction` header), SOAP 1.1 envelopes in the namespace of
//! any published version, described by the WSDL this module serves
//! ([`wsdl`]).
//!
//! It is a third adapter on the one [pipeline](crate::protocol::pipeline),
//! not a third codec: [`request`] turns each `Request` element into the
//! parameters the REST face decodes, the legacy dispatch table's handlers run
//! them (the same `ops` functions, the same store), and the legacy answer
//! writer's result elements are wrapped here in `{Op}Response`, namespaced,
//! inside the SOAP body.
//!
//! ```text
//! envelope → Call (operation, key, timestamp, signature, Request*) → authenticate once
//!   → each Request in order: decode → ops → one result element each → one SOAP answer
//! ```
//!
//! Errors, as the services of this API reported them:
//! * an envelope that cannot be understood (not XML, a DOCTYPE, another
//!   envelope namespace, an unpublished version, an unknown operation) is a
//!   SOAP 1.1 `Fault` (HTTP 500, SOAP 1.1 §6.2), and nothing runs;
//! * a failed authentication is the operation's `{Op}Response` with the
//!   error in `OperationRequest/Errors`, as on the REST face: Amazon's Java
//!   SDK (`AWSService.executeRequestMessage`, java-aws-mturk 1.2.1) reads
//!   `OperationRequest.getErrors()` of the response first and raises those
//!   as the call's errors; it expects a SOAP fault only for throttling;
//! * a request's own error goes in its result's `Request/Errors`, as on REST;
//!   the other requests of the batch still run;
//! * throttling and "service unavailable" are a fault with code
//!   `Server.ServiceUnavailable` and HTTP 503: the Java SDK retries the
//!   fault codes listed in `retriable_errors`, whose default
//!   (`samples/mturk.properties`) is `Server.ServiceUnavailable`.

pub mod request;
pub mod wsdl;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::auth::legacy::{verify, SignedRequest};
use crate::config::AuthMode;
use crate::domain::ids::RequesterId;
use crate::error::{ErrorCode, MturkError, Result};
use crate::mturk_error;
use crate::ops::Ctx;
use crate::protocol::legacy_xml::dispatch::Operation;
use crate::protocol::legacy_xml::envelope::{self as legacy, Xml};
use crate::protocol::legacy_xml::params::Params;
use crate::protocol::pipeline::{self, ApiHandler, Decoded, Handler, Incoming, Refused};
use crate::protocol::BoxFuture;
use crate::state::AppState;

use request::{Call, FaultCode, SOAP_ENV};

/// The `SOAPAction` of every operation of the published WSDLs.
pub const SOAP_ACTION: &str = "http://soap.amazon.com";

/// Whether a request on `/` is a SOAP call: a `text/xml` body with a
/// `SOAPAction` header (what Axis and node-soap send; a REST call's body is a
/// form).
#[must_use]
pub fn is_soap(headers: &HeaderMap) -> bool {
    headers.contains_key("soapaction") && content_type_is(headers, "text/xml")
}

fn content_type_is(headers: &HeaderMap, mime: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case(mime))
}

/// The axum handler of `/onca/soap`: the WSDL for `GET ?wsdl`, else a SOAP call.
pub async fn handle(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if method == Method::GET && wsdl::asked_for(uri.query()) {
        return wsdl::answer(&state, &headers, wsdl::version_asked(uri.query()));
    }
    pipeline::serve::<SoapApi>(state, method, uri, headers, body).await
}

/// The SOAP face for the [pipeline](crate::protocol::pipeline).
#[derive(Debug, Clone, Copy)]
pub struct SoapApi;

/// What a SOAP answer needs besides its outcome.
#[derive(Debug, Default)]
pub struct SoapFrame {
    /// The operation, as `{Op}Response` names it.
    operation: String,
    /// The namespace of the version the call used.
    namespace: String,
    /// Set when the envelope was refused: the answer is a fault.
    fault: Option<FaultCode>,
    /// Once admitted: per request, its result element, its echo, and the
    /// error that refused it before it ran.
    results: Option<Vec<(String, String, Option<MturkError>)>>,
}

/// An admitted call: the operation and, per request, its parameters (absent
/// for a request refused before it ran).
#[derive(Debug)]
pub struct SoapInput {
    op: &'static Operation,
    requests: Vec<Option<Params>>,
}

impl ApiHandler for SoapApi {
    const PROTOCOL: &'static str = "soap";
    type Operation = &'static Operation;
    type Pending = Call;
    type Input = SoapInput;
    /// Per request, its outcome (absent for one refused before it ran).
    type Output = Vec<Option<Result<String>>>;
    type Frame = SoapFrame;
    type AuthError = MturkError;

    fn decode(state: &AppState, incoming: Incoming<'_>) -> Result<Decoded<Self>, Refused<Self>> {
        let fault = |code: FaultCode, error: MturkError| Refused {
            operation: "Fault".to_owned(),
            frame: SoapFrame { fault: Some(code), ..SoapFrame::default() },
            error,
        };
        let body = match incoming.body {
            Ok(body) => body,
            Err(e) => return Err(fault(FaultCode::Client, crate::protocol::body_error(*e, &state.settings.server))),
        };
        if incoming.method != Method::POST {
            let method = incoming.method;
            return Err(fault(
                FaultCode::Client,
                mturk_error!(
                    InvalidParameterValue,
                    "The HTTP method {method} is not supported for SOAP calls; POST the envelope \
                     (GET /onca/soap?wsdl serves the WSDL)."
                ),
            ));
        }
        if content_type_is(incoming.headers, "application/soap+xml") {
            return Err(fault(
                FaultCode::VersionMismatch,
                mturk_error!(InvalidParameterValue, "SOAP 1.2 is not served; send a SOAP 1.1 envelope as text/xml."),
            ));
        }
        if incoming.headers.contains_key(header::CONTENT_TYPE) && !content_type_is(incoming.headers, "text/xml") {
            let content_type = incoming.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
            return Err(fault(
                FaultCode::Client,
                mturk_error!(
                    InvalidParameterValue,
                    "The Content-Type {content_type:?} is not supported for SOAP calls; send text/xml."
                ),
            ));
        }
        let call = request::read(body).map_err(|e| fault(e.code, e.error))?;
        Ok(Decoded {
            operation: call.op.name.to_owned(),
            op: Some(call.op),
            access_key: call.access_key_id.clone(),
            frame: SoapFrame {
                operation: call.op.name.to_owned(),
                namespace: request::namespace(call.version),
                fault: None,
                results: None,
            },
            pending: call,
        })
    }

    fn authenticate(state: &AppState, _incoming: Incoming<'_>, decoded: &Decoded<Self>) -> Result<RequesterId> {
        let call = &decoded.pending;
        // The default scheme only (service + operation + timestamp): a SOAP call has no
        // SignatureVersion, and the Java SDK's HMACSigner signs exactly that string.
        let signed = SignedRequest {
            operation: &decoded.operation,
            access_key_id: call.access_key_id.as_deref(),
            signature: call.signature.as_deref(),
            timestamp: call.timestamp.as_deref(),
            signature_version: None,
        };
        verify(
            signed,
            std::iter::empty(),
            &state.credentials,
            state.wall.now(),
            state.settings.auth.timestamp_window_secs,
            state.settings.auth.mode == AuthMode::Strict,
        )
    }

    fn admit(
        _state: &AppState,
        op: Option<Self::Operation>,
        call: Call,
        frame: &mut SoapFrame,
    ) -> Result<(Self::Operation, SoapInput)> {
        let op = op.unwrap_or(call.op);
        let mut results = Vec::with_capacity(call.requests.len());
        let mut requests = Vec::with_capacity(call.requests.len());
        for request in call.requests {
            let checked = request.and_then(|params| params.check_xml_safe().map(|()| params));
            match checked {
                Ok(params) => {
                    let echo = if params.response_groups().contains(&"Request") {
                        crate::protocol::legacy_xml::render_echo(op, &params)
                    } else {
                        String::new()
                    };
                    results.push((op.result_element(), echo, None));
                    requests.push(Some(params));
                }
                Err(err) => {
                    results.push((op.result_element(), String::new(), Some(err)));
                    requests.push(None);
                }
            }
        }
        frame.results = Some(results);
        Ok((op, SoapInput { op, requests }))
    }

    fn handler(op: Self::Operation) -> Option<Handler<Self>> {
        op.handler.map(|_| run_batch as Handler<Self>)
    }

    fn name(op: Self::Operation) -> &'static str {
        op.name
    }

    fn render(
        frame: &SoapFrame,
        request_id: &str,
        epoch_ms: i64,
        outcome: Result<&Self::Output, &MturkError>,
    ) -> Response {
        if let Some(code) = frame.fault {
            // Every refused envelope comes with its error.
            let err = outcome.err().unwrap_or(&MISSING);
            return fault_response(StatusCode::INTERNAL_SERVER_ERROR, code.as_str(), err, request_id);
        }
        let envelope = legacy::Frame { operation: &frame.operation, request_id, epoch_ms };
        let mut xml = open_answer(frame);
        match (&frame.results, outcome) {
            (Some(results), outcome) => {
                legacy::operation_request(&mut xml, envelope, None);
                for (i, (element, echo, refused)) in results.iter().enumerate() {
                    let answered = match (refused, outcome) {
                        (Some(err), _) | (None, Err(err)) => Err(err),
                        (None, Ok(outputs)) => match outputs.get(i) {
                            Some(Some(Ok(body))) => Ok(body.as_str()),
                            Some(Some(Err(err))) => Err(err),
                            // Every admitted request has an outcome.
                            Some(None) | None => Err(&*MISSING),
                        },
                    };
                    legacy::result_element(&mut xml, element, echo, answered, epoch_ms);
                }
            }
            (None, Err(err)) => legacy::operation_request(&mut xml, envelope, Some(err)),
            (None, Ok(_)) => legacy::operation_request(&mut xml, envelope, Some(&MISSING)),
        }
        soap_response(StatusCode::OK, close_answer(xml, frame))
    }

    fn render_throttled(_frame: &SoapFrame, request_id: &str, _epoch_ms: i64, message: Option<&str>) -> Response {
        let err = MturkError::new(
            ErrorCode::ServiceUnavailable,
            message.unwrap_or("Request rate exceeded. Please retry the request later."),
        );
        fault_response(StatusCode::SERVICE_UNAVAILABLE, "Server.ServiceUnavailable", &err, request_id)
    }

    fn render_unavailable(_frame: &SoapFrame, request_id: &str, _epoch_ms: i64, message: Option<&str>) -> Response {
        let err = MturkError::new(
            ErrorCode::ServiceUnavailable,
            message.unwrap_or("The service is temporarily unavailable. Please retry the request."),
        );
        fault_response(StatusCode::SERVICE_UNAVAILABLE, "Server.ServiceUnavailable", &err, request_id)
    }

    fn render_auth_error(frame: &SoapFrame, request_id: &str, epoch_ms: i64, err: &MturkError) -> Response {
        let mut xml = open_answer(frame);
        legacy::operation_request(
            &mut xml,
            legacy::Frame { operation: &frame.operation, request_id, epoch_ms },
            Some(err),
        );
        soap_response(StatusCode::OK, close_answer(xml, frame))
    }

    fn describe_auth_error(err: &MturkError) -> (&str, &str, bool) {
        (err.code().as_str(), err.message(), !err.code().is_client_fault())
    }
}

/// The error of a result that has no outcome (cannot happen: every admitted
/// request is run).
static MISSING: std::sync::LazyLock<MturkError> =
    std::sync::LazyLock::new(|| MturkError::internal(anyhow::anyhow!("a request of the batch has no outcome")));

/// Runs each admitted request of a call, in order, through the legacy
/// handler of its operation. One request's failure does not stop the next
/// (each answers in its own result, as the schema's one result per request).
fn run_batch<'a>(ctx: &'a Ctx, input: &'a SoapInput) -> BoxFuture<'a, Result<Vec<Option<Result<String>>>>> {
    Box::pin(async move {
        let Some(handler) = input.op.handler else {
            return Err(mturk_error!(NotImplemented, "The operation {} is not implemented.", input.op.name));
        };
        let mut outcomes = Vec::with_capacity(input.requests.len());
        for params in &input.requests {
            let outcome = match params {
                Some(params) => {
                    let outcome = handler(ctx, params).await.map(strict_schema);
                    if let Err(err) = &outcome {
                        if !err.code().is_client_fault() {
                            tracing::error!(
                                operation = input.op.name,
                                code = err.code().as_str(),
                                message = err.message(),
                                cause = err.cause().map(|c| format!("{c:#}")),
                                "a request of a SOAP batch failed"
                            );
                        }
                    }
                    Some(outcome)
                }
                None => None,
            };
            outcomes.push(outcome);
        }
        Ok(outcomes)
    })
}

/// What the SOAP face leaves out of the legacy answer writer's output: the
/// elements that REST answers carry from a capture but the 2014-08-15 schema
/// does not have. WSDL-compiled clients refuse them: Amazon's Java SDK 1.6.2
/// (Axis 1.4 over the 2014-08-15 WSDL) fails a CreateHIT answer with
/// "Invalid element in com.amazonaws.mturk.requester.HIT -
/// NumberOfSimilarHITs" (tried by hand, docs/soap.md).
const NOT_IN_THE_SCHEMA: &[&str] = &["<NumberOfSimilarHITs>0</NumberOfSimilarHITs>"];

/// A result body without [`NOT_IN_THE_SCHEMA`]'s elements. The writer
/// escapes `<` in all text, so these strings can only be markup.
fn strict_schema(body: String) -> String {
    if NOT_IN_THE_SCHEMA.iter().any(|element| body.contains(element)) {
        NOT_IN_THE_SCHEMA.iter().fold(body, |body, element| body.replace(element, ""))
    } else {
        body
    }
}

/// `<?xml?><soapenv:Envelope><soapenv:Body><{Op}Response xmlns="{namespace}">`:
/// the legacy elements below inherit the version's namespace, as the SOAP
/// answers of the service carried it (spec §3.2, S21).
fn open_answer(frame: &SoapFrame) -> Xml {
    let mut xml = Xml::new();
    xml.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.raw("<soapenv:Envelope xmlns:soapenv=\"").raw(SOAP_ENV).raw("\"><soapenv:Body>");
    xml.raw("<").raw(&frame.operation).raw("Response xmlns=\"").raw(&frame.namespace).raw("\">");
    xml
}

fn close_answer(mut xml: Xml, frame: &SoapFrame) -> String {
    xml.close(&format!("{}Response", frame.operation));
    xml.raw("</soapenv:Body></soapenv:Envelope>");
    xml.finish()
}

/// A SOAP 1.1 fault: `faultcode` under the envelope's prefix, the message
/// as `faultstring`, and the MTurk error code and the request id in `detail`.
fn fault_response(status: StatusCode, code: &str, err: &MturkError, request_id: &str) -> Response {
    let mut xml = Xml::new();
    xml.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.raw("<soapenv:Envelope xmlns:soapenv=\"").raw(SOAP_ENV).raw("\"><soapenv:Body><soapenv:Fault>");
    xml.leaf("faultcode", &format!("soapenv:{code}"));
    xml.leaf("faultstring", err.message());
    xml.open("detail").open("Errors").open("Error");
    xml.leaf("Code", err.code().as_str()).leaf("Message", err.message());
    xml.close("Error").close("Errors").leaf("RequestId", request_id).close("detail");
    xml.raw("</soapenv:Fault></soapenv:Body></soapenv:Envelope>");
    soap_response(status, xml.finish())
}

fn soap_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml; charset=utf-8"));
    headers.insert(header::SERVER, HeaderValue::from_static("MTurk"));
    response
}
