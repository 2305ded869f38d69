//! Legacy request parameters: the union of the query string and a
//! form-encoded body (the body wins when a name is in both, spec §1.1 INF),
//! with typed accessors that produce MTurk-shaped errors, and the
//! `Name.<n>.Field` flattening of lists and structures (spec §1.3).

use std::collections::BTreeMap;

pub use crate::documents::is_xml_char;
use crate::error::{invalid_value, missing_parameter, out_of_range, Result};
use crate::mturk_error;
use crate::protocol::form;
pub use crate::protocol::form::DecodeError;

/// The decoded parameters of one legacy request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    map: BTreeMap<String, String>,
}

impl Params {
    /// Decodes the query string and the (form) body; body values win.
    ///
    /// # Errors
    /// [`DecodeError`] for undecodable input.
    pub fn decode(query: Option<&str>, body: Option<&[u8]>) -> Result<Self, DecodeError> {
        form::decode(query, body).map(|map| Self { map })
    }

    /// Builds parameters from pairs (tests, the `sign` helper).
    #[must_use]
    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        Self { map: pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect() }
    }

    /// Every parameter, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// A raw value.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    /// A protocol-level value taken only under its exact name (`Operation`,
    /// `AWSAccessKeyId`, `Version`, …); an empty value counts as absent.
    #[must_use]
    pub fn plain(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// A single-valued parameter as sent, empty values included: `Name`, or
    /// `Name.1` when `Name` is absent.
    ///
    /// Amazon's Perl SDK (`Net::Amazon::MechanicalTurk` 1.02) flattens any
    /// argument given as a list into `Name.1`, `Name.2`, and its parsed answers
    /// hold every value as a list, so a value passed on from one answer to the
    /// next call goes out as `HITId.1=…`; the SDK's own test helper
    /// (`t/TestHelper.pm`, `destroyHIT`) calls GetHIT, GetAssignmentsForHIT and
    /// DisableHIT that way against the sandbox. The two spellings with
    /// different values are refused rather than one of them silently winning.
    ///
    /// # Errors
    /// `InvalidParameterValue` when `Name` and `Name.1` disagree.
    pub fn value(&self, name: &str) -> Result<Option<&str>> {
        let plain = self.get(name);
        let indexed = self.map.get(&format!("{name}.1")).map(String::as_str);
        match (plain, indexed) {
            (Some(a), Some(b)) if a != b => Err(mturk_error!(
                InvalidParameterValue,
                "The parameters {name} and {name}.1 have different values; {name} takes one value."
            )),
            (Some(v), _) | (None, Some(v)) => Ok(Some(v)),
            (None, None) => Ok(None),
        }
    }

    /// A required string (see [`Params::value`]). An empty value counts as missing.
    ///
    /// # Errors
    /// `AWS.MissingParameters`, or the error of [`Params::value`].
    pub fn required(&self, name: &str) -> Result<&str> {
        match self.value(name)? {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(missing_parameter(name)),
        }
    }

    /// A required string where the empty string is a value, as the 2017-01-17
    /// model allows for members with no minimum length (`GrantBonus`'s
    /// `Reason`, the JSON `SendBonus` `Reason`): only a parameter that is not
    /// sent at all is missing.
    ///
    /// # Errors
    /// `AWS.MissingParameters`, or the error of [`Params::value`].
    pub fn required_maybe_empty(&self, name: &str) -> Result<&str> {
        self.value(name)?.ok_or_else(|| missing_parameter(name))
    }

    /// An optional string (see [`Params::value`]); an empty value counts as absent.
    ///
    /// # Errors
    /// The error of [`Params::value`].
    pub fn optional(&self, name: &str) -> Result<Option<&str>> {
        Ok(self.value(name)?.filter(|v| !v.is_empty()))
    }

    /// An optional 32-bit integer.
    ///
    /// # Errors
    /// `InvalidParameterValue` when not an integer.
    pub fn int(&self, name: &str) -> Result<Option<i32>> {
        self.optional(name)?.map(|v| v.trim().parse().map_err(|_| invalid_value(name, v))).transpose()
    }

    /// An optional 64-bit integer.
    ///
    /// # Errors
    /// `InvalidParameterValue` when not an integer.
    pub fn long(&self, name: &str) -> Result<Option<i64>> {
        self.optional(name)?.map(|v| v.trim().parse().map_err(|_| invalid_value(name, v))).transpose()
    }

    /// An optional boolean: `true|false|1|0`, any case (spec §1.3 INF).
    ///
    /// # Errors
    /// `InvalidParameterValue` for other spellings.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>> {
        self.optional(name)?
            .map(|v| match v.trim().to_ascii_lowercase().as_str() {
                "true" | "1" => Ok(true),
                "false" | "0" => Ok(false),
                _ => Err(invalid_value(name, v)),
            })
            .transpose()
    }

    /// Legacy paging: `PageSize` in `1..=max_page_size` (default 10) and
    /// `PageNumber` ≥ 1 (default 1), as (offset, limit, page number).
    ///
    /// # Errors
    /// `AWS.ParameterOutOfRange` or `InvalidParameterValue`.
    pub fn paging(&self, max_page_size: i64) -> Result<(i64, i64, i64)> {
        let size = self.long("PageSize")?.unwrap_or(10);
        if !(1..=max_page_size).contains(&size) {
            return Err(out_of_range("PageSize", size, 1, max_page_size));
        }
        let number = self.long("PageNumber")?.unwrap_or(1);
        if number < 1 {
            return Err(out_of_range("PageNumber", number, 1, i64::MAX));
        }
        let offset = (number - 1).checked_mul(size).ok_or_else(|| out_of_range("PageNumber", number, 1, i64::MAX))?;
        Ok((offset, size, number))
    }

    /// A repeated simple value: `Name`, then `Name.<n>` in index order (any
    /// non-negative index, 0- or 1-based).
    #[must_use]
    pub fn list(&self, name: &str) -> Vec<&str> {
        let mut indexed: Vec<(u64, &str)> = self
            .map
            .iter()
            .filter_map(|(k, v)| {
                let rest = k.strip_prefix(name)?.strip_prefix('.')?;
                rest.parse::<u64>().ok().map(|i| (i, v.as_str()))
            })
            .collect();
        indexed.sort_by_key(|(i, _)| *i);
        let mut out: Vec<&str> = self.get(name).into_iter().collect();
        out.extend(indexed.into_iter().map(|(_, v)| v));
        out.retain(|v| !v.is_empty());
        out
    }

    /// The structures flattened under `prefix` (spec §1.3): `prefix.<n>.Field`
    /// groups by index (any base, numeric order), and `prefix.Field` is one
    /// more structure without an index. Each comes back with the prefix and
    /// index stripped.
    #[must_use]
    pub fn structures(&self, prefix: &str) -> Vec<Params> {
        let mut indexed: BTreeMap<u64, Params> = BTreeMap::new();
        let mut bare = Params::default();
        for (k, v) in &self.map {
            let Some(rest) = k.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')) else { continue };
            match rest.split_once('.') {
                Some((index, field)) if index.bytes().all(|b| b.is_ascii_digit()) => {
                    if let Ok(i) = index.parse::<u64>() {
                        indexed.entry(i).or_default().map.insert(field.to_owned(), v.clone());
                    }
                }
                _ if !rest.bytes().all(|b| b.is_ascii_digit()) => {
                    bare.map.insert(rest.to_owned(), v.clone());
                }
                _ => {}
            }
        }
        let mut out: Vec<Params> = Vec::new();
        if !bare.map.is_empty() {
            out.push(bare);
        }
        out.extend(indexed.into_values());
        out
    }

    /// The `ResponseGroup` values (`ResponseGroup`, `ResponseGroup.<n>`).
    #[must_use]
    pub fn response_groups(&self) -> Vec<&str> {
        self.list("ResponseGroup")
    }

    /// The first parameter whose value cannot appear in XML 1.0 (control
    /// characters), so nothing we echo can break the envelope.
    ///
    /// # Errors
    /// `InvalidParameterValue` naming the parameter.
    pub fn check_xml_safe(&self) -> Result<()> {
        for (k, v) in &self.map {
            if k.chars().chain(v.chars()).any(|c| !is_xml_char(c)) {
                return Err(crate::protocol::non_xml_error(&k.chars().filter(|c| is_xml_char(*c)).collect::<String>()));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn query_and_body_merge_and_the_body_wins() {
        let p =
            Params::decode(Some("Service=AWSMechanicalTurkRequester&A=query"), Some(b"A=body&B=%3C%26%3E+x")).unwrap();
        assert_eq!(p.get("Service"), Some("AWSMechanicalTurkRequester"));
        assert_eq!(p.get("A"), Some("body"));
        assert_eq!(p.get("B"), Some("<&> x"));
    }

    #[test]
    fn undecodable_input_is_refused() {
        assert_eq!(Params::decode(Some("A=%FF"), None).unwrap_err(), DecodeError::NotUtf8("%FF".into()));
        assert_eq!(Params::decode(Some("A=1&A=2"), None).unwrap_err(), DecodeError::Duplicate("A".into()));
        assert_eq!(Params::decode(Some("=x"), None).unwrap_err(), DecodeError::EmptyName);
        assert!(Params::decode(None, Some(&[0xff, 0xfe])).is_err());
        // A stray '%' that is not an escape is kept literally, as browsers do.
        assert_eq!(Params::decode(Some("A=100%"), None).unwrap().get("A"), Some("100%"));
    }

    #[test]
    fn lists_accept_any_index_base_in_numeric_order() {
        let p = Params::from_pairs([("WorkerId.10", "C"), ("WorkerId.2", "B"), ("WorkerId.0", "A")]);
        assert_eq!(p.list("WorkerId"), ["A", "B", "C"]);
        let single = Params::from_pairs([("ResponseGroup", "Request")]);
        assert_eq!(single.response_groups(), ["Request"]);
    }

    #[test]
    fn structures_group_by_index_and_accept_the_unindexed_form() {
        let p = Params::from_pairs([
            ("QualificationRequirement.2.Comparator", "Exists"),
            ("QualificationRequirement.1.Comparator", "In"),
            ("QualificationRequirement.1.IntegerValue.1", "10"),
            ("QualificationRequirement.1.IntegerValue.2", "20"),
            ("Reward.Amount", "0.50"),
        ]);
        let reqs = p.structures("QualificationRequirement");
        assert_eq!(reqs.len(), 2);
        assert_eq!(reqs[0].get("Comparator"), Some("In"));
        assert_eq!(reqs[0].list("IntegerValue"), ["10", "20"]);
        assert_eq!(reqs[1].get("Comparator"), Some("Exists"));
        assert_eq!(p.structures("Reward")[0].get("Amount"), Some("0.50"));
        assert!(p.structures("Nothing").is_empty());
    }

    #[test]
    fn typed_accessors_report_the_parameter() {
        let p = Params::from_pairs([("I", "x1"), ("B", "TRUE"), ("Z", "0"), ("E", "")]);
        assert_eq!(p.int("I").unwrap_err().code(), ErrorCode::InvalidParameterValue);
        assert_eq!(p.boolean("B").unwrap(), Some(true));
        assert_eq!(p.boolean("Z").unwrap(), Some(false));
        assert_eq!(p.required("E").unwrap_err().code(), ErrorCode::MissingParameters);
        assert_eq!(p.int("E").unwrap(), None);
    }

    #[test]
    fn paging_checks_its_ranges() {
        let ok = Params::from_pairs([("PageSize", "5"), ("PageNumber", "3")]);
        assert_eq!(ok.paging(100).unwrap(), (10, 5, 3));
        let big = Params::from_pairs([("PageSize", "101")]);
        assert_eq!(big.paging(100).unwrap_err().code(), ErrorCode::ParameterOutOfRange);
        let zero = Params::from_pairs([("PageNumber", "0")]);
        assert_eq!(zero.paging(100).unwrap_err().code(), ErrorCode::ParameterOutOfRange);
    }

    #[test]
    fn control_characters_are_refused_before_they_reach_xml() {
        let p = Params::from_pairs([("Reason", "bell\u{7}")]);
        assert_eq!(p.check_xml_safe().unwrap_err().code(), ErrorCode::InvalidParameterValue);
        assert!(Params::from_pairs([("Reason", "ok\ttab é 😀")]).check_xml_safe().is_ok());
    }
}
