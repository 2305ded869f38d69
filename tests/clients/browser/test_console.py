"""The web console in a real browser (headless Chromium): what a person does
in a page is what boto3 then reads from the API, and the other way round."""

import secrets

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


def hit_row(browser, base: str, worker: str, title: str, hit_id: str):
    """The HIT's row in the worker's list, found by searching its title."""
    browser.get(f"{base}/worker/{worker}?q={title}")
    return browser.find_element(By.CSS_SELECTOR, f'tr[data-hit-id="{hit_id}"]')


def test_a_worker_does_an_html_question_and_the_requester_approves_it(browser, screenshot, endpoint, hit_mturk, hit_credentials):
    base = endpoint.url
    title = f"Name a colour {secrets.token_hex(4)}"
    hit_id = create_hit(hit_mturk, title)
    worker = new_worker_id()

    row = hit_row(browser, base, worker, title, hit_id)
    assert row.find_element(By.CSS_SELECTOR, ".eligibility").text == "Qualified"
    assert "$0.25" in row.text
    screenshot("worker-hits")

    # Preview: the HIT's page in its sandboxed frame, with the preview's assignment id.
    row.find_element(By.LINK_TEXT, "Preview").click()
    frame = browser.find_element(By.CSS_SELECTOR, "iframe.hit")
    assert frame.get_attribute("sandbox") == "allow-forms allow-scripts"
    assert "assignmentId=ASSIGNMENT_ID_NOT_AVAILABLE" in frame.get_attribute("src")

    browser.find_element(By.ID, "accept").click()
    assignment_id = browser.find_element(By.ID, "assignment-id").text
    assert browser.find_element(By.ID, "assignment-status").text == "Accepted"
    assert browser.find_element(By.CSS_SELECTOR, ".timer").text  # the countdown runs
    screenshot("worker-assignment")

    browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, "iframe.hit"))
    assert browser.find_element(By.ID, "assignmentId").get_attribute("value") == assignment_id
    browser.find_element(By.ID, "colour").send_keys("teal & <blue>")
    browser.find_element(By.ID, "submitButton").click()
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.TAG_NAME, "body"), "was submitted"))
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
    arow.find_element(By.CSS_SELECTOR, "button.approve").click()
    assert "approved" in browser.find_element(By.CSS_SELECTOR, ".notice").text
    got = hit_mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]
    assert got["AssignmentStatus"] == "Approved"
    assert got["RequesterFeedback"] == "Well done"

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

    row = hit_row(browser, base, worker, title, hit_id)
    assert row.find_element(By.CSS_SELECTOR, ".eligibility").text == "Not qualified"
    assert "you do not have it" in row.text

    browser.get(f"{base}/worker/{worker}/qualifications")
    browser.find_element(By.ID, "type_id").send_keys(type_id)
    browser.find_element(By.XPATH, "//button[text()='Request']").click()
    assert "What colour is a clear sky?" in browser.find_element(By.TAG_NAME, "main").text
    screenshot("worker-test")
    browser.find_element(By.CSS_SELECTOR, "input[name='s.sky'][value='blue']").click()
    browser.find_element(By.ID, "submit-test").click()
    assert "granted with the value 100" in browser.find_element(By.CSS_SELECTOR, ".notice").text
    qrow = browser.find_element(By.CSS_SELECTOR, f'tr[data-type-id="{type_id}"]')
    assert "Granted" in qrow.text

    score = hit_mturk.get_qualification_score(QualificationTypeId=type_id, WorkerId=worker)["Qualification"]
    assert (score["Status"], score["IntegerValue"]) == ("Granted", 100)

    row = hit_row(browser, base, worker, title, hit_id)
    assert row.find_element(By.CSS_SELECTOR, ".eligibility").text == "Qualified"

    # The requester revokes it in the console, with a reason.
    browser.get(f"{base}/requester/{hit_credentials.access_key_id}/qualifications/{type_id}")
    hrow = browser.find_element(By.CSS_SELECTOR, f'tr[data-worker-id="{worker}"]')
    hrow.find_element(By.ID, f"reason-{worker}").send_keys("Answers copied from a neighbour")
    hrow.find_element(By.CSS_SELECTOR, "button.revoke").click()
    assert "Revoked" in browser.find_element(By.CSS_SELECTOR, f'tr[data-worker-id="{worker}"]').text
    screenshot("requester-qualification")

    row = hit_row(browser, base, worker, title, hit_id)
    assert row.find_element(By.CSS_SELECTOR, ".eligibility").text == "Not qualified"
    assert "revoked: Answers copied from a neighbour" in row.text
    assert not row.find_elements(By.XPATH, ".//button[text()='Accept']")
    screenshot("worker-not-qualified")

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
    browser.find_element(By.ID, "go").click()
    assert browser.title.startswith("Refused")
    assert "another site" in browser.find_element(By.TAG_NAME, "main").text
    # The profile was not set: the worker has the default one, not the posted DE.
    browser.get(f"{endpoint.url}/worker/{worker}/qualifications")
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Locale DE" not in main and "Locale US" in main
