//! Decoding a JSON request's members into an operation's typed input, one
//! member at a time: the dispatch table names a decoder and a member for
//! each field of the input (`type_id: req("QualificationTypeId")`), and the
//! field's type picks the [`FromMember`] rules. Every shape's checks (ids,
//! enums, money, the empty string) live here once.

use crate::domain::hit::AssignmentStatus;
use crate::domain::ids::{AssignmentId, HitId, HitTypeId, QualificationRequestId, QualificationTypeId, WorkerId};
use crate::domain::money::Money;
use crate::domain::paging::Page;
use crate::domain::qualification::{QualificationStatus, SettableTypeStatus};
use crate::domain::requirement::QualificationRequirement;
use crate::domain::review::{HitReviewPolicies, PolicyLevel};
use crate::domain::time::Timestamp;
use crate::error::{invalid_value, invalid_value_because, missing_parameter, Result};
use crate::mturk_error;
use crate::ops::hits::{HitTypeChoice, NewHit, NewHitType};
use crate::ops::notifications::{Face, NotificationInput};

use super::input::Input;

/// A value one member of a JSON request can hold.
pub trait FromMember: Sized {
    /// The member `name`, `Ok(None)` when it is absent. `required` tells a
    /// shape with a minimum length whether its `""` is missing (a required
    /// member) or invalid (an optional one).
    ///
    /// # Errors
    /// Wrong JSON types and values the shape does not allow.
    fn from_member(input: &Input, name: &str, required: bool) -> Result<Option<Self>>;
}

/// A required member.
///
/// # Errors
/// `AWS.MissingParameters`, or the shape's own errors.
pub fn req<T: FromMember>(input: &Input, name: &str) -> Result<T> {
    T::from_member(input, name, true)?.ok_or_else(|| missing_parameter(name))
}

/// An optional member.
///
/// # Errors
/// The shape's own errors.
pub fn opt<T: FromMember>(input: &Input, name: &str) -> Result<Option<T>> {
    T::from_member(input, name, false)
}

/// An optional member with a default.
///
/// # Errors
/// The shape's own errors.
pub fn or<T: FromMember>(input: &Input, name: &str, default: T) -> Result<T> {
    Ok(opt(input, name)?.unwrap_or(default))
}

/// A required `String` that names or describes something: `""` is refused
/// as invalid (see [`Input::required_nonempty`]).
///
/// # Errors
/// `AWS.MissingParameters`, `InvalidParameterValue`.
pub fn nonempty(input: &Input, name: &str) -> Result<String> {
    input.required_nonempty(name)
}

/// `MaxResults` and `NextToken`, tied to this listing.
///
/// # Errors
/// Out-of-range sizes, tokens of another listing.
pub fn page(input: &Input) -> Result<Page> {
    input.page(&input.listing_scope())
}

/// A value fixed by the operation, not sent by the client.
///
/// # Errors
/// Never.
pub fn constant<T>(_input: &Input, value: T) -> Result<T> {
    Ok(value)
}

/// `QualificationRequirements`.
///
/// # Errors
/// Type errors and bad enums.
pub fn requirements(input: &Input, name: &str) -> Result<Vec<QualificationRequirement>> {
    input.requirements(name)
}

/// A required member for an optional field (JSON `RejectAssignment`'s
/// `RequesterFeedback`, `ListHITsForQualificationType`'s type).
///
/// # Errors
/// As [`req`].
pub fn some<T: FromMember>(input: &Input, name: &str) -> Result<Option<T>> {
    req(input, name).map(Some)
}

/// A HIT type's properties (CreateHITType, CreateHIT).
///
/// # Errors
/// Missing and malformed properties.
pub fn hit_type(input: &Input) -> Result<NewHitType> {
    Ok(NewHitType {
        title: nonempty(input, "Title")?,
        description: nonempty(input, "Description")?,
        keywords: opt(input, "Keywords")?,
        reward: req(input, "Reward")?,
        assignment_duration_secs: req(input, "AssignmentDurationInSeconds")?,
        auto_approval_delay_secs: opt(input, "AutoApprovalDelayInSeconds")?,
        requirements: requirements(input, "QualificationRequirements")?,
    })
}

/// CreateHIT's type: the caller's type with these properties.
///
/// # Errors
/// As [`hit_type`].
pub fn new_type(input: &Input) -> Result<HitTypeChoice> {
    hit_type(input).map(HitTypeChoice::New)
}

/// CreateHITWithHITType's type: the one named.
///
/// # Errors
/// A missing or empty `name`.
pub fn existing_type(input: &Input, name: &str) -> Result<HitTypeChoice> {
    req(input, name).map(HitTypeChoice::Existing)
}

/// A HIT's own properties. HIT layouts live on the requester website, so a
/// `HITLayoutId` is refused before anything else.
///
/// # Errors
/// `NotImplemented` for a layout; missing and malformed properties.
pub fn new_hit(input: &Input) -> Result<NewHit> {
    if input.string("HITLayoutId")?.is_some() {
        return Err(mturk_error!(
            NotImplemented,
            "HIT layouts are not supported by mturk-local; send the Question instead."
        ));
    }
    Ok(NewHit {
        question: nonempty(input, "Question")?,
        max_assignments: opt(input, "MaxAssignments")?,
        lifetime_secs: req(input, "LifetimeInSeconds")?,
        requester_annotation: opt(input, "RequesterAnnotation")?,
        unique_request_token: opt(input, "UniqueRequestToken")?,
        review_policies: HitReviewPolicies {
            assignment: input.review_policy("AssignmentReviewPolicy")?,
            hit: input.review_policy("HITReviewPolicy")?,
        },
    })
}

/// `Status` of ListReviewableHITs: `Reviewable` (default) or `Reviewing`, as
/// whether the HITs asked for are being reviewed.
///
/// # Errors
/// Other values.
pub fn reviewing(input: &Input, name: &str) -> Result<bool> {
    match input.string(name)?.as_deref() {
        None | Some("Reviewable") => Ok(false),
        Some("Reviewing") => Ok(true),
        Some(other) => Err(invalid_value_because(name, other, "Expected values are Reviewable and Reviewing.")),
    }
}

/// `PolicyLevels` of ListReviewPolicyResultsForHIT: `Assignment` and/or `HIT`.
impl FromMember for Vec<PolicyLevel> {
    fn from_member(input: &Input, name: &str, _required: bool) -> Result<Option<Self>> {
        let Some(raw) = input.strings(name)? else { return Ok(None) };
        raw.iter()
            .map(|s| {
                PolicyLevel::parse(s)
                    .ok_or_else(|| invalid_value_because(name, s, "Expected values are Assignment and HIT."))
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }
}

impl FromMember for String {
    fn from_member(input: &Input, name: &str, _required: bool) -> Result<Option<Self>> {
        // The model's `String` has no minimum length: "" is a value (modern-api.md §3.1).
        input.string(name)
    }
}

impl FromMember for i64 {
    fn from_member(input: &Input, name: &str, _required: bool) -> Result<Option<Self>> {
        input.long(name)
    }
}

impl FromMember for i32 {
    fn from_member(input: &Input, name: &str, _required: bool) -> Result<Option<Self>> {
        input.int(name)
    }
}

impl FromMember for bool {
    fn from_member(input: &Input, name: &str, _required: bool) -> Result<Option<Self>> {
        input.boolean(name)
    }
}

impl FromMember for Timestamp {
    fn from_member(input: &Input, name: &str, _required: bool) -> Result<Option<Self>> {
        input.timestamp(name)
    }
}

/// An id whose shape has a minimum length of 1: `""` is missing when the
/// member is required and invalid when it is optional.
fn id<T>(input: &Input, name: &str, required: bool, parse: impl Fn(&str) -> Option<T>) -> Result<Option<T>> {
    match input.string(name)? {
        None => Ok(None),
        Some(raw) if raw.is_empty() && required => Ok(None),
        Some(raw) => parse(&raw).map(Some).ok_or_else(|| invalid_value(name, &raw)),
    }
}

impl FromMember for QualificationTypeId {
    fn from_member(input: &Input, name: &str, required: bool) -> Result<Option<Self>> {
        id(input, name, required, Self::parse)
    }
}

impl FromMember for WorkerId {
    fn from_member(input: &Input, name: &str, required: bool) -> Result<Option<Self>> {
        id(input, name, required, Self::parse)
    }
}

impl FromMember for QualificationRequestId {
    fn from_member(input: &Input, name: &str, _required: bool) -> Result<Option<Self>> {
        // A plain `String` in the model: "" is a value, and not an id.
        match input.string(name)? {
            None => Ok(None),
            Some(raw) => Self::parse(&raw).map(Some).ok_or_else(|| invalid_value(name, &raw)),
        }
    }
}

impl FromMember for Vec<WorkerId> {
    fn from_member(input: &Input, name: &str, _required: bool) -> Result<Option<Self>> {
        let Some(raw) = input.strings(name)? else { return Ok(None) };
        raw.iter()
            .map(|w| WorkerId::parse(w).ok_or_else(|| invalid_value(name, w)))
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }
}

impl FromMember for Money {
    fn from_member(input: &Input, name: &str, _required: bool) -> Result<Option<Self>> {
        // No minimum length, but the pattern needs a digit: "" is an invalid value.
        match input.string(name)? {
            None => Ok(None),
            Some(raw) => Money::parse(&raw).map(Some).ok_or_else(|| invalid_value(name, &raw)),
        }
    }
}

impl FromMember for SettableTypeStatus {
    fn from_member(input: &Input, name: &str, _required: bool) -> Result<Option<Self>> {
        input.string(name)?.map(|s| crate::ops::qualifications::parse_status(name, &s)).transpose()
    }
}

impl FromMember for QualificationStatus {
    fn from_member(input: &Input, name: &str, _required: bool) -> Result<Option<Self>> {
        input
            .string(name)?
            .map(|s| {
                Self::parse(&s)
                    .ok_or_else(|| invalid_value_because(name, &s, "Expected values are Granted and Revoked."))
            })
            .transpose()
    }
}

impl FromMember for HitId {
    fn from_member(input: &Input, name: &str, required: bool) -> Result<Option<Self>> {
        id(input, name, required, Self::parse)
    }
}

impl FromMember for HitTypeId {
    fn from_member(input: &Input, name: &str, required: bool) -> Result<Option<Self>> {
        id(input, name, required, Self::parse)
    }
}

impl FromMember for AssignmentId {
    fn from_member(input: &Input, name: &str, required: bool) -> Result<Option<Self>> {
        id(input, name, required, Self::parse)
    }
}

impl FromMember for Vec<AssignmentStatus> {
    fn from_member(input: &Input, name: &str, _required: bool) -> Result<Option<Self>> {
        let Some(raw) = input.strings(name)? else { return Ok(None) };
        raw.iter()
            .map(|s| match s.as_str() {
                "Submitted" => Ok(AssignmentStatus::Submitted),
                "Approved" => Ok(AssignmentStatus::Approved),
                "Rejected" => Ok(AssignmentStatus::Rejected),
                other => Err(invalid_value_because(name, other, "Expected Submitted, Approved or Rejected.")),
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }
}

/// A `NotificationSpecification` member: `Destination`, `Transport`,
/// `Version` and `EventTypes`, all required (botocore model), checked by
/// `ops::notifications`.
fn notification_spec(input: &Input, name: &str) -> Result<Option<NotificationInput>> {
    let Some(obj) = input.object(name)? else { return Ok(None) };
    let member = Input::new(obj);
    let field = |f: &str| member.required_string(f).map_err(|_| missing_parameter(&format!("{name}.{f}")));
    Ok(Some(NotificationInput {
        face: Face::Json,
        destination: field("Destination")?,
        transport: field("Transport")?,
        version: field("Version")?,
        event_types: member.strings("EventTypes")?.unwrap_or_default(),
    }))
}

/// A required `NotificationSpecification` (SendTestEventNotification).
///
/// # Errors
/// `AWS.MissingParameters`, type errors.
pub fn notification(input: &Input, name: &str) -> Result<NotificationInput> {
    notification_spec(input, name)?.ok_or_else(|| missing_parameter(name))
}

/// An optional `NotificationSpecification` (UpdateNotificationSettings).
///
/// # Errors
/// Type errors, a member missing inside it.
pub fn opt_notification(input: &Input, name: &str) -> Result<Option<NotificationInput>> {
    notification_spec(input, name)
}
