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
from pathlib import Path

import pytest

from mturk_local_testing import new_worker_id, unique_name, unknown_id
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


@pytest.fixture
def cli_env(dev_credentials, isolated_aws_environment):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=dev_credentials.access_key_id,
        AWS_SECRET_ACCESS_KEY=dev_credentials.secret_access_key,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(isolated_aws_environment / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(isolated_aws_environment / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_MAX_ATTEMPTS="1",
        AWS_PAGER="",  # CLI v2 would otherwise pipe output through a pager
    )
    return env


@pytest.fixture
def aws(aws_program, cli_env, endpoint):
    """run("get-account-balance") -> CompletedProcess, with .json when it printed any."""

    def run(*args: str) -> subprocess.CompletedProcess:
        command = [aws_program, "mturk", *args,
                   "--endpoint-url", endpoint.url, "--region", "us-east-1", "--output", "json"]
        done = subprocess.run(command, env=cli_env, capture_output=True, text=True, timeout=120)
        done.json = json.loads(done.stdout) if done.stdout.strip() else None
        return done

    return run


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
