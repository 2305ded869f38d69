//! The one request pipeline every API face runs through.
//!
//! ```text
//! request id + span → bounded body → P::decode (operation, pre-auth checks)
//!   → P::authenticate → fault rules (/_local/faults) → account on first use → clock sync
//!   → P::admit (post-auth checks, the operation's input) → handler or NotImplemented
//!   → outcome logged once → P::render (or P::render_auth_error)
//! ```
//!
//! The steps every protocol shares live here once; a protocol ([`ApiHandler`])
//! only says how to decode a request into an operation and its input, how to
//! authenticate it, and how to render an output or an error (the shape of
//! Garage's `ApiHandler` and `generic_server`).

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use tracing::Instrument;

use crate::domain::clock::Clock as _;
use crate::domain::ids::RequesterId;
use crate::error::{ErrorCode, MturkError};
use crate::faults::FaultKind;
use crate::mturk_error;
use crate::ops::Ctx;
use crate::protocol::{BodyError, BoxFuture, RequestTag};
use crate::state::AppState;

/// An operation handler of protocol `P`: the operation's input in, its
/// output (before rendering) out.
pub type Handler<P> =
    for<'a> fn(&'a Ctx, &'a <P as ApiHandler>::Input) -> BoxFuture<'a, crate::error::Result<<P as ApiHandler>::Output>>;

/// What arrived, as the pipeline hands it to a protocol.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    /// The HTTP method.
    pub method: &'a Method,
    /// The request URI (path and query).
    pub uri: &'a Uri,
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The body, or why it could not be read.
    pub body: Result<&'a Bytes, &'a BodyError>,
}

/// A request decoded far enough to authenticate it.
#[derive(Debug)]
pub struct Decoded<P: ApiHandler> {
    /// The operation's name as sent, for logs and error answers.
    pub operation: String,
    /// The operation, when the protocol knows it.
    pub op: Option<P::Operation>,
    /// The access key the request names, if the protocol can tell before
    /// authenticating (for the request's span).
    pub access_key: Option<String>,
    /// What the protocol keeps for [`ApiHandler::admit`].
    pub pending: P::Pending,
    /// What an error answer needs.
    pub frame: P::Frame,
}

/// A request refused before authentication.
#[derive(Debug)]
pub struct Refused<P: ApiHandler> {
    /// The operation's name as far as it could be told, for logs.
    pub operation: String,
    /// What the answer needs.
    pub frame: P::Frame,
    /// Why.
    pub error: MturkError,
}

/// One API face: its wire format, its authentication and its answers.
pub trait ApiHandler: Sized + Send + Sync + 'static {
    /// `legacy`, `soap` or `json`, for logs and fault rules.
    const PROTOCOL: &'static str;
    /// An operation of this face (an entry of its dispatch table).
    type Operation: Copy + Send + Sync + std::fmt::Debug + 'static;
    /// What [`ApiHandler::decode`] keeps for [`ApiHandler::admit`].
    type Pending: Send + Sync + std::fmt::Debug;
    /// An operation's decoded input.
    type Input: Send + Sync;
    /// An operation's output, before rendering.
    type Output: Send;
    /// What an answer needs besides the outcome (the operation, an echo).
    type Frame: Send + Sync + std::fmt::Debug;
    /// An authentication failure.
    type AuthError: std::fmt::Debug;

    /// Everything before authentication: the operation, the checks that
    /// come first on this face.
    ///
    /// # Errors
    /// A refusal, with the frame to answer it in.
    fn decode(state: &AppState, incoming: Incoming<'_>) -> Result<Decoded<Self>, Refused<Self>>;

    /// Authenticates the request.
    ///
    /// # Errors
    /// This face's authentication failure.
    fn authenticate(
        state: &AppState,
        incoming: Incoming<'_>,
        decoded: &Decoded<Self>,
    ) -> Result<RequesterId, Self::AuthError>;

    /// Everything after authentication and before the handler: checks that
    /// come after it on this face, and the operation's input. May complete
    /// the frame (an echo of the request).
    ///
    /// # Errors
    /// A refusal.
    fn admit(
        state: &AppState,
        op: Option<Self::Operation>,
        pending: Self::Pending,
        frame: &mut Self::Frame,
    ) -> Result<(Self::Operation, Self::Input), MturkError>;

    /// The operation's handler, or `None` while it is not built.
    fn handler(op: Self::Operation) -> Option<Handler<Self>>;

    /// The operation's wire name.
    fn name(op: Self::Operation) -> &'static str;

    /// The answer to a request that got as far as an operation outcome, or
    /// was refused on the way.
    fn render(
        frame: &Self::Frame,
        request_id: &str,
        epoch_ms: i64,
        outcome: Result<&Self::Output, &MturkError>,
    ) -> Response;

    /// The answer to an injected throttling fault: what this face's real
    /// service answered when a caller went over its request rate.
    fn render_throttled(frame: &Self::Frame, request_id: &str, epoch_ms: i64, message: Option<&str>) -> Response;

    /// The answer to an injected "service unavailable" fault.
    fn render_unavailable(frame: &Self::Frame, request_id: &str, epoch_ms: i64, message: Option<&str>) -> Response;

    /// The answer to a failed authentication.
    fn render_auth_error(frame: &Self::Frame, request_id: &str, epoch_ms: i64, err: &Self::AuthError) -> Response;

    /// The code and message of an authentication failure, and whether the
    /// service is at fault, for the request's log line.
    fn describe_auth_error(err: &Self::AuthError) -> (&str, &str, bool);
}

/// Serves one request of face `P`: the axum handler of every API route.
pub async fn serve<P: ApiHandler>(
    state: AppState,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request_id = state.ids.request_id();
    let span = crate::protocol::request_span(P::PROTOCOL, &request_id);
    async move {
        let body = crate::protocol::read_body(body, state.settings.server.max_body_bytes).await;
        let incoming = Incoming { method: &method, uri: &uri, headers: &headers, body: body.as_ref() };
        answer::<P>(&state, &request_id, incoming).await
    }
    .instrument(span)
    .await
}

async fn answer<P: ApiHandler>(state: &AppState, request_id: &str, incoming: Incoming<'_>) -> Response {
    let epoch_ms = state.clock.now().millis();
    let tag = RequestTag { protocol: P::PROTOCOL, request_id };
    let refuse = |frame: &P::Frame, operation: &str, err: MturkError| {
        crate::protocol::record_result(tag, operation, Err(&err));
        P::render(frame, request_id, epoch_ms, Err(&err))
    };
    let decoded = match P::decode(state, incoming) {
        Ok(decoded) => decoded,
        Err(Refused { operation, frame, error }) => return refuse(&frame, &operation, error),
    };
    let span = tracing::Span::current();
    span.record("operation", decoded.operation.as_str());
    if let Some(key) = &decoded.access_key {
        span.record("access_key_id", key.as_str());
    }
    let caller = match P::authenticate(state, incoming, &decoded) {
        Ok(caller) => caller,
        Err(err) => {
            let (code, message, fault) = P::describe_auth_error(&err);
            crate::protocol::record_outcome(tag, &decoded.operation, Some((code, message, fault)));
            return P::render_auth_error(&decoded.frame, request_id, epoch_ms, &err);
        }
    };
    span.record("access_key_id", caller.as_str());
    let Decoded { operation, op, pending, mut frame, .. } = decoded;
    // Fault rules apply here: the operation and the caller are known, and
    // nothing has been written yet (not even an open-mode account), so a
    // faulted call changes nothing in the store. One atomic load when no
    // rule is live.
    let fault_name = match op {
        Some(op) => P::name(op),
        None => operation.as_str(),
    };
    if let Some(fired) = state.faults.decide(P::PROTOCOL, fault_name, caller.as_str()) {
        if !fired.latency.is_zero() {
            tokio::time::sleep(fired.latency).await;
        }
        if let Some(kind) = fired.error {
            let fault =
                Injected { operation: &operation, op, rule: &fired.rule, kind, message: fired.message.as_deref() };
            return inject::<P>(state, request_id, tag, &fault, pending, frame);
        }
    }
    if let Err(err) = state.ensure_account(&caller).await {
        return refuse(&frame, &operation, err);
    }
    if let Err(err) = state.sync_clock().await {
        return refuse(&frame, &operation, err);
    }
    let (op, input) = match P::admit(state, op, pending, &mut frame) {
        Ok(admitted) => admitted,
        Err(err) => return refuse(&frame, &operation, err),
    };
    let Some(handler) = P::handler(op) else {
        let name = P::name(op);
        return refuse(
            &frame,
            &operation,
            mturk_error!(
                NotImplemented,
                "The operation {name} is part of the MTurk API but mturk-local does not implement it yet."
            ),
        );
    };
    let mut ctx = state.ctx(caller);
    // The host the caller used, so that addresses in answers work from where it is.
    ctx.origin = Some(state.origin(incoming.headers));
    let outcome = handler(&ctx, &input).await;
    crate::protocol::record_result(tag, &operation, outcome.as_ref().map(|_| ()));
    P::render(&frame, request_id, epoch_ms, outcome.as_ref())
}

/// A fault a rule fired on a call, to be answered instead of running it.
#[derive(Debug)]
struct Injected<'a, O> {
    /// The operation's name as sent.
    operation: &'a str,
    /// The operation, when the face knows it.
    op: Option<O>,
    /// The rule's id.
    rule: &'a str,
    /// What to answer.
    kind: FaultKind,
    /// The rule's message, if it gave one.
    message: Option<&'a str>,
}

/// The model's own words for `ServiceFault` (the 2017-01-17 API reference:
/// "Amazon Mechanical Turk is temporarily unable to process your request.
/// Try your call again."), the default message of an injected one.
const SERVICE_FAULT_MESSAGE: &str =
    "Amazon Mechanical Turk is temporarily unable to process your request. Try your call again.";

/// Answers a call a fault rule fired on, as face `P`'s real service would
/// have answered it, without running the operation.
fn inject<P: ApiHandler>(
    state: &AppState,
    request_id: &str,
    tag: RequestTag<'_>,
    fault: &Injected<'_, P::Operation>,
    pending: P::Pending,
    mut frame: P::Frame,
) -> Response {
    // After a delay the clock has moved on: the messages' (ms) say when the answer left.
    let epoch_ms = state.clock.now().millis();
    let code = fault.kind.as_str();
    tracing::debug!(rule = fault.rule, code, "fault injected");
    crate::protocol::record_outcome(tag, fault.operation, Some((code, "injected by a fault rule", false)));
    match fault.kind {
        FaultKind::DropConnection => crate::server::drop_connection(),
        FaultKind::Throttling => P::render_throttled(&frame, request_id, epoch_ms, fault.message),
        FaultKind::ServiceUnavailable => P::render_unavailable(&frame, request_id, epoch_ms, fault.message),
        FaultKind::ServiceFault | FaultKind::Code(_) => {
            let (code, default) = match fault.kind {
                FaultKind::Code(code) => (code, None),
                _ => (ErrorCode::ServiceFault, Some(SERVICE_FAULT_MESSAGE)),
            };
            let message = fault.message.or(default).map_or_else(
                || format!("mturk-local fault rule {} answered {} for this call.", fault.rule, code.as_str()),
                str::to_owned,
            );
            // Admitting completes the frame as a real call's would (the legacy
            // face puts an operation's errors in its result element); it only
            // reads the request. Whether it would have refused the request does
            // not matter: the rule has fired.
            let _ = P::admit(state, fault.op, pending, &mut frame);
            P::render(&frame, request_id, epoch_ms, Err(&MturkError::new(code, message)))
        }
    }
}
