"""The requests of Amazon's Perl SDK, Net::Amazon::MechanicalTurk 1.02 (CPAN, 2012), on the legacy REST API.

The module itself is not on this machine (CPAN is out of reach and Debian does
not package it), so `perl_call` below sends what it sends, from its source
(MTURK/Net-Amazon-MechanicalTurk-1.02):

  * Constants.pm: `$DEFAULT_SERVICE_VERSION = "2011-10-01"`, service URL
    `https://mechanicalturk[.sandbox].amazonaws.com/?Service=AWSMechanicalTurkRequester`;
  * MechanicalTurk.pm `_call`: the parameters Service, AWSAccessKeyId, Version,
    Operation, Signature and Timestamp (`%04d-%02d-%02dT%02d:%02d:%02dZ`, UTC)
    plus the operation's own, in one Perl hash (so in no fixed order);
    `_createSignature`: Base64(HMAC-SHA1(secret, Service . Operation . Timestamp));
  * DataStructure.pm `_eachFlattenedProperty`: an array value becomes
    `Key.1`, `Key.2`, ...; a hash inside a hash becomes `Key.1.SubKey`; a hash
    inside an array `Key.N.SubKey`. Results are parsed into hashes of arrays
    (`$result->{HITId}[0]`), so a caller who passes a result value on
    (`GetHIT(HITId => $hit->{HITId})`) sends `HITId.1=...`;
  * Transport/RESTTransport.pm `call`: `HTTP::Request::Common::POST($serviceUrl, \\%params)`,
    a form body POSTed to the service URL, which keeps its `?Service=...`
    query, so Service arrives twice (query and body); headers `User-Agent:
    MTurkPerlSDK/1.02 libwww-perl/...`, `X-Amazon-Software: MTurkPerlSDK/1.02`
    and `If-SSL-Cert-Subject: /CN=<host>`;
  * Command/DeleteHIT.pm `deleteHIT`: DisposeHIT; if that fails GetHIT, then
    ForceExpireHIT and DisposeHIT again.
"""

import base64
import hashlib
import hmac
import random
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from mturk_local_testing import (
    Credentials,
    Endpoint,
    control_notifications,
    control_work,
    new_worker_id,
    unique_name,
)

SERVICE = "AWSMechanicalTurkRequester"
PERL_SDK_VERSION = "2011-10-01"
USER_AGENT = "MTurkPerlSDK/1.02 libwww-perl/6.68"

# Published versions of the legacy API (spec legacy-api.md §1, Version): each has a WSDL.
PUBLISHED_VERSIONS = ["2005-10-01", "2006-08-23", "2006-10-31", "2007-06-21", "2008-08-02", "2011-10-01",
                      "2012-03-25", "2013-11-15", "2014-08-15"]

QUESTION = """<?xml version="1.0" encoding="UTF-8"?>
<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionForm.xsd">
  <Question>
    <QuestionIdentifier>1</QuestionIdentifier>
    <QuestionContent>
      <Text>Tell me something interesting.</Text>
    </QuestionContent>
    <AnswerSpecification>
      <FreeTextAnswer/>
    </AnswerSpecification>
  </Question>
</QuestionForm>
"""

# Never go through an HTTP proxy from the environment: the server is local.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def flatten(params: dict) -> list:
    """Net::Amazon::MechanicalTurk::DataStructure->toProperties, as (name, value) pairs."""
    out = []

    def walk(key, value, parent_is_hash):
        if isinstance(value, list):
            for i, item in enumerate(value, start=1):
                walk(f"{key}.{i}", item, False)
        elif isinstance(value, dict):
            for sub, item in value.items():
                name = sub if key is None else (f"{key}.1.{sub}" if parent_is_hash else f"{key}.{sub}")
                walk(name, item, True)
        else:
            out.append((key, str(value)))

    walk(None, params, False)
    return out


def perl_call(endpoint: Endpoint, credentials: Credentials, operation: str, params: dict = None,
              version: str = PERL_SDK_VERSION) -> ET.Element:
    """One call as Net::Amazon::MechanicalTurk 1.02 makes it; returns the response's root element."""
    timestamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    signature = base64.b64encode(hmac.new(credentials.secret_access_key.encode("utf-8"),
                                          (SERVICE + operation + timestamp).encode("utf-8"),
                                          hashlib.sha1).digest()).decode("ascii")
    request = {"Service": SERVICE, "AWSAccessKeyId": credentials.access_key_id, "Version": version,
               "Operation": operation, "Signature": signature, "Timestamp": timestamp}
    request.update(params or {})
    form = flatten(request)
    random.shuffle(form)  # a Perl hash has no order
    http_request = urllib.request.Request(
        f"{endpoint.url}/?Service={SERVICE}",
        data=urllib.parse.urlencode(form).encode("ascii"),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": USER_AGENT,
            "X-Amazon-Software": "MTurkPerlSDK/1.02",
            "If-SSL-Cert-Subject": f"/CN={endpoint.host}",
        },
        method="POST",
    )
    try:
        with _opener.open(http_request, timeout=30) as response:
            body = response.read()
    except urllib.error.HTTPError as e:  # the SDK dies on any non-2xx answer
        pytest.fail(f"{operation}: HTTP {e.code}: {e.read()!r}")
    root = ET.fromstring(body)
    assert root.tag == f"{operation}Response", body
    return root


def errors(root: ET.Element) -> list:
    """(Code, Message) of every error anywhere in the response, as the SDK's Response finds them."""
    return [(e.findtext("Code"), e.findtext("Message")) for e in root.iter("Error")]


def ok(root: ET.Element) -> ET.Element:
    assert errors(root) == [], ET.tostring(root)
    return root


def as_result(root: ET.Element, element: str) -> ET.Element:
    found = ok(root).find(element)
    assert found is not None, ET.tostring(root)
    return found


@pytest.fixture
def perl(endpoint, hit_credentials):
    """The HIT requester's Perl SDK client: perl(operation, params, version=...)."""
    def call(operation, params=None, version=PERL_SDK_VERSION):
        return perl_call(endpoint, hit_credentials, operation, params, version)

    return call


def create_hit(perl, max_assignments: int = 1) -> str:
    """The SDK's SYNOPSIS CreateHIT (Reward as a hash); returns the HITId."""
    hit = as_result(perl("CreateHIT", {
        "Title": unique_name("Perl SDK HIT"),
        "Description": "made by tests/clients/legacy/test_perl_sdk.py",
        "Keywords": "hello, world",
        "Reward": {"CurrencyCode": "USD", "Amount": "0.01"},
        "RequesterAnnotation": "Test Hit",
        "AssignmentDurationInSeconds": 60 * 60,
        "AutoApprovalDelayInSeconds": 60 * 60 * 10,
        "MaxAssignments": max_assignments,
        "LifetimeInSeconds": 15 * 60,
        "Question": QUESTION,
    }), "HIT")
    assert hit.findtext("Request/IsValid") == "True"
    return hit.findtext("HITId")


def test_flatten_spells_arrays_and_nested_hashes_as_the_perl_sdk_does():
    assert sorted(flatten({"HITId": ["H1"], "Reward": {"Amount": "0.01"}, "WorkerId": ["A1", "A2"],
                           "QualificationRequirement": [{"Comparator": "Exists"}]})) == [
        ("HITId.1", "H1"), ("QualificationRequirement.1.Comparator", "Exists"), ("Reward.1.Amount", "0.01"),
        ("WorkerId.1", "A1"), ("WorkerId.2", "A2")]


def test_get_account_balance_with_the_sdk_default_version_2011_10_01(perl):
    result = as_result(perl("GetAccountBalance"), "GetAccountBalanceResult")
    assert result.findtext("Request/IsValid") == "True"
    assert result.findtext("AvailableBalance/Amount")


@pytest.mark.parametrize("version", PUBLISHED_VERSIONS)
def test_every_published_version_is_accepted(perl, version):
    ok(perl("GetAccountBalance", version=version))


@pytest.mark.parametrize("version", ["2011-10-02", "2099-01-01"])
def test_a_version_that_was_never_published_is_refused(perl, version):
    found = errors(perl("GetAccountBalance", version=version))
    assert len(found) == 1, found
    code, message = found[0]
    assert code == "AWS.MechanicalTurk.InvalidParameterValue", found
    assert "Version" in message and version in message, found


def test_create_hit_with_a_reward_hash_then_get_hit_with_hit_id_dot_1(perl):
    hit_id = create_hit(perl)
    hit = as_result(perl("GetHIT", {"HITId": [hit_id]}), "HIT")
    assert hit.findtext("HITId") == hit_id
    assert hit.findtext("Reward/Amount") == "0.01"
    assert hit.findtext("RequesterAnnotation") == "Test Hit"


def test_delete_hit_disposes_after_force_expire_all_with_hit_id_dot_1(perl):
    hit_id = create_hit(perl)
    # deleteHIT: DisposeHIT fails on an assignable HIT ...
    assert errors(perl("DisposeHIT", {"HITId": [hit_id]}))
    status = as_result(perl("GetHIT", {"HITId": [hit_id]}), "HIT").findtext("HITStatus")
    assert status == "Assignable"
    # ... so it expires the HIT and disposes it again.
    ok(perl("ForceExpireHIT", {"HITId": [hit_id]}))
    ok(perl("DisposeHIT", {"HITId": [hit_id]}))
    assert as_result(perl("GetHIT", {"HITId": [hit_id]}), "HIT").findtext("HITStatus") == "Disposed"


def test_disable_hit_with_hit_id_dot_1(perl):
    hit_id = create_hit(perl)
    ok(perl("DisableHIT", {"HITId": [hit_id]}))
    # The requester still reads a disabled HIT, as Disposed (the README says so).
    hit = as_result(perl("GetHIT", {"HITId": [hit_id]}), "HIT")
    assert hit.findtext("HITStatus") == "Disposed", ET.tostring(hit)


def test_get_assignments_for_hit_and_approve_with_ids_from_results(endpoint, perl):
    hit_id = create_hit(perl)
    assignment_id = control_work(endpoint, new_worker_id(), hit_id, {"1": "Octopuses have three hearts."})
    result = as_result(perl("GetAssignmentsForHIT", {"HITId": [hit_id], "AssignmentStatus": "Submitted",
                                                      "PageSize": 10, "PageNumber": 1}),
                       "GetAssignmentsForHITResult")
    assert [a.findtext("AssignmentId") for a in result.findall("Assignment")] == [assignment_id]
    ok(perl("ApproveAssignment", {"AssignmentId": [assignment_id]}))


def test_hit_id_and_hit_id_dot_1_with_different_values_is_refused(perl):
    first, second = create_hit(perl), create_hit(perl)
    found = errors(perl("GetHIT", {"HITId": first, "HITId.1": second}))
    assert len(found) == 1, found
    code, message = found[0]
    assert code == "AWS.MechanicalTurk.InvalidParameterValue", found
    assert "HITId" in message, found


def test_notify_workers_lists_each_worker_it_could_not_notify(endpoint, perl, hit_credentials):
    qual = as_result(perl("CreateQualificationType", {
        "Name": unique_name("Perl SDK"), "Description": "made by tests/clients/legacy/test_perl_sdk.py",
        "QualificationTypeStatus": "Active"}), "QualificationType").findtext("QualificationTypeId")
    known, stranger = new_worker_id(), new_worker_id()
    ok(perl("AssignQualification", {"QualificationTypeId": qual, "WorkerId": known, "IntegerValue": 1,
                                    "SendNotification": "false"}))
    subject = unique_name("Perl SDK news")
    result = as_result(perl("NotifyWorkers", {"Subject": subject, "MessageText": "Thanks!",
                                              "WorkerId": [known, stranger]}), "NotifyWorkersResult")
    assert result.findtext("Request/IsValid") == "True"
    failures = result.findall("NotifyWorkersFailureStatus")
    assert [f.findtext("WorkerId") for f in failures] == [stranger], ET.tostring(result)
    assert failures[0].findtext("NotifyWorkersFailureCode") in ("HardFailure", "SoftFailure")
    assert failures[0].findtext("NotifyWorkersFailureMessage")
    told = [n for n in control_notifications(endpoint, known) if n["Kind"] == "Message"]
    assert [(n["Subject"], n["Text"]) for n in told] == [(subject, "Thanks!")]


def test_notify_workers_who_all_got_the_message_lists_no_failures(endpoint, perl):
    qual = as_result(perl("CreateQualificationType", {
        "Name": unique_name("Perl SDK"), "Description": "made by tests/clients/legacy/test_perl_sdk.py",
        "QualificationTypeStatus": "Active"}), "QualificationType").findtext("QualificationTypeId")
    worker = new_worker_id()
    ok(perl("AssignQualification", {"QualificationTypeId": qual, "WorkerId": worker, "IntegerValue": 1,
                                    "SendNotification": "false"}))
    result = as_result(perl("NotifyWorkers", {"Subject": "Hi", "MessageText": "All good.", "WorkerId": [worker]}),
                       "NotifyWorkersResult")
    assert result.findall("NotifyWorkersFailureStatus") == []
