"""Fault injection (/_local/faults) seen by boto3's own retry logic.

An injected throttle on the JSON API is HTTP 400 with the Coral shape
`com.amazon.coral.availability#ThrottlingException`, which botocore's retry
handlers take as throttling (both the "legacy" mode's _retry.json and the
"standard" mode's retries/standard.py), and a DropConnection fault closes the
connection unanswered, which botocore retries as a connection error. So an
application's retry configuration can be tested against mturk-local as it
would meet production.

Every rule here is scoped to the HIT requester (this suite shares one server
with the other tests) and deleted when its test ends, passed or failed.
"""

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError

from mturk_local_testing import control, control_call, unique_name
from modern_support import mturk_client

QUESTION = (
    '<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/'
    'QuestionForm.xsd"><Question><QuestionIdentifier>label</QuestionIdentifier><QuestionContent><Text>'
    "What is in the picture?</Text></QuestionContent><AnswerSpecification><FreeTextAnswer/>"
    "</AnswerSpecification></Question></QuestionForm>"
)


@pytest.fixture
def faults(endpoint, hit_credentials):
    """Adds rules for the HIT requester's calls; deletes them after the test."""
    added = []

    def add(**rule) -> dict:
        rule.setdefault("Requester", hit_credentials.access_key_id)
        fault = control(endpoint, "POST", "/faults", rule)["Fault"]
        added.append(fault["FaultId"])
        return fault

    yield add
    for fault_id in added:
        status, answer = control_call(endpoint, "DELETE", f"/faults/{fault_id}")
        assert status == 200, answer


def fired(endpoint, fault_id: str) -> int:
    rule = [f for f in control(endpoint, "GET", "/faults")["Faults"] if f["FaultId"] == fault_id]
    assert len(rule) == 1, rule
    return rule[0]["Fired"]


def create_hit(client, title: str) -> dict:
    return client.create_hit(
        Title=title,
        Description="made by tests/clients/modern/test_faults.py",
        Reward="0.10",
        MaxAssignments=1,
        LifetimeInSeconds=900,
        AssignmentDurationInSeconds=600,
        Question=QUESTION,
    )["HIT"]


def hits_titled(client, title: str) -> list:
    pages = client.get_paginator("list_hits").paginate(PaginationConfig={"PageSize": 100})
    return [h["HITId"] for page in pages for h in page["HITs"] if h["Title"] == title]


@pytest.mark.parametrize("mode", ["standard", "legacy"])
def test_boto3_retries_two_injected_throttles_on_create_hit_and_creates_exactly_one_hit(
    endpoint, hit_credentials, hit_mturk, faults, mode
):
    rule = faults(Operation="CreateHIT", Protocol="json", Error="Throttling", Count=2)
    retrying = mturk_client(endpoint, hit_credentials, Config(retries={"mode": mode}))
    title = unique_name("throttled twice")
    created = create_hit(retrying, title)
    assert created["Title"] == title
    assert created["HITStatus"] == "Assignable"
    assert fired(endpoint, rule["FaultId"]) == 2
    assert hits_titled(hit_mturk, title) == [created["HITId"]]


def test_with_retries_off_the_caller_sees_the_throttling_error(endpoint, hit_mturk, faults):
    # hit_mturk makes one attempt per call (total_max_attempts 1: retries off).
    rule = faults(Operation="CreateHIT", Protocol="json", Error="Throttling")
    title = unique_name("throttled")
    with pytest.raises(ClientError) as info:
        create_hit(hit_mturk, title)
    response = info.value.response
    assert response["Error"] == {"Code": "ThrottlingException", "Message": "Rate exceeded"}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert info.value.operation_name == "CreateHIT"
    assert fired(endpoint, rule["FaultId"]) == 1
    assert hits_titled(hit_mturk, title) == []


def test_a_dropped_connection_is_retried_by_boto3(endpoint, hit_credentials, hit_mturk, faults):
    rule = faults(Operation="CreateHIT", Protocol="json", Error="DropConnection", Count=1)
    retrying = mturk_client(endpoint, hit_credentials, Config(retries={"mode": "standard"}))
    title = unique_name("dropped once")
    created = create_hit(retrying, title)
    assert fired(endpoint, rule["FaultId"]) == 1
    assert hits_titled(hit_mturk, title) == [created["HITId"]]


def test_without_retries_a_dropped_connection_is_a_connection_error(endpoint, hit_mturk, faults):
    faults(Operation="GetAccountBalance", Protocol="json", Error="DropConnection", Count=1)
    with pytest.raises(ConnectionClosedError):
        hit_mturk.get_account_balance()
    assert hit_mturk.get_account_balance()["AvailableBalance"]


def test_a_rule_for_another_requester_leaves_this_one_alone(endpoint, mturk, faults):
    faults(Operation="GetAccountBalance", Error="Throttling")
    assert mturk.get_account_balance()["AvailableBalance"]
