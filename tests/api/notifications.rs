//! HIT event notifications (issue 12): the settings operations on both
//! faces, every event type from each of its causes (API, simulated workers,
//! the clock), the outbox (an event commits with its change or not at all),
//! and delivery to a local HTTP receiver over the legacy REST transport,
//! whose signature is checked as boto 2's `NotificationMessage.verify` does.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::both_backends;
use crate::common::endpoint::Endpoint;
use crate::common::{TestApp, DEV_KEY, DEV_SECRET, OTHER_KEY, OTHER_SECRET};

const QUESTION: &str = r#"<ExternalQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/ExternalQuestion.xsd"><ExternalURL>https://example.org/task</ExternalURL><FrameHeight>600</FrameHeight></ExternalQuestion>"#;
const ANSWER: &str = r#"<QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"><Answer><QuestionIdentifier>q</QuestionIdentifier><FreeText>done</FreeText></Answer></QuestionFormAnswers>"#;

const ALL_TYPES: [&str; 11] = [
    "AssignmentAccepted",
    "AssignmentAbandoned",
    "AssignmentReturned",
    "AssignmentSubmitted",
    "AssignmentRejected",
    "AssignmentApproved",
    "HITCreated",
    "HITExtended",
    "HITDisposed",
    "HITReviewable",
    "HITExpired",
];

/// A local HTTP receiver for the REST transport: records each request's
/// query parameters, in arrival order; answers 500 while `fail` is set.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<BTreeMap<String, String>>>>,
    fail: Arc<std::sync::atomic::AtomicBool>,
}

impl Receiver {
    async fn start() -> (Self, String) {
        let receiver = Self::default();
        let r = receiver.clone();
        let app = axum::Router::new().route(
            "/notify",
            axum::routing::get(move |uri: axum::http::Uri| {
                let r = r.clone();
                async move {
                    if r.fail.load(std::sync::atomic::Ordering::SeqCst) {
                        return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    let params: BTreeMap<String, String> =
                        mturk_local::protocol::form::decode(uri.query(), None).unwrap().into_iter().collect();
                    r.got.lock().unwrap().push(params);
                    axum::http::StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/notify", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (receiver, url)
    }

    fn received(&self) -> Vec<BTreeMap<String, String>> {
        self.got.lock().unwrap().clone()
    }
}

/// boto 2's `NotificationMessage.verify`: base64 HMAC-SHA1 of the service,
/// the operation and the message's Timestamp, with the requester's secret.
fn verify(params: &BTreeMap<String, String>, secret: &str) -> bool {
    let expected = mturk_local::auth::legacy::sign(
        secret.as_bytes(),
        &format!("AWSMechanicalTurkRequesterNotificationNotify{}", params["Timestamp"]),
    );
    params.get("method").map(String::as_str) == Some("Notify") && params["Signature"] == expected
}

async fn register_type(app: &TestApp, title: &str, auto_approval_secs: &str) -> String {
    app.call(
        "RegisterHITType",
        &[
            ("Title", title),
            ("Description", "d"),
            ("Reward.1.Amount", "0.10"),
            ("Reward.1.CurrencyCode", "USD"),
            ("AssignmentDurationInSeconds", "600"),
            ("AutoApprovalDelayInSeconds", auto_approval_secs),
        ],
    )
    .await
    .ok()
    .text("HITTypeId")
    .unwrap()
}

async fn notify_rest(app: &TestApp, hit_type: &str, url: &str, types: &[&str]) {
    let mut params: Vec<(String, String)> = vec![
        ("HITTypeId".into(), hit_type.into()),
        ("Notification.1.Destination".into(), url.into()),
        ("Notification.1.Transport".into(), "REST".into()),
        ("Notification.1.Version".into(), "2006-05-05".into()),
        // Inside the structure, where boto 2 sends it.
        ("Notification.1.Active".into(), "True".into()),
    ];
    for (i, t) in types.iter().enumerate() {
        params.push((format!("Notification.1.EventType.{}", i + 1), (*t).to_owned()));
    }
    let refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.call("SetHITTypeNotification", &refs).await.ok();
}

async fn create_hit(app: &TestApp, hit_type: &str, max: &str, lifetime: &str) -> String {
    app.call(
        "CreateHIT",
        &[("HITTypeId", hit_type), ("Question", QUESTION), ("LifetimeInSeconds", lifetime), ("MaxAssignments", max)],
    )
    .await
    .ok()
    .text("HITId")
    .unwrap()
}

async fn accept(app: &TestApp, worker: &str, hit: &str) -> String {
    let a = app.control("POST", &format!("/workers/{worker}/assignments"), Some(json!({ "HITId": hit }))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.json()["AssignmentId"].as_str().unwrap().to_owned()
}

async fn events(app: &TestApp, query: &str) -> Vec<Value> {
    let answer = app.control("GET", &format!("/events{query}"), None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["Events"].as_array().unwrap().clone()
}

/// (EventType, HITId, AssignmentId) of each event, in order.
fn kinds(events: &[Value]) -> Vec<(String, String, String)> {
    events
        .iter()
        .map(|e| {
            (
                e["EventType"].as_str().unwrap().to_owned(),
                e["HITId"].as_str().unwrap().to_owned(),
                e["AssignmentId"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Waits until every delivery of every event is out of Pending.
async fn settled(app: &TestApp) -> Vec<Value> {
    for _ in 0..200 {
        let all = events(app, "").await;
        let pending =
            all.iter().flat_map(|e| e["Deliveries"].as_array().unwrap().iter()).any(|d| d["Status"] == "Pending");
        if !pending {
            return all;
        }
        // Retries wait in wall time: move the test's wall clock along.
        app.wall.set(mturk_local::domain::clock::Clock::now(&*app.wall).plus_seconds(1));
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("deliveries still pending: {:#}", json!(events(app, "").await));
}

fn ev(kind: &str, hit: &str, assignment: &str) -> (String, String, String) {
    (kind.to_owned(), hit.to_owned(), assignment.to_owned())
}

both_backends!(every_event_type_fires_from_every_cause_and_reaches_the_rest_receiver, |app: TestApp| async move {
    let (receiver, url) = Receiver::start().await;
    let hit_type = register_type(&app, "all events", "86400").await;
    notify_rest(&app, &hit_type, &url, &ALL_TYPES).await;

    // The API: HITCreated.
    let hit = create_hit(&app, &hit_type, "3", "3600").await;
    // Simulated workers: accepted and submitted, accepted and returned.
    let alice = app.work("A1ALICE", &hit, ANSWER).await;
    let dave = app.work("A1DAVE", &hit, ANSWER).await;
    let bob = accept(&app, "A1BOB", &hit).await;
    let returned = app.control("POST", &format!("/assignments/{bob}/return"), Some(json!({}))).await;
    assert_eq!(returned.status, 200, "{}", returned.body);
    // The clock: Carol's deadline passes.
    let carol = accept(&app, "A1CAROL", &hit).await;
    assert_eq!(app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 601 }))).await.status, 200);
    // The API again: approve, reject, extend, expire, dispose.
    app.call("ApproveAssignment", &[("AssignmentId", &alice)]).await.ok();
    app.call("RejectAssignment", &[("AssignmentId", &dave), ("RequesterFeedback", "no")]).await.ok();
    app.call("ExtendHIT", &[("HITId", &hit), ("ExpirationIncrementInSeconds", "3600")]).await.ok();
    app.call("ForceExpireHIT", &[("HITId", &hit)]).await.ok();
    app.call("DisposeHIT", &[("HITId", &hit)]).await.ok();

    // The clock: an expiry (with nothing in progress, the HIT is Reviewable)
    // and an automatic approval, on a second type with a short delay.
    let quick = register_type(&app, "quick approval", "60").await;
    notify_rest(&app, &quick, &url, &["AssignmentApproved", "HITExpired", "HITReviewable"]).await;
    let hit2 = create_hit(&app, &quick, "1", "300").await;
    let erin = app.work("A1ERIN", &hit2, ANSWER).await;
    assert_eq!(app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 301 }))).await.status, 200);

    let all = settled(&app).await;
    let got = kinds(&all);
    let expected = vec![
        ev("HITCreated", &hit, ""),
        ev("AssignmentAccepted", &hit, &alice),
        ev("AssignmentSubmitted", &hit, &alice),
        ev("AssignmentAccepted", &hit, &dave),
        ev("AssignmentSubmitted", &hit, &dave),
        ev("AssignmentAccepted", &hit, &bob),
        ev("AssignmentReturned", &hit, &bob),
        ev("AssignmentAccepted", &hit, &carol),
        ev("AssignmentAbandoned", &hit, &carol),
        ev("AssignmentApproved", &hit, &alice),
        ev("AssignmentRejected", &hit, &dave),
        ev("HITExtended", &hit, ""),
        ev("HITExpired", &hit, ""),
        ev("HITReviewable", &hit, ""),
        ev("HITDisposed", &hit, ""),
        // The second type: submitted work (not sent: not among its types) is approved by the clock
        // when the HIT expires too: the expiry and the Reviewable HIT come first in the same move,
        // then the approval recorded by the settle the move runs.
        ev("AssignmentApproved", &hit2, &erin),
        ev("HITExpired", &hit2, ""),
        ev("HITReviewable", &hit2, ""),
    ];
    let mut got_sorted = got.clone();
    let mut expected_sorted = expected.clone();
    got_sorted.sort();
    expected_sorted.sort();
    assert_eq!(got_sorted, expected_sorted, "events: {got:#?}");
    // The first HIT's events in the order they happened.
    let first: Vec<_> = got.iter().filter(|(_, h, _)| h == &hit).cloned().collect();
    assert_eq!(first, expected[..15].to_vec());

    // Emulated timestamps: the abandonment at Carol's deadline, the approval when the delay ran out.
    let find = |kind: &str, h: &str| all.iter().find(|x| x["EventType"] == kind && x["HITId"] == h).unwrap().clone();
    let start = crate::common::START;
    assert_eq!(find("HITCreated", &hit)["EventTimestamp"], start.to_xml_datetime());
    assert_eq!(find("AssignmentAbandoned", &hit)["EventTimestamp"], start.plus_seconds(600).to_xml_datetime());
    assert_eq!(find("AssignmentApproved", &hit2)["EventTimestamp"], start.plus_seconds(601 + 60).to_xml_datetime());

    // Every event was delivered once, in order, signed so that boto 2 verifies it.
    for e in &all {
        let deliveries = e["Deliveries"].as_array().unwrap();
        assert_eq!(deliveries.len(), 1, "{e:#}");
        assert_eq!(deliveries[0]["Status"], "Delivered", "{e:#}");
        assert_eq!(deliveries[0]["Transport"], "REST");
        assert_eq!(deliveries[0]["Attempts"], 1);
    }
    let requests = receiver.received();
    assert_eq!(requests.len(), all.len());
    for r in &requests {
        assert!(verify(r, DEV_SECRET), "{r:?}");
        assert!(!verify(r, OTHER_SECRET));
        assert_eq!(r["Version"], "2006-05-05");
    }
    let delivered_first: Vec<(String, String, String)> = requests
        .iter()
        .filter(|r| r["Event.1.HITId"] == hit)
        .map(|r| {
            (
                r["Event.1.EventType"].clone(),
                r["Event.1.HITId"].clone(),
                r.get("Event.1.AssignmentId").cloned().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(delivered_first, expected[..15].to_vec(), "one destination's events arrive in order");
    let abandoned = requests.iter().find(|r| r["Event.1.EventType"] == "AssignmentAbandoned").unwrap();
    assert_eq!(abandoned["Event.1.EventTime"], start.plus_seconds(600).to_xml_datetime());
    assert_eq!(abandoned["Event.1.HITTypeId"], hit_type);

    // The filters.
    assert_eq!(events(&app, &format!("?HITId={hit2}")).await.len(), 3);
    assert_eq!(events(&app, &format!("?HITTypeId={hit_type}&EventType=AssignmentAccepted")).await.len(), 4);
    assert_eq!(app.control("GET", "/events?EventType=Nope", None).await.status, 400);
    // Reset empties the outbox.
    assert_eq!(app.control("POST", "/reset", None).await.status, 200);
    assert!(events(&app, "").await.is_empty());
});

both_backends!(a_test_event_goes_to_the_given_destination, |app: TestApp| async move {
    let (receiver, url) = Receiver::start().await;
    app.call(
        "SendTestEventNotification",
        &[
            ("Notification.1.Destination", &url),
            ("Notification.1.Transport", "REST"),
            ("Notification.1.Version", "2006-05-05"),
            ("Notification.1.EventType.1", "AssignmentSubmitted"),
            ("TestEventType", "Ping"),
        ],
    )
    .await
    .ok();
    let all = settled(&app).await;
    assert_eq!(kinds(&all), vec![ev("Ping", "", "")]);
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["Event.1.EventType"], "Ping");
    assert!(verify(&got[0], DEV_SECRET));
    // The JSON face records one too (to a queue no server serves here: it stays undelivered).
    let endpoint = Endpoint::for_app(&app);
    let answer = endpoint
        .json(
            "SendTestEventNotification",
            &json!({
                "Notification": {
                    "Destination": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
                    "Transport": "SQS", "Version": "2014-08-15", "EventTypes": ["HITExpired"]
                },
                "TestEventType": "HITExpired"
            }),
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
    let sqs = events(&app, "?EventType=HITExpired").await;
    assert_eq!(sqs.len(), 1);
    assert_eq!(sqs[0]["Deliveries"][0]["Transport"], "SQS");
    assert_eq!(sqs[0]["CustomerId"], DEV_KEY);
});

both_backends!(settings_are_validated_alike_on_both_faces, |app: TestApp| async move {
    let hit_type = register_type(&app, "validated", "3600").await;
    let endpoint = Endpoint::for_app(&app);
    let update = "UpdateNotificationSettings";
    let spec = |destination: &str, transport: &str, version: &str, types: &[&str]| json!({ "Destination": destination, "Transport": transport, "Version": version, "EventTypes": types });
    let queue = "https://sqs.us-east-1.amazonaws.com/123456789012/jobs";
    let cases: Vec<(&str, Value, &str)> = vec![
        ("no HIT type", json!({ "Active": true }), "AWS.MissingParameters"),
        ("neither member", json!({ "HITTypeId": hit_type }), "AWS.MissingParameters"),
        (
            "unknown HIT type",
            json!({ "HITTypeId": "3NOSUCHTYPE0000000000000000000", "Notification": spec(queue, "SQS", "2006-05-05", &["HITExpired"]) }),
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "Active with nothing stored",
            json!({ "HITTypeId": hit_type, "Active": true }),
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "REST on the JSON face",
            json!({ "HITTypeId": hit_type, "Notification": spec("http://127.0.0.1:1/n", "REST", "2006-05-05", &["HITExpired"]) }),
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "bad version",
            json!({ "HITTypeId": hit_type, "Notification": spec(queue, "SQS", "2017-01-17", &["HITExpired"]) }),
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "Ping in a setting",
            json!({ "HITTypeId": hit_type, "Notification": spec(queue, "SQS", "2006-05-05", &["Ping"]) }),
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "unknown event type",
            json!({ "HITTypeId": hit_type, "Notification": spec(queue, "SQS", "2006-05-05", &["HitExpired"]) }),
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "queue URL without account",
            json!({ "HITTypeId": hit_type, "Notification": spec("https://sqs.us-east-1.amazonaws.com/jobs", "SQS", "2006-05-05", &["HITExpired"]) }),
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "topic that is a queue",
            json!({ "HITTypeId": hit_type, "Notification": spec(queue, "SNS", "2006-05-05", &["HITExpired"]) }),
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "address without @",
            json!({ "HITTypeId": hit_type, "Notification": spec("nobody", "Email", "2006-05-05", &["HITExpired"]) }),
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "no event types",
            json!({ "HITTypeId": hit_type, "Notification": spec(queue, "SQS", "2006-05-05", &[]) }),
            "AWS.MissingParameters",
        ),
    ];
    for (what, body, code) in cases {
        let reply = endpoint.json(update, &body).await.unwrap();
        assert_eq!(reply.json_code().as_deref(), Some(code), "{what}: {}", reply.body);
    }
    // Another requester's HIT type.
    let reply = endpoint
        .json_as(
            OTHER_KEY,
            OTHER_SECRET,
            update,
            &json!({ "HITTypeId": hit_type, "Notification": spec(queue, "SQS", "2006-05-05", &["HITExpired"]) }),
        )
        .await
        .unwrap();
    assert_eq!(reply.json_code().as_deref(), Some("AWS.MechanicalTurk.PermissionDenied"), "{}", reply.body);

    // The same rules on the legacy face, and SOAP refused.
    let legacy: Vec<crate::common::Case> = vec![
        ("neither", vec![("HITTypeId", &hit_type)], "AWS.MissingParameters"),
        (
            "SOAP",
            vec![
                ("HITTypeId", &hit_type),
                ("Notification.1.Destination", "http://127.0.0.1:1/soap"),
                ("Notification.1.Transport", "SOAP"),
                ("Notification.1.Version", "2006-05-05"),
                ("Notification.1.EventType.1", "HITExpired"),
            ],
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "bad version",
            vec![
                ("HITTypeId", &hit_type),
                ("Notification.1.Destination", "me@example.com"),
                ("Notification.1.Transport", "Email"),
                ("Notification.1.Version", "2005-10-01"),
                ("Notification.1.EventType.1", "HITExpired"),
            ],
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "no destination",
            vec![
                ("HITTypeId", &hit_type),
                ("Notification.1.Transport", "Email"),
                ("Notification.1.Version", "2006-05-05"),
                ("Notification.1.EventType.1", "HITExpired"),
            ],
            "AWS.MissingParameters",
        ),
        (
            "Active alone",
            vec![("HITTypeId", &hit_type), ("Active", "false")],
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
    ];
    for (what, params, code) in legacy {
        let answer = app.call("SetHITTypeNotification", &params).await;
        assert_eq!(answer.code().as_deref(), Some(code), "{what}: {}", answer.body);
    }
    let other = app
        .call_as(
            OTHER_KEY,
            OTHER_SECRET,
            "SetHITTypeNotification",
            &[
                ("HITTypeId", &hit_type),
                ("Notification.1.Destination", "me@example.com"),
                ("Notification.1.Transport", "Email"),
                ("Notification.1.Version", "2006-05-05"),
                ("Notification.1.EventType.1", "HITExpired"),
            ],
        )
        .await;
    assert_eq!(other.code().as_deref(), Some("AWS.MechanicalTurk.PermissionDenied"), "{}", other.body);

    // A valid setting, switched off and on without being lost: only events sent while on.
    let reply = endpoint
        .json(
            update,
            &json!({ "HITTypeId": hit_type, "Notification": spec(queue, "SQS", "2014-08-15", &["HITCreated"]) }),
        )
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    // A HIT type's first specification starts switched off (the Developer Guide, as boto 2 quotes it).
    create_hit(&app, &hit_type, "1", "3600").await;
    let switch = |on: bool| json!({ "HITTypeId": hit_type, "Active": on });
    assert_eq!(endpoint.json(update, &switch(true)).await.unwrap().status, 200);
    create_hit(&app, &hit_type, "1", "3600").await;
    assert_eq!(endpoint.json(update, &switch(false)).await.unwrap().status, 200);
    create_hit(&app, &hit_type, "1", "3600").await;
    assert_eq!(endpoint.json(update, &switch(true)).await.unwrap().status, 200);
    create_hit(&app, &hit_type, "1", "3600").await;
    let created = events(&app, "?EventType=HITCreated").await;
    assert_eq!(created.len(), 2);
    assert!(created.iter().all(|e| e["Deliveries"][0]["Destination"] == queue));
});

both_backends!(a_change_that_does_not_happen_records_no_event, |app: TestApp| async move {
    let (_receiver, url) = Receiver::start().await;
    let hit_type = register_type(&app, "atomic", "3600").await;
    notify_rest(&app, &hit_type, &url, &ALL_TYPES).await;
    let hit = create_hit(&app, &hit_type, "1", "3600").await;
    accept(&app, "A1FIRST", &hit).await;
    // No slot left: the accept fails, and so no AssignmentAccepted is recorded for it.
    let refused = app.control("POST", "/workers/A1SECOND/assignments", Some(json!({ "HITId": hit }))).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    // DisableHIT that cannot pay changes nothing, and records nothing.
    let hit2 = create_hit(&app, &hit_type, "1", "3600").await;
    app.work("A1THIRD", &hit2, ANSWER).await;
    crate::common::execute_sql(&app.database, "UPDATE requesters SET balance_cents = 0").await;
    let before = kinds(&events(&app, "").await);
    let disabled = app.call("DisableHIT", &[("HITId", &hit2)]).await;
    assert_eq!(disabled.code().as_deref(), Some("AWS.MechanicalTurk.InsufficientFunds"), "{}", disabled.body);
    assert_eq!(kinds(&events(&app, "").await), before);
    assert_eq!(
        before.iter().filter(|(k, _, _)| k == "AssignmentAccepted").count(),
        2,
        "one accept per HIT that took place: {before:?}"
    );
    // Events and deliveries are rows of the same transaction: each event has its delivery.
    let rows = crate::common::table_rows(&app.database).await;
    assert_eq!(rows["events"].len(), rows["event_deliveries"].len());
});

#[tokio::test]
async fn a_dead_destination_is_retried_then_failed_without_holding_up_others() {
    let app = TestApp::spawn_with(|s| {
        s.notifications.max_attempts = 3;
        s.notifications.backoff_initial_ms = 1000;
        s.notifications.poll_interval_ms = 20;
    })
    .await;
    let (receiver, url) = Receiver::start().await;
    let dead = register_type(&app, "dead", "3600").await;
    let live = register_type(&app, "live", "3600").await;
    // Nothing listens on port 1.
    notify_rest(&app, &dead, "http://127.0.0.1:1/notify", &["HITCreated"]).await;
    notify_rest(&app, &live, &url, &["HITCreated"]).await;
    create_hit(&app, &dead, "1", "3600").await;
    create_hit(&app, &live, "1", "3600").await;
    create_hit(&app, &dead, "1", "3600").await;
    create_hit(&app, &live, "1", "3600").await;
    let all = settled(&app).await;
    let by_destination = |d: &str| -> Vec<Value> {
        all.iter().map(|e| e["Deliveries"][0].clone()).filter(|x| x["Destination"] == d).collect()
    };
    let dead_ones = by_destination("http://127.0.0.1:1/notify");
    assert_eq!(dead_ones.len(), 2);
    // The first was tried three times; the second, held behind it in order, too.
    for d in &dead_ones {
        assert_eq!(d["Status"], "Failed", "{d:#}");
        assert_eq!(d["Attempts"], 3, "{d:#}");
        assert!(!d["LastError"].as_str().unwrap().is_empty());
    }
    let live_ones = by_destination(&url);
    assert!(live_ones.iter().all(|d| d["Status"] == "Delivered" && d["Attempts"] == 1), "{live_ones:#?}");
    assert_eq!(receiver.received().len(), 2);

    // A destination that comes back gets the event with the same EventDocId.
    receiver.fail.store(true, std::sync::atomic::Ordering::SeqCst);
    let hit = create_hit(&app, &live, "1", "3600").await;
    for _ in 0..100 {
        let e = events(&app, &format!("?HITId={hit}")).await;
        if e[0]["Deliveries"][0]["Attempts"].as_i64().unwrap() >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    receiver.fail.store(false, std::sync::atomic::Ordering::SeqCst);
    let all = settled(&app).await;
    let retried = all.iter().find(|e| e["HITId"] == hit).unwrap();
    assert_eq!(retried["Deliveries"][0]["Status"], "Delivered");
    assert!(retried["Deliveries"][0]["Attempts"].as_i64().unwrap() >= 2);
    assert_eq!(receiver.received().len(), 3);
}

/// A slow receiver that notes events it gets twice or while an attempt at them is going.
#[derive(Clone, Default)]
struct Slow {
    in_flight: Arc<Mutex<Vec<String>>>,
    order: Arc<Mutex<Vec<String>>>,
    overlaps: Arc<Mutex<Vec<String>>>,
}

/// Two instances on one PostgreSQL database, both dispatching: every event
/// is delivered, none by both, never two attempts at one event at once, and
/// one destination's events in order.
#[tokio::test]
async fn two_instances_on_one_postgres_database_deliver_each_event_once() {
    let Some(db) = crate::common::postgres_database().await else { return };
    let fast = |s: &mut mturk_local::config::Settings| s.notifications.poll_interval_ms = 20;
    let a = TestApp::spawn_on(&db.url, None, fast).await;
    let b = TestApp::spawn_on(&db.url, None, fast).await;
    // The receiver is slow (so attempts could overlap) and notes any event it gets twice
    // or while an attempt at it is still going.
    let slow = Slow::default();
    let s = slow.clone();
    let receiver = axum::Router::new().route(
        "/notify",
        axum::routing::get(move |uri: axum::http::Uri| {
            let s = s.clone();
            async move {
                let params = mturk_local::protocol::form::decode(uri.query(), None).unwrap();
                let key = format!("{}:{}", params["Event.1.EventType"], params["Event.1.HITId"]);
                if s.in_flight.lock().unwrap().contains(&key) {
                    s.overlaps.lock().unwrap().push(key.clone());
                }
                s.in_flight.lock().unwrap().push(key.clone());
                tokio::time::sleep(Duration::from_millis(5)).await;
                s.in_flight.lock().unwrap().retain(|k| k != &key);
                s.order.lock().unwrap().push(key);
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });

    let hit_type = register_type(&a, "two instances", "3600").await;
    notify_rest(&a, &hit_type, &url, &["HITCreated"]).await;
    let mut hits = Vec::new();
    for i in 0..40 {
        let app = if i % 2 == 0 { &a } else { &b };
        hits.push(create_hit(app, &hit_type, "1", "3600").await);
    }
    let all = settled(&a).await;
    assert_eq!(all.len(), 40);
    let order = slow.order.lock().unwrap().clone();
    assert!(slow.overlaps.lock().unwrap().is_empty(), "overlapping attempts: {:?}", slow.overlaps.lock().unwrap());
    let mut unique = order.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), order.len(), "an event was delivered twice: {order:?}");
    // In the order the events were written (the outbox's order).
    let expected: Vec<String> = all.iter().map(|e| format!("HITCreated:{}", e["HITId"].as_str().unwrap())).collect();
    assert_eq!(order, expected);
    assert!(all.iter().all(|e| e["Deliveries"][0]["Attempts"] == 1));
    drop((a, b));
}
