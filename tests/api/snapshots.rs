//! `/_local/snapshots`: a snapshot keeps the whole state (every requester's
//! data, workers, the clock) in the database, and a restore brings it back
//! exactly, all or nothing, for every instance on that database.

use std::collections::BTreeMap;

use serde_json::json;

use crate::both_backends;
use crate::common::documents::{free_text, EXTERNAL_QUESTION};
use crate::common::{execute_sql, is_state_table, table_rows, TestApp, OTHER_KEY, OTHER_SECRET, START};

const W1: &str = "A1SNAPWORKER";
const W2: &str = "A2SNAPWORKER";

/// The rows of the state tables only.
async fn state_rows(app: &TestApp) -> BTreeMap<String, Vec<String>> {
    table_rows(&app.database).await.into_iter().filter(|(t, _)| is_state_table(t)).collect()
}

fn hit_params(title: &str) -> Vec<(&str, &str)> {
    vec![
        ("Title", title),
        ("Description", "snapshot HIT"),
        ("Reward.1.Amount", "0.50"),
        ("Reward.1.CurrencyCode", "USD"),
        ("AssignmentDurationInSeconds", "600"),
        ("LifetimeInSeconds", "3600"),
        ("AutoApprovalDelayInSeconds", "86400"),
        ("MaxAssignments", "3"),
        ("Question", EXTERNAL_QUESTION),
    ]
}

async fn take(app: &TestApp, name: &str) -> serde_json::Value {
    let answer = app.control("POST", "/snapshots", Some(json!({ "Name": name }))).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

async fn restore(app: &TestApp, name: &str) -> serde_json::Value {
    let answer = app.control("POST", &format!("/snapshots/{name}/restore"), None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

async fn balance(app: &TestApp) -> String {
    app.call("GetAccountBalance", &[]).await.ok().text("Amount").unwrap()
}

/// A state with something in it: a type held by one worker and revoked from
/// another, a HIT with an approved and a submitted assignment, a profile,
/// money spent, the clock moved. Returns (type id, HIT id).
async fn some_state(app: &TestApp) -> (String, String) {
    let qt = app.create_type("snapshot type", &[]).await;
    app.call("AssignQualification", &[("QualificationTypeId", &qt), ("WorkerId", W1), ("IntegerValue", "70")])
        .await
        .ok();
    app.call("AssignQualification", &[("QualificationTypeId", &qt), ("WorkerId", W2)]).await.ok();
    app.call("RevokeQualification", &[("QualificationTypeId", &qt), ("SubjectId", W2), ("Reason", "sloppy")])
        .await
        .ok();
    app.control("PUT", &format!("/workers/{W1}"), Some(json!({ "Locale": { "Country": "DE" }, "Adult": true }))).await;
    let hit = app.call("CreateHIT", &hit_params("before")).await.ok().text("HITId").unwrap();
    let approved = app.work(W1, &hit, &free_text("first")).await;
    app.call("ApproveAssignment", &[("AssignmentId", &approved)]).await.ok();
    app.work(W2, &hit, &free_text("second")).await;
    app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 100 }))).await;
    (qt, hit)
}

both_backends!(a_restore_brings_back_exactly_the_state_of_the_snapshot, |app: TestApp| async move {
    let (qt, hit) = some_state(&app).await;
    let before = state_rows(&app).await;
    let balance_before = balance(&app).await;
    let taken = take(&app, "baseline").await;
    assert_eq!(taken["Snapshot"]["Name"], "baseline");
    // CreatedAt is the virtual clock's reading: START plus the 100 s the clock was moved.
    assert_eq!(taken["Snapshot"]["CreatedAt"], "2026-01-01T00:01:40.000Z");
    assert!(taken["Snapshot"]["Rows"].as_i64().unwrap() > 20, "{taken}");

    // Change everything the snapshot holds.
    let submitted = app.call("GetAssignmentsForHIT", &[("HITId", &hit), ("AssignmentStatus", "Submitted")]).await.ok();
    let second = submitted.text("AssignmentId").unwrap();
    app.call("RejectAssignment", &[("AssignmentId", &second), ("RequesterFeedback", "no")]).await.ok();
    app.call("RevokeQualification", &[("QualificationTypeId", &qt), ("SubjectId", W1)]).await.ok();
    app.call("AssignQualification", &[("QualificationTypeId", &qt), ("WorkerId", W2)]).await.ok();
    let later_hit = app.call("CreateHIT", &hit_params("after")).await.ok().text("HITId").unwrap();
    let later_type = app.create_type("after the snapshot", &[]).await;
    app.call("BlockWorker", &[("WorkerId", W2), ("Reason", "r")]).await.ok();
    app.control("PUT", &format!("/workers/{W1}"), Some(json!({ "Locale": { "Country": "FR" } }))).await;
    app.call_as(OTHER_KEY, OTHER_SECRET, "CreateHIT", &hit_params("other requester")).await.ok();
    app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 5000 }))).await;
    assert_ne!(state_rows(&app).await, before);

    let restored = restore(&app, "baseline").await;
    assert_eq!(restored["Snapshot"], taken["Snapshot"]);
    assert_eq!(restored["Clock"]["Now"], "2026-01-01T00:01:40.000Z");
    assert_eq!(restored["Clock"]["OffsetSeconds"], 100);

    // Every row of every state table is back, the clock's offset included.
    assert_eq!(state_rows(&app).await, before);
    // And the API sees it: HITs, assignments, qualifications, balances, the clock.
    app.call("GetHIT", &[("HITId", &later_hit)]).await.err("AWS.MechanicalTurk.HITDoesNotExist");
    app.call("GetQualificationType", &[("QualificationTypeId", &later_type)])
        .await
        .err("AWS.MechanicalTurk.QualificationTypeDoesNotExist");
    let got = app.call("GetHIT", &[("HITId", &hit)]).await.ok();
    assert_eq!(got.text("Title").as_deref(), Some("before"));
    let listed = app.call("GetAssignmentsForHIT", &[("HITId", &hit), ("AssignmentStatus", "Submitted")]).await.ok();
    assert_eq!(listed.text("AssignmentId").as_deref(), Some(second.as_str()));
    let score = app.call("GetQualificationScore", &[("QualificationTypeId", &qt), ("SubjectId", W1)]).await.ok();
    assert_eq!(score.text("IntegerValue").as_deref(), Some("70"));
    app.call("GetQualificationScore", &[("QualificationTypeId", &qt), ("SubjectId", W2)])
        .await
        .err("AWS.MechanicalTurk.InvalidQualificationState");
    assert_eq!(balance(&app).await, balance_before);
    let other = app.call_as(OTHER_KEY, OTHER_SECRET, "GetAccountBalance", &[]).await.ok();
    assert_eq!(other.text("Amount").as_deref(), Some("25.00"));
    let profile = app.control("GET", &format!("/workers/{W1}"), None).await.json();
    assert_eq!(profile["Locale"]["Country"], "DE");
    let clock = app.control("GET", "/clock", None).await.json();
    assert_eq!(clock["Now"], "2026-01-01T00:01:40.000Z");
    // The restored state works on: the worker can be paid again, and new ids do not collide.
    app.call("ApproveAssignment", &[("AssignmentId", &second)]).await.ok();
    app.call("CreateHIT", &hit_params("after the restore")).await.ok();
});

both_backends!(a_restore_sets_the_virtual_clock_back_to_the_instant_of_the_snapshot, |app: TestApp| async move {
    app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 3600 }))).await;
    take(&app, "t").await;
    // Real time passes and the clock is moved: neither survives the restore.
    app.advance(90);
    app.control("POST", "/clock", Some(json!({ "Set": "2031-05-05T00:00:00Z" }))).await;
    let restored = restore(&app, "t").await;
    assert_eq!(restored["Snapshot"]["CreatedAt"], "2026-01-01T01:00:00.000Z");
    assert_eq!(restored["Clock"]["Now"], "2026-01-01T01:00:00.000Z");
    // The offset now bridges the 90 s of real time that passed.
    assert_eq!(restored["Clock"]["OffsetSeconds"], 3600 - 90);
    // What is created next is dated by the restored clock.
    let qt = app.create_type("dated", &[]).await;
    let t = app.call("GetQualificationType", &[("QualificationTypeId", &qt)]).await.ok();
    assert_eq!(t.text("CreationTime").as_deref(), Some("2026-01-01T01:00:00Z"));
});

both_backends!(taking_a_snapshot_under_an_existing_name_replaces_it, |app: TestApp| async move {
    let first = app.create_type("first", &[]).await;
    take(&app, "baseline").await;
    let second = app.create_type("second", &[]).await;
    app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 60 }))).await;
    let retaken = take(&app, "baseline").await;
    assert_eq!(retaken["Snapshot"]["CreatedAt"], "2026-01-01T00:01:00.000Z");
    let third = app.create_type("third", &[]).await;

    let listed = app.control("GET", "/snapshots", None).await.json();
    assert_eq!(listed["Snapshots"], json!([retaken["Snapshot"]]));
    restore(&app, "baseline").await;
    for (qt, exists) in [(&first, true), (&second, true), (&third, false)] {
        let got = app.call("GetQualificationType", &[("QualificationTypeId", qt)]).await;
        assert_eq!(got.is_valid(), exists, "{qt}: {}", got.body);
    }
    // The replaced snapshot's copies are gone from the database, not just from the list.
    let tables = table_rows(&app.database).await;
    let copies = tables.keys().filter(|t| t.starts_with("snap_")).count();
    assert_eq!(copies, mturk_local::store::STATE_TABLES.len(), "{:?}", tables.keys());
});

both_backends!(snapshots_are_listed_by_name_and_deleted_one_by_one, |app: TestApp| async move {
    assert_eq!(app.control("GET", "/snapshots", None).await.json(), json!({ "Snapshots": [] }));
    take(&app, "zeta").await;
    app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 1 }))).await;
    take(&app, "alpha-1.0").await;
    let listed = app.control("GET", "/snapshots", None).await.json();
    let names: Vec<&str> =
        listed["Snapshots"].as_array().unwrap().iter().map(|s| s["Name"].as_str().unwrap()).collect();
    assert_eq!(names, ["alpha-1.0", "zeta"]);
    assert_eq!(listed["Snapshots"][0]["CreatedAt"], "2026-01-01T00:00:01.000Z");
    assert_eq!(listed["Snapshots"][1]["CreatedAt"], "2026-01-01T00:00:00.000Z");

    let deleted = app.control("DELETE", "/snapshots/zeta", None).await;
    assert_eq!((deleted.status, deleted.json()), (200, json!({ "Deleted": true })));
    let listed = app.control("GET", "/snapshots", None).await.json();
    assert_eq!(listed["Snapshots"].as_array().unwrap().len(), 1);
    assert_eq!(listed["Snapshots"][0]["Name"], "alpha-1.0");
    let tables = table_rows(&app.database).await;
    assert_eq!(tables.keys().filter(|t| t.starts_with("snap_")).count(), mturk_local::store::STATE_TABLES.len());
});

both_backends!(unknown_snapshot_names_are_a_404_and_change_nothing, |app: TestApp| async move {
    take(&app, "kept").await;
    app.create_type("not in any snapshot", &[]).await;
    let before = table_rows(&app.database).await;
    for (method, path) in [("POST", "/snapshots/missing/restore"), ("DELETE", "/snapshots/missing")] {
        let answer = app.control(method, path, None).await;
        assert_eq!(answer.status, 404, "{method} {path}: {}", answer.body);
        let body = answer.json();
        assert_eq!(body["Code"], "MturkLocal.SnapshotDoesNotExist");
        assert_eq!(body["Message"], "There is no snapshot named missing.");
    }
    app.control("DELETE", "/snapshots/kept", None).await;
    let again = app.control("DELETE", "/snapshots/kept", None).await;
    assert_eq!(again.status, 404);
    let restore = app.control("POST", "/snapshots/kept/restore", None).await;
    assert_eq!(restore.status, 404);
    let after = table_rows(&app.database).await;
    assert_eq!(
        after.into_iter().filter(|(t, _)| is_state_table(t)).collect::<BTreeMap<_, _>>(),
        before.into_iter().filter(|(t, _)| is_state_table(t)).collect::<BTreeMap<_, _>>()
    );
});

both_backends!(bad_snapshot_names_and_bodies_are_refused_with_a_clear_error, |app: TestApp| async move {
    let long = "x".repeat(65);
    let bodies = [
        json!({ "Name": "" }),
        json!({ "Name": "has space" }),
        json!({ "Name": "slash/in/it" }),
        json!({ "Name": "#internal" }),
        json!({ "Name": "ünïcode" }),
        json!({ "Name": long }),
        json!({ "Name": 7 }),
        json!({}),
        json!({ "Name": "ok", "Extra": 1 }),
    ];
    for body in bodies {
        let answer = app.control("POST", "/snapshots", Some(body.clone())).await;
        assert_eq!(answer.status, 400, "{body}: {}", answer.body);
        assert_eq!(answer.json()["Code"], "AWS.MechanicalTurk.InvalidParameterValue", "{body}");
    }
    let not_json = app.raw("POST", "/_local/snapshots", Some("application/json"), b"{not json".to_vec()).await;
    assert_eq!(not_json.status, 400);
    let bad_name = app.control("POST", "/snapshots", Some(json!({ "Name": "has space" }))).await.json();
    assert_eq!(
        bad_name["Message"],
        "The value \"has space\" is not valid for the parameter Name. A snapshot name is 1 to 64 of the characters \
         A-Z, a-z, 0-9, _, . and -."
    );
    for (method, path) in [
        ("POST", format!("/snapshots/{long}/restore")),
        ("DELETE", format!("/snapshots/{long}")),
        ("POST", "/snapshots/a%20b/restore".to_owned()),
        ("DELETE", "/snapshots/%23internal".to_owned()),
    ] {
        let answer = app.control(method, &path, None).await;
        assert_eq!(answer.status, 400, "{method} {path}: {}", answer.body);
        assert_eq!(answer.json()["Code"], "AWS.MechanicalTurk.InvalidParameterValue");
    }
    // 64 characters is the longest name.
    take(&app, &"x".repeat(64)).await;
    let listed = app.control("GET", "/snapshots", None).await.json();
    assert_eq!(listed["Snapshots"].as_array().unwrap().len(), 1);
});

both_backends!(reset_keeps_snapshots_and_a_restore_after_reset_brings_the_state_back, |app: TestApp| async move {
    let (qt, hit) = some_state(&app).await;
    let before = state_rows(&app).await;
    take(&app, "baseline").await;
    assert_eq!(app.control("POST", "/reset", None).await.status, 200);
    app.call("GetHIT", &[("HITId", &hit)]).await.err("AWS.MechanicalTurk.HITDoesNotExist");
    let listed = app.control("GET", "/snapshots", None).await.json();
    assert_eq!(listed["Snapshots"][0]["Name"], "baseline");

    restore(&app, "baseline").await;
    assert_eq!(state_rows(&app).await, before);
    app.call("GetHIT", &[("HITId", &hit)]).await.ok();
    app.call("GetQualificationScore", &[("QualificationTypeId", &qt), ("SubjectId", W1)]).await.ok();
    // A test suite's loop: restore, change, restore again.
    app.call("DisposeQualificationType", &[("QualificationTypeId", &qt)]).await.ok();
    restore(&app, "baseline").await;
    assert_eq!(state_rows(&app).await, before);
});

both_backends!(a_snapshot_copies_every_state_table_of_the_schema, |app: TestApp| async move {
    // A table added by a later migration must be in STATE_TABLES, or it
    // would silently keep its rows across a restore.
    take(&app, "all").await;
    let tables = table_rows(&app.database).await;
    let mut state: Vec<&str> = tables.keys().map(String::as_str).filter(|t| is_state_table(t)).collect();
    let mut copied: Vec<&str> =
        tables.keys().filter_map(|t| t.strip_prefix("snap_1_")).filter(|t| !t.is_empty()).collect();
    state.sort_unstable();
    copied.sort_unstable();
    assert_eq!(copied, state);
    let mut listed: Vec<&str> = mturk_local::store::STATE_TABLES.to_vec();
    listed.sort_unstable();
    assert_eq!(listed, state);
});

both_backends!(a_snapshot_of_another_schema_is_refused_and_nothing_changes, |app: TestApp| async move {
    let (_, hit) = some_state(&app).await;
    take(&app, "old").await;
    app.call("CreateHIT", &hit_params("kept")).await.ok();
    let before = state_rows(&app).await;
    // As if an older mturk-local had taken it.
    execute_sql(&app.database, "UPDATE snapshots SET schema_version = schema_version - 1").await;
    let answer = app.control("POST", "/snapshots/old/restore", None).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    let body = answer.json();
    assert_eq!(body["Code"], "AWS.MechanicalTurk.InvalidParameterValue");
    assert!(body["Message"].as_str().unwrap().contains("Take it again"), "{body}");
    assert_eq!(state_rows(&app).await, before);
    app.call("GetHIT", &[("HITId", &hit)]).await.ok();
});

both_backends!(a_restore_that_fails_halfway_changes_nothing, |app: TestApp| async move {
    some_state(&app).await;
    take(&app, "broken").await;
    app.create_type("made after", &[]).await;
    let before = state_rows(&app).await;
    // One copy is lost behind the server's back: the restore fails at that table,
    // after it has emptied every table and refilled some.
    execute_sql(&app.database, "DROP TABLE snap_1_qualification_types").await;
    let answer = app.control("POST", "/snapshots/broken/restore", None).await;
    assert_eq!(answer.status, 500, "{}", answer.body);
    assert_eq!(answer.json()["Code"], "AWS.MechanicalTurk.ServiceFault");
    assert_eq!(state_rows(&app).await, before);
});

both_backends!(a_snapshot_taken_through_one_instance_is_restored_through_another, |a: TestApp| async move {
    let b = TestApp::spawn_on(&a.database, None, |_| {}).await;
    let qt = a.create_type("shared", &[]).await;
    a.call("AssignQualification", &[("QualificationTypeId", &qt), ("WorkerId", W1)]).await.ok();
    take(&a, "shared").await;
    // Both instances read the type (SQLite instances keep it in memory), then `a` changes it and the clock.
    b.call("GetQualificationType", &[("QualificationTypeId", &qt)]).await.ok();
    a.call("UpdateQualificationType", &[("QualificationTypeId", &qt), ("Description", "changed")]).await.ok();
    a.call("RevokeQualification", &[("QualificationTypeId", &qt), ("SubjectId", W1)]).await.ok();
    a.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 7200 }))).await;
    let listed = b.control("GET", "/snapshots", None).await.json();
    assert_eq!(listed["Snapshots"][0]["Name"], "shared");

    restore(&b, "shared").await;
    for app in [&a, &b] {
        let t = app.call("GetQualificationType", &[("QualificationTypeId", &qt)]).await.ok();
        assert_eq!(t.text("Description").as_deref(), Some("a test type"));
        app.call("GetQualificationScore", &[("QualificationTypeId", &qt), ("SubjectId", W1)]).await.ok();
        let clock = app.control("GET", "/clock", None).await.json();
        assert_eq!(clock["Now"], START.to_rfc3339_millis(), "{}", app.base);
    }
    // Deleted through one, gone for both.
    b.control("DELETE", "/snapshots/shared", None).await;
    assert_eq!(a.control("POST", "/snapshots/shared/restore", None).await.status, 404);
});
