"""SigV4 on the JSON API: `host` and `x-amz-target` must be among the signed headers.

A signature that leaves out `x-amz-target` would stay valid with another
operation swapped in, and one without `host` could be replayed elsewhere, so
the server refuses both. Without `host` the answer is AWS's own
(`InvalidSignatureException`, "'Host' or ':authority' must be a
'SignedHeader' in the AWS Authorization.", as DynamoDB words it); without
`x-amz-target` it is `IncompleteSignatureException`, HTTP 403.
Every real client signs both: boto3/botocore and oTree sign
`content-type;host;x-amz-date;x-amz-target`; the JS SDK v3 signs those and
`amz-sdk-invocation-id;amz-sdk-request;content-length;x-amz-content-sha256;x-amz-user-agent`
(tests/clients/js).

`sigv4_call` below signs a GetAccountBalance request with exactly the headers
it is told to, all of them present on the wire either way.
"""

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from datetime import datetime, timezone

import pytest

from modern_support import MONEY

TARGET = "MTurkRequesterServiceV20170117.GetAccountBalance"
CONTENT_TYPE = "application/x-amz-json-1.1"

# Never go through an HTTP proxy from the environment: the server is local.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def sigv4_call(endpoint, credentials, signed: list) -> tuple:
    """POST / GetAccountBalance with every header sent, signing only `signed`: (status, JSON body)."""
    now = datetime.now(timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    body = b"{}"
    values = {
        "content-type": CONTENT_TYPE,
        "host": f"{endpoint.host}:{endpoint.port}",
        "x-amz-date": amz_date,
        "x-amz-target": TARGET,
    }
    names = sorted(signed)
    canonical = "\n".join(["POST", "/", "", "".join(f"{n}:{values[n]}\n" for n in names), ";".join(names),
                           hashlib.sha256(body).hexdigest()])
    scope = f"{day}/us-east-1/mturk-requester/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(("AWS4" + credentials.secret_access_key).encode("utf-8"), day)
    for part in ("us-east-1", "mturk-requester", "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    request = urllib.request.Request(f"{endpoint.url}/", data=body, method="POST", headers={
        "Content-Type": CONTENT_TYPE,
        "X-Amz-Date": amz_date,
        "X-Amz-Target": TARGET,
        "Authorization": f"AWS4-HMAC-SHA256 Credential={credentials.access_key_id}/{scope}, "
                         f"SignedHeaders={';'.join(names)}, Signature={signature}",
    })
    try:
        with _opener.open(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_signing_content_type_host_date_and_target_is_accepted(endpoint, dev_credentials):
    status, body = sigv4_call(endpoint, dev_credentials, ["content-type", "host", "x-amz-date", "x-amz-target"])
    assert status == 200, body
    assert MONEY.fullmatch(body["AvailableBalance"])


@pytest.mark.parametrize("left_out, exception", [
    ("x-amz-target", "IncompleteSignatureException"),
    ("host", "InvalidSignatureException"),
])
def test_a_signature_that_leaves_out_a_required_header_is_refused(endpoint, dev_credentials, left_out, exception):
    signed = [h for h in ("content-type", "host", "x-amz-date", "x-amz-target") if h != left_out]
    status, body = sigv4_call(endpoint, dev_credentials, signed)
    assert status == 403, (status, body)
    assert body.get("__type", "").split("#")[-1] == exception, body
    message = body.get("Message") or body.get("message") or ""
    assert left_out in message.lower(), body
    assert "TurkErrorCode" not in body, body  # an AWS authentication error, not MTurk's RequestError
