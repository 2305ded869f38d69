"""The legacy SOAP face: every one of the 44 operations over `POST /onca/soap`,
each answer checked against the 2014-08-15 schema's element sequences.

The scenario is test_schema_order.py's, run again with one change: boto 2's
MTurkConnection builds each operation's flat parameters as it always does
(`Reward.1.Amount`, `QualificationRequirement.1.LocaleValue.2.Country`,
`WorkerId.1`, ...), and `SoapConnection` sends them as a SOAP 1.1 envelope
instead: the parameters are nested back into elements (an integer segment is
an occurrence of the element before it), the operation element carries
AWSAccessKeyId, Timestamp and the default-scheme Signature, and the envelope
is POSTed as text/xml with `SOAPAction: "http://soap.amazon.com"` (what
node-soap and Axis send from the published WSDL). The `{Op}Response` in the
answer's SOAP body must be in the 2014-08-15 namespace, every element of it;
with the namespace taken off, it goes through test_schema_order's
`check_answer` (the XSD_SEQUENCES walk) and then boto's own parser, so the
scenario's assertions hold over SOAP as over REST.

Also here: batched requests answered in order, the WSDL's schema compared
with the same sequences, a HIT created over SOAP read by boto3, and an
envelope fault.
"""

import base64
import hashlib
import hmac
import http.client
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from xml.sax.saxutils import escape, quoteattr

import boto3
import pytest
from botocore.config import Config

import test_schema_order as schema
from mturk_local_testing import unique_name

NS = "http://requester.mturk.amazonaws.com/doc/2014-08-15"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE = "AWSMechanicalTurkRequester"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
XS = "http://www.w3.org/2001/XMLSchema"


def nest(params: dict) -> dict:
    """Flat REST parameters as a tree: {name: {index: value or subtree}}."""
    tree: dict = {}
    for key, value in params.items():
        segments = key.split(".")
        node = tree
        i = 0
        while i < len(segments):
            name = segments[i]
            index = 0
            if i + 1 < len(segments) and segments[i + 1].isdigit():
                index = int(segments[i + 1])
                i += 1
            i += 1
            slots = node.setdefault(name, {})
            if i == len(segments):
                slots[index] = str(value)
            else:
                node = slots.setdefault(index, {})
    return tree


def elements(tree: dict, order: list) -> str:
    """The tree as XML, its top-level names in `order` (the XSD's sequence) where it names them."""
    names = sorted(tree, key=lambda n: order.index(n) if n in order else len(order))
    out = []
    for name in names:
        for index in sorted(tree[name]):
            value = tree[name][index]
            inner = elements(value, []) if isinstance(value, dict) else escape(value)
            out.append(f"<{name}>{inner}</{name}>")
    return "".join(out)


def request_order(operation: str) -> list:
    spec = schema.XSD_SEQUENCES.get(f"{operation}Request", "")
    return [name for name, *_ in schema.parse_sequence(spec)] if spec else []


def envelope(credentials, operation: str, requests: list, namespace: str = NS) -> bytes:
    timestamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    digest = hmac.new(credentials.secret_access_key.encode(), f"{SERVICE}{operation}{timestamp}".encode(),
                      hashlib.sha1).digest()
    signature = base64.b64encode(digest).decode()
    body = "".join(f"<Request>{elements(nest(r), request_order(operation))}</Request>" for r in requests)
    return (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_ENV}">'
        f'<soap:Body><{operation} xmlns={quoteattr(namespace)}>'
        f"<AWSAccessKeyId>{escape(credentials.access_key_id)}</AWSAccessKeyId>"
        f"<Timestamp>{timestamp}</Timestamp><Signature>{signature}</Signature>{body}"
        f"</{operation}></soap:Body></soap:Envelope>"
    ).encode("utf-8")


def post(endpoint, body: bytes, path: str = "/onca/soap?Service=AWSMechanicalTurkRequester"):
    conn = http.client.HTTPConnection(endpoint.host, endpoint.port, timeout=30)
    try:
        conn.request("POST", path, body, {"Content-Type": "text/xml; charset=utf-8",
                                          "SOAPAction": '"http://soap.amazon.com"'})
        response = conn.getresponse()
        return response.status, response.reason, response.read()
    finally:
        conn.close()


def unwrap(body: bytes) -> ET.Element:
    """The `{Op}Response` of a SOAP answer, every element checked to be in NS, then un-namespaced."""
    root = ET.fromstring(body)
    assert root.tag == f"{{{SOAP_ENV}}}Envelope", body
    [soap_body] = list(root)
    assert soap_body.tag == f"{{{SOAP_ENV}}}Body", body
    [response] = list(soap_body)
    for element in response.iter():
        assert element.tag.startswith(f"{{{NS}}}"), f"{element.tag} is not in {NS}: {body!r}"
        element.tag = element.tag[len(NS) + 2:]
        # Captured on REST, not in the 2014-08-15 schema: WSDL-compiled clients refuse it
        # (Amazon's Java SDK 1.6.2 failed on it), so the SOAP face leaves it out.
        assert element.tag != "NumberOfSimilarHITs", body
    return response


class SoapConnection(schema.CheckedConnection):
    """boto 2's MTurkConnection, its requests sent as SOAP envelopes, each answer checked."""

    def __init__(self, endpoint, credentials):
        super().__init__(aws_access_key_id=credentials.access_key_id,
                         aws_secret_access_key=credentials.secret_access_key,
                         host=endpoint.host, port=endpoint.port, is_secure=False)
        self.endpoint, self.credentials = endpoint, credentials

    def _process_request(self, request_type, params, marker_elems=None):
        status, reason, body = post(self.endpoint, envelope(self.credentials, request_type, [params]))
        assert status == 200, body
        inner = ET.tostring(unwrap(body), encoding="utf-8")
        return self._process_response(schema._Replayed(_Status(status, reason), inner), marker_elems)


class _Status:
    def __init__(self, status, reason):
        self.status, self.reason = status, reason


@pytest.fixture
def soap_conn(endpoint, hit_credentials) -> SoapConnection:
    return SoapConnection(endpoint, hit_credentials)


def test_every_operation_answers_over_soap_in_the_xsd_element_order(endpoint, soap_conn):
    schema.test_every_legacy_operation_answers_in_the_xsd_element_order(endpoint, soap_conn)
    assert soap_conn.checked == schema.dispatch_table_operations()


def test_batched_requests_are_answered_in_order_and_a_hit_made_over_soap_is_seen_by_boto3(
        endpoint, hit_credentials, soap_conn):
    titles = [unique_name("soap batch"), unique_name("soap batch")]
    hit = {
        "Description": "made over SOAP", "Reward.1.Amount": "0.05", "Reward.1.CurrencyCode": "USD",
        "AssignmentDurationInSeconds": 600, "LifetimeInSeconds": 900, "MaxAssignments": 1,
        "Question": schema.QuestionForm([schema.text_question("label", "Name it")]).get_as_xml(),
        "QualificationRequirement.1.QualificationTypeId": "00000000000000000071",
        "QualificationRequirement.1.Comparator": "In",
        "QualificationRequirement.1.LocaleValue.1.Country": "US",
        "QualificationRequirement.1.LocaleValue.1.Subdivision": "WA",
        "QualificationRequirement.1.LocaleValue.2.Country": "CA",
    }
    requests = [{**hit, "Title": titles[0]}, {"Title": "no lifetime"}, {**hit, "Title": titles[1]}]
    status, _, body = post(endpoint, envelope(hit_credentials, "CreateHIT", requests))
    assert status == 200, body
    response = unwrap(body)
    schema.check_element(response, "CreateHITResponse", response.tag)
    results = response.findall("HIT")
    assert [r.findtext("Request/IsValid") for r in results] == ["True", "False", "True"]
    assert results[1].findtext("Request/Errors/Error/Code") == "AWS.MissingParameters"
    assert [r.findtext("Title") for r in (results[0], results[2])] == titles
    # boto3, on the JSON API, sees the HITs and their locale requirement.
    client = boto3.client("mturk", endpoint_url=endpoint.url, region_name="us-east-1",
                          aws_access_key_id=hit_credentials.access_key_id,
                          aws_secret_access_key=hit_credentials.secret_access_key,
                          config=Config(retries={"max_attempts": 0}))
    got = client.get_hit(HITId=results[0].findtext("HITId"))["HIT"]
    assert got["Title"] == titles[0]
    assert got["QualificationRequirements"][0]["LocaleValues"] == [
        {"Country": "US", "Subdivision": "WA"}, {"Country": "CA"}]
    before = client.get_hit(HITId=results[2].findtext("HITId"))["HIT"]
    assert before["Title"] == titles[1]
    # ... and one expired over SOAP has expired for boto3 too (its 900 s of life cut short).
    soap_conn.expire_hit(results[2].findtext("HITId"))
    after = client.get_hit(HITId=results[2].findtext("HITId"))["HIT"]
    assert after["Expiration"] < before["Expiration"], (before, after)


def test_the_wsdl_describes_what_the_answers_are_checked_against(endpoint):
    conn = http.client.HTTPConnection(endpoint.host, endpoint.port, timeout=30)
    conn.request("GET", "/onca/soap?wsdl")
    response = conn.getresponse()
    assert response.status == 200
    wsdl = ET.fromstring(response.read())
    conn.close()
    address = wsdl.find(f"{{{WSDL}}}service/{{{WSDL}}}port/{{http://schemas.xmlsoap.org/wsdl/soap/}}address")
    assert address.get("location") == f"{endpoint.url}/onca/soap?Service=AWSMechanicalTurkRequester"
    types = {t.get("name"): t for t in wsdl.iter(f"{{{XS}}}complexType")}
    # What the answers are checked against, with the schema's own HIT (see unwrap).
    sequences = {**schema.SEQUENCES, "HIT": schema.parse_sequence(schema.XSD_SEQUENCES["HIT"])}
    for name, sequence in sequences.items():
        declared = []
        for e in types[name].find(f"{{{XS}}}sequence"):
            ty = e.get("type")
            maximum = e.get("maxOccurs", "1")
            declared.append((e.get("name"), ty[4:] if ty.startswith("tns:") else None, int(e.get("minOccurs", "1")),
                             None if maximum == "unbounded" else int(maximum)))
        assert declared == sequence, name
    operations = {o.get("name") for o in wsdl.find(f"{{{WSDL}}}portType")}
    assert operations == schema.dispatch_table_operations()


def test_an_envelope_in_an_unpublished_namespace_is_a_fault(endpoint, hit_credentials):
    body = envelope(hit_credentials, "GetAccountBalance", [{}], namespace=NS.replace("2014-08-15", "2019-06-01"))
    status, _, answer = post(endpoint, body, path="/?Service=AWSMechanicalTurkRequester")
    assert status == 500, answer
    fault = ET.fromstring(answer).find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    assert fault.findtext("faultcode") == "soapenv:Client"
    assert "2019-06-01" in fault.findtext("faultstring")
