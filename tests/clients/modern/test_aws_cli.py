"""The AWS CLI (`aws mturk ...`) against mturk-local's JSON API.

Each test runs the real `aws` program in a subprocess, as a user would:
credentials and region in the environment, `--endpoint-url` on the command
line, JSON output. The `aws` on PATH is used when there is one, else the one
requirements.txt installs next to this Python. AWS_CONFIG_FILE and
AWS_SHARED_CREDENTIALS_FILE point at empty files and every other AWS_*
variable is dropped, so a developer's ~/.aws and environment cannot change
what is sent.
"""

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from mturk_local_testing import external_question, new_worker_id, unique_name, unknown_id
from modern_support import MONEY, QUALIFICATION_TYPE_ID, create_type, expected_balance, new_uuid


def find_aws() -> str:
    on_path = shutil.which("aws")
    if on_path:
        return on_path
    # The venv's console script, next to its python (do not resolve symlinks:
    # a venv's python is often a link to the base interpreter).
    beside = Path(sys.executable).parent / ("aws.cmd" if os.name == "nt" else "aws")
    if beside.exists():
        return str(beside)
    pytest.skip("no `aws` program: install requirements.txt (awscli) or the AWS CLI")


@pytest.fixture(scope="module")
def aws_program() -> str:
    return find_aws()


def clean_env(credentials, aws_folder) -> dict:
    """The environment of one `aws` run: these credentials and nothing else of AWS_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=credentials.access_key_id,
        AWS_SECRET_ACCESS_KEY=credentials.secret_access_key,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(aws_folder / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(aws_folder / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_MAX_ATTEMPTS="1",
        AWS_PAGER="",  # CLI v2 would otherwise pipe output through a pager
    )
    return env


@pytest.fixture
def cli_env(dev_credentials, isolated_aws_environment):
    return clean_env(dev_credentials, isolated_aws_environment)


def runner(aws_program, env, endpoint):
    def run(*args: str) -> subprocess.CompletedProcess:
        command = [aws_program, "mturk", *args,
                   "--endpoint-url", endpoint.url, "--region", "us-east-1", "--output", "json"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        done.json = json.loads(done.stdout) if done.stdout.strip() else None
        return done

    return run


@pytest.fixture
def aws(aws_program, cli_env, endpoint):
    """run("get-account-balance") -> CompletedProcess, with .json when it printed any."""
    return runner(aws_program, cli_env, endpoint)


@pytest.fixture
def hit_aws(aws_program, hit_credentials, isolated_aws_environment, endpoint):
    """Like `aws`, as the requester of the HIT tests (see conftest.py)."""
    return runner(aws_program, clean_env(hit_credentials, isolated_aws_environment), endpoint)


def ok(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, f"{done.args}\nexit {done.returncode}\n{done.stderr}"
    return done


def test_get_account_balance_prints_the_available_balance(aws, dev_credentials):
    balance = ok(aws("get-account-balance")).json
    assert MONEY.fullmatch(balance["AvailableBalance"]), balance
    expected = expected_balance(dev_credentials)
    if expected is not None:
        assert balance["AvailableBalance"] == expected


def test_create_qualification_type_prints_the_new_type(aws):
    name = unique_name("aws-cli")
    qt = ok(aws("create-qualification-type", "--name", name, "--description", "made by the AWS CLI",
                "--qualification-type-status", "Active", "--keywords", "cli"))
    qt = qt.json["QualificationType"]
    assert QUALIFICATION_TYPE_ID.fullmatch(qt["QualificationTypeId"]), qt
    assert (qt["Name"], qt["Description"], qt["Keywords"]) == (name, "made by the AWS CLI", "cli")
    assert qt["QualificationTypeStatus"] == "Active"
    assert qt["IsRequestable"] is True


def test_a_qualification_is_associated_and_then_disassociated_with_a_reason(aws, mturk):
    type_id = create_type(mturk)["QualificationTypeId"]
    worker = new_worker_id()

    associated = ok(aws("associate-qualification-with-worker", "--qualification-type-id", type_id,
                        "--worker-id", worker, "--integer-value", "75", "--no-send-notification"))
    assert associated.json in (None, {}), associated.stdout
    score = ok(aws("get-qualification-score", "--qualification-type-id", type_id, "--worker-id", worker))
    assert (score.json["Qualification"]["IntegerValue"], score.json["Qualification"]["Status"]) == (75, "Granted")

    revoked = ok(aws("disassociate-qualification-from-worker", "--qualification-type-id", type_id,
                     "--worker-id", worker, "--reason", "Revoked from the command line."))
    assert revoked.json in (None, {}), revoked.stdout
    listed = ok(aws("list-workers-with-qualification-type", "--qualification-type-id", type_id,
                    "--status", "Revoked")).json
    assert [(q["WorkerId"], q["Status"]) for q in listed["Qualifications"]] == [(worker, "Revoked")]

    failed = aws("get-qualification-score", "--qualification-type-id", type_id, "--worker-id", worker)
    assert failed.returncode != 0, failed.stdout  # 255 on CLI v1, 254 on v2
    assert "RequestError" in failed.stderr, failed.stderr


def test_list_qualification_types_follows_next_token_until_the_last_page(aws, mturk):
    tag = new_uuid()
    names = {create_type(mturk, Name=unique_name(f"aws-cli page {tag} {i}"))["Name"] for i in range(3)}
    # --page-size 1 makes the server answer one type per call; the CLI fetches
    # every page and prints one merged list.
    listed = ok(aws("list-qualification-types", "--must-be-requestable", "--must-be-owned-by-caller",
                    "--types-query", tag, "--page-size", "1")).json
    assert sorted(qt["Name"] for qt in listed["QualificationTypes"]) == sorted(names)
    assert "NextToken" not in listed


def test_a_failing_call_exits_non_zero_and_names_request_error_on_stderr(aws):
    missing = unknown_id()
    failed = aws("get-qualification-type", "--qualification-type-id", missing)
    assert failed.returncode != 0, failed.stdout  # 255 on CLI v1, 254 on v2
    assert "An error occurred (RequestError) when calling the GetQualificationType operation" in failed.stderr
    assert missing in failed.stderr
    assert failed.stdout == ""


# ---------------------------------------------------------------- HITs


def cli_time(value) -> float:
    """A timestamp as `aws` prints it, in epoch seconds: CLI v1 prints the raw
    number it received (modern-api.md §1.7), CLI v2 an ISO 8601 string."""
    if isinstance(value, (int, float)):
        return float(value)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def test_create_hit_prints_the_new_hit_and_list_hits_finds_it(hit_aws, hit_mturk):
    qual = create_type(hit_mturk)["QualificationTypeId"]
    title = unique_name("aws-cli HIT")
    requirements = json.dumps([{"QualificationTypeId": qual, "Comparator": "Exists"}])
    created = ok(hit_aws("create-hit", "--title", title, "--description", "made by the AWS CLI",
                         "--keywords", "cli, hits", "--reward", "0.10", "--max-assignments", "2",
                         "--lifetime-in-seconds", "900", "--assignment-duration-in-seconds", "600",
                         "--question", external_question("https://example.org/cli-task"),
                         "--requester-annotation", "from the shell",
                         "--qualification-requirements", requirements)).json["HIT"]
    assert QUALIFICATION_TYPE_ID.fullmatch(created["HITId"]), created
    assert (created["Title"], created["Reward"], created["MaxAssignments"]) == (title, "0.10", 2)
    assert (created["HITStatus"], created["RequesterAnnotation"]) == ("Assignable", "from the shell")
    assert [(r["QualificationTypeId"], r["Comparator"]) for r in created["QualificationRequirements"]] == [
        (qual, "Exists")]
    assert abs(cli_time(created["Expiration"]) - cli_time(created["CreationTime"]) - 900) < 0.001

    # The CLI follows NextToken itself and prints one merged list.
    listed = ok(hit_aws("list-hits", "--page-size", "100")).json
    assert "NextToken" not in listed
    ids = [h["HITId"] for h in listed["HITs"]]
    assert len(ids) == len(set(ids))
    assert created["HITId"] in ids
    mine = [h for h in listed["HITs"] if h["HITId"] == created["HITId"]]
    assert mine == [created]


def test_list_hits_for_a_requester_shows_only_that_requesters_hits(aws, hit_aws):
    title = unique_name("aws-cli private HIT")
    hit_id = ok(hit_aws("create-hit", "--title", title, "--description", "d", "--reward", "0.05",
                        "--lifetime-in-seconds", "900", "--assignment-duration-in-seconds", "600",
                        "--question", external_question("https://example.org/cli-private"))).json["HIT"]["HITId"]
    listed = ok(aws("list-hits", "--page-size", "100")).json
    assert hit_id not in {h["HITId"] for h in listed["HITs"]}
    failed = aws("get-hit", "--hit-id", hit_id)
    assert failed.returncode != 0, failed.stdout
    assert "RequestError" in failed.stderr, failed.stderr
