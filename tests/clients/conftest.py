"""pytest fixtures for the third-party client tests of mturk-local.

These tests talk to an mturk-local server that is already running; they never
start one. tests/clients/run.sh starts a fresh in-memory server and points the
tests at it through MTURK_LOCAL_ENDPOINT (see mturk_local_testing.py for all
the environment variables and their defaults).

Every test makes its own uniquely named qualification types and fresh worker
ids, so the suite can run again and again against the same server. The HIT
tests run as a third requester (`hit_credentials`) who pays for what they
approve, so the first two keep the balances the balance tests expect.
"""

import pytest

from mturk_local_testing import (
    Credentials,
    Endpoint,
    dev_credentials_from_env,
    endpoint_from_env,
    hit_credentials_from_env,
    other_credentials_from_env,
)


@pytest.fixture(scope="session")
def endpoint() -> Endpoint:
    try:
        return endpoint_from_env()
    except ValueError as e:
        raise pytest.UsageError(str(e)) from e


@pytest.fixture(scope="session")
def dev_credentials() -> Credentials:
    return dev_credentials_from_env()


@pytest.fixture(scope="session")
def other_credentials() -> Credentials:
    creds = other_credentials_from_env()
    if creds.access_key_id == dev_credentials_from_env().access_key_id:
        raise pytest.UsageError("MTURK_LOCAL_OTHER_KEY must differ from the first requester's key")
    return creds


@pytest.fixture(scope="session")
def hit_credentials() -> Credentials:
    creds = hit_credentials_from_env()
    others = {dev_credentials_from_env().access_key_id, other_credentials_from_env().access_key_id}
    if creds.access_key_id in others:
        raise pytest.UsageError("MTURK_LOCAL_HIT_KEY must differ from the other two requesters' keys")
    return creds
