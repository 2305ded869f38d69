"""Every operation of the 2017-01-17 model, called through boto3, answers in the model's shape.

One scenario calls each of the 39 operations of the model shipped inside the
installed botocore (`botocore/data/mturk/2017-01-17/service-2.json`, read with
`botocore.loaders`, never copied here) at least once, with realistic inputs:
qualification types with tests (graded by the requester, and scored by an
AnswerKey), requests and test answers from simulated workers, HIT types with
requirements, HITs with review policies and a FileUploadAnswer question,
assignments accepted and submitted through the /_local worker simulator,
approvals, a rejection and its override, bonuses, blocks, messages to workers
and listings walked page by page.

Each raw answer is taken at botocore's `before-parse` event, before botocore's
parser forgives anything, decoded strictly and checked against the
operation's output shape with `model_shapes.shape_problems` (members, JSON
types, enums, lengths, patterns but for `model_shapes.PATTERN_EXEMPT`,
required members, nothing outside the model). The scenario also
checks that the set of operations it called equals the model's, so a new
model operation cannot be forgotten, and that its answers together showed
every member the outputs can hold, except those listed in UNSEEN with the
reason why. The two notification operations are not built yet: they must
answer RequestError with TurkErrorCode AWS.MechanicalTurk.NotImplemented, an
error body in the shape of the model's RequestError.

A second test feeds the checker broken copies of a conforming answer (a
renamed member, a timestamp as text, 2.0 for an integer, an unknown enum
value...) without a server, so that a checker that accepts everything fails.

The scenario runs as run.sh's third requester (`hit_credentials`), who pays for its
approvals and bonuses (about 1.50 a run). It never moves the clock. Names,
tokens and worker ids are fresh, so it can run again and again on one server.
"""

import base64
import copy
from datetime import datetime, timezone

import pytest
from botocore import xform_name

from mturk_local_testing import (
    answer_document,
    control,
    control_accept,
    control_request_qualification,
    control_work,
    external_question,
    new_worker_id,
    unique_name,
)
from model_shapes import (
    assert_shape,
    decode_answer,
    error_body_problems,
    load_mturk_model,
    output_members,
    shape_problems,
    WireLog,
)
from modern_support import expect_request_error, mturk_client, new_uuid

LIFETIME = 900
WORKER_LOCALE = "00000000000000000071"
FORMS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01"

# The graded type's test: a free-text question the requester reads.
GRADED_TEST = (
    f'<QuestionForm xmlns="{FORMS}/QuestionForm.xsd"><Question><QuestionIdentifier>why</QuestionIdentifier>'
    "<QuestionContent><Text>Why do you want to label birds?</Text></QuestionContent>"
    "<AnswerSpecification><FreeTextAnswer/></AnswerSpecification></Question></QuestionForm>"
)
# The scored type's test and its AnswerKey.
SCORED_TEST = (
    f'<QuestionForm xmlns="{FORMS}/QuestionForm.xsd"><Question><QuestionIdentifier>color</QuestionIdentifier>'
    "<QuestionContent><Text>Sky colour?</Text></QuestionContent><AnswerSpecification><SelectionAnswer>"
    "<Selections><Selection><SelectionIdentifier>blue</SelectionIdentifier><Text>Blue</Text></Selection>"
    "<Selection><SelectionIdentifier>red</SelectionIdentifier><Text>Red</Text></Selection></Selections>"
    "</SelectionAnswer></AnswerSpecification></Question></QuestionForm>"
)
ANSWER_KEY = (
    f'<AnswerKey xmlns="{FORMS}/AnswerKey.xsd"><Question><QuestionIdentifier>color</QuestionIdentifier>'
    "<AnswerOption><SelectionIdentifier>blue</SelectionIdentifier><AnswerScore>1</AnswerScore></AnswerOption>"
    "</Question><QualificationValueMapping><PercentageMapping><MaximumSummedScore>1</MaximumSummedScore>"
    "</PercentageMapping></QualificationValueMapping></AnswerKey>"
)
SCORED_ANSWER = (
    f'<QuestionFormAnswers xmlns="{FORMS}/QuestionFormAnswers.xsd"><Answer><QuestionIdentifier>color'
    "</QuestionIdentifier><SelectionIdentifier>blue</SelectionIdentifier></Answer></QuestionFormAnswers>"
)
# The HIT: a caption and a photo.
PHOTO_FORM = (
    f'<QuestionForm xmlns="{FORMS}/QuestionForm.xsd">'
    "<Question><QuestionIdentifier>caption</QuestionIdentifier><QuestionContent><Text>Name the bird</Text>"
    "</QuestionContent><AnswerSpecification><FreeTextAnswer/></AnswerSpecification></Question>"
    "<Question><QuestionIdentifier>photo</QuestionIdentifier><QuestionContent><Text>Upload a photo of it</Text>"
    "</QuestionContent><AnswerSpecification><FileUploadAnswer><MaxFileSizeInBytes>10000</MaxFileSizeInBytes>"
    "<MinFileSizeInBytes>8</MinFileSizeInBytes></FileUploadAnswer></AnswerSpecification></Question>"
    "</QuestionForm>"
)
PHOTO = b"\x89PNG\r\n\x1a\n not much of a bird"

NOTIFICATION = {
    "Destination": "https://sqs.us-east-1.amazonaws.com/123456789012/mturk-local-events",
    "Transport": "SQS",
    "Version": "2014-08-15",
    "EventTypes": ["AssignmentSubmitted", "HITReviewable"],
}

# Members the outputs can hold that this scenario cannot show, and why.
UNSEEN = {
    # HIT layouts live on the requester website; mturk-local refuses a
    # HITLayoutId with NotImplemented (docs/behaviour.md), so no HIT has one.
    ("HIT", "HITLayoutId"): "layouts are not supported",
    # ListReviewPolicyResultsForHIT names the policies only, as the reference's
    # GetReviewResultsForHIT shows them (src/protocol/json/answer.rs).
    ("ReviewPolicy", "Parameters"): "policies are listed by name",
    ("PolicyParameter", "Key"): "policies are listed by name",
    ("PolicyParameter", "Values"): "policies are listed by name",
    ("PolicyParameter", "MapEntries"): "policies are listed by name",
    ("ParameterMapEntry", "Key"): "policies are listed by name",
    ("ParameterMapEntry", "Values"): "policies are listed by name",
    # Only a review action that failed has an ErrorCode; the policies' actions
    # here all succeed.
    ("ReviewActionDetail", "ErrorCode"): "no review action fails",
    # The two 2011-09-01 policies compute results that no single action stems
    # from (scores, agreed answers); mturk-local ties no result to an action.
    ("ReviewResultDetail", "ActionId"): "no result is tied to an action",
    # Only a type's owner lists or scores its workers, and the one
    # locale-valued type, Worker_Locale, is the system's, owned by nobody
    # (modern-api.md §2 GetQualificationScore, §3.5).
    ("Qualification", "LocaleValue"): "no locale-valued qualification is listed",
}


class Scenario:
    """A boto3 client whose every answer is checked against the model."""

    def __init__(self, endpoint, credentials):
        self.model = load_mturk_model()
        self.client = mturk_client(endpoint, credentials)
        self.wire = WireLog().attach(self.client)
        self.called = set()
        self.seen = set()

    def _raw(self, operation: str):
        exchange = self.wire.last(operation)
        assert exchange.headers.get("content-type") == "application/x-amz-json-1.1", exchange.headers
        assert exchange.headers.get("x-amzn-requestid"), exchange.headers
        return exchange, decode_answer(exchange.body)

    def call(self, operation: str, **kwargs) -> dict:
        """Calls `operation` through boto3; its answer must be a 200 in the output shape."""
        response = getattr(self.client, xform_name(operation))(**kwargs)
        exchange, body = self._raw(operation)
        assert exchange.status == 200, (operation, exchange.status, exchange.body)
        output = self.model["operations"][operation].get("output", {}).get("shape")
        assert output, operation
        assert_shape(self.model, output, body, f"{operation}'s answer {body!r}", seen=self.seen)
        self.called.add(operation)
        return response

    def walk(self, operation: str, items: str, **kwargs) -> list:
        """Every item of a listing, one page after another by NextToken, each page checked."""
        found, tokens = [], []
        while True:
            page = self.call(operation, **kwargs)
            found += page[items]
            if "NextToken" not in page:
                assert page["NumResults"] == 0, page
                return found
            assert page["NextToken"] not in tokens, page
            tokens.append(page["NextToken"])
            kwargs["NextToken"] = page["NextToken"]

    def not_implemented(self, operation: str, **kwargs) -> dict:
        """`operation` must answer RequestError/NotImplemented in the model's error shape."""
        method = getattr(self.client, xform_name(operation))
        response = expect_request_error(self.client, "AWS.MechanicalTurk.NotImplemented", method, **kwargs)
        exchange, body = self._raw(operation)
        assert exchange.status == 400, (operation, exchange.status, exchange.body)
        problems = error_body_problems(self.model, operation, body)
        assert not problems, f"{operation}'s error {body!r}:\n  " + "\n  ".join(problems)
        assert body["__type"].rsplit("#", 1)[-1] == "RequestError", body
        assert set(body) == {"__type", "Message", "TurkErrorCode"}, body
        # JS v3 and Rust read the code from this header first: it must agree with the body.
        assert exchange.headers.get("x-amzn-errortype") == body["__type"], exchange.headers
        self.called.add(operation)
        return response


def test_every_operation_answers_in_the_shape_of_the_model(endpoint, hit_credentials):
    s = Scenario(endpoint, hit_credentials)
    tag = new_uuid()

    # ------------------------------------------------ qualification types with tests
    graded = s.call("CreateQualificationType", Name=unique_name("shapes graded"), Keywords=f"shapes, {tag}",
                    Description=f"Bird labelling, graded by hand ({tag})", QualificationTypeStatus="Active",
                    Test=GRADED_TEST, TestDurationInSeconds=600, RetryDelayInSeconds=3600)["QualificationType"]
    graded_id = graded["QualificationTypeId"]
    scored_id = s.call("CreateQualificationType", Name=unique_name("shapes scored"), Keywords=f"shapes, {tag}",
                       Description=f"Sky colours, scored by a key ({tag})", QualificationTypeStatus="Active",
                       Test=SCORED_TEST, AnswerKey=ANSWER_KEY,
                       TestDurationInSeconds=300)["QualificationType"]["QualificationTypeId"]
    auto_id = s.call("CreateQualificationType", Name=unique_name("shapes auto"), Keywords=f"shapes, {tag}",
                     Description=f"Granted on request ({tag})", QualificationTypeStatus="Active",
                     AutoGranted=True, AutoGrantedValue=5)["QualificationType"]["QualificationTypeId"]
    got = s.call("GetQualificationType", QualificationTypeId=scored_id)["QualificationType"]
    assert got["AnswerKey"] == ANSWER_KEY and got["Test"] == SCORED_TEST
    updated = s.call("UpdateQualificationType", QualificationTypeId=graded_id,
                     Description=f"Bird labelling, graded by hand, updated ({tag})",
                     RetryDelayInSeconds=7200)["QualificationType"]
    assert (updated["RetryDelayInSeconds"], updated["Test"]) == (7200, GRADED_TEST)
    types = s.walk("ListQualificationTypes", "QualificationTypes", Query=tag, MustBeRequestable=True,
                   MustBeOwnedByCaller=True, MaxResults=1)
    assert {t["QualificationTypeId"] for t in types} == {graded_id, scored_id, auto_id}
    # The system types (Worker_Locale, Masters...) in the same shape.
    system = s.call("ListQualificationTypes", MustBeRequestable=False, Query="Locale", MaxResults=100)
    assert WORKER_LOCALE in {t["QualificationTypeId"] for t in system["QualificationTypes"]}

    # ------------------------------------------------ workers ask; the requester decides
    w_accepted, w_rejected, w_assigned, w_blocked = (new_worker_id() for _ in range(4))
    requests = {}
    for worker, text in ((w_accepted, "I know birds"), (w_rejected, "no idea")):
        started = control_request_qualification(endpoint, worker, graded_id)
        assert started["Status"] == "TestStarted", started
        answered = control(endpoint, "POST", f"/workers/{worker}/qualification-requests/"
                           f"{started['QualificationRequestId']}/answer", {"Answer": answer_document({"why": text})})
        assert answered["Status"] == "Pending", answered
        requests[worker] = started["QualificationRequestId"]
    scored = control(endpoint, "POST", f"/workers/{w_assigned}/qualification-requests",
                     {"QualificationTypeId": scored_id, "Answer": SCORED_ANSWER})
    assert scored["Status"] == "Granted", scored
    assert control_request_qualification(endpoint, w_assigned, auto_id)["Status"] == "Granted"

    pending = s.walk("ListQualificationRequests", "QualificationRequests", QualificationTypeId=graded_id,
                     MaxResults=1)
    assert {r["QualificationRequestId"] for r in pending} == set(requests.values())
    assert all(r["Test"] == GRADED_TEST and "<FreeText>" in r["Answer"] for r in pending), pending
    s.call("AcceptQualificationRequest", QualificationRequestId=requests[w_accepted], IntegerValue=90)
    s.call("RejectQualificationRequest", QualificationRequestId=requests[w_rejected],
           Reason="Tell us more about birds.")
    s.call("AssociateQualificationWithWorker", QualificationTypeId=graded_id, WorkerId=w_assigned,
           IntegerValue=70, SendNotification=True)
    score = s.call("GetQualificationScore", QualificationTypeId=graded_id, WorkerId=w_accepted)["Qualification"]
    assert (score["IntegerValue"], score["Status"]) == (90, "Granted")
    holders = s.walk("ListWorkersWithQualificationType", "Qualifications", QualificationTypeId=graded_id,
                     Status="Granted", MaxResults=1)
    assert {q["WorkerId"]: q["IntegerValue"] for q in holders} == {w_accepted: 90, w_assigned: 70}

    # ------------------------------------------------ HIT types and HITs
    requirements = [
        {"QualificationTypeId": graded_id, "Comparator": "GreaterThanOrEqualTo", "IntegerValues": [50],
         "RequiredToPreview": True},
        {"QualificationTypeId": WORKER_LOCALE, "Comparator": "In",
         "LocaleValues": [{"Country": "US"}, {"Country": "CA"}], "ActionsGuarded": "Accept"},
    ]
    hit_type_id = s.call("CreateHITType", AutoApprovalDelayInSeconds=259200, AssignmentDurationInSeconds=600,
                         Reward="0.25", Title=unique_name("shapes birds"), Keywords="birds, photos, shapes",
                         Description="Name the bird and upload a photo of it",
                         QualificationRequirements=requirements)["HITTypeId"]
    photo_hit = s.call("CreateHITWithHITType", HITTypeId=hit_type_id, MaxAssignments=2, LifetimeInSeconds=LIFETIME,
                       Question=PHOTO_FORM, RequesterAnnotation=f"batch {tag}",
                       UniqueRequestToken=new_uuid())["HIT"]
    photo_id = photo_hit["HITId"]
    assert photo_hit["QualificationRequirements"][1]["LocaleValues"] == [{"Country": "US"}, {"Country": "CA"}]
    other_type_id = s.call("CreateHITType", AssignmentDurationInSeconds=300, Reward="0.10",
                           Title=unique_name("shapes other"), Description="Another kind of work",
                           QualificationRequirements=[
                               {"QualificationTypeId": graded_id, "Comparator": "Exists"},
                               {"QualificationTypeId": WORKER_LOCALE, "Comparator": "In",
                                "LocaleValues": [{"Country": "US", "Subdivision": "WA"}, {"Country": "CA"}],
                                "ActionsGuarded": "DiscoverPreviewAndAccept"},
                           ])["HITTypeId"]
    spare = s.call("CreateHIT", Title=unique_name("shapes spare"), Description="Left open, then moved",
                   Reward="0.10", MaxAssignments=1, LifetimeInSeconds=LIFETIME, AssignmentDurationInSeconds=300,
                   Keywords="spare", Question=external_question("https://example.org/spare"),
                   QualificationRequirements=[{"QualificationTypeId": graded_id, "Comparator": "Exists"}])["HIT"]

    # Two qualified workers submit: a caption and a photo (FileUploadAnswer).
    photo_files = {"photo": {"Name": "bird.png", "ContentBase64": base64.b64encode(PHOTO).decode("ascii")}}
    submissions = {}
    for worker, caption in ((w_accepted, "a robin"), (w_assigned, "a crow")):
        assignment_id = control_accept(endpoint, worker, photo_id)["AssignmentId"]
        control(endpoint, "POST", f"/assignments/{assignment_id}/submit",
                {"Answer": answer_document({"caption": caption}), "Files": photo_files})
        submissions[worker] = assignment_id
    a_good, a_bad = submissions[w_accepted], submissions[w_assigned]

    for_type = s.walk("ListHITsForQualificationType", "HITs", QualificationTypeId=graded_id, MaxResults=1)
    assert {h["HITId"] for h in for_type} == {photo_id, spare["HITId"]}
    s.call("UpdateHITTypeOfHIT", HITId=spare["HITId"], HITTypeId=other_type_id)
    assert s.call("GetHIT", HITId=spare["HITId"])["HIT"]["HITTypeId"] == other_type_id

    assignments = s.walk("ListAssignmentsForHIT", "Assignments", HITId=photo_id, MaxResults=1,
                         AssignmentStatuses=["Submitted"])
    assert {a["AssignmentId"] for a in assignments} == {a_good, a_bad}
    got = s.call("GetAssignment", AssignmentId=a_good)
    assert "<UploadedFileKey>" in got["Assignment"]["Answer"] and got["HIT"]["HITId"] == photo_id
    url = s.call("GetFileUploadURL", AssignmentId=a_good, QuestionIdentifier="photo")["FileUploadURL"]
    assert url.startswith(f"{endpoint.url}/_files/"), url

    s.call("ApproveAssignment", AssignmentId=a_good, RequesterFeedback="A fine robin.")
    s.call("RejectAssignment", AssignmentId=a_bad, RequesterFeedback="That photo shows no crow.")
    rejected = s.call("GetAssignment", AssignmentId=a_bad)["Assignment"]
    assert (rejected["AssignmentStatus"], rejected["RequesterFeedback"]) == ("Rejected", "That photo shows no crow.")
    s.call("ApproveAssignment", AssignmentId=a_bad, OverrideRejection=True, RequesterFeedback="It was a crow.")
    approved = s.call("GetAssignment", AssignmentId=a_bad)["Assignment"]
    assert (approved["AssignmentStatus"], approved["RequesterFeedback"]) == ("Approved", "It was a crow.")
    assert approved["ApprovalTime"] >= approved["SubmitTime"]
    s.call("SendBonus", WorkerId=w_accepted, BonusAmount="0.50", AssignmentId=a_good, Reason="A sharp photo.",
           UniqueRequestToken=new_uuid())
    s.call("SendBonus", WorkerId=w_assigned, BonusAmount="0.05", AssignmentId=a_bad, Reason="Sorry.",
           UniqueRequestToken=new_uuid())
    bonuses = s.walk("ListBonusPayments", "BonusPayments", HITId=photo_id, MaxResults=1)
    assert {(b["WorkerId"], b["BonusAmount"]) for b in bonuses} == {(w_accepted, "0.50"), (w_assigned, "0.05")}
    assert len(s.walk("ListBonusPayments", "BonusPayments", AssignmentId=a_good, MaxResults=100)) == 1

    reviewable = s.walk("ListReviewableHITs", "HITs", HITTypeId=hit_type_id, Status="Reviewable", MaxResults=1)
    assert [h["HITId"] for h in reviewable] == [photo_id]
    s.call("UpdateHITReviewStatus", HITId=photo_id)
    reviewing = s.walk("ListReviewableHITs", "HITs", HITTypeId=hit_type_id, Status="Reviewing", MaxResults=100)
    assert [h["HITId"] for h in reviewing] == [photo_id]
    s.call("UpdateHITReviewStatus", HITId=photo_id, Revert=True)
    s.call("CreateAdditionalAssignmentsForHIT", HITId=photo_id, NumberOfAdditionalAssignments=1,
           UniqueRequestToken=new_uuid())
    assert s.call("GetHIT", HITId=photo_id)["HIT"]["HITStatus"] == "Assignable"
    s.call("UpdateExpirationForHIT", HITId=photo_id, ExpireAt=datetime(2020, 1, 1, tzinfo=timezone.utc))
    s.call("DeleteHIT", HITId=photo_id)
    assert s.call("GetHIT", HITId=photo_id)["HIT"]["HITStatus"] == "Disposed"

    # ------------------------------------------------ a HIT with review policies
    def param(key, *values):
        return {"Key": key, "Values": list(values)}

    known = {"PolicyName": "ScoreMyKnownAnswers/2011-09-01", "Parameters": [
        {"Key": "AnswerKey", "MapEntries": [{"Key": "known", "Values": ["cat"]}]},
        param("RejectIfKnownAnswerScoreIsLessThan", "100"),
        param("RejectReason", "The known answer was wrong."),
    ]}
    plurality = {"PolicyName": "SimplePlurality/2011-09-01", "Parameters": [
        param("QuestionIds", "color", "shape"),
        param("QuestionAgreementThreshold", "50"),
        param("DisregardAssignmentIfRejected", "true"),
        param("ApproveIfWorkerAgreementScoreIsAtLeast", "100"),
        param("ExtendIfHITAgreementScoreIsLessThan", "100"),
        param("ExtendMaximumAssignments", "4"),
        param("ExtendMinimumTimeInSeconds", "3600"),
    ]}
    reviewed = s.call("CreateHIT", Title=unique_name("shapes review"), Description="Three questions",
                      Reward="0.10", MaxAssignments=3, LifetimeInSeconds=LIFETIME, AssignmentDurationInSeconds=600,
                      AutoApprovalDelayInSeconds=86400, Question=external_question("https://example.org/label"),
                      AssignmentReviewPolicy=known, HITReviewPolicy=plurality,
                      UniqueRequestToken=new_uuid())["HIT"]
    for known_answer, color, shape in (("cat", "blue", "square"), ("cat", "blue", "circle"),
                                       ("dog", "red", "square")):
        control_work(endpoint, new_worker_id(), reviewed["HITId"],
                     {"known": known_answer, "color": color, "shape": shape})
    asked = dict(HITId=reviewed["HITId"], PolicyLevels=["Assignment", "HIT"], RetrieveActions=True,
                 RetrieveResults=True, MaxResults=100)
    results = s.call("ListReviewPolicyResultsForHIT", **asked)
    assert results["HITReviewReport"]["ReviewActions"] and results["AssignmentReviewReport"]["ReviewResults"]
    # The token of the page leads to an empty one without a token.
    assert "NextToken" not in s.call("ListReviewPolicyResultsForHIT", **asked, NextToken=results["NextToken"])

    all_hits = s.walk("ListHITs", "HITs", MaxResults=100)
    assert {reviewed["HITId"], spare["HITId"]} <= {h["HITId"] for h in all_hits}

    # ------------------------------------------------ workers: messages and blocks
    never_worked = new_worker_id()
    notified = s.call("NotifyWorkers", Subject="About your robin", MessageText="More birds soon.",
                      WorkerIds=[w_accepted, never_worked])
    assert [f["WorkerId"] for f in notified["NotifyWorkersFailureStatuses"]] == [never_worked]
    s.call("CreateWorkerBlock", WorkerId=w_blocked, Reason="Spam answers.")
    blocks = s.walk("ListWorkerBlocks", "WorkerBlocks", MaxResults=100)
    assert {"WorkerId": w_blocked, "Reason": "Spam answers."} in blocks
    s.call("DeleteWorkerBlock", WorkerId=w_blocked, Reason="Appealed successfully.")

    s.call("DisassociateQualificationFromWorker", QualificationTypeId=graded_id, WorkerId=w_assigned,
           Reason="Too many wrong labels.")
    revoked = s.walk("ListWorkersWithQualificationType", "Qualifications", QualificationTypeId=graded_id,
                     Status="Revoked", MaxResults=100)
    assert [q["WorkerId"] for q in revoked] == [w_assigned]
    s.call("DeleteQualificationType", QualificationTypeId=auto_id)
    s.call("DeleteQualificationType", QualificationTypeId=scored_id)
    s.call("GetAccountBalance")

    # ------------------------------------------------ notifications (no queue server here: they stay in the outbox)
    s.call("UpdateNotificationSettings", HITTypeId=hit_type_id, Notification=NOTIFICATION, Active=True)
    s.call("UpdateNotificationSettings", HITTypeId=hit_type_id, Active=False)
    s.call("SendTestEventNotification", Notification=NOTIFICATION, TestEventType="Ping")

    # ------------------------------------------------ nothing forgotten
    operations = set(s.model["operations"])
    assert len(operations) == 39, sorted(operations)
    assert s.called == operations, (sorted(operations - s.called), sorted(s.called - operations))
    outputs = output_members(s.model, operations)
    assert set(UNSEEN) <= outputs, sorted(set(UNSEEN) - outputs)
    missing = outputs - s.seen - set(UNSEEN)
    assert not missing, f"members the model allows that no answer showed: {sorted(missing)}"
    shown_anyway = s.seen & set(UNSEEN)
    assert not shown_anyway, f"listed as never shown, but shown: {sorted(shown_anyway)}"


def test_the_shape_checker_reports_each_way_an_answer_can_depart_from_the_model():
    """The checker itself (no server): a conforming answer passes, each broken copy is caught."""
    model = load_mturk_model()
    good = {
        "Assignment": {"AssignmentId": "3A", "WorkerId": "AW1", "HITId": "3H", "AssignmentStatus": "Submitted",
                       "AcceptTime": 1795965445.551, "SubmitTime": 1795965446, "Answer": "<x/>"},
        "HIT": {"HITId": "3H", "MaxAssignments": 2, "AutoApprovalDelayInSeconds": 2592000,
                "QualificationRequirements": [{"QualificationTypeId": "00000000000000000071", "Comparator": "In",
                                               "LocaleValues": [{"Country": "US", "Subdivision": "WA"}],
                                               "RequiredToPreview": False}]},
    }
    seen = set()
    assert shape_problems(model, "GetAssignmentResponse", good, seen=seen) == []
    assert ("Locale", "Subdivision") in seen and ("HIT", "HITGroupId") not in seen

    def broken(change) -> list:
        answer = copy.deepcopy(good)
        change(answer)
        return shape_problems(model, "GetAssignmentResponse", answer)

    requirement = lambda a: a["HIT"]["QualificationRequirements"][0]  # noqa: E731
    cases = {
        "member 'HitGroupId' is not in the model": lambda a: a["HIT"].update(HitGroupId="3T"),
        "member 'ResponseMetadata' is not in the model": lambda a: a.update(ResponseMetadata={}),
        "required member 'Comparator' is missing": lambda a: requirement(a).pop("Comparator"),
        "required member 'Country' is missing": lambda a: requirement(a)["LocaleValues"][0].pop("Country"),
        "expected epoch seconds": lambda a: a["Assignment"].update(AcceptTime="2026-11-29T15:00:00Z"),
        "expected an integer, got float": lambda a: a["HIT"].update(MaxAssignments=2.0),
        "expected an integer, got bool": lambda a: a["HIT"].update(MaxAssignments=True),
        "outside the integer range": lambda a: a["HIT"].update(MaxAssignments=2**31),
        "expected true or false": lambda a: requirement(a).update(RequiredToPreview="false"),
        "expected a string, got int": lambda a: a["Assignment"].update(WorkerId=7),
        "'Accepted' is not one of": lambda a: a["Assignment"].update(AssignmentStatus="Accepted"),
        "'Never' is not one of": lambda a: requirement(a).update(Comparator="Never"),
        "expected an array": lambda a: a["HIT"].update(QualificationRequirements={}),
        "expected an object": lambda a: a.update(HIT=[]),
        "null where a value belongs": lambda a: a["Assignment"].update(Answer=None),
        "is shorter than 2": lambda a: requirement(a)["LocaleValues"][0].update(Country="U"),
        "does not match the pattern ^A[A-Z0-9]+$": lambda a: a["Assignment"].update(WorkerId="W1"),
        "does not match the pattern ^[0-9]+(\\.)?[0-9]{0,2}$": lambda a: a["HIT"].update(Reward="0.50\n"),
    }
    for expected, change in cases.items():
        problems = broken(change)
        assert len(problems) == 1 and expected in problems[0], (expected, problems)

    assert error_body_problems(model, "GetHIT", {"__type": "com.amazonaws.mturk#RequestError", "Message": "m",
                                                 "TurkErrorCode": "AWS.MechanicalTurk.HITDoesNotExist"}) == []
    assert error_body_problems(model, "GetHIT", {"__type": "RequestError", "Message": "m"}) == []
    assert "names none of" in error_body_problems(model, "GetHIT", {"__type": "ValidationException"})[0]
    assert "no __type" in error_body_problems(model, "GetHIT", {"Message": "m"})[0]
    assert "'Code' is not in the model" in error_body_problems(model, "GetHIT", {"__type": "RequestError",
                                                                                  "Code": "x"})[0]

    assert decode_answer(b'{"NumResults": 0}') == {"NumResults": 0}
    for body in (b'{"NumResults": 0, "NumResults": 1}', b'{"Expiration": NaN}'):
        with pytest.raises(AssertionError):
            decode_answer(body)
    assert ("HIT", "HITGroupId") in output_members(model, ["GetHIT"])
    assert not any(shape == "CreateHITRequest" for shape, _ in output_members(model, model["operations"]))
