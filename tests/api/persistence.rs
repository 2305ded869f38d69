//! State survives a restart on the same SQLite file (and Postgres database).

use crate::both_backends;
use crate::helpers::TestApp;

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
