//! Typed access to a JSON request object, with the validation the SDKs do
//! not do (maximums, patterns, enums, `MaxResults` 1-100; modern-api.md §1.7,
//! §3.1) and MTurk-shaped errors naming the member.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};

use crate::domain::paging::{Cursor, Page};
use crate::domain::time::Timestamp;
use crate::error::{invalid_value, missing_parameter, out_of_range, Result};
use crate::mturk_error;

/// The members of one request, and the operation they are for.
#[derive(Debug, Clone, Default)]
pub struct Input {
    operation: &'static str,
    members: Map<String, Value>,
}

fn wrong_type(name: &str, expected: &str) -> crate::error::MturkError {
    mturk_error!(InvalidParameterValue, "The value of {name} must be {expected}.")
}

impl Input {
    /// Wraps a decoded JSON object.
    #[must_use]
    pub fn new(members: Map<String, Value>) -> Self {
        Self { operation: "", members }
    }

    /// Wraps the decoded JSON object of a request for `operation`.
    #[must_use]
    pub fn for_operation(operation: &'static str, members: Map<String, Value>) -> Self {
        Self { operation, members }
    }

    /// What a listing's `NextToken` is tied to: the operation and every
    /// member but the paging ones, so a token of one listing, or of the same
    /// listing with another filter, is refused rather than misread.
    #[must_use]
    pub fn listing_scope(&self) -> String {
        let filter: Map<String, Value> = self
            .members
            .iter()
            .filter(|(k, v)| k.as_str() != "NextToken" && k.as_str() != "MaxResults" && !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        // serde_json keeps object keys sorted, so the text is canonical.
        format!("{}/{}", self.operation, Value::Object(filter))
    }

    fn present(&self, name: &str) -> Option<&Value> {
        // A member sent as null counts as absent, as the SDKs treat it.
        self.members.get(name).filter(|v| !v.is_null())
    }

    /// An optional string.
    ///
    /// # Errors
    /// `InvalidParameterValue` for another JSON type.
    pub fn string(&self, name: &str) -> Result<Option<String>> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(wrong_type(name, "a string")),
        }
    }

    /// A required member whose shape has a minimum length of 1 (`EntityId`,
    /// `CustomerId`, tokens): `""` counts as missing, as for a member not sent.
    ///
    /// # Errors
    /// `AWS.MissingParameters` or a type error.
    pub fn required_string(&self, name: &str) -> Result<String> {
        match self.string(name)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(missing_parameter(name)),
        }
    }

    /// A required member of the model's `String` shape, which sets no
    /// minimum length: `""` is a value, and only a member not sent is
    /// missing. oTree and psiTurk reject assignments with
    /// `RequesterFeedback: ""` (modern-api.md §3.1).
    ///
    /// # Errors
    /// `AWS.MissingParameters` or a type error.
    pub fn required_text(&self, name: &str) -> Result<String> {
        self.string(name)?.ok_or_else(|| missing_parameter(name))
    }

    /// A required `String` member that names or describes something (a
    /// title, a subject, a question): `""` is a value, but not a usable one,
    /// so it is refused as invalid rather than reported missing.
    ///
    /// # Errors
    /// `AWS.MissingParameters`, `InvalidParameterValue` for `""`, or a type error.
    pub fn required_nonempty(&self, name: &str) -> Result<String> {
        let text = self.required_text(name)?;
        if text.is_empty() {
            return Err(mturk_error!(InvalidParameterValue, "The value of {name} must not be empty."));
        }
        Ok(text)
    }

    /// An optional 64-bit integer.
    ///
    /// # Errors
    /// A type error for non-integers.
    pub fn long(&self, name: &str) -> Result<Option<i64>> {
        match self.present(name) {
            None => Ok(None),
            Some(v) => v.as_i64().map(Some).ok_or_else(|| wrong_type(name, "an integer")),
        }
    }

    /// An optional 32-bit integer.
    ///
    /// # Errors
    /// A type error for non-integers or values outside 32 bits.
    pub fn int(&self, name: &str) -> Result<Option<i32>> {
        match self.long(name)? {
            None => Ok(None),
            Some(v) => {
                i32::try_from(v).map(Some).map_err(|_| out_of_range(name, v, i64::from(i32::MIN), i64::from(i32::MAX)))
            }
        }
    }

    /// An optional boolean.
    ///
    /// # Errors
    /// A type error for non-booleans.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(wrong_type(name, "a boolean")),
        }
    }

    /// A required boolean.
    ///
    /// # Errors
    /// `AWS.MissingParameters` or a type error.
    pub fn required_boolean(&self, name: &str) -> Result<bool> {
        self.boolean(name)?.ok_or_else(|| missing_parameter(name))
    }

    /// An optional JSON object.
    ///
    /// # Errors
    /// A type error for anything but an object.
    pub fn object(&self, name: &str) -> Result<Option<Map<String, Value>>> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o.clone())),
            Some(_) => Err(wrong_type(name, "an object")),
        }
    }

    /// An optional list of strings.
    ///
    /// # Errors
    /// A type error for anything but an array of strings.
    pub fn strings(&self, name: &str) -> Result<Option<Vec<String>>> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| wrong_type(name, "a list of strings")))
                .collect::<Result<Vec<_>>>()
                .map(Some),
            Some(_) => Err(wrong_type(name, "a list of strings")),
        }
    }

    /// An optional timestamp in epoch seconds (integer or fractional), within
    /// the years 0001-9999 (see [`Timestamp::LATEST`]).
    ///
    /// # Errors
    /// A type error for anything but a number; `AWS.ParameterOutOfRange`
    /// outside those years.
    pub fn timestamp(&self, name: &str) -> Result<Option<Timestamp>> {
        match self.present(name) {
            None => Ok(None),
            Some(v) => {
                let secs = v.as_f64().filter(|s| s.is_finite()).ok_or_else(|| wrong_type(name, "epoch seconds"))?;
                let range = || {
                    mturk_error!(
                        ParameterOutOfRange,
                        "The value {v} for parameter {name} is out of range. It must be an instant between \
                         0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, in epoch seconds."
                    )
                };
                if secs.abs() >= 1e12 {
                    return Err(range());
                }
                #[allow(clippy::cast_possible_truncation, reason = "bounded to ±1e15 ms just above")]
                let at = Timestamp::from_millis((secs * 1000.0).round() as i64);
                if at.is_representable() {
                    Ok(Some(at))
                } else {
                    Err(range())
                }
            }
        }
    }

    /// `QualificationRequirements`: a list of requirement objects.
    ///
    /// # Errors
    /// Type errors and bad enums.
    pub fn requirements(&self, name: &str) -> Result<Vec<crate::domain::requirement::QualificationRequirement>> {
        use crate::domain::requirement::{Comparator, GuardedActions, Locale, QualificationRequirement};
        let Some(value) = self.present(name) else { return Ok(Vec::new()) };
        let items = value.as_array().ok_or_else(|| wrong_type(name, "a list of QualificationRequirement"))?;
        items
            .iter()
            .map(|item| {
                let obj = item.as_object().ok_or_else(|| wrong_type(name, "a list of QualificationRequirement"))?;
                let member = Input::new(obj.clone());
                let comparator_text = member.required_text("Comparator")?;
                let integer_values = match member.present("IntegerValues") {
                    None => Vec::new(),
                    Some(v) => v
                        .as_array()
                        .ok_or_else(|| wrong_type("IntegerValues", "a list of integers"))?
                        .iter()
                        .map(|n| {
                            n.as_i64()
                                .and_then(|n| i32::try_from(n).ok())
                                .ok_or_else(|| wrong_type("IntegerValues", "a list of integers"))
                        })
                        .collect::<Result<Vec<_>>>()?,
                };
                let locale_values = match member.present("LocaleValues") {
                    None => Vec::new(),
                    Some(v) => v
                        .as_array()
                        .ok_or_else(|| wrong_type("LocaleValues", "a list of Locale"))?
                        .iter()
                        .map(|l| {
                            let l = Input::new(
                                l.as_object().cloned().ok_or_else(|| wrong_type("LocaleValues", "a list of Locale"))?,
                            );
                            Ok(Locale { country: l.required_string("Country")?, subdivision: l.string("Subdivision")? })
                        })
                        .collect::<Result<Vec<_>>>()?,
                };
                let actions_guarded = member
                    .string("ActionsGuarded")?
                    .map(|a| GuardedActions::parse(&a).ok_or_else(|| invalid_value("ActionsGuarded", &a)))
                    .transpose()?;
                Ok(QualificationRequirement {
                    type_id: member.required_nonempty("QualificationTypeId")?,
                    comparator: Comparator::parse(&comparator_text)
                        .ok_or_else(|| invalid_value("Comparator", &comparator_text))?,
                    integer_values,
                    locale_values,
                    required_to_preview: member.boolean("RequiredToPreview")?.unwrap_or(false),
                    actions_guarded,
                })
            })
            .collect()
    }

    /// A `ReviewPolicy` member: `PolicyName` and `Parameters`, each
    /// `{Key, Values, MapEntries: [{Key, Values}]}`.
    ///
    /// # Errors
    /// Type errors; a missing or empty `PolicyName`.
    pub fn review_policy(&self, name: &str) -> Result<Option<crate::domain::review::ReviewPolicy>> {
        use crate::domain::review::{MapEntry, PolicyParameter, ReviewPolicy};
        let Some(value) = self.present(name) else { return Ok(None) };
        let shape = || wrong_type(name, "a ReviewPolicy");
        let policy = Input::new(value.as_object().cloned().ok_or_else(shape)?);
        let policy_name =
            policy.required_string("PolicyName").map_err(|_| missing_parameter(&format!("{name}.PolicyName")))?;
        let objects = |input: &Input, member: &str| -> Result<Vec<Input>> {
            match input.present(member) {
                None => Ok(Vec::new()),
                Some(Value::Array(items)) => {
                    items.iter().map(|i| i.as_object().cloned().map(Input::new).ok_or_else(shape)).collect()
                }
                Some(_) => Err(shape()),
            }
        };
        let parameters = objects(&policy, "Parameters")?
            .iter()
            .map(|p| {
                Ok(PolicyParameter {
                    key: p.string("Key")?.unwrap_or_default(),
                    values: p.strings("Values")?.unwrap_or_default(),
                    map_entries: objects(p, "MapEntries")?
                        .iter()
                        .map(|e| {
                            Ok(MapEntry {
                                key: e.string("Key")?.unwrap_or_default(),
                                values: e.strings("Values")?.unwrap_or_default(),
                            })
                        })
                        .collect::<Result<Vec<_>>>()?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(ReviewPolicy { name: policy_name, parameters }))
    }

    /// `MaxResults` (1-100, default 10) and `NextToken`, as a page request.
    /// `scope` ties the token to one listing, so a token from another
    /// listing is refused rather than misread.
    ///
    /// # Errors
    /// Out-of-range sizes and undecodable tokens.
    pub fn page(&self, scope: &str) -> Result<Page> {
        let limit = self.long("MaxResults")?.unwrap_or(10);
        if !(1..=100).contains(&limit) {
            return Err(out_of_range("MaxResults", limit, 1, 100));
        }
        let cursor = match self.string("NextToken")? {
            None => None,
            Some(token) => Some(decode_token(&token, scope).ok_or_else(|| invalid_value("NextToken", &token))?),
        };
        Ok(Page::after(cursor, limit))
    }
}

/// Bytes of the check that leads a token.
const CHECK_LEN: usize = 8;

/// Longest token taken back: the longest one handed out (a qualification
/// type's name of the most characters the service allows is its longest key)
/// with room to spare.
const MAX_TOKEN_LEN: usize = 2048;

/// The check of a token's `payload` for listing `scope`: the first bytes of
/// SHA-256 over both. It refuses a token of another listing or filter, and
/// one edited by hand, rather than misreading either. (It detects mistakes;
/// it is not a secret, as nothing in a development emulator is.)
fn token_check(scope: &str, payload: &[u8]) -> [u8; CHECK_LEN] {
    use sha2::{Digest as _, Sha256};
    let mut hash = Sha256::new();
    hash.update(b"mturk-local NextToken v2\0");
    hash.update(scope.as_bytes());
    hash.update(b"\0");
    hash.update(payload);
    let digest = hash.finalize();
    let mut check = [0_u8; CHECK_LEN];
    check.copy_from_slice(&digest[..CHECK_LEN]);
    check
}

/// An opaque token for the page after `cursor` (the sort key of the last
/// row shown) in listing `scope`: the check, then the key as a JSON array,
/// in URL-safe base64. Keys only grow within a listing (or only fall, in a
/// descending one), so a walk never sees the same token twice.
#[must_use]
pub fn encode_token(cursor: &Cursor, scope: &str) -> String {
    let payload = serde_json::to_vec(&cursor.0).unwrap_or_default();
    let mut raw = token_check(scope, &payload).to_vec();
    raw.extend_from_slice(&payload);
    URL_SAFE_NO_PAD.encode(raw)
}

/// The cursor of a token [`encode_token`] made for listing `scope`; `None`
/// for a token of another listing, an edited one or garbage. The web
/// console's "Next page" links carry the same tokens.
#[must_use]
pub fn decode_token(token: &str, scope: &str) -> Option<Cursor> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return None;
    }
    let raw = URL_SAFE_NO_PAD.decode(token).ok()?;
    if raw.len() <= CHECK_LEN {
        return None;
    }
    let (check, payload) = raw.split_at(CHECK_LEN);
    if check != token_check(scope, payload) {
        return None;
    }
    let key: Vec<String> = serde_json::from_slice(payload).ok()?;
    (!key.is_empty()).then_some(Cursor(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_only_within_their_listing() {
        let key = Cursor(vec!["1700000000000".to_owned(), "3HIT\"ID,with:odd chars".to_owned()]);
        let t = encode_token(&key, "ListWorkerBlocks");
        assert_eq!(decode_token(&t, "ListWorkerBlocks"), Some(key.clone()));
        assert_eq!(decode_token(&t, "ListHITs"), None);
        assert_eq!(decode_token("garbage!", "ListWorkerBlocks"), None);
        assert_eq!(decode_token("", "ListWorkerBlocks"), None);
        let other = Cursor(vec!["1700000000001".to_owned(), "3HIT".to_owned()]);
        assert_ne!(encode_token(&key, "x"), encode_token(&other, "x"));
    }

    #[test]
    fn an_edited_token_is_refused() {
        let key = Cursor(vec!["42".to_owned(), "A".to_owned()]);
        let raw = URL_SAFE_NO_PAD.decode(encode_token(&key, "ListHITs")).unwrap();
        // Change one byte anywhere: the check, the key's text, its framing.
        for at in 0..raw.len() {
            let mut edited = raw.clone();
            edited[at] ^= 0x01;
            assert_eq!(decode_token(&URL_SAFE_NO_PAD.encode(&edited), "ListHITs"), None, "byte {at}");
        }
        // A key made by hand without the check is refused too.
        assert_eq!(decode_token(&URL_SAFE_NO_PAD.encode(br#"["42","B"]"#), "ListHITs"), None);
        // An empty key carries no position.
        let empty = encode_token(&Cursor(Vec::new()), "ListHITs");
        assert_eq!(decode_token(&empty, "ListHITs"), None);
    }

    #[test]
    fn members_are_typed_and_null_is_absent() {
        let input = Input::new(
            serde_json::json!({"S": "x", "N": 5, "B": true, "Null": null, "Big": 5_000_000_000_i64, "F": 1.5})
                .as_object()
                .cloned()
                .unwrap(),
        );
        assert_eq!(input.string("S").unwrap().as_deref(), Some("x"));
        assert!(input.string("N").is_err());
        assert_eq!(input.int("N").unwrap(), Some(5));
        assert!(input.int("Big").is_err());
        assert!(input.long("F").is_err());
        assert_eq!(input.boolean("Null").unwrap(), None);
        assert!(input.required_string("Null").is_err());
    }
}
