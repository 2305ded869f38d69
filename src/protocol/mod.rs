//! Wire codecs. Each protocol decodes requests into domain inputs, calls
//! `ops`, and encodes outputs and errors in its own format. Requests are
//! classified in `startup::router`: an `X-Amz-Target` header means the JSON
//! API; everything else on `/` and `/onca/xml` is the legacy API.

pub mod json;
pub mod legacy_xml;

use std::future::Future;
use std::pin::Pin;

use tracing::field;

/// A boxed, sendable future: what operation handlers return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Defines operation handlers of one protocol:
/// `define_handlers!(Input => Output; /// doc  async fn name(ctx, input) { ... } ...)`.
/// Each becomes `fn name<'a>(&'a Ctx, &'a Input) -> BoxFuture<'a, Result<Output>>`,
/// so a dispatch table can hold plain function pointers.
macro_rules! define_handlers {
    ($input:ty => $output:ty; $( $(#[$doc:meta])* async fn $name:ident($ctx:ident, $arg:ident) $body:block )*) => {
        $(
            $(#[$doc])*
            pub fn $name<'a>(
                $ctx: &'a $crate::ops::Ctx,
                $arg: &'a $input,
            ) -> $crate::protocol::BoxFuture<'a, $crate::error::Result<$output>> {
                Box::pin(async move $body)
            }
        )*
    };
}
pub(crate) use define_handlers;

/// The one span every API request runs in.
#[must_use]
pub fn request_span(protocol: &'static str, request_id: &str) -> tracing::Span {
    tracing::info_span!(
        "request",
        request_id = %request_id,
        protocol,
        operation = field::Empty,
        access_key_id = field::Empty,
        outcome = field::Empty,
    )
}

/// Records a request's outcome on its span and logs it once: `None` for
/// success, else the wire code, message and whether the service is at fault.
pub fn record_outcome(outcome: Option<(&str, &str, bool)>) {
    let span = tracing::Span::current();
    match outcome {
        None => {
            span.record("outcome", "ok");
            tracing::info!("request handled");
        }
        Some((code, message, false)) => {
            span.record("outcome", code);
            tracing::info!(message, "request refused");
        }
        Some((code, message, true)) => {
            span.record("outcome", code);
            tracing::error!(message, "request failed");
        }
    }
}
