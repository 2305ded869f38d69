//! State survives a restart on the same SQLite file (and Postgres database).

use crate::both_backends;
use crate::common::TestApp;

both_backends!(every_step_survives_a_restart, |app: TestApp| async move {
    let qt = app.create_type("durable", &[("RetryDelayInSeconds", "60")]).await;
    app.call(
        "AssignQualification",
        &[("QualificationTypeId", &qt), ("WorkerId", "A1RO9UJNWXMU65"), ("IntegerValue", "42")],
    )
    .await
    .ok();
    app.call("AssignQualification", &[("QualificationTypeId", &qt), ("WorkerId", "ADOJP7RNRYAFG")]).await.ok();
    app.call("RevokeQualification", &[("QualificationTypeId", &qt), ("SubjectId", "ADOJP7RNRYAFG"), ("Reason", "bye")])
        .await
        .ok();
    app.control("POST", "/clock", Some(serde_json::json!({"AdvanceSeconds": 7200}))).await;

    let app = app.restart().await;

    let t = app.call("GetQualificationType", &[("QualificationTypeId", &qt)]).await.ok();
    assert_eq!(t.text("Name").as_deref(), Some("durable"));
    assert_eq!(t.text("RetryDelayInSeconds").as_deref(), Some("60"));
    let kept =
        app.call("GetQualificationScore", &[("QualificationTypeId", &qt), ("SubjectId", "A1RO9UJNWXMU65")]).await.ok();
    assert_eq!(kept.text("IntegerValue").as_deref(), Some("42"));
    app.call("GetQualificationScore", &[("QualificationTypeId", &qt), ("SubjectId", "ADOJP7RNRYAFG")])
        .await
        .err("AWS.MechanicalTurk.InvalidQualificationState");
    let notes = app.control("GET", "/workers/ADOJP7RNRYAFG/notifications", None).await.json();
    assert_eq!(notes["Notifications"][1]["Text"], "bye");
    // The virtual clock's offset persisted too.
    let clock = app.control("GET", "/clock", None).await.json();
    assert_eq!(clock["OffsetSeconds"], 7200);
    // The name is still taken after the restart.
    app.call(
        "CreateQualificationType",
        &[("Name", "durable"), ("Description", "d"), ("QualificationTypeStatus", "Active")],
    )
    .await
    .err("AWS.MechanicalTurk.QualificationTypeAlreadyExists");
});

both_backends!(two_instances_on_one_database_share_state_clock_and_accounts, |a: TestApp| async move {
    let b = TestApp::spawn_on(&a.database, None, |s| {
        s.requesters.push(mturk_local::config::RequesterSettings {
            access_key_id: "AKIATHIRDREQUESTER01".into(),
            secret_access_key: "third".into(),
            starting_balance: Some("7.50".into()),
        });
    })
    .await;
    let qt = a.create_type("shared", &[]).await;
    a.call("AssignQualification", &[("QualificationTypeId", &qt), ("WorkerId", "A1RO9UJNWXMU65")]).await.ok();
    // A revoke on one instance is seen by the other at once.
    b.call("RevokeQualification", &[("QualificationTypeId", &qt), ("SubjectId", "A1RO9UJNWXMU65")]).await.ok();
    a.call("GetQualificationScore", &[("QualificationTypeId", &qt), ("SubjectId", "A1RO9UJNWXMU65")])
        .await
        .err("AWS.MechanicalTurk.InvalidQualificationState");
    // The virtual clock is shared too.
    a.control("POST", "/clock", Some(serde_json::json!({"AdvanceSeconds": 86_400}))).await;
    let made_on_b = b.create_type("tomorrow", &[]).await;
    let t = a.call("GetQualificationType", &[("QualificationTypeId", &made_on_b)]).await.ok();
    assert_eq!(t.text("CreationTime").as_deref(), Some("2026-01-02T00:00:00Z"));
    // A reset through one instance does not strand the other's requesters.
    a.control("POST", "/reset", None).await;
    let third = b.call_as("AKIATHIRDREQUESTER01", "third", "GetAccountBalance", &[]).await.ok();
    assert_eq!(third.text("Amount").as_deref(), Some("7.50"));
});

both_backends!(a_type_changed_through_one_instance_is_seen_by_the_other_at_once, |a: TestApp| async move {
    // SQLite instances keep types in memory; a change through `a` must reach `b`'s copy.
    let b = TestApp::spawn_on(&a.database, None, |_| {}).await;
    let qt = a.create_type("cached", &[]).await;
    b.call("AssignQualification", &[("QualificationTypeId", &qt), ("WorkerId", "A1RO9UJNWXMU65")]).await.ok();
    a.call("UpdateQualificationType", &[("QualificationTypeId", &qt), ("QualificationTypeStatus", "Inactive")])
        .await
        .ok();
    let seen = b.call("GetQualificationType", &[("QualificationTypeId", &qt)]).await.ok();
    assert_eq!(seen.text("QualificationTypeStatus").as_deref(), Some("Inactive"));
    let score = [("QualificationTypeId", qt.as_str()), ("SubjectId", "A1RO9UJNWXMU65")];
    b.call("GetQualificationScore", &score).await.ok();
    a.call("DisposeQualificationType", &[("QualificationTypeId", &qt)]).await.ok();
    b.call("AssignQualification", &[("QualificationTypeId", &qt), ("WorkerId", "ADOJP7RNRYAFG")])
        .await
        .err("AWS.MechanicalTurk.QualificationTypeDoesNotExist");
    b.call("GetQualificationScore", &score).await.err("AWS.MechanicalTurk.QualificationTypeDoesNotExist");
    // And one changed through `b` is seen by `a`, whose copy was read before.
    let other = a.create_type("cached too", &[]).await;
    a.call("GetQualificationType", &[("QualificationTypeId", &other)]).await.ok();
    b.call("UpdateQualificationType", &[("QualificationTypeId", &other), ("Description", "changed on b")]).await.ok();
    let seen = a.call("GetQualificationType", &[("QualificationTypeId", &other)]).await.ok();
    assert_eq!(seen.text("Description").as_deref(), Some("changed on b"));
});

/// Issue 16: under writes the SQLite WAL grows (up to `WAL_SIZE_LIMIT`, about
/// 144 MB, under a benchmark's load); once the writes stop, the checkpoint
/// thread cuts it to nothing within a couple of seconds, and every write is
/// still there.
#[tokio::test]
async fn an_idle_sqlite_server_cuts_its_wal_to_nothing() {
    let app = TestApp::spawn(&crate::common::Backend::Sqlite).await;
    let file = format!("{}-wal", app.database.strip_prefix("sqlite:").unwrap());
    let size = || std::fs::metadata(&file).map_or(0, |m| m.len());
    let qt = app.create_type("wal", &[]).await;
    for n in 0..40 {
        let worker = format!("AWALWORKER{n:04}");
        app.call("AssignQualification", &[("QualificationTypeId", &qt), ("WorkerId", &worker), ("IntegerValue", "7")])
            .await
            .ok();
    }
    assert!(size() > 0, "forty commits are in the WAL");
    // Idle means a second without writes; allow a slow machine many times that.
    let mut waited = 0;
    while size() > 0 && waited < 300 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 1;
    }
    assert_eq!(size(), 0, "the WAL of an idle server is cut to nothing");
    let kept =
        app.call("GetQualificationScore", &[("QualificationTypeId", &qt), ("SubjectId", "AWALWORKER0039")]).await.ok();
    assert_eq!(kept.text("IntegerValue").as_deref(), Some("7"));
}
