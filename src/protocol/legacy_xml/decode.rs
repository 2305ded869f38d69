//! Decoding a legacy request's flat parameters into an operation's typed
//! input, one field at a time: the dispatch table names a decoder and a
//! parameter for each field (`worker_id: req("SubjectId")`), and the field's
//! type picks the [`FromParam`] rules. A single-valued parameter may come as
//! `Name` or `Name.1` ([`Params::value`]); an empty value counts as absent.

use crate::domain::ids::{QualificationRequestId, QualificationTypeId, WorkerId};
use crate::domain::paging::Page;
use crate::domain::qualification::{QualificationStatus, SettableTypeStatus};
use crate::error::{invalid_value, invalid_value_because, missing_parameter, Result};
use crate::ops::requests::RequestSort;

use super::params::Params;

/// A value one legacy parameter can hold.
pub trait FromParam: Sized {
    /// The parameter `name`, `Ok(None)` when it is absent or empty.
    ///
    /// # Errors
    /// Values the parameter does not allow.
    fn from_param(p: &Params, name: &str) -> Result<Option<Self>>;
}

/// A required parameter.
///
/// # Errors
/// `AWS.MissingParameters`, or the value's own errors.
pub fn req<T: FromParam>(p: &Params, name: &str) -> Result<T> {
    T::from_param(p, name)?.ok_or_else(|| missing_parameter(name))
}

/// An optional parameter.
///
/// # Errors
/// The value's own errors.
pub fn opt<T: FromParam>(p: &Params, name: &str) -> Result<Option<T>> {
    T::from_param(p, name)
}

/// An optional parameter with a default.
///
/// # Errors
/// The value's own errors.
pub fn or<T: FromParam>(p: &Params, name: &str, default: T) -> Result<T> {
    Ok(opt(p, name)?.unwrap_or(default))
}

/// An optional text whose empty value is kept, not read as absent
/// (RevokeQualification's `Reason`: only a non-empty one notifies).
///
/// # Errors
/// `Name` and `Name.1` that disagree.
pub fn value(p: &Params, name: &str) -> Result<Option<String>> {
    Ok(p.value(name)?.map(str::to_owned))
}

/// A required text where `Name=` is an empty value, as the 2017-01-17 model
/// allows (`GrantBonus` and `BlockWorker`'s `Reason`).
///
/// # Errors
/// `AWS.MissingParameters` when the parameter is not sent at all.
pub fn text(p: &Params, name: &str) -> Result<String> {
    p.required_maybe_empty(name).map(str::to_owned)
}

/// `PageSize` (1 to `max`, default 10) and `PageNumber` (default 1).
///
/// # Errors
/// `AWS.ParameterOutOfRange`, `InvalidParameterValue`.
pub fn page(p: &Params, max: i64) -> Result<Page> {
    let (offset, limit, _) = p.paging(max)?;
    Ok(Page { offset, limit })
}

/// A value fixed by the operation, not sent by the client.
///
/// # Errors
/// Never.
pub fn constant<T>(_p: &Params, value: T) -> Result<T> {
    Ok(value)
}

/// `SortDirection`, with the operation's default.
fn descending(p: &Params, default_descending: bool) -> Result<bool> {
    match p.optional("SortDirection")? {
        None => Ok(default_descending),
        Some("Ascending") => Ok(false),
        Some("Descending") => Ok(true),
        Some(other) => {
            Err(invalid_value_because("SortDirection", other, "Expected values are Ascending and Descending."))
        }
    }
}

/// SearchQualificationTypes' order: `SortProperty` may only be `Name`, and
/// the documented default direction is Descending (spec §4.3).
///
/// # Errors
/// Other sort properties and directions.
pub fn name_order(p: &Params) -> Result<bool> {
    if let Some(prop) = p.optional("SortProperty")? {
        if prop != "Name" {
            return Err(invalid_value_because("SortProperty", prop, "Expected values are Name."));
        }
    }
    descending(p, true)
}

/// GetQualificationRequests' order: `SubmitTime` (default) or
/// `QualificationTypeId`, ascending by default.
///
/// # Errors
/// Other sort properties and directions.
pub fn request_order(p: &Params) -> Result<RequestSort> {
    let by_type = match p.optional("SortProperty")? {
        None | Some("SubmitTime") => false,
        Some("QualificationTypeId") => true,
        Some(other) => {
            return Err(invalid_value_because(
                "SortProperty",
                other,
                "Expected values are QualificationTypeId and SubmitTime.",
            ))
        }
    };
    Ok(RequestSort { by_type, descending: descending(p, false)? })
}

impl FromParam for String {
    fn from_param(p: &Params, name: &str) -> Result<Option<Self>> {
        Ok(p.optional(name)?.map(str::to_owned))
    }
}

impl FromParam for i64 {
    fn from_param(p: &Params, name: &str) -> Result<Option<Self>> {
        p.long(name)
    }
}

impl FromParam for i32 {
    fn from_param(p: &Params, name: &str) -> Result<Option<Self>> {
        p.int(name)
    }
}

impl FromParam for bool {
    fn from_param(p: &Params, name: &str) -> Result<Option<Self>> {
        p.boolean(name)
    }
}

/// A value parsed from the parameter's text, `InvalidParameterValue` if it does not parse.
fn parsed<T>(p: &Params, name: &str, parse: impl Fn(&str) -> Option<T>) -> Result<Option<T>> {
    p.optional(name)?.map(|raw| parse(raw).ok_or_else(|| invalid_value(name, raw))).transpose()
}

impl FromParam for QualificationTypeId {
    fn from_param(p: &Params, name: &str) -> Result<Option<Self>> {
        parsed(p, name, Self::parse)
    }
}

impl FromParam for WorkerId {
    fn from_param(p: &Params, name: &str) -> Result<Option<Self>> {
        parsed(p, name, Self::parse)
    }
}

impl FromParam for QualificationRequestId {
    fn from_param(p: &Params, name: &str) -> Result<Option<Self>> {
        parsed(p, name, Self::parse)
    }
}

impl FromParam for SettableTypeStatus {
    fn from_param(p: &Params, name: &str) -> Result<Option<Self>> {
        p.optional(name)?.map(|s| crate::ops::qualifications::parse_status(name, s)).transpose()
    }
}

impl FromParam for QualificationStatus {
    fn from_param(p: &Params, name: &str) -> Result<Option<Self>> {
        p.optional(name)?
            .map(|s| {
                Self::parse(s).ok_or_else(|| invalid_value_because(name, s, "Expected values are Granted and Revoked."))
            })
            .transpose()
    }
}

/// A repeated parameter (`Name`, `Name.1`, `Name.2`, …): absent when none is sent.
impl FromParam for Vec<WorkerId> {
    fn from_param(p: &Params, name: &str) -> Result<Option<Self>> {
        let raw = p.list(name);
        if raw.is_empty() {
            return Ok(None);
        }
        raw.into_iter()
            .map(|w| WorkerId::parse(w).ok_or_else(|| invalid_value(name, w)))
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }
}
