"""Helpers of the modern (2017-01-17 JSON API) client tests.

  * `mturk_client` makes a boto3 client exactly as an application pointed at
    mturk-local would (explicit endpoint, region and keys; no retries);
  * `expect_request_error` runs a call that must fail with the model's
    RequestError and checks the shape botocore gives it;
  * the `control_*` functions (from mturk_local_testing) drive the server's
    /_local control plane, the stand-in for what workers do (request a
    qualification, accept and submit HITs, read messages) and its clock;
  * `legacy_call` sends one request to the legacy REST/XML API on the same
    port, signed with the default ("version 0") scheme, so that tests can
    check that both APIs share one store. It is hand-built rather than
    boto 2 so that this folder needs neither boto 2 nor its import shim.
"""

import base64
import hashlib
import hmac
import os
import re
import time
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Callable, Optional

import boto3
import pytest
from botocore.config import Config

from mturk_local_testing import DEV_ACCESS_KEY_ID, Credentials, Endpoint, unique_name

# The /_local helpers live in mturk_local_testing (shared with legacy/); the
# ones this folder used first are re-exported here under their old names.
from mturk_local_testing import (  # noqa: F401
    control,
    control_notifications,
    control_now,
    control_request_qualification,
    control_worker_qualifications,
)

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MONEY = re.compile(r"[0-9]+\.[0-9]{2}")
QUALIFICATION_TYPE_ID = re.compile(r"[0-9A-Z]{30}")

# One attempt per call. (`max_attempts: 1` would still make two: botocore adds
# the first attempt to it; see modern-api.md §6.2.)
CLIENT_CONFIG = Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=30)

# Never go through an HTTP proxy from the environment: the server is local.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def mturk_client(endpoint: Endpoint, credentials: Credentials, config: Config = CLIENT_CONFIG):
    """A boto3 MTurk client for the server under test."""
    return boto3.client(
        "mturk",
        region_name="us-east-1",
        endpoint_url=endpoint.url,
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        config=config,
    )


def expected_balance(credentials: Credentials) -> Optional[str]:
    """The AvailableBalance the first requester should show, if known."""
    if "MTURK_LOCAL_BALANCE" in os.environ:
        return os.environ["MTURK_LOCAL_BALANCE"]
    if credentials.access_key_id == DEV_ACCESS_KEY_ID:
        return "10000.00"  # config/default.toml's starting balance, like the sandbox's
    return None


def create_type(client, **kwargs) -> dict:
    """CreateQualificationType with a fresh name; returns the QualificationType."""
    kwargs.setdefault("Name", unique_name("boto3"))
    kwargs.setdefault("Description", "made by tests/clients/modern")
    kwargs.setdefault("QualificationTypeStatus", "Active")
    return client.create_qualification_type(**kwargs)["QualificationType"]


def assert_request_id(response: dict) -> str:
    request_id = response["ResponseMetadata"]["RequestId"]
    assert UUID.fullmatch(request_id), response["ResponseMetadata"]
    return request_id


def expect_request_error(client, turk_error_code: Optional[str], call: Callable, **kwargs) -> dict:
    """Run `call(**kwargs)`, which must fail with RequestError (HTTP 400).

    Checks what botocore makes of the model's error shape (modern-api.md
    §1.6): the modelled exception class, Error.Code "RequestError", the
    TurkErrorCode merged into the top level of the response, and the request
    id. With turk_error_code None any TurkErrorCode is accepted. Returns
    e.response.
    """
    with pytest.raises(client.exceptions.RequestError) as info:
        call(**kwargs)
    response = info.value.response
    assert response["Error"]["Code"] == "RequestError", response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400, response
    assert_request_id(response)
    assert response.get("TurkErrorCode", "").startswith("AWS."), response
    if turk_error_code is not None:
        assert response["TurkErrorCode"] == turk_error_code, response
    assert response["Error"]["Message"], response
    return response


def assert_recent(moment: datetime, now: datetime, seconds: float = 300) -> None:
    """`moment` is a timezone-aware time within `seconds` of `now`."""
    assert moment.tzinfo is not None, moment
    assert abs((moment - now).total_seconds()) < seconds, (moment, now)


# ---------------------------------------------------------------- legacy API

LEGACY_SERVICE = "AWSMechanicalTurkRequester"
LEGACY_VERSION = "2014-08-15"


def legacy_call(endpoint: Endpoint, credentials: Credentials, operation: str, params) -> ET.Element:
    """One legacy REST/XML call (form POST to "/"); fails the test on <Errors>."""
    timestamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    digest = hmac.new(
        credentials.secret_access_key.encode("utf-8"),
        (LEGACY_SERVICE + operation + timestamp).encode("utf-8"),
        hashlib.sha1,
    ).digest()
    form = [
        ("Service", LEGACY_SERVICE),
        ("AWSAccessKeyId", credentials.access_key_id),
        ("Version", LEGACY_VERSION),
        ("Operation", operation),
        ("Signature", base64.b64encode(digest).decode("ascii")),
        ("Timestamp", timestamp),
        *params,
    ]
    request = urllib.request.Request(
        f"{endpoint.url}/",
        data=urllib.parse.urlencode(form).encode("ascii"),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with _opener.open(request, timeout=30) as response:
        body = response.read()
    root = ET.fromstring(body)
    assert root.tag == f"{operation}Response", body
    assert root.find(".//Errors") is None, body
    return root


def new_uuid() -> str:
    return uuid.uuid4().hex
