"""``MturkLocal`` used directly, as a context manager, against the real binary."""

from __future__ import annotations

import socket
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from pytest_mturk_local import MturkLocal, MturkLocalError, free_text_answers

WORKER = "A1PLUGINWORKER"
EXTERNAL_QUESTION = (
    '<ExternalQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/'
    'ExternalQuestion.xsd"><ExternalURL>https://example.org/task</ExternalURL><FrameHeight>600</FrameHeight>'
    "</ExternalQuestion>"
)
START = datetime(2024, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def server(binary: str) -> Iterator[MturkLocal]:
    with MturkLocal(binary) as s:
        yield s


def create_type(server: MturkLocal, name: str = "Careful annotator") -> str:
    created = server.client().create_qualification_type(
        Name=name, Description="d", QualificationTypeStatus="Active", AutoGranted=True
    )
    return created["QualificationType"]["QualificationTypeId"]


def test_a_server_starts_on_a_free_port_answers_health_and_stops_on_exit(binary: str) -> None:
    with MturkLocal(binary) as server:
        assert server.running
        assert server.endpoint_url == f"http://127.0.0.1:{server.port}"
        assert server.legacy_url == f"{server.endpoint_url}/onca/xml"
        assert server.health() == {"Status": "ok", "Storage": "sqlite"}
        with MturkLocal(binary) as second:
            assert second.port != server.port
        port = server.port
    assert not server.running
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    with pytest.raises(MturkLocalError):
        _ = server.endpoint_url


def test_client_is_a_ready_boto3_client_and_legacy_url_serves_the_legacy_api(server: MturkLocal) -> None:
    assert server.client().get_account_balance()["AvailableBalance"] == "10000.00"
    # An unsigned legacy request is answered by the legacy API (with an authentication error).
    with urllib.request.urlopen(f"{server.legacy_url}?Operation=GetAccountBalance", timeout=10) as answer:
        body = answer.read().decode()
    assert "<GetAccountBalanceResponse>" in body and "<Code>AWS.MissingParameters</Code>" in body


def test_the_clock_starts_where_asked_moves_and_a_reset_rewinds_it(binary: str) -> None:
    with MturkLocal(binary, clock_start=START) as server:
        assert START <= server.clock.now() < START + timedelta(seconds=30)
        before = server.clock.now()
        after = server.clock.advance(timedelta(hours=1))
        assert timedelta(hours=1) <= after - before < timedelta(hours=1, seconds=30)
        target = datetime(2030, 6, 1, 12, 0, tzinfo=timezone.utc)
        assert target <= server.clock.set(target) < target + timedelta(seconds=30)
        created = server.client().create_hit(
            Title="t", Description="d", Reward="0.10", MaxAssignments=1, LifetimeInSeconds=600,
            AssignmentDurationInSeconds=60, Question=EXTERNAL_QUESTION,
        )["HIT"]
        assert created["CreationTime"].year == 2030
        server.reset()
        assert START <= server.clock.now() < START + timedelta(seconds=30)
        assert server.clock.offset_seconds() < 0
        with pytest.raises(MturkLocalError) as err:
            server.clock.advance(-1)
        assert (err.value.status, err.value.code) == (400, "AWS.ParameterOutOfRange")
        with pytest.raises(MturkLocalError):
            server.clock.set(datetime(2030, 1, 1))  # no time zone


def test_a_seed_gives_the_same_ids_in_every_run_and_after_every_reset(binary: str) -> None:
    with MturkLocal(binary, seed=7) as first, MturkLocal(binary, seed=7) as second:
        one = create_type(first)
        assert create_type(second) == one
        first.reset()
        assert create_type(first) == one
    with MturkLocal(binary) as unseeded, MturkLocal(binary) as other:
        assert create_type(unseeded) != create_type(other)


def test_workers_find_accept_and_submit_hits_and_request_qualifications(server: MturkLocal) -> None:
    mturk = server.client()
    qt = create_type(server)
    assert server.workers.request_qualification(WORKER, qt)["Status"] == "Granted"
    assert [q["QualificationTypeId"] for q in server.workers.qualifications(WORKER)] == [qt]
    assert server.workers.set_profile(WORKER, country="DE", adult=True)["Locale"]["Country"] == "DE"
    assert server.workers.profile(WORKER)["Adult"] is True

    hit = mturk.create_hit(
        Title="Label one image", Description="d", Reward="0.25", MaxAssignments=2, LifetimeInSeconds=3600,
        AssignmentDurationInSeconds=600, Question=EXTERNAL_QUESTION,
        QualificationRequirements=[{"QualificationTypeId": qt, "Comparator": "Exists"}],
    )["HIT"]
    found = server.workers.hits(WORKER)
    assert [(h["HITId"], h["CanAccept"]) for h in found] == [(hit["HITId"], True)]
    assert server.workers.hits("A1STRANGER")[0]["CanAccept"] is False

    returned = server.workers.accept(WORKER, hit["HITId"])["AssignmentId"]
    server.workers.return_assignment(returned)
    assignment = server.workers.work(WORKER, hit["HITId"], {"label": "cat & dog"})
    # Both assignments may carry the same millisecond, which the listing breaks by id: look each up by id.
    statuses = {a["AssignmentId"]: a["Status"] for a in server.workers.assignments(WORKER)}
    assert statuses == {returned: "Returned", assignment: "Submitted"}
    listed = mturk.list_assignments_for_hit(HITId=hit["HITId"])["Assignments"]
    assert [a["AssignmentId"] for a in listed] == [assignment]
    assert "<FreeText>cat &amp; dog</FreeText>" in listed[0]["Answer"]
    mturk.approve_assignment(AssignmentId=assignment)
    mturk.notify_workers(Subject="Thanks", MessageText="Well done", WorkerIds=[WORKER])
    assert server.workers.notifications(WORKER)[-1]["Subject"] == "Thanks"

    with pytest.raises(MturkLocalError) as err:
        server.workers.accept(WORKER, "NOSUCHHIT")
    assert (err.value.status, err.value.code) == (404, "AWS.MechanicalTurk.HITDoesNotExist")


def test_reset_empties_the_store(server: MturkLocal) -> None:
    qt = create_type(server)
    server.reset()
    with pytest.raises(ClientError) as err:
        server.client().get_qualification_type(QualificationTypeId=qt)
    assert err.value.response.get("TurkErrorCode") == "AWS.MechanicalTurk.QualificationTypeDoesNotExist"


def test_settings_and_arguments_reach_the_server(binary: str) -> None:
    with MturkLocal(binary, settings={"service.starting_balance": "12.34"}) as server:
        assert server.client().get_account_balance()["AvailableBalance"] == "12.34"
    with pytest.raises(MturkLocalError) as err:
        MturkLocal(binary, args=["--no-such-flag"]).start()
    assert "exited with status 2 before listening" in str(err.value)
    assert "--no-such-flag" in str(err.value)  # the server's own message, from its log
    with pytest.raises(MturkLocalError, match="not an executable file"):
        MturkLocal("/nonexistent/mturk-local").start()


def test_free_text_answers_escape_xml() -> None:
    doc = free_text_answers({"q<1>": "a & b"})
    assert "<QuestionIdentifier>q&lt;1&gt;</QuestionIdentifier><FreeText>a &amp; b</FreeText>" in doc


# --- faults, snapshots and fixtures: routes built in parallel; skipped where the binary lacks them


def test_fault_helpers_add_list_fire_and_clear_rules(server: MturkLocal) -> None:
    fault = server.faults.add(operation="GetAccountBalance", protocol="json", error="Throttling", count=2)
    assert [(f["FaultId"], f["Fired"]) for f in server.faults.list()] == [(fault, 0)]
    no_retries = server.client(config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(ClientError):
        no_retries.get_account_balance()
    standard = server.client(config=Config(retries={"mode": "standard", "total_max_attempts": 3}))
    assert standard.get_account_balance()["AvailableBalance"] == "10000.00"
    assert server.faults.list()[0]["Fired"] == 2
    server.faults.delete(fault)
    assert server.faults.list() == []
    server.faults.add(Operation="*", Error="ServiceUnavailable")
    server.faults.clear()
    assert server.faults.list() == []
    server.faults.add(Operation="*", Error="ServiceUnavailable")
    server.reset()
    assert server.faults.list() == []


def test_snapshot_helpers_take_restore_list_and_delete(server: MturkLocal) -> None:
    snapshot = server.snapshots.take("empty")
    assert snapshot["Name"] == "empty"
    qt = create_type(server)
    server.snapshots.restore("empty")
    with pytest.raises(ClientError):
        server.client().get_qualification_type(QualificationTypeId=qt)
    assert [s["Name"] for s in server.snapshots.list()] == ["empty"]
    server.snapshots.delete("empty")
    assert server.snapshots.list() == []
    with pytest.raises(MturkLocalError) as err:
        server.snapshots.restore("empty")
    assert 400 <= err.value.status < 500


# The fixture file of docs/fixtures.md, in this repository.
FIXTURES = Path(__file__).resolve().parents[3] / "docs" / "examples" / "fixtures.yaml"


def test_fixtures_load_from_a_file_or_a_mapping_and_a_second_load_changes_nothing(server: MturkLocal) -> None:
    first = server.load_fixtures(FIXTURES)
    assert (first["Created"], first["Existing"]) == (15, 0)
    hit_id = first["Ids"]["HITs"]["survey"]
    assert server.client().get_hit(HITId=hit_id)["HIT"]["HITId"] == hit_id
    again = server.load_fixtures(FIXTURES)
    assert (again["Created"], again["Existing"], again["Ids"]) == (0, 15, first["Ids"])

    mapping = {
        "QualificationTypes": [
            {"Key": "mapped", "Name": "From a mapping", "Description": "d", "AutoGranted": True}
        ]
    }
    loaded = server.load_fixtures(mapping)
    assert loaded["Created"] == 1
    qt = loaded["Ids"]["QualificationTypes"]["mapped"]
    assert server.client().get_qualification_type(QualificationTypeId=qt)["QualificationType"]["Name"] == (
        "From a mapping"
    )


def test_a_bad_fixture_names_the_entry_and_changes_nothing(server: MturkLocal) -> None:
    bad = {"HITs": [{"Key": "orphan", "HITType": "missing"}]}
    with pytest.raises(MturkLocalError) as err:
        server.load_fixtures(bad)
    assert 400 <= err.value.status < 500
    assert "orphan" in str(err.value)
    assert server.client().list_hits()["NumResults"] == 0
