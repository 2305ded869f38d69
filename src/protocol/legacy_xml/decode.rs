//! Decoding a legacy request's flat parameters into an operation's typed
//! input, one field at a time: the dispatch table names a decoder and a
//! parameter for each field (`worker_id: req("SubjectId")`), and the field's
//! type picks the [`FromParam`] rules. A single-valued parameter may come as
//! `Name` or `Name.1` ([`Params::value`]); an empty value counts as absent.

use crate::domain::hit::AssignmentStatus;
use crate::domain::ids::{AssignmentId, HitId, HitTypeId, QualificationRequestId, QualificationTypeId, WorkerId};
use crate::domain::money::Money;
use crate::domain::paging::Page;
use crate::domain::qualification::{QualificationStatus, SettableTypeStatus};
use crate::domain::requirement::{Comparator, Locale, QualificationRequirement};
use crate::domain::review::{HitReviewPolicies, MapEntry, PolicyLevel, PolicyParameter, ReviewPolicy};
use crate::error::{invalid_value, invalid_value_because, missing_parameter, Result};
use crate::mturk_error;
use crate::ops::hits::{HitTypeChoice, NewHit, NewHitType};
use crate::ops::notifications::{Face, NotificationInput};
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
    Ok(Page::numbered(offset, limit))
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

/// A money structure: `Name.1.Amount` or `Name.Amount`, in USD.
///
/// # Errors
/// A missing amount, another currency, an amount that does not parse.
pub fn money(p: &Params, name: &str) -> Result<Money> {
    let parts = p.structures(name);
    let Some(price) = parts.first() else { return Err(missing_parameter(&format!("{name}.1.Amount"))) };
    let amount = price.required("Amount")?;
    if let Some(currency) = price.optional("CurrencyCode")? {
        if currency != "USD" {
            return Err(invalid_value_because("CurrencyCode", currency, "Only USD is supported."));
        }
    }
    Money::parse(amount).ok_or_else(|| invalid_value(&format!("{name}.Amount"), amount))
}

/// `QualificationRequirement.N.*`: each with its comparator, integer and
/// locale values.
fn requirements(p: &Params) -> Result<Vec<QualificationRequirement>> {
    p.structures("QualificationRequirement")
        .iter()
        .map(|r| {
            let comparator_text = r.required("Comparator")?;
            let integer_values = r
                .list("IntegerValue")
                .into_iter()
                .map(|v| v.trim().parse::<i32>().map_err(|_| invalid_value("IntegerValue", v)))
                .collect::<Result<Vec<_>>>()?;
            let locale_values = r
                .structures("LocaleValue")
                .iter()
                .map(|l| {
                    Ok(Locale {
                        country: l.required("Country")?.to_owned(),
                        subdivision: l.optional("Subdivision")?.map(str::to_owned),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(QualificationRequirement {
                type_id: r.required("QualificationTypeId")?.to_owned(),
                comparator: Comparator::parse(comparator_text)
                    .ok_or_else(|| invalid_value("Comparator", comparator_text))?,
                integer_values,
                locale_values,
                required_to_preview: r.boolean("RequiredToPreview")?.unwrap_or(false),
                actions_guarded: None,
            })
        })
        .collect()
}

/// A HIT type's properties (RegisterHITType, CreateHIT without `HITTypeId`).
///
/// # Errors
/// Missing and malformed properties.
pub fn hit_type(p: &Params) -> Result<NewHitType> {
    Ok(NewHitType {
        title: req(p, "Title")?,
        description: req(p, "Description")?,
        keywords: opt(p, "Keywords")?,
        reward: money(p, "Reward")?,
        assignment_duration_secs: req(p, "AssignmentDurationInSeconds")?,
        auto_approval_delay_secs: opt(p, "AutoApprovalDelayInSeconds")?,
        requirements: requirements(p)?,
    })
}

/// CreateHIT's type: the `HITTypeId` given, or one with the properties given.
///
/// # Errors
/// As [`hit_type`].
pub fn hit_type_or_properties(p: &Params) -> Result<HitTypeChoice> {
    match opt::<HitTypeId>(p, "HITTypeId")? {
        Some(id) => Ok(HitTypeChoice::Existing(id)),
        None => hit_type(p).map(HitTypeChoice::New),
    }
}

/// A HIT's own properties. HIT layouts live on the requester website, so a
/// `HITLayoutId` is refused before anything else.
///
/// # Errors
/// `NotImplemented` for a layout; missing and malformed properties.
pub fn new_hit(p: &Params) -> Result<NewHit> {
    if p.optional("HITLayoutId")?.is_some() {
        return Err(mturk_error!(
            NotImplemented,
            "HIT layouts are not supported by mturk-local; send the Question instead."
        ));
    }
    Ok(NewHit {
        question: req(p, "Question")?,
        max_assignments: opt(p, "MaxAssignments")?,
        lifetime_secs: req(p, "LifetimeInSeconds")?,
        requester_annotation: opt(p, "RequesterAnnotation")?,
        unique_request_token: opt(p, "UniqueRequestToken")?,
        review_policies: HitReviewPolicies {
            assignment: review_policy(p, "AssignmentReviewPolicy")?,
            hit: review_policy(p, "HITReviewPolicy")?,
        },
    })
}

/// `{name}.PolicyName` and `{name}.Parameter.N.Key`, `.Value.M`,
/// `.MapEntry.K.Key`, `.MapEntry.K.Value.M` (the 2014-08-15 `ReviewPolicy`).
///
/// # Errors
/// Parameters without a `PolicyName`.
fn review_policy(p: &Params, name: &str) -> Result<Option<ReviewPolicy>> {
    let parts = p.structures(name);
    let Some(policy) = parts.first() else { return Ok(None) };
    let policy_name =
        policy.optional("PolicyName")?.ok_or_else(|| missing_parameter(&format!("{name}.PolicyName")))?.to_owned();
    let parameters = policy
        .structures("Parameter")
        .iter()
        .map(|q| {
            Ok(PolicyParameter {
                key: q.optional("Key")?.unwrap_or_default().to_owned(),
                values: q.list("Value").into_iter().map(str::to_owned).collect(),
                map_entries: q
                    .structures("MapEntry")
                    .iter()
                    .map(|e| {
                        Ok(MapEntry {
                            key: e.optional("Key")?.unwrap_or_default().to_owned(),
                            values: e.list("Value").into_iter().map(str::to_owned).collect(),
                        })
                    })
                    .collect::<Result<Vec<_>>>()?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(ReviewPolicy { name: policy_name, parameters }))
}

/// A required parameter for an optional field.
///
/// # Errors
/// As [`req`].
pub fn some<T: FromParam>(p: &Params, name: &str) -> Result<Option<T>> {
    req(p, name).map(Some)
}

/// `Status` of GetReviewableHITs: `Reviewable` (default) or `Reviewing`, as
/// whether the HITs asked for are being reviewed.
///
/// # Errors
/// Other values.
pub fn reviewing(p: &Params, name: &str) -> Result<bool> {
    match p.optional(name)? {
        None | Some("Reviewable") => Ok(false),
        Some("Reviewing") => Ok(true),
        Some(other) => Err(invalid_value_because(name, other, "Expected values are Reviewable and Reviewing.")),
    }
}

/// `AssignmentStatus` of GetAssignmentsForHIT, repeatable and comma-separated.
///
/// # Errors
/// Values other than Submitted, Approved and Rejected.
pub fn assignment_statuses(p: &Params, name: &str) -> Result<Vec<AssignmentStatus>> {
    p.list(name)
        .into_iter()
        .flat_map(|s| s.split(','))
        .map(|s| match s.trim() {
            "Submitted" => Ok(AssignmentStatus::Submitted),
            "Approved" => Ok(AssignmentStatus::Approved),
            "Rejected" => Ok(AssignmentStatus::Rejected),
            other => Err(invalid_value_because(name, other, "Expected Submitted, Approved or Rejected.")),
        })
        .collect()
}

/// `PolicyLevel` of GetReviewResultsForHIT, repeatable: `Assignment` and/or `HIT`.
///
/// # Errors
/// Other values.
pub fn policy_levels(p: &Params, name: &str) -> Result<Vec<PolicyLevel>> {
    p.list(name)
        .into_iter()
        .flat_map(|s| s.split(','))
        .map(|s| {
            PolicyLevel::parse(s.trim())
                .ok_or_else(|| invalid_value_because(name, s, "Expected values are Assignment and HIT."))
        })
        .collect()
}

/// A `T`/`F` flag (GetReviewResultsForHIT's `RetrieveActions`), `true` and
/// `false` accepted too, with a default.
///
/// # Errors
/// Other values.
pub fn flag(p: &Params, name: &str, default: bool) -> Result<bool> {
    match p.optional(name)?.map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if v == "t" || v == "true" => Ok(true),
        Some(v) if v == "f" || v == "false" => Ok(false),
        Some(v) => Err(invalid_value_because(name, &v, "Expected values are T and F.")),
    }
}

/// GetReviewResultsForHIT's page: `PageSize` 1 to 65535, default 400 (the
/// reference's default and maximum), and `PageNumber`.
///
/// # Errors
/// `AWS.ParameterOutOfRange`.
pub fn review_page(p: &Params) -> Result<Page> {
    let size = p.long("PageSize")?.unwrap_or(400);
    if !(1..=65_535).contains(&size) {
        return Err(crate::error::out_of_range("PageSize", size, 1, 65_535));
    }
    let number = p.long("PageNumber")?.unwrap_or(1);
    if number < 1 {
        return Err(crate::error::out_of_range("PageNumber", number, 1, i64::MAX));
    }
    let offset =
        (number - 1).checked_mul(size).ok_or_else(|| crate::error::out_of_range("PageNumber", number, 1, i64::MAX))?;
    Ok(Page::numbered(offset, size))
}

/// SearchHITs' page: `SortProperty` must be one the API documents (the
/// caller's HITs are listed by creation time whatever it says).
///
/// # Errors
/// Other sort properties; paging errors.
pub fn search_hits_page(p: &Params) -> Result<Page> {
    if let Some(prop) = p.optional("SortProperty")? {
        if !["Title", "Reward", "Expiration", "CreationTime", "Enumeration"].contains(&prop) {
            return Err(invalid_value_because(
                "SortProperty",
                prop,
                "Expected Title, Reward, Expiration, CreationTime or Enumeration.",
            ));
        }
    }
    page(p, 100)
}

impl FromParam for HitId {
    fn from_param(p: &Params, name: &str) -> Result<Option<Self>> {
        parsed(p, name, Self::parse)
    }
}

impl FromParam for HitTypeId {
    fn from_param(p: &Params, name: &str) -> Result<Option<Self>> {
        parsed(p, name, Self::parse)
    }
}

impl FromParam for AssignmentId {
    fn from_param(p: &Params, name: &str) -> Result<Option<Self>> {
        parsed(p, name, Self::parse)
    }
}

/// Help's `About`: one or more names (`About`, `About.1`, …).
///
/// # Errors
/// `AWS.MissingParameters` when none is sent.
pub fn about(p: &Params, name: &str) -> Result<Vec<String>> {
    let names: Vec<String> = p.list(name).into_iter().filter(|n| !n.is_empty()).map(str::to_owned).collect();
    if names.is_empty() {
        return Err(missing_parameter(name));
    }
    Ok(names)
}

/// Help's `HelpType`: `Operation` (default) or `ResponseGroup`.
///
/// # Errors
/// Other values.
pub fn help_type(p: &Params, name: &str) -> Result<crate::ops::help::HelpType> {
    use crate::ops::help::HelpType;
    match p.optional(name)? {
        None | Some("Operation") => Ok(HelpType::Operation),
        Some("ResponseGroup") => Ok(HelpType::ResponseGroup),
        Some(other) => Err(invalid_value_because(name, other, "Expected values are Operation and ResponseGroup.")),
    }
}

impl FromParam for crate::ops::statistics::TimePeriod {
    fn from_param(p: &Params, name: &str) -> Result<Option<Self>> {
        p.optional(name)?
            .map(|s| {
                Self::parse(s).ok_or_else(|| {
                    invalid_value_because(name, s, "Expected values are OneDay, SevenDays, ThirtyDays and LifeToDate.")
                })
            })
            .transpose()
    }
}

/// The `Statistic`, `TimePeriod` (default LifeToDate) and `Count` of a statistic operation.
///
/// # Errors
/// A missing statistic, an unknown period, a `Count` that is not a number.
pub fn statistic_query(p: &Params) -> Result<crate::ops::statistics::StatisticQuery> {
    Ok(crate::ops::statistics::StatisticQuery {
        statistic: req(p, "Statistic")?,
        period: or(p, "TimePeriod", crate::ops::statistics::TimePeriod::LifeToDate)?,
        count: opt(p, "Count")?,
    })
}

/// The `Notification` structure: `Notification.1.Destination`,
/// `.Transport`, `.Version` and `.EventType.N` (legacy Notification data
/// structure; boto 2's `set_rest_notification` and `set_email_notification`
/// send `EventType.1`, `EventType.2`, …), checked by `ops::notifications`.
fn notification_structure(p: &Params, name: &str) -> Result<Option<NotificationInput>> {
    let mut parts = p.structures(name);
    if parts.is_empty() {
        return Ok(None);
    }
    if parts.len() > 1 {
        return Err(mturk_error!(
            InvalidParameterValue,
            "Send one {name} structure ({name}.1.*), not {}.",
            parts.len()
        ));
    }
    let n = parts.remove(0);
    let field = |f: &str| n.required(f).map(str::to_owned).map_err(|_| missing_parameter(&format!("{name}.1.{f}")));
    Ok(Some(NotificationInput {
        face: Face::Legacy,
        destination: field("Destination")?,
        transport: field("Transport")?,
        version: field("Version")?,
        event_types: n.list("EventType").into_iter().map(str::to_owned).collect(),
    }))
}

/// A required `Notification` structure (SendTestEventNotification).
///
/// # Errors
/// `AWS.MissingParameters`, several structures.
pub fn notification(p: &Params, name: &str) -> Result<NotificationInput> {
    notification_structure(p, name)?.ok_or_else(|| missing_parameter(name))
}

/// SetHITTypeNotification's `Active`: the parameter, or inside the
/// structure, where boto 2's `_set_notification` sends it
/// (`Notification.1.Active=True`).
///
/// # Errors
/// A value that is not a boolean.
pub fn notification_active(p: &Params, name: &str) -> Result<Option<bool>> {
    if let Some(active) = opt::<bool>(p, name)? {
        return Ok(Some(active));
    }
    match p.structures("Notification").first() {
        Some(n) => opt::<bool>(n, name),
        None => Ok(None),
    }
}

/// An optional `Notification` structure (SetHITTypeNotification).
///
/// # Errors
/// A field missing inside it, several structures.
pub fn opt_notification(p: &Params, name: &str) -> Result<Option<NotificationInput>> {
    notification_structure(p, name)
}
