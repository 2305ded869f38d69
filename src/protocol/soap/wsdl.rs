//! The WSDL of the SOAP face, written by mturk-local from the facts of the
//! published `AWSMechanicalTurkRequester.wsdl` (2014-08-15: operation,
//! message, port type, binding and service names, the document/literal SOAP
//! 1.1 binding with `soapAction="http://soap.amazon.com"`, and the element
//! sequences of its inline schema), not copied from Amazon's file.
//!
//! One WSDL per published version: the same 44 operations, in that
//! version's namespace, with `soap:address` on the host the client used (as
//! GetFileUploadURL builds its addresses), so a WSDL-driven client needs only
//! the WSDL's address. Served at `GET /onca/soap?wsdl` (latest, or
//! `&Version=`) and `GET /AWSMechanicalTurk/[<version>/]AWSMechanicalTurkRequester.wsdl`,
//! the path Amazon published them under. The schema is inline, as in the
//! 2014-08-15 file, so nothing else is fetched.
//!
//! Simple values are typed `xs:string` (and `Timestamp` `xs:dateTime`):
//! the wire text is the same, and every value is checked by the operation's
//! decoders as on the REST face.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::protocol::legacy_xml::dispatch::OPERATIONS;
use crate::protocol::legacy_xml::envelope::escape_into;
use crate::protocol::legacy_xml::VERSIONS;
use crate::state::AppState;

use super::request::namespace;
use super::SOAP_ACTION;

/// The latest published version, served when none is named.
pub const LATEST: &str = "2014-08-15";

/// Whether a query string asks for the WSDL (`?wsdl`, any case, any value).
#[must_use]
pub fn asked_for(query: Option<&str>) -> bool {
    query.is_some_and(|q| {
        q.split('&').any(|pair| pair.split_once('=').map_or(pair, |(k, _)| k).eq_ignore_ascii_case("wsdl"))
    })
}

/// The `Version` a `?wsdl` query names, if any.
#[must_use]
pub fn version_asked(query: Option<&str>) -> Option<String> {
    query?.split('&').find_map(|pair| pair.strip_prefix("Version=").map(str::to_owned))
}

/// `GET /AWSMechanicalTurk/<version>/AWSMechanicalTurkRequester.wsdl`.
pub async fn versioned(State(state): State<AppState>, Path(version): Path<String>, headers: HeaderMap) -> Response {
    answer(&state, &headers, Some(version))
}

/// `GET /AWSMechanicalTurk/AWSMechanicalTurkRequester.wsdl`: the latest version.
pub async fn latest(State(state): State<AppState>, headers: HeaderMap) -> Response {
    answer(&state, &headers, None)
}

/// The WSDL of `version` (the latest when `None`), or 404 for a version that
/// was never published.
#[must_use]
pub fn answer(state: &AppState, headers: &HeaderMap, version: Option<String>) -> Response {
    let version = version.unwrap_or_else(|| LATEST.to_owned());
    if !VERSIONS.contains(&version.as_str()) {
        let known = VERSIONS.join(", ");
        return (
            StatusCode::NOT_FOUND,
            format!("No WSDL for version {version:?}: the published versions are {known}.\n"),
        )
            .into_response();
    }
    let address = format!("{}/onca/soap?Service=AWSMechanicalTurkRequester", state.origin(headers));
    let mut response = write(&version, &address).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml; charset=utf-8"));
    response
}

/// The element sequences of the schema's complex types, in the notation of
/// `tests/clients/legacy/test_schema_order.py` (which checks every answer
/// against the same data): one child per word, `Name` once, `Name?` 0..1,
/// `Name*` 0..n, `Name+` 1..n, `Name{m,n}`; `Name:Type` a child of complex
/// type `Type` (`Name:` when the type has the child's name), no `:` a simple
/// value. Where mturk-local sends what the live service was captured sending
/// rather than what the 2014-08-15 schema says (the counter order of
/// listings, the NotifyWorkers failure order), the sequence describes what it
/// sends; the test file says why for each. `HIT` is the schema's: the SOAP
/// face leaves out the captured `NumberOfSimilarHITs` (`strict_schema` in
/// `soap/mod.rs`).
pub const SEQUENCES: &[(&str, &str)] = &[
    ("ApproveAssignmentRequest", "AssignmentId ResponseGroup* RequesterFeedback?"),
    ("ApproveAssignmentResponse", "OperationRequest:? ApproveAssignmentResult:*"),
    ("ApproveAssignmentResult", "Request:?"),
    ("ApproveRejectedAssignmentRequest", "AssignmentId ResponseGroup* RequesterFeedback?"),
    ("ApproveRejectedAssignmentResponse", "OperationRequest:? ApproveRejectedAssignmentResult:*"),
    ("ApproveRejectedAssignmentResult", "Request:?"),
    ("Arguments", "Argument:Arguments.Argument+"),
    ("Arguments.Argument", ""),
    ("AssignQualificationRequest", "QualificationTypeId WorkerId IntegerValue? SendNotification? ResponseGroup*"),
    ("AssignQualificationResponse", "OperationRequest:? AssignQualificationResult:*"),
    ("AssignQualificationResult", "Request:?"),
    (
        "Assignment",
        "Request:? AssignmentId? WorkerId? HITId? AssignmentStatus? AutoApprovalTime? AcceptTime? \
         SubmitTime? ApprovalTime? RejectionTime? Deadline? Answer? RequesterFeedback?",
    ),
    ("BlockWorkerRequest", "WorkerId Reason ResponseGroup*"),
    ("BlockWorkerResponse", "OperationRequest:? BlockWorkerResult:*"),
    ("BlockWorkerResult", "Request:?"),
    ("BonusPayment", "Request:? WorkerId? BonusAmount:Price? AssignmentId? Reason? GrantTime?"),
    ("ChangeHITTypeOfHITRequest", "HITId HITTypeId ResponseGroup*"),
    ("ChangeHITTypeOfHITResponse", "OperationRequest:? ChangeHITTypeOfHITResult:*"),
    ("ChangeHITTypeOfHITResult", "Request:?"),
    (
        "CreateHITRequest",
        "HITTypeId? MaxAssignments? AutoApprovalDelayInSeconds? LifetimeInSeconds \
         AssignmentDurationInSeconds? Reward:Price? Title? Keywords? Description? Question? \
         RequesterAnnotation? QualificationRequirement:* UniqueRequestToken? \
         AssignmentReviewPolicy:ReviewPolicy? HITReviewPolicy:ReviewPolicy? HITLayoutId? HITLayoutParameter:* \
         ResponseGroup*",
    ),
    ("CreateHITResponse", "OperationRequest:? HIT:*"),
    (
        "CreateQualificationTypeRequest",
        "Name Keywords? Description? QualificationTypeStatus? RetryDelayInSeconds? \
         Test? AnswerKey? TestDurationInSeconds? AutoGranted? AutoGrantedValue? ResponseGroup*",
    ),
    ("CreateQualificationTypeResponse", "OperationRequest:? QualificationType:*"),
    ("DataPoint", "Date LongValue? DoubleValue?"),
    ("DisableHITRequest", "HITId ResponseGroup*"),
    ("DisableHITResponse", "OperationRequest:? DisableHITResult:*"),
    ("DisableHITResult", "Request:?"),
    ("DisposeHITRequest", "HITId ResponseGroup*"),
    ("DisposeHITResponse", "OperationRequest:? DisposeHITResult:*"),
    ("DisposeHITResult", "Request:?"),
    ("DisposeQualificationTypeRequest", "QualificationTypeId?"),
    ("DisposeQualificationTypeResponse", "OperationRequest:? DisposeQualificationTypeResult:*"),
    ("DisposeQualificationTypeResult", "Request:?"),
    ("Errors", "Error:Errors.Error+"),
    ("Errors.Error", "Code Message Data:KeyValuePair*"),
    (
        "ExtendHITRequest",
        "HITId MaxAssignmentsIncrement? ExpirationIncrementInSeconds? UniqueRequestToken? \
         ResponseGroup*",
    ),
    ("ExtendHITResponse", "OperationRequest:? ExtendHITResult:*"),
    ("ExtendHITResult", "Request:?"),
    ("ForceExpireHITRequest", "HITId ResponseGroup*"),
    ("ForceExpireHITResponse", "OperationRequest:? ForceExpireHITResult:*"),
    ("ForceExpireHITResult", "Request:?"),
    ("GetAccountBalanceRequest", "ResponseGroup* Unused?"),
    ("GetAccountBalanceResponse", "OperationRequest:? GetAccountBalanceResult:*"),
    ("GetAccountBalanceResult", "Request:? AvailableBalance:Price? OnHoldBalance:Price?"),
    ("GetAssignmentRequest", "AssignmentId ResponseGroup*"),
    ("GetAssignmentResponse", "OperationRequest:? GetAssignmentResult:*"),
    ("GetAssignmentResult", "Request:? Assignment:? HIT:?"),
    (
        "GetAssignmentsForHITRequest",
        "HITId SortDirection? SortProperty? PageNumber? PageSize? AssignmentStatus* \
         ResponseGroup*",
    ),
    ("GetAssignmentsForHITResponse", "OperationRequest:? GetAssignmentsForHITResult:*"),
    ("GetAssignmentsForHITResult", "Request:? NumResults? TotalNumResults? PageNumber? Assignment:*"),
    ("GetBlockedWorkersRequest", "PageNumber? PageSize? ResponseGroup*"),
    ("GetBlockedWorkersResponse", "OperationRequest:? GetBlockedWorkersResult:*"),
    ("GetBlockedWorkersResult", "Request:? PageNumber? NumResults? TotalNumResults? WorkerBlock:*"),
    ("GetBonusPaymentsRequest", "HITId? AssignmentId? PageNumber? PageSize? ResponseGroup*"),
    ("GetBonusPaymentsResponse", "OperationRequest:? GetBonusPaymentsResult:*"),
    ("GetBonusPaymentsResult", "Request:? NumResults? TotalNumResults? PageNumber? BonusPayment:*"),
    ("GetFileUploadURLRequest", "AssignmentId QuestionIdentifier"),
    ("GetFileUploadURLResponse", "OperationRequest:? GetFileUploadURLResult:*"),
    ("GetFileUploadURLResult", "Request:? FileUploadURL"),
    ("GetHITRequest", "HITId ResponseGroup*"),
    ("GetHITResponse", "OperationRequest:? HIT:*"),
    ("GetHITsForQualificationTypeRequest", "QualificationTypeId PageNumber? PageSize? ResponseGroup*"),
    ("GetHITsForQualificationTypeResponse", "OperationRequest:? GetHITsForQualificationTypeResult:*"),
    ("GetHITsForQualificationTypeResult", "Request:? NumResults? TotalNumResults? PageNumber? HIT:*"),
    (
        "GetQualificationRequestsRequest",
        "QualificationTypeId? SortDirection? SortProperty? PageNumber? PageSize? \
         ResponseGroup*",
    ),
    ("GetQualificationRequestsResponse", "OperationRequest:? GetQualificationRequestsResult:*"),
    ("GetQualificationRequestsResult", "Request:? NumResults? TotalNumResults? PageNumber? QualificationRequest:*"),
    ("GetQualificationScoreRequest", "QualificationTypeId SubjectId ResponseGroup*"),
    ("GetQualificationScoreResponse", "OperationRequest:? Qualification:*"),
    ("GetQualificationTypeRequest", "QualificationTypeId ResponseGroup*"),
    ("GetQualificationTypeResponse", "OperationRequest:? QualificationType:*"),
    (
        "GetQualificationsForQualificationTypeRequest",
        "QualificationTypeId Status? PageNumber? PageSize? \
         ResponseGroup*",
    ),
    (
        "GetQualificationsForQualificationTypeResponse",
        "OperationRequest:? \
         GetQualificationsForQualificationTypeResult:*",
    ),
    (
        "GetQualificationsForQualificationTypeResult",
        "Request:? NumResults? TotalNumResults? PageNumber? \
         Qualification:*",
    ),
    ("GetRequesterStatisticRequest", "Statistic TimePeriod? Count? ResponseGroup*"),
    ("GetRequesterStatisticResponse", "OperationRequest:? GetStatisticResult:*"),
    ("GetRequesterWorkerStatisticRequest", "Statistic TimePeriod? WorkerId Count? ResponseGroup*"),
    ("GetRequesterWorkerStatisticResponse", "OperationRequest:? GetStatisticResult:*"),
    (
        "GetReviewResultsForHITRequest",
        "HITId PolicyLevel* RetrieveActions? RetrieveResults? PageNumber? PageSize? \
         ResponseGroup*",
    ),
    ("GetReviewResultsForHITResponse", "OperationRequest:? GetReviewResultsForHITResult:*"),
    (
        "GetReviewResultsForHITResult",
        "Request:? HITId AssignmentReviewPolicy:ReviewPolicy? \
         HITReviewPolicy:ReviewPolicy? AssignmentReviewReport:ReviewReport? HITReviewReport:ReviewReport?",
    ),
    (
        "GetReviewableHITsRequest",
        "HITTypeId? Status? SortDirection? SortProperty? PageNumber? PageSize? \
         ResponseGroup*",
    ),
    ("GetReviewableHITsResponse", "OperationRequest:? GetReviewableHITsResult:*"),
    ("GetReviewableHITsResult", "Request:? NumResults? TotalNumResults? PageNumber? HIT:*"),
    ("GetStatisticResult", "Request:? DataPoint:* Statistic? TimePeriod? WorkerId?"),
    ("GrantBonusRequest", "WorkerId BonusAmount:Price AssignmentId Reason UniqueRequestToken? ResponseGroup*"),
    ("GrantBonusResponse", "OperationRequest:? GrantBonusResult:*"),
    ("GrantBonusResult", "Request:?"),
    ("GrantQualificationRequest", "QualificationRequestId IntegerValue? ResponseGroup*"),
    ("GrantQualificationResponse", "OperationRequest:? GrantQualificationResult:*"),
    ("GrantQualificationResult", "Request:?"),
    (
        "HIT",
        "Request:? HITId? HITTypeId? HITGroupId? HITLayoutId? CreationTime? Title? Description? Question? \
         Keywords? HITStatus? MaxAssignments? Reward:Price? AutoApprovalDelayInSeconds? Expiration? \
         AssignmentDurationInSeconds? RequesterAnnotation? QualificationRequirement:* \
         HITReviewStatus? NumberOfAssignmentsPending? NumberOfAssignmentsAvailable? \
         NumberOfAssignmentsCompleted?",
    ),
    ("HITLayoutParameter", "Name Value"),
    ("HTTPHeaders", "Header:HTTPHeaders.Header*"),
    ("HTTPHeaders.Header", ""),
    ("HelpRequest", "About+ HelpType? ResponseGroup*"),
    ("HelpResponse", "OperationRequest:? Information:*"),
    ("Information", "Request:? OperationInformation:* ResponseGroupInformation:*"),
    ("KeyValuePair", "Key Value"),
    ("Locale", "Country? Subdivision?"),
    ("NotificationSpecification", "Destination Transport Version EventType*"),
    ("NotifyWorkersFailureStatus", "WorkerId NotifyWorkersFailureMessage NotifyWorkersFailureCode"),
    ("NotifyWorkersRequest", "Subject? MessageText WorkerId{1,100} ResponseGroup*"),
    ("NotifyWorkersResponse", "OperationRequest:? NotifyWorkersResult:*"),
    ("NotifyWorkersResult", "Request:? NotifyWorkersFailureStatus:{0,100}"),
    (
        "OperationInformation",
        "Name? Description? RequiredParameters:OperationInformation.RequiredParameters? \
         AvailableParameters:OperationInformation.AvailableParameters? \
         DefaultResponseGroups:OperationInformation.DefaultResponseGroups? \
         AvailableResponseGroups:OperationInformation.AvailableResponseGroups?",
    ),
    ("OperationInformation.AvailableParameters", "Parameter+"),
    ("OperationInformation.AvailableResponseGroups", "ResponseGroup+"),
    ("OperationInformation.DefaultResponseGroups", "ResponseGroup+"),
    ("OperationInformation.RequiredParameters", "Parameter+"),
    ("OperationRequest", "HTTPHeaders:? RequestId? Arguments:? Errors:?"),
    ("ParameterMapEntry", "Key Value*"),
    ("PolicyParameter", "Key Value* MapEntry:ParameterMapEntry*"),
    ("Price", "Amount CurrencyCode FormattedPrice?"),
    (
        "Qualification",
        "Request:? QualificationTypeId? SubjectId? GrantTime? IntegerValue? LocaleValue:Locale? \
         Status?",
    ),
    ("QualificationRequest", "QualificationRequestId QualificationTypeId SubjectId Test? Answer? SubmitTime"),
    (
        "QualificationRequirement",
        "QualificationTypeId Comparator IntegerValue* LocaleValue:Locale* \
         RequiredToPreview?",
    ),
    (
        "QualificationType",
        "Request:? QualificationTypeId? CreationTime? Name? Description? Keywords? \
         QualificationTypeStatus? Test? TestDurationInSeconds? AnswerKey? RetryDelayInSeconds? IsRequestable? \
         AutoGranted? AutoGrantedValue?",
    ),
    (
        "RegisterHITTypeRequest",
        "AutoApprovalDelayInSeconds? AssignmentDurationInSeconds Reward:Price Title \
         Keywords? Description QualificationRequirement:* ResponseGroup*",
    ),
    ("RegisterHITTypeResponse", "OperationRequest:? RegisterHITTypeResult:*"),
    ("RegisterHITTypeResult", "Request:? HITTypeId?"),
    ("RejectAssignmentRequest", "AssignmentId ResponseGroup* RequesterFeedback?"),
    ("RejectAssignmentResponse", "OperationRequest:? RejectAssignmentResult:*"),
    ("RejectAssignmentResult", "Request:?"),
    ("RejectQualificationRequestRequest", "QualificationRequestId Reason? ResponseGroup*"),
    ("RejectQualificationRequestResponse", "OperationRequest:? RejectQualificationRequestResult:*"),
    ("RejectQualificationRequestResult", "Request:?"),
    (
        "Request",
        "IsValid? CreateHITRequest:? RegisterHITTypeRequest:? DisposeHITRequest:? DisableHITRequest:? \
         GetHITRequest:? GetAssignmentRequest:? GetReviewResultsForHITRequest:? GetReviewableHITsRequest:? \
         GetHITsForQualificationTypeRequest:? GetQualificationsForQualificationTypeRequest:? \
         SetHITAsReviewingRequest:? SearchHITsRequest:? ExtendHITRequest:? ForceExpireHITRequest:? \
         ChangeHITTypeOfHITRequest:? CreateQualificationTypeRequest:? DisposeQualificationTypeRequest:? \
         GrantQualificationRequest:? AssignQualificationRequest:? RevokeQualificationRequest:? \
         GetQualificationRequestsRequest:? RejectQualificationRequestRequest:? GetQualificationTypeRequest:? \
         SearchQualificationTypesRequest:? UpdateQualificationTypeRequest:? ApproveAssignmentRequest:? \
         RejectAssignmentRequest:? ApproveRejectedAssignmentRequest:? GetAssignmentsForHITRequest:? \
         GetFileUploadURLRequest:? GrantBonusRequest:? GetBonusPaymentsRequest:? GetAccountBalanceRequest:? \
         NotifyWorkersRequest:? GetBlockedWorkersRequest:? BlockWorkerRequest:? UnblockWorkerRequest:? \
         GetRequesterStatisticRequest:? GetRequesterWorkerStatisticRequest:? HelpRequest:? Errors:?",
    ),
    (
        "ResponseGroupInformation",
        "Name? CreationDate? ValidOperations:ResponseGroupInformation.ValidOperations? \
         Elements:ResponseGroupInformation.Elements?",
    ),
    ("ResponseGroupInformation.Elements", "Element+"),
    ("ResponseGroupInformation.ValidOperations", "Operation+"),
    ("ReviewActionDetail", "ActionId ActionName ObjectId ObjectType Status CompleteTime? Result? ErrorCode?"),
    ("ReviewPolicy", "PolicyName Parameter:PolicyParameter*"),
    (
        "ReviewReport",
        "PageNumber? NumResults? TotalNumResults? ReviewResult:ReviewResultDetail* \
         ReviewAction:ReviewActionDetail*",
    ),
    ("ReviewResultDetail", "ActionId SubjectId SubjectType QuestionId? Key Value"),
    ("RevokeQualificationRequest", "SubjectId QualificationTypeId Reason? ResponseGroup*"),
    ("RevokeQualificationResponse", "OperationRequest:? RevokeQualificationResult:*"),
    ("RevokeQualificationResult", "Request:?"),
    ("SearchHITsRequest", "SortDirection? SortProperty? PageNumber? PageSize? ResponseGroup*"),
    ("SearchHITsResponse", "OperationRequest:? SearchHITsResult:*"),
    ("SearchHITsResult", "Request:? NumResults? TotalNumResults? PageNumber? HIT:*"),
    (
        "SearchQualificationTypesRequest",
        "Query? MustBeRequestable MustBeOwnedByCaller? SortDirection? SortProperty? \
         PageNumber? PageSize? ResponseGroup*",
    ),
    ("SearchQualificationTypesResponse", "OperationRequest:? SearchQualificationTypesResult:*"),
    ("SearchQualificationTypesResult", "Request:? NumResults? TotalNumResults? PageNumber? QualificationType:*"),
    ("SendTestEventNotificationRequest", "Notification:NotificationSpecification TestEventType?"),
    ("SendTestEventNotificationResponse", "OperationRequest:? SendTestEventNotificationResult:*"),
    ("SendTestEventNotificationResult", "Request:?"),
    ("SetHITAsReviewingRequest", "HITId Revert? ResponseGroup*"),
    ("SetHITAsReviewingResponse", "OperationRequest:? SetHITAsReviewingResult:*"),
    ("SetHITAsReviewingResult", "Request:?"),
    ("SetHITTypeNotificationRequest", "HITTypeId Notification:NotificationSpecification? Active?"),
    ("SetHITTypeNotificationResponse", "OperationRequest:? SetHITTypeNotificationResult:*"),
    ("SetHITTypeNotificationResult", "Request:?"),
    ("UnblockWorkerRequest", "WorkerId Reason? ResponseGroup*"),
    ("UnblockWorkerResponse", "OperationRequest:? UnblockWorkerResult:*"),
    ("UnblockWorkerResult", "Request:?"),
    ("UpdateQualificationScoreRequest", "QualificationTypeId SubjectId IntegerValue? ResponseGroup*"),
    ("UpdateQualificationScoreResponse", "OperationRequest:? UpdateQualificationScoreResult:*"),
    ("UpdateQualificationScoreResult", "Request:?"),
    (
        "UpdateQualificationTypeRequest",
        "QualificationTypeId Description? QualificationTypeStatus? Test? AnswerKey? \
         TestDurationInSeconds? RetryDelayInSeconds? AutoGranted? AutoGrantedValue? ResponseGroup*",
    ),
    ("UpdateQualificationTypeResponse", "OperationRequest:? QualificationType:*"),
    ("WorkerBlock", "WorkerId Reason"),
];

/// One child of a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Child<'a> {
    /// The element's name.
    pub name: &'a str,
    /// Its complex type, `None` for a simple value.
    pub complex: Option<&'a str>,
    /// `minOccurs`.
    pub min: u32,
    /// `maxOccurs`, `None` for unbounded.
    pub max: Option<u32>,
}

/// Reads one word of [`SEQUENCES`]' notation; `None` if it is not one.
#[must_use]
pub fn child(word: &str) -> Option<Child<'_>> {
    let split = word.find(['?', '*', '+', '{']).unwrap_or(word.len());
    let (head, occurs) = word.split_at(split);
    let (name, complex) = match head.split_once(':') {
        Some((name, "")) => (name, Some(name)),
        Some((name, ty)) => (name, Some(ty)),
        None => (head, None),
    };
    let (min, max) = match occurs {
        "" => (1, Some(1)),
        "?" => (0, Some(1)),
        "*" => (0, None),
        "+" => (1, None),
        range => {
            let (low, high) = range.strip_prefix('{')?.strip_suffix('}')?.split_once(',')?;
            (low.parse().ok()?, if high.is_empty() { None } else { Some(high.parse().ok()?) })
        }
    };
    (!name.is_empty()).then_some(Child { name, complex, min, max })
}

fn element(xml: &mut String, c: &Child<'_>) {
    xml.push_str("<xs:element name=\"");
    xml.push_str(c.name);
    xml.push_str("\" type=\"");
    match c.complex {
        Some(ty) => {
            xml.push_str("tns:");
            xml.push_str(ty);
        }
        None if c.name == "Timestamp" => xml.push_str("xs:dateTime"),
        None => xml.push_str("xs:string"),
    }
    xml.push('"');
    if c.min != 1 {
        let _ = write!(xml, " minOccurs=\"{}\"", c.min);
    }
    match c.max {
        Some(1) => {}
        Some(n) => {
            let _ = write!(xml, " maxOccurs=\"{n}\"");
        }
        None => xml.push_str(" maxOccurs=\"unbounded\""),
    }
    xml.push_str("/>");
}

fn complex_type(xml: &mut String, name: &str, sequence: &str) {
    xml.push_str("<xs:complexType name=\"");
    xml.push_str(name);
    xml.push_str("\"><xs:sequence>");
    for c in sequence.split_whitespace().filter_map(child) {
        element(xml, &c);
    }
    xml.push_str("</xs:sequence></xs:complexType>\n");
}

/// The WSDL of `version`, with `address` as its `soap:address`.
#[must_use]
pub fn write(version: &str, address: &str) -> String {
    let ns = namespace(version);
    let mut xml = String::with_capacity(96 * 1024);
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<!-- AWSMechanicalTurkRequester, version {version}: written by mturk-local from the facts of the \
         published WSDL. -->"
    );
    let _ = write!(
        xml,
        "<definitions xmlns=\"http://schemas.xmlsoap.org/wsdl/\" \
         xmlns:soap=\"http://schemas.xmlsoap.org/wsdl/soap/\" \
         xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" xmlns:tns=\"{ns}\" targetNamespace=\"{ns}\">\n<types>\n\
         <xs:schema targetNamespace=\"{ns}\" xmlns:tns=\"{ns}\" elementFormDefault=\"qualified\">\n"
    );
    for (name, sequence) in SEQUENCES {
        complex_type(&mut xml, name, sequence);
    }
    for op in OPERATIONS {
        let name = op.name;
        // The operation element: the common parameters, then the batched requests.
        complex_type(
            &mut xml,
            &format!("{name}.Call"),
            &format!("AWSAccessKeyId Timestamp Signature Validate? Credential? Request:{name}Request+"),
        );
        let _ = write!(
            xml,
            "<xs:element name=\"{name}\" type=\"tns:{name}.Call\"/>\n\
             <xs:element name=\"{name}Response\" type=\"tns:{name}Response\"/>\n"
        );
    }
    xml.push_str("</xs:schema>\n</types>\n");
    for op in OPERATIONS {
        let name = op.name;
        let _ = write!(
            xml,
            "<message name=\"{name}RequestMsg\"><part name=\"body\" element=\"tns:{name}\"/></message>\n\
             <message name=\"{name}ResponseMsg\"><part name=\"body\" element=\"tns:{name}Response\"/></message>\n"
        );
    }
    xml.push_str("<portType name=\"AWSMechanicalTurkRequesterPortType\">\n");
    for op in OPERATIONS {
        let name = op.name;
        let _ = writeln!(
            xml,
            "<operation name=\"{name}\"><input message=\"tns:{name}RequestMsg\"/>\
             <output message=\"tns:{name}ResponseMsg\"/></operation>"
        );
    }
    xml.push_str(
        "</portType>\n<binding name=\"AWSMechanicalTurkRequesterBinding\" \
         type=\"tns:AWSMechanicalTurkRequesterPortType\">\n\
         <soap:binding style=\"document\" transport=\"http://schemas.xmlsoap.org/soap/http\"/>\n",
    );
    for op in OPERATIONS {
        let _ = writeln!(
            xml,
            "<operation name=\"{}\"><soap:operation soapAction=\"{SOAP_ACTION}\"/>\
             <input><soap:body use=\"literal\"/></input><output><soap:body use=\"literal\"/></output></operation>",
            op.name
        );
    }
    xml.push_str(
        "</binding>\n<service name=\"AWSMechanicalTurkRequester\">\n\
         <port name=\"AWSMechanicalTurkRequesterPort\" binding=\"tns:AWSMechanicalTurkRequesterBinding\">\
         <soap:address location=\"",
    );
    // The Host header is the client's: escaped like any text.
    escape_into(&mut xml, address);
    xml.push_str("\"/></port>\n</service>\n</definitions>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_data_is_closed_and_covers_every_operation() {
        let names: Vec<&str> = SEQUENCES.iter().map(|(n, _)| *n).collect();
        for (name, sequence) in SEQUENCES {
            let words: Vec<&str> = sequence.split_whitespace().collect();
            let children: Vec<Child<'_>> = words.iter().filter_map(|w| child(w)).collect();
            assert_eq!(children.len(), words.len(), "{name}: {sequence}");
            for c in children {
                assert!(c.complex.is_none_or(|t| names.contains(&t)), "{name}: {} of type {:?}", c.name, c.complex);
            }
        }
        for op in OPERATIONS {
            assert!(names.contains(&format!("{}Request", op.name).as_str()), "{}Request", op.name);
            assert!(names.contains(&format!("{}Response", op.name).as_str()), "{}Response", op.name);
        }
    }

    #[test]
    fn the_wsdl_names_every_operation_and_this_server() {
        let wsdl = write("2012-03-25", "http://h:1/onca/soap?Service=AWSMechanicalTurkRequester&x=\"");
        assert!(wsdl.contains("targetNamespace=\"http://requester.mturk.amazonaws.com/doc/2012-03-25\""));
        assert!(wsdl.contains(
            "<soap:address location=\"http://h:1/onca/soap?Service=AWSMechanicalTurkRequester&amp;x=&quot;\"/>"
        ));
        for op in OPERATIONS {
            assert!(wsdl.contains(&format!("<operation name=\"{}\"><soap:operation", op.name)), "{}", op.name);
        }
        assert!(wsdl.contains("<xs:element name=\"Request\" type=\"tns:CreateHITRequest\" maxOccurs=\"unbounded\"/>"));
    }

    #[test]
    fn the_query_asks_for_the_wsdl_in_any_case() {
        assert!(asked_for(Some("wsdl")));
        assert!(asked_for(Some("Service=AWSMechanicalTurkRequester&WSDL")));
        assert!(!asked_for(Some("Service=AWSMechanicalTurkRequester")));
        assert!(!asked_for(None));
        assert_eq!(version_asked(Some("wsdl&Version=2012-03-25")).as_deref(), Some("2012-03-25"));
    }
}
