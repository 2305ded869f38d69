//! Fault injection (`/_local/faults`): each face answers an injected fault
//! as the real service did, rules match and count as documented, and a
//! faulted call changes nothing in the store.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::both_backends;
use crate::common::documents::EXTERNAL_QUESTION;
use crate::common::endpoint::Endpoint;
use crate::common::sigv4::sigv4_headers;
use crate::common::{table_rows, Answer, TestApp, DEV_KEY, DEV_SECRET, OTHER_KEY, OTHER_SECRET};

/// A JSON API answer with the headers the error shapes use.
#[derive(Debug)]
struct JsonAnswer {
    status: u16,
    error_type: Option<String>,
    request_id: Option<String>,
    body: String,
}

impl JsonAnswer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// A SigV4-signed JSON call of `target` as `key`; `Err` when the server
/// answered nothing.
async fn json_call_as(
    app: &TestApp,
    key: &str,
    secret: &str,
    target: &str,
    body: &Value,
) -> Result<JsonAnswer, String> {
    let bytes = body.to_string().into_bytes();
    let host = app.base.trim_start_matches("http://");
    let now = mturk_local::domain::clock::Clock::now(&*app.wall);
    let mut req = app.http.post(format!("{}/", app.base));
    for (name, value) in sigv4_headers(key, secret, host, target, &bytes, now) {
        if name != "host" {
            req = req.header(name, value);
        }
    }
    let res = req.body(bytes).send().await.map_err(|e| format!("{e:?}"))?;
    let header = |name: &str| res.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (error_type, request_id) = (header("x-amzn-ErrorType"), header("x-amzn-RequestId"));
    let status = res.status().as_u16();
    Ok(JsonAnswer { status, error_type, request_id, body: res.text().await.map_err(|e| format!("{e:?}"))? })
}

async fn json_call(app: &TestApp, target: &str, body: &Value) -> Result<JsonAnswer, String> {
    json_call_as(app, DEV_KEY, DEV_SECRET, target, body).await
}

/// A signed legacy POST; `Err` when the server answered nothing.
async fn legacy_call(app: &TestApp, operation: &str, params: &[(&str, &str)]) -> Result<Answer, String> {
    let form = app.signed(DEV_KEY, DEV_SECRET, operation, params);
    let res = app
        .http
        .post(format!("{}/", app.base))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(crate::common::serde_urlencoded(&form))
        .send()
        .await
        .map_err(|e| format!("{e:?}"))?;
    let status = res.status().as_u16();
    let content_type = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    Ok(Answer { status, content_type, body: res.text().await.map_err(|e| format!("{e:?}"))? })
}

/// Adds a rule and returns its id; the answer must be a 200.
async fn add(app: &TestApp, rule: Value) -> String {
    let added = app.control("POST", "/faults", Some(rule)).await;
    assert_eq!(added.status, 200, "{}", added.body);
    added.json()["Fault"]["FaultId"].as_str().expect("a FaultId").to_owned()
}

async fn rules(app: &TestApp) -> Vec<Value> {
    app.control("GET", "/faults", None).await.json()["Faults"].as_array().expect("a list").clone()
}

/// The legacy parameters of a small CreateHIT.
fn legacy_hit(title: &str) -> Vec<(&str, &str)> {
    vec![
        ("Title", title),
        ("Description", "label some images"),
        ("Reward.1.Amount", "0.10"),
        ("Reward.1.CurrencyCode", "USD"),
        ("AssignmentDurationInSeconds", "600"),
        ("LifetimeInSeconds", "3600"),
        ("Question", EXTERNAL_QUESTION),
    ]
}

fn json_hit(title: &str) -> Value {
    json!({
        "Title": title,
        "Description": "label some images",
        "Reward": "0.10",
        "AssignmentDurationInSeconds": 600,
        "LifetimeInSeconds": 3600,
        "Question": EXTERNAL_QUESTION,
    })
}

/// The body with its request id (a UUID) and its `(ms)` suffixes replaced,
/// so that an answer can be compared whole.
fn normalized(body: &str, request_id: &str) -> String {
    let body = body.replace(request_id, "REQUEST-ID");
    let mut out = String::new();
    let mut rest = body.as_str();
    while let Some(at) = rest.find(" (") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 && after[digits..].starts_with(')') {
            out.push_str(" (MS)");
            rest = &after[digits + 1..];
        } else {
            out.push_str(" (");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn legacy_request_id(body: &str) -> String {
    crate::common::xml_text(body, "RequestId")
        .or_else(|| crate::common::xml_text(body, "RequestID"))
        .expect("a request id")
}

#[tokio::test]
async fn legacy_throttling_is_a_503_with_a_root_level_service_unavailable_error() {
    let app = TestApp::spawn_with(|_| {}).await;
    add(&app, json!({ "Operation": "GetAccountBalance", "Error": "Throttling" })).await;
    let answer = legacy_call(&app, "GetAccountBalance", &[]).await.unwrap();
    assert_eq!(answer.status, 503);
    assert_eq!(answer.content_type, "text/xml");
    let id = legacy_request_id(&answer.body);
    assert_eq!(
        normalized(&answer.body, &id),
        "<?xml version=\"1.0\"?>\n<Response><Errors><Error><Code>ServiceUnavailable</Code><Message>Request rate \
         exceeded. Please retry the request later.</Message></Error></Errors><RequestID>REQUEST-ID</RequestID>\
         </Response>"
    );
}

#[tokio::test]
async fn legacy_service_unavailable_is_a_503_envelope_with_aws_service_unavailable() {
    let app = TestApp::spawn_with(|_| {}).await;
    add(&app, json!({ "Error": "ServiceUnavailable", "Message": "Down for a moment." })).await;
    let answer = legacy_call(&app, "GetAccountBalance", &[]).await.unwrap();
    assert_eq!(answer.status, 503);
    assert_eq!(answer.content_type, "text/xml");
    let id = legacy_request_id(&answer.body);
    assert_eq!(
        normalized(&answer.body, &id),
        "<?xml version=\"1.0\"?>\n<GetAccountBalanceResponse><OperationRequest><RequestId>REQUEST-ID</RequestId>\
         <Errors><Error><Code>AWS.ServiceUnavailable</Code><Message>Down for a moment. (MS)</Message></Error>\
         </Errors></OperationRequest></GetAccountBalanceResponse>"
    );
}

#[tokio::test]
async fn legacy_service_faults_and_mturk_codes_go_in_the_result_like_any_error() {
    let app = TestApp::spawn_with(|_| {}).await;
    add(&app, json!({ "Operation": "GetAccountBalance", "Error": "ServiceFault", "Count": 1 })).await;
    let fault = legacy_call(&app, "GetAccountBalance", &[]).await.unwrap();
    assert_eq!((fault.status, fault.content_type.as_str()), (200, "text/xml"));
    let id = legacy_request_id(&fault.body);
    assert_eq!(
        normalized(&fault.body, &id),
        "<?xml version=\"1.0\"?>\n<GetAccountBalanceResponse><OperationRequest><RequestId>REQUEST-ID</RequestId>\
         </OperationRequest><GetAccountBalanceResult><Request><IsValid>False</IsValid><Errors><Error><Code>\
         AWS.MechanicalTurk.ServiceFault</Code><Message>Amazon Mechanical Turk is temporarily unable to process \
         your request. Try your call again. (MS)</Message></Error></Errors></Request></GetAccountBalanceResult>\
         </GetAccountBalanceResponse>"
    );
    add(
        &app,
        json!({ "Operation": "GetHIT", "Error": "AWS.MechanicalTurk.HITDoesNotExist", "Message": "Gone.", "Count": 1 }),
    )
    .await;
    let code = legacy_call(&app, "GetHIT", &[("HITId", "3ABCDEFGHIJKLMNOPQRSTUVWXYZ012")]).await.unwrap();
    assert_eq!(code.status, 200);
    assert!(
        code.body.contains(
            "<HIT><Request><IsValid>False</IsValid><Errors><Error><Code>AWS.MechanicalTurk.HITDoesNotExist</Code>\
             <Message>Gone. ("
        ),
        "{}",
        code.body
    );
}

#[tokio::test]
async fn json_throttling_is_a_400_coral_throttling_exception() {
    let app = TestApp::spawn_with(|_| {}).await;
    add(&app, json!({ "Operation": "GetAccountBalance", "Protocol": "json", "Error": "Throttling" })).await;
    let answer = json_call(&app, "GetAccountBalance", &json!({})).await.unwrap();
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.json(),
        json!({ "__type": "com.amazon.coral.availability#ThrottlingException", "message": "Rate exceeded" })
    );
    assert_eq!(answer.error_type.as_deref(), Some("com.amazon.coral.availability#ThrottlingException"));
    assert!(answer.request_id.is_some_and(|id| id.len() == 36));
}

#[tokio::test]
async fn json_service_unavailable_is_a_503_and_service_fault_a_500() {
    let app = TestApp::spawn_with(|_| {}).await;
    add(&app, json!({ "Error": "ServiceUnavailable", "Count": 1 })).await;
    add(&app, json!({ "Error": "ServiceFault", "Count": 1 })).await;
    let unavailable = json_call(&app, "GetAccountBalance", &json!({})).await.unwrap();
    assert_eq!(unavailable.status, 503);
    assert_eq!(
        unavailable.json(),
        json!({ "__type": "com.amazon.coral.service#ServiceUnavailableException", "message": "Service Unavailable" })
    );
    let fault = json_call(&app, "GetAccountBalance", &json!({})).await.unwrap();
    assert_eq!(fault.status, 500);
    let body = fault.json();
    assert_eq!(body["__type"], "com.amazonaws.mturk#ServiceFault");
    assert_eq!(body["TurkErrorCode"], "AWS.MechanicalTurk.ServiceFault");
    let message = body["Message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "Amazon Mechanical Turk is temporarily unable to process your request. Try your call again. ("
        ),
        "{message}"
    );
    assert_eq!(fault.error_type.as_deref(), Some("com.amazonaws.mturk#ServiceFault"));
    // Both rules are spent: the next call runs.
    let ok = json_call(&app, "GetAccountBalance", &json!({})).await.unwrap();
    assert_eq!((ok.status, ok.json()["AvailableBalance"].as_str()), (200, Some("10000.00")));
}

#[tokio::test]
async fn json_mturk_codes_are_request_errors_with_their_turk_error_code() {
    let app = TestApp::spawn_with(|_| {}).await;
    add(&app, json!({ "Operation": "GetHIT", "Error": "AWS.MechanicalTurk.HITDoesNotExist", "Message": "Gone." }))
        .await;
    let answer = json_call(&app, "GetHIT", &json!({ "HITId": "3ABCDEFGHIJKLMNOPQRSTUVWXYZ012" })).await.unwrap();
    assert_eq!(answer.status, 400);
    let body = answer.json();
    assert_eq!(body["__type"], "com.amazonaws.mturk#RequestError");
    assert_eq!(body["TurkErrorCode"], "AWS.MechanicalTurk.HITDoesNotExist");
    assert!(body["Message"].as_str().unwrap().starts_with("Gone. ("), "{body}");
}

#[tokio::test]
async fn drop_connection_closes_the_connection_without_an_answer_on_both_faces() {
    let app = TestApp::spawn_with(|_| {}).await;
    add(&app, json!({ "Operation": "GetAccountBalance", "Error": "DropConnection", "Count": 2 })).await;
    let legacy = legacy_call(&app, "GetAccountBalance", &[]).await;
    assert!(legacy.is_err(), "an answer came: {legacy:?}");
    let json = json_call(&app, "GetAccountBalance", &json!({})).await;
    assert!(json.is_err(), "an answer came: {json:?}");
    // The server is still there, and the spent rule lets calls through.
    assert!(legacy_call(&app, "GetAccountBalance", &[]).await.unwrap().is_valid());
    assert_eq!(rules(&app).await[0]["Fired"], 2);
}

#[tokio::test]
async fn latency_alone_delays_the_call_and_then_runs_it() {
    let app = TestApp::spawn_with(|_| {}).await;
    add(&app, json!({ "Operation": "GetAccountBalance", "LatencyMs": 300, "Count": 1 })).await;
    let started = Instant::now();
    let slow = legacy_call(&app, "GetAccountBalance", &[]).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300), "took {:?}", started.elapsed());
    assert!(slow.is_valid(), "{}", slow.body);
    // With an error, the error comes after the delay.
    add(&app, json!({ "Operation": "GetAccountBalance", "LatencyMs": 200, "Error": "Throttling", "Count": 1 })).await;
    let started = Instant::now();
    let throttled = json_call(&app, "GetAccountBalance", &json!({})).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(200), "took {:?}", started.elapsed());
    assert_eq!(throttled.status, 400);
}

#[tokio::test]
async fn count_fires_for_the_next_n_matching_calls_then_the_rule_is_spent_but_listed() {
    let app = TestApp::spawn_with(|_| {}).await;
    let id = add(&app, json!({ "Operation": "GetAccountBalance", "Error": "Throttling", "Count": 3 })).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(legacy_call(&app, "GetAccountBalance", &[]).await.unwrap().status);
    }
    assert_eq!(statuses, [503, 503, 503, 200, 200]);
    let listed = rules(&app).await;
    assert_eq!(
        listed,
        [json!({
            "FaultId": id, "Operation": "GetAccountBalance", "Protocol": "*", "Requester": "*",
            "Error": "Throttling", "Message": null, "LatencyMs": 0, "Count": 3, "Probability": null, "Seed": 0,
            "Matched": 3, "Fired": 3, "Remaining": 0,
        })]
    );
}

/// Which of `n` GetAccountBalance calls a rule fired on.
async fn pattern(app: &TestApp, n: usize) -> Vec<bool> {
    let mut fired = Vec::new();
    for _ in 0..n {
        fired.push(legacy_call(app, "GetAccountBalance", &[]).await.unwrap().status == 503);
    }
    fired
}

#[tokio::test]
async fn probability_with_a_seed_fires_on_the_same_calls_in_every_run() {
    let rule = json!({ "Operation": "GetAccountBalance", "Error": "Throttling", "Probability": 0.5, "Seed": 42 });
    let first_app = TestApp::spawn_with(|_| {}).await;
    add(&first_app, rule.clone()).await;
    let first = pattern(&first_app, 40).await;
    let fired = first.iter().filter(|f| **f).count();
    assert!((8..=32).contains(&fired), "about half should fire: {first:?}");
    // Again on the same server, after the rule is replaced…
    first_app.control("DELETE", "/faults", None).await;
    add(&first_app, rule.clone()).await;
    assert_eq!(pattern(&first_app, 40).await, first);
    // …and on another server.
    let second_app = TestApp::spawn_with(|_| {}).await;
    add(&second_app, rule).await;
    assert_eq!(pattern(&second_app, 40).await, first);
    let listed = rules(&second_app).await;
    assert_eq!(listed[0]["Matched"], 40);
    assert_eq!(listed[0]["Fired"], fired);
    assert_eq!(listed[0]["Remaining"], Value::Null);
    // Another seed draws otherwise.
    second_app.control("DELETE", "/faults", None).await;
    add(&second_app, json!({ "Error": "Throttling", "Probability": 0.5, "Seed": 7 })).await;
    assert_ne!(pattern(&second_app, 40).await, first);
}

#[tokio::test]
async fn probability_and_count_together_fire_at_most_count_times() {
    let app = TestApp::spawn_with(|_| {}).await;
    add(&app, json!({ "Error": "Throttling", "Probability": 0.5, "Seed": 1, "Count": 4 })).await;
    let fired = pattern(&app, 40).await.iter().filter(|f| **f).count();
    assert_eq!(fired, 4);
    let listed = rules(&app).await;
    assert_eq!((listed[0]["Fired"].as_u64(), listed[0]["Remaining"].as_u64()), (Some(4), Some(0)));
}

#[tokio::test]
async fn probability_zero_never_fires_and_one_always_fires() {
    let app = TestApp::spawn_with(|_| {}).await;
    add(&app, json!({ "Error": "Throttling", "Probability": 0, "Seed": 3 })).await;
    assert_eq!(pattern(&app, 10).await, [false; 10]);
    app.control("DELETE", "/faults", None).await;
    add(&app, json!({ "Error": "Throttling", "Probability": 1 })).await;
    assert_eq!(pattern(&app, 10).await, [true; 10]);
}

#[tokio::test]
async fn rules_match_by_requester_protocol_and_operation() {
    let app = TestApp::spawn_with(|_| {}).await;
    add(&app, json!({ "Requester": OTHER_KEY, "Error": "Throttling" })).await;
    add(&app, json!({ "Protocol": "json", "Operation": "GetHIT", "Error": "ServiceUnavailable" })).await;
    add(&app, json!({ "Protocol": "legacy", "Operation": "SearchHITs", "Error": "ServiceFault" })).await;
    // Requester: only the other requester's calls, on both faces.
    assert!(legacy_call(&app, "GetAccountBalance", &[]).await.unwrap().is_valid());
    let other = app.call_as(OTHER_KEY, OTHER_SECRET, "GetAccountBalance", &[]).await;
    assert_eq!(other.status, 503);
    let other_json = json_call_as(&app, OTHER_KEY, OTHER_SECRET, "GetAccountBalance", &json!({})).await.unwrap();
    assert_eq!(other_json.status, 400);
    assert_eq!(json_call(&app, "GetAccountBalance", &json!({})).await.unwrap().status, 200);
    // Protocol and operation: GetHIT on the JSON face only.
    let hit = json!({ "HITId": "3ABCDEFGHIJKLMNOPQRSTUVWXYZ012" });
    assert_eq!(json_call(&app, "GetHIT", &hit).await.unwrap().status, 503);
    let legacy_get = legacy_call(&app, "GetHIT", &[("HITId", "3ABCDEFGHIJKLMNOPQRSTUVWXYZ012")]).await.unwrap();
    assert_eq!(legacy_get.code().as_deref(), Some("AWS.MechanicalTurk.HITDoesNotExist"), "{}", legacy_get.body);
    // SearchHITs on the legacy face only; ListHITs (its JSON twin) is another name.
    let search = legacy_call(&app, "SearchHITs", &[]).await.unwrap();
    assert_eq!(search.code().as_deref(), Some("AWS.MechanicalTurk.ServiceFault"), "{}", search.body);
    assert_eq!(json_call(&app, "ListHITs", &json!({})).await.unwrap().status, 200);
    let fired: Vec<u64> = rules(&app).await.iter().map(|r| r["Fired"].as_u64().unwrap()).collect();
    assert_eq!(fired, [2, 1, 1]);
}

#[tokio::test]
async fn the_first_live_matching_rule_fires_and_the_next_takes_over_when_it_is_spent() {
    let app = TestApp::spawn_with(|_| {}).await;
    add(&app, json!({ "Error": "Throttling", "Count": 1 })).await;
    add(&app, json!({ "Error": "ServiceUnavailable", "Count": 1 })).await;
    let first = legacy_call(&app, "GetAccountBalance", &[]).await.unwrap();
    assert_eq!(first.code().as_deref(), Some("ServiceUnavailable"));
    let second = legacy_call(&app, "GetAccountBalance", &[]).await.unwrap();
    assert_eq!(second.code().as_deref(), Some("AWS.ServiceUnavailable"));
    assert!(legacy_call(&app, "GetAccountBalance", &[]).await.unwrap().is_valid());
}

#[tokio::test]
async fn rules_are_listed_deleted_one_by_one_or_all_and_cleared_by_reset() {
    let app = TestApp::spawn_with(|_| {}).await;
    assert_eq!(app.control("GET", "/faults", None).await.json(), json!({ "Faults": [] }));
    let one = add(&app, json!({ "Error": "Throttling", "Operation": "CreateHIT" })).await;
    let two = add(&app, json!({ "LatencyMs": 5, "Operation": "ListHITs" })).await;
    let three = add(&app, json!({ "Error": "DropConnection", "Requester": OTHER_KEY })).await;
    assert_eq!((one.as_str(), two.as_str(), three.as_str()), ("F1", "F2", "F3"));
    let ids: Vec<Value> = rules(&app).await.iter().map(|r| r["FaultId"].clone()).collect();
    assert_eq!(ids, [json!("F1"), json!("F2"), json!("F3")]);
    let deleted = app.control("DELETE", "/faults/F2", None).await;
    assert_eq!((deleted.status, deleted.json()), (200, json!({ "Deleted": 1 })));
    let again = app.control("DELETE", "/faults/F2", None).await;
    assert_eq!(again.status, 404);
    assert_eq!(
        again.json(),
        json!({ "Code": "MturkLocal.FaultDoesNotExist", "Message": "There is no fault rule \"F2\"." })
    );
    let ids: Vec<Value> = rules(&app).await.iter().map(|r| r["FaultId"].clone()).collect();
    assert_eq!(ids, [json!("F1"), json!("F3")]);
    let all = app.control("DELETE", "/faults", None).await;
    assert_eq!((all.status, all.json()), (200, json!({ "Deleted": 2 })));
    assert!(rules(&app).await.is_empty());
    // Reset clears them too, and the calls they matched run again.
    add(&app, json!({ "Error": "Throttling" })).await;
    assert_eq!(legacy_call(&app, "GetAccountBalance", &[]).await.unwrap().status, 503);
    let reset = app.control("POST", "/reset", None).await;
    assert_eq!(reset.status, 200, "{}", reset.body);
    assert!(rules(&app).await.is_empty());
    assert!(legacy_call(&app, "GetAccountBalance", &[]).await.unwrap().is_valid());
    // Ids are never reused within an instance.
    assert_eq!(add(&app, json!({ "Error": "Throttling", "Count": 1 })).await, "F5");
}

#[tokio::test]
#[allow(clippy::too_many_lines, reason = "one table of bad rules, one row each")]
async fn bad_rules_are_refused_with_a_clear_error() {
    let app = TestApp::spawn_with(|_| {}).await;
    let cases: Vec<(&str, Value, u16, &str, &str)> = vec![
        ("no effect", json!({}), 400, "AWS.MechanicalTurk.InvalidParameterValue", "needs an Error, a LatencyMs"),
        (
            "unknown error",
            json!({ "Error": "Teapot" }),
            400,
            "AWS.MechanicalTurk.InvalidParameterValue",
            "Error \"Teapot\" is not known",
        ),
        (
            "unknown member",
            json!({ "Error": "Throttling", "Probabilty": 0.5 }),
            400,
            "AWS.MechanicalTurk.InvalidParameterValue",
            "unknown field `Probabilty`",
        ),
        (
            "probability above 1",
            json!({ "Error": "Throttling", "Probability": 1.5 }),
            400,
            "AWS.ParameterOutOfRange",
            "between 0 and 1",
        ),
        (
            "negative probability",
            json!({ "Error": "Throttling", "Probability": -0.1 }),
            400,
            "AWS.ParameterOutOfRange",
            "between 0 and 1",
        ),
        (
            "probability as text",
            json!({ "Error": "Throttling", "Probability": "half" }),
            400,
            "AWS.MechanicalTurk.InvalidParameterValue",
            "invalid type",
        ),
        (
            "seed without probability",
            json!({ "Error": "Throttling", "Seed": 1 }),
            400,
            "AWS.MechanicalTurk.InvalidParameterValue",
            "give a Probability too",
        ),
        (
            "count zero",
            json!({ "Error": "Throttling", "Count": 0 }),
            400,
            "AWS.ParameterOutOfRange",
            "Count must be at least 1",
        ),
        (
            "negative count",
            json!({ "Error": "Throttling", "Count": -1 }),
            400,
            "AWS.MechanicalTurk.InvalidParameterValue",
            "invalid value",
        ),
        (
            "negative latency",
            json!({ "LatencyMs": -5 }),
            400,
            "AWS.MechanicalTurk.InvalidParameterValue",
            "invalid value",
        ),
        (
            "latency too long",
            json!({ "LatencyMs": 300_001 }),
            400,
            "AWS.ParameterOutOfRange",
            "LatencyMs must be between 0 and 300000",
        ),
        (
            "unknown protocol",
            json!({ "Error": "Throttling", "Protocol": "soap" }),
            400,
            "AWS.MechanicalTurk.InvalidParameterValue",
            "Protocol must be",
        ),
        (
            "unknown operation",
            json!({ "Error": "Throttling", "Operation": "CreateHit" }),
            400,
            "AWS.MechanicalTurk.InvalidParameterValue",
            "Operation \"CreateHit\" is not an operation",
        ),
        (
            "legacy name on the JSON face",
            json!({ "Error": "Throttling", "Operation": "SearchHITs", "Protocol": "json" }),
            400,
            "AWS.MechanicalTurk.InvalidParameterValue",
            "of the JSON API",
        ),
        (
            "JSON name on the legacy face",
            json!({ "Error": "Throttling", "Operation": "ListHITs", "Protocol": "legacy" }),
            400,
            "AWS.MechanicalTurk.InvalidParameterValue",
            "of the legacy API",
        ),
        (
            "bad requester",
            json!({ "Error": "Throttling", "Requester": "not a key" }),
            400,
            "AWS.MechanicalTurk.InvalidParameterValue",
            "Requester must be an access key id",
        ),
        (
            "message without an error",
            json!({ "LatencyMs": 10, "Message": "hi" }),
            400,
            "AWS.MechanicalTurk.InvalidParameterValue",
            "answers no error",
        ),
        (
            "message on a dropped connection",
            json!({ "Error": "DropConnection", "Message": "hi" }),
            400,
            "AWS.MechanicalTurk.InvalidParameterValue",
            "answers no error",
        ),
        (
            "control-plane code",
            json!({ "Error": "MturkLocal.Unauthorized" }),
            400,
            "AWS.MechanicalTurk.InvalidParameterValue",
            "is not known",
        ),
        ("not an object", json!([1, 2]), 400, "AWS.MechanicalTurk.InvalidParameterValue", "not valid"),
    ];
    for (what, body, status, code, words) in cases {
        let answer = app.control("POST", "/faults", Some(body)).await;
        assert_eq!(answer.status, status, "{what}: {}", answer.body);
        let json = answer.json();
        assert_eq!(json["Code"], code, "{what}: {}", answer.body);
        assert!(json["Message"].as_str().unwrap().contains(words), "{what}: {}", answer.body);
    }
    let not_json = app.raw("POST", "/_local/faults", Some("application/json"), b"{".to_vec()).await;
    assert_eq!(not_json.status, 400, "{}", not_json.body);
    assert!(rules(&app).await.is_empty(), "no refused rule was kept");
}

both_backends!(a_faulted_create_hit_leaves_no_hit_and_changes_nothing_in_the_store, |app: TestApp| async move {
    let before = table_rows(&app.database).await;
    let kinds =
        ["Throttling", "ServiceUnavailable", "ServiceFault", "DropConnection", "AWS.MechanicalTurk.InsufficientFunds"];
    for kind in kinds {
        let id = add(&app, json!({ "Operation": "CreateHIT", "Error": kind })).await;
        let legacy = legacy_call(&app, "CreateHIT", &legacy_hit("faulted")).await;
        let json = json_call(&app, "CreateHIT", &json_hit("faulted")).await;
        if kind == "DropConnection" {
            assert!(legacy.is_err() && json.is_err(), "{kind}: {legacy:?} {json:?}");
        } else {
            assert!(!legacy.unwrap().is_valid(), "{kind}");
            assert_ne!(json.unwrap().status, 200, "{kind}");
        }
        assert_eq!(table_rows(&app.database).await, before, "{kind} changed the store");
        app.control("DELETE", &format!("/faults/{id}"), None).await;
    }
    // A delay alone lets the call through.
    add(&app, json!({ "Operation": "CreateHIT", "LatencyMs": 1, "Count": 1 })).await;
    let created = legacy_call(&app, "CreateHIT", &legacy_hit("delayed")).await.unwrap();
    assert!(created.is_valid(), "{}", created.body);
    let listed = json_call(&app, "ListHITs", &json!({})).await.unwrap().json();
    assert_eq!(listed["NumResults"], 1, "{listed}");
    assert_eq!(listed["HITs"][0]["Title"], "delayed");
});

#[tokio::test]
async fn the_rust_sdk_retries_injected_throttles_and_then_creates_one_hit() {
    let app = TestApp::spawn_with(|_| {}).await;
    add(&app, json!({ "Operation": "CreateHIT", "Protocol": "json", "Error": "Throttling", "Count": 2 })).await;
    let sdk = crate::common::sdk::sdk(&app, DEV_KEY, DEV_SECRET);
    let retrying = aws_sdk_mturk::Client::from_conf(
        sdk.config()
            .to_builder()
            .retry_config(
                aws_sdk_mturk::config::retry::RetryConfig::standard()
                    .with_max_attempts(3)
                    .with_initial_backoff(Duration::from_millis(1)),
            )
            .build(),
    );
    let hit = crate::common::sdk::new_hit(&retrying, "retried", "0.10", 1, Vec::new()).await;
    let listed = sdk.list_hits().send().await.unwrap();
    let ids: Vec<&str> = listed.hits().iter().filter_map(|h| h.hit_id()).collect();
    assert_eq!(ids, [hit.as_str()]);
    assert_eq!(rules(&app).await[0]["Fired"], 2);
    // Without retries the caller sees the throttling error itself.
    add(&app, json!({ "Operation": "CreateHIT", "Protocol": "json", "Error": "Throttling", "Count": 1 })).await;
    let err = sdk
        .create_hit()
        .title("not retried")
        .description("d")
        .reward("0.10")
        .max_assignments(1)
        .lifetime_in_seconds(3600)
        .assignment_duration_in_seconds(600)
        .question(EXTERNAL_QUESTION)
        .send()
        .await
        .expect_err("throttled");
    let meta = aws_sdk_mturk::error::ProvideErrorMetadata::meta(&err);
    assert_eq!(meta.code(), Some("ThrottlingException"));
    assert_eq!(meta.message(), Some("Rate exceeded"));
}

#[tokio::test]
async fn a_rule_changes_nothing_for_the_calls_it_does_not_match() {
    let app = TestApp::spawn_with(|_| {}).await;
    add(&app, json!({ "Operation": "CreateHIT", "Error": "Throttling" })).await;
    // The shared endpoint client: the rule is not consulted beyond its match.
    let endpoint = Endpoint::for_app(&app);
    let balance = endpoint.json("GetAccountBalance", &json!({})).await.unwrap();
    assert_eq!(balance.status, 200, "{}", balance.body);
    assert_eq!(rules(&app).await[0]["Matched"], 0);
}
