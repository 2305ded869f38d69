"""Helpers shared by the third-party client tests (see conftest.py).

Where the server is and which requesters to use comes from the environment:

  MTURK_LOCAL_ENDPOINT      base URL of the server (default http://127.0.0.1:8099)
  MTURK_LOCAL_KEY           first requester's access key id (default: the built-in
  MTURK_LOCAL_SECRET        development requester of config/default.toml)
  MTURK_LOCAL_OTHER_KEY     a second requester, used by the isolation tests
  MTURK_LOCAL_OTHER_SECRET  (default: the one that tests/clients/run.sh configures)
  MTURK_LOCAL_BALANCE       the first requester's expected AvailableBalance (default
                            10000.00 for the built-in requester, else any amount)
  MTURK_LOCAL_OTHER_BALANCE the second requester's expected AvailableBalance (run.sh
                            sets it to what it configures; unset: any amount)
  MTURK_LOCAL_HIT_KEY       a third requester, who runs the HIT tests and pays for
  MTURK_LOCAL_HIT_SECRET    their approvals and bonuses (default: the one that run.sh
                            configures), so the first two keep their starting balances

The second half of this module drives the server's /_local control plane (the
worker simulator and the virtual clock) with the standard library only, so
that both the legacy and the modern tests can use it.
"""

import json
import os
import secrets
import string
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Optional, Tuple
from xml.sax.saxutils import escape

DEV_ACCESS_KEY_ID = "AKIAMTURKLOCALDEV000"
DEV_SECRET_ACCESS_KEY = "mturk-local-dev-secret-do-not-use-in-production"
OTHER_ACCESS_KEY_ID = "AKIAMTURKLOCALOTHER1"
OTHER_SECRET_ACCESS_KEY = "other-secret"
HIT_ACCESS_KEY_ID = "AKIAMTURKLOCALHITS01"
HIT_SECRET_ACCESS_KEY = "hit-secret"

_ID_ALPHABET = string.digits + string.ascii_uppercase

# Text that breaks XML built by pasting strings together, and that exercises
# the UTF-8 handling of signing, form decoding and the response writer:
# markup, an entity-looking ampersand, both quotes, a CDATA terminator, '%'
# and '+' (which URL encoding treats specially), Latin-1, CJK and a character
# outside the Basic Multilingual Plane (4 bytes in UTF-8).
TRICKY_TEXT = "Tom & Jerry's <b>\"test\"</b> &amp; ]]> 100% + naïve café 日本語 \U0001F600"


@dataclass(frozen=True)
class Endpoint:
    url: str
    scheme: str
    host: str
    port: int

    @property
    def is_secure(self) -> bool:
        return self.scheme == "https"


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str


def endpoint_from_env() -> Endpoint:
    url = os.environ.get("MTURK_LOCAL_ENDPOINT", "http://127.0.0.1:8099").rstrip("/")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"MTURK_LOCAL_ENDPOINT must look like http://HOST:PORT, got {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return Endpoint(url=f"{parts.scheme}://{parts.netloc}", scheme=parts.scheme,
                    host=parts.hostname, port=port)


def dev_credentials_from_env() -> Credentials:
    return Credentials(
        os.environ.get("MTURK_LOCAL_KEY", DEV_ACCESS_KEY_ID),
        os.environ.get("MTURK_LOCAL_SECRET", DEV_SECRET_ACCESS_KEY),
    )


def other_credentials_from_env() -> Credentials:
    return Credentials(
        os.environ.get("MTURK_LOCAL_OTHER_KEY", OTHER_ACCESS_KEY_ID),
        os.environ.get("MTURK_LOCAL_OTHER_SECRET", OTHER_SECRET_ACCESS_KEY),
    )


def hit_credentials_from_env() -> Credentials:
    return Credentials(
        os.environ.get("MTURK_LOCAL_HIT_KEY", HIT_ACCESS_KEY_ID),
        os.environ.get("MTURK_LOCAL_HIT_SECRET", HIT_SECRET_ACCESS_KEY),
    )


def unique_name(prefix: str = "client-test") -> str:
    """A qualification type name that no earlier run has used."""
    return f"{prefix} {uuid.uuid4()}"


def new_worker_id() -> str:
    """A fresh worker id in MTurk's shape: 'A' followed by 13 of [0-9A-Z]."""
    return "A" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(13))


def unknown_id() -> str:
    """A well-formed id (30 of [0-9A-Z]) that the server never issued."""
    return "3" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(29))


def cents(amount: str) -> int:
    """"12.34" -> 1234, exactly (no floating point)."""
    whole, _, frac = amount.partition(".")
    assert len(frac) <= 2 and whole.isdigit() and (frac == "" or frac.isdigit()), amount
    return int(whole) * 100 + int(frac.ljust(2, "0"))


# ---------------------------------------------------------------- HIT documents

QUESTION_FORM_ANSWERS_NS = (
    "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"
)
EXTERNAL_QUESTION_NS = (
    "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/ExternalQuestion.xsd"
)


def external_question(url: str, frame_height: int = 600) -> str:
    return (
        f'<ExternalQuestion xmlns="{EXTERNAL_QUESTION_NS}"><ExternalURL>{escape(url)}</ExternalURL>'
        f"<FrameHeight>{frame_height}</FrameHeight></ExternalQuestion>"
    )


def answer_document(answers: Mapping[str, str]) -> str:
    """A QuestionFormAnswers document with one FreeText answer per item."""
    body = "".join(
        f"<Answer><QuestionIdentifier>{escape(qid)}</QuestionIdentifier><FreeText>{escape(text)}</FreeText></Answer>"
        for qid, text in answers.items()
    )
    return f'<QuestionFormAnswers xmlns="{QUESTION_FORM_ANSWERS_NS}">{body}</QuestionFormAnswers>'


def parse_answer_document(document: str) -> list:
    """[(QuestionIdentifier, FreeText), ...] of a QuestionFormAnswers document, in order."""
    root = ET.fromstring(document)
    ns = {"a": QUESTION_FORM_ANSWERS_NS}
    assert root.tag == f"{{{QUESTION_FORM_ANSWERS_NS}}}QuestionFormAnswers", document
    return [
        (a.findtext("a:QuestionIdentifier", namespaces=ns), a.findtext("a:FreeText", namespaces=ns))
        for a in root.findall("a:Answer", ns)
    ]


# ---------------------------------------------------------------- the /_local control plane

# Never go through an HTTP proxy from the environment: the server is local.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_call(method: str, url: str, body: Optional[bytes] = None,
              content_type: Optional[str] = None) -> Tuple[int, str, bytes]:
    """One plain HTTP request: (status, content type, body), whatever the status."""
    request = urllib.request.Request(url, data=body, method=method,
                                     headers={"Content-Type": content_type} if content_type else {})
    try:
        with _opener.open(request, timeout=30) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def control_call(endpoint: Endpoint, method: str, path: str, body: Any = None) -> Tuple[int, Any]:
    """A /_local call: (HTTP status, decoded JSON answer)."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    status, _, raw = http_call(method, f"{endpoint.url}/_local{path}", data,
                               "application/json" if data is not None else None)
    try:
        return status, json.loads(raw)
    except ValueError:
        raise AssertionError(f"{method} /_local{path} answered {status} with non-JSON {raw!r}") from None


def control(endpoint: Endpoint, method: str, path: str, body: Any = None) -> dict:
    """A /_local call that must succeed; returns the decoded JSON answer."""
    status, answer = control_call(endpoint, method, path, body)
    if status != 200:
        raise AssertionError(f"{method} /_local{path} {json.dumps(body)} answered {status}: {answer!r}")
    return answer


def control_error(endpoint: Endpoint, method: str, path: str, body: Any, code: str) -> dict:
    """A /_local call that must fail (4xx) with the given error Code; returns the answer."""
    status, answer = control_call(endpoint, method, path, body)
    assert 400 <= status < 500, (method, path, body, status, answer)
    assert answer.get("Code") == code, (method, path, body, status, answer)
    assert answer.get("Message"), answer
    return answer


def control_request_qualification(endpoint: Endpoint, worker_id: str, type_id: str) -> dict:
    """The worker asks for a qualification: {"QualificationRequestId", "Status", ...}."""
    return control(endpoint, "POST", f"/workers/{worker_id}/qualification-requests",
                   {"QualificationTypeId": type_id})


def control_notifications(endpoint: Endpoint, worker_id: str) -> list:
    """What the worker was told, oldest first."""
    return control(endpoint, "GET", f"/workers/{worker_id}/notifications")["Notifications"]


def control_worker_qualifications(endpoint: Endpoint, worker_id: str) -> list:
    return control(endpoint, "GET", f"/workers/{worker_id}/qualifications")["Qualifications"]


def control_now(endpoint: Endpoint) -> datetime:
    """The server's (possibly moved) clock."""
    return datetime.fromisoformat(control(endpoint, "GET", "/clock")["Now"].replace("Z", "+00:00"))


def control_advance_clock(endpoint: Endpoint, seconds: int) -> datetime:
    """Moves the server's clock forward (for every test: only ever forward)."""
    answer = control(endpoint, "POST", "/clock", {"AdvanceSeconds": seconds})
    return datetime.fromisoformat(answer["Now"].replace("Z", "+00:00"))


def control_set_profile(endpoint: Endpoint, worker_id: str, **profile) -> dict:
    """PUT /_local/workers/{id}: Locale={"Country", "Subdivision"}, Adult, Masters."""
    return control(endpoint, "PUT", f"/workers/{worker_id}", profile)


def control_worker_hits(endpoint: Endpoint, worker_id: str) -> dict:
    """What the worker finds, as {HITId: entry}."""
    found = control(endpoint, "GET", f"/workers/{worker_id}/hits")["HITs"]
    by_id = {h["HITId"]: h for h in found}
    assert len(by_id) == len(found), found
    return by_id


def control_worker_assignments(endpoint: Endpoint, worker_id: str) -> dict:
    """The worker's assignments, as {AssignmentId: entry}."""
    found = control(endpoint, "GET", f"/workers/{worker_id}/assignments")["Assignments"]
    return {a["AssignmentId"]: a for a in found}


def control_accept(endpoint: Endpoint, worker_id: str, hit_id: str) -> dict:
    """The worker accepts the HIT (must succeed): {"AssignmentId", "Deadline", ...}."""
    return control(endpoint, "POST", f"/workers/{worker_id}/assignments", {"HITId": hit_id})


def control_accept_refused(endpoint: Endpoint, worker_id: str, hit_id: str, code: str) -> dict:
    """The worker tries to accept the HIT and is refused with `code`."""
    return control_error(endpoint, "POST", f"/workers/{worker_id}/assignments", {"HITId": hit_id}, code)


def control_submit(endpoint: Endpoint, assignment_id: str, answers: Mapping[str, str]) -> dict:
    """The worker submits FreeText answers (must succeed)."""
    return control(endpoint, "POST", f"/assignments/{assignment_id}/submit",
                   {"Answer": answer_document(answers)})


def control_work(endpoint: Endpoint, worker_id: str, hit_id: str, answers: Mapping[str, str]) -> str:
    """The worker accepts the HIT and submits the answers; returns the AssignmentId."""
    assignment_id = control_accept(endpoint, worker_id, hit_id)["AssignmentId"]
    control_submit(endpoint, assignment_id, answers)
    return assignment_id
