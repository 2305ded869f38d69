"""The requests oTree 6 sends to MTurk, byte for byte, and the answers it relies on.

oTree (PyPI `otree` 6.0.15; the same code in oTree-org/otree-core) does not
use boto3: `otree/mturk_client.py`, `call_api()`, signs each request itself
with SigV4 and sends it with `urllib.request.urlopen`:

  * POST to `https://<host>` (path "/"), JSON 1.1: `Content-Type:
    application/x-amz-json-1.1`, `X-Amz-Target:
    MTurkRequesterServiceV20170117.<Operation>`, `X-Amz-Date`;
  * SignedHeaders `content-type;host;x-amz-date;x-amz-target`, exactly these
    four, region us-east-1, service mturk-requester, no x-amz-content-sha256;
  * body `json.dumps(params)` (default separators, so with spaces);
  * an error answer is read as `json.loads(body)` and raised as MTurkError
    (a body that is not JSON raises JSONDecodeError, which oTree's admin pages
    do not catch).

`otree_call` below is our own code doing the same. One difference is
deliberate: oTree signs its hard-coded AWS host name
(`mturk-requester[-sandbox].us-east-1.amazonaws.com`) whatever it connects
to, so to reach a local server its host has to be patched; we sign the host
we connect to, as a patched oTree would.

What oTree sends, from `otree/views/mturk.py` and `otree/views/participant.py`:
  * MTurkCreateHIT.post: CreateHIT {Title, Description, Keywords,
    MaxAssignments, Reward: str(float(fee)), AssignmentDurationInSeconds,
    LifetimeInSeconds, UniqueRequestToken: "otree_<session code>", Question:
    an HTMLQuestion}, QualificationRequirements only outside the sandbox; it
    reads HIT.HITId, HIT.HITGroupId and HIT.Expiration (a number);
  * MTurkStart (participant.py): AssociateQualificationWithWorker
    {QualificationTypeId, WorkerId, IntegerValue: 1};
  * get_all_assignments: ListAssignmentsForHIT {HITId, MaxResults: 100,
    AssignmentStatuses: [Submitted, Approved, Rejected]}, then the same with
    NextToken = response['NextToken'] after every page that has assignments,
    stopping only at a page whose Assignments list is empty;
  * MTurkSessionPayments: RejectAssignment with a RequesterFeedback for
    submitted assignments it does not know;
  * PayMTurk.post: SendBonus {WorkerId, AssignmentId, BonusAmount: "%.2f",
    UniqueRequestToken: "<worker>_<assignment>", Reason: "Thank you"}, then
    ApproveAssignment {AssignmentId};
  * RejectMTurk.post: RejectAssignment {AssignmentId, RequesterFeedback: ""};
  * MTurkExpireHIT.post: UpdateExpirationForHIT {HITId, ExpireAt:
    datetime(2015, 1, 1).timestamp()}, a float.
"""

import hashlib
import hmac
import json
import secrets
import string
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pytest

from mturk_local_testing import (
    Credentials,
    Endpoint,
    control_accept,
    control_now,
    control_submit,
    control_work,
    new_worker_id,
    unique_name,
)
from modern_support import create_type

SERVICE = "mturk-requester"
REGION = "us-east-1"
CONTENT_TYPE = "application/x-amz-json-1.1"
SIGNED_HEADERS = "content-type;host;x-amz-date;x-amz-target"

# otree/templates/otree/MTurkHTMLQuestion.html, rendered: an HTMLQuestion whose page links to the oTree server.
HTML_QUESTION = """<HTMLQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd">
  <HTMLContent><![CDATA[
    <!DOCTYPE html>
    <body>
    <p><a class="otree-link" href="#">Start the study</a></p>
    <script>
        var oTreeURL = "https://otree.example.invalid/MTurkStart/{code}";
    </script>
    </body>
    </html>
    ]]>
  </HTMLContent>
  <FrameHeight>500</FrameHeight>
</HTMLQuestion>"""

# Never go through an HTTP proxy from the environment: the server is local.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class OTreeMTurkError(Exception):
    """What oTree raises on an HTTP error: the decoded JSON error body."""

    def __init__(self, status: int, body: dict):
        super().__init__(body)
        self.status = status
        self.body = body


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def otree_call(endpoint: Endpoint, credentials: Credentials, operation: str, params: dict) -> dict:
    """One request in the shape of oTree's `call_api` (see the module docstring)."""
    host = f"{endpoint.host}:{endpoint.port}"  # what urllib sends as Host for this URL
    target = f"MTurkRequesterServiceV20170117.{operation}"
    now = datetime.now(timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    date_stamp = now.strftime("%Y%m%d")
    body = json.dumps(params).encode("utf8")
    canonical_headers = (f"content-type:{CONTENT_TYPE}\nhost:{host}\nx-amz-date:{amz_date}\n"
                         f"x-amz-target:{target}\n")
    canonical_request = "\n".join(
        ["POST", "/", "", canonical_headers, SIGNED_HEADERS, hashlib.sha256(body).hexdigest()])
    scope = f"{date_stamp}/{REGION}/{SERVICE}/aws4_request"
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()])
    key = _hmac(("AWS4" + credentials.secret_access_key).encode("utf-8"), date_stamp)
    for part in (REGION, SERVICE, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": CONTENT_TYPE,
        "X-Amz-Date": amz_date,
        "X-Amz-Target": target,
        "Authorization": f"AWS4-HMAC-SHA256 Credential={credentials.access_key_id}/{scope}, "
                         f"SignedHeaders={SIGNED_HEADERS}, Signature={signature}",
    }
    # oTree: urlopen(Request(endpoint, headers=headers), data=body) with endpoint "https://<host>", no path.
    request = urllib.request.Request(endpoint.url, headers=headers)
    try:
        with _opener.open(request, data=body, timeout=30) as response:
            raw = response.read()
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            decoded = json.loads(raw.decode("utf8"))
        except ValueError:
            pytest.fail(f"{operation}: HTTP {e.code} with a body oTree cannot decode as JSON: {raw!r}")
        raise OTreeMTurkError(e.code, decoded) from None
    return json.loads(raw.decode("utf-8"))


def get_all_assignments(call, hit_id: str) -> tuple:
    """oTree's get_all_assignments loop; returns ([(worker, assignment, status, answer)], calls made).

    It reads response['NextToken'] after every page that has assignments (a
    KeyError if the page has none) and stops only at an empty page.
    """
    assignments = []
    args = dict(HITId=hit_id, MaxResults=100, AssignmentStatuses=["Submitted", "Approved", "Rejected"])
    for calls in range(1, 50):  # oTree has no guard; a test must not hang
        response = call("ListAssignmentsForHIT", args)
        if not response["Assignments"]:
            return assignments, calls
        for d in response["Assignments"]:
            assignments.append((d["WorkerId"], d["AssignmentId"], d["AssignmentStatus"], d["Answer"]))
        try:
            args["NextToken"] = response["NextToken"]
        except KeyError:
            pytest.fail(f"a page with {len(response['Assignments'])} assignment(s) has no NextToken; "
                        f"oTree's get_all_assignments raises KeyError('NextToken'): {response}")
    pytest.fail("ListAssignmentsForHIT never answered an empty page")


def completion_code(answer_xml: str) -> str:
    """The completion code oTree's payments page shows: the FreeText of the answer whose first child is
    QuestionIdentifier 'taskAnswers', read as a JSON list of objects."""
    if not answer_xml:
        return ""
    for answer in ET.fromstring(answer_xml):
        children = list(answer)
        if len(children) >= 2 and children[0].text == "taskAnswers":
            return json.loads(children[1].text)[0]["completion_code"]
    return ""


def session_code() -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(8))


@pytest.fixture
def call(endpoint, hit_credentials):
    def run(operation: str, params: dict) -> dict:
        return otree_call(endpoint, hit_credentials, operation, params)

    return run


@pytest.fixture
def otree_hit(call):
    """The HIT of an oTree session published in the sandbox, for four workers."""
    code = session_code()
    params = {
        "Title": unique_name("oTree study"),
        "Description": "made by tests/clients/modern/test_otree.py",
        "Keywords": ", ".join(["easy", "bonus", "study"]),
        "MaxAssignments": 4,
        "Reward": str(float("0.50")),  # "0.5"
        "AssignmentDurationInSeconds": 60 * 30,
        "LifetimeInSeconds": int(60 * 60 * 0.25),
        "UniqueRequestToken": f"otree_{code}",
        "Question": HTML_QUESTION.replace("{code}", code),
    }
    created = call("CreateHIT", params)
    return created["HIT"]


def work(endpoint, hit_id: str, code: str) -> tuple:
    """A participant accepts, plays the study and submits its completion code: (worker, assignment)."""
    worker = new_worker_id()
    answers = {"taskAnswers": json.dumps([{"completion_code": code}])}
    return worker, control_work(endpoint, worker, hit_id, answers)


def test_create_hit_as_otree_sends_it_answers_the_fields_otree_stores(endpoint, call, otree_hit, hit_mturk):
    assert otree_hit["HITId"] and otree_hit["HITGroupId"]
    # oTree keeps Expiration in a Float column and compares it with time.time().
    assert isinstance(otree_hit["Expiration"], (int, float)) and not isinstance(otree_hit["Expiration"], bool)
    # (The server's clock, which other tests move forward, not this machine's.)
    assert 0 < otree_hit["Expiration"] - control_now(endpoint).timestamp() <= 900 + 60
    hit = hit_mturk.get_hit(HITId=otree_hit["HITId"])["HIT"]
    assert hit["Reward"] == "0.50"
    assert hit["MaxAssignments"] == 4
    assert hit["Keywords"] == "easy, bonus, study"


def test_get_all_assignments_finds_every_assignment_and_stops_at_the_empty_page(endpoint, call, otree_hit):
    done = {work(endpoint, otree_hit["HITId"], f"code-{i}") for i in range(3)}
    control_accept(endpoint, new_worker_id(), otree_hit["HITId"])  # still working: not listed
    found, calls = get_all_assignments(call, otree_hit["HITId"])
    assert sorted((w, a) for w, a, _, _ in found) == sorted(done)
    assert {status for _, _, status, _ in found} == {"Submitted"}
    assert sorted(completion_code(answer) for _, _, _, answer in found) == ["code-0", "code-1", "code-2"]
    assert calls == 2  # one page of three, then the empty page


def test_get_all_assignments_of_a_hit_nobody_worked_on_is_one_empty_page(call, otree_hit):
    assert get_all_assignments(call, otree_hit["HITId"]) == ([], 1)


def test_reject_mturk_sends_an_empty_requester_feedback_and_the_assignment_is_rejected(
    endpoint, call, otree_hit, hit_mturk
):
    _, assignment_id = work(endpoint, otree_hit["HITId"], "code")
    assert call("RejectAssignment", {"AssignmentId": assignment_id, "RequesterFeedback": ""}) == {}
    assert hit_mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]["AssignmentStatus"] == "Rejected"


def test_the_payments_page_auto_rejects_with_a_feedback_message(endpoint, call, otree_hit, hit_mturk):
    _, assignment_id = work(endpoint, otree_hit["HITId"], "code")
    call("RejectAssignment", {
        "AssignmentId": assignment_id,
        "RequesterFeedback": "Auto-rejecting because this assignment was not found in our database.",
    })
    assert hit_mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]["AssignmentStatus"] == "Rejected"


def test_pay_mturk_bonuses_then_approves_and_a_repeated_bonus_is_an_error_otree_can_read(
    endpoint, call, otree_hit
):
    paid = [work(endpoint, otree_hit["HITId"], f"code-{i}") for i in range(2)]
    _, unpaid = work(endpoint, otree_hit["HITId"], "code-2")
    for worker, assignment_id in paid:
        bonus = {
            "WorkerId": worker,
            "AssignmentId": assignment_id,
            "BonusAmount": "{0:.2f}".format(0.75),
            "UniqueRequestToken": f"{worker}_{assignment_id}",
            "Reason": "Thank you",
        }
        assert call("SendBonus", bonus) == {}
        assert call("ApproveAssignment", {"AssignmentId": assignment_id}) == {}
        # Paying again (oTree's comment: the bonus fails "because of UniqueRequestToken").
        with pytest.raises(OTreeMTurkError) as info:
            call("SendBonus", bonus)
        assert info.value.status == 400
        assert info.value.body.get("TurkErrorCode", "").startswith("AWS."), info.value.body
    call("RejectAssignment", {"AssignmentId": unpaid, "RequesterFeedback": ""})
    found, _ = get_all_assignments(call, otree_hit["HITId"])
    statuses = {a: s for _, a, s, _ in found}
    assert statuses == {paid[0][1]: "Approved", paid[1][1]: "Approved", unpaid: "Rejected"}


def test_expire_hit_sends_a_float_epoch_in_2015_and_the_hit_expires(endpoint, call, otree_hit, hit_mturk):
    expire_at = datetime(2015, 1, 1).timestamp()
    assert isinstance(expire_at, float)
    assert call("UpdateExpirationForHIT", {"HITId": otree_hit["HITId"], "ExpireAt": expire_at}) == {}
    hit = hit_mturk.get_hit(HITId=otree_hit["HITId"])["HIT"]
    assert hit["Expiration"] <= control_now(endpoint)


def test_mturk_start_grants_the_qualification_with_integer_value_1(endpoint, call, otree_hit, hit_mturk):
    qual = create_type(hit_mturk)["QualificationTypeId"]
    worker = new_worker_id()
    assignment_id = control_accept(endpoint, worker, otree_hit["HITId"])["AssignmentId"]
    assert call("AssociateQualificationWithWorker",
                {"QualificationTypeId": qual, "WorkerId": worker, "IntegerValue": 1}) == {}
    # "seems OK to assign this multiple times" (participant.py): the participant reloads the start page.
    assert call("AssociateQualificationWithWorker",
                {"QualificationTypeId": qual, "WorkerId": worker, "IntegerValue": 1}) == {}
    score = hit_mturk.get_qualification_score(QualificationTypeId=qual, WorkerId=worker)["Qualification"]
    assert (score["IntegerValue"], score["Status"]) == (1, "Granted")
    control_submit(endpoint, assignment_id, {"taskAnswers": json.dumps([{"completion_code": "x"}])})


def test_an_error_answer_is_json_that_otree_raises_as_mturk_error(call):
    with pytest.raises(OTreeMTurkError) as info:
        call("ListAssignmentsForHIT", {"HITId": "3" + "0" * 29, "MaxResults": 100,
                                       "AssignmentStatuses": ["Submitted", "Approved", "Rejected"]})
    assert info.value.status == 400
    assert info.value.body.get("TurkErrorCode") == "AWS.MechanicalTurk.HITDoesNotExist", info.value.body
    assert info.value.body.get("Message"), info.value.body
