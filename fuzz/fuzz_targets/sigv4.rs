//! SigV4 for the JSON API: `parse_authorization` and `verify`.
//!
//! Properties: no panic on any header set; a request signed with the right
//! secret (over any method, path, query, body and extra signed headers)
//! verifies when its date is inside the window; a flipped signature digit
//! never verifies.

#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use mturk_local::auth::sigv4::{canonical_request, parse_authorization, signature, verify, SignedHttpRequest};
use mturk_local::auth::{Credentials, SecretKey};
use mturk_local::domain::ids::RequesterId;
use mturk_local::domain::time::Timestamp;
use sha2::{Digest as _, Sha256};

const NOW: Timestamp = Timestamp::from_millis(1_767_225_600_000);
const AMZ_DATE: &str = "20260101T000000Z";

#[derive(Debug, Arbitrary)]
struct Input {
    authorization: String,
    amz_date: Option<String>,
    method: String,
    path: String,
    query: Option<String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    region: String,
    /// One character inserted into a valid X-Amz-Date, and where.
    date_noise: Option<(u8, char)>,
}

fn lookup(headers: &[(String, String)]) -> impl Fn(&str) -> Vec<String> + Sync + '_ {
    move |name: &str| headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone()).collect()
}

fuzz_target!(|input: Input| {
    let creds = Credentials::new([(RequesterId::parse("AKID").expect("valid id"), SecretKey::new("secret".into()))]);

    // Arbitrary headers: any answer but a panic.
    if let Ok(auth) = parse_authorization(&input.authorization) {
        assert_eq!(auth.signature.len(), 64);
        assert_eq!(auth.date.len(), 8);
    }
    let mut headers = input.headers.clone();
    headers.push(("authorization".into(), input.authorization.clone()));
    headers.push(("x-amz-date".into(), input.amz_date.clone().unwrap_or_else(|| AMZ_DATE.into())));
    let find = lookup(&headers);
    let request = SignedHttpRequest {
        method: &input.method,
        path: &input.path,
        query: input.query.as_deref(),
        header_values: &find,
        body: &input.body,
    };
    for strict in [true, false] {
        let _ = verify(&request, &creds, NOW, 900, strict);
    }

    // Dates that are almost right (one character inserted) reach the date
    // checks past parsing; the Credential's day differs, so the mismatch
    // message quotes the date.
    if let Some((at, c)) = input.date_noise {
        let mut date = AMZ_DATE.to_owned();
        date.insert(usize::from(at) % (date.len() + 1), c);
        let noisy = vec![
            ("x-amz-date".to_owned(), date),
            (
                "authorization".to_owned(),
                format!(
                    "AWS4-HMAC-SHA256 Credential=AKID/20260102/us-east-1/mturk-requester/aws4_request, \
                     SignedHeaders=host;x-amz-date, Signature={}",
                    "0".repeat(64)
                ),
            ),
        ];
        let find = lookup(&noisy);
        let _ = verify(&SignedHttpRequest { header_values: &find, ..request }, &creds, NOW, 900, true);
    }

    // A correct signature verifies. Extra signed headers keep to the
    // characters a header name can have, so the Authorization header stays parseable.
    let region = if input.region.is_empty() || input.region.contains(['/', ',']) || input.region.trim() != input.region
    {
        "us-east-1".to_owned()
    } else {
        input.region.clone()
    };
    let mut signed: Vec<(String, String)> = input
        .headers
        .iter()
        .filter(|(k, _)| !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
        .filter(|(k, _)| k != "authorization" && k != "x-amz-date" && k != "host")
        .cloned()
        .collect();
    signed.push(("host".into(), "127.0.0.1:8099".into()));
    signed.push(("x-amz-date".into(), AMZ_DATE.into()));
    let mut names: Vec<&str> = signed.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let signed_headers = names.join(";");
    let find = lookup(&signed);
    let request = SignedHttpRequest { header_values: &find, ..request };
    let canonical = canonical_request(&request, &signed_headers);
    let scope = format!("20260101/{region}/mturk-requester/aws4_request");
    let digest = hex::encode(Sha256::digest(canonical.as_bytes()));
    let string_to_sign = format!("AWS4-HMAC-SHA256\n{AMZ_DATE}\n{scope}\n{digest}");
    let good = signature(b"secret", "20260101", &region, "mturk-requester", &string_to_sign);
    let mut with_auth = signed.clone();
    with_auth.push((
        "authorization".into(),
        format!("AWS4-HMAC-SHA256 Credential=AKID/{scope}, SignedHeaders={signed_headers}, Signature={good}"),
    ));
    {
        let find = lookup(&with_auth);
        let outcome = verify(&SignedHttpRequest { header_values: &find, ..request }, &creds, NOW, 900, true);
        assert!(outcome.is_ok(), "a correctly signed request was refused: {outcome:?}");
    }

    let flipped = format!("{}{}", if good.starts_with('0') { '1' } else { '0' }, &good[1..]);
    let last = with_auth.len() - 1;
    with_auth[last].1 =
        format!("AWS4-HMAC-SHA256 Credential=AKID/{scope}, SignedHeaders={signed_headers}, Signature={flipped}");
    let find = lookup(&with_auth);
    assert!(verify(&SignedHttpRequest { header_values: &find, ..request }, &creds, NOW, 900, true).is_err());
});
