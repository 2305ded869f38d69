//! The legacy signatures (spec §2), checked before anything else:
//!
//! * default ("version 0"): `base64(HMAC-SHA1(secret, "AWSMechanicalTurkRequester" + Operation + Timestamp))`,
//!   over the *raw* Timestamp string;
//! * `SignatureVersion=1` (boto 2): HMAC-SHA1 over every parameter but
//!   `Signature`, sorted by lower-cased name, each name followed by its value.
//!
//! The timestamp must be within a window of the *wall* clock (±15 minutes by
//! default): clients sign with real time, whatever the virtual clock says.
//! Failures are shaped like the captures: unknown key → `AWS.NotAuthorized`;
//! bad signature or stale timestamp → `AWS.BadClaimsSupplied` with the
//! string we expected and our system time.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::credentials::Credentials;
use crate::domain::ids::RequesterId;
use crate::domain::time::Timestamp;
use crate::error::{missing_parameter, MturkError, Result};
use crate::mturk_error;

/// The service name that prefixes the default string to sign.
pub const SERVICE: &str = "AWSMechanicalTurkRequester";

/// Which signature scheme a request uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Service + Operation + Timestamp.
    Default,
    /// Sorted name+value pairs (boto 2).
    V1,
}

/// The string the default scheme signs.
#[must_use]
pub fn default_string_to_sign(operation: &str, timestamp: &str) -> String {
    format!("{SERVICE}{operation}{timestamp}")
}

/// The string `SignatureVersion=1` signs: every parameter but `Signature`,
/// sorted case-insensitively by name, concatenated as name + value.
#[must_use]
pub fn v1_string_to_sign<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = params.into_iter().filter(|(k, _)| *k != "Signature").collect();
    pairs.sort_by(|a, b| a.0.to_lowercase().cmp(&b.0.to_lowercase()).then(a.0.cmp(b.0)));
    pairs.into_iter().fold(String::new(), |mut s, (k, v)| {
        s.push_str(k);
        s.push_str(v);
        s
    })
}

fn mac(secret: &[u8], message: &str) -> Hmac<Sha1> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    mac.update(message.as_bytes());
    mac
}

/// Signs `string_to_sign` with `secret`: base64 of HMAC-SHA1.
#[must_use]
pub fn sign(secret: &[u8], string_to_sign: &str) -> String {
    STANDARD.encode(mac(secret, string_to_sign).finalize().into_bytes())
}

/// Constant-time check of a client's base64 signature.
fn signature_matches(secret: &[u8], string_to_sign: &str, customer_signature: &str) -> bool {
    let Ok(bytes) = STANDARD.decode(customer_signature.trim()) else {
        return false;
    };
    mac(secret, string_to_sign).verify_slice(&bytes).is_ok()
}

/// What verification needs from a request.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// The operation name as sent (`Operation`, or `Action`).
    pub operation: &'a str,
    /// `AWSAccessKeyId`.
    pub access_key_id: Option<&'a str>,
    /// `Signature`.
    pub signature: Option<&'a str>,
    /// `Timestamp`, raw.
    pub timestamp: Option<&'a str>,
    /// `SignatureVersion`.
    pub signature_version: Option<&'a str>,
}

/// Verifies a legacy request and returns the requester it proves.
///
/// `all_params` is every request parameter (for version 1).
///
/// # Errors
/// `AWS.MissingParameters`, `AWS.NotAuthorized` or `AWS.BadClaimsSupplied`.
pub fn verify<'a>(
    request: SignedRequest<'_>,
    all_params: impl IntoIterator<Item = (&'a str, &'a str)>,
    credentials: &Credentials,
    wall_now: Timestamp,
    window_secs: i64,
    verify_signature: bool,
) -> Result<RequesterId> {
    let access_key_id = request.access_key_id.ok_or_else(|| missing_parameter("AWSAccessKeyId"))?;
    let timestamp = request.timestamp.ok_or_else(|| missing_parameter("Timestamp"))?;
    let signature = request.signature.ok_or_else(|| missing_parameter("Signature"))?;
    if !verify_signature {
        // The open auth mode: any well-formed key is its own requester; only the clock is checked.
        let requester = RequesterId::parse(access_key_id).ok_or_else(|| {
            mturk_error!(
                NotAuthorized,
                "The identity contained in the request is not authorized to use this AWSAccessKeyId"
            )
        })?;
        let fresh = Timestamp::parse_xml_datetime(timestamp)
            .is_some_and(|t| (t.millis() - wall_now.millis()).abs() <= window_secs.saturating_mul(1000));
        return if fresh {
            Ok(requester)
        } else {
            Err(bad_claims(&default_string_to_sign(request.operation, timestamp), signature, wall_now))
        };
    }
    let (Some(secret), Some(requester)) = (credentials.secret(access_key_id), RequesterId::parse(access_key_id)) else {
        // Captured text (spec §2.4).
        return Err(mturk_error!(
            NotAuthorized,
            "The identity contained in the request is not authorized to use this AWSAccessKeyId"
        ));
    };
    let scheme = match request.signature_version {
        None | Some("0") => Scheme::Default,
        Some("1") => Scheme::V1,
        Some(other) => {
            // No source shows the legacy endpoint accepting version 2 (spec §2.2); say so plainly.
            return Err(mturk_error!(
                BadClaimsSupplied,
                "The specified claims are invalid.   SignatureVersion {other} is not supported by this service; \
                 use the default signature or SignatureVersion 1."
            ));
        }
    };
    let string_to_sign = match scheme {
        Scheme::Default => default_string_to_sign(request.operation, timestamp),
        Scheme::V1 => v1_string_to_sign(all_params),
    };
    let fresh = Timestamp::parse_xml_datetime(timestamp)
        .is_some_and(|t| (t.millis() - wall_now.millis()).abs() <= window_secs.saturating_mul(1000));
    if fresh && signature_matches(secret.expose(), &string_to_sign, signature) {
        return Ok(requester);
    }
    Err(bad_claims(&string_to_sign, signature, wall_now))
}

/// The captured BadClaimsSupplied shape (spec §2.4): hint message with the
/// expected string and our time, and the three Data entries.
fn bad_claims(string_to_sign: &str, customer_signature: &str, wall_now: Timestamp) -> MturkError {
    let system_time = wall_now.to_xml_datetime();
    // Spacing copied from the capture: three spaces after "invalid.", two before
    // "Check" and "Our"; the renderer's " (ms)" suffix makes the final ".  (".
    mturk_error!(
        BadClaimsSupplied,
        "The specified claims are invalid.   Based on your request, your signature should be generated using the \
         following string: {string_to_sign}.  Check to make sure your system clock and timezone is not incorrect.  \
         Our current system time: {system_time}. "
    )
    .with_data("CustomerSignature", customer_signature)
    .with_data("StringToSign", string_to_sign)
    .with_data("SystemTime", system_time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::SecretKey;
    use crate::error::ErrorCode;

    // Known vectors, computed independently with Python's hmac/hashlib/base64:
    //   base64(hmac.new(b"secret", b"AWSMechanicalTurkRequesterGetAccountBalance2014-01-30T22:01:22Z", sha1))
    const DEFAULT_VECTOR: &str = "5zAr7TrfQ8dPPEE63A4swlEqgTk=";
    //   base64(hmac.new(b"secret", b"ActionGetAccountBalanceAWSAccessKeyIdAKIDSignatureVersion1Timestamp2014-05-09T22:37:40ZVersion2012-03-25", sha1))
    const V1_VECTOR: &str = "5V7uRDCYoHA/oh+spMbW1qzXML0=";

    fn creds() -> Credentials {
        Credentials::new([(RequesterId::parse("AKID").unwrap(), SecretKey::new("secret".into()))])
    }

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_xml_datetime(text).unwrap()
    }

    #[test]
    fn the_default_scheme_matches_a_known_vector() {
        let sts = default_string_to_sign("GetAccountBalance", "2014-01-30T22:01:22Z");
        assert_eq!(sts, "AWSMechanicalTurkRequesterGetAccountBalance2014-01-30T22:01:22Z");
        assert_eq!(sign(b"secret", &sts), DEFAULT_VECTOR);
    }

    #[test]
    fn version_1_sorts_names_case_insensitively_like_the_capture() {
        let params = [
            ("Version", "2012-03-25"),
            ("Timestamp", "2014-05-09T22:37:40Z"),
            ("Signature", "ignored"),
            ("SignatureVersion", "1"),
            ("AWSAccessKeyId", "AKID"),
            ("Action", "GetAccountBalance"),
        ];
        let sts = v1_string_to_sign(params);
        assert_eq!(
            sts,
            "ActionGetAccountBalanceAWSAccessKeyIdAKIDSignatureVersion1Timestamp2014-05-09T22:37:40ZVersion2012-03-25"
        );
        assert_eq!(sign(b"secret", &sts), V1_VECTOR);
    }

    #[test]
    fn a_correct_default_signature_within_the_window_verifies() {
        let req = SignedRequest {
            operation: "GetAccountBalance",
            access_key_id: Some("AKID"),
            signature: Some(DEFAULT_VECTOR),
            timestamp: Some("2014-01-30T22:01:22Z"),
            signature_version: None,
        };
        let who = verify(req, [], &creds(), at("2014-01-30T22:10:00Z"), 900, true).unwrap();
        assert_eq!(who.as_str(), "AKID");
        let stale = verify(req, [], &creds(), at("2014-01-30T22:20:00Z"), 900, true).unwrap_err();
        assert_eq!(stale.code(), ErrorCode::BadClaimsSupplied);
    }

    #[test]
    fn failures_have_the_captured_codes() {
        let base = SignedRequest {
            operation: "GetAccountBalance",
            access_key_id: Some("AKID"),
            signature: Some("AAAA"),
            timestamp: Some("2014-01-30T22:01:22Z"),
            signature_version: None,
        };
        let now = at("2014-01-30T22:01:26Z");
        let bad = verify(base, [], &creds(), now, 900, true).unwrap_err();
        assert_eq!(bad.code(), ErrorCode::BadClaimsSupplied);
        assert_eq!(
            format!("{} (1391119286407)", bad.message()),
            "The specified claims are invalid.   Based on your request, your signature should be generated using \
             the following string: AWSMechanicalTurkRequesterGetAccountBalance2014-01-30T22:01:22Z.  Check to make \
             sure your system clock and timezone is not incorrect.  Our current system time: 2014-01-30T22:01:26Z.  \
             (1391119286407)"
        );
        let keys: Vec<&str> = bad.data().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["CustomerSignature", "StringToSign", "SystemTime"]);
        let unknown = verify(SignedRequest { access_key_id: Some("NOPE"), ..base }, [], &creds(), now, 900, true);
        assert_eq!(unknown.unwrap_err().code(), ErrorCode::NotAuthorized);
        let missing = verify(SignedRequest { signature: None, ..base }, [], &creds(), now, 900, true);
        assert_eq!(missing.unwrap_err().code(), ErrorCode::MissingParameters);
        let v2 = verify(SignedRequest { signature_version: Some("2"), ..base }, [], &creds(), now, 900, true);
        assert_eq!(v2.unwrap_err().code(), ErrorCode::BadClaimsSupplied);
        let garbage = verify(SignedRequest { signature: Some("%%%not base64"), ..base }, [], &creds(), now, 900, true);
        assert_eq!(garbage.unwrap_err().code(), ErrorCode::BadClaimsSupplied);
    }
}
