"""The web console in a real browser (headless Chromium): what a person does
in a page is what boto3 then reads from the API, and the other way round."""

import csv
import io
import secrets
import urllib.request

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from mturk_local_testing import new_worker_id

HTML_NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd"
QF_NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionForm.xsd"
AK_NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/AnswerKey.xsd"

# A requester's HTMLQuestion as MTurk's documentation shapes it: the page
# reads assignmentId and turkSubmitTo from its address and posts its form to
# turkSubmitTo + /mturk/externalSubmit.
HIT_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Colour</title></head><body>
<form id="hit-form" method="post" action="/mturk/externalSubmit">
  <input type="hidden" name="assignmentId" id="assignmentId" value="">
  <label for="colour">Your favourite colour</label>
  <input id="colour" name="colour" type="text">
  <input type="submit" id="submitButton" value="Submit">
</form>
<script>
  var p = new URLSearchParams(location.search);
  document.getElementById("assignmentId").value = p.get("assignmentId");
  document.getElementById("hit-form").action = p.get("turkSubmitTo") + "/mturk/externalSubmit";
  if (p.get("assignmentId") === "ASSIGNMENT_ID_NOT_AVAILABLE") {
    document.getElementById("submitButton").disabled = true;
  }
</script>
</body></html>"""


def html_question(page: str) -> str:
    return (
        f'<HTMLQuestion xmlns="{HTML_NS}"><HTMLContent><![CDATA[{page}]]></HTMLContent>'
        "<FrameHeight>400</FrameHeight></HTMLQuestion>"
    )


def create_hit(client, title: str, requirements=()) -> str:
    hit = client.create_hit(
        Title=title,
        Description="A HIT of the browser tests",
        Keywords="browser, console",
        Reward="0.25",
        MaxAssignments=1,
        LifetimeInSeconds=3600,
        AssignmentDurationInSeconds=600,
        Question=html_question(HIT_PAGE),
        QualificationRequirements=list(requirements),
    )["HIT"]
    return hit["HITId"]


def navigate(browser, element) -> None:
    """Clicks `element` and waits until the page it leads to has replaced this one."""
    page = browser.find_element(By.TAG_NAME, "html")
    element.click()

    def replaced(_driver) -> bool:
        try:
            page.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as e:
            # Asked while the old document is being torn down, chromedriver may answer this
            # instead of "stale element" (seen in CI): the page is being replaced all the same.
            if "does not belong to the document" in str(e):
                return True
            raise

    WebDriverWait(browser, 10).until(replaced)


def wait_for_text(browser, text: str) -> None:
    """Waits until the current frame's body shows `text` (its document may be replaced meanwhile)."""

    def shown(driver) -> bool:
        try:
            return text in driver.find_element(By.TAG_NAME, "body").text
        except WebDriverException:
            return False

    WebDriverWait(browser, 10).until(shown)


def hit_row(browser, base: str, worker: str, title: str, hit_id: str, client):
    """The row of the HIT's group (its HIT type's HITs) in the worker's list, found by searching its title."""
    hit_type_id = client.get_hit(HITId=hit_id)["HIT"]["HITTypeId"]
    browser.get(f"{base}/worker/{worker}?q={title}")
    return browser.find_element(By.CSS_SELECTOR, f'tr[data-group-id="{hit_type_id}"]')


def test_a_worker_does_an_html_question_and_the_requester_approves_it(browser, screenshot, endpoint, hit_mturk, hit_credentials):
    base = endpoint.url
    title = f"Name a colour {secrets.token_hex(4)}"
    hit_id = create_hit(hit_mturk, title)
    worker = new_worker_id()

    row = hit_row(browser, base, worker, title, hit_id, hit_mturk)
    assert row.find_element(By.CSS_SELECTOR, ".eligibility").text == "Qualified"
    assert "$0.25" in row.text
    screenshot("worker-hits")

    # Preview: the HIT's page in its sandboxed frame, with the preview's assignment id.
    navigate(browser, row.find_element(By.LINK_TEXT, "Preview"))
    frame = browser.find_element(By.CSS_SELECTOR, "iframe.hit")
    assert frame.get_attribute("sandbox") == "allow-forms allow-scripts"
    assert "assignmentId=ASSIGNMENT_ID_NOT_AVAILABLE" in frame.get_attribute("src")

    navigate(browser, browser.find_element(By.ID, "accept"))
    assignment_id = browser.find_element(By.ID, "assignment-id").text
    assert browser.find_element(By.ID, "assignment-status").text == "Accepted"
    assert browser.find_element(By.CSS_SELECTOR, ".timer").text  # the countdown runs
    screenshot("worker-assignment")

    browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, "iframe.hit"))
    assert browser.find_element(By.ID, "assignmentId").get_attribute("value") == assignment_id
    browser.find_element(By.ID, "colour").send_keys("teal & <blue>")
    browser.find_element(By.ID, "submitButton").click()
    wait_for_text(browser, "was submitted")
    browser.switch_to.default_content()

    listed = hit_mturk.list_assignments_for_hit(HITId=hit_id, AssignmentStatuses=["Submitted"])["Assignments"]
    assert [a["AssignmentId"] for a in listed] == [assignment_id]
    assert listed[0]["WorkerId"] == worker
    answer = listed[0]["Answer"]
    assert "<QuestionIdentifier>colour</QuestionIdentifier><FreeText>teal &amp; &lt;blue&gt;</FreeText>" in answer

    # The requester approves in the console; boto3 sees it.
    browser.get(f"{base}/requester/{hit_credentials.access_key_id}/hits/{hit_id}")
    arow = browser.find_element(By.CSS_SELECTOR, f'tr[data-assignment-id="{assignment_id}"]')
    assert "teal & <blue>" in arow.find_element(By.CSS_SELECTOR, ".answer").text
    screenshot("requester-hit")
    arow.find_element(By.ID, f"af-{assignment_id}").send_keys("Well done")
    navigate(browser, arow.find_element(By.CSS_SELECTOR, "button.approve"))
    assert "approved" in browser.find_element(By.CSS_SELECTOR, ".notice").text
    got = hit_mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]
    assert got["AssignmentStatus"] == "Approved"
    assert got["RequesterFeedback"] == "Well done"

    # The requester's payments, newest first: the reward with MTurk's 20% fee.
    browser.get(f"{base}/requester/{hit_credentials.access_key_id}/payments")
    prow = browser.find_element(By.CSS_SELECTOR, f'tr[data-payment-id="{assignment_id}"]')
    cells = [td.text for td in prow.find_elements(By.TAG_NAME, "td")]
    assert cells[1:6] == ["Reward", worker, "$0.25", "$0.05", "$0.30"], cells
    screenshot("requester-payments")

    # The worker's history shows it approved, and the reward earned.
    browser.get(f"{base}/worker/{worker}/history")
    assert "Approved" in browser.find_element(By.TAG_NAME, "tbody").text
    assert browser.find_element(By.ID, "earned").text == "$0.25"


QUAL_TEST = f"""<QuestionForm xmlns="{QF_NS}">
<Overview><Title>Colour test</Title><Text>One question.</Text></Overview>
<Question><QuestionIdentifier>sky</QuestionIdentifier><DisplayName>The sky</DisplayName><IsRequired>true</IsRequired>
<QuestionContent><Text>What colour is a clear sky?</Text></QuestionContent>
<AnswerSpecification><SelectionAnswer><StyleSuggestion>radiobutton</StyleSuggestion><Selections>
<Selection><SelectionIdentifier>blue</SelectionIdentifier><Text>Blue</Text></Selection>
<Selection><SelectionIdentifier>green</SelectionIdentifier><Text>Green</Text></Selection>
</Selections></SelectionAnswer></AnswerSpecification></Question>
</QuestionForm>"""

QUAL_KEY = f"""<AnswerKey xmlns="{AK_NS}">
<Question><QuestionIdentifier>sky</QuestionIdentifier>
<AnswerOption><SelectionIdentifier>blue</SelectionIdentifier><AnswerScore>10</AnswerScore></AnswerOption></Question>
<QualificationValueMapping><PercentageMapping><MaximumSummedScore>10</MaximumSummedScore></PercentageMapping></QualificationValueMapping>
</AnswerKey>"""


def test_a_test_taken_in_the_browser_grants_and_a_revocation_shows_on_the_workers_page(
    browser, screenshot, endpoint, hit_mturk, hit_credentials
):
    base = endpoint.url
    type_id = hit_mturk.create_qualification_type(
        Name=f"Sky colour {secrets.token_hex(4)}",
        Description="Knows the colour of the sky",
        QualificationTypeStatus="Active",
        Test=QUAL_TEST,
        AnswerKey=QUAL_KEY,
        TestDurationInSeconds=600,
        RetryDelayInSeconds=60,
    )["QualificationType"]["QualificationTypeId"]
    title = f"Sky HIT {secrets.token_hex(4)}"
    hit_id = create_hit(
        hit_mturk,
        title,
        [{"QualificationTypeId": type_id, "Comparator": "GreaterThanOrEqualTo", "IntegerValues": [80]}],
    )
    worker = new_worker_id()

    row = hit_row(browser, base, worker, title, hit_id, hit_mturk)
    assert row.find_element(By.CSS_SELECTOR, ".eligibility").text == "Not qualified"
    assert "you do not have it" in row.text

    browser.get(f"{base}/worker/{worker}/qualifications")
    browser.find_element(By.ID, "type_id").send_keys(type_id)
    navigate(browser, browser.find_element(By.XPATH, "//button[text()='Request']"))
    assert "What colour is a clear sky?" in browser.find_element(By.TAG_NAME, "main").text
    screenshot("worker-test")
    browser.find_element(By.CSS_SELECTOR, "input[name='s.sky'][value='blue']").click()
    navigate(browser, browser.find_element(By.ID, "submit-test"))
    assert "granted with the value 100" in browser.find_element(By.CSS_SELECTOR, ".notice").text
    qrow = browser.find_element(By.CSS_SELECTOR, f'tr[data-type-id="{type_id}"]')
    assert "Granted" in qrow.text

    score = hit_mturk.get_qualification_score(QualificationTypeId=type_id, WorkerId=worker)["Qualification"]
    assert (score["Status"], score["IntegerValue"]) == ("Granted", 100)

    row = hit_row(browser, base, worker, title, hit_id, hit_mturk)
    assert row.find_element(By.CSS_SELECTOR, ".eligibility").text == "Qualified"

    # The requester revokes it in the console, with a reason.
    browser.get(f"{base}/requester/{hit_credentials.access_key_id}/qualifications/{type_id}")
    hrow = browser.find_element(By.CSS_SELECTOR, f'tr[data-worker-id="{worker}"]')
    hrow.find_element(By.ID, f"reason-{worker}").send_keys("Answers copied from a neighbour")
    navigate(browser, hrow.find_element(By.CSS_SELECTOR, "button.revoke"))
    assert "Revoked" in browser.find_element(By.CSS_SELECTOR, f'tr[data-worker-id="{worker}"]').text
    screenshot("requester-qualification")

    row = hit_row(browser, base, worker, title, hit_id, hit_mturk)
    assert row.find_element(By.CSS_SELECTOR, ".eligibility").text == "Not qualified"
    assert "revoked: Answers copied from a neighbour" in row.text
    assert not row.find_elements(By.XPATH, ".//button[text()='Accept & Work']")
    screenshot("worker-not-qualified")
    screenshot("worker-not-qualified-phone", 390, 844)

    browser.get(f"{base}/worker/{worker}/qualifications")
    qrow = browser.find_element(By.CSS_SELECTOR, f'tr[data-type-id="{type_id}"]')
    assert "Revoked" in qrow.text and "Answers copied from a neighbour" in qrow.text
    browser.get(f"{base}/worker/{worker}/messages")
    assert "Answers copied from a neighbour" in browser.find_element(By.TAG_NAME, "tbody").text


def test_a_form_from_another_site_is_refused(browser, endpoint):
    """A POST without this browser's form token changes nothing."""
    worker = new_worker_id()
    page = (
        "data:text/html,<form method=post action='" + endpoint.url + "/worker'>"
        f"<input name=worker_id value={worker}><input name=country value=DE>"
        "<button id=go>go</button></form>"
    )
    browser.get(page)
    navigate(browser, browser.find_element(By.ID, "go"))
    assert browser.title.startswith("Refused")
    assert "another site" in browser.find_element(By.TAG_NAME, "main").text
    # The profile was not set: the worker has the default one, not the posted DE.
    browser.get(f"{endpoint.url}/worker/{worker}/qualifications")
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Locale DE" not in main and "Locale US" in main


FILE_FORM = f"""<QuestionForm xmlns="{QF_NS}">
<Question><QuestionIdentifier>photo</QuestionIdentifier><DisplayName>Photo</DisplayName><IsRequired>true</IsRequired>
<QuestionContent><Text>Upload a photo of the sky.</Text></QuestionContent>
<AnswerSpecification><FileUploadAnswer><MaxFileSizeInBytes>1024</MaxFileSizeInBytes><MinFileSizeInBytes>8</MinFileSizeInBytes></FileUploadAnswer></AnswerSpecification></Question>
<Question><QuestionIdentifier>caption</QuestionIdentifier><QuestionContent><Text>A caption</Text></QuestionContent>
<AnswerSpecification><FreeTextAnswer/></AnswerSpecification></Question>
</QuestionForm>"""


def test_a_file_chosen_in_the_page_is_stored_and_downloads_through_get_file_upload_url(
    browser, endpoint, hit_mturk, tmp_path
):
    base = endpoint.url
    title = f"Sky photo {secrets.token_hex(4)}"
    hit_id = hit_mturk.create_hit(
        Title=title,
        Description="A file upload of the browser tests",
        Reward="0.10",
        MaxAssignments=1,
        LifetimeInSeconds=3600,
        AssignmentDurationInSeconds=600,
        Question=FILE_FORM,
    )["HIT"]["HITId"]
    worker = new_worker_id()
    row = hit_row(browser, base, worker, title, hit_id, hit_mturk)
    navigate(browser, row.find_element(By.XPATH, ".//button[text()='Accept & Work']"))
    assignment_id = browser.find_element(By.ID, "assignment-id").text
    assert "8 to 1024 bytes" in browser.find_element(By.CSS_SELECTOR, "label[for='f.photo']").text

    too_small = tmp_path / "tiny.png"
    too_small.write_bytes(b"\x89PNG")
    browser.find_element(By.ID, "f.photo").send_keys(str(too_small))
    navigate(browser, browser.find_element(By.ID, "submit-answers"))
    assert "AWS.ParameterOutOfRange" in browser.find_element(By.CSS_SELECTOR, ".error").text
    assert hit_mturk.list_assignments_for_hit(HITId=hit_id)["Assignments"] == [], "nothing was submitted"

    photo = tmp_path / "sky.png"
    content = b"\x89PNG\r\n\x1a\n" + secrets.token_bytes(100)
    photo.write_bytes(content)
    browser.find_element(By.ID, "f.photo").send_keys(str(photo))
    browser.find_element(By.ID, "q.caption").send_keys("Blue")
    navigate(browser, browser.find_element(By.ID, "submit-answers"))
    assert "submitted" in browser.find_element(By.CSS_SELECTOR, ".notice").text

    got = hit_mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]
    assert got["AssignmentStatus"] == "Submitted"
    assert f"<UploadedFileSizeInBytes>{len(content)}</UploadedFileSizeInBytes>" in got["Answer"]
    assert "<FreeText>Blue</FreeText>" in got["Answer"]
    url = hit_mturk.get_file_upload_url(AssignmentId=assignment_id, QuestionIdentifier="photo")["FileUploadURL"]
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as r:
        assert r.read() == content


BATCH_TEMPLATE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"></head><body>
<form id="hit-form" method="post" action="/mturk/externalSubmit">
  <input type="hidden" name="assignmentId" id="assignmentId" value="">
  <p>Translate <b id="word">${word}</b> from ${lang}.</p>
  <label for="translation">Translation</label><input id="translation" name="translation" type="text">
  <input type="submit" id="submitButton" value="Submit">
</form>
<script>
  var p = new URLSearchParams(location.search);
  document.getElementById("assignmentId").value = p.get("assignmentId");
  document.getElementById("hit-form").action = p.get("turkSubmitTo") + "/mturk/externalSubmit";
</script>
</body></html>"""


# The fixed columns of the requester website's batch results CSV, in order.
RESULT_HEADER = [
    "HITId", "HITTypeId", "Title", "Description", "Keywords", "Reward", "CreationTime", "MaxAssignments",
    "RequesterAnnotation", "AssignmentDurationInSeconds", "AutoApprovalDelayInSeconds", "Expiration",
    "NumberOfSimilarHITs", "LifetimeInSeconds", "AssignmentId", "WorkerId", "AssignmentStatus", "AcceptTime",
    "SubmitTime", "AutoApprovalTime", "ApprovalTime", "RejectionTime", "RequesterFeedback", "WorkTimeInSeconds",
    "LifetimeApprovalRate", "Last30DaysApprovalRate", "Last7DaysApprovalRate",
]


def fetch_text(url: str) -> str:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as r:
        return r.read().decode("utf-8")


def upload_review(browser, base, key, batch_id, rows) -> None:
    browser.get(f"{base}/requester/{key}/batches/{batch_id}")
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    area = browser.find_element(By.ID, "r-csv")
    area.clear()
    area.send_keys(out.getvalue())
    navigate(browser, browser.find_element(By.ID, "upload-review"))


def test_a_csv_batch_round_trip(browser, screenshot, endpoint, hit_mturk, hit_credentials):
    base, key = endpoint.url, hit_credentials.access_key_id
    title = f"Translate a word {secrets.token_hex(4)}"
    browser.get(f"{base}/requester/{key}/batches")
    fields = {
        "b-name": "Words",
        "b-title": title,
        "b-description": "One word to translate",
        "b-keywords": "translation",
        "b-template": BATCH_TEMPLATE,
        "b-csv": 'word,lang\napple,English\n"pomme, rouge",French\n',
    }
    for field, value in fields.items():
        element = browser.find_element(By.ID, field)
        element.clear()
        element.send_keys(value)
    reward = browser.find_element(By.ID, "b-reward")
    reward.clear()
    reward.send_keys("0.05")
    screenshot("requester-new-batch")
    navigate(browser, browser.find_element(By.ID, "create-batch"))
    assert "Batch Words created." in browser.find_element(By.CSS_SELECTOR, ".notice").text
    batch_id = browser.current_url.rsplit("/", 1)[1].split("?")[0]
    rows = browser.find_elements(By.CSS_SELECTOR, "tbody tr")
    hit_ids = [r.find_element(By.CSS_SELECTOR, "td:nth-child(2)").text for r in rows]
    assert len(hit_ids) == 2
    for hit_id, word in zip(hit_ids, ["apple", "pomme, rouge"]):
        hit = hit_mturk.get_hit(HITId=hit_id)["HIT"]
        assert hit["Title"] == title and hit["Reward"] == "0.05"
        assert f"<b id=\"word\">{word}</b>" in hit["Question"]

    # The batch's HITs are one HIT group; two workers each take the next HIT of it (Accept & Work).
    row = hit_row(browser, base, new_worker_id(), title, hit_ids[0], hit_mturk)
    assert row.find_element(By.CSS_SELECTOR, ".available").text == "2"
    translations = dict(zip(hit_ids, ["Apfel", "roter Apfel"]))
    done = {}
    for worker in [new_worker_id(), new_worker_id()]:
        row = hit_row(browser, base, worker, title, hit_ids[0], hit_mturk)
        navigate(browser, row.find_element(By.XPATH, ".//button[text()='Accept & Work']"))
        hit_id = browser.find_element(By.ID, "hit-id").text
        done[hit_id] = (worker, browser.find_element(By.ID, "assignment-id").text)
        browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, "iframe.hit"))
        browser.find_element(By.ID, "translation").send_keys(translations[hit_id])
        browser.find_element(By.ID, "submitButton").click()
        wait_for_text(browser, "was submitted")
        browser.switch_to.default_content()
    assert sorted(done) == sorted(hit_ids), "each worker got a different HIT of the group"
    workers = [done[h][0] for h in hit_ids]
    assignments = [done[h][1] for h in hit_ids]

    browser.get(f"{base}/requester/{key}/batches/{batch_id}")
    assert browser.find_element(By.ID, "progress-submitted").text == "2"
    screenshot("requester-batch")

    # The results CSV: MTurk's columns, then Input.*, Answer.*, Approve, Reject.
    text = fetch_text(f"{base}/requester/{key}/batches/{batch_id}/results.csv")
    table = list(csv.reader(io.StringIO(text)))
    header, body = table[0], table[1:]
    assert header == RESULT_HEADER + ["Input.word", "Input.lang", "Answer.translation", "Approve", "Reject"]
    assert len(body) == 2
    by_assignment = {r[header.index("AssignmentId")]: dict(zip(header, r)) for r in body}
    for hit_id, worker, assignment, word, lang, translation in zip(
        hit_ids, workers, assignments, ["apple", "pomme, rouge"], ["English", "French"], ["Apfel", "roter Apfel"]
    ):
        got = by_assignment[assignment]
        api = hit_mturk.get_assignment(AssignmentId=assignment)
        a, h = api["Assignment"], api["HIT"]
        assert got["HITId"] == hit_id == a["HITId"]
        assert got["HITTypeId"] == h["HITTypeId"]
        assert got["Title"] == h["Title"]
        assert got["Reward"] == "$0.05"
        assert got["MaxAssignments"] == "1"
        assert got["WorkerId"] == worker == a["WorkerId"]
        assert got["AssignmentStatus"] == "Submitted" == a["AssignmentStatus"]
        assert got["AcceptTime"] and got["SubmitTime"]
        assert got["Input.word"] == word and got["Input.lang"] == lang
        assert got["Answer.translation"] == translation
        assert got["Approve"] == "" and got["Reject"] == ""

    # A CSV with errors (both marks, an unknown id) changes nothing.
    a_col, ap_col, rj_col = header.index("AssignmentId"), header.index("Approve"), header.index("Reject")
    bad = [header] + [list(r) for r in body]
    bad[1][ap_col], bad[1][rj_col] = "x", "No"
    bad.append(list(body[1]))
    bad[3][a_col], bad[3][ap_col] = "3NOSUCHASSIGNMENT0000000000000", "x"
    upload_review(browser, base, key, batch_id, bad)
    errors = browser.find_element(By.ID, "row-errors").text
    assert "Line 2: assignment" in errors and "both Approve and Reject" in errors
    assert "Line 4: there is no assignment" in errors
    for assignment in assignments:
        assert hit_mturk.get_assignment(AssignmentId=assignment)["Assignment"]["AssignmentStatus"] == "Submitted"

    # The same CSV marked well approves one and rejects the other.
    good = [header] + [list(r) for r in body]
    first = 1 if good[1][a_col] == assignments[0] else 2
    good[first][ap_col] = "x"
    good[3 - first][rj_col] = "Not a translation"
    upload_review(browser, base, key, batch_id, good)
    assert "1 approved, 1 rejected." in browser.find_element(By.CSS_SELECTOR, ".notice").text
    assert hit_mturk.get_assignment(AssignmentId=assignments[0])["Assignment"]["AssignmentStatus"] == "Approved"
    rejected = hit_mturk.get_assignment(AssignmentId=assignments[1])["Assignment"]
    assert (rejected["AssignmentStatus"], rejected["RequesterFeedback"]) == ("Rejected", "Not a translation")

    table = list(csv.reader(io.StringIO(fetch_text(f"{base}/requester/{key}/batches/{batch_id}/results.csv"))))
    after = {r[a_col]: dict(zip(table[0], r)) for r in table[1:]}
    assert after[assignments[0]]["AssignmentStatus"] == "Approved" and after[assignments[0]]["ApprovalTime"]
    assert after[assignments[1]]["AssignmentStatus"] == "Rejected"
    assert after[assignments[1]]["RequesterFeedback"] == "Not a translation"
