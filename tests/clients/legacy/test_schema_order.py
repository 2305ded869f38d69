"""Every operation of the 2014-08-15 legacy API, with each answer checked
against the element order of Amazon's `AWSMechanicalTurkRequester.xsd`.

One scenario, as the third requester of run.sh (`hit_credentials`, who pays
for HITs, so the first two keep the balances other tests expect), calls all
44 operations of `src/protocol/legacy_xml/dispatch.rs` through boto 2.49.0's
MTurkConnection: its own methods where it has the operation, and its signed
`_process_request` for the seven it lacks (RejectQualificationRequest,
GetBlockedWorkers, GetHITsForQualificationType, GetBonusPayments,
GetReviewResultsForHIT, GetRequesterStatistic, GetRequesterWorkerStatistic)
and for CreateHIT with review policies. Workers are played through /_local:
they take a qualification test, accept and submit (one with a
FileUploadAnswer), and three of them meet the review policies.

Every answer boto receives goes through `check_answer` before boto parses
it: the root `{Op}Response` and everything in it, recursively, against
XSD_SEQUENCES. A child that is not in its parent's sequence, comes before a
sibling that the sequence puts first, occurs more often than maxOccurs, or a
required child that is missing, fails the test; so does text inside an
element the schema gives children, and children inside a simple value.
Every answer must be IsValid=True with no Errors (the two notification
operations included, now that they are built). Last, the set of operations
whose answers were checked must equal the dispatch table's 44 names.

XSD_SEQUENCES is data of our own, written from the facts of the 2014-08-15
schema (the public copy in jesand/crowds,
amt/gen/mechanicalturk.amazonaws.com/AWSMechanicalTurk/2014-08-15/
AWSMechanicalTurkRequester.xsd; the file itself is not in this repository):
for each complex type reachable from the 44 `{Op}Response` elements, the
ordered sequence of its children. Notation, one child per word:

    Name          exactly once (minOccurs 1, maxOccurs 1)
    Name?         0..1          Name*   0..unbounded     Name+   1..unbounded
    Name{m,n}     m..n
    Name:Type     the child has the complex type Type; `Name:` when the type
                  has the child's own name; no `:` means a simple value.

Anonymous types are named Parent.Child (e.g. `Errors.Error`). Where
mturk-local deliberately follows answers captured from the live service over
the XSD, CAPTURED_OVERRIDES replaces the sequence and says why.
"""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from boto.mturk.connection import MTurkConnection, MTurkRequestError
from boto.mturk.price import Price
from boto.mturk.qualification import Qualifications, Requirement
from boto.mturk.question import (
    AnswerSpecification,
    FileUploadAnswer,
    FreeTextAnswer,
    Question,
    QuestionContent,
    QuestionForm,
)

from boto2_support import connect
from mturk_local_testing import (
    answer_document,
    control,
    control_accept,
    control_work,
    external_question,
    http_call,
    new_worker_id,
    unique_name,
)

DISPATCH_RS = Path(__file__).resolve().parents[3] / "src" / "protocol" / "legacy_xml" / "dispatch.rs"
LIFETIME = 900
DURATION = 600

# ---------------------------------------------------------------- the schema's facts

XSD_SEQUENCES = {
    "ApproveAssignmentRequest": "AssignmentId ResponseGroup* RequesterFeedback?",
    "ApproveAssignmentResponse": "OperationRequest:? ApproveAssignmentResult:*",
    "ApproveAssignmentResult": "Request:?",
    "ApproveRejectedAssignmentRequest": "AssignmentId ResponseGroup* RequesterFeedback?",
    "ApproveRejectedAssignmentResponse": "OperationRequest:? ApproveRejectedAssignmentResult:*",
    "ApproveRejectedAssignmentResult": "Request:?",
    "Arguments": "Argument:Arguments.Argument+",
    "Arguments.Argument": "",
    "AssignQualificationRequest": "QualificationTypeId WorkerId IntegerValue? SendNotification? ResponseGroup*",
    "AssignQualificationResponse": "OperationRequest:? AssignQualificationResult:*",
    "AssignQualificationResult": "Request:?",
    "Assignment": (
        "Request:? AssignmentId? WorkerId? HITId? AssignmentStatus? AutoApprovalTime? AcceptTime? "
        "SubmitTime? ApprovalTime? RejectionTime? Deadline? Answer? RequesterFeedback?"
    ),
    "BlockWorkerRequest": "WorkerId Reason ResponseGroup*",
    "BlockWorkerResponse": "OperationRequest:? BlockWorkerResult:*",
    "BlockWorkerResult": "Request:?",
    "BonusPayment": "Request:? WorkerId? BonusAmount:Price? AssignmentId? Reason? GrantTime?",
    "ChangeHITTypeOfHITRequest": "HITId HITTypeId ResponseGroup*",
    "ChangeHITTypeOfHITResponse": "OperationRequest:? ChangeHITTypeOfHITResult:*",
    "ChangeHITTypeOfHITResult": "Request:?",
    "CreateHITRequest": (
        "HITTypeId? MaxAssignments? AutoApprovalDelayInSeconds? LifetimeInSeconds "
        "AssignmentDurationInSeconds? Reward:Price? Title? Keywords? Description? Question? "
        "RequesterAnnotation? QualificationRequirement:* UniqueRequestToken? "
        "AssignmentReviewPolicy:ReviewPolicy? HITReviewPolicy:ReviewPolicy? HITLayoutId? "
        "HITLayoutParameter:* ResponseGroup*"
    ),
    "CreateHITResponse": "OperationRequest:? HIT:*",
    "CreateQualificationTypeRequest": (
        "Name Keywords? Description? QualificationTypeStatus? RetryDelayInSeconds? Test? "
        "AnswerKey? TestDurationInSeconds? AutoGranted? AutoGrantedValue? ResponseGroup*"
    ),
    "CreateQualificationTypeResponse": "OperationRequest:? QualificationType:*",
    "DataPoint": "Date LongValue? DoubleValue?",
    "DisableHITRequest": "HITId ResponseGroup*",
    "DisableHITResponse": "OperationRequest:? DisableHITResult:*",
    "DisableHITResult": "Request:?",
    "DisposeHITRequest": "HITId ResponseGroup*",
    "DisposeHITResponse": "OperationRequest:? DisposeHITResult:*",
    "DisposeHITResult": "Request:?",
    "DisposeQualificationTypeRequest": "QualificationTypeId?",
    "DisposeQualificationTypeResponse": "OperationRequest:? DisposeQualificationTypeResult:*",
    "DisposeQualificationTypeResult": "Request:?",
    "Errors": "Error:Errors.Error+",
    "Errors.Error": "Code Message Data:KeyValuePair*",
    "ExtendHITRequest": (
        "HITId MaxAssignmentsIncrement? ExpirationIncrementInSeconds? UniqueRequestToken? "
        "ResponseGroup*"
    ),
    "ExtendHITResponse": "OperationRequest:? ExtendHITResult:*",
    "ExtendHITResult": "Request:?",
    "ForceExpireHITRequest": "HITId ResponseGroup*",
    "ForceExpireHITResponse": "OperationRequest:? ForceExpireHITResult:*",
    "ForceExpireHITResult": "Request:?",
    "GetAccountBalanceRequest": "ResponseGroup* Unused?",
    "GetAccountBalanceResponse": "OperationRequest:? GetAccountBalanceResult:*",
    "GetAccountBalanceResult": "Request:? AvailableBalance:Price? OnHoldBalance:Price?",
    "GetAssignmentRequest": "AssignmentId ResponseGroup*",
    "GetAssignmentResponse": "OperationRequest:? GetAssignmentResult:*",
    "GetAssignmentResult": "Request:? Assignment:? HIT:?",
    "GetAssignmentsForHITRequest": (
        "HITId SortDirection? SortProperty? PageNumber? PageSize? AssignmentStatus* "
        "ResponseGroup*"
    ),
    "GetAssignmentsForHITResponse": "OperationRequest:? GetAssignmentsForHITResult:*",
    "GetAssignmentsForHITResult": "Request:? PageNumber? NumResults? TotalNumResults? Assignment:*",
    "GetBlockedWorkersRequest": "PageNumber? PageSize? ResponseGroup*",
    "GetBlockedWorkersResponse": "OperationRequest:? GetBlockedWorkersResult:*",
    "GetBlockedWorkersResult": "Request:? PageNumber? NumResults? TotalNumResults? WorkerBlock:*",
    "GetBonusPaymentsRequest": "HITId? AssignmentId? PageNumber? PageSize? ResponseGroup*",
    "GetBonusPaymentsResponse": "OperationRequest:? GetBonusPaymentsResult:*",
    "GetBonusPaymentsResult": "Request:? NumResults? PageNumber? TotalNumResults? BonusPayment:*",
    "GetFileUploadURLRequest": "AssignmentId QuestionIdentifier",
    "GetFileUploadURLResponse": "OperationRequest:? GetFileUploadURLResult:*",
    "GetFileUploadURLResult": "Request:? FileUploadURL",
    "GetHITRequest": "HITId ResponseGroup*",
    "GetHITResponse": "OperationRequest:? HIT:*",
    "GetHITsForQualificationTypeRequest": "QualificationTypeId PageNumber? PageSize? ResponseGroup*",
    "GetHITsForQualificationTypeResponse": "OperationRequest:? GetHITsForQualificationTypeResult:*",
    "GetHITsForQualificationTypeResult": "Request:? PageNumber? NumResults? TotalNumResults? HIT:*",
    "GetQualificationRequestsRequest": (
        "QualificationTypeId? SortDirection? SortProperty? PageNumber? PageSize? ResponseGroup*"
    ),
    "GetQualificationRequestsResponse": "OperationRequest:? GetQualificationRequestsResult:*",
    "GetQualificationRequestsResult": "Request:? NumResults? TotalNumResults? PageNumber? QualificationRequest:*",
    "GetQualificationScoreResponse": "OperationRequest:? Qualification:*",
    "GetQualificationTypeRequest": "QualificationTypeId ResponseGroup*",
    "GetQualificationTypeResponse": "OperationRequest:? QualificationType:*",
    "GetQualificationsForQualificationTypeRequest": "QualificationTypeId Status? PageNumber? PageSize? ResponseGroup*",
    "GetQualificationsForQualificationTypeResponse": "OperationRequest:? GetQualificationsForQualificationTypeResult:*",
    "GetQualificationsForQualificationTypeResult": "Request:? PageNumber? NumResults? TotalNumResults? Qualification:*",
    "GetRequesterStatisticRequest": "Statistic TimePeriod? Count? ResponseGroup*",
    "GetRequesterStatisticResponse": "OperationRequest:? GetStatisticResult:*",
    "GetRequesterWorkerStatisticRequest": "Statistic TimePeriod? WorkerId Count? ResponseGroup*",
    "GetRequesterWorkerStatisticResponse": "OperationRequest:? GetStatisticResult:*",
    "GetReviewResultsForHITRequest": (
        "HITId PolicyLevel* RetrieveActions? RetrieveResults? PageNumber? PageSize? "
        "ResponseGroup*"
    ),
    "GetReviewResultsForHITResponse": "OperationRequest:? GetReviewResultsForHITResult:*",
    "GetReviewResultsForHITResult": (
        "Request:? HITId AssignmentReviewPolicy:ReviewPolicy? HITReviewPolicy:ReviewPolicy? "
        "AssignmentReviewReport:ReviewReport? HITReviewReport:ReviewReport?"
    ),
    "GetReviewableHITsRequest": "HITTypeId? Status? SortDirection? SortProperty? PageNumber? PageSize? ResponseGroup*",
    "GetReviewableHITsResponse": "OperationRequest:? GetReviewableHITsResult:*",
    "GetReviewableHITsResult": "Request:? PageNumber? NumResults? TotalNumResults? HIT:*",
    "GetStatisticResult": "Request:? DataPoint:* Statistic? TimePeriod? WorkerId?",
    "GrantBonusRequest": "WorkerId BonusAmount:Price AssignmentId Reason UniqueRequestToken? ResponseGroup*",
    "GrantBonusResponse": "OperationRequest:? GrantBonusResult:*",
    "GrantBonusResult": "Request:?",
    "GrantQualificationRequest": "QualificationRequestId IntegerValue? ResponseGroup*",
    "GrantQualificationResponse": "OperationRequest:? GrantQualificationResult:*",
    "GrantQualificationResult": "Request:?",
    "HIT": (
        "Request:? HITId? HITTypeId? HITGroupId? HITLayoutId? CreationTime? Title? Description? "
        "Question? Keywords? HITStatus? MaxAssignments? Reward:Price? AutoApprovalDelayInSeconds? "
        "Expiration? AssignmentDurationInSeconds? RequesterAnnotation? QualificationRequirement:* "
        "HITReviewStatus? NumberOfAssignmentsPending? NumberOfAssignmentsAvailable? "
        "NumberOfAssignmentsCompleted?"
    ),
    "HITLayoutParameter": "Name Value",
    "HTTPHeaders": "Header:HTTPHeaders.Header*",
    "HTTPHeaders.Header": "",
    "HelpRequest": "About+ HelpType? ResponseGroup*",
    "HelpResponse": "OperationRequest:? Information:*",
    "Information": "Request:? OperationInformation:* ResponseGroupInformation:*",
    "KeyValuePair": "Key Value",
    "Locale": "Country? Subdivision?",
    "NotifyWorkersFailureStatus": "NotifyWorkersFailureCode NotifyWorkersFailureMessage WorkerId",
    "NotifyWorkersRequest": "Subject? MessageText WorkerId{1,100} ResponseGroup*",
    "NotifyWorkersResponse": "OperationRequest:? NotifyWorkersResult:*",
    "NotifyWorkersResult": "Request:? NotifyWorkersFailureStatus:{0,100}",
    "OperationInformation": (
        "Name? Description? RequiredParameters:OperationInformation.RequiredParameters? "
        "AvailableParameters:OperationInformation.AvailableParameters? "
        "DefaultResponseGroups:OperationInformation.DefaultResponseGroups? "
        "AvailableResponseGroups:OperationInformation.AvailableResponseGroups?"
    ),
    "OperationInformation.AvailableParameters": "Parameter+",
    "OperationInformation.AvailableResponseGroups": "ResponseGroup+",
    "OperationInformation.DefaultResponseGroups": "ResponseGroup+",
    "OperationInformation.RequiredParameters": "Parameter+",
    "OperationRequest": "HTTPHeaders:? RequestId? Arguments:? Errors:?",
    "ParameterMapEntry": "Key Value*",
    "PolicyParameter": "Key Value* MapEntry:ParameterMapEntry*",
    "Price": "Amount CurrencyCode FormattedPrice?",
    "Qualification": (
        "Request:? QualificationTypeId? SubjectId? GrantTime? IntegerValue? LocaleValue:Locale? "
        "Status?"
    ),
    "QualificationRequest": "QualificationRequestId QualificationTypeId SubjectId Test? Answer? SubmitTime",
    "QualificationRequirement": "QualificationTypeId Comparator IntegerValue* LocaleValue:Locale* RequiredToPreview?",
    "QualificationType": (
        "Request:? QualificationTypeId? CreationTime? Name? Description? Keywords? "
        "QualificationTypeStatus? Test? TestDurationInSeconds? AnswerKey? RetryDelayInSeconds? "
        "IsRequestable? AutoGranted? AutoGrantedValue?"
    ),
    "RegisterHITTypeRequest": (
        "AutoApprovalDelayInSeconds? AssignmentDurationInSeconds Reward:Price Title Keywords? "
        "Description QualificationRequirement:* ResponseGroup*"
    ),
    "RegisterHITTypeResponse": "OperationRequest:? RegisterHITTypeResult:*",
    "RegisterHITTypeResult": "Request:? HITTypeId?",
    "RejectAssignmentRequest": "AssignmentId ResponseGroup* RequesterFeedback?",
    "RejectAssignmentResponse": "OperationRequest:? RejectAssignmentResult:*",
    "RejectAssignmentResult": "Request:?",
    "RejectQualificationRequestRequest": "QualificationRequestId Reason? ResponseGroup*",
    "RejectQualificationRequestResponse": "OperationRequest:? RejectQualificationRequestResult:*",
    "RejectQualificationRequestResult": "Request:?",
    "Request": (
        "IsValid? CreateHITRequest:? RegisterHITTypeRequest:? DisposeHITRequest:? "
        "DisableHITRequest:? GetHITRequest:? GetAssignmentRequest:? "
        "GetReviewResultsForHITRequest:? GetReviewableHITsRequest:? "
        "GetHITsForQualificationTypeRequest:? GetQualificationsForQualificationTypeRequest:? "
        "SetHITAsReviewingRequest:? SearchHITsRequest:? ExtendHITRequest:? "
        "ForceExpireHITRequest:? ChangeHITTypeOfHITRequest:? CreateQualificationTypeRequest:? "
        "DisposeQualificationTypeRequest:? GrantQualificationRequest:? "
        "AssignQualificationRequest:? RevokeQualificationRequest:? "
        "GetQualificationRequestsRequest:? RejectQualificationRequestRequest:? "
        "GetQualificationTypeRequest:? SearchQualificationTypesRequest:? "
        "UpdateQualificationTypeRequest:? ApproveAssignmentRequest:? RejectAssignmentRequest:? "
        "ApproveRejectedAssignmentRequest:? GetAssignmentsForHITRequest:? "
        "GetFileUploadURLRequest:? GrantBonusRequest:? GetBonusPaymentsRequest:? "
        "GetAccountBalanceRequest:? NotifyWorkersRequest:? GetBlockedWorkersRequest:? "
        "BlockWorkerRequest:? UnblockWorkerRequest:? GetRequesterStatisticRequest:? "
        "GetRequesterWorkerStatisticRequest:? HelpRequest:? Errors:?"
    ),
    "ResponseGroupInformation": (
        "Name? CreationDate? ValidOperations:ResponseGroupInformation.ValidOperations? "
        "Elements:ResponseGroupInformation.Elements?"
    ),
    "ResponseGroupInformation.Elements": "Element+",
    "ResponseGroupInformation.ValidOperations": "Operation+",
    "ReviewActionDetail": "ActionId ActionName ObjectId ObjectType Status CompleteTime? Result? ErrorCode?",
    "ReviewPolicy": "PolicyName Parameter:PolicyParameter*",
    "ReviewReport": (
        "PageNumber? NumResults? TotalNumResults? ReviewResult:ReviewResultDetail* "
        "ReviewAction:ReviewActionDetail*"
    ),
    "ReviewResultDetail": "ActionId SubjectId SubjectType QuestionId? Key Value",
    "RevokeQualificationRequest": "SubjectId QualificationTypeId Reason? ResponseGroup*",
    "RevokeQualificationResponse": "OperationRequest:? RevokeQualificationResult:*",
    "RevokeQualificationResult": "Request:?",
    "SearchHITsRequest": "SortDirection? SortProperty? PageNumber? PageSize? ResponseGroup*",
    "SearchHITsResponse": "OperationRequest:? SearchHITsResult:*",
    "SearchHITsResult": "Request:? PageNumber? NumResults? TotalNumResults? HIT:*",
    "SearchQualificationTypesRequest": (
        "Query? MustBeRequestable MustBeOwnedByCaller? SortDirection? SortProperty? PageNumber? "
        "PageSize? ResponseGroup*"
    ),
    "SearchQualificationTypesResponse": "OperationRequest:? SearchQualificationTypesResult:*",
    "SearchQualificationTypesResult": "Request:? NumResults? TotalNumResults? PageNumber? QualificationType:*",
    "SendTestEventNotificationResponse": "OperationRequest:? SendTestEventNotificationResult:*",
    "SendTestEventNotificationResult": "Request:?",
    "SetHITAsReviewingRequest": "HITId Revert? ResponseGroup*",
    "SetHITAsReviewingResponse": "OperationRequest:? SetHITAsReviewingResult:*",
    "SetHITAsReviewingResult": "Request:?",
    "SetHITTypeNotificationResponse": "OperationRequest:? SetHITTypeNotificationResult:*",
    "SetHITTypeNotificationResult": "Request:?",
    "UnblockWorkerRequest": "WorkerId Reason? ResponseGroup*",
    "UnblockWorkerResponse": "OperationRequest:? UnblockWorkerResult:*",
    "UnblockWorkerResult": "Request:?",
    "UpdateQualificationScoreResponse": "OperationRequest:? UpdateQualificationScoreResult:*",
    "UpdateQualificationScoreResult": "Request:?",
    "UpdateQualificationTypeRequest": (
        "QualificationTypeId Description? QualificationTypeStatus? Test? AnswerKey? "
        "TestDurationInSeconds? RetryDelayInSeconds? AutoGranted? AutoGrantedValue? "
        "ResponseGroup*"
    ),
    "UpdateQualificationTypeResponse": "OperationRequest:? QualificationType:*",
    "WorkerBlock": "WorkerId Reason",
}

# The result element of each operation, from its `{Op}Response` element.
RESULT_ELEMENTS = {
    "CreateHIT": "HIT", "GetHIT": "HIT",
    "CreateQualificationType": "QualificationType", "GetQualificationType": "QualificationType",
    "UpdateQualificationType": "QualificationType",
    "GetQualificationScore": "Qualification",
    "GetRequesterStatistic": "GetStatisticResult", "GetRequesterWorkerStatistic": "GetStatisticResult",
    "Help": "Information",
}

# Where mturk-local follows what the live service sent over the XSD's sequence.
_CAPTURED_COUNTERS = "Request:? NumResults? TotalNumResults? PageNumber? "
CAPTURED_OVERRIDES = {
    # The XSD says NotifyWorkersFailureCode, NotifyWorkersFailureMessage, WorkerId;
    # a 2013 answer of the live service (cloudyr/MTurkR issue 29) had WorkerId,
    # then the message, then the code, and mturk-local sends that order
    # (README, docs/behaviour.md "NotifyWorkers", src/protocol/legacy_xml/answer.rs).
    "NotifyWorkersFailureStatus": "WorkerId NotifyWorkersFailureMessage NotifyWorkersFailureCode",
    # A captured GetHIT answer (ryantate/rturk spec/fake_responses/get_hit.xml, 2009;
    # spec legacy-api.md source S1) has NumberOfSimilarHITs between
    # AssignmentDurationInSeconds and RequesterAnnotation; the 2014-08-15 XSD's
    # HIT no longer lists it. mturk-local sends it there (always 0). Otherwise
    # the XSD's sequence, which that capture also follows.
    "HIT": XSD_SEQUENCES["HIT"].replace(
        "AssignmentDurationInSeconds? ", "AssignmentDurationInSeconds? NumberOfSimilarHITs? "),
    # Paged results. Captured answers put the counters NumResults, TotalNumResults,
    # PageNumber: GetQualificationsForQualificationType (chbrown/formious, 2015),
    # GetBonusPayments (ryantate/rturk spec/fake_responses/get_bonus_payments.xml)
    # and SearchHITs (a 2012-03-25 scalaxb sample), where the XSD says PageNumber,
    # NumResults, TotalNumResults (NumResults, PageNumber, TotalNumResults for
    # GetBonusPaymentsResult). mturk-local uses the captured order for every
    # listing but GetBlockedWorkers, which has no capture and keeps the XSD's
    # (spec legacy-api.md §3.3, CounterOrder in src/protocol/legacy_xml/dto.rs).
    # GetQualificationRequestsResult and SearchQualificationTypesResult already
    # have that order in the XSD.
    "GetQualificationsForQualificationTypeResult": _CAPTURED_COUNTERS + "Qualification:*",
    "GetBonusPaymentsResult": _CAPTURED_COUNTERS + "BonusPayment:*",
    "SearchHITsResult": _CAPTURED_COUNTERS + "HIT:*",
    # No capture of these three: the same service-wide order as the three above,
    # which the doc examples copied into ryantate/rturk's fixtures also show
    # (spec/fake_responses/get_assignments.xml, get_reviewable_hits.xml).
    "GetAssignmentsForHITResult": _CAPTURED_COUNTERS + "Assignment:*",
    "GetHITsForQualificationTypeResult": _CAPTURED_COUNTERS + "HIT:*",
    "GetReviewableHITsResult": _CAPTURED_COUNTERS + "HIT:*",
}

assert "NumberOfSimilarHITs" in CAPTURED_OVERRIDES["HIT"]

_CHILD = re.compile(r"^(?P<name>[A-Za-z]+)(?::(?P<type>[A-Za-z.]*))?(?P<occurs>\?|\*|\+|\{\d+,\d*\})?$")


def parse_sequence(spec: str):
    """[(name, type or None, min, max or None), ...] of one sequence in the notation above."""
    children = []
    for word in spec.split():
        m = _CHILD.match(word)
        assert m, f"bad schema word {word!r}"
        name, typ, occurs = m["name"], m["type"], m["occurs"] or ""
        if typ == "":
            typ = name
        if occurs.startswith("{"):
            low, high = occurs[1:-1].split(",")
            bounds = (int(low), int(high) if high else None)
        else:
            bounds = {"": (1, 1), "?": (0, 1), "*": (0, None), "+": (1, None)}[occurs]
        children.append((name, typ, *bounds))
    assert len({c[0] for c in children}) == len(children), f"a name twice in {spec!r}"
    return children


SEQUENCES = {name: parse_sequence(spec) for name, spec in {**XSD_SEQUENCES, **CAPTURED_OVERRIDES}.items()}


def check_element(element: ET.Element, type_name: str, path: str) -> None:
    """Fails unless the element's children follow the type's sequence, recursively."""
    sequence = SEQUENCES[type_name]
    assert not (element.text or "").strip(), f"{path}: text {element.text!r} in an element with children"
    position = 0
    counts = [0] * len(sequence)
    for child in element:
        names = [c[0] for c in sequence]
        child_path = f"{path}/{child.tag}"
        assert child.tag in names, f"{child_path}: not in {type_name}'s sequence {names}"
        index = names.index(child.tag)
        assert index >= position, (
            f"{child_path}: out of order in {type_name}: after {sequence[position][0]}, "
            f"the sequence is {names}"
        )
        position = index
        counts[index] += 1
        name, child_type, _, high = sequence[index]
        assert high is None or counts[index] <= high, f"{child_path}: more than {high} in {type_name}"
        assert not (child.tail or "").strip(), f"{child_path}: text {child.tail!r} after it"
        if child_type is None:
            assert len(child) == 0, f"{child_path}: a simple value with children {[c.tag for c in child]}"
        else:
            check_element(child, child_type, child_path)
    for (name, _, low, _), count in zip(sequence, counts):
        assert count >= low, f"{path}: {type_name} requires {low} {name}, found {count}"


def result_element(operation: str) -> str:
    return RESULT_ELEMENTS.get(operation, f"{operation}Result")


def check_answer(body: bytes) -> tuple:
    """Checks one answer against the schema; returns (operation, root)."""
    root = ET.fromstring(body)
    assert root.tag.endswith("Response"), body
    operation = root.tag[: -len("Response")]
    assert f"{operation}Response" in SEQUENCES, f"no schema for {root.tag}: {body!r}"
    check_element(root, f"{operation}Response", root.tag)
    results = root.findall(result_element(operation))
    assert len(results) == 1, f"{operation}: expected one {result_element(operation)}: {body!r}"
    assert root.find("OperationRequest/RequestId") is not None, body
    request = results[0].find("Request")
    assert request is not None, body
    assert request.findtext("IsValid") == "True", body
    assert root.find(".//Errors") is None, body
    return operation, root


class CheckedConnection(MTurkConnection):
    """boto 2's MTurkConnection, with every answer checked before boto reads it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.checked = set()
        self.last = None

    def _process_response(self, response, marker_elems=None):
        body = response.read()
        operation, self.last = check_answer(body)
        self.checked.add(operation)
        return super()._process_response(_Replayed(response, body), marker_elems)

    def call(self, operation: str, params: dict) -> ET.Element:
        """An operation boto has no method for, signed and sent by boto; its checked answer."""
        self._process_request(operation, params)
        assert self.last.tag == f"{operation}Response"
        return self.last.find(result_element(operation))


class _Replayed:
    """The response boto already read, for boto's own parser."""

    def __init__(self, response, body: bytes):
        self.status, self.reason, self._body = response.status, response.reason, body

    def read(self) -> bytes:
        return self._body


def dispatch_table_operations() -> set:
    """The names of src/protocol/legacy_xml/dispatch.rs's `operations!` table."""
    source = DISPATCH_RS.read_text(encoding="utf-8")
    table = source[source.index("operations! {"):]
    names = set(re.findall(r"^\s+([A-Z][A-Za-z]+) \((?:Wrapped|Data|Named)\b", table, re.MULTILINE))
    assert len(names) == 44, sorted(names)
    return names


# ---------------------------------------------------------------- the scenario


@pytest.fixture
def checked(endpoint, hit_credentials) -> CheckedConnection:
    """boto 2 as the requester who pays for HITs, with every answer checked."""
    plain = connect(endpoint, hit_credentials)
    return CheckedConnection(
        aws_access_key_id=hit_credentials.access_key_id,
        aws_secret_access_key=hit_credentials.secret_access_key,
        host=plain.host, port=plain.port, is_secure=endpoint.is_secure,
    )


def text_question(identifier: str, text: str) -> Question:
    content = QuestionContent()
    content.append_field("Text", text)
    return Question(identifier, content, AnswerSpecification(FreeTextAnswer()), is_required=True)


def upload_question(identifier: str) -> Question:
    content = QuestionContent()
    content.append_field("Text", "Upload a photo of the sign")
    return Question(identifier, content, AnswerSpecification(FileUploadAnswer(min_bytes=4, max_bytes=4096)),
                    is_required=True)


def policy_params(prefix: str, name: str, parameters) -> dict:
    """`{prefix}.PolicyName` and `{prefix}.Parameter.N.*` (values, or a map of values)."""
    params = {f"{prefix}.PolicyName": name}
    for n, (key, values) in enumerate(parameters, start=1):
        params[f"{prefix}.Parameter.{n}.Key"] = key
        if isinstance(values, dict):
            for k, (entry, entry_values) in enumerate(values.items(), start=1):
                params[f"{prefix}.Parameter.{n}.MapEntry.{k}.Key"] = entry
                for m, v in enumerate(entry_values, start=1):
                    params[f"{prefix}.Parameter.{n}.MapEntry.{k}.Value.{m}"] = v
        else:
            for m, v in enumerate(values, start=1):
                params[f"{prefix}.Parameter.{n}.Value.{m}"] = v
    return params


def echoed(result: ET.Element, operation: str) -> list:
    """The `{Op}Request` echo of ResponseGroup=Request (its order is checked with the rest)."""
    echo = result.find(f"Request/{operation}Request")
    assert echo is not None, ET.tostring(result)
    return [(e.tag, e.text) for e in echo]


def test_every_legacy_operation_answers_in_the_xsd_element_order(endpoint, checked):
    conn = checked
    assert conn.get_account_balance()[0].currency_code == "USD"

    # Qualification types: one with a test the owner grades, one to dispose.
    test_form = QuestionForm([text_question("screen", "What colour is the sky?")])
    qt_name = unique_name("schema-order")
    qt = conn.create_qualification_type(
        qt_name, "graded by hand", "Active", keywords=["schema", "order"], retry_delay=60,
        test=test_form, test_duration=300,
    )[0].QualificationTypeId
    assert conn.last.findtext("QualificationType/Test").startswith("<QuestionForm")
    conn.get_qualification_type(qt)
    found = conn.search_qualification_types(query=qt_name, must_be_requestable=False)
    assert [t.QualificationTypeId for t in found] == [qt]
    conn.update_qualification_type(qt, description="graded by hand, carefully", retry_delay=120)
    spare = conn.create_qualification_type(unique_name("schema-order spare"), "to dispose", "Active",
                                           auto_granted=True, auto_granted_value=5)[0].QualificationTypeId
    conn.dispose_qualification_type(spare)

    # Workers take the test; the owner grants one request and rejects the other.
    good, bad, assigned = new_worker_id(), new_worker_id(), new_worker_id()
    request_ids = {}
    for worker, answer in ((good, "blue"), (bad, "green")):
        started = control(endpoint, "POST", f"/workers/{worker}/qualification-requests",
                          {"QualificationTypeId": qt})
        assert started["Status"] == "TestStarted", started
        pending = control(endpoint, "POST",
                          f"/workers/{worker}/qualification-requests/{started['QualificationRequestId']}/answer",
                          {"Answer": answer_document({"screen": answer})})
        assert pending["Status"] == "Pending", pending
        request_ids[worker] = started["QualificationRequestId"]
    requests = conn.get_qualification_requests(qt, sort_by="SubmitTime")
    assert {r.QualificationRequestId for r in requests} == set(request_ids.values())
    assert conn.last.find(".//QualificationRequest/Answer") is not None
    conn.grant_qualification(request_ids[good], integer_value=90)
    rejected = conn.call("RejectQualificationRequest", {"QualificationRequestId": request_ids[bad], "Reason": "green",
                                                        "ResponseGroup": "Request"})
    assert echoed(rejected, "RejectQualificationRequest") == [
        ("QualificationRequestId", request_ids[bad]), ("Reason", "green"), ("ResponseGroup", "Request")]
    conn.assign_qualification(qt, assigned, value=70, send_notification=False)
    conn.get_qualification_score(qt, good)
    conn.update_qualification_score(qt, good, 95)
    assert len(conn.get_qualifications_for_qualification_type(qt)) == 2

    # A HIT type that requires the qualification, and a HIT of it with a file upload.
    hit_type = conn.register_hit_type(
        unique_name("schema-order type"), "label a sign and upload its photo", Price(0.25), DURATION,
        keywords=["schema", "photo"], approval_delay=86400,
        qual_req=Qualifications([Requirement(qt, "GreaterThan", 50)]),
    )[0].HITTypeId
    form = QuestionForm([text_question("label", "What does the sign say?"), upload_question("photo")])
    hit = conn.create_hit(hit_type=hit_type, question=form, lifetime=LIFETIME, max_assignments=2,
                          annotation="batch 7")[0].HITId
    assert conn.last.find("HIT/QualificationRequirement") is not None
    uploaded = control_accept(endpoint, good, hit)["AssignmentId"]
    control(endpoint, "POST", f"/assignments/{uploaded}/submit", {
        "Answer": answer_document({"label": "STOP"}),
        "Files": {"photo": {"Name": "sign.png", "ContentBase64": "iVBORw0KGgo="}},
    })
    other = control_work(endpoint, assigned, hit, {"label": "SPOT"})
    conn.get_hit(hit, response_groups=["Minimal", "HITDetail", "HITQuestion", "HITAssignmentSummary"])
    assert conn.last.findtext("HIT/NumberOfAssignmentsCompleted") == "0"
    conn.get_assignment(uploaded)
    assert conn.last.find("GetAssignmentResult/Assignment/Answer") is not None
    assert conn.last.find("GetAssignmentResult/HIT/HITId") is not None
    assert {a.AssignmentId for a in conn.get_assignments(hit)} == {uploaded, other}
    url = conn.get_file_upload_url(uploaded, "photo")[0].FileUploadURL
    assert http_call("GET", url)[0] == 200
    conn.approve_assignment(uploaded, feedback="clear photo")
    conn.reject_assignment(other, feedback="misspelt")
    conn.approve_rejected_assignment(other, feedback="on second look, fine")
    conn.grant_bonus(good, uploaded, Price(0.10), "a sharp photo")
    payments = conn.call("GetBonusPayments", {"HITId": hit, "PageSize": 10, "PageNumber": 1})
    assert payments.findtext("BonusPayment/AssignmentId") == uploaded
    hits_for_type = conn.call("GetHITsForQualificationType",
                              {"QualificationTypeId": qt, "PageSize": 10, "ResponseGroup": "Request"})
    assert echoed(hits_for_type, "GetHITsForQualificationType")[0] == ("QualificationTypeId", qt)
    assert [h.findtext("HITId") for h in hits_for_type.findall("HIT")] == [hit]
    conn.search_hits(page_size=100)

    # Review policies: three workers, one wrong on the known answer.
    reviewed = conn.call("CreateHIT", {
        "Title": unique_name("schema-order review"), "Description": "two questions and a known answer",
        "Keywords": "schema, review", "Reward.1.Amount": "0.10", "Reward.1.CurrencyCode": "USD",
        "MaxAssignments": 3, "LifetimeInSeconds": LIFETIME, "AssignmentDurationInSeconds": DURATION,
        "Question": external_question("https://example.org/label"),
        **policy_params("AssignmentReviewPolicy", "ScoreMyKnownAnswers/2011-09-01", [
            ("AnswerKey", {"known": ["cat"]}),
            ("RejectIfKnownAnswerScoreIsLessThan", ["100"]),
            ("RejectReason", ["The known answer was wrong."]),
        ]),
        **policy_params("HITReviewPolicy", "SimplePlurality/2011-09-01", [
            ("QuestionIds", ["color", "shape"]),
            ("QuestionAgreementThreshold", ["50"]),
            ("DisregardAssignmentIfRejected", ["true"]),
            ("ApproveIfWorkerAgreementScoreIsAtLeast", ["100"]),
            ("ExtendIfHITAgreementScoreIsLessThan", ["100"]),
            ("ExtendMaximumAssignments", ["4"]),
            ("ExtendMinimumTimeInSeconds", ["3600"]),
        ]),
    }).findtext("HITId")
    for answers in ({"known": "cat", "color": "blue", "shape": "square"},
                    {"known": "cat", "color": "blue", "shape": "circle"},
                    {"known": "dog", "color": "red", "shape": "square"}):
        control_work(endpoint, new_worker_id(), reviewed, answers)
    report = conn.call("GetReviewResultsForHIT", {"HITId": reviewed})
    for level in ("AssignmentReviewReport", "HITReviewReport"):
        assert report.find(f"{level}/ReviewResult") is not None, level
        assert report.find(f"{level}/ReviewAction") is not None, level

    # A HIT that becomes Reviewable, is reviewed, and is disposed of.
    done = conn.create_hit(question=QuestionForm([text_question("label", "Name the animal")]),
                           title=unique_name("schema-order reviewable"), description="one answer",
                           keywords=["schema"], reward=Price(0.05), duration=DURATION, lifetime=LIFETIME,
                           max_assignments=1)[0].HITId
    finished = control_work(endpoint, new_worker_id(), done, {"label": "cat"})
    assert done in {h.HITId for h in conn.get_reviewable_hits(page_size=100)}
    conn.set_reviewing(done)
    conn.set_reviewing(done, revert=True)
    conn.approve_assignment(finished)
    conn.dispose_hit(done)

    # A HIT whose type changes, that is extended, expired; and one disabled.
    moved = conn.create_hit(question=QuestionForm([text_question("label", "Name the bird")]),
                            title=unique_name("schema-order moved"), description="one answer",
                            keywords=["schema"], reward=Price(0.05), duration=DURATION, lifetime=LIFETIME,
                            max_assignments=1)[0].HITId
    conn.change_hit_type_of_hit(moved, hit_type)
    conn.extend_hit(moved, assignments_increment=1)
    conn.extend_hit(moved, expiration_increment=60)
    conn.expire_hit(moved)
    disabled = conn.create_hit(hit_type=hit_type, question=form, lifetime=LIFETIME, max_assignments=1)[0].HITId
    conn.disable_hit(disabled)

    # Workers: block, list, unblock; a message reaches one worker and not a stranger.
    conn.block_worker(bad, "guessed the test")
    blocked = conn.call("GetBlockedWorkers", {"PageSize": 100, "PageNumber": 1, "ResponseGroup": "Request"})
    assert echoed(blocked, "GetBlockedWorkers")[:2] == [("PageNumber", "1"), ("PageSize", "100")]
    assert bad in [b.findtext("WorkerId") for b in blocked.findall("WorkerBlock")]
    conn.unblock_worker(bad, "a second chance")
    stranger = new_worker_id()
    conn.notify_workers([good, stranger], "Thanks", "Your photo was very clear.")
    failures = conn.last.findall("NotifyWorkersResult/NotifyWorkersFailureStatus")
    assert [f.findtext("WorkerId") for f in failures] == [stranger]
    conn.revoke_qualification(assigned, qt, reason="the score dropped")

    # Statistics: a OneDay series, a percentage and a worker's count.
    series = conn.call("GetRequesterStatistic",
                       {"Statistic": "NumberAssignmentsApproved", "TimePeriod": "OneDay", "Count": 3})
    assert len(series.findall("DataPoint/LongValue")) == 3
    ratio = conn.call("GetRequesterStatistic",
                      {"Statistic": "PercentAssignmentsApproved", "TimePeriod": "LifeToDate"})
    assert ratio.find("DataPoint/DoubleValue") is not None
    worker = conn.call("GetRequesterWorkerStatistic",
                       {"Statistic": "NumberAssignmentsApproved", "TimePeriod": "ThirtyDays", "WorkerId": good,
                        "ResponseGroup": "Request"})
    assert [name for name, _ in echoed(worker, "GetRequesterWorkerStatistic")] == [
        "Statistic", "TimePeriod", "WorkerId", "ResponseGroup"]
    assert worker.findtext("WorkerId") == good

    # Help about operations and about a response group.
    conn.get_help("GetFileUploadURL")
    asked = conn.call("Help", {"About.1": "GetHIT", "About.2": "CreateHIT", "HelpType": "Operation",
                               "ResponseGroup": "Request"})
    assert [name for name, _ in echoed(asked, "Help")] == ["About", "About", "HelpType", "ResponseGroup"]
    assert [i.findtext("Name") for i in asked.findall("OperationInformation")] == ["GetHIT", "CreateHIT"]
    conn.get_help("HITDetail", help_type="ResponseGroup")
    assert conn.last.find("Information/ResponseGroupInformation/Elements") is not None

    # Notifications (to an address nothing serves: they stay in the outbox).
    conn.set_rest_notification(hit_type, "http://127.0.0.1:9/notify", event_types=["HITReviewable"])
    conn.send_test_event_notification(hit_type, "http://127.0.0.1:9/notify")

    assert conn.checked == dispatch_table_operations()


# ---------------------------------------------------------------- the checker itself


_GOOD_HIT = (
    '<?xml version="1.0"?>\n<GetHITResponse><OperationRequest><RequestId>r</RequestId></OperationRequest>'
    "<HIT><Request><IsValid>True</IsValid></Request><HITId>H</HITId><HITTypeId>T</HITTypeId>"
    "<Reward><Amount>0.10</Amount><CurrencyCode>USD</CurrencyCode><FormattedPrice>$0.10</FormattedPrice></Reward>"
    "<RequesterAnnotation>a</RequesterAnnotation>"
    "<QualificationRequirement><QualificationTypeId>Q</QualificationTypeId><Comparator>Exists</Comparator>"
    "</QualificationRequirement><HITReviewStatus>NotReviewed</HITReviewStatus></HIT></GetHITResponse>"
)


@pytest.mark.parametrize("broken, complaint", [
    # a child the sequence does not have
    (_GOOD_HIT.replace("HITTypeId>", "HitTypeId>"), "HitTypeId: not in HIT's sequence"),
    # two children swapped
    (_GOOD_HIT.replace("<HITId>H</HITId><HITTypeId>T</HITTypeId>", "<HITTypeId>T</HITTypeId><HITId>H</HITId>"),
     "HITId: out of order in HIT"),
    (_GOOD_HIT.replace("<HITReviewStatus>NotReviewed</HITReviewStatus>", "")
     .replace("<RequesterAnnotation>", "<HITReviewStatus>NotReviewed</HITReviewStatus><RequesterAnnotation>"),
     "RequesterAnnotation: out of order in HIT"),
    # a required child missing, deep down
    (_GOOD_HIT.replace("<CurrencyCode>USD</CurrencyCode>", ""), "Price requires 1 CurrencyCode"),
    # more than maxOccurs
    (_GOOD_HIT.replace("<HITId>H</HITId>", "<HITId>H</HITId><HITId>H</HITId>"), "more than 1 in HIT"),
    # a simple value with children, and text where children belong
    (_GOOD_HIT.replace("<HITId>H</HITId>", "<HITId><Id>H</Id></HITId>"), "a simple value with children"),
    (_GOOD_HIT.replace("<Reward><Amount>", "<Reward>ten<Amount>"), "text 'ten'"),
    # the XSD's NotifyWorkersFailureStatus order, where mturk-local follows the capture
    ('<NotifyWorkersResponse><OperationRequest/><NotifyWorkersResult><Request><IsValid>True</IsValid></Request>'
     "<NotifyWorkersFailureStatus><NotifyWorkersFailureCode>HardFailure</NotifyWorkersFailureCode>"
     "<NotifyWorkersFailureMessage>m</NotifyWorkersFailureMessage><WorkerId>W</WorkerId>"
     "</NotifyWorkersFailureStatus></NotifyWorkersResult></NotifyWorkersResponse>",
     "NotifyWorkersFailureMessage: out of order"),
])
def test_the_checker_refuses_what_the_schema_does_not_allow(broken, complaint):
    check_answer(_GOOD_HIT.encode("utf-8"))
    with pytest.raises(AssertionError, match=re.escape(complaint)):
        check_answer(broken.encode("utf-8"))


def test_the_schema_data_is_closed_and_covers_every_operation():
    for name, sequence in SEQUENCES.items():
        for child, child_type, low, high in sequence:
            assert child_type is None or child_type in SEQUENCES, (name, child, child_type)
            assert high is None or low <= high, (name, child)
    assert {f"{op}Response" for op in dispatch_table_operations()} == {
        name for name in XSD_SEQUENCES if name.endswith("Response")}
