//! What real applications send, byte for byte where it matters: oTree 6's own
//! SigV4 client, Amazon's Perl SDK (`Net::Amazon::MechanicalTurk` 1.02), and
//! the hostile inputs a probe found (XML-illegal characters, instants past
//! year 9999, signatures that leave the operation unsigned).

use serde_json::{json, Value};

use crate::both_backends;
use crate::common::sigv4::sigv4_headers_signing;
use crate::common::{xml_text, TestApp, DEV_KEY, DEV_SECRET};

/// oTree signs exactly these headers (`otree/mturk_client.py`), as botocore does.
const OTREE_SIGNED: &str = "content-type;host;x-amz-date;x-amz-target";

const HTML_QUESTION: &str = r#"<HTMLQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd"><HTMLContent><![CDATA[<html><body><form><input name="x"/></form></body></html>]]></HTMLContent><FrameHeight>0</FrameHeight></HTMLQuestion>"#;

fn answer(text: &str) -> String {
    format!(
        r#"<QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"><Answer><QuestionIdentifier>q</QuestionIdentifier><FreeText>{text}</FreeText></Answer></QuestionFormAnswers>"#
    )
}

/// A JSON API call signed over `signed_headers`, with the body as sent.
async fn json_call_signing(app: &TestApp, signed_headers: &str, op: &str, body: &str) -> (u16, Value) {
    let host = app.base.trim_start_matches("http://");
    let at = mturk_local::domain::clock::Clock::now(&*app.wall);
    let headers = sigv4_headers_signing(signed_headers, DEV_KEY, DEV_SECRET, host, op, body.as_bytes(), at);
    let mut req = app.http.post(format!("{}/", app.base)).body(body.to_owned());
    for (k, v) in &headers {
        if k != "host" {
            req = req.header(k.as_str(), v.as_str());
        }
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// A call as oTree 6 makes it: `json.dumps(body)`, its four signed headers.
async fn otree(app: &TestApp, op: &str, body: &Value) -> (u16, Value) {
    json_call_signing(app, OTREE_SIGNED, op, &body.to_string()).await
}

/// `(status, TurkErrorCode)` of a refused call.
fn refused((status, body): &(u16, Value)) -> (u16, &str) {
    (*status, body["TurkErrorCode"].as_str().unwrap_or_default())
}

async fn otree_ok(app: &TestApp, op: &str, body: &Value) -> Value {
    let (status, out) = otree(app, op, body).await;
    assert_eq!(status, 200, "{op}: {out}");
    out
}

/// An HTMLQuestion HIT created the way oTree creates one.
async fn otree_hit(app: &TestApp, max: i64, token: &str) -> String {
    let created = otree_ok(
        app,
        "CreateHIT",
        &json!({
            "Title": "oTree study",
            "Description": "an economics experiment",
            "Keywords": "study",
            // oTree sends str(float(fee)).
            "Reward": "0.5",
            "MaxAssignments": max,
            "LifetimeInSeconds": 86_400,
            "AssignmentDurationInSeconds": 3600,
            "AutoApprovalDelayInSeconds": 604_800,
            "Question": HTML_QUESTION,
            "UniqueRequestToken": token,
        }),
    )
    .await;
    created["HIT"]["HITId"].as_str().unwrap().to_owned()
}

/// A simulated worker accepts and submits; returns the assignment id.
async fn work(app: &TestApp, worker: &str, hit: &str) -> String {
    let accepted = app.control("POST", &format!("/workers/{worker}/assignments"), Some(json!({ "HITId": hit }))).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    let id = accepted.json()["AssignmentId"].as_str().unwrap().to_owned();
    let body = json!({ "Answer": answer("done") });
    let submitted = app.control("POST", &format!("/assignments/{id}/submit"), Some(body)).await;
    assert_eq!(submitted.status, 200, "{}", submitted.body);
    id
}

/// oTree's `get_all_assignments`: pages of `MaxResults`, all three statuses,
/// `response['NextToken']` read after every page with items, stop at the
/// first empty page. Returns the assignment ids and the page sizes.
async fn get_all_assignments(app: &TestApp, hit: &str, max_results: i64) -> (Vec<String>, Vec<usize>) {
    let mut ids = Vec::new();
    let mut sizes = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({
            "HITId": hit,
            "MaxResults": max_results,
            "AssignmentStatuses": ["Submitted", "Approved", "Rejected"],
        });
        if let Some(t) = &token {
            body["NextToken"] = json!(t);
        }
        let page = otree_ok(app, "ListAssignmentsForHIT", &body).await;
        let items = page["Assignments"].as_array().unwrap();
        sizes.push(items.len());
        assert_eq!(page["NumResults"], json!(items.len()));
        if items.is_empty() {
            assert!(page.get("NextToken").is_none(), "an empty page ends the walk: {page}");
            break;
        }
        ids.extend(items.iter().map(|a| a["AssignmentId"].as_str().unwrap().to_owned()));
        let next = page["NextToken"].as_str().expect("oTree reads NextToken after every page with items");
        assert_ne!(Some(next), token.as_deref(), "a token is never handed out twice");
        token = Some(next.to_owned());
    }
    (ids, sizes)
}

both_backends!(otree_pays_its_participants_through_its_own_sigv4_client, |app: TestApp| async move {
    let hit = otree_hit(&app, 3, "otree_session_code").await;
    let mut by_worker = Vec::new();
    for w in ["A1OTREEPLAYERONE", "A2OTREEPLAYERTWO", "A3OTREEPLAYERTHREE"] {
        by_worker.push(work(&app, w, &hit).await);
    }
    let mut done = by_worker.clone();
    done.sort();

    // The payments page: one page of 100 with a token, then an empty page.
    let (mut ids, sizes) = get_all_assignments(&app, &hit, 100).await;
    assert_eq!(sizes, [3, 0]);
    ids.sort();
    assert_eq!(ids, done);
    // Smaller pages see each assignment exactly once too.
    let (mut paged, sizes) = get_all_assignments(&app, &hit, 2).await;
    assert_eq!(sizes, [2, 1, 0]);
    paged.sort();
    assert_eq!(paged, done);

    // oTree rejects with empty feedback (leaving the member out fails on MTurk).
    otree_ok(&app, "RejectAssignment", &json!({ "AssignmentId": by_worker[0], "RequesterFeedback": "" })).await;
    let rejected = otree_ok(&app, "GetAssignment", &json!({ "AssignmentId": by_worker[0] })).await;
    assert_eq!(rejected["Assignment"]["AssignmentStatus"], "Rejected");
    assert!(rejected["Assignment"].get("RequesterFeedback").is_none(), "empty feedback is no feedback");
    let missing = otree(&app, "RejectAssignment", &json!({ "AssignmentId": by_worker[1] })).await;
    assert_eq!(refused(&missing), (400, "AWS.MissingParameters"));
    // Approve with the assignment id alone, then the bonus as oTree sends it.
    otree_ok(&app, "ApproveAssignment", &json!({ "AssignmentId": by_worker[1] })).await;
    let bonus = json!({
        "WorkerId": "A2OTREEPLAYERTWO",
        "AssignmentId": by_worker[1],
        "BonusAmount": "1.25",
        "Reason": "Thank you",
        "UniqueRequestToken": format!("A2OTREEPLAYERTWO_{}", by_worker[1]),
    });
    otree_ok(&app, "SendBonus", &bonus).await;
    // An empty Reason is a value too: the model gives Reason no minimum length.
    let plain =
        json!({ "WorkerId": "A2OTREEPLAYERTWO", "AssignmentId": by_worker[1], "BonusAmount": "0.10", "Reason": "" });
    otree_ok(&app, "SendBonus", &plain).await;
    let bonuses = otree_ok(&app, "ListBonusPayments", &json!({ "AssignmentId": by_worker[1] })).await;
    let mut reasons: Vec<&str> =
        bonuses["BonusPayments"].as_array().unwrap().iter().map(|b| b["Reason"].as_str().unwrap()).collect();
    reasons.sort_unstable();
    assert_eq!(reasons, ["", "Thank you"]);
    // oTree ends a study by expiring the HIT with a float ExpireAt.
    let now = mturk_local::domain::clock::Clock::now(&*app.clock).to_epoch_seconds();
    otree_ok(&app, "UpdateExpirationForHIT", &json!({ "HITId": hit, "ExpireAt": now - 1.5 })).await;
    let expired = otree_ok(&app, "GetHIT", &json!({ "HITId": hit })).await;
    assert_eq!(expired["HIT"]["HITStatus"], "Reviewable");
});

both_backends!(empty_strings_are_values_where_the_model_sets_no_minimum, |app: TestApp| async move {
    let hit = otree_hit(&app, 1, "empty-strings").await;
    let assignment = work(&app, "A1EMPTYSTRINGS", &hit).await;
    // An empty CreateWorkerBlock Reason is a value.
    otree_ok(&app, "CreateWorkerBlock", &json!({ "WorkerId": "A1BLOCKEDWORKER", "Reason": "" })).await;
    // An empty title or subject is a value, but not a usable one: invalid, not missing.
    let mut no_title = json!({
        "Title": "", "Description": "d", "Reward": "0.10", "LifetimeInSeconds": 600,
        "AssignmentDurationInSeconds": 600, "Question": HTML_QUESTION,
    });
    assert_eq!(refused(&otree(&app, "CreateHIT", &no_title).await), (400, "AWS.MechanicalTurk.InvalidParameterValue"));
    no_title.as_object_mut().unwrap().remove("Title");
    assert_eq!(refused(&otree(&app, "CreateHIT", &no_title).await), (400, "AWS.MissingParameters"));
    let subject = json!({ "Subject": "", "MessageText": "hello", "WorkerIds": ["A1EMPTYSTRINGS"] });
    assert_eq!(
        refused(&otree(&app, "NotifyWorkers", &subject).await),
        (400, "AWS.MechanicalTurk.InvalidParameterValue")
    );
    // Members whose shape has a minimum length (ids) still count "" as missing.
    let no_id = otree(&app, "ApproveAssignment", &json!({ "AssignmentId": "" })).await;
    assert_eq!(refused(&no_id), (400, "AWS.MissingParameters"));
    // A money amount of "" fails the pattern.
    let no_money =
        json!({ "WorkerId": "A1EMPTYSTRINGS", "AssignmentId": assignment, "BonusAmount": "", "Reason": "r" });
    assert_eq!(refused(&otree(&app, "SendBonus", &no_money).await), (400, "AWS.MechanicalTurk.InvalidParameterValue"));
    // The legacy face reads the same rule: GrantBonus with `Reason=` present and empty.
    app.call("ApproveAssignment", &[("AssignmentId", &assignment), ("RequesterFeedback", "")]).await.ok();
    app.call(
        "GrantBonus",
        &[
            ("WorkerId", "A1EMPTYSTRINGS"),
            ("AssignmentId", &assignment),
            ("BonusAmount.1.Amount", "0.05"),
            ("Reason", ""),
        ],
    )
    .await
    .ok();
    app.call(
        "GrantBonus",
        &[("WorkerId", "A1EMPTYSTRINGS"), ("AssignmentId", &assignment), ("BonusAmount.1.Amount", "0.05")],
    )
    .await
    .err("AWS.MissingParameters");
    app.call("BlockWorker", &[("WorkerId", "A2BLOCKEDWORKER"), ("Reason", "")]).await.ok();
});

/// Signed legacy parameters as the Perl SDK sends them: `Version=2011-10-01`
/// and no `SignatureVersion`, POSTed to `/?Service=AWSMechanicalTurkRequester`.
async fn perl(app: &TestApp, version: &str, operation: &str, params: &[(&str, &str)]) -> crate::common::Answer {
    let mut form = app.signed(DEV_KEY, DEV_SECRET, operation, params);
    form.push(("Version".into(), version.into()));
    let body = crate::common::serde_urlencoded(&form);
    app.raw(
        "POST",
        "/?Service=AWSMechanicalTurkRequester",
        Some("application/x-www-form-urlencoded"),
        body.into_bytes(),
    )
    .await
}

both_backends!(amazons_perl_sdk_calls_are_answered, |app: TestApp| async move {
    // Net::Amazon::MechanicalTurk 1.02's default version.
    let balance = perl(&app, "2011-10-01", "GetAccountBalance", &[]).await.ok();
    assert_eq!(balance.text("Amount").as_deref(), Some("10000.00"));
    for version in mturk_local::protocol::legacy_xml::VERSIONS {
        perl(&app, version, "GetAccountBalance", &[]).await.ok();
    }
    for unpublished in ["2011-10-02", "2015-01-01", "latest"] {
        perl(&app, unpublished, "GetAccountBalance", &[]).await.err("AWS.MechanicalTurk.InvalidParameterValue");
    }

    // A value passed on from a parsed answer goes out as HITId.1 (the SDK's destroyHIT helper).
    let hit = otree_hit(&app, 1, "perl").await;
    let got = perl(&app, "2011-10-01", "GetHIT", &[("HITId.1", &hit)]).await.ok();
    assert_eq!(got.text("HITId").as_deref(), Some(hit.as_str()));
    perl(&app, "2011-10-01", "GetAssignmentsForHIT", &[("HITId.1", &hit)]).await.ok();
    perl(&app, "2011-10-01", "GetHIT", &[("HITId", &hit), ("HITId.1", &hit)]).await.ok();
    let both = perl(&app, "2011-10-01", "GetHIT", &[("HITId", &hit), ("HITId.1", "3OTHERHIT")]).await;
    let both = both.err("AWS.MechanicalTurk.InvalidParameterValue");
    assert!(both.text("Message").unwrap().contains("HITId and HITId.1"), "{}", both.body);
    perl(&app, "2011-10-01", "DisableHIT", &[("HITId.1", &hit)]).await.ok();
    let gone = perl(&app, "2011-10-01", "GetHIT", &[("HITId.1", &hit)]).await.ok();
    assert_eq!(gone.text("HITStatus").as_deref(), Some("Disposed"));
});

both_backends!(legacy_notify_workers_reports_each_worker_it_cannot_reach, |app: TestApp| async move {
    let qt = app.create_type("notify", &[]).await;
    app.call(
        "AssignQualification",
        &[("QualificationTypeId", &qt), ("WorkerId", "A1KNOWNWORKER"), ("SendNotification", "false")],
    )
    .await
    .ok();
    let sent = app
        .call(
            "NotifyWorkers",
            &[
                ("Subject", "hi"),
                ("MessageText", "news"),
                ("WorkerId.1", "A1KNOWNWORKER"),
                ("WorkerId.2", "A2STRANGER"),
            ],
        )
        .await
        .ok();
    // The children in the order of the live service's 2013 answer (cloudyr/MTurkR issue 29).
    assert!(
        sent.body.contains(
            "<Request><IsValid>True</IsValid></Request><NotifyWorkersFailureStatus><WorkerId>A2STRANGER</WorkerId>\
             <NotifyWorkersFailureMessage>Cannot send a notification to a worker who has not done any work for you\
             </NotifyWorkersFailureMessage><NotifyWorkersFailureCode>HardFailure</NotifyWorkersFailureCode>\
             </NotifyWorkersFailureStatus></NotifyWorkersResult>"
        ),
        "{}",
        sent.body
    );
    let all_good = app
        .call("NotifyWorkers", &[("Subject", "hi"), ("MessageText", "news"), ("WorkerId", "A1KNOWNWORKER")])
        .await
        .ok();
    assert!(!all_good.body.contains("NotifyWorkersFailureStatus"), "{}", all_good.body);
    // The JSON face reports the same failure in the same words.
    let json =
        otree_ok(&app, "NotifyWorkers", &json!({ "Subject": "s", "MessageText": "m", "WorkerIds": ["A2STRANGER"] }))
            .await;
    assert_eq!(
        json["NotifyWorkersFailureStatuses"],
        json!([{
            "NotifyWorkersFailureCode": "HardFailure",
            "NotifyWorkersFailureMessage": "Cannot send a notification to a worker who has not done any work for you",
            "WorkerId": "A2STRANGER",
        }])
    );
});

#[tokio::test]
async fn a_signature_must_cover_the_host_and_the_operation() {
    let app = TestApp::spawn(&crate::common::Backend::Sqlite).await;
    let hit = otree_hit(&app, 1, "sigv4").await;
    // What every SDK signs passes.
    let (status, _) = json_call_signing(&app, OTREE_SIGNED, "GetAccountBalance", "{}").await;
    assert_eq!(status, 200);
    // Without X-Amz-Target among the signed headers, the same signature would verify with
    // any other target in its place: refused, and the HIT is still there.
    let body = json!({ "HITId": hit }).to_string();
    let (status, out) = json_call_signing(&app, "content-type;host;x-amz-date", "DeleteHIT", &body).await;
    assert_eq!((status, &out["__type"]), (403, &json!("com.amazon.coral.service#IncompleteSignatureException")));
    assert!(out["Message"].as_str().unwrap().contains("X-Amz-Target"), "{out}");
    let (status, out) =
        json_call_signing(&app, "content-type;x-amz-date;x-amz-target", "GetAccountBalance", "{}").await;
    assert_eq!((status, &out["__type"]), (403, &json!("com.amazon.coral.service#InvalidSignatureException")));
    let (status, still) = otree(&app, "GetHIT", &json!({ "HITId": hit })).await;
    assert_eq!((status, &still["HIT"]["HITStatus"]), (200, &json!("Assignable")));
}

both_backends!(characters_xml_forbids_are_refused_and_nothing_is_stored, |app: TestApp| async move {
    let invalid = (400, "AWS.MechanicalTurk.InvalidParameterValue");
    // U+0000 answered HTTP 500 on PostgreSQL and was stored as sent on SQLite.
    for name in ["nul\u{0}name", "bell\u{7}name", "\u{1}"] {
        let body = json!({ "Name": name, "Description": "d", "QualificationTypeStatus": "Active" });
        assert_eq!(refused(&otree(&app, "CreateQualificationType", &body).await), invalid, "{name:?}");
    }
    let nested = json!({
        "Title": "t", "Description": "d", "Reward": "0.10", "LifetimeInSeconds": 600,
        "AssignmentDurationInSeconds": 600, "Question": HTML_QUESTION,
        "QualificationRequirements": [{ "QualificationTypeId": "000000000000000000L0", "Comparator": "In",
            "LocaleValues": [{ "Country": "US", "Subdivision": "N\u{0}Y" }] }],
    });
    assert_eq!(refused(&otree(&app, "CreateHIT", &nested).await), invalid);
    // The legacy face already refused them; same code, same words.
    let legacy = app
        .call(
            "CreateQualificationType",
            &[("Name", "nul\u{0}"), ("Description", "d"), ("QualificationTypeStatus", "Active")],
        )
        .await;
    let legacy = legacy.err("AWS.MechanicalTurk.InvalidParameterValue");
    let json_message = otree(
        &app,
        "CreateQualificationType",
        &json!({ "Name": "nul\u{0}", "Description": "d", "QualificationTypeStatus": "Active" }),
    )
    .await
    .1["Message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(json_message.starts_with(&legacy.text("Message").unwrap()[..40]), "{json_message}");
    let types =
        otree_ok(&app, "ListQualificationTypes", &json!({ "MustBeRequestable": false, "MustBeOwnedByCaller": true }))
            .await;
    assert_eq!(types["NumResults"], 0, "nothing was stored: {types}");

    // A character reference to a forbidden character inside an XML document parameter.
    let question = HTML_QUESTION.replace("<input name=\"x\"/>", "&#1;").replace("<![CDATA[", "").replace("]]>", "");
    let with_ref = json!({
        "Title": "t", "Description": "d", "Reward": "0.10", "LifetimeInSeconds": 600,
        "AssignmentDurationInSeconds": 600, "Question": question,
    });
    assert_eq!(refused(&otree(&app, "CreateHIT", &with_ref).await), (400, "AWS.MechanicalTurk.XMLParseError"));
    let hits = otree_ok(&app, "ListHITs", &json!({})).await;
    assert_eq!(hits["NumResults"], 0, "nothing was stored: {hits}");

    // A worker's Answer with one: refused, and the assignment is still open.
    let hit = otree_hit(&app, 1, "xml-chars").await;
    let accepted = app.control("POST", "/workers/A1XMLWORKER/assignments", Some(json!({ "HITId": hit }))).await.json();
    let id = accepted["AssignmentId"].as_str().unwrap().to_owned();
    for (bad, code) in [
        (answer("bad &#x1; text"), "AWS.MechanicalTurk.XMLParseError"),
        (answer("bad \u{1} text"), "AWS.MechanicalTurk.InvalidParameterValue"),
    ] {
        let submitted = app.control("POST", &format!("/assignments/{id}/submit"), Some(json!({ "Answer": bad }))).await;
        assert_eq!(submitted.status, 400, "{}", submitted.body);
        assert_eq!(submitted.json()["Code"], code);
    }
    let form = format!("assignmentId={id}&comment=bell%07");
    let external =
        app.raw("POST", "/mturk/externalSubmit", Some("application/x-www-form-urlencoded"), form.into_bytes()).await;
    assert_eq!(external.status, 400, "{}", external.body);
    let still = otree_ok(&app, "ListAssignmentsForHIT", &json!({ "HITId": hit })).await;
    assert_eq!(still["NumResults"], 0, "no submitted assignment: {still}");
    app.control("POST", &format!("/assignments/{id}/submit"), Some(json!({ "Answer": answer("fine") }))).await.json();
    assert_eq!(otree_ok(&app, "ListAssignmentsForHIT", &json!({ "HITId": hit })).await["NumResults"], 1);
});

both_backends!(durations_and_instants_are_range_checked_before_year_10000, |app: TestApp| async move {
    let range = (400, "AWS.ParameterOutOfRange");
    let test_form = r#"<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionForm.xsd"><Question><QuestionIdentifier>q</QuestionIdentifier><QuestionContent><Text>?</Text></QuestionContent><AnswerSpecification><FreeTextAnswer/></AnswerSpecification></Question></QuestionForm>"#;
    let huge = json!({
        "Name": "huge", "Description": "d", "QualificationTypeStatus": "Active",
        "Test": test_form, "TestDurationInSeconds": i64::MAX,
    });
    assert_eq!(refused(&otree(&app, "CreateQualificationType", &huge).await), range);
    let retry = json!({ "Name": "retry", "Description": "d", "QualificationTypeStatus": "Active", "RetryDelayInSeconds": i64::MAX });
    assert_eq!(refused(&otree(&app, "CreateQualificationType", &retry).await), range);
    app.call(
        "CreateQualificationType",
        &[
            ("Name", "huge"),
            ("Description", "d"),
            ("QualificationTypeStatus", "Active"),
            ("Test", test_form),
            ("TestDurationInSeconds", "9223372036854775807"),
        ],
    )
    .await
    .err("AWS.ParameterOutOfRange");

    let hit = otree_hit(&app, 1, "time").await;
    // 10000-01-01T00:00:00Z.
    let year_10000 =
        otree(&app, "UpdateExpirationForHIT", &json!({ "HITId": hit, "ExpireAt": 253_402_300_800_i64 })).await;
    assert_eq!(refused(&year_10000), range);
    let before = otree_ok(&app, "GetHIT", &json!({ "HITId": hit })).await;
    assert_eq!(before["HIT"]["HITStatus"], "Assignable");
    otree_ok(&app, "UpdateExpirationForHIT", &json!({ "HITId": hit, "ExpireAt": 253_402_300_000_i64 })).await;

    // The clock stops at 9999-12-31; a HIT whose lifetime would end after it is refused.
    let past = app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 3_153_600_000_i64 }))).await;
    assert_eq!(past.status, 200, "a century ahead is allowed: {}", past.body);
    let far = app.control("POST", "/clock", Some(json!({ "Set": "9999-12-31T23:00:00Z" }))).await;
    assert_eq!(far.status, 200, "{}", far.body);
    let beyond = app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 7200 }))).await;
    assert_eq!((beyond.status, beyond.json()["Code"].clone()), (400, json!("AWS.ParameterOutOfRange")));
    let late = json!({
        "Title": "late", "Description": "d", "Reward": "0.10", "LifetimeInSeconds": 7200,
        "AssignmentDurationInSeconds": 600, "Question": HTML_QUESTION,
    });
    assert_eq!(refused(&otree(&app, "CreateHIT", &late).await), range);
    app.call("ExtendHIT", &[("HITId", &hit), ("ExpirationIncrementInSeconds", "31536000")])
        .await
        .err("AWS.ParameterOutOfRange");
    // Every listing still renders four-digit years.
    let listed = otree_ok(&app, "ListHITs", &json!({})).await;
    assert_eq!(listed["NumResults"], 1);
    assert!(listed["HITs"][0]["Expiration"].as_f64().unwrap() <= 253_402_300_799.999);
    let legacy = app.call("GetHIT", &[("HITId", &hit)]).await.ok();
    assert!(xml_text(&legacy.body, "Expiration").unwrap().starts_with("9999-"), "{}", legacy.body);
});

both_backends!(a_workers_own_list_shows_an_overdue_auto_approval_as_approved, |app: TestApp| async move {
    // The HIT auto-approves a week after submission (oTree's AutoApprovalDelayInSeconds).
    let hit = otree_hit(&app, 1, "auto-approval").await;
    let assignment = work(&app, "A1AUTOAPPROVED", &hit).await;
    app.advance(604_800 + 1);
    // Nothing else was asked of the server since the deadline passed: the worker's own list
    // must settle the clock itself, as every requester read does.
    let mine = app.control("GET", "/workers/A1AUTOAPPROVED/assignments", None).await.json();
    assert_eq!(mine["Assignments"][0]["AssignmentId"], json!(assignment));
    assert_eq!(mine["Assignments"][0]["Status"], "Approved", "{mine}");
});
