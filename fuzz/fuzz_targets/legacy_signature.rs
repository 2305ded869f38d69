//! The legacy signature check (`auth::legacy::verify`), both schemes.
//!
//! Properties: no panic on any request; a request signed with the right
//! secret verifies exactly when its timestamp is inside the window, for the
//! default scheme and for `SignatureVersion=1`; a wrong secret never verifies.

#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use mturk_local::auth::legacy::{default_string_to_sign, sign, v1_string_to_sign, verify, SignedRequest};
use mturk_local::auth::{Credentials, SecretKey};
use mturk_local::domain::ids::RequesterId;
use mturk_local::domain::time::Timestamp;

const NOW: Timestamp = Timestamp::from_millis(1_767_225_600_000);
const WINDOW: i64 = 900;

#[derive(Debug, Arbitrary)]
struct Input {
    operation: String,
    access_key_id: Option<String>,
    signature: Option<String>,
    /// A raw Timestamp, or (when absent) one `skew` seconds away from now.
    timestamp: Option<String>,
    skew: i16,
    signature_version: Option<String>,
    params: Vec<(String, String)>,
}

fuzz_target!(|input: Input| {
    let creds = Credentials::new([(RequesterId::parse("AKID").expect("valid id"), SecretKey::new("secret".into()))]);
    let generated = NOW.plus_seconds(i64::from(input.skew)).to_xml_datetime();
    let timestamp = input.timestamp.clone().unwrap_or(generated);
    let params: Vec<(&str, &str)> = input.params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();

    // Arbitrary claims: any answer but a panic.
    let request = SignedRequest {
        operation: &input.operation,
        access_key_id: input.access_key_id.as_deref(),
        signature: input.signature.as_deref(),
        timestamp: Some(&timestamp),
        signature_version: input.signature_version.as_deref(),
    };
    for strict in [true, false] {
        let _ = verify(request, params.iter().copied(), &creds, NOW, WINDOW, strict);
    }

    // Correctly signed requests verify exactly when fresh.
    let fresh =
        Timestamp::parse_xml_datetime(&timestamp).is_some_and(|t| (t.millis() - NOW.millis()).abs() <= WINDOW * 1000);
    let good = sign(b"secret", &default_string_to_sign(&input.operation, &timestamp));
    let default = SignedRequest {
        operation: &input.operation,
        access_key_id: Some("AKID"),
        signature: Some(&good),
        timestamp: Some(&timestamp),
        signature_version: None,
    };
    let outcome = verify(default, params.iter().copied(), &creds, NOW, WINDOW, true);
    assert_eq!(outcome.is_ok(), fresh, "default scheme: {outcome:?}");
    let forged = sign(b"not the secret", &default_string_to_sign(&input.operation, &timestamp));
    assert!(verify(SignedRequest { signature: Some(&forged), ..default }, [], &creds, NOW, WINDOW, true).is_err());

    let mut v1: Vec<(&str, &str)> = params.iter().copied().filter(|(k, _)| *k != "Signature").collect();
    v1.push(("Timestamp", &timestamp));
    let v1_signature = sign(b"secret", &v1_string_to_sign(v1.iter().copied()));
    let version_1 = SignedRequest { signature: Some(&v1_signature), signature_version: Some("1"), ..default };
    let outcome = verify(version_1, v1.iter().copied(), &creds, NOW, WINDOW, true);
    assert_eq!(outcome.is_ok(), fresh, "SignatureVersion=1: {outcome:?}");
});
