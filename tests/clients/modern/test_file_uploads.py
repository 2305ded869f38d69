"""FileUploadAnswer through boto3's get_file_upload_url (the 2017-01-17 JSON API).

A simulated worker uploads a file through the /_local submit call; the
requester asks for its address with boto3 and downloads it without signing,
for 60 seconds of emulated time. The test moves the virtual clock forward by
a minute. Names and worker ids are fresh, so it can run again on one server.
"""

import base64
import urllib.parse

from mturk_local_testing import (
    control,
    control_accept,
    control_advance_clock,
    http_call,
    new_worker_id,
    unique_name,
)
from modern_support import expect_request_error

FORM = (
    '<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/'
    'QuestionForm.xsd"><Question><QuestionIdentifier>recording</QuestionIdentifier><QuestionContent>'
    "<Text>Read the sentence aloud and upload the recording</Text></QuestionContent><AnswerSpecification>"
    "<FileUploadAnswer><MaxFileSizeInBytes>1000</MaxFileSizeInBytes><MinFileSizeInBytes>10</MinFileSizeInBytes>"
    "</FileUploadAnswer></AnswerSpecification></Question></QuestionForm>"
)
RECORDING = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00 not much of a recording"


def test_get_file_upload_url_downloads_what_the_worker_uploaded_for_sixty_seconds(
        hit_mturk, other_mturk, endpoint):
    hit = hit_mturk.create_hit(
        Title=unique_name("file upload"), Description="Record a sentence", Reward="0.05",
        MaxAssignments=1, LifetimeInSeconds=900, AssignmentDurationInSeconds=600, Question=FORM,
    )["HIT"]
    assignment_id = control_accept(endpoint, new_worker_id(), hit["HITId"])["AssignmentId"]
    files = {"recording": {"Name": "sentence.wav", "ContentBase64": base64.b64encode(RECORDING).decode("ascii")}}
    control(endpoint, "POST", f"/assignments/{assignment_id}/submit", {"Files": files})

    answer = hit_mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]["Answer"]
    assert f"<UploadedFileSizeInBytes>{len(RECORDING)}</UploadedFileSizeInBytes>" in answer, answer
    assert "<UploadedFileKey>" in answer, answer

    url = hit_mturk.get_file_upload_url(AssignmentId=assignment_id, QuestionIdentifier="recording")["FileUploadURL"]
    parts = urllib.parse.urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == endpoint.url, (url, endpoint.url)
    assert parts.path.startswith("/_files/"), url
    status, _, body = http_call("GET", url)
    assert (status, body) == (200, RECORDING)

    # Only the HIT's owner gets an address; a question without a file has none.
    expect_request_error(other_mturk, "AWS.MechanicalTurk.PermissionDenied", other_mturk.get_file_upload_url,
                         AssignmentId=assignment_id, QuestionIdentifier="recording")
    expect_request_error(hit_mturk, "AWS.MechanicalTurk.InvalidParameterValue", hit_mturk.get_file_upload_url,
                         AssignmentId=assignment_id, QuestionIdentifier="transcript")

    # Sixty seconds of emulated time later the address is gone; a new one works.
    control_advance_clock(endpoint, 60)
    assert http_call("GET", url)[0] == 404
    fresh = hit_mturk.get_file_upload_url(AssignmentId=assignment_id, QuestionIdentifier="recording")["FileUploadURL"]
    assert fresh != url
    assert http_call("GET", fresh)[2] == RECORDING
