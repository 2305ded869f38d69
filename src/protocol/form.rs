//! `application/x-www-form-urlencoded`, decoded strictly: the legacy API's
//! query strings and bodies, and the form a worker's ExternalQuestion page
//! posts to `/mturk/externalSubmit`.

use std::collections::BTreeMap;

use percent_encoding::percent_decode;

/// Why a query string or body could not be decoded at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A name or value is not valid percent-encoded UTF-8.
    #[error("The request contains a parameter that is not valid UTF-8 after percent-decoding: {0}")]
    NotUtf8(String),
    /// The same name appears twice in one part of the request.
    #[error("The parameter {0} appears more than once in the request.")]
    Duplicate(String),
    /// An empty parameter name (`=value`).
    #[error("The request contains a parameter with an empty name.")]
    EmptyName,
}

fn decode_component(raw: &str) -> Result<String, DecodeError> {
    let plus_as_space = raw.replace('+', " ");
    percent_decode(plus_as_space.as_bytes())
        .decode_utf8()
        .map(std::borrow::Cow::into_owned)
        .map_err(|_| DecodeError::NotUtf8(raw.chars().take(64).collect()))
}

/// Decodes a form-encoded body into its pairs in order, repeated names kept
/// (check boxes and multiple selections send one pair per choice).
///
/// # Errors
/// Text that is not UTF-8 after percent-decoding, or an empty name.
pub fn decode_pairs(raw: &[u8]) -> Result<Vec<(String, String)>, DecodeError> {
    let text = std::str::from_utf8(raw).map_err(|_| DecodeError::NotUtf8("request body".into()))?;
    let mut out = Vec::new();
    for pair in text.trim_end_matches(['\r', '\n']).split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode_component(name)?;
        if name.is_empty() {
            return Err(DecodeError::EmptyName);
        }
        out.push((name, decode_component(value)?));
    }
    Ok(out)
}

/// Decodes one form-encoded string.
fn decode_form(raw: &str) -> Result<BTreeMap<String, String>, DecodeError> {
    let mut out = BTreeMap::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode_component(name)?;
        if name.is_empty() {
            return Err(DecodeError::EmptyName);
        }
        let value = decode_component(value)?;
        if out.insert(name.clone(), value).is_some() {
            return Err(DecodeError::Duplicate(name));
        }
    }
    Ok(out)
}

/// Decodes the query string and the form body into one map; body values
/// win when a name is in both (legacy spec §1.1).
///
/// # Errors
/// [`DecodeError`] for undecodable input.
pub fn decode(query: Option<&str>, body: Option<&[u8]>) -> Result<BTreeMap<String, String>, DecodeError> {
    let mut map = query.map(decode_form).transpose()?.unwrap_or_default();
    if let Some(body) = body {
        let text = std::str::from_utf8(body).map_err(|_| DecodeError::NotUtf8("request body".into()))?;
        map.extend(decode_form(text.trim_end_matches(['\r', '\n']))?);
    }
    Ok(map)
}
