//! RevokeQualification and its neighbours, end to end, on both backends.

use crate::both_backends;
use crate::common::{Case, TestApp, OTHER_KEY, OTHER_SECRET};

const WORKER: &str = "AHM21AWBZPEJNM";

both_backends!(a_granted_qualification_is_revoked_with_its_reason_and_kept, |app: TestApp| async move {
    let qt = app.create_type("revoke me", &[]).await;
    app.call("AssignQualification", &[("QualificationTypeId", &qt), ("WorkerId", WORKER), ("IntegerValue", "95")])
        .await
        .ok();
    let score = app.call("GetQualificationScore", &[("QualificationTypeId", &qt), ("SubjectId", WORKER)]).await.ok();
    assert_eq!(score.text("IntegerValue").as_deref(), Some("95"));
    assert_eq!(score.text("Status").as_deref(), Some("Granted"));

    app.advance(60);
    let reason = "Your answers <b>were</b> copied & \"pasted\" — désolé";
    app.call("RevokeQualification", &[("SubjectId", WORKER), ("QualificationTypeId", &qt), ("Reason", reason)])
        .await
        .ok();

    // The worker no longer holds it: the score call says so with the state error.
    app.call("GetQualificationScore", &[("QualificationTypeId", &qt), ("SubjectId", WORKER)])
        .await
        .err("AWS.MechanicalTurk.InvalidQualificationState");
    // It is kept as Revoked, listed under Status=Revoked and not under Granted.
    let revoked = app
        .call("GetQualificationsForQualificationType", &[("QualificationTypeId", &qt), ("Status", "Revoked")])
        .await
        .ok();
    assert_eq!(revoked.text("NumResults").as_deref(), Some("1"));
    assert_eq!(revoked.text("SubjectId").as_deref(), Some(WORKER));
    let granted = app.call("GetQualificationsForQualificationType", &[("QualificationTypeId", &qt)]).await.ok();
    assert_eq!(granted.text("NumResults").as_deref(), Some("0"));
    // The reason reached the worker intact.
    let notes = app.control("GET", &format!("/workers/{WORKER}/notifications"), None).await.json();
    let all = notes["Notifications"].as_array().expect("notifications");
    assert_eq!(all[0]["Kind"], "QualificationAssigned", "SendNotification defaults to true");
    let last = all.last().expect("a revocation notice");
    assert_eq!(last["Kind"], "QualificationRevoked");
    assert_eq!(last["Text"], reason);
    assert_eq!(last["QualificationTypeId"], qt.as_str());
    let quals = app.control("GET", &format!("/workers/{WORKER}/qualifications"), None).await.json();
    assert_eq!(quals["Qualifications"][0]["Status"], "Revoked");
    assert_eq!(quals["Qualifications"][0]["RevokeReason"], reason);
});

both_backends!(revoke_reports_every_documented_error, |app: TestApp| async move {
    let qt = app.create_type("errors", &[]).await;
    let other_qt = {
        let a = app
            .call_as(
                OTHER_KEY,
                OTHER_SECRET,
                "CreateQualificationType",
                &[("Name", "theirs"), ("Description", "d"), ("QualificationTypeStatus", "Active")],
            )
            .await
            .ok();
        a.text("QualificationTypeId").unwrap()
    };
    app.call_as(
        OTHER_KEY,
        OTHER_SECRET,
        "AssignQualification",
        &[("QualificationTypeId", &other_qt), ("WorkerId", WORKER)],
    )
    .await
    .ok();
    let cases: &[Case] = &[
        (
            "unknown type",
            vec![("SubjectId", WORKER), ("QualificationTypeId", "3NOSUCHTYPE0000000000000000000")],
            "AWS.MechanicalTurk.QualificationTypeDoesNotExist",
        ),
        (
            "another requester's type",
            vec![("SubjectId", WORKER), ("QualificationTypeId", &other_qt)],
            "AWS.MechanicalTurk.PermissionDenied",
        ),
        (
            "a system type",
            vec![("SubjectId", WORKER), ("QualificationTypeId", "000000000000000000L0")],
            "AWS.MechanicalTurk.PermissionDenied",
        ),
        (
            "a worker who never had it",
            vec![("SubjectId", WORKER), ("QualificationTypeId", &qt)],
            "AWS.MechanicalTurk.QualificationDoesNotExist",
        ),
        ("no SubjectId", vec![("QualificationTypeId", &qt)], "AWS.MissingParameters"),
        ("no QualificationTypeId", vec![("SubjectId", WORKER)], "AWS.MissingParameters"),
        (
            "a malformed worker id",
            vec![("SubjectId", "not-a-worker"), ("QualificationTypeId", &qt)],
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "a malformed type id",
            vec![("SubjectId", WORKER), ("QualificationTypeId", "lower-case")],
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
    ];
    for (what, params, code) in cases {
        let answer = app.call("RevokeQualification", params).await;
        assert_eq!(answer.code().as_deref(), Some(*code), "revoking with {what}: {}", answer.body);
        assert!(answer.body.contains("<RevokeQualificationResult><Request><IsValid>False</IsValid>"), "{what}");
    }
    // The other requester's worker still holds their qualification: nothing was half-done.
    let theirs = app
        .call_as(
            OTHER_KEY,
            OTHER_SECRET,
            "GetQualificationScore",
            &[("QualificationTypeId", &other_qt), ("SubjectId", WORKER)],
        )
        .await
        .ok();
    assert_eq!(theirs.text("Status").as_deref(), Some("Granted"));

    app.call("AssignQualification", &[("QualificationTypeId", &qt), ("WorkerId", WORKER)]).await.ok();
    app.call("RevokeQualification", &[("SubjectId", WORKER), ("QualificationTypeId", &qt)]).await.ok();
    app.call("RevokeQualification", &[("SubjectId", WORKER), ("QualificationTypeId", &qt)])
        .await
        .err("AWS.MechanicalTurk.InvalidQualificationState");
    // A long reason is kept whole.
    app.call("AssignQualification", &[("QualificationTypeId", &qt), ("WorkerId", "A2UMLFMF60AX21")]).await.ok();
    let long = "r".repeat(1024);
    app.call(
        "RevokeQualification",
        &[("SubjectId", "A2UMLFMF60AX21"), ("QualificationTypeId", &qt), ("Reason", &long)],
    )
    .await
    .ok();
    let notes = app.control("GET", "/workers/A2UMLFMF60AX21/notifications", None).await.json();
    assert_eq!(notes["Notifications"][1]["Text"].as_str().map(str::len), Some(1024));
    let too_long = "r".repeat(4097);
    app.call("AssignQualification", &[("QualificationTypeId", &qt), ("WorkerId", "A2UMLFMF60AX21")]).await.ok();
    app.call(
        "RevokeQualification",
        &[("SubjectId", "A2UMLFMF60AX21"), ("QualificationTypeId", &qt), ("Reason", &too_long)],
    )
    .await
    .err("AWS.MechanicalTurk.InvalidParameterValue");
});

both_backends!(a_revoked_qualification_can_be_assigned_again_with_a_new_grant_time, |app: TestApp| async move {
    let qt = app.create_type("again", &[]).await;
    app.call("AssignQualification", &[("QualificationTypeId", &qt), ("WorkerId", WORKER), ("IntegerValue", "3")])
        .await
        .ok();
    let first = app.call("GetQualificationScore", &[("QualificationTypeId", &qt), ("SubjectId", WORKER)]).await.ok();
    app.call("AssignQualification", &[("QualificationTypeId", &qt), ("WorkerId", WORKER)])
        .await
        .err("AWS.MechanicalTurk.QualificationAlreadyExists");
    app.call("RevokeQualification", &[("SubjectId", WORKER), ("QualificationTypeId", &qt)]).await.ok();
    app.advance(3600);
    app.call("AssignQualification", &[("QualificationTypeId", &qt), ("WorkerId", WORKER), ("IntegerValue", "7")])
        .await
        .ok();
    let second = app.call("GetQualificationScore", &[("QualificationTypeId", &qt), ("SubjectId", WORKER)]).await.ok();
    assert_eq!(second.text("Status").as_deref(), Some("Granted"));
    assert_eq!(second.text("IntegerValue").as_deref(), Some("7"));
    assert_eq!(first.text("GrantTime").as_deref(), Some("2026-01-01T00:00:00Z"));
    assert_eq!(second.text("GrantTime").as_deref(), Some("2026-01-01T01:00:00Z"));
});

both_backends!(types_are_private_to_their_requester, |app: TestApp| async move {
    let qt = app.create_type("mine", &[]).await;
    for (op, params) in [
        ("AssignQualification", vec![("QualificationTypeId", qt.as_str()), ("WorkerId", WORKER)]),
        ("GetQualificationScore", vec![("QualificationTypeId", qt.as_str()), ("SubjectId", WORKER)]),
        ("RevokeQualification", vec![("QualificationTypeId", qt.as_str()), ("SubjectId", WORKER)]),
        (
            "UpdateQualificationScore",
            vec![("QualificationTypeId", qt.as_str()), ("SubjectId", WORKER), ("IntegerValue", "1")],
        ),
        ("GetQualificationsForQualificationType", vec![("QualificationTypeId", qt.as_str())]),
        ("UpdateQualificationType", vec![("QualificationTypeId", qt.as_str()), ("Description", "x")]),
        ("DisposeQualificationType", vec![("QualificationTypeId", qt.as_str())]),
    ] {
        let answer = app.call_as(OTHER_KEY, OTHER_SECRET, op, &params).await;
        assert_eq!(answer.code().as_deref(), Some("AWS.MechanicalTurk.PermissionDenied"), "{op}: {}", answer.body);
    }
    // Names are unique per requester only.
    app.call_as(
        OTHER_KEY,
        OTHER_SECRET,
        "CreateQualificationType",
        &[("Name", "mine"), ("Description", "d"), ("QualificationTypeStatus", "Active")],
    )
    .await
    .ok();
    let dup = app
        .call(
            "CreateQualificationType",
            &[("Name", "mine"), ("Description", "d"), ("QualificationTypeStatus", "Active")],
        )
        .await
        .err("AWS.MechanicalTurk.QualificationTypeAlreadyExists");
    assert!(dup.body.contains(&format!(
        "<Data><Key>QualificationTypeId</Key><Value>{qt}</Value></Data><Data><Key>QualificationTypeId</Key><Value>{qt}</Value></Data>"
    )));
});

both_backends!(concurrent_assigns_and_revokes_leave_one_consistent_row, |app: TestApp| async move {
    let qt = app.create_type("race", &[]).await;
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for i in 0..40 {
        let app = app.clone();
        let qt = qt.clone();
        tasks.push(tokio::spawn(async move {
            let op = if i % 2 == 0 { "AssignQualification" } else { "RevokeQualification" };
            let who = if i % 2 == 0 { "WorkerId" } else { "SubjectId" };
            let answer = app.call(op, &[("QualificationTypeId", &qt), (who, WORKER)]).await;
            assert_eq!(answer.status, 200);
            // Each call either succeeds or loses the race with a business error, never a fault.
            if let Some(code) = answer.code() {
                assert!(
                    [
                        "AWS.MechanicalTurk.QualificationAlreadyExists",
                        "AWS.MechanicalTurk.InvalidQualificationState",
                        "AWS.MechanicalTurk.QualificationDoesNotExist"
                    ]
                    .contains(&code.as_str()),
                    "unexpected {code}: {}",
                    answer.body
                );
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let granted = app.call("GetQualificationsForQualificationType", &[("QualificationTypeId", &qt)]).await.ok();
    let revoked = app
        .call("GetQualificationsForQualificationType", &[("QualificationTypeId", &qt), ("Status", "Revoked")])
        .await
        .ok();
    let total: u32 =
        [granted, revoked].iter().map(|a| a.text("TotalNumResults").unwrap().parse::<u32>().unwrap()).sum();
    assert_eq!(total, 1, "exactly one row for the (type, worker) pair");
});
