//! The worker simulator, the virtual clock and reset, driven the way the
//! MTurk documentation tells the revocation story.

use serde_json::json;

use crate::both_backends;
use crate::common::documents::{answer, ANSWER_KEY, QUESTION_FORM};
use crate::common::TestApp;

const WORKER: &str = "A1RO9UJNWXMU65";

async fn request(app: &TestApp, qt: &str, answer: Option<String>) -> crate::common::Answer {
    let mut body = json!({ "QualificationTypeId": qt });
    if let Some(a) = answer {
        body["Answer"] = json!(a);
    }
    app.control("POST", &format!("/workers/{WORKER}/qualification-requests"), Some(body)).await
}

both_backends!(a_revoked_worker_requests_again_after_the_retry_delay, |app: TestApp| async move {
    // Create a type with a retry delay; the worker requests, the owner grants.
    let qt = app.create_type("Story", &[("RetryDelayInSeconds", "86400")]).await;
    let first = request(&app, &qt, None).await.json();
    assert_eq!(first["Status"], "Pending");
    let req_id = first["QualificationRequestId"].as_str().unwrap().to_owned();
    app.call("GrantQualification", &[("QualificationRequestId", &req_id), ("IntegerValue", "80")]).await.ok();
    // The owner revokes with a reason; the worker sees it.
    app.call(
        "RevokeQualification",
        &[("SubjectId", WORKER), ("QualificationTypeId", &qt), ("Reason", "Quality dropped.")],
    )
    .await
    .ok();
    let notes = app.control("GET", &format!("/workers/{WORKER}/notifications"), None).await.json();
    assert_eq!(notes["Notifications"][0]["Text"], "Quality dropped.");
    let held = app.control("GET", &format!("/workers/{WORKER}/qualifications"), None).await.json();
    assert_eq!(held["Qualifications"][0]["Status"], "Revoked");
    // The worker cannot re-request until the delay has passed.
    let early = request(&app, &qt, None).await;
    assert_eq!(early.status, 400);
    assert_eq!(early.json()["Code"], "AWS.MechanicalTurk.QualificationTypeRetryDelayNotElapsed");
    app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 86_399 }))).await;
    assert_eq!(
        request(&app, &qt, None).await.json()["Code"],
        "AWS.MechanicalTurk.QualificationTypeRetryDelayNotElapsed"
    );
    app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 1 }))).await;
    // Re-request, owner grants again, the score is back with a new grant time.
    let second = request(&app, &qt, None).await.json();
    assert_eq!(second["Status"], "Pending");
    let second_id = second["QualificationRequestId"].as_str().unwrap().to_owned();
    assert_ne!(second_id, req_id);
    app.call("GrantQualification", &[("QualificationRequestId", &second_id), ("IntegerValue", "90")]).await.ok();
    let score = app.call("GetQualificationScore", &[("QualificationTypeId", &qt), ("SubjectId", WORKER)]).await.ok();
    assert_eq!(score.text("Status").as_deref(), Some("Granted"));
    assert_eq!(score.text("IntegerValue").as_deref(), Some("90"));
    assert_eq!(score.text("GrantTime").as_deref(), Some("2026-01-02T00:00:00Z"));
});

both_backends!(without_a_retry_delay_a_worker_may_request_only_once, |app: TestApp| async move {
    let qt = app.create_type("once", &[]).await;
    let first = request(&app, &qt, None).await.json();
    let id = first["QualificationRequestId"].as_str().unwrap().to_owned();
    // A second request while the first is open is refused too.
    assert_eq!(request(&app, &qt, None).await.json()["Code"], "AWS.MechanicalTurk.InvalidQualificationRequestState");
    app.call("RejectQualificationRequest", &[("QualificationRequestId", &id), ("Reason", "no")]).await.ok();
    app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 10_000_000 }))).await;
    let again = request(&app, &qt, None).await;
    assert_eq!(again.status, 400);
    assert_eq!(again.json()["Code"], "AWS.MechanicalTurk.QualificationTypeDoesNotAllowRetake");
});

both_backends!(auto_granted_types_grant_at_once_and_inactive_ones_refuse, |app: TestApp| async move {
    let qt = app
        .create_type("auto", &[("AutoGranted", "true"), ("AutoGrantedValue", "7"), ("RetryDelayInSeconds", "0")])
        .await;
    let r = request(&app, &qt, None).await.json();
    assert_eq!(r["Status"], "Granted");
    assert_eq!(r["IntegerValue"], 7);
    let s = app.call("GetQualificationScore", &[("QualificationTypeId", &qt), ("SubjectId", WORKER)]).await.ok();
    assert_eq!(s.text("IntegerValue").as_deref(), Some("7"));
    let pending = app.call("GetQualificationRequests", &[]).await.ok();
    assert_eq!(pending.text("TotalNumResults").as_deref(), Some("0"), "auto-granted requests are never pending");
    app.call("UpdateQualificationType", &[("QualificationTypeId", &qt), ("QualificationTypeStatus", "Inactive")])
        .await
        .ok();
    let refused = request(&app, &qt, None).await;
    assert_eq!(refused.json()["Code"], "AWS.MechanicalTurk.InvalidQualificationTypeState");
    let unknown = request(&app, "3NOSUCHTYPE0000000000000000000", None).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["Code"], "AWS.MechanicalTurk.QualificationTypeDoesNotExist");
});

both_backends!(tests_with_an_answer_key_are_scored_and_tests_without_wait_for_the_owner, |app: TestApp| async move {
    let keyed = app
        .create_type(
            "keyed",
            &[
                ("Test", QUESTION_FORM),
                ("TestDurationInSeconds", "300"),
                ("AnswerKey", ANSWER_KEY),
                ("RetryDelayInSeconds", "60"),
            ],
        )
        .await;
    let wrong = request(&app, &keyed, Some(answer("red"))).await.json();
    assert_eq!(wrong["Status"], "Granted");
    assert_eq!(wrong["IntegerValue"], 0);
    app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 60 }))).await;
    // Taking the test in two steps: start, then answer before the deadline.
    let started = request(&app, &keyed, None).await.json();
    assert_eq!(started["Status"], "TestStarted");
    assert_eq!(started["Test"], QUESTION_FORM);
    let id = started["QualificationRequestId"].as_str().unwrap().to_owned();
    let answered = app
        .control(
            "POST",
            &format!("/workers/{WORKER}/qualification-requests/{id}/answer"),
            Some(json!({ "Answer": answer("blue") })),
        )
        .await
        .json();
    assert_eq!(answered["Status"], "Granted");
    assert_eq!(answered["IntegerValue"], 100);
    let s = app.call("GetQualificationScore", &[("QualificationTypeId", &keyed), ("SubjectId", WORKER)]).await.ok();
    assert_eq!(s.text("IntegerValue").as_deref(), Some("100"));
    // Bad answers are XML errors; late answers are refused and the request is closed.
    let bad = request(&app, &keyed, Some("<QuestionFormAnswers>".into())).await;
    assert_eq!(bad.json()["Code"], "AWS.MechanicalTurk.XMLParseError");
    app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 60 }))).await;
    let late = request(&app, &keyed, None).await.json();
    let late_id = late["QualificationRequestId"].as_str().unwrap().to_owned();
    app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 301 }))).await;
    let too_late = app
        .control(
            "POST",
            &format!("/workers/{WORKER}/qualification-requests/{late_id}/answer"),
            Some(json!({ "Answer": answer("blue") })),
        )
        .await;
    assert_eq!(too_late.json()["Code"], "AWS.MechanicalTurk.InvalidQualificationRequestState");
    // A test left to lapse without answers does not block the next attempt.
    app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 60 }))).await;
    let abandoned = request(&app, &keyed, None).await.json();
    assert_eq!(abandoned["Status"], "TestStarted");
    app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 301 }))).await;
    assert_eq!(request(&app, &keyed, None).await.json()["Status"], "TestStarted");

    // Without an answer key the owner sees the answers and decides; a test taken in two steps
    // is listed only once answered (TestPending → Submitted).
    let manual = app.create_type("manual test", &[("Test", QUESTION_FORM), ("TestDurationInSeconds", "300")]).await;
    let started = request(&app, &manual, None).await.json();
    assert_eq!(started["Status"], "TestStarted");
    let none_yet = app.call("GetQualificationRequests", &[("QualificationTypeId", &manual)]).await.ok();
    assert_eq!(none_yet.text("TotalNumResults").as_deref(), Some("0"));
    let id = started["QualificationRequestId"].as_str().unwrap().to_owned();
    let pending = app
        .control(
            "POST",
            &format!("/workers/{WORKER}/qualification-requests/{id}/answer"),
            Some(json!({ "Answer": answer("blue") })),
        )
        .await
        .json();
    assert_eq!(pending["Status"], "Pending");
    let listed = app.call("GetQualificationRequests", &[("QualificationTypeId", &manual)]).await.ok();
    assert_eq!(listed.text("Answer"), Some(answer("blue")));
    assert_eq!(listed.text("Test").as_deref(), Some(QUESTION_FORM));
    // A type without a test takes no answer.
    let plain = app.create_type("plain", &[]).await;
    assert_eq!(
        request(&app, &plain, Some(answer("blue"))).await.json()["Code"],
        "AWS.MechanicalTurk.InvalidParameterValue"
    );
});

both_backends!(the_clock_reads_advances_and_sets, |app: TestApp| async move {
    let now = app.control("GET", "/clock", None).await.json();
    assert_eq!(now["Now"], "2026-01-01T00:00:00.000Z");
    let later = app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 90 }))).await.json();
    assert_eq!(later["Now"], "2026-01-01T00:01:30.000Z");
    let set = app.control("POST", "/clock", Some(json!({ "Set": "2030-06-01T12:00:00Z" }))).await.json();
    assert_eq!(set["Now"], "2030-06-01T12:00:00.000Z");
    let qt = app.create_type("timed", &[]).await;
    let t = app.call("GetQualificationType", &[("QualificationTypeId", &qt)]).await.ok();
    assert_eq!(
        t.text("CreationTime").as_deref(),
        Some("2030-06-01T12:00:00Z"),
        "API timestamps follow the virtual clock"
    );
    for bad in [
        json!({ "AdvanceSeconds": -5 }),
        json!({ "Set": "tomorrow" }),
        json!({}),
        json!({ "AdvanceSeconds": 1, "Set": "2030-01-01T00:00:00Z" }),
        json!({ "Bogus": 1 }),
    ] {
        let answer = app.control("POST", "/clock", Some(bad.clone())).await;
        assert_eq!(answer.status, 400, "{bad}: {}", answer.body);
        assert!(answer.json()["Code"].as_str().unwrap().starts_with("AWS."), "{bad}");
    }
    let not_json = app.raw("POST", "/_local/clock", Some("application/json"), b"{".to_vec()).await;
    assert_eq!(not_json.status, 400);
});

both_backends!(reset_empties_everything_but_the_requesters, |app: TestApp| async move {
    let qt = app.create_type("temporary", &[]).await;
    app.call("AssignQualification", &[("QualificationTypeId", &qt), ("WorkerId", WORKER)]).await.ok();
    app.call("BlockWorker", &[("WorkerId", WORKER), ("Reason", "r")]).await.ok();
    app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 500 }))).await;
    let reset = app.control("POST", "/reset", None).await;
    assert_eq!(reset.status, 200);
    app.call("GetQualificationType", &[("QualificationTypeId", &qt)])
        .await
        .err("AWS.MechanicalTurk.QualificationTypeDoesNotExist");
    let blocks = app.call("GetBlockedWorkers", &[]).await.ok();
    assert_eq!(blocks.text("TotalNumResults").as_deref(), Some("0"));
    assert_eq!(app.control("GET", "/clock", None).await.json()["OffsetSeconds"], 0);
    // Requesters still authenticate, system types still exist, names are free.
    app.call("GetQualificationType", &[("QualificationTypeId", "00000000000000000071")]).await.ok();
    app.create_type("temporary", &[]).await;
    // Balances are back to their starting values.
    let other = app.call_as(crate::common::OTHER_KEY, crate::common::OTHER_SECRET, "GetAccountBalance", &[]).await.ok();
    assert_eq!(other.text("Amount").as_deref(), Some("25.00"));
});

#[tokio::test]
async fn beyond_loopback_the_control_plane_needs_its_token() {
    // Listening on all interfaces; requests still arrive over loopback.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("c.db").display());
    let mut off = TestApp::spawn_on(&url, Some(dir), |s| s.server.listen = "0.0.0.0:0".into()).await;
    off.base = off.base.replace("0.0.0.0", "127.0.0.1");
    let refused = off.control("GET", "/clock", None).await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.json()["Code"], "MturkLocal.Unauthorized");
    assert!(!refused.body.contains("Now"));

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    let app = TestApp::spawn_on(&url, Some(dir), |s| {
        s.server.listen = "0.0.0.0:0".into();
        s.control.token = "s3cret".into();
    })
    .await;
    let base = app.base.replace("0.0.0.0", "127.0.0.1");
    let without = app.http.get(format!("{base}/_local/clock")).send().await.unwrap();
    assert_eq!(without.status().as_u16(), 401);
    let wrong = app.http.get(format!("{base}/_local/clock")).bearer_auth("nope").send().await.unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let right = app.http.get(format!("{base}/_local/clock")).bearer_auth("s3cret").send().await.unwrap();
    assert_eq!(right.status().as_u16(), 200);
}
