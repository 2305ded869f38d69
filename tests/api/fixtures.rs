//! Fixture files (`POST /_local/fixtures`, `--fixtures FILE`): a declared
//! state loads through the API's own operations, all or nothing, naming the
//! entry at fault, and loading it again changes nothing.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::both_backends;
use crate::common::documents::{free_text, EXTERNAL_QUESTION};
use crate::common::{table_rows, TestApp, OTHER_KEY, OTHER_SECRET};

/// A file with every section: a type with a test, one auto-granted type, a
/// worker in Germany, a granted and a revoked qualification, a HIT type with
/// a requirement, two HITs of it and one with inline properties, and
/// assignments in every state.
fn full_file() -> String {
    format!(
        r#"
# Everything in the development requester's account.
QualificationTypes:
  - Key: careful
    Name: Careful annotator
    Description: Passed our screening
    Keywords: screening, images
    RetryDelayInSeconds: 3600
  - Key: open
    Name: Open to all
    Description: Granted on request
    AutoGranted: true
    AutoGrantedValue: 5
Workers:
  - WorkerId: A1FIXTUREWORKER
    Locale: {{Country: DE, Subdivision: BE}}
    Adult: true
  - WorkerId: A2FIXTUREWORKER
Qualifications:
  - QualificationType: careful
    WorkerId: A1FIXTUREWORKER
    IntegerValue: 90
  - QualificationType: careful
    WorkerId: A2FIXTUREWORKER
    IntegerValue: 40
    Status: Revoked
    RevokeReason: Too many errors in batch 7
HITTypes:
  - Key: labeling
    Title: Label images
    Description: Draw boxes around cats
    Reward: "0.50"
    AssignmentDurationInSeconds: 600
    AutoApprovalDelayInSeconds: 86400
    QualificationRequirements:
      - QualificationType: careful
        Comparator: GreaterThanOrEqualTo
        IntegerValues: [80]
HITs:
  - Key: batch-item-1
    HITType: labeling
    Question: '{q}'
    MaxAssignments: 3
    LifetimeInSeconds: 86400
    RequesterAnnotation: batch 1
  - Key: batch-item-2
    HITType: labeling
    Question: '{q}'
    MaxAssignments: 2
    LifetimeInSeconds: 86400
  - Key: survey
    Title: A short survey
    Description: Five questions
    Reward: "1.00"
    AssignmentDurationInSeconds: 900
    Question: '{q}'
    MaxAssignments: 5
    LifetimeInSeconds: 3600
Assignments:
  - Key: accepted
    HIT: batch-item-1
    WorkerId: A1FIXTUREWORKER
    Status: Accepted
  - Key: submitted
    HIT: survey
    WorkerId: A1FIXTUREWORKER
    Status: Submitted
    Answer: '{submitted}'
  - Key: approved
    HIT: batch-item-2
    WorkerId: A1FIXTUREWORKER
    Status: Approved
    Answer: '{approved}'
    RequesterFeedback: Thanks
  - Key: rejected
    HIT: survey
    WorkerId: A2FIXTUREWORKER
    Status: Rejected
    Answer: '{rejected}'
    RequesterFeedback: Off topic
"#,
        q = EXTERNAL_QUESTION,
        submitted = free_text("submitted answer"),
        approved = free_text("approved answer"),
        rejected = free_text("rejected answer"),
    )
}

async fn load_yaml(app: &TestApp, yaml: &str) -> crate::common::Answer {
    app.raw("POST", "/_local/fixtures", Some("application/yaml"), yaml.as_bytes().to_vec()).await
}

fn as_json(yaml: &str) -> Value {
    serde_norway::from_str(yaml).unwrap()
}

/// Every row of every table but the snapshot storage's copies (a load's
/// undo point must be gone when it ends).
async fn rows(app: &TestApp) -> BTreeMap<String, Vec<String>> {
    table_rows(&app.database).await
}

/// Checks that the state of `full_file` is what the API shows.
async fn sees_the_full_file(app: &TestApp, ids: &Value) {
    let careful = ids["QualificationTypes"]["careful"].as_str().unwrap();
    let t = app.call("GetQualificationType", &[("QualificationTypeId", careful)]).await.ok();
    assert_eq!(t.text("Name").as_deref(), Some("Careful annotator"));
    assert_eq!(t.text("RetryDelayInSeconds").as_deref(), Some("3600"));
    let open = ids["QualificationTypes"]["open"].as_str().unwrap();
    let t = app.call("GetQualificationType", &[("QualificationTypeId", open)]).await.ok();
    assert_eq!(t.text("AutoGranted").as_deref(), Some("1"));
    // The granted qualification and the revoked one, with its reason.
    let score = app
        .call("GetQualificationScore", &[("QualificationTypeId", careful), ("SubjectId", "A1FIXTUREWORKER")])
        .await
        .ok();
    assert_eq!(score.text("IntegerValue").as_deref(), Some("90"));
    app.call("GetQualificationScore", &[("QualificationTypeId", careful), ("SubjectId", "A2FIXTUREWORKER")])
        .await
        .err("AWS.MechanicalTurk.InvalidQualificationState");
    let held = app.control("GET", "/workers/A2FIXTUREWORKER/qualifications", None).await.json();
    assert_eq!(held["Qualifications"][0]["Status"], "Revoked");
    assert_eq!(held["Qualifications"][0]["RevokeReason"], "Too many errors in batch 7");
    assert_eq!(held["Qualifications"][0]["IntegerValue"], 40);
    let profile = app.control("GET", "/workers/A1FIXTUREWORKER", None).await.json();
    assert_eq!(profile["Locale"], json!({ "Country": "DE", "Subdivision": "BE" }));
    assert_eq!(profile["Adult"], true);
    // HITs of the HIT type, with its requirement, and the inline one.
    let hit1 = ids["HITs"]["batch-item-1"].as_str().unwrap();
    let got = app.call("GetHIT", &[("HITId", hit1)]).await.ok();
    assert_eq!(got.text("HITTypeId").as_deref(), ids["HITTypes"]["labeling"].as_str());
    assert_eq!(got.text("Title").as_deref(), Some("Label images"));
    assert_eq!(got.text("RequesterAnnotation").as_deref(), Some("batch 1"));
    assert_eq!(got.text("QualificationTypeId").as_deref(), Some(careful));
    let survey = ids["HITs"]["survey"].as_str().unwrap();
    let got = app.call("GetHIT", &[("HITId", survey)]).await.ok();
    assert_eq!(got.text("Title").as_deref(), Some("A short survey"));
    // Assignments in each state, with their answers and feedback.
    let status = |key: &str| {
        let id = ids["Assignments"][key].as_str().unwrap().to_owned();
        async move { app.call("GetAssignment", &[("AssignmentId", &id)]).await }
    };
    let submitted = status("submitted").await.ok();
    assert_eq!(submitted.text("AssignmentStatus").as_deref(), Some("Submitted"));
    assert!(submitted.body.contains("submitted answer"), "{}", submitted.body);
    let approved = status("approved").await.ok();
    assert_eq!(approved.text("AssignmentStatus").as_deref(), Some("Approved"));
    assert_eq!(approved.text("RequesterFeedback").as_deref(), Some("Thanks"));
    let rejected = status("rejected").await.ok();
    assert_eq!(rejected.text("AssignmentStatus").as_deref(), Some("Rejected"));
    assert_eq!(rejected.text("RequesterFeedback").as_deref(), Some("Off topic"));
    let mine = app.control("GET", "/workers/A1FIXTUREWORKER/assignments", None).await.json();
    let accepted = mine["Assignments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["AssignmentId"] == ids["Assignments"]["accepted"])
        .unwrap()
        .clone();
    assert_eq!(accepted["Status"], "Accepted");
    assert_eq!(accepted["HITId"], hit1);
    // The approval was paid: 0.50 plus the 20 % fee.
    let balance = app.call("GetAccountBalance", &[]).await.ok();
    assert_eq!(balance.text("Amount").as_deref(), Some("9999.40"));
}

both_backends!(a_full_yaml_file_loads_and_the_api_sees_all_of_it, |app: TestApp| async move {
    let answer = load_yaml(&app, &full_file()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = answer.json();
    assert_eq!(body["Created"], 14, "{body}");
    assert_eq!(body["Existing"], 0);
    assert_eq!(body["Ids"]["HITs"].as_object().unwrap().len(), 3);
    assert_eq!(body["Ids"]["Assignments"].as_object().unwrap().len(), 4);
    sees_the_full_file(&app, &body["Ids"]).await;
    // The undo point of the load is gone.
    assert_eq!(app.control("GET", "/snapshots", None).await.json(), json!({ "Snapshots": [] }));
    assert!(!rows(&app).await.keys().any(|t| t.starts_with("snap_")));
});

both_backends!(the_same_file_as_json_loads_the_same_way, |app: TestApp| async move {
    let body = as_json(&full_file()).to_string();
    let answer = app.raw("POST", "/_local/fixtures", Some("application/json"), body.into_bytes()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    sees_the_full_file(&app, &answer.json()["Ids"]).await;
    // YAML sent as JSON is refused, clearly.
    let wrong = app.raw("POST", "/_local/fixtures", Some("application/json"), full_file().into_bytes()).await;
    assert_eq!(wrong.status, 400);
    assert!(
        wrong.json()["Message"].as_str().unwrap().starts_with("The fixture file is not valid JSON"),
        "{}",
        wrong.body
    );
});

both_backends!(loading_the_same_file_twice_changes_nothing, |app: TestApp| async move {
    let first = load_yaml(&app, &full_file()).await.json();
    let before = rows(&app).await;
    let again = load_yaml(&app, &full_file()).await;
    assert_eq!(again.status, 200, "{}", again.body);
    let again = again.json();
    assert_eq!((again["Created"].clone(), again["Existing"].clone()), (json!(0), json!(14)));
    assert_eq!(again["Ids"], first["Ids"]);
    assert_eq!(rows(&app).await, before);
    // A file that adds to it creates only what is new.
    let more = format!(
        "{}  - Key: one-more\n    HIT: survey\n    WorkerId: A3FIXTUREWORKER\n    Status: Accepted\n",
        full_file()
    );
    let grown = load_yaml(&app, &more).await.json();
    assert_eq!((grown["Created"].clone(), grown["Existing"].clone()), (json!(1), json!(14)), "{grown}");
    assert_eq!(grown["Ids"]["HITs"], first["Ids"]["HITs"]);
});

both_backends!(a_bad_entry_changes_nothing_and_is_named, |app: TestApp| async move {
    app.create_type("made before the load", &[]).await;
    let before = rows(&app).await;
    // A2FIXTUREWORKER's qualification is revoked, so the HIT type's requirement keeps them out.
    let bad = full_file().replace(
        "  - Key: approved\n    HIT: batch-item-2\n    WorkerId: A1FIXTUREWORKER",
        "  - Key: approved\n    HIT: batch-item-2\n    WorkerId: A2FIXTUREWORKER",
    );
    let answer = load_yaml(&app, &bad).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    let body = answer.json();
    assert_eq!(body["Code"], "AWS.MechanicalTurk.DoesNotMeetRequirements");
    assert!(body["Message"].as_str().unwrap().starts_with("Assignments[2] \"approved\": "), "{body}");
    // Everything the load did before that entry was undone, and its undo point is gone.
    assert_eq!(rows(&app).await, before);

    // Errors found before anything is written name the entry too.
    let cases = [
        (
            full_file().replace("HITType: labeling\n    Question", "HITType: labelling\n    Question"),
            "HITs[0] \"batch-item-1\": HITType \"labelling\" names no HITTypes entry.",
        ),
        (
            full_file().replace("Key: open", "Key: careful"),
            "QualificationTypes[1] \"careful\": Another entry of this section has the same Key.",
        ),
        (
            full_file().replace("    Status: Submitted\n    Answer", "    Status: Finished\n    Answer"),
            "Assignments[1] \"submitted\": Status must be Accepted, Submitted, Approved or Rejected.",
        ),
        (
            full_file()
                .replace("  - WorkerId: A2FIXTUREWORKER\nQualifications", "  - WorkerId: a2-lower\nQualifications"),
            "Workers[1] \"a2-lower\": WorkerId must be A followed by A-Z and 0-9.",
        ),
        (
            full_file().replace("Reward: \"1.00\"", "Reward: \"1.001\""),
            "HITs[2] \"survey\": The value \"1.001\" is not valid for the parameter Reward.",
        ),
        (full_file().replace("Name: Open to all", "Name: Careful annotator"), "QualificationTypes[1] \"open\": "),
        // A schema error (a missing member) names its entry too, not only what is missing.
        (
            full_file().replace("    Description: Granted on request\n", ""),
            "The fixture file does not follow the schema: QualificationTypes[1] \"open\": missing field `Description`",
        ),
    ];
    for (file, message) in cases {
        let answer = load_yaml(&app, &file).await;
        assert_eq!(answer.status, 400, "{message}: {}", answer.body);
        let got = answer.json()["Message"].as_str().unwrap().to_owned();
        assert!(got.starts_with(message), "expected {message:?}, got {got:?}");
        assert_eq!(rows(&app).await, before, "{message}");
    }
    // Not the schema at all.
    for (body, content_type) in [
        ("Unknown: []", "application/yaml"),
        ("- a list", "text/yaml"),
        ("{\"HITs\": [{\"Key\": 1}]}", "application/json"),
        ("QualificationTypes: [{Key: x, Name: \"\\x01\", Description: d}]", "application/x-yaml"),
    ] {
        let answer = app.raw("POST", "/_local/fixtures", Some(content_type), body.as_bytes().to_vec()).await;
        assert_eq!(answer.status, 400, "{body}: {}", answer.body);
        assert_eq!(answer.json()["Code"], "AWS.MechanicalTurk.InvalidParameterValue", "{body}");
    }
    assert_eq!(rows(&app).await, before);
    // The good file still loads afterwards.
    assert_eq!(load_yaml(&app, &full_file()).await.status, 200);
});

both_backends!(a_file_may_name_another_configured_requester, |app: TestApp| async move {
    let file =
        format!("Requester: {OTHER_KEY}\nQualificationTypes:\n  - Key: theirs\n    Name: Theirs\n    Description: d\n");
    let ids = load_yaml(&app, &file).await.json();
    let theirs = ids["Ids"]["QualificationTypes"]["theirs"].as_str().unwrap();
    app.call_as(
        OTHER_KEY,
        OTHER_SECRET,
        "AssignQualification",
        &[("QualificationTypeId", theirs), ("WorkerId", "A1X")],
    )
    .await
    .ok();
    // The development requester does not own it.
    app.call("AssignQualification", &[("QualificationTypeId", theirs), ("WorkerId", "A1X")])
        .await
        .err("AWS.MechanicalTurk.PermissionDenied");
    let unknown = load_yaml(&app, "Requester: AKIANOBODY\n").await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.json()["Message"], "Requester \"AKIANOBODY\" is not a configured requester.");
});

#[tokio::test]
async fn a_fixture_file_given_at_start_up_is_loaded_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fixtures.yaml");
    std::fs::write(&path, full_file()).unwrap();
    let file = path.to_str().unwrap().to_owned();
    let app = TestApp::spawn_with(|s| s.service.fixtures.clone_from(&file)).await;
    let ids = load_yaml(&app, &full_file()).await.json();
    assert_eq!(ids["Created"], 0, "the start-up load made everything: {ids}");
    sees_the_full_file(&app, &ids["Ids"]).await;
    // A restart with the same file changes nothing.
    let before = rows(&app).await;
    let app = app.restart_with(|s| s.service.fixtures.clone_from(&file)).await;
    assert_eq!(rows(&app).await, before);

    // JSON by its extension; a bad file stops the start-up with the entry named.
    let json_path = dir.path().join("fixtures.json");
    std::fs::write(&json_path, as_json(&full_file()).to_string()).unwrap();
    let json_file = json_path.to_str().unwrap().to_owned();
    let other = TestApp::spawn_with(|s| s.service.fixtures.clone_from(&json_file)).await;
    sees_the_full_file(&other, &load_yaml(&other, &full_file()).await.json()["Ids"]).await;
    let bad_path = dir.path().join("bad.yaml");
    std::fs::write(&bad_path, full_file().replace("Reward: \"0.50\"", "Reward: \"-1\"")).unwrap();
    let mut settings = crate::common::test_settings(&format!("sqlite:{}", dir.path().join("bad.db").display()));
    settings.service.fixtures = bad_path.to_str().unwrap().to_owned();
    let err = mturk_local::startup::Application::build(settings).await.unwrap_err().to_string();
    assert!(err.contains("HITTypes[0] \"labeling\": "), "{err}");
}

both_backends!(the_full_example_of_the_docs_loads, |app: TestApp| async move {
    let example = include_str!("../../docs/examples/fixtures.yaml");
    let answer = load_yaml(&app, example).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = answer.json();
    assert_eq!(body["Created"], 15, "{body}");
    // A1 in Germany with 90 accepted a HIT guarded by both requirements; A2, in the US by default, could not.
    let mine = app.control("GET", "/workers/A2EXAMPLEWORKER/hits", None).await.json();
    let labeling = mine["HITs"].as_array().unwrap().iter().find(|h| h["HITId"] == body["Ids"]["HITs"]["batch-item-1"]);
    assert_eq!(labeling.unwrap()["CanAccept"], false);
    assert_eq!(load_yaml(&app, example).await.json()["Existing"], 15);
});
