//! Wire codecs. Each protocol decodes requests into domain inputs, calls
//! `ops`, and encodes outputs and errors in its own format. Requests are
//! classified in `startup::router`: an `X-Amz-Target` header means the JSON
//! API; a `text/xml` body with a `SOAPAction` header (and everything on
//! `/onca/soap`) the legacy SOAP face; everything else on `/` and
//! `/onca/xml` is the legacy REST API.

pub mod form;
pub mod json;
pub mod legacy_xml;
pub mod pipeline;
pub mod soap;

use std::future::Future;
use std::pin::Pin;

use tracing::field;

/// A boxed, sendable future: what operation handlers return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Calls an `ops` function with its input decoded from a request by the
/// decoders of face `$face` (`crate::protocol::$face::decode`): no input, one
/// value, or a struct whose fields each name a decoder and its arguments. The
/// dispatch tables of both faces expand into this, one call per operation.
macro_rules! call_operation {
    ($face:ident; $ctx:ident, $input:ident, $op:path, ) => {
        $op($ctx).await?
    };
    ($face:ident; $ctx:ident, $input:ident, $op:path, $dec:ident ( $($arg:expr),* )) => {
        $op($ctx, $crate::protocol::$face::decode::$dec($input $(, $arg)*)?).await?
    };
    ($face:ident; $ctx:ident, $input:ident, $op:path,
     $($seg:ident)::+ { $( $field:ident : $dec:ident ( $($arg:expr),* ) ),* $(,)? }) => {
        $op($ctx, $($seg)::+ { $( $field: $crate::protocol::$face::decode::$dec($input $(, $arg)*)? ),* }).await?
    };
}
pub(crate) use call_operation;

/// The one span every API request runs in. It is at DEBUG: at INFO,
/// formatting its fields for every request cost about 6 % of the CPU of a
/// read (BENCHMARKS.md). The error lines of a failed request carry the
/// request id and operation themselves ([`RequestTag`]), so they keep their
/// context when the span is off.
#[must_use]
pub fn request_span(protocol: &'static str, request_id: &str) -> tracing::Span {
    tracing::debug_span!(
        "request",
        request_id = %request_id,
        protocol,
        operation = field::Empty,
        access_key_id = field::Empty,
        outcome = field::Empty,
    )
}

/// Who a request is, for its error lines.
#[derive(Debug, Clone, Copy)]
pub struct RequestTag<'a> {
    /// `legacy`, `soap` or `json`.
    pub protocol: &'static str,
    /// The id its answer carries.
    pub request_id: &'a str,
}

/// Records a request's outcome on its span and logs it once: `None` for
/// success, else the wire code, message and whether the service is at fault.
pub fn record_outcome(tag: RequestTag<'_>, operation: &str, outcome: Option<(&str, &str, bool)>) {
    let span = tracing::Span::current();
    match outcome {
        // One line per request at DEBUG: formatting and writing it at INFO
        // cost 15 % of the CPU of a read (BENCHMARKS.md, P5).
        None => {
            span.record("outcome", "ok");
            tracing::debug!("request handled");
        }
        Some((code, message, false)) => {
            span.record("outcome", code);
            tracing::debug!(message, "request refused");
        }
        Some((code, message, true)) => {
            span.record("outcome", code);
            tracing::error!(
                request_id = tag.request_id,
                protocol = tag.protocol,
                operation,
                code,
                message,
                "request failed"
            );
        }
    }
}

/// Records how an operation ended: the outcome on the span, and the cause
/// chain of an internal failure, logged once here at the edge.
pub fn record_result(tag: RequestTag<'_>, operation: &str, outcome: Result<(), &crate::error::MturkError>) {
    record_outcome(
        tag,
        operation,
        outcome.err().map(|e| (e.code().as_str(), e.message(), !e.code().is_client_fault())),
    );
    if let Some(cause) = outcome.err().and_then(crate::error::MturkError::cause) {
        tracing::error!(request_id = tag.request_id, operation, cause = format!("{cause:#}"), "internal failure");
    }
}

/// The first member of a JSON request whose text (a string anywhere inside
/// it, or a key) holds a character XML 1.0 forbids, U+0000 included.
///
/// Such text is refused on every face, as the legacy face refuses it: it
/// could not be served back through the legacy XML envelope, PostgreSQL
/// cannot store U+0000 in `text`, and SQLite would keep it as sent.
#[must_use]
pub fn first_non_xml_member(members: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
    fn clean(text: &str) -> bool {
        text.chars().all(crate::documents::is_xml_char)
    }
    fn value_clean(value: &serde_json::Value) -> bool {
        match value {
            serde_json::Value::String(s) => clean(s),
            serde_json::Value::Array(items) => items.iter().all(value_clean),
            serde_json::Value::Object(map) => map.iter().all(|(k, v)| clean(k) && value_clean(v)),
            _ => true,
        }
    }
    members
        .iter()
        .find(|(k, v)| !clean(k) || !value_clean(v))
        .map(|(k, _)| k.chars().filter(|c| crate::documents::is_xml_char(*c)).collect())
}

/// The error for a parameter holding characters XML cannot carry; the same
/// words on both faces.
#[must_use]
pub fn non_xml_error(name: &str) -> crate::error::MturkError {
    crate::mturk_error!(
        InvalidParameterValue,
        "The value of parameter {name} contains characters that are not allowed in XML."
    )
}

/// Why a request body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Longer than `server.max_body_bytes`.
    TooLarge,
    /// The connection broke before the body was complete (e.g. fewer bytes
    /// than `Content-Length` promised).
    Broken,
    /// Not complete within `server.body_timeout_secs` of the request head.
    TimedOut,
}

/// Reads a whole request body, at most `limit` bytes.
///
/// A body that arrives in one piece (almost every request) is returned as
/// it came, without a copy. One that arrives in pieces is copied into one
/// buffer sized by its `Content-Length`, piece by piece, instead of keeping
/// the pieces: each piece is a slice of hyper's read buffer and kept all of
/// that buffer alive, about 1.9 MiB held for a 1 MB body against 1.65 now
/// (BENCHMARKS.md, "Slow bodies").
///
/// # Errors
/// [`BodyError`].
pub async fn read_body(mut body: axum::body::Body, limit: usize) -> Result<axum::body::Bytes, BodyError> {
    use http_body_util::BodyExt as _;

    let announced = axum::body::HttpBody::size_hint(&body).lower();
    if announced > u64::try_from(limit).unwrap_or(u64::MAX) {
        return Err(BodyError::TooLarge);
    }
    let mut first: Option<axum::body::Bytes> = None;
    let mut joined: Vec<u8> = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| classify_body_error(&e))?;
        // Trailers carry nothing an operation reads; `axum::body::to_bytes` dropped them too.
        let Ok(data) = frame.into_data() else { continue };
        let held = first.as_ref().map_or(joined.len(), axum::body::Bytes::len);
        if held + data.len() > limit {
            return Err(BodyError::TooLarge);
        }
        if let Some(piece) = first.take() {
            let capacity = usize::try_from(announced).unwrap_or(limit).max(piece.len() + data.len());
            joined.reserve_exact(capacity);
            joined.extend_from_slice(&piece);
            joined.extend_from_slice(&data);
        } else if joined.is_empty() {
            first = Some(data);
        } else {
            joined.extend_from_slice(&data);
        }
    }
    Ok(first.unwrap_or_else(|| joined.into()))
}

/// Which [`BodyError`] a failed body read is.
fn classify_body_error(err: &axum::Error) -> BodyError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if e.is::<crate::server::BodyTimedOut>() {
            return BodyError::TimedOut;
        }
        source = e.source();
    }
    BodyError::Broken
}

/// The error for a body that could not be read.
#[must_use]
pub fn body_error(err: BodyError, server: &crate::config::ServerSettings) -> crate::error::MturkError {
    match err {
        BodyError::TooLarge => crate::mturk_error!(
            ParameterOutOfRange,
            "The request body is larger than the limit of {} bytes.",
            server.max_body_bytes
        ),
        BodyError::Broken => {
            crate::mturk_error!(InvalidParameterValue, "The request body ended before it was complete.")
        }
        // A client fault, in the vocabulary the service has: the client was too slow.
        BodyError::TimedOut => crate::mturk_error!(
            InvalidParameterValue,
            "The request body did not arrive within {} seconds of the request head.",
            server.body_timeout_secs
        ),
    }
}
