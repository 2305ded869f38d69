"""HITs, assignments and bonuses through boto3 (the 2017-01-17 JSON API).

The requester is the third one of run.sh (`hit_mturk`): it pays for every
approval and bonus, so the first two requesters keep the balances the balance
tests expect. Workers are played through the server's /_local control plane:
they find, accept, submit and return HITs there, and ExternalQuestion pages
post their forms to `{turkSubmitTo}/mturk/externalSubmit` as a worker's
browser would. Expected behaviour: modern-api.md §2 ("HIT types and HITs",
"Assignments", "Bonuses").

Two tests move the server's virtual clock forward (never back), by a few
minutes per run. Every other HIT here waits the default 30 days before it is
approved automatically and lives LIFETIME seconds, so the clock never approves
anything behind another test's back, and HITs left open by one run leave the
marketplace soon after. All names, tokens and worker ids are fresh, so the
file can run again and again against one server.
"""

import math
import urllib.parse
from datetime import datetime, timedelta, timezone

import pytest

from mturk_local_testing import (
    TRICKY_TEXT,
    answer_document,
    cents,
    control_accept,
    control_accept_refused,
    control_advance_clock,
    control_call,
    control_error,
    control_notifications,
    control_now,
    control_request_qualification,
    control_set_profile,
    control_submit,
    control_work,
    control_worker_assignments,
    control_worker_hits,
    external_question,
    http_call,
    new_worker_id,
    parse_answer_document,
    unique_name,
    unknown_id,
)
from modern_support import (
    MONEY,
    assert_recent,
    assert_request_id,
    create_type,
    expect_request_error,
    legacy_call,
    new_uuid,
)

LIFETIME = 900
DURATION = 600
DEFAULT_AUTO_APPROVAL = 2_592_000  # 30 days
LOCALE = "00000000000000000071"

QUESTION = (
    '<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/'
    'QuestionForm.xsd"><Question><QuestionIdentifier>label</QuestionIdentifier><QuestionContent><Text>'
    "What is in the picture?</Text></QuestionContent><AnswerSpecification><FreeTextAnswer/>"
    "</AnswerSpecification></Question></QuestionForm>"
)


# ---------------------------------------------------------------- helpers


def hit_type_properties(**kwargs) -> dict:
    props = dict(
        Title=unique_name("boto3 HIT"),
        Description="made by tests/clients/modern/test_boto3_hits.py",
        Keywords="boto3, hits",
        Reward="0.50",
        AssignmentDurationInSeconds=DURATION,
    )
    props.update(kwargs)
    return props


def new_hit(client, **kwargs) -> dict:
    """CreateHIT with fresh properties (overridable); returns the HIT."""
    kwargs.setdefault("MaxAssignments", 1)
    kwargs.setdefault("LifetimeInSeconds", LIFETIME)
    kwargs.setdefault("Question", QUESTION)
    created = client.create_hit(**hit_type_properties(**kwargs))
    assert_request_id(created)
    return created["HIT"]


def get_hit(client, hit_id: str) -> dict:
    return client.get_hit(HITId=hit_id)["HIT"]


def balance_cents(client) -> int:
    balance = client.get_account_balance()["AvailableBalance"]
    assert MONEY.fullmatch(balance), balance
    return cents(balance)


def exists(type_id: str) -> dict:
    return {"QualificationTypeId": type_id, "Comparator": "Exists"}


def paginate(client, operation: str, **kwargs) -> list:
    """All pages of a botocore paginator, after checking the token rules (modern-api.md §4)."""
    pages = list(client.get_paginator(operation).paginate(**kwargs))
    tokens = [page["NextToken"] for page in pages if "NextToken" in page]
    assert len(tokens) == len(set(tokens)), tokens
    # The real service hands out a NextToken on every page that has items, the
    # last one included; the walk ends on an empty page without one (§4, corrected).
    assert "NextToken" not in pages[-1], pages[-1]
    assert pages[-1]["NumResults"] == 0, pages[-1]
    assert all("NextToken" in page and page["NumResults"] > 0 for page in pages[:-1])
    return pages


def all_hit_ids(client) -> list:
    pages = paginate(client, "list_hits", PaginationConfig={"PageSize": 100})
    for page in pages:
        assert page["NumResults"] == len(page["HITs"]) <= 100
    ids = [h["HITId"] for page in pages for h in page["HITs"]]
    assert len(ids) == len(set(ids))
    return ids


def reviewable_ids(client, hit_type_id: str, status: str = "Reviewable") -> list:
    found = client.list_reviewable_hits(HITTypeId=hit_type_id, Status=status)
    assert found["NumResults"] == len(found["HITs"])
    assert all(h["HITStatus"] == status for h in found["HITs"])
    return [h["HITId"] for h in found["HITs"]]


def seconds_until(endpoint, moment: datetime) -> float:
    return (moment - control_now(endpoint)).total_seconds()


@pytest.fixture
def worker() -> str:
    return new_worker_id()


@pytest.fixture
def submitted(endpoint, hit_mturk, worker):
    """(HIT, assignment id): a 1.25 HIT whose one assignment the worker submitted."""
    hit = new_hit(hit_mturk, Reward="1.25")
    assignment_id = control_work(endpoint, worker, hit["HITId"], {"label": "a cat"})
    return hit, assignment_id


# ---------------------------------------------------------------- HIT types and HITs


def test_create_hit_type_returns_an_id_and_the_same_id_for_identical_properties(hit_mturk):
    qual = create_type(hit_mturk)["QualificationTypeId"]
    props = hit_type_properties(AutoApprovalDelayInSeconds=3600, QualificationRequirements=[exists(qual)])
    created = hit_mturk.create_hit_type(**props)
    assert_request_id(created)
    assert set(created) == {"HITTypeId", "ResponseMetadata"}
    type_id = created["HITTypeId"]
    assert hit_mturk.create_hit_type(**props)["HITTypeId"] == type_id
    assert hit_mturk.create_hit_type(**dict(props, Reward="0.51"))["HITTypeId"] != type_id


def test_create_hit_returns_the_new_hit_with_every_field(endpoint, hit_mturk):
    member = create_type(hit_mturk)["QualificationTypeId"]
    level = create_type(hit_mturk)["QualificationTypeId"]
    requirements = [
        exists(member),
        {"QualificationTypeId": level, "Comparator": "In", "IntegerValues": [1, 3, 5]},
        {
            "QualificationTypeId": LOCALE,
            "Comparator": "In",
            "LocaleValues": [{"Country": "US", "Subdivision": "WA"}, {"Country": "CA"}],
            "ActionsGuarded": "DiscoverPreviewAndAccept",
        },
    ]
    title = unique_name("boto3 full HIT")
    hit = new_hit(hit_mturk, Title=title, MaxAssignments=3, RequesterAnnotation="batch 7",
                  AutoApprovalDelayInSeconds=86_400, QualificationRequirements=requirements)
    assert hit["HITId"] and hit["HITTypeId"] and hit["HITGroupId"]
    assert (hit["Title"], hit["Description"], hit["Keywords"]) == (
        title, "made by tests/clients/modern/test_boto3_hits.py", "boto3, hits")
    assert hit["Question"] == QUESTION
    assert (hit["HITStatus"], hit["HITReviewStatus"]) == ("Assignable", "NotReviewed")
    assert (hit["MaxAssignments"], hit["Reward"], hit["RequesterAnnotation"]) == (3, "0.50", "batch 7")
    assert (hit["AutoApprovalDelayInSeconds"], hit["AssignmentDurationInSeconds"]) == (86_400, DURATION)
    assert (hit["NumberOfAssignmentsPending"], hit["NumberOfAssignmentsAvailable"],
            hit["NumberOfAssignmentsCompleted"]) == (0, 3, 0)
    assert_recent(hit["CreationTime"], control_now(endpoint))
    assert hit["Expiration"] - hit["CreationTime"] == timedelta(seconds=LIFETIME)
    echoed = hit["QualificationRequirements"]
    assert [(r["QualificationTypeId"], r["Comparator"]) for r in echoed] == [
        (member, "Exists"), (level, "In"), (LOCALE, "In")]
    assert "IntegerValues" not in echoed[0] and "LocaleValues" not in echoed[0]
    assert echoed[1]["IntegerValues"] == [1, 3, 5]
    assert echoed[2]["LocaleValues"] == [{"Country": "US", "Subdivision": "WA"}, {"Country": "CA"}]
    assert echoed[2]["ActionsGuarded"] == "DiscoverPreviewAndAccept"


def test_a_hit_without_requirements_lists_none(hit_mturk):
    assert new_hit(hit_mturk)["QualificationRequirements"] == []


def test_create_hit_with_hit_type_inherits_the_type_and_a_reused_token_fails_with_hit_already_exists(
    hit_mturk
):
    props = hit_type_properties(Reward="0.25", AutoApprovalDelayInSeconds=7200)
    type_id = hit_mturk.create_hit_type(**props)["HITTypeId"]
    token = new_uuid()
    first = hit_mturk.create_hit_with_hit_type(HITTypeId=type_id, LifetimeInSeconds=LIFETIME,
                                               Question=QUESTION, MaxAssignments=2, UniqueRequestToken=token)
    hit = first["HIT"]
    assert (hit["HITTypeId"], hit["Title"], hit["Reward"], hit["Keywords"]) == (
        type_id, props["Title"], "0.25", props["Keywords"])
    assert (hit["AutoApprovalDelayInSeconds"], hit["MaxAssignments"]) == (7200, 2)

    response = expect_request_error(
        hit_mturk, "AWS.MechanicalTurk.HitAlreadyExists", hit_mturk.create_hit_with_hit_type,
        HITTypeId=type_id, LifetimeInSeconds=LIFETIME, Question=QUESTION, UniqueRequestToken=token)
    assert hit["HITId"] in response["Error"]["Message"]
    other = hit_mturk.create_hit_with_hit_type(HITTypeId=type_id, LifetimeInSeconds=LIFETIME,
                                               Question=QUESTION, UniqueRequestToken=new_uuid())
    assert other["HIT"]["HITId"] != hit["HITId"]


def test_create_hit_with_a_reused_token_fails_with_hit_already_exists(hit_mturk):
    token = new_uuid()
    hit = new_hit(hit_mturk, UniqueRequestToken=token)
    response = expect_request_error(hit_mturk, "AWS.MechanicalTurk.HitAlreadyExists", hit_mturk.create_hit,
                                    **hit_type_properties(LifetimeInSeconds=LIFETIME, Question=QUESTION,
                                                          UniqueRequestToken=token))
    assert hit["HITId"] in response["Error"]["Message"]


def test_another_requesters_hit_type_cannot_be_used(hit_mturk, other_mturk):
    type_id = hit_mturk.create_hit_type(**hit_type_properties())["HITTypeId"]
    expect_request_error(other_mturk, "AWS.MechanicalTurk.PermissionDenied", other_mturk.create_hit_with_hit_type,
                         HITTypeId=type_id, LifetimeInSeconds=LIFETIME, Question=QUESTION)


def test_a_requester_who_cannot_pay_every_assignment_cannot_create_the_hit(other_mturk):
    # The second requester has 25.00; two assignments of 20.00 + 20% cost 48.00.
    before = balance_cents(other_mturk)
    expect_request_error(other_mturk, "AWS.MechanicalTurk.InsufficientFunds", other_mturk.create_hit,
                         **hit_type_properties(Reward="20.00", MaxAssignments=2, LifetimeInSeconds=LIFETIME,
                                               Question=QUESTION))
    assert balance_cents(other_mturk) == before


def test_a_question_that_is_not_a_question_document_fails_with_xml_parse_error(hit_mturk):
    expect_request_error(hit_mturk, "AWS.MechanicalTurk.XMLParseError", hit_mturk.create_hit,
                         **hit_type_properties(LifetimeInSeconds=LIFETIME, Question="<Other xmlns=\"x\"/>"))


def test_get_hit_returns_what_create_hit_returned(hit_mturk):
    hit = new_hit(hit_mturk, MaxAssignments=2, RequesterAnnotation=TRICKY_TEXT[:200])
    got = hit_mturk.get_hit(HITId=hit["HITId"])
    assert_request_id(got)
    assert got["HIT"] == hit


def test_get_hit_of_an_unknown_or_someone_elses_hit_fails(hit_mturk, other_mturk):
    missing = unknown_id()
    response = expect_request_error(hit_mturk, "AWS.MechanicalTurk.HITDoesNotExist", hit_mturk.get_hit,
                                    HITId=missing)
    assert missing in response["Error"]["Message"]
    hit = new_hit(hit_mturk)
    expect_request_error(other_mturk, "AWS.MechanicalTurk.PermissionDenied", other_mturk.get_hit, HITId=hit["HITId"])


def test_list_hits_pages_through_the_callers_hits_with_fresh_tokens(hit_mturk, other_mturk):
    created = [new_hit(hit_mturk) for _ in range(3)]
    mine = [h["HITId"] for h in created]
    first = hit_mturk.list_hits(MaxResults=2)
    assert first["NumResults"] == len(first["HITs"]) == 2
    second = hit_mturk.list_hits(MaxResults=2, NextToken=first["NextToken"])
    assert not {h["HITId"] for h in first["HITs"]} & {h["HITId"] for h in second["HITs"]}
    ids = all_hit_ids(hit_mturk)
    assert set(mine) <= set(ids)
    # Oldest first: the three new HITs come last, by CreationTime, and HITs created in the same
    # millisecond by HITId (the emulator is fast enough to create several in one).
    in_order = [h["HITId"] for h in sorted(created, key=lambda h: (h["CreationTime"], h["HITId"]))]
    assert [i for i in ids if i in mine] == in_order
    assert not set(mine) & set(all_hit_ids(other_mturk))


def test_list_reviewable_hits_and_update_hit_review_status_move_a_finished_hit_between_the_lists(
    endpoint, hit_mturk
):
    hit = new_hit(hit_mturk)
    type_id = hit["HITTypeId"]
    assert reviewable_ids(hit_mturk, type_id) == []
    control_work(endpoint, new_worker_id(), hit["HITId"], {"label": "done"})
    assert reviewable_ids(hit_mturk, type_id) == [hit["HITId"]]
    everything = paginate(hit_mturk, "list_reviewable_hits", PaginationConfig={"PageSize": 100})
    assert hit["HITId"] in {h["HITId"] for page in everything for h in page["HITs"]}

    assert set(hit_mturk.update_hit_review_status(HITId=hit["HITId"])) == {"ResponseMetadata"}
    assert get_hit(hit_mturk, hit["HITId"])["HITStatus"] == "Reviewing"
    assert reviewable_ids(hit_mturk, type_id) == []
    assert reviewable_ids(hit_mturk, type_id, "Reviewing") == [hit["HITId"]]
    expect_request_error(hit_mturk, "AWS.MechanicalTurk.InvalidHITState",
                         hit_mturk.update_hit_review_status, HITId=hit["HITId"])

    hit_mturk.update_hit_review_status(HITId=hit["HITId"], Revert=True)
    assert reviewable_ids(hit_mturk, type_id) == [hit["HITId"]]
    expect_request_error(hit_mturk, "AWS.MechanicalTurk.InvalidHITState",
                         hit_mturk.update_hit_review_status, HITId=hit["HITId"], Revert=True)


def test_update_hit_review_status_of_an_assignable_hit_fails_with_invalid_hit_state(hit_mturk):
    hit = new_hit(hit_mturk)
    expect_request_error(hit_mturk, "AWS.MechanicalTurk.InvalidHITState",
                         hit_mturk.update_hit_review_status, HITId=hit["HITId"])


def test_update_hit_type_of_hit_gives_the_hit_every_property_of_the_new_type(endpoint, hit_mturk):
    hit = new_hit(hit_mturk)
    qual = create_type(hit_mturk)["QualificationTypeId"]
    props = hit_type_properties(Title=unique_name("boto3 moved"), Description="moved", Keywords="moved",
                                Reward="0.75", AssignmentDurationInSeconds=120, AutoApprovalDelayInSeconds=600,
                                QualificationRequirements=[exists(qual)])
    new_type = hit_mturk.create_hit_type(**props)["HITTypeId"]
    assert set(hit_mturk.update_hit_type_of_hit(HITId=hit["HITId"], HITTypeId=new_type)) == {"ResponseMetadata"}
    moved = get_hit(hit_mturk, hit["HITId"])
    assert (moved["HITTypeId"], moved["Title"], moved["Description"], moved["Keywords"]) == (
        new_type, props["Title"], "moved", "moved")
    assert (moved["Reward"], moved["AssignmentDurationInSeconds"], moved["AutoApprovalDelayInSeconds"]) == (
        "0.75", 120, 600)
    assert [r["QualificationTypeId"] for r in moved["QualificationRequirements"]] == [qual]
    assert (moved["Expiration"], moved["Question"]) == (hit["Expiration"], hit["Question"])
    # And the new requirement applies to workers.
    control_accept_refused(endpoint, new_worker_id(), hit["HITId"], "AWS.MechanicalTurk.DoesNotMeetRequirements")


def test_update_expiration_for_hit_in_the_past_makes_it_reviewable_and_a_later_time_reopens_it(
    endpoint, hit_mturk
):
    hit = new_hit(hit_mturk, MaxAssignments=2)
    worker = new_worker_id()
    result = hit_mturk.update_expiration_for_hit(HITId=hit["HITId"],
                                                 ExpireAt=datetime(2001, 1, 1, tzinfo=timezone.utc))
    assert set(result) == {"ResponseMetadata"}
    expired = get_hit(hit_mturk, hit["HITId"])
    assert expired["HITStatus"] == "Reviewable"
    assert expired["Expiration"] <= control_now(endpoint)
    assert hit["HITId"] in reviewable_ids(hit_mturk, hit["HITTypeId"])
    assert hit["HITId"] not in control_worker_hits(endpoint, worker)
    control_accept_refused(endpoint, worker, hit["HITId"], "AWS.MechanicalTurk.InvalidHITState")

    later = control_now(endpoint) + timedelta(hours=2)
    hit_mturk.update_expiration_for_hit(HITId=hit["HITId"], ExpireAt=later)
    reopened = get_hit(hit_mturk, hit["HITId"])
    assert reopened["HITStatus"] == "Assignable"
    assert abs((reopened["Expiration"] - later).total_seconds()) < 1
    assert control_accept(endpoint, worker, hit["HITId"])["HITId"] == hit["HITId"]


def test_create_additional_assignments_for_hit_reopens_a_finished_hit_once_per_token(endpoint, hit_mturk):
    hit = new_hit(hit_mturk, MaxAssignments=1)
    control_work(endpoint, new_worker_id(), hit["HITId"], {"label": "first"})
    assert get_hit(hit_mturk, hit["HITId"])["HITStatus"] == "Reviewable"
    token = new_uuid()
    added = hit_mturk.create_additional_assignments_for_hit(HITId=hit["HITId"], NumberOfAdditionalAssignments=2,
                                                            UniqueRequestToken=token)
    assert set(added) == {"ResponseMetadata"}
    more = get_hit(hit_mturk, hit["HITId"])
    assert (more["HITStatus"], more["MaxAssignments"], more["NumberOfAssignmentsAvailable"],
            more["NumberOfAssignmentsCompleted"]) == ("Assignable", 3, 2, 0)
    expect_request_error(hit_mturk, None, hit_mturk.create_additional_assignments_for_hit,
                         HITId=hit["HITId"], NumberOfAdditionalAssignments=2, UniqueRequestToken=token)
    expect_request_error(hit_mturk, "AWS.MechanicalTurk.InvalidMaximumAssignmentsIncrease",
                         hit_mturk.create_additional_assignments_for_hit,
                         HITId=hit["HITId"], NumberOfAdditionalAssignments=7)
    assert get_hit(hit_mturk, hit["HITId"])["MaxAssignments"] == 3
    assert control_accept(endpoint, new_worker_id(), hit["HITId"])["HITId"] == hit["HITId"]


def test_delete_hit_needs_a_reviewable_hit_with_every_assignment_reviewed(endpoint, hit_mturk):
    hit = new_hit(hit_mturk, MaxAssignments=2)
    expect_request_error(hit_mturk, "AWS.MechanicalTurk.InvalidHITState", hit_mturk.delete_hit, HITId=hit["HITId"])
    a1 = control_work(endpoint, new_worker_id(), hit["HITId"], {"label": "one"})
    a2 = control_work(endpoint, new_worker_id(), hit["HITId"], {"label": "two"})
    assert get_hit(hit_mturk, hit["HITId"])["HITStatus"] == "Reviewable"
    expect_request_error(hit_mturk, "AWS.MechanicalTurk.InvalidHITState", hit_mturk.delete_hit, HITId=hit["HITId"])
    hit_mturk.approve_assignment(AssignmentId=a1)
    hit_mturk.reject_assignment(AssignmentId=a2, RequesterFeedback="wrong")

    deleted = hit_mturk.delete_hit(HITId=hit["HITId"])
    assert set(deleted) == {"ResponseMetadata"}
    assert get_hit(hit_mturk, hit["HITId"])["HITStatus"] == "Disposed"
    assert hit["HITId"] not in all_hit_ids(hit_mturk)
    assert reviewable_ids(hit_mturk, hit["HITTypeId"]) == []
    # A deleted HIT's rejections can no longer be overridden (modern-api.md §2).
    expect_request_error(hit_mturk, "AWS.MechanicalTurk.InvalidAssignmentState", hit_mturk.approve_assignment,
                         AssignmentId=a2, OverrideRejection=True)


def test_list_hits_for_qualification_type_lists_the_hits_that_require_it(hit_mturk):
    qual = create_type(hit_mturk)["QualificationTypeId"]
    level = {"QualificationTypeId": qual, "Comparator": "GreaterThanOrEqualTo", "IntegerValues": [50]}
    wanted = {new_hit(hit_mturk, QualificationRequirements=[exists(qual)])["HITId"],
              new_hit(hit_mturk, QualificationRequirements=[level])["HITId"]}
    new_hit(hit_mturk)
    new_hit(hit_mturk, QualificationRequirements=[exists(create_type(hit_mturk)["QualificationTypeId"])])
    pages = paginate(hit_mturk, "list_hits_for_qualification_type", QualificationTypeId=qual,
                     PaginationConfig={"PageSize": 1})
    assert len(pages) >= 2
    for page in pages:
        assert page["NumResults"] == len(page["HITs"]) <= 1
    assert {h["HITId"] for page in pages for h in page["HITs"]} == wanted
    expect_request_error(hit_mturk, "AWS.MechanicalTurk.QualificationTypeDoesNotExist",
                         hit_mturk.list_hits_for_qualification_type, QualificationTypeId=unknown_id())


# ---------------------------------------------------------------- assignments


def test_list_assignments_for_hit_lists_submitted_work_with_its_answers(endpoint, hit_mturk):
    hit = new_hit(hit_mturk, MaxAssignments=4)
    workers = [new_worker_id() for _ in range(3)]
    answers = {w: {"label": f"answer {i}", "note": TRICKY_TEXT} for i, w in enumerate(workers)}
    ids = {w: control_work(endpoint, w, hit["HITId"], answers[w]) for w in workers}
    control_accept(endpoint, new_worker_id(), hit["HITId"])  # in progress: never listed

    pages = paginate(hit_mturk, "list_assignments_for_hit", HITId=hit["HITId"], PaginationConfig={"PageSize": 1})
    # One page per assignment, each with a NextToken, then the empty page that ends it (as the real service).
    assert [page["NumResults"] for page in pages] == [1, 1, 1, 0]
    listed = {a["WorkerId"]: a for page in pages for a in page["Assignments"]}
    assert set(listed) == set(workers)
    for w, a in listed.items():
        assert (a["AssignmentId"], a["HITId"], a["AssignmentStatus"]) == (ids[w], hit["HITId"], "Submitted")
        assert a["Answer"] == answer_document(answers[w])
        assert a["AcceptTime"] <= a["SubmitTime"] <= a["Deadline"]
        assert a["AutoApprovalTime"] - a["SubmitTime"] == timedelta(seconds=DEFAULT_AUTO_APPROVAL)

    hit_mturk.approve_assignment(AssignmentId=ids[workers[0]])
    hit_mturk.reject_assignment(AssignmentId=ids[workers[1]], RequesterFeedback="no")

    def by_status(*statuses):
        found = hit_mturk.list_assignments_for_hit(HITId=hit["HITId"], AssignmentStatuses=list(statuses))
        return sorted(a["AssignmentId"] for a in found["Assignments"])

    assert by_status("Approved") == [ids[workers[0]]]
    assert by_status("Rejected") == [ids[workers[1]]]
    assert by_status("Submitted") == [ids[workers[2]]]
    assert by_status("Approved", "Rejected") == sorted([ids[workers[0]], ids[workers[1]]])


def test_get_assignment_returns_the_assignment_and_its_hit(hit_mturk, submitted, worker):
    hit, assignment_id = submitted
    got = hit_mturk.get_assignment(AssignmentId=assignment_id)
    assert_request_id(got)
    a = got["Assignment"]
    assert (a["AssignmentId"], a["WorkerId"], a["HITId"], a["AssignmentStatus"]) == (
        assignment_id, worker, hit["HITId"], "Submitted")
    assert parse_answer_document(a["Answer"]) == [("label", "a cat")]
    assert got["HIT"]["HITId"] == hit["HITId"]
    assert got["HIT"]["HITStatus"] == "Reviewable"


def test_work_in_progress_or_unknown_is_not_an_assignment_the_requester_can_get(endpoint, hit_mturk):
    hit = new_hit(hit_mturk)
    in_progress = control_accept(endpoint, new_worker_id(), hit["HITId"])["AssignmentId"]
    for assignment_id in (in_progress, unknown_id()):
        expect_request_error(hit_mturk, "AWS.MechanicalTurk.AssignmentDoesNotExist",
                             hit_mturk.get_assignment, AssignmentId=assignment_id)


def test_approve_assignment_pays_the_reward_plus_a_20_percent_fee_once(hit_mturk, submitted):
    _, assignment_id = submitted
    before = balance_cents(hit_mturk)
    approved = hit_mturk.approve_assignment(AssignmentId=assignment_id, RequesterFeedback="Great work")
    assert set(approved) == {"ResponseMetadata"}
    assert before - balance_cents(hit_mturk) == 150  # 1.25 + 0.25
    a = hit_mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]
    assert (a["AssignmentStatus"], a["RequesterFeedback"]) == ("Approved", "Great work")
    assert a["ApprovalTime"] >= a["SubmitTime"]
    expect_request_error(hit_mturk, "AWS.MechanicalTurk.InvalidAssignmentState",
                         hit_mturk.approve_assignment, AssignmentId=assignment_id)
    expect_request_error(hit_mturk, "AWS.MechanicalTurk.InvalidAssignmentState",
                         hit_mturk.reject_assignment, AssignmentId=assignment_id, RequesterFeedback="too late")
    assert before - balance_cents(hit_mturk) == 150


def test_a_rejected_assignment_is_paid_only_when_approved_with_override_rejection(hit_mturk, submitted):
    _, assignment_id = submitted
    before = balance_cents(hit_mturk)
    rejected = hit_mturk.reject_assignment(AssignmentId=assignment_id, RequesterFeedback=TRICKY_TEXT)
    assert set(rejected) == {"ResponseMetadata"}
    a = hit_mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]
    assert (a["AssignmentStatus"], a["RequesterFeedback"]) == ("Rejected", TRICKY_TEXT)
    assert "RejectionTime" in a
    assert balance_cents(hit_mturk) == before
    expect_request_error(hit_mturk, "AWS.MechanicalTurk.InvalidAssignmentState",
                         hit_mturk.approve_assignment, AssignmentId=assignment_id)
    hit_mturk.approve_assignment(AssignmentId=assignment_id, OverrideRejection=True, RequesterFeedback="Sorry")
    a = hit_mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]
    assert (a["AssignmentStatus"], a["RequesterFeedback"]) == ("Approved", "Sorry")
    assert before - balance_cents(hit_mturk) == 150


def test_another_requester_cannot_review_the_assignment(hit_mturk, other_mturk, submitted):
    _, assignment_id = submitted
    expect_request_error(other_mturk, "AWS.MechanicalTurk.PermissionDenied",
                         other_mturk.approve_assignment, AssignmentId=assignment_id)
    expect_request_error(other_mturk, "AWS.MechanicalTurk.PermissionDenied",
                         other_mturk.reject_assignment, AssignmentId=assignment_id, RequesterFeedback="mine")
    assert hit_mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]["AssignmentStatus"] == "Submitted"


# ---------------------------------------------------------------- bonuses


def test_send_bonus_pays_amount_plus_fee_and_list_bonus_payments_shows_it(hit_mturk, submitted, worker):
    hit, assignment_id = submitted
    hit_mturk.approve_assignment(AssignmentId=assignment_id)
    before = balance_cents(hit_mturk)
    token = new_uuid()
    sent = hit_mturk.send_bonus(WorkerId=worker, BonusAmount="2.00", AssignmentId=assignment_id,
                                Reason=TRICKY_TEXT, UniqueRequestToken=token)
    assert set(sent) == {"ResponseMetadata"}
    assert before - balance_cents(hit_mturk) == 240  # 2.00 + 20%
    expect_request_error(hit_mturk, None, hit_mturk.send_bonus, WorkerId=worker, BonusAmount="2.00",
                         AssignmentId=assignment_id, Reason=TRICKY_TEXT, UniqueRequestToken=token)
    assert before - balance_cents(hit_mturk) == 240
    hit_mturk.send_bonus(WorkerId=worker, BonusAmount="0.50", AssignmentId=assignment_id, Reason="more")

    by_assignment = hit_mturk.list_bonus_payments(AssignmentId=assignment_id)
    assert by_assignment["NumResults"] == 2
    bonuses = sorted(by_assignment["BonusPayments"], key=lambda b: b["BonusAmount"])
    assert [(b["WorkerId"], b["AssignmentId"], b["BonusAmount"], b["Reason"]) for b in bonuses] == [
        (worker, assignment_id, "0.50", "more"), (worker, assignment_id, "2.00", TRICKY_TEXT)]
    assert all(isinstance(b["GrantTime"], datetime) for b in bonuses)
    pages = paginate(hit_mturk, "list_bonus_payments", HITId=hit["HITId"], PaginationConfig={"PageSize": 1})
    assert [page["NumResults"] for page in pages] == [1, 1, 0]
    assert sorted(b["BonusAmount"] for page in pages for b in page["BonusPayments"]) == ["0.50", "2.00"]


def test_a_bonus_for_another_workers_assignment_is_refused_and_costs_nothing(hit_mturk, submitted):
    _, assignment_id = submitted
    before = balance_cents(hit_mturk)
    expect_request_error(hit_mturk, "AWS.MechanicalTurk.InvalidParameterValue", hit_mturk.send_bonus,
                         WorkerId=new_worker_id(), BonusAmount="1.00", AssignmentId=assignment_id, Reason="x")
    assert balance_cents(hit_mturk) == before
    assert hit_mturk.list_bonus_payments(AssignmentId=assignment_id)["BonusPayments"] == []


def test_list_bonus_payments_needs_a_hit_or_an_assignment(hit_mturk):
    expect_request_error(hit_mturk, "AWS.MechanicalTurk.InvalidParameterValue", hit_mturk.list_bonus_payments)


# ---------------------------------------------------------------- workers


def test_a_worker_whose_qualification_was_revoked_cannot_accept_until_granted_again(endpoint, hit_mturk):
    qual = create_type(hit_mturk, Name=unique_name("boto3 trusted labeller"))["QualificationTypeId"]
    worker = new_worker_id()
    hit_mturk.associate_qualification_with_worker(QualificationTypeId=qual, WorkerId=worker, IntegerValue=1,
                                                  SendNotification=False)

    # The worker finds the first HIT, accepts it and submits; the work is approved.
    first = new_hit(hit_mturk, QualificationRequirements=[exists(qual)])
    seen = control_worker_hits(endpoint, worker)[first["HITId"]]
    assert (seen["CanPreview"], seen["CanAccept"], seen["Blocked"], seen["FailedRequirements"]) == (
        True, True, False, [])
    assignment_id = control_accept(endpoint, worker, first["HITId"])["AssignmentId"]
    control_submit(endpoint, assignment_id, {"label": "cat"})
    [listed] = hit_mturk.list_assignments_for_hit(HITId=first["HITId"])["Assignments"]
    assert (listed["AssignmentId"], listed["WorkerId"]) == (assignment_id, worker)
    assert listed["Answer"] == answer_document({"label": "cat"})
    before = balance_cents(hit_mturk)
    hit_mturk.approve_assignment(AssignmentId=assignment_id)
    assert before - balance_cents(hit_mturk) == 60

    # The requester revokes the qualification with a reason.
    hit_mturk.disassociate_qualification_from_worker(QualificationTypeId=qual, WorkerId=worker,
                                                     Reason="Labels were random")
    second = new_hit(hit_mturk, QualificationRequirements=[exists(qual)])
    control_accept_refused(endpoint, worker, second["HITId"], "AWS.MechanicalTurk.DoesNotMeetRequirements")
    seen = control_worker_hits(endpoint, worker)[second["HITId"]]
    assert (seen["CanAccept"], seen["FailedRequirements"]) == (False, [qual])
    revoked = [n for n in control_notifications(endpoint, worker) if n["Kind"] == "QualificationRevoked"]
    assert [(n["QualificationTypeId"], n["Text"]) for n in revoked] == [(qual, "Labels were random")]

    # The worker asks again and the requester grants the request.
    request = control_request_qualification(endpoint, worker, qual)
    assert request["Status"] == "Pending", request
    pending = hit_mturk.list_qualification_requests(QualificationTypeId=qual)["QualificationRequests"]
    assert [(r["QualificationRequestId"], r["WorkerId"]) for r in pending] == [
        (request["QualificationRequestId"], worker)]
    hit_mturk.accept_qualification_request(QualificationRequestId=request["QualificationRequestId"],
                                           IntegerValue=2)

    # Now the worker can take the second HIT.
    assert control_worker_hits(endpoint, worker)[second["HITId"]]["CanAccept"] is True
    assert control_accept(endpoint, worker, second["HITId"])["HITId"] == second["HITId"]
    assert get_hit(hit_mturk, second["HITId"])["NumberOfAssignmentsPending"] == 1


def test_a_locale_requirement_hides_the_hit_from_workers_elsewhere_when_it_guards_discovery(endpoint, hit_mturk):
    hit = new_hit(hit_mturk, MaxAssignments=3, QualificationRequirements=[{
        "QualificationTypeId": LOCALE, "Comparator": "In",
        "LocaleValues": [{"Country": "US", "Subdivision": "WA"}, {"Country": "CA"}],
        "ActionsGuarded": "DiscoverPreviewAndAccept",
    }])
    seattle, toronto, berlin, nowhere = (new_worker_id() for _ in range(4))
    control_set_profile(endpoint, seattle, Locale={"Country": "US", "Subdivision": "WA"})
    control_set_profile(endpoint, toronto, Locale={"Country": "CA", "Subdivision": "ON"})
    control_set_profile(endpoint, berlin, Locale={"Country": "DE"})
    for w in (seattle, toronto):
        assert control_worker_hits(endpoint, w)[hit["HITId"]]["CanAccept"] is True
        control_accept(endpoint, w, hit["HITId"])
    for w in (berlin, nowhere):
        assert hit["HITId"] not in control_worker_hits(endpoint, w)
        control_accept_refused(endpoint, w, hit["HITId"], "AWS.MechanicalTurk.DoesNotMeetRequirements")


def test_a_blocked_worker_sees_the_hit_but_cannot_accept_it(endpoint, hit_mturk):
    hit = new_hit(hit_mturk)
    worker = new_worker_id()
    hit_mturk.create_worker_block(WorkerId=worker, Reason="Spam answers.")
    seen = control_worker_hits(endpoint, worker)[hit["HITId"]]
    assert (seen["Blocked"], seen["CanAccept"]) == (True, False)
    control_accept_refused(endpoint, worker, hit["HITId"], "AWS.MechanicalTurk.WorkerBlocked")
    hit_mturk.delete_worker_block(WorkerId=worker, Reason="Forgiven.")
    assert control_accept(endpoint, worker, hit["HITId"])["HITId"] == hit["HITId"]


def test_a_worker_cannot_accept_the_same_hit_twice_or_a_full_hit(endpoint, hit_mturk):
    hit = new_hit(hit_mturk, MaxAssignments=2)
    worker = new_worker_id()
    control_accept(endpoint, worker, hit["HITId"])
    control_accept_refused(endpoint, worker, hit["HITId"], "AWS.MechanicalTurk.AssignmentAlreadyExists")
    control_accept(endpoint, new_worker_id(), hit["HITId"])
    full = get_hit(hit_mturk, hit["HITId"])
    assert (full["HITStatus"], full["NumberOfAssignmentsAvailable"], full["NumberOfAssignmentsPending"]) == (
        "Unassignable", 0, 2)
    control_accept_refused(endpoint, new_worker_id(), hit["HITId"], "AWS.MechanicalTurk.InvalidHITState")


def test_a_returned_assignment_opens_its_slot_again(endpoint, hit_mturk):
    hit = new_hit(hit_mturk, MaxAssignments=1)
    quitter = new_worker_id()
    assignment_id = control_accept(endpoint, quitter, hit["HITId"])["AssignmentId"]
    returned = control_call(endpoint, "POST", f"/assignments/{assignment_id}/return")
    assert returned[0] == 200, returned
    assert control_worker_assignments(endpoint, quitter)[assignment_id]["Status"] == "Returned"
    assert get_hit(hit_mturk, hit["HITId"])["NumberOfAssignmentsAvailable"] == 1
    control_error(endpoint, "POST", f"/assignments/{assignment_id}/submit",
                  {"Answer": answer_document({"label": "late"})}, "AWS.MechanicalTurk.InvalidAssignmentState")
    control_work(endpoint, new_worker_id(), hit["HITId"], {"label": "done"})
    assert hit_mturk.list_assignments_for_hit(HITId=hit["HITId"])["NumResults"] == 1


# ---------------------------------------------------------------- the clock


def test_an_assignment_not_submitted_within_its_duration_is_abandoned_and_its_slot_reopens(endpoint, hit_mturk):
    hit = new_hit(hit_mturk, MaxAssignments=2, AssignmentDurationInSeconds=60)
    done = control_work(endpoint, new_worker_id(), hit["HITId"], {"label": "in time"})
    slow = new_worker_id()
    accepted = control_accept(endpoint, slow, hit["HITId"])
    deadline = datetime.fromisoformat(accepted["Deadline"].replace("Z", "+00:00"))
    full = get_hit(hit_mturk, hit["HITId"])
    assert (full["HITStatus"], full["NumberOfAssignmentsAvailable"], full["NumberOfAssignmentsPending"]) == (
        "Unassignable", 0, 1)

    # Two seconds before the deadline the slot is still taken ...
    control_advance_clock(endpoint, max(0, math.floor(seconds_until(endpoint, deadline)) - 2))
    assert get_hit(hit_mturk, hit["HITId"])["NumberOfAssignmentsAvailable"] == 0
    # ... and once it has passed, the assignment is abandoned and the slot open again.
    control_advance_clock(endpoint, math.ceil(seconds_until(endpoint, deadline)) + 1)
    reopened = get_hit(hit_mturk, hit["HITId"])
    assert (reopened["HITStatus"], reopened["NumberOfAssignmentsAvailable"],
            reopened["NumberOfAssignmentsPending"]) == ("Assignable", 1, 0)
    assert control_worker_assignments(endpoint, slow)[accepted["AssignmentId"]]["Status"] == "Abandoned"
    control_error(endpoint, "POST", f"/assignments/{accepted['AssignmentId']}/submit",
                  {"Answer": answer_document({"label": "too late"})}, "AWS.MechanicalTurk.InvalidAssignmentState")
    listed = hit_mturk.list_assignments_for_hit(HITId=hit["HITId"])["Assignments"]
    assert [a["AssignmentId"] for a in listed] == [done]
    assert control_accept(endpoint, new_worker_id(), hit["HITId"])["HITId"] == hit["HITId"]


def test_a_submitted_assignment_is_approved_and_paid_when_the_auto_approval_delay_passes(endpoint, hit_mturk):
    hit = new_hit(hit_mturk, Reward="0.50", AutoApprovalDelayInSeconds=120)
    assignment_id = control_work(endpoint, new_worker_id(), hit["HITId"], {"label": "wait for it"})
    a = hit_mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]
    assert a["AutoApprovalTime"] - a["SubmitTime"] == timedelta(seconds=120)
    before = balance_cents(hit_mturk)

    control_advance_clock(endpoint, max(0, math.floor(seconds_until(endpoint, a["AutoApprovalTime"])) - 2))
    assert hit_mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]["AssignmentStatus"] == "Submitted"
    assert balance_cents(hit_mturk) == before

    control_advance_clock(endpoint, math.ceil(seconds_until(endpoint, a["AutoApprovalTime"])) + 1)
    approved = hit_mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]
    assert approved["AssignmentStatus"] == "Approved"
    assert approved["ApprovalTime"] >= a["AutoApprovalTime"]
    assert before - balance_cents(hit_mturk) == 60  # 0.50 + 20%
    statuses = hit_mturk.list_assignments_for_hit(HITId=hit["HITId"], AssignmentStatuses=["Approved"])
    assert [x["AssignmentId"] for x in statuses["Assignments"]] == [assignment_id]


# ---------------------------------------------------------------- ExternalQuestion


def test_an_external_question_page_posts_its_form_to_turk_submit_to_and_the_answer_is_listed(
    endpoint, hit_mturk
):
    hit = new_hit(hit_mturk, Question=external_question("https://example.org/task?batch=7", 800))
    worker = new_worker_id()
    accepted = control_accept(endpoint, worker, hit["HITId"])
    assignment_id = accepted["AssignmentId"]
    url = urllib.parse.urlsplit(accepted["ExternalURL"])
    assert (url.scheme, url.netloc, url.path) == ("https", "example.org", "/task")
    query = urllib.parse.parse_qs(url.query, strict_parsing=True)
    assert query == {
        "batch": ["7"],
        "assignmentId": [assignment_id],
        "hitId": [hit["HITId"]],
        "workerId": [worker],
        "turkSubmitTo": [accepted["TurkSubmitTo"]],
    }
    assert accepted["TurkSubmitTo"] == endpoint.url

    # What the task page's <form method="post" action="{turkSubmitTo}/mturk/externalSubmit"> sends.
    form = urllib.parse.urlencode([("assignmentId", assignment_id), ("label", "cat"), ("comment", TRICKY_TEXT)])
    status, content_type, body = http_call("POST", f"{accepted['TurkSubmitTo']}/mturk/externalSubmit",
                                           form.encode("utf-8"), "application/x-www-form-urlencoded")
    assert status == 200, body
    assert content_type.startswith("text/html"), content_type

    [a] = hit_mturk.list_assignments_for_hit(HITId=hit["HITId"])["Assignments"]
    assert (a["AssignmentId"], a["WorkerId"], a["AssignmentStatus"]) == (assignment_id, worker, "Submitted")
    assert sorted(parse_answer_document(a["Answer"])) == [("comment", TRICKY_TEXT), ("label", "cat")]

    again = urllib.parse.urlencode([("assignmentId", assignment_id), ("label", "dog")]).encode("ascii")
    status, _, body = http_call("POST", f"{accepted['TurkSubmitTo']}/mturk/externalSubmit", again,
                                "application/x-www-form-urlencoded")
    assert status == 400, body
    [a] = hit_mturk.list_assignments_for_hit(HITId=hit["HITId"])["Assignments"]
    assert dict(parse_answer_document(a["Answer"]))["label"] == "cat"


# ---------------------------------------------------------------- one store, two faces


def test_a_hit_created_through_the_json_api_is_read_by_legacy_get_hit(endpoint, hit_mturk, hit_credentials):
    hit = new_hit(hit_mturk, Reward="0.40")
    root = legacy_call(endpoint, hit_credentials, "GetHIT", [("HITId", hit["HITId"])])
    legacy = root.find("HIT")
    assert legacy is not None
    assert (legacy.findtext("HITId"), legacy.findtext("Title"), legacy.findtext("HITStatus")) == (
        hit["HITId"], hit["Title"], "Assignable")
    assert legacy.findtext("Reward/FormattedPrice") == "$0.40"
