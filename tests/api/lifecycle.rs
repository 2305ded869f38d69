//! The qualification lifecycle through the legacy API (spec §4, §6): every
//! operation's rules and error codes, on both backends.

use crate::both_backends;
use crate::common::documents::{ANSWER_KEY, QUESTION_FORM};
use crate::common::{Case, TestApp, OTHER_KEY, OTHER_SECRET};

both_backends!(create_validates_every_parameter, |app: TestApp| async move {
    let long_name = "n".repeat(1001);
    let long_description = "d".repeat(2001);
    let long_keywords = "k".repeat(1001);
    let cases: Vec<Case> = vec![
        ("no Name", vec![("Description", "d"), ("QualificationTypeStatus", "Active")], "AWS.MissingParameters"),
        ("no Description", vec![("Name", "a"), ("QualificationTypeStatus", "Active")], "AWS.MissingParameters"),
        ("no status", vec![("Name", "a"), ("Description", "d")], "AWS.MissingParameters"),
        (
            "a bad status",
            vec![("Name", "a"), ("Description", "d"), ("QualificationTypeStatus", "Disposing")],
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "a long name",
            vec![("Name", &long_name), ("Description", "d"), ("QualificationTypeStatus", "Active")],
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "a long description",
            vec![("Name", "a"), ("Description", &long_description), ("QualificationTypeStatus", "Active")],
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "long keywords",
            vec![
                ("Name", "a"),
                ("Description", "d"),
                ("Keywords", &long_keywords),
                ("QualificationTypeStatus", "Active"),
            ],
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "a negative retry delay",
            vec![
                ("Name", "a"),
                ("Description", "d"),
                ("QualificationTypeStatus", "Active"),
                ("RetryDelayInSeconds", "-1"),
            ],
            "AWS.ParameterOutOfRange",
        ),
        (
            "a test without duration",
            vec![("Name", "a"), ("Description", "d"), ("QualificationTypeStatus", "Active"), ("Test", QUESTION_FORM)],
            "AWS.MissingParameters",
        ),
        (
            "a zero test duration",
            vec![
                ("Name", "a"),
                ("Description", "d"),
                ("QualificationTypeStatus", "Active"),
                ("Test", QUESTION_FORM),
                ("TestDurationInSeconds", "0"),
            ],
            "AWS.ParameterOutOfRange",
        ),
        (
            "a test that is auto-granted",
            vec![
                ("Name", "a"),
                ("Description", "d"),
                ("QualificationTypeStatus", "Active"),
                ("Test", QUESTION_FORM),
                ("TestDurationInSeconds", "60"),
                ("AutoGranted", "true"),
            ],
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "an answer key without a test",
            vec![("Name", "a"), ("Description", "d"), ("QualificationTypeStatus", "Active"), ("AnswerKey", ANSWER_KEY)],
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "a test that is not XML",
            vec![
                ("Name", "a"),
                ("Description", "d"),
                ("QualificationTypeStatus", "Active"),
                ("Test", "<QuestionForm>"),
                ("TestDurationInSeconds", "60"),
            ],
            "AWS.MechanicalTurk.XMLParseError",
        ),
        (
            "a test in no namespace",
            vec![
                ("Name", "a"),
                ("Description", "d"),
                ("QualificationTypeStatus", "Active"),
                ("Test", "<QuestionForm><Question/></QuestionForm>"),
                ("TestDurationInSeconds", "60"),
            ],
            "AWS.MechanicalTurk.XMLParseError",
        ),
        (
            "a broken answer key",
            vec![
                ("Name", "a"),
                ("Description", "d"),
                ("QualificationTypeStatus", "Active"),
                ("Test", QUESTION_FORM),
                ("TestDurationInSeconds", "60"),
                ("AnswerKey", "<AnswerKey"),
            ],
            "AWS.MechanicalTurk.XMLParseError",
        ),
        (
            "a non-numeric retry delay",
            vec![
                ("Name", "a"),
                ("Description", "d"),
                ("QualificationTypeStatus", "Active"),
                ("RetryDelayInSeconds", "soon"),
            ],
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
    ];
    for (what, params, code) in cases {
        let answer = app.call("CreateQualificationType", &params).await;
        assert_eq!(answer.code().as_deref(), Some(code), "creating with {what}: {}", answer.body);
    }
    let search = app
        .call("SearchQualificationTypes", &[("MustBeRequestable", "false"), ("MustBeOwnedByCaller", "true")])
        .await
        .ok();
    assert_eq!(search.text("TotalNumResults").as_deref(), Some("0"), "nothing was half-created");
    let tested = app
        .create_type("tested", &[("Test", QUESTION_FORM), ("TestDurationInSeconds", "600"), ("AnswerKey", ANSWER_KEY)])
        .await;
    let got = app.call("GetQualificationType", &[("QualificationTypeId", &tested)]).await.ok();
    assert_eq!(got.text("Test").as_deref(), Some(QUESTION_FORM));
    assert_eq!(got.text("AnswerKey").as_deref(), Some(ANSWER_KEY));
    assert_eq!(got.text("IsRequestable").as_deref(), Some("true"));
    // Only the owner sees the answer key.
    let theirs =
        app.call_as(OTHER_KEY, OTHER_SECRET, "GetQualificationType", &[("QualificationTypeId", &tested)]).await.ok();
    assert!(theirs.text("Test").is_some());
    assert!(theirs.text("AnswerKey").is_none());
});

both_backends!(system_types_are_readable_but_not_assignable_or_requestable, |app: TestApp| async move {
    for (id, name) in [
        ("000000000000000000L0", "Worker_PercentAssignmentsApproved"),
        ("00000000000000000040", "Worker_NumberHITsApproved"),
        ("00000000000000000071", "Worker_Locale"),
        ("00000000000000000060", "Worker_Adult"),
        ("2ARFPLSP75KLA8M8DH1HTEQVJT3SY6", "Masters"),
    ] {
        let t = app.call("GetQualificationType", &[("QualificationTypeId", id)]).await.ok();
        assert_eq!(t.text("Name").as_deref(), Some(name));
        assert_eq!(t.text("IsRequestable").as_deref(), Some("false"));
        app.call("AssignQualification", &[("QualificationTypeId", id), ("WorkerId", "AHM21AWBZPEJNM")])
            .await
            .err("AWS.MechanicalTurk.PermissionDenied");
        app.call("UpdateQualificationType", &[("QualificationTypeId", id), ("Description", "mine now")])
            .await
            .err("AWS.MechanicalTurk.PermissionDenied");
        app.call("DisposeQualificationType", &[("QualificationTypeId", id)])
            .await
            .err("AWS.MechanicalTurk.PermissionDenied");
        let refused = app.request_qualification("AHM21AWBZPEJNM", id).await;
        assert_eq!(refused.status, 400, "{}", refused.body);
    }
    let requestable = app.call("SearchQualificationTypes", &[("MustBeRequestable", "true")]).await.ok();
    assert!(!requestable.body.contains("Worker_Locale"));
    let all = app.call("SearchQualificationTypes", &[("MustBeRequestable", "false"), ("PageSize", "100")]).await.ok();
    assert!(all.body.contains("Worker_Locale"));
});

both_backends!(search_filters_sorts_and_pages_with_the_real_limits, |app: TestApp| async move {
    for name in ["alpha", "beta", "gamma", "delta"] {
        app.create_type(name, &[("Keywords", "greek,letters")]).await;
    }
    app.create_type("inactive one", &[("QualificationTypeStatus", "Inactive")]).await;
    app.call_as(
        OTHER_KEY,
        OTHER_SECRET,
        "CreateQualificationType",
        &[("Name", "their alpha"), ("Description", "d"), ("QualificationTypeStatus", "Inactive")],
    )
    .await
    .ok();
    app.call_as(
        OTHER_KEY,
        OTHER_SECRET,
        "CreateQualificationType",
        &[("Name", "their active alpha"), ("Description", "d"), ("QualificationTypeStatus", "Active")],
    )
    .await
    .ok();
    let page = |extra: Vec<(&'static str, &'static str)>| {
        let mut p = vec![("MustBeRequestable", "true")];
        p.extend(extra);
        p
    };
    // The documented default direction is Descending.
    let desc = app.call("SearchQualificationTypes", &page(vec![("MustBeOwnedByCaller", "true")])).await.ok();
    assert_eq!(desc.text("TotalNumResults").as_deref(), Some("5"));
    assert_eq!(desc.text("Name").as_deref(), Some("inactive one"));
    let asc = app
        .call(
            "SearchQualificationTypes",
            &page(vec![
                ("MustBeOwnedByCaller", "true"),
                ("SortDirection", "Ascending"),
                ("PageSize", "2"),
                ("PageNumber", "2"),
            ]),
        )
        .await
        .ok();
    assert_eq!(asc.text("NumResults").as_deref(), Some("2"));
    assert_eq!(asc.text("PageNumber").as_deref(), Some("2"));
    assert_eq!(asc.text("Name").as_deref(), Some("delta"));
    // Query matches name, description or keywords, case-insensitively; other requesters'
    // Inactive types stay hidden, their Active ones show.
    let alpha = app.call("SearchQualificationTypes", &page(vec![("Query", "ALPHA")])).await.ok();
    assert_eq!(alpha.text("TotalNumResults").as_deref(), Some("2"));
    assert!(alpha.body.contains("their active alpha") && !alpha.body.contains("<Name>their alpha</Name>"));
    let greek = app.call("SearchQualificationTypes", &page(vec![("Query", "greek")])).await.ok();
    assert_eq!(greek.text("TotalNumResults").as_deref(), Some("4"));
    let wildcard = app.call("SearchQualificationTypes", &page(vec![("Query", "%")])).await.ok();
    assert_eq!(wildcard.text("TotalNumResults").as_deref(), Some("0"), "% is literal");
    for (params, code) in [
        (vec![], "AWS.MissingParameters"),
        (page(vec![("PageSize", "101")]), "AWS.ParameterOutOfRange"),
        (page(vec![("PageSize", "0")]), "AWS.ParameterOutOfRange"),
        (page(vec![("PageNumber", "0")]), "AWS.ParameterOutOfRange"),
        (page(vec![("SortProperty", "CreationTime")]), "AWS.MechanicalTurk.InvalidParameterValue"),
        (page(vec![("SortDirection", "Sideways")]), "AWS.MechanicalTurk.InvalidParameterValue"),
    ] {
        app.call("SearchQualificationTypes", &params).await.err(code);
    }
});

both_backends!(update_follows_the_documented_rules, |app: TestApp| async move {
    let qt = app.create_type("updatable", &[("RetryDelayInSeconds", "60")]).await;
    let updated = app
        .call(
            "UpdateQualificationType",
            &[
                ("QualificationTypeId", &qt),
                ("Description", "new words"),
                ("QualificationTypeStatus", "Inactive"),
                ("RetryDelayInSeconds", "120"),
            ],
        )
        .await
        .ok();
    assert_eq!(updated.text("Description").as_deref(), Some("new words"));
    assert_eq!(updated.text("QualificationTypeStatus").as_deref(), Some("Inactive"));
    assert_eq!(updated.text("RetryDelayInSeconds").as_deref(), Some("120"));
    let reactivated = app
        .call("UpdateQualificationType", &[("QualificationTypeId", &qt), ("QualificationTypeStatus", "Active")])
        .await
        .ok();
    assert_eq!(reactivated.text("QualificationTypeStatus").as_deref(), Some("Active"));
    assert_eq!(reactivated.text("Description").as_deref(), Some("new words"), "omitted fields stay");
    assert_eq!(updated.text("Name").as_deref(), Some("updatable"), "names cannot change");
    // The test is updated as a unit.
    app.call("UpdateQualificationType", &[("QualificationTypeId", &qt), ("TestDurationInSeconds", "30")])
        .await
        .err("AWS.MechanicalTurk.InvalidParameterValue");
    app.call("UpdateQualificationType", &[("QualificationTypeId", &qt), ("Test", QUESTION_FORM)])
        .await
        .err("AWS.MissingParameters");
    let tested = app
        .call(
            "UpdateQualificationType",
            &[("QualificationTypeId", &qt), ("Test", QUESTION_FORM), ("TestDurationInSeconds", "30")],
        )
        .await
        .ok();
    assert_eq!(tested.text("TestDurationInSeconds").as_deref(), Some("30"));
    // A type with a test cannot become auto-granted.
    app.call("UpdateQualificationType", &[("QualificationTypeId", &qt), ("AutoGranted", "true")])
        .await
        .err("AWS.MechanicalTurk.InvalidParameterValue");
    app.call("UpdateQualificationType", &[("QualificationTypeId", &qt), ("QualificationTypeStatus", "Gone")])
        .await
        .err("AWS.MechanicalTurk.InvalidParameterValue");
    let auto = app.create_type("auto later", &[]).await;
    let became = app
        .call(
            "UpdateQualificationType",
            &[("QualificationTypeId", &auto), ("AutoGranted", "1"), ("AutoGrantedValue", "5")],
        )
        .await
        .ok();
    assert_eq!(became.text("AutoGranted").as_deref(), Some("1"));
    assert_eq!(became.text("AutoGrantedValue").as_deref(), Some("5"));
    app.call(
        "UpdateQualificationType",
        &[("QualificationTypeId", "3NOSUCHTYPE0000000000000000000"), ("Description", "x")],
    )
    .await
    .err("AWS.MechanicalTurk.QualificationTypeDoesNotExist");
});

both_backends!(scores_update_only_while_granted, |app: TestApp| async move {
    let qt = app.create_type("scores", &[]).await;
    let w = "AHM21AWBZPEJNM";
    app.call("UpdateQualificationScore", &[("QualificationTypeId", &qt), ("SubjectId", w), ("IntegerValue", "5")])
        .await
        .err("AWS.MechanicalTurk.QualificationDoesNotExist");
    app.call("AssignQualification", &[("QualificationTypeId", &qt), ("WorkerId", w), ("SendNotification", "false")])
        .await
        .ok();
    app.call("UpdateQualificationScore", &[("QualificationTypeId", &qt), ("SubjectId", w)])
        .await
        .err("AWS.MissingParameters");
    app.call("UpdateQualificationScore", &[("QualificationTypeId", &qt), ("SubjectId", w), ("IntegerValue", "88")])
        .await
        .ok();
    let s = app.call("GetQualificationScore", &[("QualificationTypeId", &qt), ("SubjectId", w)]).await.ok();
    assert_eq!(s.text("IntegerValue").as_deref(), Some("88"));
    app.call("RevokeQualification", &[("QualificationTypeId", &qt), ("SubjectId", w)]).await.ok();
    app.call("UpdateQualificationScore", &[("QualificationTypeId", &qt), ("SubjectId", w), ("IntegerValue", "1")])
        .await
        .err("AWS.MechanicalTurk.InvalidQualificationState");
    // SendNotification=false left the worker's inbox empty; no reason means no revocation notice either.
    let notes = app.control("GET", &format!("/workers/{w}/notifications"), None).await.json();
    assert_eq!(notes["Notifications"].as_array().map(Vec::len), Some(0));
    let paged =
        app.call("GetQualificationsForQualificationType", &[("QualificationTypeId", &qt), ("Status", "Lost")]).await;
    paged.err("AWS.MechanicalTurk.InvalidParameterValue");
});

both_backends!(requests_are_granted_or_rejected_by_the_owner_only_once, |app: TestApp| async move {
    let qt = app.create_type("manual", &[("RetryDelayInSeconds", "10")]).await;
    let mut ids = Vec::new();
    for w in ["A1AAAAAAAAAAAA", "A2BBBBBBBBBBBB", "A3CCCCCCCCCCCC"] {
        app.advance(1);
        let r = app.request_qualification(w, &qt).await.json();
        assert_eq!(r["Status"], "Pending");
        ids.push(r["QualificationRequestId"].as_str().unwrap().to_owned());
    }
    let listed = app.call("GetQualificationRequests", &[("QualificationTypeId", &qt)]).await.ok();
    assert_eq!(listed.text("TotalNumResults").as_deref(), Some("3"));
    assert_eq!(listed.text("QualificationRequestId").as_deref(), Some(ids[0].as_str()), "oldest first by default");
    let newest = app.call("GetQualificationRequests", &[("SortDirection", "Descending"), ("PageSize", "1")]).await.ok();
    assert_eq!(newest.text("QualificationRequestId").as_deref(), Some(ids[2].as_str()));
    // Another requester can neither see nor decide them.
    let theirs = app.call_as(OTHER_KEY, OTHER_SECRET, "GetQualificationRequests", &[]).await.ok();
    assert_eq!(theirs.text("TotalNumResults").as_deref(), Some("0"));
    app.call_as(OTHER_KEY, OTHER_SECRET, "GrantQualification", &[("QualificationRequestId", &ids[0])])
        .await
        .err("AWS.MechanicalTurk.PermissionDenied");
    app.call_as(OTHER_KEY, OTHER_SECRET, "GetQualificationRequests", &[("QualificationTypeId", &qt)])
        .await
        .err("AWS.MechanicalTurk.PermissionDenied");

    app.call("GrantQualification", &[("QualificationRequestId", &ids[0]), ("IntegerValue", "70")]).await.ok();
    app.call("GrantQualification", &[("QualificationRequestId", &ids[0])])
        .await
        .err("AWS.MechanicalTurk.InvalidQualificationRequestState");
    app.call("RejectQualificationRequest", &[("QualificationRequestId", &ids[1]), ("Reason", "too few HITs")])
        .await
        .ok();
    app.call("RejectQualificationRequest", &[("QualificationRequestId", &ids[1])])
        .await
        .err("AWS.MechanicalTurk.InvalidQualificationRequestState");
    app.call("GrantQualification", &[("QualificationRequestId", "3NOSUCHREQUEST0000000000000000")])
        .await
        .err("AWS.MechanicalTurk.QualificationRequestDoesNotExist");
    app.call("GrantQualification", &[]).await.err("AWS.MissingParameters");
    let score =
        app.call("GetQualificationScore", &[("QualificationTypeId", &qt), ("SubjectId", "A1AAAAAAAAAAAA")]).await.ok();
    assert_eq!(score.text("IntegerValue").as_deref(), Some("70"));
    let rejected = app.control("GET", "/workers/A2BBBBBBBBBBBB/notifications", None).await.json();
    assert_eq!(rejected["Notifications"][0]["Kind"], "QualificationRequestRejected");
    assert_eq!(rejected["Notifications"][0]["Text"], "too few HITs");
    let left = app.call("GetQualificationRequests", &[]).await.ok();
    assert_eq!(left.text("TotalNumResults").as_deref(), Some("1"));

    // Disposal rejects what is still pending, frees the name, and keeps granted qualifications.
    app.call("DisposeQualificationType", &[("QualificationTypeId", &qt)]).await.ok();
    let after = app.call("GetQualificationRequests", &[]).await.ok();
    assert_eq!(after.text("TotalNumResults").as_deref(), Some("0"));
    app.call("GetQualificationType", &[("QualificationTypeId", &qt)])
        .await
        .err("AWS.MechanicalTurk.QualificationTypeDoesNotExist");
    app.call("GrantQualification", &[("QualificationRequestId", &ids[2])])
        .await
        .err("AWS.MechanicalTurk.InvalidQualificationRequestState");
    app.create_type("manual", &[]).await;
});

#[tokio::test]
async fn a_slow_disposal_shows_the_captured_disposing_error_until_it_completes() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("d.db").display());
    let app = TestApp::spawn_on(&url, Some(dir), |s| s.service.dispose_delay_secs = 3600).await;
    let qt = app.create_type("slow", &[]).await;
    app.call("DisposeQualificationType", &[("QualificationTypeId", &qt)]).await.ok();
    let again = app
        .call("DisposeQualificationType", &[("QualificationTypeId", &qt)])
        .await
        .err("AWS.MechanicalTurk.InvalidQualificationTypeState");
    assert!(again.body.contains(&format!(
        "<Message>This operation can be called with a status of: Active,Inactive (1767225600000)</Message><Data><Key>\
         QualificationTypeId</Key><Value>{qt}</Value></Data><Data><Key>CurrentState</Key><Value>Disposing</Value></Data>\
         <Data><Key>ExpectedStates</Key><Value>Active,Inactive</Value></Data>"
    )));
    app.call(
        "CreateQualificationType",
        &[("Name", "slow"), ("Description", "d"), ("QualificationTypeStatus", "Active")],
    )
    .await
    .err("AWS.MechanicalTurk.QualificationTypeAlreadyExists");
    app.call("UpdateQualificationType", &[("QualificationTypeId", &qt), ("Description", "x")])
        .await
        .err("AWS.MechanicalTurk.InvalidQualificationTypeState");
    let search = app
        .call("SearchQualificationTypes", &[("MustBeRequestable", "false"), ("MustBeOwnedByCaller", "true")])
        .await
        .ok();
    assert_eq!(search.text("TotalNumResults").as_deref(), Some("0"), "disposing types are not listed");
    app.advance(3600);
    app.call("GetQualificationType", &[("QualificationTypeId", &qt)])
        .await
        .err("AWS.MechanicalTurk.QualificationTypeDoesNotExist");
    app.create_type("slow", &[]).await;
}

both_backends!(blocks_notifications_and_balance, |app: TestApp| async move {
    app.call("BlockWorker", &[("WorkerId", "A1AAAAAAAAAAAA")]).await.err("AWS.MissingParameters");
    app.call("BlockWorker", &[("WorkerId", "nobody"), ("Reason", "x")])
        .await
        .err("AWS.MechanicalTurk.InvalidParameterValue");
    app.call("BlockWorker", &[("WorkerId", "A1AAAAAAAAAAAA"), ("Reason", "spam")]).await.ok();
    app.call("BlockWorker", &[("WorkerId", "A1AAAAAAAAAAAA"), ("Reason", "still spam")]).await.ok();
    app.call("BlockWorker", &[("WorkerId", "A2BBBBBBBBBBBB"), ("Reason", "slow")]).await.ok();
    let blocked = app.call("GetBlockedWorkers", &[("PageSize", "1")]).await.ok();
    assert!(blocked.body.contains(
        "<GetBlockedWorkersResult><Request><IsValid>True</IsValid></Request><PageNumber>1</PageNumber><NumResults>1\
         </NumResults><TotalNumResults>2</TotalNumResults><WorkerBlock><WorkerId>A1AAAAAAAAAAAA</WorkerId><Reason>still spam\
         </Reason></WorkerBlock>"
    ));
    app.call("GetBlockedWorkers", &[("PageSize", "65536")]).await.err("AWS.ParameterOutOfRange");
    app.call("UnblockWorker", &[("WorkerId", "A1AAAAAAAAAAAA")]).await.ok();
    app.call("UnblockWorker", &[("WorkerId", "A1AAAAAAAAAAAA")]).await.ok();
    let theirs = app.call_as(OTHER_KEY, OTHER_SECRET, "GetBlockedWorkers", &[]).await.ok();
    assert_eq!(theirs.text("TotalNumResults").as_deref(), Some("0"));

    app.call("NotifyWorkers", &[("Subject", "hi"), ("MessageText", "new HITs"), ("WorkerId.1", "A2BBBBBBBBBBBB")])
        .await
        .ok();
    app.call("NotifyWorkers", &[("Subject", "hi"), ("MessageText", "new HITs")]).await.err("AWS.MissingParameters");
    let long_subject = "s".repeat(201);
    app.call("NotifyWorkers", &[("Subject", &long_subject), ("MessageText", "m"), ("WorkerId.1", "A2BBBBBBBBBBBB")])
        .await
        .err("AWS.MechanicalTurk.InvalidParameterValue");
    let notes = app.control("GET", "/workers/A2BBBBBBBBBBBB/notifications", None).await.json();
    assert_eq!(notes["Notifications"][0]["Kind"], "Message");
    assert_eq!(notes["Notifications"][0]["Subject"], "hi");
    assert_eq!(notes["Notifications"][0]["Text"], "new HITs");

    let mine = app.call("GetAccountBalance", &[]).await.ok();
    assert_eq!(mine.text("Amount").as_deref(), Some("10000.00"));
    let other = app.call_as(OTHER_KEY, OTHER_SECRET, "GetAccountBalance", &[]).await.ok();
    assert_eq!(other.text("Amount").as_deref(), Some("25.00"));
});
