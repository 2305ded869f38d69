"""FileUploadAnswer, Help and the statistics through boto 2.49.0's MTurkConnection.

boto 2 has `get_file_upload_url` (GetFileUploadURL, read by its FileUploadURL
marker) and `get_help` (Help, no marker: it only reports success), and builds
`FileUploadAnswer` into a QuestionForm with MaxFileSizeInBytes before
MinFileSizeInBytes. A simulated worker uploads the file through /_local; the
test moves the virtual clock forward by a minute. Names and worker ids are
fresh, so the file can run again on one server.
"""

import base64
import xml.etree.ElementTree as ET

from boto.mturk.price import Price
from boto.mturk.question import AnswerSpecification, FileUploadAnswer, Question, QuestionContent, QuestionForm

from boto2_support import expect_error
from mturk_local_testing import control, control_accept, control_advance_clock, http_call, new_worker_id, unique_name

CONTENT = b"%PDF-1.4 a very short document"


def upload_form() -> QuestionForm:
    content = QuestionContent()
    content.append_field("Text", "Upload your signed form")
    answer = AnswerSpecification(FileUploadAnswer(min_bytes=16, max_bytes=4096))
    return QuestionForm([Question("form", content, answer, is_required=True)])


def test_boto2_get_file_upload_url_downloads_the_uploaded_file_for_sixty_seconds(hit_mturk, other_mturk, endpoint):
    hit = hit_mturk.create_hit(
        question=upload_form(), title=unique_name("boto2 file upload"), description="one file",
        keywords=["boto2", "files"], reward=Price(0.05), duration=600, lifetime=900, max_assignments=1,
    )[0]
    assignment_id = control_accept(endpoint, new_worker_id(), hit.HITId)["AssignmentId"]
    files = {"form": {"Name": "form.pdf", "ContentBase64": base64.b64encode(CONTENT).decode("ascii")}}
    control(endpoint, "POST", f"/assignments/{assignment_id}/submit", {"Files": files})

    result = hit_mturk.get_file_upload_url(assignment_id, "form")
    assert result.status is True
    url = result[0].FileUploadURL
    assert url.startswith(f"{endpoint.url}/_files/"), url
    status, content_type, body = http_call("GET", url)
    assert (status, content_type, body) == (200, "application/octet-stream", CONTENT)

    expect_error("AWS.MechanicalTurk.PermissionDenied", other_mturk.get_file_upload_url, assignment_id, "form")
    expect_error("AWS.MechanicalTurk.InvalidParameterValue", hit_mturk.get_file_upload_url, assignment_id, "other")

    control_advance_clock(endpoint, 60)
    assert http_call("GET", url)[0] == 404


def test_boto2_get_help_describes_an_operation(mturk):
    assert mturk.get_help("GetFileUploadURL").status is True
    body = mturk.make_request(None, {"Operation": "Help", "About": "GetFileUploadURL"}, verb="POST").read()
    info = ET.fromstring(body).find("Information/OperationInformation")
    assert info is not None, body
    assert info.findtext("Name") == "GetFileUploadURL"
    assert [p.text for p in info.findall("RequiredParameters/Parameter")] == ["AssignmentId", "QuestionIdentifier"]
    expect_error("AWS.MechanicalTurk.InvalidParameterValue", mturk.get_help, "NoSuchOperation")
