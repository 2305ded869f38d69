"""Fixtures of the modern (2017-01-17 JSON API) client tests.

botocore reads ~/.aws/config, ~/.aws/credentials and AWS_* variables when it
makes a session; a developer's profile, default region, custom endpoint or
retry settings could change what these tests send. The session-wide
`isolated_aws_environment` fixture points botocore at empty config files and
drops those variables, so the clients see only what the tests pass them.
"""

import boto3
import pytest

from mturk_local_testing import new_worker_id
from modern_support import create_type, mturk_client

# Variables botocore or the AWS CLI would otherwise pick up.
_AWS_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_MTURK",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "AWS_CA_BUNDLE",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
)


@pytest.fixture(scope="session", autouse=True)
def isolated_aws_environment(tmp_path_factory):
    folder = tmp_path_factory.mktemp("aws")
    (folder / "config").write_text("")
    (folder / "credentials").write_text("")
    with pytest.MonkeyPatch.context() as mp:
        for name in _AWS_VARIABLES:
            mp.delenv(name, raising=False)
        mp.setenv("AWS_CONFIG_FILE", str(folder / "config"))
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(folder / "credentials"))
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        # boto3.client() uses a default session made on first use; make it anew.
        mp.setattr(boto3, "DEFAULT_SESSION", None)
        yield folder


@pytest.fixture
def mturk(endpoint, dev_credentials):
    """A boto3 client of the first (development) requester."""
    return mturk_client(endpoint, dev_credentials)


@pytest.fixture
def other_mturk(endpoint, other_credentials):
    """A boto3 client of the second requester."""
    return mturk_client(endpoint, other_credentials)


@pytest.fixture
def hit_mturk(endpoint, hit_credentials):
    """A boto3 client of the requester of the HIT tests, who pays for approvals and bonuses."""
    return mturk_client(endpoint, hit_credentials)


@pytest.fixture
def qual_type(mturk) -> str:
    """A new Active type of the first requester; its id."""
    return create_type(mturk)["QualificationTypeId"]


@pytest.fixture
def worker() -> str:
    return new_worker_id()


@pytest.fixture
def granted(mturk, qual_type, worker):
    """(type id, worker id): the worker holds the type with value 10."""
    mturk.associate_qualification_with_worker(
        QualificationTypeId=qual_type, WorkerId=worker, IntegerValue=10, SendNotification=False
    )
    return qual_type, worker
