//! `mturk-local sign`: prints a legacy request URL signed with the default
//! scheme, so curl users need no client library.

use anyhow::{bail, Context as _};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::auth::legacy::{default_string_to_sign, sign, SERVICE};
use crate::config::Settings;
use crate::domain::clock::{Clock, SystemClock};

/// Characters left unescaped in query values (RFC 3986 unreserved).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Builds the signed URL for `operation` with `NAME=VALUE` parameters.
///
/// # Errors
/// A parameter without `=`, or an access key without a known secret.
pub fn signed_url(
    settings: &Settings,
    operation: &str,
    params: &[String],
    endpoint: Option<String>,
    access_key_id: Option<String>,
    secret: Option<String>,
) -> anyhow::Result<String> {
    let first = settings.requesters.first().context("no requester is configured")?;
    let access_key_id = access_key_id.unwrap_or_else(|| first.access_key_id.clone());
    let secret = match secret {
        Some(s) => s,
        None => settings
            .requesters
            .iter()
            .find(|r| r.access_key_id == access_key_id)
            .map(|r| r.secret_access_key.clone())
            .with_context(|| format!("no secret configured for {access_key_id}; pass --secret-access-key"))?,
    };
    let timestamp = SystemClock.now().to_xml_datetime();
    let signature = sign(secret.as_bytes(), &default_string_to_sign(operation, &timestamp));
    let mut pairs: Vec<(String, String)> = vec![
        ("Service".into(), SERVICE.into()),
        ("AWSAccessKeyId".into(), access_key_id),
        ("Operation".into(), operation.into()),
        ("Timestamp".into(), timestamp),
        ("Signature".into(), signature),
    ];
    for p in params {
        let Some((k, v)) = p.split_once('=') else { bail!("parameter {p:?} is not NAME=VALUE") };
        pairs.push((k.to_owned(), v.to_owned()));
    }
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", utf8_percent_encode(k, QUERY_VALUE), utf8_percent_encode(v, QUERY_VALUE)))
        .collect();
    // A server listening on 0.0.0.0 (as in a container) is reached on loopback.
    let local = || {
        crate::healthcheck::Target::for_listen(&settings.server.listen)
            .map_or_else(|_| format!("http://{}", settings.server.listen), |t| format!("http://{}:{}", t.host, t.port))
    };
    let base = endpoint.unwrap_or_else(local);
    Ok(format!("{}/?{}", base.trim_end_matches('/'), query.join("&")))
}
