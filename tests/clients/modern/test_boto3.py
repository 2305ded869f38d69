"""boto3 against mturk-local's 2017-01-17 JSON API.

The clients are made as an application makes them (modern_support.mturk_client):
explicit endpoint, region us-east-1, the requester's keys and one attempt per
call. Every operation mturk-local serves on the JSON API is exercised; the
expected behaviour is the README's "JSON API" section: operations, pagination
and how errors reach the client.

What workers do (ask for a qualification, read their messages) goes through
the server's /_local control plane. The last tests check that the JSON and
the legacy REST/XML API share one store.
"""

import os
from datetime import datetime

import boto3
import pytest

from mturk_local_testing import (
    Credentials,
    control,
    new_worker_id,
    unique_name,
    unknown_id,
)
from modern_support import (
    CLIENT_CONFIG,
    MONEY,
    QUALIFICATION_TYPE_ID,
    assert_recent,
    assert_request_id,
    control_notifications,
    control_now,
    control_request_qualification,
    control_worker_qualifications,
    create_type,
    expect_request_error,
    expected_balance,
    legacy_call,
    mturk_client,
    new_uuid,
)

WORKER_LOCALE = "00000000000000000071"

# A qualification test and answer key (the same documents as tests/api).
QUESTION_FORM = (
    '<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/'
    'QuestionForm.xsd"><Question><QuestionIdentifier>color</QuestionIdentifier><QuestionContent><Text>'
    "Sky colour?</Text></QuestionContent><AnswerSpecification><SelectionAnswer><Selections><Selection>"
    "<SelectionIdentifier>blue</SelectionIdentifier><Text>Blue</Text></Selection><Selection>"
    "<SelectionIdentifier>red</SelectionIdentifier><Text>Red</Text></Selection></Selections>"
    "</SelectionAnswer></AnswerSpecification></Question></QuestionForm>"
)
ANSWER_KEY = (
    '<AnswerKey xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/'
    'AnswerKey.xsd"><Question><QuestionIdentifier>color</QuestionIdentifier><AnswerOption>'
    "<SelectionIdentifier>blue</SelectionIdentifier><AnswerScore>1</AnswerScore></AnswerOption></Question>"
    "<QualificationValueMapping><PercentageMapping><MaximumSummedScore>1</MaximumSummedScore>"
    "</PercentageMapping></QualificationValueMapping></AnswerKey>"
)


def paginate(client, operation: str, **kwargs) -> list:
    """All pages of a botocore paginator, after checking the token rules of §4."""
    pages = list(client.get_paginator(operation).paginate(**kwargs))
    tokens = [page["NextToken"] for page in pages if "NextToken" in page]
    assert len(tokens) == len(set(tokens)), tokens
    # The real service hands out a NextToken on every page that has items, the
    # last one included; the walk ends on an empty page without one (§4, corrected).
    assert "NextToken" not in pages[-1], pages[-1]
    assert pages[-1]["NumResults"] == 0, pages[-1]
    assert all("NextToken" in page and page["NumResults"] > 0 for page in pages[:-1])
    assert all(1 <= len(token) <= 255 for token in tokens), tokens
    return pages


def all_blocks(client) -> dict:
    """Every block of the caller, as {WorkerId: Reason}."""
    pages = paginate(client, "list_worker_blocks", PaginationConfig={"PageSize": 100})
    return {b["WorkerId"]: b["Reason"] for page in pages for b in page["WorkerBlocks"]}


# ---------------------------------------------------------------- the wire


def test_every_successful_response_carries_its_own_request_id(mturk):
    first = mturk.get_account_balance()
    second = mturk.get_account_balance()
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert assert_request_id(first) != assert_request_id(second)
    headers = first["ResponseMetadata"]["HTTPHeaders"]
    assert headers["content-type"].startswith("application/x-amz-json-1.1"), headers


def test_a_request_error_reaches_boto3_as_the_modelled_exception_with_its_turk_error_code(mturk):
    missing = unknown_id()
    with pytest.raises(mturk.exceptions.RequestError) as info:
        mturk.get_qualification_type(QualificationTypeId=missing)
    error = info.value
    assert error.response["Error"]["Code"] == "RequestError"
    assert error.response["TurkErrorCode"] == "AWS.MechanicalTurk.QualificationTypeDoesNotExist"
    assert error.response["Message"] == error.response["Error"]["Message"]
    assert missing in error.response["Error"]["Message"]
    assert assert_request_id(error.response)
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert str(error).startswith(
        "An error occurred (RequestError) when calling the GetQualificationType operation: "
    ), str(error)


# ---------------------------------------------------------------- account


def test_get_account_balance_shows_the_development_requesters_starting_balance(mturk, dev_credentials):
    balance = mturk.get_account_balance()
    assert MONEY.fullmatch(balance["AvailableBalance"]), balance
    expected = expected_balance(dev_credentials)
    if expected is not None:
        assert balance["AvailableBalance"] == expected
    if "OnHoldBalance" in balance:
        assert MONEY.fullmatch(balance["OnHoldBalance"]), balance


def test_each_requester_has_a_balance_of_its_own(other_mturk):
    balance = other_mturk.get_account_balance()
    assert MONEY.fullmatch(balance["AvailableBalance"]), balance
    # run.sh configures the second requester with 25.00 and says so here.
    expected = os.environ.get("MTURK_LOCAL_OTHER_BALANCE")
    if expected is not None:
        assert balance["AvailableBalance"] == expected


# ---------------------------------------------------------------- qualification types


def test_create_qualification_type_returns_the_new_type_with_the_given_fields(mturk, endpoint):
    name = unique_name("boto3 create")
    created = mturk.create_qualification_type(
        Name=name,
        Description="A description",
        Keywords="boto3, json",
        QualificationTypeStatus="Active",
    )
    assert_request_id(created)
    qt = created["QualificationType"]
    assert QUALIFICATION_TYPE_ID.fullmatch(qt["QualificationTypeId"]), qt
    assert qt["Name"] == name
    assert qt["Description"] == "A description"
    assert qt["Keywords"] == "boto3, json"
    assert qt["QualificationTypeStatus"] == "Active"
    assert qt["IsRequestable"] is True
    assert qt["AutoGranted"] is False
    assert isinstance(qt["CreationTime"], datetime)
    assert_recent(qt["CreationTime"], control_now(endpoint))


def test_an_inactive_auto_granted_type_with_a_retry_delay_keeps_those_settings(mturk):
    qt = create_type(
        mturk,
        QualificationTypeStatus="Inactive",
        AutoGranted=True,
        AutoGrantedValue=7,
        RetryDelayInSeconds=3600,
    )
    assert qt["QualificationTypeStatus"] == "Inactive"
    assert qt["AutoGranted"] is True
    assert qt["AutoGrantedValue"] == 7
    assert qt["RetryDelayInSeconds"] == 3600
    again = mturk.get_qualification_type(QualificationTypeId=qt["QualificationTypeId"])["QualificationType"]
    assert again == qt


def test_a_type_with_a_test_keeps_the_test_documents_verbatim(mturk):
    qt = create_type(mturk, Test=QUESTION_FORM, AnswerKey=ANSWER_KEY, TestDurationInSeconds=600)
    got = mturk.get_qualification_type(QualificationTypeId=qt["QualificationTypeId"])["QualificationType"]
    assert got["Test"] == QUESTION_FORM
    assert got["AnswerKey"] == ANSWER_KEY
    assert got["TestDurationInSeconds"] == 600


def test_get_qualification_type_returns_what_create_returned(mturk):
    qt = create_type(mturk, Keywords="get, round trip")
    got = mturk.get_qualification_type(QualificationTypeId=qt["QualificationTypeId"])
    assert_request_id(got)
    assert got["QualificationType"] == qt


def test_get_qualification_type_knows_the_system_type_worker_locale(mturk):
    qt = mturk.get_qualification_type(QualificationTypeId=WORKER_LOCALE)["QualificationType"]
    assert qt["QualificationTypeId"] == WORKER_LOCALE
    assert qt["Name"] == "Worker_Locale"
    assert qt["QualificationTypeStatus"] == "Active"
    assert qt["IsRequestable"] is False


def test_an_unknown_qualification_type_fails_with_qualification_type_does_not_exist(mturk, worker):
    expect_request_error(mturk, "AWS.MechanicalTurk.QualificationTypeDoesNotExist",
                         mturk.get_qualification_type, QualificationTypeId=unknown_id())
    expect_request_error(mturk, "AWS.MechanicalTurk.QualificationTypeDoesNotExist",
                         mturk.associate_qualification_with_worker,
                         QualificationTypeId=unknown_id(), WorkerId=worker, IntegerValue=1)


def test_a_second_type_with_the_same_name_fails_with_qualification_type_already_exists(mturk):
    name = unique_name("boto3 duplicate")
    create_type(mturk, Name=name)
    expect_request_error(mturk, "AWS.MechanicalTurk.QualificationTypeAlreadyExists",
                         mturk.create_qualification_type,
                         Name=name, Description="again", QualificationTypeStatus="Active")


def test_two_requesters_may_each_have_a_type_with_the_same_name(mturk, other_mturk):
    name = unique_name("boto3 shared name")
    mine = create_type(mturk, Name=name)
    theirs = create_type(other_mturk, Name=name)
    assert mine["QualificationTypeId"] != theirs["QualificationTypeId"]


def test_update_qualification_type_changes_description_status_and_retry_delay_but_not_the_name(mturk):
    qt = create_type(mturk, Keywords="update")
    updated = mturk.update_qualification_type(
        QualificationTypeId=qt["QualificationTypeId"],
        Description="changed",
        QualificationTypeStatus="Inactive",
        RetryDelayInSeconds=60,
    )
    assert_request_id(updated)
    new = updated["QualificationType"]
    assert new["QualificationTypeId"] == qt["QualificationTypeId"]
    assert new["Name"] == qt["Name"]
    assert new["Keywords"] == "update"
    assert new["Description"] == "changed"
    assert new["QualificationTypeStatus"] == "Inactive"
    assert new["RetryDelayInSeconds"] == 60
    assert mturk.get_qualification_type(QualificationTypeId=qt["QualificationTypeId"])["QualificationType"] == new


def test_update_qualification_type_can_turn_on_auto_granting(mturk, qual_type):
    new = mturk.update_qualification_type(
        QualificationTypeId=qual_type, AutoGranted=True, AutoGrantedValue=3
    )["QualificationType"]
    assert new["AutoGranted"] is True
    assert new["AutoGrantedValue"] == 3


def test_a_deleted_type_can_no_longer_be_read_listed_or_deleted_again(mturk):
    qt = create_type(mturk)
    deleted = mturk.delete_qualification_type(QualificationTypeId=qt["QualificationTypeId"])
    assert_request_id(deleted)
    assert set(deleted) == {"ResponseMetadata"}
    expect_request_error(mturk, "AWS.MechanicalTurk.QualificationTypeDoesNotExist",
                         mturk.get_qualification_type, QualificationTypeId=qt["QualificationTypeId"])
    listed = mturk.list_qualification_types(Query=qt["Name"], MustBeRequestable=False, MustBeOwnedByCaller=True)
    assert listed["QualificationTypes"] == []
    assert listed["NumResults"] == 0
    expect_request_error(mturk, None, mturk.delete_qualification_type, QualificationTypeId=qt["QualificationTypeId"])


@pytest.mark.parametrize(
    "operation, kwargs",
    [
        ("update_qualification_type", {"Description": "not yours"}),
        ("delete_qualification_type", {}),
        ("associate_qualification_with_worker", {"WorkerId": "A1NOTYOURS00000", "IntegerValue": 1}),
        ("disassociate_qualification_from_worker", {"WorkerId": "A1NOTYOURS00000", "Reason": "not yours"}),
        ("get_qualification_score", {"WorkerId": "A1NOTYOURS00000"}),
        ("list_workers_with_qualification_type", {}),
        ("list_qualification_requests", {}),
    ],
    ids=["update", "delete", "associate", "disassociate", "get-score", "list-workers", "list-requests"],
)
def test_another_requesters_type_can_be_read_but_any_other_use_fails_with_permission_denied(
    mturk, other_mturk, operation, kwargs
):
    qt = create_type(mturk)
    type_id = qt["QualificationTypeId"]
    assert other_mturk.get_qualification_type(QualificationTypeId=type_id)["QualificationType"]["Name"] == qt["Name"]
    expect_request_error(other_mturk, "AWS.MechanicalTurk.PermissionDenied",
                         getattr(other_mturk, operation), QualificationTypeId=type_id, **kwargs)
    # And the type is unchanged.
    assert mturk.get_qualification_type(QualificationTypeId=type_id)["QualificationType"] == qt


# ---------------------------------------------------------------- ListQualificationTypes


def test_list_qualification_types_pages_through_matching_types_with_fresh_tokens(mturk):
    tag = new_uuid()
    names = {create_type(mturk, Name=unique_name(f"boto3 page {tag} {i}"))["Name"] for i in range(3)}
    pages = paginate(
        mturk, "list_qualification_types",
        Query=tag, MustBeRequestable=True, MustBeOwnedByCaller=True, PaginationConfig={"PageSize": 1},
    )
    assert len(pages) >= 3
    for page in pages:
        assert page["NumResults"] == len(page["QualificationTypes"]) <= 1
    seen = [qt["Name"] for page in pages for qt in page["QualificationTypes"]]
    assert sorted(seen) == sorted(names)


def test_list_qualification_types_matches_the_query_in_keywords_and_description_ignoring_case(mturk):
    tag = new_uuid()
    by_keyword = create_type(mturk, Keywords=f"kw-{tag}")
    by_description = create_type(mturk, Description=f"Described as DESC-{tag}")
    found = mturk.list_qualification_types(Query=f"KW-{tag.upper()}", MustBeRequestable=True)
    assert [qt["QualificationTypeId"] for qt in found["QualificationTypes"]] == [by_keyword["QualificationTypeId"]]
    found = mturk.list_qualification_types(Query=f"desc-{tag}", MustBeRequestable=True)
    assert [qt["QualificationTypeId"] for qt in found["QualificationTypes"]] == [by_description["QualificationTypeId"]]


def test_must_be_requestable_false_shows_system_types_such_as_worker_locale(mturk):
    found = paginate(
        mturk, "list_qualification_types",
        Query="Worker_Locale", MustBeRequestable=False, PaginationConfig={"PageSize": 100},
    )
    types = {qt["QualificationTypeId"]: qt for page in found for qt in page["QualificationTypes"]}
    assert WORKER_LOCALE in types, types
    assert types[WORKER_LOCALE]["Name"] == "Worker_Locale"
    assert types[WORKER_LOCALE]["IsRequestable"] is False


def test_must_be_requestable_true_leaves_the_system_types_out(mturk):
    found = paginate(
        mturk, "list_qualification_types",
        Query="Worker_Locale", MustBeRequestable=True, PaginationConfig={"PageSize": 100},
    )
    ids = {qt["QualificationTypeId"] for page in found for qt in page["QualificationTypes"]}
    assert WORKER_LOCALE not in ids
    mine = paginate(
        mturk, "list_qualification_types",
        Query="Worker_Locale", MustBeRequestable=False, MustBeOwnedByCaller=True, PaginationConfig={"PageSize": 100},
    )
    assert WORKER_LOCALE not in {qt["QualificationTypeId"] for page in mine for qt in page["QualificationTypes"]}


def test_must_be_owned_by_caller_hides_another_requesters_type_that_is_otherwise_listed(mturk, other_mturk):
    tag = new_uuid()
    theirs = create_type(other_mturk, Name=unique_name(f"boto3 theirs {tag}"))
    everyone = mturk.list_qualification_types(Query=tag, MustBeRequestable=True, MustBeOwnedByCaller=False)
    assert [qt["QualificationTypeId"] for qt in everyone["QualificationTypes"]] == [theirs["QualificationTypeId"]]
    own = mturk.list_qualification_types(Query=tag, MustBeRequestable=True, MustBeOwnedByCaller=True)
    assert own["QualificationTypes"] == []
    assert "NextToken" not in own


def test_max_results_above_one_hundred_is_rejected_by_the_server(mturk):
    response = expect_request_error(mturk, None, mturk.list_qualification_types,
                                    MustBeRequestable=True, MaxResults=500)
    assert "MaxResults" in response["Error"]["Message"]


def test_a_next_token_the_server_never_issued_is_rejected(mturk):
    expect_request_error(mturk, None, mturk.list_qualification_types,
                         MustBeRequestable=True, NextToken="not-a-token-of-this-server")


def test_a_qualification_type_id_that_breaks_the_id_pattern_is_rejected_by_the_server(mturk):
    response = expect_request_error(mturk, None, mturk.get_qualification_type, QualificationTypeId="lower")
    assert "QualificationTypeId" in response["Error"]["Message"]


@pytest.mark.parametrize(
    "operation, kwargs, member",
    [
        ("list_workers_with_qualification_type", {"Status": "Pending"}, "Status"),
        ("update_qualification_type", {"QualificationTypeStatus": "Disposed"}, "QualificationTypeStatus"),
        ("update_qualification_type", {"Description": "d" * 2001}, "Description"),
    ],
    ids=["status-enum", "type-status-enum", "description-length"],
)
def test_values_that_botocore_does_not_check_are_checked_by_the_server(mturk, qual_type, operation, kwargs, member):
    # botocore checks only required members, minimums and JSON types
    # (modern-api.md §1.7): enums and maximum lengths are the server's job.
    response = expect_request_error(mturk, None, getattr(mturk, operation), QualificationTypeId=qual_type, **kwargs)
    assert member in response["Error"]["Message"]


def test_notify_workers_with_more_than_one_hundred_workers_is_rejected_by_the_server(mturk):
    expect_request_error(mturk, None, mturk.notify_workers,
                         Subject="s", MessageText="m", WorkerIds=[new_worker_id() for _ in range(101)])


# ---------------------------------------------------------------- associate / score / disassociate


def test_an_associated_qualification_is_read_back_by_get_qualification_score(mturk, endpoint, qual_type, worker):
    associated = mturk.associate_qualification_with_worker(
        QualificationTypeId=qual_type, WorkerId=worker, IntegerValue=90, SendNotification=False
    )
    assert set(associated) == {"ResponseMetadata"}
    q = mturk.get_qualification_score(QualificationTypeId=qual_type, WorkerId=worker)["Qualification"]
    assert q["QualificationTypeId"] == qual_type
    assert q["WorkerId"] == worker
    assert q["IntegerValue"] == 90
    assert q["Status"] == "Granted"
    assert_recent(q["GrantTime"], control_now(endpoint))


def test_associating_again_overwrites_the_value_the_worker_holds(mturk, granted):
    qual_type, worker = granted
    mturk.associate_qualification_with_worker(
        QualificationTypeId=qual_type, WorkerId=worker, IntegerValue=55, SendNotification=False
    )
    q = mturk.get_qualification_score(QualificationTypeId=qual_type, WorkerId=worker)["Qualification"]
    assert (q["IntegerValue"], q["Status"]) == (55, "Granted")


def test_associating_with_send_notification_tells_the_worker(mturk, endpoint, qual_type, worker):
    mturk.associate_qualification_with_worker(
        QualificationTypeId=qual_type, WorkerId=worker, IntegerValue=4, SendNotification=True
    )
    notes = control_notifications(endpoint, worker)
    assert [(n["Kind"], n.get("QualificationTypeId")) for n in notes] == [("QualificationAssigned", qual_type)]


def test_disassociating_with_a_reason_revokes_the_qualification(mturk, granted):
    qual_type, worker = granted
    result = mturk.disassociate_qualification_from_worker(
        WorkerId=worker, QualificationTypeId=qual_type, Reason="Quality dropped below our bar."
    )
    assert_request_id(result)
    assert set(result) == {"ResponseMetadata"}
    expect_request_error(mturk, "AWS.MechanicalTurk.InvalidQualificationState",
                         mturk.get_qualification_score, QualificationTypeId=qual_type, WorkerId=worker)


def test_a_revoked_worker_is_listed_under_status_revoked_and_no_longer_under_granted(mturk, granted):
    qual_type, worker = granted
    mturk.disassociate_qualification_from_worker(WorkerId=worker, QualificationTypeId=qual_type, Reason="bye")
    revoked = mturk.list_workers_with_qualification_type(QualificationTypeId=qual_type, Status="Revoked")
    assert revoked["NumResults"] == 1
    [q] = revoked["Qualifications"]
    assert (q["WorkerId"], q["QualificationTypeId"], q["Status"]) == (worker, qual_type, "Revoked")
    assert q["IntegerValue"] == 10
    granted_now = mturk.list_workers_with_qualification_type(QualificationTypeId=qual_type, Status="Granted")
    assert granted_now["Qualifications"] == []


def test_the_reason_for_a_revoke_reaches_the_worker(mturk, endpoint, granted):
    qual_type, worker = granted
    reason = "Tom & Jerry's <b>\"reason\"</b> naïve 日本語"
    mturk.disassociate_qualification_from_worker(WorkerId=worker, QualificationTypeId=qual_type, Reason=reason)
    [held] = [q for q in control_worker_qualifications(endpoint, worker) if q["QualificationTypeId"] == qual_type]
    assert held["Status"] == "Revoked"
    assert held["RevokeReason"] == reason
    notes = [n for n in control_notifications(endpoint, worker) if n["Kind"] == "QualificationRevoked"]
    assert [(n["QualificationTypeId"], n["Text"]) for n in notes] == [(qual_type, reason)]


def test_disassociating_without_a_reason_revokes_but_does_not_tell_the_worker(mturk, endpoint, granted):
    qual_type, worker = granted
    mturk.disassociate_qualification_from_worker(WorkerId=worker, QualificationTypeId=qual_type)
    expect_request_error(mturk, "AWS.MechanicalTurk.InvalidQualificationState",
                         mturk.get_qualification_score, QualificationTypeId=qual_type, WorkerId=worker)
    assert [n for n in control_notifications(endpoint, worker) if n["Kind"] == "QualificationRevoked"] == []


def test_disassociating_twice_fails_with_invalid_qualification_state(mturk, granted):
    qual_type, worker = granted
    mturk.disassociate_qualification_from_worker(WorkerId=worker, QualificationTypeId=qual_type, Reason="once")
    expect_request_error(mturk, "AWS.MechanicalTurk.InvalidQualificationState",
                         mturk.disassociate_qualification_from_worker,
                         WorkerId=worker, QualificationTypeId=qual_type, Reason="twice")


def test_disassociating_from_a_worker_who_never_had_it_fails_with_qualification_does_not_exist(
    mturk, qual_type, worker
):
    expect_request_error(mturk, "AWS.MechanicalTurk.QualificationDoesNotExist",
                         mturk.disassociate_qualification_from_worker,
                         WorkerId=worker, QualificationTypeId=qual_type, Reason="never had it")


def test_associating_after_a_revoke_grants_the_qualification_again(mturk, granted):
    qual_type, worker = granted
    mturk.disassociate_qualification_from_worker(WorkerId=worker, QualificationTypeId=qual_type, Reason="out")
    mturk.associate_qualification_with_worker(
        QualificationTypeId=qual_type, WorkerId=worker, IntegerValue=20, SendNotification=False
    )
    q = mturk.get_qualification_score(QualificationTypeId=qual_type, WorkerId=worker)["Qualification"]
    assert (q["Status"], q["IntegerValue"]) == ("Granted", 20)
    revoked = mturk.list_workers_with_qualification_type(QualificationTypeId=qual_type, Status="Revoked")
    assert revoked["Qualifications"] == []


def test_the_score_of_a_worker_who_never_had_it_fails_with_qualification_does_not_exist(
    mturk, qual_type, worker
):
    expect_request_error(mturk, "AWS.MechanicalTurk.QualificationDoesNotExist",
                         mturk.get_qualification_score, QualificationTypeId=qual_type, WorkerId=worker)


def test_list_workers_with_qualification_type_pages_through_the_granted_workers(mturk, qual_type):
    workers = {new_worker_id(): value for value in (1, 2, 3)}
    for worker_id, value in workers.items():
        mturk.associate_qualification_with_worker(
            QualificationTypeId=qual_type, WorkerId=worker_id, IntegerValue=value, SendNotification=False
        )
    pages = paginate(
        mturk, "list_workers_with_qualification_type",
        QualificationTypeId=qual_type, Status="Granted", PaginationConfig={"PageSize": 2},
    )
    assert len(pages) >= 2
    for page in pages:
        assert page["NumResults"] == len(page["Qualifications"]) <= 2
    listed = {q["WorkerId"]: q["IntegerValue"] for page in pages for q in page["Qualifications"]}
    assert listed == workers


def test_a_malformed_worker_id_is_rejected_by_the_server(mturk, qual_type):
    response = expect_request_error(mturk, None, mturk.associate_qualification_with_worker,
                                    QualificationTypeId=qual_type, WorkerId="not-a-worker", IntegerValue=1)
    assert "WorkerId" in response["Error"]["Message"]


# ---------------------------------------------------------------- qualification requests


@pytest.fixture
def pending(endpoint, qual_type, worker):
    """(type id, worker id, request id): the worker asked for the type."""
    answer = control_request_qualification(endpoint, worker, qual_type)
    assert answer["Status"] == "Pending", answer
    return qual_type, worker, answer["QualificationRequestId"]


def test_a_workers_qualification_request_is_listed_for_the_owner(mturk, endpoint, pending):
    qual_type, worker, request_id = pending
    listed = mturk.list_qualification_requests(QualificationTypeId=qual_type)
    assert_request_id(listed)
    assert listed["NumResults"] == 1
    [request] = listed["QualificationRequests"]
    assert request["QualificationRequestId"] == request_id
    assert request["QualificationTypeId"] == qual_type
    assert request["WorkerId"] == worker
    assert_recent(request["SubmitTime"], control_now(endpoint))
    everything = paginate(mturk, "list_qualification_requests", PaginationConfig={"PageSize": 100})
    assert request_id in {r["QualificationRequestId"] for page in everything for r in page["QualificationRequests"]}


def test_accepting_a_request_grants_the_value_and_takes_it_off_the_list(mturk, pending):
    qual_type, worker, request_id = pending
    accepted = mturk.accept_qualification_request(QualificationRequestId=request_id, IntegerValue=42)
    assert set(accepted) == {"ResponseMetadata"}
    q = mturk.get_qualification_score(QualificationTypeId=qual_type, WorkerId=worker)["Qualification"]
    assert (q["Status"], q["IntegerValue"]) == ("Granted", 42)
    assert mturk.list_qualification_requests(QualificationTypeId=qual_type)["QualificationRequests"] == []


def test_rejecting_a_request_grants_nothing_and_tells_the_worker_why(mturk, endpoint, pending):
    qual_type, worker, request_id = pending
    rejected = mturk.reject_qualification_request(QualificationRequestId=request_id, Reason="Not this time.")
    assert set(rejected) == {"ResponseMetadata"}
    assert mturk.list_qualification_requests(QualificationTypeId=qual_type)["QualificationRequests"] == []
    expect_request_error(mturk, "AWS.MechanicalTurk.QualificationDoesNotExist",
                         mturk.get_qualification_score, QualificationTypeId=qual_type, WorkerId=worker)
    notes = [n for n in control_notifications(endpoint, worker) if n["Kind"] == "QualificationRequestRejected"]
    assert [(n["QualificationTypeId"], n["Text"]) for n in notes] == [(qual_type, "Not this time.")]


def test_a_request_that_was_answered_cannot_be_accepted_or_rejected_again(mturk, pending):
    _, _, request_id = pending
    mturk.accept_qualification_request(QualificationRequestId=request_id)
    expect_request_error(mturk, "AWS.MechanicalTurk.InvalidQualificationRequestState",
                         mturk.accept_qualification_request, QualificationRequestId=request_id)
    expect_request_error(mturk, "AWS.MechanicalTurk.InvalidQualificationRequestState",
                         mturk.reject_qualification_request, QualificationRequestId=request_id, Reason="late")


def test_another_requester_cannot_answer_the_request_permission_denied(mturk, other_mturk, pending):
    qual_type, _, request_id = pending
    expect_request_error(other_mturk, "AWS.MechanicalTurk.PermissionDenied",
                         other_mturk.accept_qualification_request, QualificationRequestId=request_id)
    expect_request_error(other_mturk, "AWS.MechanicalTurk.PermissionDenied",
                         other_mturk.reject_qualification_request, QualificationRequestId=request_id)
    mine = mturk.list_qualification_requests(QualificationTypeId=qual_type)["QualificationRequests"]
    assert [r["QualificationRequestId"] for r in mine] == [request_id]
    theirs = paginate(other_mturk, "list_qualification_requests", PaginationConfig={"PageSize": 100})
    assert request_id not in {r["QualificationRequestId"] for page in theirs for r in page["QualificationRequests"]}


def test_accepting_an_unknown_request_fails_with_qualification_request_does_not_exist(mturk):
    expect_request_error(mturk, "AWS.MechanicalTurk.QualificationRequestDoesNotExist",
                         mturk.accept_qualification_request, QualificationRequestId=unknown_id())


def test_list_qualification_requests_pages_through_the_pending_requests(mturk, endpoint, qual_type):
    requests = {control_request_qualification(endpoint, new_worker_id(), qual_type)["QualificationRequestId"]
                for _ in range(3)}
    pages = paginate(mturk, "list_qualification_requests",
                     QualificationTypeId=qual_type, PaginationConfig={"PageSize": 1})
    assert len(pages) >= 3
    for page in pages:
        assert page["NumResults"] == len(page["QualificationRequests"]) <= 1
    listed = [r["QualificationRequestId"] for page in pages for r in page["QualificationRequests"]]
    assert sorted(listed) == sorted(requests)


# ---------------------------------------------------------------- worker blocks


def test_a_blocked_worker_is_listed_with_the_reason_until_unblocked(mturk, worker):
    created = mturk.create_worker_block(WorkerId=worker, Reason="Spam answers.")
    assert set(created) == {"ResponseMetadata"}
    assert all_blocks(mturk).get(worker) == "Spam answers."
    deleted = mturk.delete_worker_block(WorkerId=worker, Reason="Forgiven.")
    assert set(deleted) == {"ResponseMetadata"}
    assert worker not in all_blocks(mturk)


def test_blocking_a_blocked_worker_again_updates_the_reason(mturk, worker):
    mturk.create_worker_block(WorkerId=worker, Reason="first")
    mturk.create_worker_block(WorkerId=worker, Reason="second")
    blocks = all_blocks(mturk)
    assert blocks.get(worker) == "second"


def test_unblocking_a_worker_who_was_never_blocked_succeeds(mturk, worker):
    mturk.delete_worker_block(WorkerId=worker)
    assert worker not in all_blocks(mturk)


def test_a_block_belongs_to_the_requester_who_made_it(mturk, other_mturk, worker):
    mturk.create_worker_block(WorkerId=worker, Reason="mine")
    assert worker not in all_blocks(other_mturk)
    assert worker in all_blocks(mturk)


def test_list_worker_blocks_pages_with_fresh_tokens(mturk):
    for _ in range(3):
        mturk.create_worker_block(WorkerId=new_worker_id(), Reason="paging")
    pages = paginate(mturk, "list_worker_blocks", PaginationConfig={"PageSize": 1})
    assert len(pages) >= 3
    for page in pages:
        assert page["NumResults"] == len(page["WorkerBlocks"]) <= 1


def test_unblocking_a_malformed_worker_id_is_rejected_by_the_server(mturk):
    expect_request_error(mturk, None, mturk.delete_worker_block, WorkerId="lower-case-worker")


# ---------------------------------------------------------------- NotifyWorkers


def test_notify_workers_reports_a_worker_who_never_worked_for_you_as_a_hard_failure(mturk, endpoint):
    stranger = new_worker_id()
    result = mturk.notify_workers(Subject="Hello", MessageText="New HITs soon.", WorkerIds=[stranger])
    assert_request_id(result)
    [failure] = result["NotifyWorkersFailureStatuses"]
    assert failure["WorkerId"] == stranger
    assert failure["NotifyWorkersFailureCode"] == "HardFailure"
    assert failure["NotifyWorkersFailureMessage"]
    assert control_notifications(endpoint, stranger) == []


def test_notify_workers_delivers_the_message_to_a_worker_who_holds_your_qualification(mturk, endpoint, granted):
    _, worker = granted
    stranger = new_worker_id()
    subject = f"Subject {new_uuid()}"
    result = mturk.notify_workers(Subject=subject, MessageText="Thanks for your work!", WorkerIds=[worker, stranger])
    assert [f["WorkerId"] for f in result["NotifyWorkersFailureStatuses"]] == [stranger]
    messages = [n for n in control_notifications(endpoint, worker) if n["Kind"] == "Message"]
    assert [(n["Subject"], n["Text"]) for n in messages] == [(subject, "Thanks for your work!")]


def test_notify_workers_to_only_known_workers_returns_an_empty_failure_list(mturk, granted):
    _, worker = granted
    result = mturk.notify_workers(Subject="Hi", MessageText="All good.", WorkerIds=[worker])
    assert result["NotifyWorkersFailureStatuses"] == []


# ---------------------------------------------------------------- authentication and unbuilt operations


def test_a_wrong_secret_fails_with_invalid_signature_exception(endpoint, dev_credentials):
    client = mturk_client(endpoint, Credentials(dev_credentials.access_key_id, "not-the-secret"))
    with pytest.raises(client.exceptions.ClientError) as info:
        client.get_account_balance()
    assert info.value.response["Error"]["Code"] == "InvalidSignatureException", info.value.response
    assert not isinstance(info.value, client.exceptions.RequestError)
    assert_request_id(info.value.response)


def test_an_unknown_access_key_fails_with_unrecognized_client_exception(endpoint):
    client = mturk_client(endpoint, Credentials("AKIAMTURKLOCALNOBODY", "whatever"))
    with pytest.raises(client.exceptions.ClientError) as info:
        client.get_account_balance()
    assert info.value.response["Error"]["Code"] == "UnrecognizedClientException", info.value.response
    assert_request_id(info.value.response)


def test_a_client_configured_for_the_sandbox_pseudo_region_is_accepted(endpoint, dev_credentials):
    # botocore signs with whatever region it was given (modern-api.md §1.4).
    client = boto3.client(
        "mturk",
        region_name="sandbox",
        endpoint_url=endpoint.url,
        aws_access_key_id=dev_credentials.access_key_id,
        aws_secret_access_key=dev_credentials.secret_access_key,
        config=CLIENT_CONFIG,
    )
    assert MONEY.fullmatch(client.get_account_balance()["AvailableBalance"])


def test_a_plain_client_finds_the_server_through_aws_endpoint_url_mturk(endpoint, dev_credentials, monkeypatch):
    # The no-code-change route of modern-api.md §6.2: everything from the environment.
    monkeypatch.setenv("AWS_ENDPOINT_URL_MTURK", endpoint.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", dev_credentials.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", dev_credentials.secret_access_key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = boto3.session.Session().client("mturk", config=CLIENT_CONFIG)
    qt = create_type(client)
    assert mturk_client(endpoint, dev_credentials).get_qualification_type(
        QualificationTypeId=qt["QualificationTypeId"]
    )["QualificationType"]["Name"] == qt["Name"]


def test_a_test_event_to_a_queue_arn_is_refused_and_to_a_queue_url_is_recorded(mturk, endpoint):
    # Every operation is built now; the notification ones check the destination's shape
    # (NotificationSpecification: an SQS destination is a queue URL, not an ARN).
    notification = {"Destination": "arn:aws:sqs:us-east-1:123456789012:q", "Transport": "SQS",
                    "Version": "2006-05-05", "EventTypes": ["AssignmentSubmitted"]}
    response = expect_request_error(mturk, "AWS.MechanicalTurk.InvalidParameterValue",
                                    mturk.send_test_event_notification, Notification=notification,
                                    TestEventType="AssignmentSubmitted")
    assert "queue URL" in response["Error"]["Message"]
    queue = f"https://sqs.us-east-1.amazonaws.com/123456789012/q-{new_uuid()}"
    notification["Destination"] = queue
    mturk.send_test_event_notification(Notification=notification, TestEventType="AssignmentSubmitted")
    recorded = [e for e in control(endpoint, "GET", "/events?EventType=AssignmentSubmitted")["Events"]
                if e["Deliveries"][0]["Destination"] == queue]
    assert len(recorded) == 1, recorded
    assert recorded[0]["Deliveries"][0]["Transport"] == "SQS"


# ---------------------------------------------------------------- one store, two faces


def test_a_qualification_revoked_through_the_legacy_api_is_listed_as_revoked_by_the_json_api(
    mturk, endpoint, dev_credentials, granted
):
    qual_type, worker = granted
    legacy_call(endpoint, dev_credentials, "RevokeQualification", [
        ("SubjectId", worker),
        ("QualificationTypeId", qual_type),
        ("Reason", "revoked through the legacy API"),
    ])
    revoked = mturk.list_workers_with_qualification_type(QualificationTypeId=qual_type, Status="Revoked")
    assert [(q["WorkerId"], q["Status"]) for q in revoked["Qualifications"]] == [(worker, "Revoked")]
    expect_request_error(mturk, "AWS.MechanicalTurk.InvalidQualificationState",
                         mturk.get_qualification_score, QualificationTypeId=qual_type, WorkerId=worker)


def test_a_type_created_through_the_json_api_is_found_by_legacy_search_qualification_types(
    mturk, endpoint, dev_credentials
):
    qt = create_type(mturk, Name=unique_name(f"boto3 two faces {new_uuid()}"))
    root = legacy_call(endpoint, dev_credentials, "SearchQualificationTypes", [
        ("Query", qt["Name"]),
        ("MustBeRequestable", "true"),
        ("MustBeOwnedByCaller", "true"),
    ])
    found = root.findall(".//SearchQualificationTypesResult/QualificationType")
    assert [(t.findtext("QualificationTypeId"), t.findtext("Name")) for t in found] == [
        (qt["QualificationTypeId"], qt["Name"])
    ]


def test_a_value_associated_through_the_json_api_is_read_by_legacy_get_qualification_score(
    endpoint, dev_credentials, granted
):
    qual_type, worker = granted
    root = legacy_call(endpoint, dev_credentials, "GetQualificationScore", [
        ("QualificationTypeId", qual_type),
        ("SubjectId", worker),
    ])
    q = root.find(".//Qualification")
    assert q is not None
    assert (q.findtext("SubjectId"), q.findtext("IntegerValue"), q.findtext("Status")) == (worker, "10", "Granted")
