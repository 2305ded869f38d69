"""How the tests make a boto 2 connection (imported by conftest.py after its shim)."""

import boto
import pytest
from boto.mturk.connection import MTurkConnection, MTurkRequestError

from mturk_local_testing import Credentials, Endpoint

# Fail fast instead of boto's default of 5 retries with back-off (and a 70 s
# socket timeout) when the server is down or hangs. Set in code rather than in
# a boto config file so that running pytest by hand behaves the same.
if not boto.config.has_section("Boto"):
    boto.config.add_section("Boto")
boto.config.set("Boto", "num_retries", "0")
boto.config.set("Boto", "http_socket_timeout", "30")


def connect(endpoint: Endpoint, credentials: Credentials) -> MTurkConnection:
    """An MTurkConnection to the server under test, made as a boto 2 user makes one."""
    return MTurkConnection(
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        host=endpoint.host,
        port=endpoint.port,
        is_secure=endpoint.is_secure,
    )


def expect_error(code, call, *args, **kwargs):
    """Run a boto call that must fail with the given MTurk error code."""
    with pytest.raises(MTurkRequestError) as info:
        call(*args, **kwargs)
    error = info.value
    # MTurk answers errors with HTTP 200; boto spots them by "<Errors>".
    assert error.status == 200, error.body
    assert error.error_code == code, error.body
    assert f"<Code>{code}</Code>" in error.body
    return error
