//! `POST /_local/reset` empties every table of the store. The list of tables
//! comes from the schema itself (`sqlite_master`, `information_schema`), so a
//! table added by a new migration fails this test until the test gives it a
//! row and reset empties it. The one documented exception is the snapshot
//! storage (the `snapshots` registry and its `snap_*` copies): reset keeps
//! every snapshot, so that a test suite can reset and restore a baseline.

use aws_sdk_mturk::types::{Comparator, ParameterMapEntry, PolicyParameter, QualificationRequirement, ReviewPolicy};
use serde_json::json;

use crate::both_backends;
use crate::common::sdk::sdk;
use crate::common::{is_state_table, table_rows, TestApp, DEV_KEY, DEV_SECRET};

const WORKER: &str = "A1RESETWORKER";
const QUESTION: &str = r#"<ExternalQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/ExternalQuestion.xsd"><ExternalURL>https://example.org/task</ExternalURL><FrameHeight>600</FrameHeight></ExternalQuestion>"#;
const ANSWER: &str = r#"<QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"><Answer><QuestionIdentifier>q</QuestionIdentifier><FreeText>done</FreeText></Answer></QuestionFormAnswers>"#;

const FILE_FORM: &str = r#"<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionForm.xsd"><Question><QuestionIdentifier>f</QuestionIdentifier><QuestionContent><Text>A file</Text></QuestionContent><AnswerSpecification><FileUploadAnswer><MaxFileSizeInBytes>100</MaxFileSizeInBytes><MinFileSizeInBytes>1</MinFileSizeInBytes></FileUploadAnswer></AnswerSpecification></Question></QuestionForm>"#;

/// Tables of the migration runners, which reset leaves alone.
fn bookkeeping(table: &str) -> bool {
    matches!(table, "schema_migrations" | "_sqlx_migrations")
}

/// The snapshot storage, which reset leaves alone too.
fn snapshot_storage(table: &str) -> bool {
    !bookkeeping(table) && !is_state_table(table)
}

/// A table's rows without what legitimately differs between a fresh store
/// and a reset one: the requesters' `created_at` (the time of the reset),
/// their last column.
fn comparable(table: &str, rows: &[String]) -> Vec<String> {
    if table != "requesters" {
        return rows.to_vec();
    }
    rows.iter().map(|r| r.rsplit_once(['|', ',']).map_or(r.as_str(), |(head, _)| head).to_owned()).collect()
}

/// A HIT of one slot with `question`, and `requirement` if given.
async fn one_slot_hit(
    c: &aws_sdk_mturk::Client,
    title: &str,
    question: &str,
    requirement: Option<QualificationRequirement>,
) -> String {
    c.create_hit()
        .title(title)
        .description("d")
        .reward("0.50")
        .max_assignments(1)
        .lifetime_in_seconds(3600)
        .assignment_duration_in_seconds(600)
        .question(question)
        .set_qualification_requirements(requirement.map(|r| vec![r]))
        .send()
        .await
        .unwrap()
        .hit()
        .unwrap()
        .hit_id()
        .unwrap()
        .to_owned()
}

both_backends!(reset_leaves_every_table_as_a_fresh_store_has_it, |app: TestApp| async move {
    let fresh = table_rows(&app.database).await;

    // One row (at least) in every table.
    let qt = app.create_type("reset me", &[]).await;
    app.call(
        "AssignQualification",
        &[("QualificationTypeId", &qt), ("WorkerId", WORKER), ("SendNotification", "true")],
    )
    .await
    .ok();
    app.request_qualification("A1REQUESTER", &qt).await;
    app.call("BlockWorker", &[("WorkerId", "A1BLOCKED"), ("Reason", "r")]).await.ok();
    app.control("PUT", &format!("/workers/{WORKER}"), Some(json!({ "Locale": { "Country": "DE" } }))).await;
    let c = sdk(&app, DEV_KEY, DEV_SECRET);
    let requirement =
        QualificationRequirement::builder().qualification_type_id(&qt).comparator(Comparator::Exists).build().unwrap();
    let hit = one_slot_hit(&c, "reset", QUESTION, Some(requirement)).await;
    let accepted = app.control("POST", &format!("/workers/{WORKER}/assignments"), Some(json!({ "HITId": hit }))).await;
    let assignment = accepted.json()["AssignmentId"].as_str().unwrap().to_owned();
    app.control("POST", &format!("/assignments/{assignment}/submit"), Some(json!({ "Answer": ANSWER }))).await;
    c.send_bonus()
        .worker_id(WORKER)
        .assignment_id(&assignment)
        .bonus_amount("1.00")
        .reason("r")
        .unique_request_token("reset-token")
        .send()
        .await
        .unwrap();
    let fixture = json!({ "Workers": [{ "WorkerId": "A1FIXTURE" }] }).to_string().into_bytes();
    assert_eq!(app.raw("POST", "/_local/fixtures", Some("application/json"), fixture).await.status, 200);
    // A file answer and a download address for it.
    let file_hit = one_slot_hit(&c, "reset file", FILE_FORM, None).await;
    let accepted =
        app.control("POST", &format!("/workers/{WORKER}/assignments"), Some(json!({ "HITId": file_hit }))).await;
    let file_assignment = accepted.json()["AssignmentId"].as_str().unwrap().to_owned();
    let files = json!({ "Files": { "f": { "Name": "a.txt", "ContentBase64": "YWJjZA==" } } });
    let submitted = app.control("POST", &format!("/assignments/{file_assignment}/submit"), Some(files)).await;
    assert_eq!(submitted.status, 200, "{}", submitted.body);
    c.get_file_upload_url().assignment_id(&file_assignment).question_identifier("f").send().await.unwrap();
    app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 500 }))).await;
    assert_eq!(app.control("POST", "/snapshots", Some(json!({ "Name": "kept" }))).await.status, 200);

    // A HIT with a review policy that rejects the worker's answer: a policy, results and an action.
    let policy = ReviewPolicy::builder()
        .policy_name("ScoreMyKnownAnswers/2011-09-01")
        .parameters(
            PolicyParameter::builder()
                .key("AnswerKey")
                .map_entries(ParameterMapEntry::builder().key("q").values("not done").build())
                .build(),
        )
        .parameters(PolicyParameter::builder().key("RejectIfKnownAnswerScoreIsLessThan").values("100").build())
        .build()
        .unwrap();
    let reviewed = c
        .create_hit()
        .title("reviewed")
        .description("d")
        .reward("0.50")
        .max_assignments(1)
        .lifetime_in_seconds(3600)
        .assignment_duration_in_seconds(600)
        .question(QUESTION)
        .assignment_review_policy(policy)
        .send()
        .await
        .unwrap()
        .hit()
        .unwrap()
        .hit_id()
        .unwrap()
        .to_owned();
    app.work("A1REVIEWED", &reviewed, ANSWER).await;

    // A notification setting, and a test event with its delivery.
    let notified = app
        .call(
            "RegisterHITType",
            &[
                ("Title", "notified"),
                ("Description", "d"),
                ("Reward.1.Amount", "0.10"),
                ("Reward.1.CurrencyCode", "USD"),
                ("AssignmentDurationInSeconds", "600"),
            ],
        )
        .await
        .ok()
        .text("HITTypeId")
        .unwrap();
    let spec = [
        ("Notification.1.Destination", "me@example.com"),
        ("Notification.1.Transport", "Email"),
        ("Notification.1.Version", "2006-05-05"),
        ("Notification.1.EventType.1", "HITCreated"),
    ];
    let mut set = vec![("HITTypeId", notified.as_str())];
    set.extend_from_slice(&spec);
    app.call("SetHITTypeNotification", &set).await.ok();
    let mut test = vec![("TestEventType", "Ping")];
    test.extend_from_slice(&spec);
    app.call("SendTestEventNotification", &test).await.ok();
    // A batch of the web console: the batch and its row.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = http.get(format!("{}/worker", app.base)).send().await.unwrap();
    let cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("mturk_local_csrf="))
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned();
    let token = cookie.split_once('=').unwrap().1;
    let form: Vec<(String, String)> = [
        ("csrf", token),
        ("name", "reset batch"),
        ("title", "batch"),
        ("description", "d"),
        ("reward", "0.10"),
        ("assignments", "1"),
        ("lifetime", "3600"),
        ("duration", "600"),
        ("auto_approval", "3600"),
        ("frame_height", "400"),
        ("template", "<p>${w}</p>"),
        ("csv", "w\nx\n"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let made = http
        .post(format!("{}/requester/{DEV_KEY}/batches", app.base))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(crate::common::serde_urlencoded(&form))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 303);

    let filled = table_rows(&app.database).await;
    let tables: Vec<&String> = fresh.keys().filter(|t| is_state_table(t)).collect();
    assert!(tables.len() >= 14, "{tables:?}");
    for table in &tables {
        assert_ne!(filled[*table], fresh[*table], "this test puts no row in {table}: give it one");
    }
    let kept: Vec<&String> = filled.keys().filter(|t| snapshot_storage(t)).collect();
    assert!(kept.len() > tables.len(), "the registry and a copy of every table: {kept:?}");

    assert_eq!(app.control("POST", "/reset", None).await.status, 200);
    let after = table_rows(&app.database).await;
    // Nothing but the state tables, the snapshot storage and the bookkeeping exists.
    assert_eq!(after.keys().collect::<Vec<_>>(), filled.keys().collect::<Vec<_>>());
    for table in &tables {
        assert_eq!(comparable(table, &after[*table]), comparable(table, &fresh[*table]), "{table} after reset");
    }
    for table in &kept {
        assert_eq!(after[*table], filled[*table], "reset keeps the snapshot storage: {table}");
    }
    let listed = app.control("GET", "/snapshots", None).await.json();
    assert_eq!(listed["Snapshots"][0]["Name"], "kept");
});
