"""Hand-written REST requests, as in Amazon's own MTurk REST documentation.

No client library: the requests are built with urllib and signed with the
default ("version 0") scheme from the 2005-10-01 .. 2006-10-31 docs,

    Signature = Base64(HMAC-SHA1(SecretAccessKey,
                                 "AWSMechanicalTurkRequester" + Operation + Timestamp))

and the RevokeQualification call has the shape of the 2006-10-31
RevokeQualification example:

    GET /onca/xml?Service=AWSMechanicalTurkRequester&AWSAccessKeyId=...
        &Version=2006-10-31&Operation=RevokeQualification&Signature=...
        &Timestamp=...&SubjectId=...&QualificationTypeId=...&Reason=...

The responses are checked byte for byte where the shape is known from
captures of the real service: an XML declaration without encoding, a newline,
then compact XML without a namespace, HTTP 200 and Content-Type text/xml.
"""

import base64
import hashlib
import hmac
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest

from mturk_local_testing import TRICKY_TEXT, Credentials, Endpoint, new_worker_id, unique_name

SERVICE = "AWSMechanicalTurkRequester"
DOC_VERSION = "2006-10-31"  # the version of the RevokeQualification doc example
SETUP_VERSION = "2014-08-15"  # the last legacy version, for the setup calls

UUID_V4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
REVOKE_SUCCESS = re.compile(
    r'<\?xml version="1\.0"\?>\n'
    r"<RevokeQualificationResponse>"
    r"<OperationRequest><RequestId>(?P<request_id>" + UUID_V4 + r")</RequestId></OperationRequest>"
    r"<RevokeQualificationResult><Request><IsValid>True</IsValid></Request></RevokeQualificationResult>"
    r"</RevokeQualificationResponse>"
)

# Never go through an HTTP proxy from the environment: the server is local.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Reply:
    status: int
    content_type: str
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def xml(self) -> ET.Element:
        return ET.fromstring(self.body)


def timestamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def signature(secret: str, operation: str, ts: str) -> str:
    string_to_sign = SERVICE + operation + ts
    digest = hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def signed(creds: Credentials, operation: str, version: str, params, ts=None, sig=None):
    """The common parameters in the order of the documentation's examples, then params."""
    ts = ts or timestamp()
    return [
        ("Service", SERVICE),
        ("AWSAccessKeyId", creds.access_key_id),
        ("Version", version),
        ("Operation", operation),
        ("Signature", sig or signature(creds.secret_access_key, operation, ts)),
        ("Timestamp", ts),
        *params,
    ]


def _send(request: urllib.request.Request) -> Reply:
    try:
        with _opener.open(request, timeout=30) as response:
            return Reply(response.status, response.headers.get("Content-Type", ""), response.read())
    except urllib.error.HTTPError as e:  # keep the body of a non-2xx answer for the assertion
        return Reply(e.code, e.headers.get("Content-Type", ""), e.read())


def get(endpoint: Endpoint, path: str, params) -> Reply:
    return _send(urllib.request.Request(f"{endpoint.url}{path}?{urllib.parse.urlencode(params)}"))


def post(endpoint: Endpoint, path: str, params) -> Reply:
    return _send(
        urllib.request.Request(
            f"{endpoint.url}{path}",
            data=urllib.parse.urlencode(params).encode("ascii"),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
        )
    )


def media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def assert_valid_result(reply: Reply, operation: str, result_element: str) -> ET.Element:
    assert reply.status == 200, reply.body
    assert media_type(reply.content_type) == "text/xml"
    root = reply.xml()
    assert root.tag == f"{operation}Response", reply.text
    result = root.find(result_element)
    assert result is not None, reply.text
    assert result.findtext("Request/IsValid") == "True", reply.text
    return result


def create_type_raw(endpoint, creds, name=None) -> str:
    reply = post(endpoint, "/", signed(creds, "CreateQualificationType", SETUP_VERSION, [
        ("Name", name or unique_name("raw-rest")),
        ("Description", "made by tests/clients/legacy/test_raw_rest.py"),
        ("QualificationTypeStatus", "Active"),
    ]))
    qt = assert_valid_result(reply, "CreateQualificationType", "QualificationType")
    return qt.findtext("QualificationTypeId")


def assign_raw(endpoint, creds, qual_type, worker, value=1):
    reply = post(endpoint, "/", signed(creds, "AssignQualification", SETUP_VERSION, [
        ("QualificationTypeId", qual_type),
        ("WorkerId", worker),
        ("IntegerValue", str(value)),
        ("SendNotification", "false"),
    ]))
    assert_valid_result(reply, "AssignQualification", "AssignQualificationResult")


@pytest.fixture
def granted(endpoint, dev_credentials):
    qual_type = create_type_raw(endpoint, dev_credentials)
    worker = new_worker_id()
    assign_raw(endpoint, dev_credentials, qual_type, worker, value=1)
    return qual_type, worker


def revoke_params(creds, qual_type, worker, reason, **kw):
    return signed(creds, "RevokeQualification", DOC_VERSION, [
        ("SubjectId", worker),
        ("QualificationTypeId", qual_type),
        ("Reason", reason),
    ], **kw)


def assert_exact_revoke_success(reply: Reply):
    assert reply.status == 200, reply.body
    assert media_type(reply.content_type) == "text/xml", reply.content_type
    match = REVOKE_SUCCESS.fullmatch(reply.text)
    assert match, reply.text
    request_id = match.group("request_id")
    assert str(uuid.UUID(request_id)) == request_id


@pytest.mark.parametrize("path", ["/onca/xml", "/"])
def test_a_documented_revoke_by_get_returns_the_exact_success_envelope(
    endpoint, dev_credentials, granted, path
):
    qual_type, worker = granted
    reply = get(endpoint, path, revoke_params(
        dev_credentials, qual_type, worker, "Your work no longer meets our quality standards"
    ))
    assert_exact_revoke_success(reply)


def test_each_response_has_its_own_request_id(endpoint, dev_credentials):
    ids = set()
    for _ in range(3):
        reply = post(endpoint, "/", signed(dev_credentials, "CreateQualificationType",
                                           SETUP_VERSION, [
            ("Name", unique_name("raw-rest")),
            ("Description", "request id check"),
            ("QualificationTypeStatus", "Active"),
        ]))
        ids.add(reply.xml().findtext("OperationRequest/RequestId"))
    assert len(ids) == 3


def test_create_qualification_type_returns_the_type_itself_as_the_result(endpoint, dev_credentials):
    name = unique_name("raw-rest")
    reply = post(endpoint, "/onca/xml", signed(dev_credentials, "CreateQualificationType",
                                               SETUP_VERSION, [
        ("Name", name),
        ("Description", "shape B check"),
        ("Keywords", "raw,rest"),
        ("QualificationTypeStatus", "Active"),
    ]))
    assert reply.status == 200
    assert media_type(reply.content_type) == "text/xml"
    assert re.match(
        r'<\?xml version="1\.0"\?>\n<CreateQualificationTypeResponse><OperationRequest>'
        r"<RequestId>" + UUID_V4 + r"</RequestId></OperationRequest>"
        r"<QualificationType><Request><IsValid>True</IsValid></Request><QualificationTypeId>",
        reply.text,
    ), reply.text
    root = reply.xml()
    assert [child.tag for child in root] == ["OperationRequest", "QualificationType"]
    qt = root.find("QualificationType")
    assert re.fullmatch(r"[0-9A-Z]{30}", qt.findtext("QualificationTypeId"))
    assert qt.findtext("Name") == name
    assert qt.findtext("Description") == "shape B check"
    assert qt.findtext("Keywords") == "raw,rest"
    assert qt.findtext("QualificationTypeStatus") == "Active"


def test_service_in_the_query_string_and_the_rest_in_the_body_is_accepted(
    endpoint, dev_credentials, granted
):
    # How Amazon's ruby-aws gem, MTurkR and the Perl SDK sent their requests.
    qual_type, worker = granted
    params = revoke_params(dev_credentials, qual_type, worker, "split parameters")
    body = [p for p in params if p[0] != "Service"]
    reply = post(endpoint, "/?Service=" + SERVICE, body)
    assert_exact_revoke_success(reply)


def test_a_reason_with_markup_quotes_and_non_ascii_in_the_query_string_is_accepted(
    endpoint, dev_credentials, granted
):
    qual_type, worker = granted
    reply = get(endpoint, "/onca/xml", revoke_params(dev_credentials, qual_type, worker, TRICKY_TEXT))
    assert_exact_revoke_success(reply)


def test_markup_quotes_and_non_ascii_round_trip_through_a_post_body(endpoint, dev_credentials):
    name = f"{TRICKY_TEXT} {unique_name('raw-rest')}"
    reply = post(endpoint, "/", signed(dev_credentials, "CreateQualificationType", SETUP_VERSION, [
        ("Name", name),
        ("Description", TRICKY_TEXT),
        ("QualificationTypeStatus", "Active"),
    ]))
    qt = assert_valid_result(reply, "CreateQualificationType", "QualificationType")
    assert qt.findtext("Name") == name
    assert qt.findtext("Description") == TRICKY_TEXT


def test_revoking_twice_reports_the_error_inside_the_result_request(
    endpoint, dev_credentials, granted
):
    qual_type, worker = granted
    assert_exact_revoke_success(
        get(endpoint, "/onca/xml", revoke_params(dev_credentials, qual_type, worker, "first"))
    )
    reply = get(endpoint, "/onca/xml", revoke_params(dev_credentials, qual_type, worker, "second"))
    assert reply.status == 200  # MTurk answers errors with HTTP 200
    assert media_type(reply.content_type) == "text/xml"
    root = reply.xml()
    assert root.tag == "RevokeQualificationResponse"
    assert [child.tag for child in root] == ["OperationRequest", "RevokeQualificationResult"]
    assert root.find("OperationRequest/Errors") is None
    request = root.find("RevokeQualificationResult/Request")
    assert [child.tag for child in request] == ["IsValid", "Errors"]
    assert request.findtext("IsValid") == "False"
    assert request.findtext("Errors/Error/Code") == "AWS.MechanicalTurk.InvalidQualificationState"
    assert request.findtext("Errors/Error/Message")


def test_a_wrong_signature_is_reported_inside_operation_request(endpoint, dev_credentials, granted):
    qual_type, worker = granted
    ts = timestamp()
    wrong = signature("not-the-secret", "RevokeQualification", ts)
    reply = get(endpoint, "/onca/xml",
                revoke_params(dev_credentials, qual_type, worker, "bad signature", ts=ts, sig=wrong))
    assert reply.status == 200
    assert media_type(reply.content_type) == "text/xml"
    root = reply.xml()
    assert root.tag == "RevokeQualificationResponse"
    assert [child.tag for child in root] == ["OperationRequest"], reply.text
    error = root.find("OperationRequest/Errors/Error")
    assert error.findtext("Code") == "AWS.BadClaimsSupplied"
    # The real service told the caller which string it should have signed.
    assert SERVICE + "RevokeQualification" + ts in error.findtext("Message")
    # ... and the qualification was not revoked.
    assert_exact_revoke_success(
        get(endpoint, "/onca/xml", revoke_params(dev_credentials, qual_type, worker, "good"))
    )


def test_an_unknown_access_key_is_reported_inside_operation_request(endpoint):
    nobody = Credentials("AKIAMTURKLOCALNOBODY", "whatever")
    reply = get(endpoint, "/onca/xml",
                revoke_params(nobody, "3" + "0" * 29, new_worker_id(), "who am I"))
    assert reply.status == 200
    root = reply.xml()
    assert root.tag == "RevokeQualificationResponse"
    assert [child.tag for child in root] == ["OperationRequest"], reply.text
    assert root.findtext("OperationRequest/Errors/Error/Code") == "AWS.NotAuthorized"
