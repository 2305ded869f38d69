//! The 2017-01-17 JSON API through `aws-sdk-mturk` (a real client nobody here
//! wrote) and raw requests for what SDKs never send.

use aws_sdk_mturk::error::ProvideErrorMetadata;
use aws_sdk_mturk::types::QualificationStatus;
use mturk_local::domain::clock::{Clock, SystemClock};

use crate::both_backends;
use crate::common::sdk::{new_type, sdk, turk_code};
use crate::common::{TestApp, DEV_KEY, DEV_SECRET, OTHER_KEY, OTHER_SECRET};

const WORKER: &str = "A2YUCJ28XANFOX";

both_backends!(the_sdk_drives_the_whole_qualification_lifecycle, |app: TestApp| async move {
    let c = sdk(&app, DEV_KEY, DEV_SECRET);
    let balance = c.get_account_balance().send().await.unwrap();
    assert_eq!(balance.available_balance(), Some("10000.00"));
    let created = c
        .create_qualification_type()
        .name("sdk type")
        .description("made by aws-sdk-mturk")
        .keywords("sdk,rust")
        .qualification_type_status(aws_sdk_mturk::types::QualificationTypeStatus::Active)
        .retry_delay_in_seconds(60)
        .send()
        .await
        .unwrap();
    let qt = created.qualification_type().unwrap();
    let id = qt.qualification_type_id().unwrap().to_owned();
    assert_eq!(id.len(), 30);
    assert_eq!(qt.is_requestable(), Some(true));
    assert_eq!(qt.retry_delay_in_seconds(), Some(60));
    let listed =
        c.list_qualification_types().must_be_requestable(true).must_be_owned_by_caller(true).send().await.unwrap();
    assert_eq!(listed.num_results(), Some(1));
    assert_eq!(listed.qualification_types()[0].qualification_type_id(), Some(id.as_str()));
    let with_system = c.list_qualification_types().must_be_requestable(false).max_results(100).send().await.unwrap();
    assert!(with_system.qualification_types().iter().any(|t| t.name() == Some("Worker_Locale")));
    let got = c.get_qualification_type().qualification_type_id(&id).send().await.unwrap();
    assert_eq!(got.qualification_type().unwrap().name(), Some("sdk type"));
    let updated = c.update_qualification_type().qualification_type_id(&id).description("new").send().await.unwrap();
    assert_eq!(updated.qualification_type().unwrap().description(), Some("new"));

    c.associate_qualification_with_worker()
        .qualification_type_id(&id)
        .worker_id(WORKER)
        .integer_value(90)
        .send_notification(false)
        .send()
        .await
        .unwrap();
    // Associating again overwrites the value (legacy Assign would refuse).
    c.associate_qualification_with_worker()
        .qualification_type_id(&id)
        .worker_id(WORKER)
        .integer_value(91)
        .send()
        .await
        .unwrap();
    let score = c.get_qualification_score().qualification_type_id(&id).worker_id(WORKER).send().await.unwrap();
    let q = score.qualification().unwrap();
    assert_eq!(q.integer_value(), Some(91));
    assert_eq!(q.status(), Some(&QualificationStatus::Granted));
    assert!(q.grant_time().is_some());

    c.disassociate_qualification_from_worker()
        .qualification_type_id(&id)
        .worker_id(WORKER)
        .reason("quality")
        .send()
        .await
        .unwrap();
    let revoked_score = c.get_qualification_score().qualification_type_id(&id).worker_id(WORKER).send().await;
    assert_eq!(turk_code(revoked_score), "AWS.MechanicalTurk.InvalidQualificationState");
    let again = c.disassociate_qualification_from_worker().qualification_type_id(&id).worker_id(WORKER).send().await;
    assert_eq!(turk_code(again), "AWS.MechanicalTurk.InvalidQualificationState");
    let revoked = c
        .list_workers_with_qualification_type()
        .qualification_type_id(&id)
        .status(QualificationStatus::Revoked)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.num_results(), Some(1));
    assert_eq!(revoked.qualifications()[0].worker_id(), Some(WORKER));
    // A page with items carries a token even when it is the last (modern-api.md §4, corrected);
    // the call with it comes back empty and without one.
    let after = c
        .list_workers_with_qualification_type()
        .qualification_type_id(&id)
        .status(QualificationStatus::Revoked)
        .next_token(revoked.next_token().expect("a token on the last non-empty page"))
        .send()
        .await
        .unwrap();
    assert_eq!((after.num_results(), after.next_token()), (Some(0), None));

    // Requests made by a simulated worker, decided through the SDK.
    for w in ["A1AAAAAAAAAAAA", "A2BBBBBBBBBBBB"] {
        app.request_qualification(w, &id).await;
    }
    let pending = c.list_qualification_requests().qualification_type_id(&id).send().await.unwrap();
    assert_eq!(pending.num_results(), Some(2));
    let ids: Vec<String> =
        pending.qualification_requests().iter().map(|r| r.qualification_request_id().unwrap().to_owned()).collect();
    c.accept_qualification_request().qualification_request_id(&ids[0]).integer_value(5).send().await.unwrap();
    c.reject_qualification_request().qualification_request_id(&ids[1]).reason("no").send().await.unwrap();
    let twice = c.accept_qualification_request().qualification_request_id(&ids[0]).send().await;
    assert_eq!(turk_code(twice), "AWS.MechanicalTurk.InvalidQualificationRequestState");

    c.create_worker_block().worker_id(WORKER).reason("spam").send().await.unwrap();
    let blocks = c.list_worker_blocks().send().await.unwrap();
    assert_eq!(blocks.worker_blocks()[0].reason(), Some("spam"));
    c.delete_worker_block().worker_id(WORKER).send().await.unwrap();
    assert_eq!(c.list_worker_blocks().send().await.unwrap().num_results(), Some(0));

    let notified = c
        .notify_workers()
        .subject("hello")
        .message_text("more work")
        .worker_ids("A1AAAAAAAAAAAA")
        .worker_ids("A9NEVERWORKEDFORYOU")
        .send()
        .await
        .unwrap();
    let failures = notified.notify_workers_failure_statuses();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].worker_id(), Some("A9NEVERWORKEDFORYOU"));

    c.delete_qualification_type().qualification_type_id(&id).send().await.unwrap();
    let gone = c.get_qualification_type().qualification_type_id(&id).send().await;
    assert_eq!(turk_code(gone), "AWS.MechanicalTurk.QualificationTypeDoesNotExist");
});

both_backends!(one_store_two_faces, |app: TestApp| async move {
    let c = sdk(&app, DEV_KEY, DEV_SECRET);
    // Revoked through the legacy API, seen as Revoked through JSON.
    let legacy_type = app.create_type("legacy made", &[]).await;
    app.call("AssignQualification", &[("QualificationTypeId", &legacy_type), ("WorkerId", WORKER)]).await.ok();
    app.call("RevokeQualification", &[("QualificationTypeId", &legacy_type), ("SubjectId", WORKER), ("Reason", "r")])
        .await
        .ok();
    let listed = c
        .list_workers_with_qualification_type()
        .qualification_type_id(&legacy_type)
        .status(QualificationStatus::Revoked)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.qualifications()[0].status(), Some(&QualificationStatus::Revoked));
    // Created through JSON, found by the legacy search; revoked through JSON, refused by legacy score.
    let json_type = new_type(&c, "json made").await;
    let search =
        app.call("SearchQualificationTypes", &[("MustBeRequestable", "true"), ("Query", "json made")]).await.ok();
    assert_eq!(search.text("QualificationTypeId").as_deref(), Some(json_type.as_str()));
    c.associate_qualification_with_worker().qualification_type_id(&json_type).worker_id(WORKER).send().await.unwrap();
    c.disassociate_qualification_from_worker()
        .qualification_type_id(&json_type)
        .worker_id(WORKER)
        .send()
        .await
        .unwrap();
    app.call("GetQualificationScore", &[("QualificationTypeId", &json_type), ("SubjectId", WORKER)])
        .await
        .err("AWS.MechanicalTurk.InvalidQualificationState");
});

both_backends!(sdk_errors_carry_the_turk_error_code, |app: TestApp| async move {
    let c = sdk(&app, DEV_KEY, DEV_SECRET);
    let other = sdk(&app, OTHER_KEY, OTHER_SECRET);
    let theirs = new_type(&other, "theirs").await;
    let denied =
        c.disassociate_qualification_from_worker().qualification_type_id(&theirs).worker_id(WORKER).send().await;
    assert_eq!(turk_code(denied), "AWS.MechanicalTurk.PermissionDenied");
    let missing = c
        .disassociate_qualification_from_worker()
        .qualification_type_id("3NOSUCHTYPE0000000000000000000")
        .worker_id(WORKER)
        .send()
        .await;
    assert_eq!(turk_code(missing), "AWS.MechanicalTurk.QualificationTypeDoesNotExist");
    let never =
        c.disassociate_qualification_from_worker().qualification_type_id(&theirs).worker_id(WORKER).send().await;
    assert_eq!(turk_code(never), "AWS.MechanicalTurk.PermissionDenied");
    let bad_pattern = c.get_qualification_type().qualification_type_id("lower-case").send().await;
    assert_eq!(turk_code(bad_pattern), "AWS.MechanicalTurk.InvalidParameterValue");
    let too_many = c.list_worker_blocks().max_results(500).send().await;
    assert_eq!(turk_code(too_many), "AWS.ParameterOutOfRange");
    // A queue "URL" that is an ARN is refused (NotificationSpecification: an SQS destination is a queue URL).
    let notification = aws_sdk_mturk::types::NotificationSpecification::builder()
        .destination("arn:aws:sqs:us-east-1:123456789012:q")
        .transport(aws_sdk_mturk::types::NotificationTransport::Sqs)
        .version("2006-05-05")
        .event_types(aws_sdk_mturk::types::EventType::AssignmentSubmitted)
        .build()
        .unwrap();
    let not_a_queue = c
        .send_test_event_notification()
        .notification(notification)
        .test_event_type(aws_sdk_mturk::types::EventType::Ping)
        .send()
        .await;
    assert_eq!(turk_code(not_a_queue), "AWS.MechanicalTurk.InvalidParameterValue");
    let duplicate = other
        .create_qualification_type()
        .name("theirs")
        .description("d")
        .qualification_type_status(aws_sdk_mturk::types::QualificationTypeStatus::Active)
        .send()
        .await;
    assert_eq!(turk_code(duplicate), "AWS.MechanicalTurk.QualificationTypeAlreadyExists");
    assert_eq!(other.get_account_balance().send().await.unwrap().available_balance(), Some("25.00"));

    // Authentication failures surface as the AWS exception names.
    let wrong_secret = sdk(&app, DEV_KEY, "not the secret").get_account_balance().send().await.unwrap_err();
    assert_eq!(wrong_secret.code(), Some("InvalidSignatureException"));
    let unknown = sdk(&app, "AKIANOBODY0000000000", "x").get_account_balance().send().await.unwrap_err();
    assert_eq!(unknown.code(), Some("UnrecognizedClientException"));
});

both_backends!(pagination_hands_a_token_to_every_page_with_items_and_ends_on_an_empty_one, |app: TestApp| async move {
    let c = sdk(&app, DEV_KEY, DEV_SECRET);
    for i in 0..7 {
        c.create_worker_block().worker_id(format!("A{i}PAGEDWORKER")).reason("r").send().await.unwrap();
    }
    // The loop oTree's get_all_assignments runs: read NextToken after every page that has
    // items, stop at the first empty page. The real service answers it (modern-api.md §4).
    let mut seen = Vec::new();
    let mut tokens: Vec<String> = Vec::new();
    let mut sizes = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = c.list_worker_blocks().max_results(3).set_next_token(next.clone()).send().await.unwrap();
        sizes.push(page.num_results().unwrap());
        if page.worker_blocks().is_empty() {
            assert_eq!(page.next_token(), None, "an empty page carries no token");
            break;
        }
        seen.extend(page.worker_blocks().iter().map(|b| b.worker_id().unwrap().to_owned()));
        let t = page.next_token().expect("every page with items carries a token").to_owned();
        assert!(!tokens.contains(&t), "a token was repeated");
        assert!((1..=255).contains(&t.len()));
        tokens.push(t.clone());
        next = Some(t);
    }
    assert_eq!(sizes, [3, 3, 1, 0]);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 7);
    assert_eq!(tokens.len(), 3);
    // The SDK's own paginator ends too, one call later, and sees each block once.
    let pages: Vec<_> = c.list_worker_blocks().max_results(3).into_paginator().send().collect::<Vec<_>>().await;
    let mut walked: Vec<String> = pages
        .into_iter()
        .flat_map(|p| p.unwrap().worker_blocks().iter().map(|b| b.worker_id().unwrap().to_owned()).collect::<Vec<_>>())
        .collect();
    assert_eq!(walked.len(), 7);
    walked.sort();
    assert_eq!(walked, seen);
    let forged = c.list_worker_blocks().next_token("bm90IGEgdG9rZW4").send().await;
    assert_eq!(turk_code(forged), "AWS.MechanicalTurk.InvalidParameterValue");
    // A token of one listing is refused by another.
    let foreign = c.list_qualification_requests().next_token(&tokens[0]).send().await;
    assert_eq!(turk_code(foreign), "AWS.MechanicalTurk.InvalidParameterValue");
});

/// A raw JSON call (unsigned unless `sign` is set).
async fn raw_json(app: &TestApp, target: &str, content_type: &str, body: &str) -> reqwest::Response {
    app.http
        .post(format!("{}/", app.base))
        .header("X-Amz-Target", target)
        .header("Content-Type", content_type)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_one_of_the_39_operations_is_routed() {
    let app = TestApp::spawn(&crate::common::Backend::Sqlite).await;
    for op in mturk_local::protocol::json::dispatch::OPERATIONS {
        let res =
            raw_json(&app, &format!("MTurkRequesterServiceV20170117.{}", op.name), "application/x-amz-json-1.1", "{}")
                .await;
        // Unsigned, so every routed operation reaches authentication and stops there.
        assert_eq!(res.status().as_u16(), 403, "{}", op.name);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["__type"], "com.amazon.coral.service#MissingAuthenticationTokenException", "{}", op.name);
    }
    let unknown =
        raw_json(&app, "MTurkRequesterServiceV20170117.FlyToTheMoon", "application/x-amz-json-1.1", "{}").await;
    assert_eq!(unknown.status().as_u16(), 400);
    assert!(unknown.headers().contains_key("x-amzn-requestid"));
    assert_eq!(unknown.headers()["x-amzn-errortype"], "com.amazonaws.mturk#RequestError");
    let body: serde_json::Value = unknown.json().await.unwrap();
    assert_eq!(body["__type"], "com.amazonaws.mturk#RequestError");
    assert_eq!(body["TurkErrorCode"], "AWS.MechanicalTurk.InvalidParameterValue");
    assert!(body["Message"].as_str().unwrap().contains("FlyToTheMoon"));
}

#[tokio::test]
async fn malformed_bodies_and_content_types_are_clear_request_errors_in_open_mode() {
    // The open auth mode accepts any well-formed credential, so raw requests reach validation.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("open.db").display());
    let app = TestApp::spawn_on(&url, Some(dir), |s| s.auth.mode = mturk_local::config::AuthMode::Open).await;
    let c = sdk(&app, "AKIAANYONEATALL00001", "whatever");
    assert_eq!(c.get_account_balance().send().await.unwrap().available_balance(), Some("10000.00"));
    // Each access key is its own requester.
    let mine = c
        .create_qualification_type()
        .name("open")
        .description("d")
        .qualification_type_status(aws_sdk_mturk::types::QualificationTypeStatus::Active)
        .send()
        .await
        .unwrap();
    let id = mine.qualification_type().unwrap().qualification_type_id().unwrap().to_owned();
    let stranger = sdk(&app, "AKIASOMEONEELSE00002", "x");
    let denied =
        stranger.associate_qualification_with_worker().qualification_type_id(&id).worker_id(WORKER).send().await;
    assert_eq!(turk_code(denied), "AWS.MechanicalTurk.PermissionDenied");

    let signed_raw = |target: &str, content_type: &str, body: &str| {
        let now = SystemClock.now();
        let date = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(now.millis()).unwrap();
        let amz = date.format("%Y%m%dT%H%M%SZ").to_string();
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=AKIAANYONEATALL00001/{}/us-east-1/mturk-requester/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature={}",
            &amz[..8],
            "0".repeat(64)
        );
        app.http
            .post(format!("{}/", app.base))
            .header("X-Amz-Target", format!("MTurkRequesterServiceV20170117.{target}"))
            .header("Content-Type", content_type)
            .header("X-Amz-Date", amz)
            .header("Authorization", auth)
            .body(body.to_owned())
            .send()
    };
    for (what, target, ct, body, code) in [
        (
            "malformed JSON",
            "GetAccountBalance",
            "application/x-amz-json-1.1",
            "{not json",
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "a JSON array",
            "GetAccountBalance",
            "application/x-amz-json-1.1",
            "[]",
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        ("a wrong content type", "GetAccountBalance", "text/plain", "{}", "AWS.MechanicalTurk.InvalidParameterValue"),
        (
            "a missing required member",
            "GetQualificationType",
            "application/x-amz-json-1.1",
            "{}",
            "AWS.MissingParameters",
        ),
        (
            "a member of the wrong type",
            "GetQualificationType",
            "application/x-amz-json-1.1",
            "{\"QualificationTypeId\": 5}",
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "a bad enum",
            "ListWorkersWithQualificationType",
            "application/x-amz-json-1.1",
            &format!("{{\"QualificationTypeId\": \"{id}\", \"Status\": \"Maybe\"}}"),
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "MaxResults 0",
            "ListWorkerBlocks",
            "application/x-amz-json-1.1",
            "{\"MaxResults\": 0}",
            "AWS.ParameterOutOfRange",
        ),
    ] {
        let res = signed_raw(target, ct, body).await.unwrap();
        assert_eq!(res.status().as_u16(), 400, "{what}");
        let json: serde_json::Value = res.json().await.unwrap();
        assert_eq!(json["__type"], "com.amazonaws.mturk#RequestError", "{what}");
        assert_eq!(json["TurkErrorCode"], code, "{what}: {json}");
    }
    // An empty body means {}.
    let empty = signed_raw("GetAccountBalance", "application/x-amz-json-1.1", "").await.unwrap();
    assert_eq!(empty.status().as_u16(), 200);
}
