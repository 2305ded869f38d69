"""The boto3 calls psiTurk makes, as psiTurk makes them.

psiTurk (PyPI `psiturk` 3.3.1, `psiturk/amt_services.py`, class MTurkServices)
drives boto3: `boto3.session.Session(region_name='us-east-1',
aws_access_key_id=..., aws_secret_access_key=...).client('mturk',
endpoint_url=...)` in `setup_mturk_connection`. Its calls:

  * verify_aws_login / check_balance: get_account_balance()['AvailableBalance'];
  * configure_hit + create_hit: create_hit_type(Title, Description,
    Reward=str(reward), AssignmentDurationInSeconds, Keywords,
    QualificationRequirements=[000000000000000000L0 >= approve_requirement,
    00000000000000000040 >= number_hits_approved, optionally Locale EqualTo
    US, ...]) then create_hit_with_hit_type(HITTypeId, Question=an
    ExternalQuestion, LifetimeInSeconds, MaxAssignments), no token;
  * get_all_hits: the list_hits paginator with no MaxResults, reading HITId,
    Title, HITStatus, MaxAssignments, NumberOfAssignments{Completed,Pending,
    Available}, CreationTime, Expiration (a datetime: it uses .tzinfo),
    AssignmentDurationInSeconds, Reward and Description (`_hit_xml_to_object`);
  * get_assignments: the list_assignments_for_hit paginator with HITId and
    one status, reading HITId, AssignmentId, WorkerId, SubmitTime, AcceptTime,
    AssignmentStatus;
  * approve_assignment(AssignmentId, OverrideRejection=False), and
    unreject_assignment as the same with OverrideRejection=True;
  * reject_assignment: reject_assignment(AssignmentId=..., RequesterFeedback='');
  * bonus_assignment: get_assignment for the WorkerId when it is not known,
    then send_bonus(WorkerId, AssignmentId, BonusAmount=str(amount),
    Reason=reason), no UniqueRequestToken (the amt_services_wrapper refuses an
    empty reason before calling it);
  * expire_hit: update_expiration_for_hit(ExpireAt=now - 30 days); extend_hit:
    create_additional_assignments_for_hit(HITId, NumberOfAdditionalAssignments)
    and update_expiration_for_hit(ExpireAt=Expiration + n minutes); delete_hit;
  * list_qualification_types: its paginator with MustBeRequestable=False,
    MustBeOwnedByCaller=True and Query when given.

The client here is made the same way, pointed at mturk-local; the only
addition is the suite's one-attempt retry configuration.
"""

import datetime

import boto3
import pytest

from mturk_local_testing import (
    control_now,
    control_set_profile,
    control_work,
    external_question,
    new_worker_id,
    unique_name,
)
from modern_support import CLIENT_CONFIG, MONEY, create_type, new_uuid

# psiturk/amt_services.py's constants.
PERCENT_ASSIGNMENTS_APPROVED_QUAL_ID = "000000000000000000L0"
NUMBER_HITS_APPROVED_QUAL_ID = "00000000000000000040"
LOCALE_QUAL_ID = "00000000000000000071"

HIT_KEYS = {
    "HITId", "Title", "HITStatus", "MaxAssignments", "NumberOfAssignmentsCompleted",
    "NumberOfAssignmentsPending", "NumberOfAssignmentsAvailable", "CreationTime", "Expiration",
    "AssignmentDurationInSeconds", "Reward", "Description",
}
ASSIGNMENT_KEYS = {"HITId", "AssignmentId", "WorkerId", "SubmitTime", "AcceptTime", "AssignmentStatus"}


@pytest.fixture
def mtc(endpoint, hit_credentials):
    session = boto3.session.Session(
        region_name="us-east-1",
        aws_access_key_id=hit_credentials.access_key_id,
        aws_secret_access_key=hit_credentials.secret_access_key,
    )
    return session.client("mturk", endpoint_url=endpoint.url, config=CLIENT_CONFIG)


def paged(mtc, operation: str, key: str, **kwargs) -> list:
    """What psiTurk collects: page[key] of every page, the paginator deciding when to stop."""
    items = []
    for page in mtc.get_paginator(operation).paginate(**kwargs):
        items.extend(page[key])
    return items


def psiturk_create_hit(mtc, max_assignments: int = 3) -> dict:
    quals = [
        dict(QualificationTypeId=PERCENT_ASSIGNMENTS_APPROVED_QUAL_ID, Comparator="GreaterThanOrEqualTo",
             IntegerValues=[95]),
        dict(QualificationTypeId=NUMBER_HITS_APPROVED_QUAL_ID, Comparator="GreaterThanOrEqualTo",
             IntegerValues=[0]),
        dict(QualificationTypeId=LOCALE_QUAL_ID, Comparator="EqualTo", LocaleValues=[{"Country": "US"}]),
    ]
    hit_type = mtc.create_hit_type(
        Title=unique_name("psiTurk experiment"),
        Description="made by tests/clients/modern/test_psiturk.py",
        Reward=str("1.00"),
        AssignmentDurationInSeconds=int(datetime.timedelta(hours=1).total_seconds()),
        Keywords="psychology, experiment",
        QualificationRequirements=quals,
    )
    return mtc.create_hit_with_hit_type(
        HITTypeId=hit_type["HITTypeId"],
        Question=external_question(f"https://psiturk.example.invalid/ad?mode=sandbox&run={new_uuid()}"),
        LifetimeInSeconds=int(datetime.timedelta(minutes=15).total_seconds()),
        MaxAssignments=max_assignments,
    )["HIT"]


def us_worker(endpoint) -> str:
    worker = new_worker_id()
    control_set_profile(endpoint, worker, Locale={"Country": "US"})
    return worker


def test_the_login_check_reads_the_available_balance(mtc):
    assert MONEY.fullmatch(mtc.get_account_balance()["AvailableBalance"])


def test_get_all_hits_lists_the_new_hit_once_with_every_field_psiturk_reads(mtc):
    hit = psiturk_create_hit(mtc)
    hits = paged(mtc, "list_hits", "HITs")
    ids = [h["HITId"] for h in hits]
    assert len(ids) == len(set(ids))
    mine = [h for h in hits if h["HITId"] == hit["HITId"]]
    assert len(mine) == 1
    assert HIT_KEYS <= set(mine[0]), HIT_KEYS - set(mine[0])
    assert mine[0]["Expiration"].tzinfo is not None
    assert mine[0]["Reward"] == "1.00"


def test_review_cycle_with_an_empty_requester_feedback_unreject_and_bonus(endpoint, mtc):
    hit = psiturk_create_hit(mtc)
    workers = [us_worker(endpoint) for _ in range(3)]
    ids = {w: control_work(endpoint, w, hit["HITId"], {"experiment": "done"}) for w in workers}

    submitted = paged(mtc, "list_assignments_for_hit", "Assignments", HITId=hit["HITId"],
                      AssignmentStatuses=["Submitted"])
    assert sorted(a["AssignmentId"] for a in submitted) == sorted(ids.values())
    assert all(ASSIGNMENT_KEYS <= set(a) for a in submitted)

    approved, rejected, unrejected = (ids[w] for w in workers)
    mtc.approve_assignment(AssignmentId=approved, OverrideRejection=False)
    mtc.reject_assignment(AssignmentId=rejected, RequesterFeedback="")
    mtc.reject_assignment(AssignmentId=unrejected, RequesterFeedback="")
    mtc.approve_assignment(AssignmentId=unrejected, OverrideRejection=True)

    def with_status(status):
        return sorted(a["AssignmentId"] for a in paged(mtc, "list_assignments_for_hit", "Assignments",
                                                       HITId=hit["HITId"], AssignmentStatuses=[status]))

    assert with_status("Approved") == sorted([approved, unrejected])
    assert with_status("Rejected") == [rejected]
    assert with_status("Submitted") == []

    # bonus_assignment without a worker id looks it up first; BonusAmount is str() of a float.
    worker_id = mtc.get_assignment(AssignmentId=approved)["Assignment"]["WorkerId"]
    assert worker_id == workers[0]
    mtc.send_bonus(WorkerId=worker_id, AssignmentId=approved, BonusAmount=str(1.5), Reason="Great work")
    bonuses = mtc.list_bonus_payments(AssignmentId=approved)["BonusPayments"]
    assert [(b["WorkerId"], b["BonusAmount"], b["Reason"]) for b in bonuses] == [(worker_id, "1.50", "Great work")]


def test_extend_expire_and_delete_hit(endpoint, mtc):
    hit = psiturk_create_hit(mtc, max_assignments=1)
    mtc.create_additional_assignments_for_hit(HITId=hit["HITId"], NumberOfAdditionalAssignments=2)
    expiration = mtc.get_hit(HITId=hit["HITId"])["HIT"]["Expiration"]
    mtc.update_expiration_for_hit(HITId=hit["HITId"], ExpireAt=expiration + datetime.timedelta(minutes=5))
    extended = mtc.get_hit(HITId=hit["HITId"])["HIT"]
    assert extended["MaxAssignments"] == 3
    # botocore sends ExpireAt as whole epoch seconds, dropping the milliseconds.
    assert datetime.timedelta(seconds=299) < extended["Expiration"] - expiration <= datetime.timedelta(minutes=5)

    mtc.update_expiration_for_hit(
        HITId=hit["HITId"],
        ExpireAt=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(-30),
    )
    assert mtc.get_hit(HITId=hit["HITId"])["HIT"]["Expiration"] <= control_now(endpoint)
    mtc.delete_hit(HITId=hit["HITId"])


def test_list_qualification_types_as_psiturk_pages_it(mtc):
    tag = new_uuid()
    made = {create_type(mtc, Name=unique_name(f"psiturk {tag} {i}"))["QualificationTypeId"] for i in range(3)}
    listed = paged(mtc, "list_qualification_types", "QualificationTypes",
                   MustBeRequestable=False, MustBeOwnedByCaller=True, Query=tag)
    assert sorted(q["QualificationTypeId"] for q in listed) == sorted(made)
