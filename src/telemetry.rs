//! Logging: `tracing` to stderr, pretty for people or JSON on request.
//! `RUST_LOG` filters (default `info`). Each request runs in one span with
//! its request id, protocol, operation, access key id and outcome; secrets
//! are never recorded.

use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. Calling it twice is harmless.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(colour);
    let result = match format {
        LogFormat::Pretty => builder.with_span_events(FmtSpan::NONE).try_init(),
        LogFormat::Json => builder.json().with_current_span(true).try_init(),
    };
    // Already installed (tests build several applications in one process).
    drop(result);
}
