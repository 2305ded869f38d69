"""boto 2.49.0's MTurkConnection against mturk-local.

boto 2 is the client most legacy MTurk code was written with. These tests use
it exactly as an application would (see conftest.connect): it POSTs a form
body to "/", signs with SignatureVersion=1, sends Version=2014-08-15 and no
Service parameter, and raises MTurkRequestError whenever a response body
contains "<Errors>".

Tests marked `lifecycle` cover the operations that come after the first four
(Create/Assign/GetScore/Revoke); deselect them with -m "not lifecycle".
"""

import re

import pytest
from boto.mturk.connection import MTurkConnection, MTurkRequestError
from boto.mturk.price import Price

from boto2_support import connect, expect_error
from mturk_local_testing import (
    TRICKY_TEXT,
    Credentials,
    new_worker_id,
    unique_name,
    unknown_id,
)

QUALIFICATION_TYPE_ID = re.compile(r"[0-9A-Z]{30}")


def create_type(conn: MTurkConnection, **kwargs) -> str:
    kwargs.setdefault("name", unique_name())
    kwargs.setdefault("description", "made by tests/clients/legacy/test_boto2.py")
    kwargs.setdefault("status", "Active")
    result = conn.create_qualification_type(**kwargs)
    assert len(result) == 1
    return result[0].QualificationTypeId


@pytest.fixture
def qual_type(mturk) -> str:
    return create_type(mturk)


@pytest.fixture
def worker() -> str:
    return new_worker_id()


@pytest.fixture
def granted(mturk, qual_type, worker):
    """A qualification type of the first requester, granted to a fresh worker."""
    mturk.assign_qualification(qual_type, worker, value=7, send_notification=False)
    return qual_type, worker


# --- the first four operations -------------------------------------------------


def test_a_qualification_type_is_created_and_returned_with_its_fields(mturk):
    name = unique_name()
    result = mturk.create_qualification_type(
        name=name,
        description="A type for the boto 2 client test",
        status="Active",
        keywords=["boto", "legacy"],
    )
    assert len(result) == 1
    qt = result[0]
    assert qt.IsValid == "True"
    assert QUALIFICATION_TYPE_ID.fullmatch(qt.QualificationTypeId)
    assert qt.Name == name
    assert qt.Description == "A type for the boto 2 client test"
    assert qt.Keywords == "boto, legacy"  # boto joins a keyword list with ", "
    assert qt.QualificationTypeStatus == "Active"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", qt.CreationTime)


def test_an_inactive_qualification_type_can_be_created(mturk):
    result = mturk.create_qualification_type(unique_name(), "inactive from the start", "Inactive")
    assert result[0].QualificationTypeStatus == "Inactive"


def test_a_qualification_can_be_assigned_to_a_worker(mturk, qual_type, worker):
    result = mturk.assign_qualification(qual_type, worker, value=5, send_notification=False)
    assert result.status is True  # boto reads <Request><IsValid>True</IsValid>
    assert len(result) == 0


def test_assigning_with_boto_defaults_sends_notification_and_value_one(mturk, qual_type, worker):
    # boto always sends IntegerValue and SendNotification=True unless told otherwise.
    assert mturk.assign_qualification(qual_type, worker).status is True
    assert mturk.get_qualification_score(qual_type, worker)[0].IntegerValue == "1"


def test_the_score_of_an_assigned_qualification_can_be_read(mturk, qual_type, worker):
    mturk.assign_qualification(qual_type, worker, value=42, send_notification=False)
    result = mturk.get_qualification_score(qual_type, worker)
    assert len(result) == 1
    q = result[0]
    assert q.IsValid == "True"
    assert q.QualificationTypeId == qual_type
    assert q.SubjectId == worker
    assert q.IntegerValue == "42"
    assert q.Status == "Granted"
    assert q.GrantTime


def test_assigning_a_qualification_the_worker_already_holds_fails_with_already_exists(
    mturk, granted
):
    qual_type, worker = granted
    expect_error(
        "AWS.MechanicalTurk.QualificationAlreadyExists",
        mturk.assign_qualification, qual_type, worker, value=9, send_notification=False,
    )
    assert mturk.get_qualification_score(qual_type, worker)[0].IntegerValue == "7"


def test_a_qualification_can_be_revoked_with_a_reason(mturk, granted):
    qual_type, worker = granted
    result = mturk.revoke_qualification(worker, qual_type, reason="no longer eligible")
    assert result.status is True
    assert len(result) == 0


def test_reading_the_score_of_a_revoked_qualification_fails_with_invalid_state(mturk, granted):
    qual_type, worker = granted
    mturk.revoke_qualification(worker, qual_type, reason="revoked by test")
    expect_error(
        "AWS.MechanicalTurk.InvalidQualificationState",
        mturk.get_qualification_score, qual_type, worker,
    )


def test_revoking_a_revoked_qualification_again_fails_with_invalid_state(mturk, granted):
    qual_type, worker = granted
    mturk.revoke_qualification(worker, qual_type, reason="first revoke")
    expect_error(
        "AWS.MechanicalTurk.InvalidQualificationState",
        mturk.revoke_qualification, worker, qual_type, reason="second revoke",
    )


def test_assigning_again_after_a_revoke_grants_the_qualification_again(mturk, granted):
    qual_type, worker = granted
    mturk.revoke_qualification(worker, qual_type, reason="revoked by test")
    assert mturk.assign_qualification(qual_type, worker, value=3, send_notification=False).status
    q = mturk.get_qualification_score(qual_type, worker)[0]
    assert (q.Status, q.IntegerValue) == ("Granted", "3")


def test_revoking_from_a_worker_who_never_had_it_fails_with_qualification_does_not_exist(
    mturk, qual_type, worker
):
    expect_error(
        "AWS.MechanicalTurk.QualificationDoesNotExist",
        mturk.revoke_qualification, worker, qual_type, reason="never granted",
    )


def test_reading_the_score_of_a_worker_who_never_had_it_fails_with_qualification_does_not_exist(
    mturk, qual_type, worker
):
    expect_error(
        "AWS.MechanicalTurk.QualificationDoesNotExist",
        mturk.get_qualification_score, qual_type, worker,
    )


def test_revoking_without_a_reason_succeeds(mturk, granted):
    # boto sends the literal string "None" as the Reason when none is given.
    qual_type, worker = granted
    assert mturk.revoke_qualification(worker, qual_type).status is True


@pytest.mark.parametrize(
    "operation",
    [
        lambda c, t, w: c.assign_qualification(t, w, value=1, send_notification=False),
        lambda c, t, w: c.get_qualification_score(t, w),
        lambda c, t, w: c.revoke_qualification(w, t, reason="unknown type"),
    ],
    ids=["AssignQualification", "GetQualificationScore", "RevokeQualification"],
)
def test_an_unknown_qualification_type_id_fails_with_qualification_type_does_not_exist(
    mturk, worker, operation
):
    expect_error(
        "AWS.MechanicalTurk.QualificationTypeDoesNotExist",
        operation, mturk, unknown_id(), worker,
    )


def test_creating_a_second_type_with_the_same_name_fails_with_already_exists(mturk):
    name = unique_name()
    first = create_type(mturk, name=name)
    error = expect_error(
        "AWS.MechanicalTurk.QualificationTypeAlreadyExists",
        mturk.create_qualification_type, name, "the same name again", "Active",
    )
    # The captured production error names the existing type in its Data.
    assert first in error.body


def test_two_requesters_may_each_have_a_type_with_the_same_name(mturk, other_mturk):
    name = unique_name()
    first = create_type(mturk, name=name)
    second = create_type(other_mturk, name=name)
    assert first != second


def test_a_wrong_secret_is_rejected_with_bad_claims_supplied(endpoint, dev_credentials):
    conn = connect(endpoint, Credentials(dev_credentials.access_key_id, "not-the-secret"))
    error = expect_error(
        "AWS.BadClaimsSupplied",
        conn.create_qualification_type, unique_name(), "must not be created", "Active",
    )
    # Authentication errors sit in OperationRequest and no result element follows.
    assert "<OperationRequest>" in error.body
    assert "<QualificationType>" not in error.body


def test_an_unknown_access_key_is_rejected_with_not_authorized(endpoint):
    conn = connect(endpoint, Credentials("AKIAMTURKLOCALNOBODY", "whatever"))
    expect_error("AWS.NotAuthorized", conn.get_qualification_score, unknown_id(), new_worker_id())


@pytest.mark.parametrize(
    "operation",
    [
        lambda c, t, w: c.revoke_qualification(w, t, reason="not mine"),
        lambda c, t, w: c.assign_qualification(t, w, value=1, send_notification=False),
        lambda c, t, w: c.get_qualification_score(t, w),
    ],
    ids=["RevokeQualification", "AssignQualification", "GetQualificationScore"],
)
def test_another_requester_cannot_touch_the_first_requesters_qualification_type(
    mturk, other_mturk, granted, operation
):
    qual_type, worker = granted
    expect_error("AWS.MechanicalTurk.PermissionDenied", operation, other_mturk, qual_type, worker)
    q = mturk.get_qualification_score(qual_type, worker)[0]
    assert (q.Status, q.IntegerValue) == ("Granted", "7")


def test_a_reason_with_markup_quotes_and_non_ascii_is_accepted_and_the_revoke_happens(
    mturk, granted
):
    qual_type, worker = granted
    # boto signs the raw UTF-8 value (SignatureVersion 1) and percent-encodes it.
    result = mturk.revoke_qualification(worker, qual_type, reason=TRICKY_TEXT)
    assert result.status is True
    expect_error(
        "AWS.MechanicalTurk.InvalidQualificationState",
        mturk.get_qualification_score, qual_type, worker,
    )


def test_markup_quotes_and_non_ascii_round_trip_through_a_qualification_type(mturk):
    name = f"{TRICKY_TEXT} {unique_name()}"
    qt = mturk.create_qualification_type(name, TRICKY_TEXT + "\ttab\nnewline", "Active")[0]
    assert qt.Name == name
    assert qt.Description == TRICKY_TEXT + "\ttab\nnewline"


# --- the rest of the qualification operations ----------------------------------
# boto 2.49.0 has no method for RejectQualificationRequest or GetBlockedWorkers,
# so those two are not covered here.


@pytest.mark.lifecycle
class TestLifecycleOperations:
    def test_get_qualification_type_returns_the_created_type(self, mturk):
        name = unique_name()
        created = mturk.create_qualification_type(
            name, "to be read back", "Active", keywords="a,b", retry_delay=600
        )[0]
        result = mturk.get_qualification_type(created.QualificationTypeId)
        assert len(result) == 1
        qt = result[0]
        assert qt.IsValid == "True"
        assert qt.QualificationTypeId == created.QualificationTypeId
        assert qt.Name == name
        assert qt.Description == "to be read back"
        assert qt.Keywords == "a,b"
        assert qt.QualificationTypeStatus == "Active"
        assert qt.RetryDelayInSeconds == "600"
        assert qt.CreationTime == created.CreationTime

    def test_get_qualification_type_of_an_unknown_id_fails_with_does_not_exist(self, mturk):
        expect_error(
            "AWS.MechanicalTurk.QualificationTypeDoesNotExist",
            mturk.get_qualification_type, unknown_id(),
        )

    def test_search_qualification_types_finds_the_callers_type_by_name(self, mturk):
        name = unique_name("searchable")
        qual_type = create_type(mturk, name=name)
        # boto sends Query, SortProperty=Name, SortDirection=Ascending, PageSize=10,
        # PageNumber=1, MustBeRequestable=True, MustBeOwnedByCaller=True.
        result = mturk.search_qualification_types(query=name)
        assert result.status is True
        assert [qt.QualificationTypeId for qt in result] == [qual_type]
        assert (result.NumResults, result.TotalNumResults, result.PageNumber) == ("1", "1", "1")

    def test_search_qualification_types_does_not_show_other_requesters_types_to_owner_only_search(
        self, mturk, other_mturk
    ):
        name = unique_name("not yours")
        create_type(other_mturk, name=name)
        result = mturk.search_qualification_types(query=name, must_be_owned_by_caller=True)
        assert list(result) == []
        assert result.TotalNumResults == "0"

    def test_update_qualification_type_changes_description_and_status(self, mturk, qual_type):
        result = mturk.update_qualification_type(
            qual_type, description="updated " + TRICKY_TEXT, status="Inactive", retry_delay=60
        )
        qt = result[0]
        assert qt.QualificationTypeId == qual_type
        assert qt.Description == "updated " + TRICKY_TEXT
        assert qt.QualificationTypeStatus == "Inactive"
        assert qt.RetryDelayInSeconds == "60"
        again = mturk.get_qualification_type(qual_type)[0]
        assert (again.Description, again.QualificationTypeStatus) == (qt.Description, "Inactive")

    def test_another_requester_cannot_update_the_type(self, other_mturk, qual_type):
        expect_error(
            "AWS.MechanicalTurk.PermissionDenied",
            other_mturk.update_qualification_type, qual_type, description="hijacked",
        )

    def test_dispose_qualification_type_succeeds_once(self, mturk, qual_type):
        assert mturk.dispose_qualification_type(qual_type).status is True
        # Afterwards the type is either still Disposing or already gone (spec §4.5).
        with pytest.raises(MTurkRequestError) as info:
            mturk.dispose_qualification_type(qual_type)
        error = info.value
        assert error.error_code in (
            "AWS.MechanicalTurk.InvalidQualificationTypeState",
            "AWS.MechanicalTurk.QualificationTypeDoesNotExist",
        ), error.body

    def test_another_requester_cannot_dispose_the_type(self, mturk, other_mturk, qual_type):
        expect_error(
            "AWS.MechanicalTurk.PermissionDenied",
            other_mturk.dispose_qualification_type, qual_type,
        )
        assert mturk.get_qualification_type(qual_type)[0].QualificationTypeStatus == "Active"

    def test_get_qualification_requests_of_a_new_type_is_empty(self, mturk, qual_type):
        # boto's default SortProperty "Expiration" is not a valid value, so pass one.
        result = mturk.get_qualification_requests(qual_type, sort_by="SubmitTime")
        assert result.status is True
        assert list(result) == []
        assert (result.NumResults, result.TotalNumResults) == ("0", "0")

    def test_granting_an_unknown_qualification_request_fails_with_does_not_exist(self, mturk):
        expect_error(
            "AWS.MechanicalTurk.QualificationRequestDoesNotExist",
            mturk.grant_qualification, unknown_id(), integer_value=5,
        )

    def test_update_qualification_score_changes_the_value(self, mturk, granted):
        qual_type, worker = granted
        assert mturk.update_qualification_score(qual_type, worker, 77).status is True
        assert mturk.get_qualification_score(qual_type, worker)[0].IntegerValue == "77"

    def test_update_qualification_score_without_a_qualification_fails_with_does_not_exist(
        self, mturk, qual_type, worker
    ):
        expect_error(
            "AWS.MechanicalTurk.QualificationDoesNotExist",
            mturk.update_qualification_score, qual_type, worker, 10,
        )

    def test_update_qualification_score_of_a_revoked_qualification_fails_with_invalid_state(
        self, mturk, granted
    ):
        qual_type, worker = granted
        mturk.revoke_qualification(worker, qual_type, reason="revoked by test")
        expect_error(
            "AWS.MechanicalTurk.InvalidQualificationState",
            mturk.update_qualification_score, qual_type, worker, 10,
        )

    def test_get_qualifications_for_qualification_type_lists_the_granted_workers(
        self, mturk, qual_type
    ):
        workers = sorted(new_worker_id() for _ in range(3))
        for value, w in enumerate(workers, start=10):
            mturk.assign_qualification(qual_type, w, value=value, send_notification=False)
        mturk.revoke_qualification(workers[0], qual_type, reason="revoked by test")
        # boto sends PageSize=100 and PageNumber=1 and no Status (default Granted).
        result = mturk.get_qualifications_for_qualification_type(qual_type)
        assert result.status is True
        assert (result.NumResults, result.TotalNumResults, result.PageNumber) == ("2", "2", "1")
        got = sorted((q.SubjectId, q.IntegerValue, q.Status) for q in result)
        assert got == [(workers[1], "11", "Granted"), (workers[2], "12", "Granted")]
        assert all(q.QualificationTypeId == qual_type for q in result)

    def test_a_worker_can_be_blocked_and_unblocked_twice_each(self, mturk, worker):
        assert mturk.block_worker(worker, TRICKY_TEXT).status is True
        assert mturk.block_worker(worker, "blocked again").status is True
        assert mturk.unblock_worker(worker, "sorry").status is True
        assert mturk.unblock_worker(worker, "was not blocked").status is True

    def test_get_account_balance_returns_an_available_balance_in_usd(self, mturk):
        result = mturk.get_account_balance()
        assert result.status is True
        assert len(result) >= 1
        balance = result[0]
        assert isinstance(balance, Price)
        assert isinstance(balance.amount, float) and balance.amount >= 0
        assert balance.currency_code == "USD"

    def test_notify_workers_accepts_a_list_of_workers(self, mturk):
        # boto sends WorkerId.1, WorkerId.2, ... plus Subject and MessageText.
        result = mturk.notify_workers(
            [new_worker_id(), new_worker_id()], "Subject " + TRICKY_TEXT, "Body " + TRICKY_TEXT
        )
        assert result.status is True
