"""The nine paginated List operations, through boto3's paginators, raw boto3 calls and the AWS CLI.

The real service returns a `NextToken` with every page that has items, the
last one included; the call with that token answers `NumResults: 0`, an empty
list and no `NextToken` (modern-api.md §4; oTree's `get_all_assignments`
depends on it, see test_otree.py). Every paginator must still end and see
each item exactly once:

  * botocore's PageIterator stops when `NextToken` is missing or "" and
    raises PaginationError when the same token comes back twice;
  * the AWS CLI pages with the same botocore paginators (`--page-size` sets
    MaxResults) and prints one merged list.

Every case builds its own items (three of them, fresh names, workers and
tokens) as the HIT requester (`hit_mturk`), so the tests are independent of
each other and of earlier runs. ListHITs and ListWorkerBlocks cannot be
narrowed to one test's items, so for them the three new items must appear
exactly once among everything listed.

The paginators botocore knows for mturk (paginators-1.json) are exactly these
nine; ListReviewPolicyResultsForHIT has none.
"""

from dataclasses import dataclass, field
from typing import Callable, List, Optional

import pytest

from mturk_local_testing import (
    control_request_qualification,
    control_work,
    new_worker_id,
    unique_name,
)
from modern_support import create_type, new_uuid
from test_aws_cli import clean_env, find_aws, ok, runner

LIFETIME = 900
QUESTION = (
    '<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/'
    'QuestionForm.xsd"><Question><QuestionIdentifier>label</QuestionIdentifier><QuestionContent><Text>'
    "Which page is this?</Text></QuestionContent><AnswerSpecification><FreeTextAnswer/>"
    "</AnswerSpecification></Question></QuestionForm>"
)

# A guard against a server that never stops handing out tokens.
MAX_CALLS = 500


@dataclass
class Case:
    """What one List operation should list: `wanted` (three ids) among the items under `key`."""

    operation: str  # boto3 name
    kwargs: dict
    key: str
    item_id: Callable[[dict], str]
    wanted: List[str]
    cli: List[str]  # the CLI's arguments for the same listing
    narrowed: bool = True  # False: the listing holds other tests' items too
    cleanup: Optional[Callable[[], None]] = field(default=None, repr=False)


def hit_type(client, **kwargs) -> str:
    props = dict(Title=unique_name("paging HIT"), Description="made by tests/clients/modern/test_pagination.py",
                 Keywords="paging", Reward="0.10", AssignmentDurationInSeconds=600)
    props.update(kwargs)
    return client.create_hit_type(**props)["HITTypeId"]


def new_hit(client, type_id: str, max_assignments: int = 1) -> str:
    return client.create_hit_with_hit_type(HITTypeId=type_id, MaxAssignments=max_assignments,
                                           LifetimeInSeconds=LIFETIME, Question=QUESTION,
                                           UniqueRequestToken=new_uuid())["HIT"]["HITId"]


def three_hits(client, **type_kwargs) -> List[str]:
    type_id = hit_type(client, **type_kwargs)
    return [new_hit(client, type_id) for _ in range(3)]


def build(operation: str, endpoint, client) -> Case:
    """Three fresh items for `operation`, and how to list them."""
    if operation == "list_qualification_types":
        tag = new_uuid()
        wanted = [create_type(client, Name=unique_name(f"paging {tag} {i}"))["QualificationTypeId"]
                  for i in range(3)]
        return Case(operation, dict(Query=tag, MustBeRequestable=True, MustBeOwnedByCaller=True),
                    "QualificationTypes", lambda q: q["QualificationTypeId"], wanted,
                    ["list-qualification-types", "--types-query", tag, "--must-be-requestable",
                     "--must-be-owned-by-caller"])
    if operation == "list_workers_with_qualification_type":
        qual = create_type(client)["QualificationTypeId"]
        wanted = [new_worker_id() for _ in range(3)]
        for worker in wanted:
            client.associate_qualification_with_worker(QualificationTypeId=qual, WorkerId=worker,
                                                       IntegerValue=1, SendNotification=False)
        return Case(operation, dict(QualificationTypeId=qual), "Qualifications", lambda q: q["WorkerId"], wanted,
                    ["list-workers-with-qualification-type", "--qualification-type-id", qual])
    if operation == "list_qualification_requests":
        qual = create_type(client)["QualificationTypeId"]
        wanted = [control_request_qualification(endpoint, new_worker_id(), qual)["QualificationRequestId"]
                  for _ in range(3)]
        return Case(operation, dict(QualificationTypeId=qual), "QualificationRequests",
                    lambda r: r["QualificationRequestId"], wanted,
                    ["list-qualification-requests", "--qualification-type-id", qual])
    if operation == "list_worker_blocks":
        wanted = [new_worker_id() for _ in range(3)]
        for worker in wanted:
            client.create_worker_block(WorkerId=worker, Reason="paging test")

        def unblock():
            for worker in wanted:
                client.delete_worker_block(WorkerId=worker, Reason="paging test done")

        return Case(operation, {}, "WorkerBlocks", lambda b: b["WorkerId"], wanted, ["list-worker-blocks"],
                    narrowed=False, cleanup=unblock)
    if operation == "list_hits":
        return Case(operation, {}, "HITs", lambda h: h["HITId"], three_hits(client), ["list-hits"], narrowed=False)
    if operation == "list_hits_for_qualification_type":
        qual = create_type(client)["QualificationTypeId"]
        wanted = three_hits(client, QualificationRequirements=[{"QualificationTypeId": qual, "Comparator": "Exists"}])
        return Case(operation, dict(QualificationTypeId=qual), "HITs", lambda h: h["HITId"], wanted,
                    ["list-hits-for-qualification-type", "--qualification-type-id", qual])
    if operation == "list_reviewable_hits":
        type_id = hit_type(client)
        wanted = [new_hit(client, type_id) for _ in range(3)]
        for hit_id in wanted:  # one assignment each: submitted, so the HIT is Reviewable
            control_work(endpoint, new_worker_id(), hit_id, {"label": "done"})
        return Case(operation, dict(HITTypeId=type_id), "HITs", lambda h: h["HITId"], wanted,
                    ["list-reviewable-hits", "--hit-type-id", type_id])
    if operation == "list_assignments_for_hit":
        hit_id = new_hit(client, hit_type(client), max_assignments=3)
        wanted = [control_work(endpoint, new_worker_id(), hit_id, {"label": f"answer {i}"}) for i in range(3)]
        return Case(operation, dict(HITId=hit_id), "Assignments", lambda a: a["AssignmentId"], wanted,
                    ["list-assignments-for-hit", "--hit-id", hit_id])
    if operation == "list_bonus_payments":
        hit_id = new_hit(client, hit_type(client), max_assignments=3)
        wanted = []
        for i in range(3):
            worker = new_worker_id()
            assignment_id = control_work(endpoint, worker, hit_id, {"label": f"answer {i}"})
            client.approve_assignment(AssignmentId=assignment_id)
            client.send_bonus(WorkerId=worker, AssignmentId=assignment_id, BonusAmount="0.01",
                              Reason="paging test", UniqueRequestToken=new_uuid())
            wanted.append(assignment_id)
        return Case(operation, dict(HITId=hit_id), "BonusPayments", lambda b: b["AssignmentId"], wanted,
                    ["list-bonus-payments", "--hit-id", hit_id])
    raise AssertionError(f"no case for {operation}")


OPERATIONS = [
    "list_qualification_types",
    "list_workers_with_qualification_type",
    "list_qualification_requests",
    "list_worker_blocks",
    "list_hits",
    "list_hits_for_qualification_type",
    "list_reviewable_hits",
    "list_assignments_for_hit",
    "list_bonus_payments",
]


@pytest.fixture
def case(request, endpoint, hit_mturk):
    made = build(request.param, endpoint, hit_mturk)
    yield made
    if made.cleanup:
        made.cleanup()


def assert_each_wanted_item_once(case: Case, ids: List[str]) -> None:
    assert len(ids) == len(set(ids)), f"{case.operation} listed an item twice: {ids}"
    if case.narrowed:
        assert sorted(ids) == sorted(case.wanted), (case.operation, ids, case.wanted)
    else:
        assert set(case.wanted) <= set(ids), (case.operation, case.wanted)


def test_botocore_knows_a_paginator_for_exactly_these_nine_operations(hit_mturk):
    assert sorted(op for op in OPERATIONS if hit_mturk.can_paginate(op)) == sorted(OPERATIONS)
    assert not hit_mturk.can_paginate("list_review_policy_results_for_hit")


@pytest.mark.parametrize("page_size", [1, 2, 3])
@pytest.mark.parametrize("case", OPERATIONS, indirect=True)
def test_the_boto3_paginator_sees_each_item_once_and_ends_on_an_empty_page(hit_mturk, case, page_size):
    if not case.narrowed:
        page_size *= 10  # the listing holds every HIT / block of the requester
    pages = list(hit_mturk.get_paginator(case.operation).paginate(
        **case.kwargs, PaginationConfig={"PageSize": page_size}))
    for page in pages:
        assert page["NumResults"] == len(page[case.key]) <= page_size, page
    # Every page with items carries a token, the last one included; the page after it is empty and has none.
    assert all("NextToken" in page for page in pages[:-1]), [page.get("NextToken") for page in pages]
    assert pages[-1]["NumResults"] == 0 and pages[-1][case.key] == [], pages[-1]
    assert "NextToken" not in pages[-1], pages[-1]
    tokens = [page["NextToken"] for page in pages[:-1]]
    assert len(tokens) == len(set(tokens)), tokens
    assert_each_wanted_item_once(case, [case.item_id(item) for page in pages for item in page[case.key]])


@pytest.mark.parametrize("case", OPERATIONS, indirect=True)
def test_raw_calls_return_a_token_with_the_last_page_of_items_and_an_empty_page_after_it(hit_mturk, case):
    call = getattr(hit_mturk, case.operation)
    page_size = 2 if case.narrowed else 25
    answers, token = [], None
    for _ in range(MAX_CALLS):
        answer = call(**case.kwargs, MaxResults=page_size, **({"NextToken": token} if token else {}))
        answers.append(answer)
        if "NextToken" not in answer:
            break
        token = answer["NextToken"]
    else:
        pytest.fail(f"{case.operation} still returned a NextToken after {MAX_CALLS} calls")
    counts = [a["NumResults"] for a in answers]
    if case.narrowed:
        assert counts == [2, 1, 0], counts
    assert all(n > 0 for n in counts[:-1]) and counts[-1] == 0, counts
    for a in answers:
        assert a["NumResults"] == len(a[case.key])
    assert answers[-1][case.key] == []
    assert_each_wanted_item_once(case, [case.item_id(item) for a in answers for item in a[case.key]])


@pytest.mark.parametrize("case", ["list_assignments_for_hit", "list_qualification_types"], indirect=True)
def test_a_page_that_holds_exactly_every_item_still_carries_a_token(hit_mturk, case):
    call = getattr(hit_mturk, case.operation)
    first = call(**case.kwargs, MaxResults=3)
    assert first["NumResults"] == 3
    assert first.get("NextToken"), first
    after = call(**case.kwargs, MaxResults=3, NextToken=first["NextToken"])
    assert after["NumResults"] == 0 and after[case.key] == [], after
    assert "NextToken" not in after, after


@pytest.mark.parametrize("case", OPERATIONS, indirect=True)
def test_the_aws_cli_pages_through_each_listing_and_prints_each_item_once(
    case, endpoint, hit_credentials, isolated_aws_environment
):
    run = runner(find_aws(), clean_env(hit_credentials, isolated_aws_environment), endpoint)
    page_size = "1" if case.narrowed else "20"
    listed = ok(run(*case.cli, "--page-size", page_size)).json
    assert "NextToken" not in listed, listed
    assert_each_wanted_item_once(case, [case.item_id(item) for item in listed[case.key]])
