"""Empty strings in JSON requests: accepted where the model allows them, refused where it does not.

In the 2017-01-17 model (botocore `data/mturk/2017-01-17/service-2.json`),
`RejectAssignment.RequesterFeedback` (required), `ApproveAssignment.RequesterFeedback`
and `SendBonus.Reason` (required) have shape `String`, which sets no minimum
length, so "" is a valid value: oTree (`otree/views/mturk.py`, RejectMTurk)
and psiTurk (`psiturk/amt_services.py`, reject_assignment) reject with
`RequesterFeedback=""`. Ids (`EntityId`, `CustomerId`, min 1),
`UniqueRequestToken` (`IdempotencyToken`, min 1) and `NextToken`
(`PaginationToken`, min 1) still refuse "".

botocore refuses a too-short value itself before sending anything (it checks
`min`), so the refusal rows use a client with `parameter_validation=False`,
which sends "" to the server as other clients (the JS SDK v3, hand-written
ones) do.
"""

import pytest
from botocore.config import Config

from mturk_local_testing import cents, control_work, new_worker_id, unique_name
from modern_support import CLIENT_CONFIG, expect_request_error, mturk_client, new_uuid

QUESTION = (
    '<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/'
    'QuestionForm.xsd"><Question><QuestionIdentifier>label</QuestionIdentifier><QuestionContent><Text>'
    "Anything?</Text></QuestionContent><AnswerSpecification><FreeTextAnswer/>"
    "</AnswerSpecification></Question></QuestionForm>"
)


@pytest.fixture
def unchecked(endpoint, hit_credentials):
    """The HIT requester's boto3 client, without botocore's own min-length check."""
    return mturk_client(endpoint, hit_credentials, CLIENT_CONFIG.merge(Config(parameter_validation=False)))


@pytest.fixture
def work(endpoint, hit_mturk):
    """A submitted assignment: {"HITId", "HITTypeId", "AssignmentId", "WorkerId"}."""
    hit = hit_mturk.create_hit(
        Title=unique_name("empty strings"), Description="made by tests/clients/modern/test_empty_strings.py",
        Reward="0.10", AssignmentDurationInSeconds=600, LifetimeInSeconds=900, MaxAssignments=1,
        Question=QUESTION,
    )["HIT"]
    worker = new_worker_id()
    assignment_id = control_work(endpoint, worker, hit["HITId"], {"label": "x"})
    return {"HITId": hit["HITId"], "HITTypeId": hit["HITTypeId"], "AssignmentId": assignment_id, "WorkerId": worker}


def balance(client) -> int:
    return cents(client.get_account_balance()["AvailableBalance"])


def status(client, assignment_id: str) -> str:
    return client.get_assignment(AssignmentId=assignment_id)["Assignment"]["AssignmentStatus"]


def test_reject_assignment_with_an_empty_requester_feedback_is_accepted(hit_mturk, work):
    hit_mturk.reject_assignment(AssignmentId=work["AssignmentId"], RequesterFeedback="")
    assert status(hit_mturk, work["AssignmentId"]) == "Rejected"


def test_approve_assignment_with_an_empty_requester_feedback_is_accepted(hit_mturk, work):
    hit_mturk.approve_assignment(AssignmentId=work["AssignmentId"], RequesterFeedback="")
    assert status(hit_mturk, work["AssignmentId"]) == "Approved"


def test_send_bonus_with_an_empty_reason_is_accepted_and_listed_with_it(hit_mturk, work):
    hit_mturk.approve_assignment(AssignmentId=work["AssignmentId"])
    before = balance(hit_mturk)
    hit_mturk.send_bonus(WorkerId=work["WorkerId"], AssignmentId=work["AssignmentId"], BonusAmount="1.00",
                         Reason="", UniqueRequestToken=new_uuid())
    assert before - balance(hit_mturk) == 120  # 1.00 + 20%
    bonuses = hit_mturk.list_bonus_payments(AssignmentId=work["AssignmentId"])["BonusPayments"]
    assert [(b["BonusAmount"], b.get("Reason", "")) for b in bonuses] == [("1.00", "")]


# (operation, parameters with "{AssignmentId}"-style placeholders filled from `work`, member that is "")
REFUSED = [
    ("reject_assignment", {"AssignmentId": "", "RequesterFeedback": "no"}, "AssignmentId"),
    ("approve_assignment", {"AssignmentId": ""}, "AssignmentId"),
    ("send_bonus", {"WorkerId": "", "AssignmentId": "{AssignmentId}", "BonusAmount": "0.10", "Reason": "r"},
     "WorkerId"),
    ("send_bonus", {"WorkerId": "{WorkerId}", "AssignmentId": "", "BonusAmount": "0.10", "Reason": "r"},
     "AssignmentId"),
    ("send_bonus", {"WorkerId": "{WorkerId}", "AssignmentId": "{AssignmentId}", "BonusAmount": "0.10",
                    "Reason": "r", "UniqueRequestToken": ""}, "UniqueRequestToken"),
    ("create_hit_with_hit_type", {"HITTypeId": "{HITTypeId}", "LifetimeInSeconds": 900, "Question": QUESTION,
                                  "UniqueRequestToken": ""}, "UniqueRequestToken"),
    ("list_hits", {"NextToken": ""}, "NextToken"),
    ("list_assignments_for_hit", {"HITId": "{HITId}", "NextToken": ""}, "NextToken"),
    ("notify_workers", {"Subject": "s", "MessageText": "m", "WorkerIds": [""]}, "WorkerIds"),
]


@pytest.mark.parametrize("operation, params, member", REFUSED, ids=[f"{o}-{m}" for o, _, m in REFUSED])
def test_an_empty_string_where_the_model_sets_a_minimum_length_is_refused(
    unchecked, hit_mturk, work, operation, params, member
):
    filled = {k: v.format(**work) if isinstance(v, str) else v for k, v in params.items()}
    before = balance(hit_mturk)
    expect_request_error(unchecked, None, getattr(unchecked, operation), **filled)
    assert balance(hit_mturk) == before
    assert status(hit_mturk, work["AssignmentId"]) == "Submitted"


def test_botocore_itself_refuses_an_empty_id_before_sending(hit_mturk):
    from botocore.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError):
        hit_mturk.approve_assignment(AssignmentId="")
