//! AWS Signature Version 4 as boto3 signs a JSON API call, for requests no
//! SDK would send (other signed headers, a body changed after signing).

use mturk_local::auth::sigv4::{canonical_request, signature, SignedHttpRequest};
use mturk_local::domain::time::Timestamp;
use sha2::{Digest as _, Sha256};

/// `X-Amz-Date` for an instant.
pub fn amz_date(at: Timestamp) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(at.millis())
        .expect("a representable instant")
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

/// The headers of a SigV4-signed JSON API call, as boto3 sends them:
/// `(name, value)` pairs including `Authorization`.
pub fn sigv4_headers(
    key: &str,
    secret: &str,
    host: &str,
    target: &str,
    body: &[u8],
    at: Timestamp,
) -> Vec<(String, String)> {
    sigv4_headers_signing("content-type;host;x-amz-date;x-amz-target", key, secret, host, target, body, at)
}

/// As [`sigv4_headers`], signing only the headers in `signed_headers`.
pub fn sigv4_headers_signing(
    signed_headers: &str,
    key: &str,
    secret: &str,
    host: &str,
    target: &str,
    body: &[u8],
    at: Timestamp,
) -> Vec<(String, String)> {
    let date = amz_date(at);
    let mut headers: Vec<(String, String)> = vec![
        ("content-type".into(), "application/x-amz-json-1.1".into()),
        ("host".into(), host.into()),
        ("x-amz-date".into(), date.clone()),
        ("x-amz-target".into(), format!("MTurkRequesterServiceV20170117.{target}")),
    ];
    let canonical = {
        let lookup = |name: &str| headers.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect::<Vec<_>>();
        canonical_request(
            &SignedHttpRequest { method: "POST", path: "/", query: None, header_values: &lookup, body },
            signed_headers,
        )
    };
    let scope = format!("{}/us-east-1/mturk-requester/aws4_request", &date[..8]);
    let string_to_sign =
        format!("AWS4-HMAC-SHA256\n{date}\n{scope}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
    let sig = signature(secret.as_bytes(), &date[..8], "us-east-1", "mturk-requester", &string_to_sign);
    headers.push((
        "authorization".into(),
        format!("AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={signed_headers}, Signature={sig}"),
    ));
    headers
}
