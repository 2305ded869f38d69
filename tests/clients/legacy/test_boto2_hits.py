"""HITs, assignments and bonuses through boto 2.49.0's MTurkConnection.

The requester is the third one of run.sh (`hit_mturk`): it pays for every
approval and bonus, so the first two requesters keep their starting balances.
Workers are played through the server's /_local control plane (they find,
accept and submit HITs there). Every test makes its own HITs, HIT types (the
titles are unique), qualification types and worker ids, and no HIT outlives
LIFETIME, so the file can run again and again against one server.

What boto 2 sends, from boto/mturk/connection.py:
  * create_hit: LifetimeInSeconds and MaxAssignments always; with hit_type=
    only HITTypeId, otherwise Title, Description, Keywords, Reward.1.Amount/
    CurrencyCode, AssignmentDurationInSeconds (default 7 days) and
    AutoApprovalDelayInSeconds when given. Without keywords= it fails on
    Python 3 before sending anything (NameError: 'unicode', in
    get_keywords_as_string), so these tests always pass some;
  * Qualifications([...]).get_as_params(): QualificationRequirement.<n>.*, with
    IntegerValue.<i> / LocaleValue.<i>.Country|Subdivision for In and NotIn,
    no IntegerValue for Exists, RequiredToPreview=true when asked;
  * get_reviewable_hits, search_hits and get_assignments send SortProperty,
    SortDirection, PageSize (default 10) and PageNumber;
  * set_reviewing(revert=True) sends Revert=True; extend_hit refuses (locally)
    to take assignments and time in one call;
  * `<HIT>` elements are read by boto's HIT marker class, which flattens every
    nested element into an attribute (Reward becomes Amount/CurrencyCode/
    FormattedPrice; of several QualificationRequirements only the last one's
    fields survive), so requirements are checked on the raw XML instead.
boto 2.49.0 has no method for GetBonusPayments, and its get_all_hits uses
itertools.imap (gone in Python 3), so those go through boto's own
_process_request and search_hits.
"""

import math
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest
from boto.mturk.connection import BaseAutoResultElement, MTurkConnection
from boto.mturk.price import Price
from boto.mturk.qualification import LocaleRequirement, Qualifications, Requirement
from boto.mturk.question import (
    AnswerSpecification,
    ExternalQuestion,
    FreeTextAnswer,
    Question,
    QuestionContent,
    QuestionForm,
)

from boto2_support import expect_error
from mturk_local_testing import (
    TRICKY_TEXT,
    answer_document,
    control_accept,
    control_accept_refused,
    control_notifications,
    control_request_qualification,
    control_set_profile,
    control_submit,
    control_work,
    control_worker_hits,
    new_worker_id,
    parse_answer_document,
    unique_name,
    unknown_id,
)

ENTITY_ID = re.compile(r"[0-9A-Z]{30}")
# Long enough for the slowest test run, short enough that HITs left open by
# one run are off the marketplace soon after.
LIFETIME = 900
DURATION = 600


# ---------------------------------------------------------------- helpers


def question_form() -> QuestionForm:
    """A one-question QuestionForm built with boto's own classes."""
    content = QuestionContent()
    content.append_field("Text", "What is in the picture?")
    return QuestionForm([Question("label", content, AnswerSpecification(FreeTextAnswer()), is_required=True)])


def new_hit(conn: MTurkConnection, *, reward=0.50, max_assignments=1, requirements=None,
            question=None, **kwargs):
    """create_hit from properties (an implicit RegisterHITType); returns boto's HIT."""
    kwargs.setdefault("title", unique_name("boto2 HIT"))
    result = conn.create_hit(
        question=question or question_form(),
        description="made by tests/clients/legacy/test_boto2_hits.py",
        keywords=["boto2", "hits"],
        reward=Price(reward),
        duration=DURATION,
        lifetime=LIFETIME,
        max_assignments=max_assignments,
        qualifications=Qualifications(requirements) if requirements else None,
        **kwargs,
    )
    assert result.status is True
    assert len(result) == 1
    return result[0]


def get_hit(conn: MTurkConnection, hit_id: str):
    result = conn.get_hit(hit_id)
    assert len(result) == 1
    return result[0]


def balance_cents(conn: MTurkConnection) -> int:
    available = conn.get_account_balance()[0]
    assert available.currency_code == "USD"
    amount = round(available.amount * 100)
    assert available.formatted_price == f"${amount // 100}.{amount % 100:02d}", available.formatted_price
    return amount


def raw(conn: MTurkConnection, operation: str, **params) -> ET.Element:
    """The raw response of one call, made and signed by boto (for what its markers flatten)."""
    body = conn.make_request(None, dict(params, Operation=operation), verb="POST").read()
    root = ET.fromstring(body)
    assert root.tag == f"{operation}Response", body
    assert root.find(".//Errors") is None, body
    return root


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")


def search_all_hits(conn: MTurkConnection) -> list:
    """Every HIT of the caller, page by page (100 a page), as boto's search_hits sees them."""
    first = conn.search_hits(page_size=100)
    total = int(first.TotalNumResults)
    found = list(first)
    for page in range(2, math.ceil(total / 100) + 1):
        result = conn.search_hits(page_size=100, page_number=page)
        assert result.PageNumber == str(page)
        found.extend(result)
    assert len(found) == total
    return found


class BonusPayment(BaseAutoResultElement):
    """A `<BonusPayment>`, read the way boto reads its other result elements."""


def get_bonus_payments(conn: MTurkConnection, **params):
    """GetBonusPayments (by HITId or AssignmentId) through boto's request machinery."""
    params.setdefault("PageSize", 10)
    params.setdefault("PageNumber", 1)
    return conn._process_request("GetBonusPayments", params, [("BonusPayment", BonusPayment)])


def create_type(conn: MTurkConnection, **kwargs) -> str:
    kwargs.setdefault("name", unique_name("boto2 HIT qualification"))
    kwargs.setdefault("description", "made by tests/clients/legacy/test_boto2_hits.py")
    kwargs.setdefault("status", "Active")
    return conn.create_qualification_type(**kwargs)[0].QualificationTypeId


@pytest.fixture
def worker() -> str:
    return new_worker_id()


@pytest.fixture
def submitted(endpoint, hit_mturk, worker):
    """(HIT, assignment id): a 1.25 HIT whose one assignment the worker submitted."""
    hit = new_hit(hit_mturk, reward=1.25)
    assignment_id = control_work(endpoint, worker, hit.HITId, {"label": "a cat"})
    return hit, assignment_id


# ---------------------------------------------------------------- HIT types and HITs


def test_register_hit_type_returns_a_new_id_and_the_same_id_for_identical_properties(hit_mturk):
    qual = create_type(hit_mturk)
    args = dict(
        title=unique_name("boto2 type"),
        description="a HIT type",
        reward=Price(0.25),
        duration=timedelta(minutes=10),
        keywords=["images", "labels"],
        approval_delay=timedelta(days=1),
        qual_req=Qualifications([Requirement(qual, "Exists")]),
    )
    result = hit_mturk.register_hit_type(**args)
    assert result.status is True
    type_id = result[0].HITTypeId
    assert ENTITY_ID.fullmatch(type_id)
    assert hit_mturk.register_hit_type(**args)[0].HITTypeId == type_id
    changed = dict(args, reward=Price(0.30))
    assert hit_mturk.register_hit_type(**changed)[0].HITTypeId != type_id


def test_create_hit_with_a_hit_type_makes_an_assignable_hit_with_the_types_properties(hit_mturk):
    title = unique_name("boto2 typed")
    type_id = hit_mturk.register_hit_type(title, "typed HIT", Price(0.25), 600, keywords="k1, k2",
                                          approval_delay=3600)[0].HITTypeId
    result = hit_mturk.create_hit(hit_type=type_id, question=question_form(), lifetime=LIFETIME,
                                  max_assignments=3, annotation="batch 7")
    hit = result[0]
    assert hit.IsValid == "True"
    assert ENTITY_ID.fullmatch(hit.HITId)
    assert (hit.HITTypeId, hit.Title, hit.Description, hit.Keywords) == (type_id, title, "typed HIT", "k1, k2")
    assert (hit.Amount, hit.CurrencyCode, hit.FormattedPrice) == ("0.25", "USD", "$0.25")
    assert (hit.HITStatus, hit.MaxAssignments, hit.RequesterAnnotation) == ("Assignable", "3", "batch 7")
    assert (hit.AssignmentDurationInSeconds, hit.AutoApprovalDelayInSeconds) == ("600", "3600")
    assert (hit.NumberOfAssignmentsAvailable, hit.NumberOfAssignmentsPending,
            hit.NumberOfAssignmentsCompleted) == ("3", "0", "0")
    assert hit.Question == question_form().get_as_xml()
    created = parse_time(hit.CreationTime)
    assert parse_time(hit.Expiration) - created == timedelta(seconds=LIFETIME)


def test_create_hit_from_properties_registers_the_type_and_keeps_every_requirement(hit_mturk):
    member = create_type(hit_mturk)
    level = create_type(hit_mturk)
    hit = new_hit(hit_mturk, requirements=[
        Requirement(member, "Exists"),
        Requirement(level, "In", [1, 3, 5]),
        LocaleRequirement("In", [("US", "WA"), "CA"], required_to_preview=True),
    ])
    assert ENTITY_ID.fullmatch(hit.HITTypeId)
    assert hit.HITStatus == "Assignable"
    requirements = raw(hit_mturk, "GetHIT", HITId=hit.HITId).findall(".//HIT/QualificationRequirement")
    got = [
        (
            r.findtext("QualificationTypeId"),
            r.findtext("Comparator"),
            [v.text for v in r.findall("IntegerValue")],
            [(v.findtext("Country"), v.findtext("Subdivision")) for v in r.findall("LocaleValue")],
            r.findtext("RequiredToPreview"),
        )
        for r in requirements
    ]
    assert got == [
        (member, "Exists", [], [], "0"),
        (level, "In", ["1", "3", "5"], [], "0"),
        ("00000000000000000071", "In", [], [("US", "WA"), ("CA", None)], "1"),
    ]


def test_workers_may_accept_a_hit_only_when_they_meet_exists_in_and_locale_requirements(
    endpoint, hit_mturk
):
    member = create_type(hit_mturk)
    level = create_type(hit_mturk)
    hit = new_hit(hit_mturk, max_assignments=5, requirements=[
        Requirement(member, "Exists"),
        Requirement(level, "In", [1, 3, 5]),
        LocaleRequirement("In", [("US", "WA"), "CA"], required_to_preview=True),
    ])

    def worker(country, subdivision=None, member_value=None, level_value=None) -> str:
        w = new_worker_id()
        control_set_profile(endpoint, w, Locale={"Country": country, "Subdivision": subdivision})
        for qual, value in ((member, member_value), (level, level_value)):
            if value is not None:
                hit_mturk.assign_qualification(qual, w, value=value, send_notification=False)
        return w

    in_seattle = worker("US", "WA", member_value=0, level_value=3)
    in_toronto = worker("CA", "ON", member_value=9, level_value=5)
    wrong_level = worker("US", "WA", member_value=1, level_value=4)
    no_member = worker("CA", level_value=1)
    in_oregon = worker("US", "OR", member_value=1, level_value=1)

    for w in (in_seattle, in_toronto):
        seen = control_worker_hits(endpoint, w)[hit.HITId]
        assert (seen["CanPreview"], seen["CanAccept"], seen["FailedRequirements"]) == (True, True, [])
        assert seen["Question"] == hit.Question
        assert control_accept(endpoint, w, hit.HITId)["HITId"] == hit.HITId
    for w, failed in ((wrong_level, [level]), (no_member, [member])):
        seen = control_worker_hits(endpoint, w)[hit.HITId]
        assert (seen["CanPreview"], seen["CanAccept"], seen["FailedRequirements"]) == (True, False, failed)
        control_accept_refused(endpoint, w, hit.HITId, "AWS.MechanicalTurk.DoesNotMeetRequirements")
    # RequiredToPreview: a worker outside the locales finds the HIT but not its question.
    seen = control_worker_hits(endpoint, in_oregon)[hit.HITId]
    assert (seen["CanPreview"], seen["CanAccept"]) == (False, False)
    assert seen["FailedRequirements"] == ["00000000000000000071"]
    assert "Question" not in seen
    control_accept_refused(endpoint, in_oregon, hit.HITId, "AWS.MechanicalTurk.DoesNotMeetRequirements")

    assert get_hit(hit_mturk, hit.HITId).NumberOfAssignmentsPending == "2"


def test_get_hit_returns_the_created_hit_and_its_assignment_counts(endpoint, hit_mturk):
    created = new_hit(hit_mturk, max_assignments=2, annotation=TRICKY_TEXT[:200])
    got = get_hit(hit_mturk, created.HITId)
    assert vars(got) == vars(created)
    control_work(endpoint, new_worker_id(), created.HITId, {"label": "x"})
    control_accept(endpoint, new_worker_id(), created.HITId)
    got = get_hit(hit_mturk, created.HITId)
    assert (got.NumberOfAssignmentsAvailable, got.NumberOfAssignmentsPending,
            got.NumberOfAssignmentsCompleted) == ("0", "1", "0")
    assert got.RequesterAnnotation == TRICKY_TEXT[:200]


def test_get_hit_of_an_unknown_id_fails_with_hit_does_not_exist(hit_mturk):
    missing = unknown_id()
    error = expect_error("AWS.MechanicalTurk.HITDoesNotExist", hit_mturk.get_hit, missing)
    assert missing in error.body


def test_another_requester_can_neither_read_nor_expire_the_hit(hit_mturk, other_mturk):
    hit = new_hit(hit_mturk)
    expect_error("AWS.MechanicalTurk.PermissionDenied", other_mturk.get_hit, hit.HITId)
    expect_error("AWS.MechanicalTurk.PermissionDenied", other_mturk.expire_hit, hit.HITId)
    assert get_hit(hit_mturk, hit.HITId).HITStatus == "Assignable"


def test_search_hits_pages_through_the_callers_hits_including_new_ones(hit_mturk, other_mturk):
    mine = {new_hit(hit_mturk).HITId for _ in range(2)}
    first = hit_mturk.search_hits(page_size=1)
    assert (first.NumResults, first.PageNumber) == ("1", "1")
    assert len(first) == 1
    found = search_all_hits(hit_mturk)
    ids = [h.HITId for h in found]
    assert len(ids) == len(set(ids))
    assert mine <= set(ids)
    assert all(h.HITStatus != "Disposed" for h in found)
    assert not mine & {h.HITId for h in other_mturk.search_hits(page_size=100)}


def test_get_reviewable_hits_and_set_reviewing_move_a_finished_hit_between_the_two_lists(
    endpoint, hit_mturk
):
    hit = new_hit(hit_mturk)
    # boto's defaults: Status=Reviewable, SortProperty=Expiration, PageSize=10.
    assert list(hit_mturk.get_reviewable_hits(hit_type=hit.HITTypeId)) == []
    control_work(endpoint, new_worker_id(), hit.HITId, {"label": "done"})
    reviewable = hit_mturk.get_reviewable_hits(hit_type=hit.HITTypeId)
    assert [h.HITId for h in reviewable] == [hit.HITId]
    assert (reviewable.NumResults, reviewable.TotalNumResults, reviewable.PageNumber) == ("1", "1", "1")
    assert reviewable[0].HITStatus == "Reviewable"

    assert hit_mturk.set_reviewing(hit.HITId).status is True
    assert list(hit_mturk.get_reviewable_hits(hit_type=hit.HITTypeId)) == []
    reviewing = hit_mturk.get_reviewable_hits(hit_type=hit.HITTypeId, status="Reviewing")
    assert [(h.HITId, h.HITStatus) for h in reviewing] == [(hit.HITId, "Reviewing")]
    expect_error("AWS.MechanicalTurk.InvalidHITState", hit_mturk.set_reviewing, hit.HITId)

    assert hit_mturk.set_reviewing(hit.HITId, revert=True).status is True
    assert get_hit(hit_mturk, hit.HITId).HITStatus == "Reviewable"
    expect_error("AWS.MechanicalTurk.InvalidHITState", hit_mturk.set_reviewing, hit.HITId, revert=True)


def test_change_hit_type_of_hit_gives_the_hit_the_new_types_properties(hit_mturk):
    hit = new_hit(hit_mturk, reward=0.50)
    title = unique_name("boto2 renamed")
    new_type = hit_mturk.register_hit_type(title, "another description", Price(0.50), 1200)[0].HITTypeId
    assert hit_mturk.change_hit_type_of_hit(hit.HITId, new_type).status is True
    moved = get_hit(hit_mturk, hit.HITId)
    assert (moved.HITTypeId, moved.Title, moved.Description) == (new_type, title, "another description")
    assert moved.AssignmentDurationInSeconds == "1200"
    assert moved.Expiration == hit.Expiration


def test_extend_hit_adds_assignments_and_then_time(endpoint, hit_mturk):
    hit = new_hit(hit_mturk, max_assignments=1)
    control_work(endpoint, new_worker_id(), hit.HITId, {"label": "first"})
    assert get_hit(hit_mturk, hit.HITId).HITStatus == "Reviewable"

    assert hit_mturk.extend_hit(hit.HITId, assignments_increment=2).status is True
    more = get_hit(hit_mturk, hit.HITId)
    assert (more.HITStatus, more.MaxAssignments, more.NumberOfAssignmentsAvailable) == ("Assignable", "3", "2")

    assert hit_mturk.extend_hit(hit.HITId, expiration_increment=3600).status is True
    later = get_hit(hit_mturk, hit.HITId)
    assert parse_time(later.Expiration) - parse_time(hit.Expiration) == timedelta(hours=1)


def test_expire_hit_makes_an_unfinished_hit_reviewable_and_no_longer_acceptable(endpoint, hit_mturk):
    hit = new_hit(hit_mturk, max_assignments=2)
    worker = new_worker_id()
    assert hit.HITId in control_worker_hits(endpoint, worker)
    assert hit_mturk.expire_hit(hit.HITId).status is True
    expired = get_hit(hit_mturk, hit.HITId)
    assert expired.HITStatus == "Reviewable"
    assert parse_time(expired.Expiration) <= parse_time(hit.Expiration)
    assert hit.HITId not in control_worker_hits(endpoint, worker)
    control_accept_refused(endpoint, worker, hit.HITId, "AWS.MechanicalTurk.InvalidHITState")
    assert hit.HITId in {h.HITId for h in hit_mturk.get_reviewable_hits(hit_type=hit.HITTypeId)}


def test_disable_hit_pays_for_submitted_work_and_disposes_the_hit(endpoint, hit_mturk):
    hit = new_hit(hit_mturk, reward=0.50, max_assignments=3)
    control_work(endpoint, new_worker_id(), hit.HITId, {"label": "kept"})
    before = balance_cents(hit_mturk)
    assert hit_mturk.disable_hit(hit.HITId).status is True
    assert before - balance_cents(hit_mturk) == 60  # 0.50 + 20%
    assert get_hit(hit_mturk, hit.HITId).HITStatus == "Disposed"
    assert hit.HITId not in {h.HITId for h in search_all_hits(hit_mturk)}
    control_accept_refused(endpoint, new_worker_id(), hit.HITId, "AWS.MechanicalTurk.InvalidHITState")


def test_disable_hit_succeeds_while_a_worker_is_still_working_on_it(endpoint, hit_mturk):
    # "Assignments in progress at the time of the call to DisableHIT will be
    # approved once the assignments are submitted" (the API reference, quoted
    # in boto's disable_hit docstring).
    hit = new_hit(hit_mturk, reward=0.50, max_assignments=2)
    control_work(endpoint, new_worker_id(), hit.HITId, {"label": "done"})
    busy = control_accept(endpoint, new_worker_id(), hit.HITId)["AssignmentId"]
    before = balance_cents(hit_mturk)
    assert hit_mturk.disable_hit(hit.HITId).status is True
    assert before - balance_cents(hit_mturk) == 60
    assert get_hit(hit_mturk, hit.HITId).HITStatus == "Disposed"
    # The work still in progress is approved, and paid, once it is submitted.
    control_submit(endpoint, busy, {"label": "late but fine"})
    assert before - balance_cents(hit_mturk) == 120


def test_dispose_hit_is_refused_until_every_submitted_assignment_is_reviewed(hit_mturk, submitted):
    hit, assignment_id = submitted
    expect_error("AWS.MechanicalTurk.InvalidHITState", hit_mturk.dispose_hit, hit.HITId)
    hit_mturk.reject_assignment(assignment_id, feedback="not a cat")
    assert hit_mturk.dispose_hit(hit.HITId).status is True
    assert get_hit(hit_mturk, hit.HITId).HITStatus == "Disposed"
    assert list(hit_mturk.get_reviewable_hits(hit_type=hit.HITTypeId)) == []


def test_dispose_hit_of_an_assignable_hit_fails_with_invalid_hit_state(hit_mturk):
    hit = new_hit(hit_mturk)
    expect_error("AWS.MechanicalTurk.InvalidHITState", hit_mturk.dispose_hit, hit.HITId)
    assert get_hit(hit_mturk, hit.HITId).HITStatus == "Assignable"


# ---------------------------------------------------------------- assignments


def test_get_assignments_returns_each_submitted_answer_parsed_by_boto(endpoint, hit_mturk):
    hit = new_hit(hit_mturk, max_assignments=3)
    first, second = new_worker_id(), new_worker_id()
    a1 = control_work(endpoint, first, hit.HITId, {"label": "cat"})
    a2 = control_work(endpoint, second, hit.HITId, {"label": TRICKY_TEXT, "comment": "none"})
    control_accept(endpoint, new_worker_id(), hit.HITId)  # in progress: never listed

    result = hit_mturk.get_assignments(hit.HITId)
    assert (result.NumResults, result.TotalNumResults, result.PageNumber) == ("2", "2", "1")
    got = {a.AssignmentId: a for a in result}
    assert set(got) == {a1, a2}
    for a, worker in ((got[a1], first), (got[a2], second)):
        assert (a.WorkerId, a.HITId, a.AssignmentStatus) == (worker, hit.HITId, "Submitted")
        assert a.SubmitTime and a.AcceptTime and a.AutoApprovalTime and a.Deadline
    # boto parses the embedded QuestionFormAnswers into answers[0]: one per question.
    assert [(qa.qid, qa.fields) for qa in got[a1].answers[0]] == [("label", ["cat"])]
    assert [(qa.qid, qa.fields) for qa in got[a2].answers[0]] == [("label", [TRICKY_TEXT]), ("comment", ["none"])]
    # (boto keeps only the parsed answers; the document itself, from the raw XML:)
    raw_answers = {
        a.findtext("AssignmentId"): a.findtext("Answer")
        for a in raw(hit_mturk, "GetAssignmentsForHIT", HITId=hit.HITId).iter("Assignment")
    }
    assert parse_answer_document(raw_answers[a2]) == [("label", TRICKY_TEXT), ("comment", "none")]

    hit_mturk.approve_assignment(a1)
    approved = hit_mturk.get_assignments(hit.HITId, status="Approved")
    assert [a.AssignmentId for a in approved] == [a1]
    assert [a.AssignmentId for a in hit_mturk.get_assignments(hit.HITId, status="Submitted")] == [a2]


def test_get_assignment_returns_the_assignment_and_its_hit(hit_mturk, submitted, worker):
    hit, assignment_id = submitted
    result = hit_mturk.get_assignment(assignment_id)
    assert result.status is True
    assignment, got_hit = result
    assert (assignment.AssignmentId, assignment.WorkerId, assignment.HITId) == (assignment_id, worker, hit.HITId)
    assert assignment.AssignmentStatus == "Submitted"
    assert [(qa.qid, qa.fields) for qa in assignment.answers[0]] == [("label", ["a cat"])]
    raw_answer = raw(hit_mturk, "GetAssignment", AssignmentId=assignment_id).findtext(".//Assignment/Answer")
    assert raw_answer == answer_document({"label": "a cat"})
    assert (got_hit.HITId, got_hit.Title, got_hit.HITStatus) == (hit.HITId, hit.Title, "Reviewable")


def test_an_accepted_but_unsubmitted_assignment_is_not_the_requesters_to_see(endpoint, hit_mturk):
    hit = new_hit(hit_mturk)
    assignment_id = control_accept(endpoint, new_worker_id(), hit.HITId)["AssignmentId"]
    expect_error("AWS.MechanicalTurk.AssignmentDoesNotExist", hit_mturk.get_assignment, assignment_id)
    expect_error("AWS.MechanicalTurk.AssignmentDoesNotExist", hit_mturk.get_assignment, unknown_id())


def test_approving_pays_the_reward_plus_a_20_percent_fee_once(hit_mturk, submitted):
    _, assignment_id = submitted
    before = balance_cents(hit_mturk)
    assert hit_mturk.approve_assignment(assignment_id, feedback="Great work").status is True
    assert before - balance_cents(hit_mturk) == 150  # 1.25 + 0.25
    assignment = hit_mturk.get_assignment(assignment_id)[0]
    assert (assignment.AssignmentStatus, assignment.RequesterFeedback) == ("Approved", "Great work")
    assert assignment.ApprovalTime
    expect_error("AWS.MechanicalTurk.InvalidAssignmentState", hit_mturk.approve_assignment, assignment_id)
    expect_error("AWS.MechanicalTurk.InvalidAssignmentState", hit_mturk.reject_assignment, assignment_id)
    assert before - balance_cents(hit_mturk) == 150


def test_a_rejected_assignment_costs_nothing_until_approve_rejected_assignment_pays_it(
    hit_mturk, submitted
):
    _, assignment_id = submitted
    before = balance_cents(hit_mturk)
    assert hit_mturk.reject_assignment(assignment_id, feedback=TRICKY_TEXT).status is True
    rejected = hit_mturk.get_assignment(assignment_id)[0]
    assert (rejected.AssignmentStatus, rejected.RequesterFeedback) == ("Rejected", TRICKY_TEXT)
    assert rejected.RejectionTime
    assert balance_cents(hit_mturk) == before
    expect_error("AWS.MechanicalTurk.InvalidAssignmentState", hit_mturk.approve_assignment, assignment_id)

    assert hit_mturk.approve_rejected_assignment(assignment_id, feedback="Sorry, it was a cat").status is True
    approved = hit_mturk.get_assignment(assignment_id)[0]
    assert (approved.AssignmentStatus, approved.RequesterFeedback) == ("Approved", "Sorry, it was a cat")
    assert before - balance_cents(hit_mturk) == 150
    expect_error("AWS.MechanicalTurk.InvalidAssignmentState",
                 hit_mturk.approve_rejected_assignment, assignment_id)


# ---------------------------------------------------------------- bonuses


def test_grant_bonus_pays_amount_plus_fee_and_get_bonus_payments_lists_it(hit_mturk, submitted, worker):
    hit, assignment_id = submitted
    hit_mturk.approve_assignment(assignment_id)
    before = balance_cents(hit_mturk)
    assert hit_mturk.grant_bonus(worker, assignment_id, Price(2.00), TRICKY_TEXT).status is True
    assert before - balance_cents(hit_mturk) == 240  # 2.00 + 20%

    by_assignment = get_bonus_payments(hit_mturk, AssignmentId=assignment_id)
    assert (by_assignment.NumResults, by_assignment.TotalNumResults, by_assignment.PageNumber) == ("1", "1", "1")
    [bonus] = by_assignment
    assert (bonus.WorkerId, bonus.AssignmentId, bonus.Reason) == (worker, assignment_id, TRICKY_TEXT)
    assert (bonus.Amount, bonus.CurrencyCode, bonus.FormattedPrice) == ("2.00", "USD", "$2.00")
    assert parse_time(bonus.GrantTime)

    hit_mturk.grant_bonus(worker, assignment_id, Price(0.50), "and a little more")
    by_hit = get_bonus_payments(hit_mturk, HITId=hit.HITId)
    assert sorted((b.Amount, b.Reason) for b in by_hit) == [("0.50", "and a little more"), ("2.00", TRICKY_TEXT)]


def test_a_bonus_for_someone_elses_assignment_is_refused_and_costs_nothing(hit_mturk, submitted):
    _, assignment_id = submitted
    before = balance_cents(hit_mturk)
    expect_error("AWS.MechanicalTurk.InvalidParameterValue",
                 hit_mturk.grant_bonus, new_worker_id(), assignment_id, Price(1.00), "wrong worker")
    assert balance_cents(hit_mturk) == before
    assert list(get_bonus_payments(hit_mturk, AssignmentId=assignment_id)) == []


def test_get_bonus_payments_without_hit_or_assignment_fails_with_invalid_parameter_value(hit_mturk):
    expect_error("AWS.MechanicalTurk.InvalidParameterValue", get_bonus_payments, hit_mturk)


# ---------------------------------------------------------------- the whole story


def test_a_worker_whose_qualification_was_revoked_cannot_accept_until_granted_again(endpoint, hit_mturk):
    qual = create_type(hit_mturk, name=unique_name("boto2 trusted labeller"))
    worker = new_worker_id()
    hit_mturk.assign_qualification(qual, worker, value=1, send_notification=False)
    requires_qual = [Requirement(qual, "Exists")]

    # The worker finds the first HIT, accepts it and submits.
    first = new_hit(hit_mturk, reward=0.50, requirements=requires_qual)
    seen = control_worker_hits(endpoint, worker)[first.HITId]
    assert (seen["CanAccept"], seen["FailedRequirements"]) == (True, [])
    assignment_id = control_accept(endpoint, worker, first.HITId)["AssignmentId"]
    control_submit(endpoint, assignment_id, {"label": "cat"})
    [assignment] = hit_mturk.get_assignments(first.HITId)
    assert (assignment.AssignmentId, assignment.WorkerId) == (assignment_id, worker)
    assert [(qa.qid, qa.fields) for qa in assignment.answers[0]] == [("label", ["cat"])]
    before = balance_cents(hit_mturk)
    hit_mturk.approve_assignment(assignment_id)
    assert before - balance_cents(hit_mturk) == 60

    # The requester revokes the qualification, with a reason.
    hit_mturk.revoke_qualification(worker, qual, reason="Labels were random")
    second = new_hit(hit_mturk, reward=0.50, requirements=requires_qual)
    control_accept_refused(endpoint, worker, second.HITId, "AWS.MechanicalTurk.DoesNotMeetRequirements")
    seen = control_worker_hits(endpoint, worker)[second.HITId]
    assert (seen["CanAccept"], seen["FailedRequirements"]) == (False, [qual])
    revoked = [n for n in control_notifications(endpoint, worker) if n["Kind"] == "QualificationRevoked"]
    assert [(n["QualificationTypeId"], n["Text"]) for n in revoked] == [(qual, "Labels were random")]

    # The worker asks for it again and the requester grants the request.
    request = control_request_qualification(endpoint, worker, qual)
    assert request["Status"] == "Pending", request
    pending = hit_mturk.get_qualification_requests(qual, sort_by="SubmitTime")
    assert [(r.QualificationRequestId, r.SubjectId) for r in pending] == [(request["QualificationRequestId"], worker)]
    assert hit_mturk.grant_qualification(request["QualificationRequestId"], integer_value=2).status is True
    assert hit_mturk.get_qualification_score(qual, worker)[0].Status == "Granted"

    # Now the worker can take the second HIT.
    assert control_worker_hits(endpoint, worker)[second.HITId]["CanAccept"] is True
    again = control_accept(endpoint, worker, second.HITId)
    assert again["HITId"] == second.HITId
    assert get_hit(hit_mturk, second.HITId).NumberOfAssignmentsPending == "1"


def test_an_external_question_hit_created_by_boto_gives_the_worker_its_page(endpoint, hit_mturk):
    hit = new_hit(hit_mturk, question=ExternalQuestion("https://example.org/task?batch=7&mode=a", 800))
    assert "<ExternalURL>https://example.org/task?batch=7&amp;mode=a</ExternalURL>" in hit.Question
    worker = new_worker_id()
    accepted = control_accept(endpoint, worker, hit.HITId)
    assert accepted["ExternalURL"].startswith("https://example.org/task?batch=7&mode=a&assignmentId=")
    assert f"hitId={hit.HITId}" in accepted["ExternalURL"]
    assert f"workerId={worker}" in accepted["ExternalURL"]
