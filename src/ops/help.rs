//! Help (legacy): what the service says about its own operations and response
//! groups. The catalog below is ours (names, parameters and response groups of
//! the 2014-08-15 API; descriptions written for mturk-local), answered in the
//! `Information` shape of the 2014-08-15 XSD by the legacy face.

use crate::error::{invalid_value_because, Result};

use super::Ctx;

/// What `HelpType` asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelpType {
    /// Operations (the default).
    Operation,
    /// Response groups.
    ResponseGroup,
}

/// Input of Help.
#[derive(Debug, Clone)]
pub struct HelpQuery {
    /// The names asked about (`About`, repeatable), in the order given.
    pub about: Vec<String>,
    /// Whether they name operations or response groups.
    pub kind: HelpType,
}

/// One operation of the legacy API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationInfo {
    /// Wire name.
    pub name: &'static str,
    /// What it does, in one sentence of ours.
    pub description: &'static str,
    /// Parameters it cannot do without.
    pub required: &'static [&'static str],
    /// Parameters it takes besides those.
    pub optional: &'static [&'static str],
    /// Response groups beyond `Minimal` and `Request`.
    pub extra_groups: &'static [&'static str],
}

impl OperationInfo {
    /// Every response group the operation answers: `Minimal`, `Request`, then its own.
    #[must_use]
    pub fn response_groups(&self) -> Vec<&'static str> {
        let mut groups = vec!["Minimal", "Request"];
        groups.extend_from_slice(self.extra_groups);
        groups
    }
}

/// One response group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseGroupInfo {
    /// Its name.
    pub name: &'static str,
    /// The operations that take it.
    pub operations: Vec<&'static str>,
    /// The elements it adds to an answer.
    pub elements: &'static [&'static str],
}

/// What Help found, in the order asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Information {
    /// `OperationInformation` elements.
    Operations(Vec<&'static OperationInfo>),
    /// `ResponseGroupInformation` elements.
    ResponseGroups(Vec<ResponseGroupInfo>),
}

const HIT_GROUPS: &[&str] = &["HITDetail", "HITQuestion", "HITAssignmentSummary"];

macro_rules! op {
    ($name:literal, $desc:literal, [$($r:literal),*], [$($o:literal),*]) => {
        op!($name, $desc, [$($r),*], [$($o),*], &[])
    };
    ($name:literal, $desc:literal, [$($r:literal),*], [$($o:literal),*], $groups:expr) => {
        OperationInfo { name: $name, description: $desc, required: &[$($r),*], optional: &[$($o),*], extra_groups: $groups }
    };
}

/// Every operation of the 2014-08-15 API, by name.
pub static OPERATIONS: &[OperationInfo] = &[
    op!(
        "ApproveAssignment",
        "Accepts a submitted assignment and pays its reward plus the fee.",
        ["AssignmentId"],
        ["RequesterFeedback"]
    ),
    op!(
        "ApproveRejectedAssignment",
        "Turns a rejection into an approval, within 30 days of submission, and pays.",
        ["AssignmentId"],
        ["RequesterFeedback"]
    ),
    op!(
        "AssignQualification",
        "Gives a worker a qualification of one of your types.",
        ["QualificationTypeId", "WorkerId"],
        ["IntegerValue", "SendNotification"]
    ),
    op!("BlockWorker", "Keeps a worker away from all of your HITs.", ["WorkerId", "Reason"], []),
    op!("ChangeHITTypeOfHIT", "Moves a HIT to another HIT type.", ["HITId", "HITTypeId"], []),
    op!(
        "CreateHIT",
        "Publishes a new HIT, from a HIT type or from its properties.",
        ["LifetimeInSeconds"],
        [
            "HITTypeId",
            "Title",
            "Description",
            "Reward",
            "AssignmentDurationInSeconds",
            "Keywords",
            "AutoApprovalDelayInSeconds",
            "QualificationRequirement",
            "Question",
            "HITLayoutId",
            "HITLayoutParameter",
            "MaxAssignments",
            "RequesterAnnotation",
            "AssignmentReviewPolicy",
            "HITReviewPolicy",
            "UniqueRequestToken"
        ],
        HIT_GROUPS
    ),
    op!(
        "CreateQualificationType",
        "Defines a new qualification type, with or without a test.",
        ["Name", "Description", "QualificationTypeStatus"],
        [
            "Keywords",
            "RetryDelayInSeconds",
            "Test",
            "AnswerKey",
            "TestDurationInSeconds",
            "AutoGranted",
            "AutoGrantedValue"
        ]
    ),
    op!("DisableHIT", "Takes a HIT off the marketplace, approves what was submitted and deletes it.", ["HITId"], []),
    op!("DisposeHIT", "Deletes a reviewed HIT that has nothing left in progress.", ["HITId"], []),
    op!("DisposeQualificationType", "Deletes one of your qualification types.", ["QualificationTypeId"], []),
    op!(
        "ExtendHIT",
        "Gives a HIT more assignments, more time, or both.",
        ["HITId"],
        ["MaxAssignmentsIncrement", "ExpirationIncrementInSeconds", "UniqueRequestToken"]
    ),
    op!("ForceExpireHIT", "Ends a HIT's availability now.", ["HITId"], []),
    op!("GetAccountBalance", "Tells how much money your account holds.", [], []),
    op!(
        "GetAssignment",
        "Reads one submitted assignment and its HIT.",
        ["AssignmentId"],
        [],
        &["AssignmentFeedback", "HITDetail", "HITQuestion"]
    ),
    op!(
        "GetAssignmentsForHIT",
        "Lists a HIT's submitted, approved and rejected assignments.",
        ["HITId"],
        ["AssignmentStatus", "SortProperty", "SortDirection", "PageSize", "PageNumber"],
        &["AssignmentFeedback"]
    ),
    op!("GetBlockedWorkers", "Lists the workers you blocked.", [], ["PageSize", "PageNumber"]),
    op!(
        "GetBonusPayments",
        "Lists the bonuses paid for a HIT or an assignment.",
        [],
        ["HITId", "AssignmentId", "PageSize", "PageNumber"]
    ),
    op!(
        "GetFileUploadURL",
        "Gives a short-lived address to download a file a worker uploaded as an answer.",
        ["AssignmentId", "QuestionIdentifier"],
        []
    ),
    op!("GetHIT", "Reads one of your HITs.", ["HITId"], [], HIT_GROUPS),
    op!(
        "GetHITsForQualificationType",
        "Lists your HITs that require a qualification type.",
        ["QualificationTypeId"],
        ["PageSize", "PageNumber"]
    ),
    op!(
        "GetQualificationRequests",
        "Lists the requests workers made for your qualification types.",
        [],
        ["QualificationTypeId", "SortProperty", "SortDirection", "PageSize", "PageNumber"]
    ),
    op!(
        "GetQualificationScore",
        "Reads the value a worker holds of one of your qualification types.",
        ["QualificationTypeId", "SubjectId"],
        []
    ),
    op!("GetQualificationType", "Reads a qualification type.", ["QualificationTypeId"], []),
    op!(
        "GetQualificationsForQualificationType",
        "Lists the workers holding one of your qualification types.",
        ["QualificationTypeId"],
        ["Status", "PageSize", "PageNumber"]
    ),
    op!(
        "GetRequesterStatistic",
        "Reports one statistic of your activity over a time period.",
        ["Statistic"],
        ["TimePeriod", "Count"],
        &["Parameters"]
    ),
    op!(
        "GetRequesterWorkerStatistic",
        "Reports one statistic of a worker's work for you over a time period.",
        ["Statistic", "WorkerId"],
        ["TimePeriod", "Count"],
        &["Parameters"]
    ),
    op!(
        "GetReviewResultsForHIT",
        "Reports what the review policies of a HIT found and did.",
        ["HITId"],
        ["PolicyLevel", "AssignmentId", "RetrieveActions", "RetrieveResults"]
    ),
    op!(
        "GetReviewableHITs",
        "Lists your HITs that are ready for review or being reviewed.",
        [],
        ["HITTypeId", "Status", "SortProperty", "SortDirection", "PageSize", "PageNumber"]
    ),
    op!(
        "GrantBonus",
        "Pays a worker a bonus for one of their assignments.",
        ["WorkerId", "AssignmentId", "BonusAmount", "Reason"],
        ["UniqueRequestToken"]
    ),
    op!(
        "GrantQualification",
        "Grants what a worker asked for in a qualification request.",
        ["QualificationRequestId"],
        ["IntegerValue"]
    ),
    op!("Help", "Describes operations and response groups of this API.", ["About"], ["HelpType"]),
    op!(
        "NotifyWorkers",
        "Sends a message to up to 100 workers who worked for you.",
        ["Subject", "MessageText", "WorkerId"],
        []
    ),
    op!(
        "RegisterHITType",
        "Creates a HIT type, or finds yours with the same properties.",
        ["Title", "Description", "Reward", "AssignmentDurationInSeconds"],
        ["Keywords", "AutoApprovalDelayInSeconds", "QualificationRequirement"]
    ),
    op!(
        "RejectAssignment",
        "Refuses a submitted assignment; the worker is not paid.",
        ["AssignmentId"],
        ["RequesterFeedback"]
    ),
    op!(
        "RejectQualificationRequest",
        "Refuses a worker's qualification request.",
        ["QualificationRequestId"],
        ["Reason"]
    ),
    op!(
        "RevokeQualification",
        "Takes a qualification of one of your types away from a worker.",
        ["SubjectId", "QualificationTypeId"],
        ["Reason"]
    ),
    op!(
        "SearchHITs",
        "Lists all of your HITs.",
        [],
        ["SortProperty", "SortDirection", "PageSize", "PageNumber"],
        HIT_GROUPS
    ),
    op!(
        "SearchQualificationTypes",
        "Finds qualification types by name, description or keywords.",
        ["MustBeRequestable"],
        ["Query", "SortProperty", "SortDirection", "PageSize", "PageNumber", "MustBeOwnedByCaller"]
    ),
    op!(
        "SendTestEventNotification",
        "Sends a sample event to a notification destination.",
        ["Notification", "TestEventType"],
        []
    ),
    op!("SetHITAsReviewing", "Marks a reviewable HIT as being reviewed, or back.", ["HITId"], ["Revert"]),
    op!(
        "SetHITTypeNotification",
        "Sets or switches the notifications of a HIT type.",
        ["HITTypeId"],
        ["Notification", "Active"]
    ),
    op!("UnblockWorker", "Lets a blocked worker take your HITs again.", ["WorkerId"], ["Reason"]),
    op!(
        "UpdateQualificationScore",
        "Changes the value of a qualification a worker holds.",
        ["QualificationTypeId", "SubjectId", "IntegerValue"],
        []
    ),
    op!(
        "UpdateQualificationType",
        "Changes one of your qualification types.",
        ["QualificationTypeId"],
        [
            "RetryDelayInSeconds",
            "QualificationTypeStatus",
            "Description",
            "Test",
            "AnswerKey",
            "TestDurationInSeconds",
            "AutoGranted",
            "AutoGrantedValue"
        ]
    ),
];

/// Every response group, with the elements it adds.
const RESPONSE_GROUPS: &[(&str, &[&str])] = &[
    ("Minimal", &["the result's own elements"]),
    ("Request", &["Request", "IsValid", "Errors"]),
    (
        "HITDetail",
        &[
            "HITGroupId",
            "CreationTime",
            "Title",
            "Description",
            "Keywords",
            "HITStatus",
            "MaxAssignments",
            "Reward",
            "AutoApprovalDelayInSeconds",
            "Expiration",
            "AssignmentDurationInSeconds",
            "QualificationRequirement",
        ],
    ),
    ("HITQuestion", &["Question"]),
    (
        "HITAssignmentSummary",
        &["NumberOfAssignmentsPending", "NumberOfAssignmentsAvailable", "NumberOfAssignmentsCompleted"],
    ),
    ("AssignmentFeedback", &["RequesterFeedback"]),
    ("Parameters", &["Statistic", "TimePeriod", "WorkerId"]),
];

fn operation(name: &str) -> Option<&'static OperationInfo> {
    OPERATIONS.iter().find(|o| o.name == name)
}

fn response_group(name: &str) -> Option<ResponseGroupInfo> {
    let &(name, elements) = RESPONSE_GROUPS.iter().find(|(n, _)| *n == name)?;
    let operations = OPERATIONS.iter().filter(|o| o.response_groups().contains(&name)).map(|o| o.name).collect();
    Some(ResponseGroupInfo { name, operations, elements })
}

/// Help: one description per name asked about, in the order asked.
///
/// # Errors
/// `InvalidParameterValue` for a name that is not an operation (or response
/// group) of the API; names are case-sensitive, as operation names are.
pub async fn help(_ctx: &Ctx, query: HelpQuery) -> Result<Information> {
    let HelpQuery { about, kind } = query;
    let unknown = |name: &str, what: &str| {
        invalid_value_because("About", name, &format!("It is not the name of {what} of this API."))
    };
    match kind {
        HelpType::Operation => about
            .iter()
            .map(|name| operation(name).ok_or_else(|| unknown(name, "an operation")))
            .collect::<Result<Vec<_>>>()
            .map(Information::Operations),
        HelpType::ResponseGroup => about
            .iter()
            .map(|name| response_group(name).ok_or_else(|| unknown(name, "a response group")))
            .collect::<Result<Vec<_>>>()
            .map(Information::ResponseGroups),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_is_sorted_unique_and_complete() {
        let names: Vec<&str> = OPERATIONS.iter().map(|o| o.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
        assert_eq!(names.len(), 44);
    }

    #[test]
    fn a_response_group_lists_the_operations_that_take_it() {
        let g = response_group("HITQuestion").unwrap();
        assert_eq!(g.operations, ["CreateHIT", "GetAssignment", "GetHIT", "SearchHITs"]);
        assert_eq!(response_group("Request").unwrap().operations.len(), 44);
        assert!(response_group("request").is_none());
    }
}
