//! Reproducible runs: `service.id_seed` makes every id and request id a
//! function of the seed and the order of calls; `service.clock_start` puts
//! the virtual clock at a chosen instant on a new store and after each reset.

use serde_json::{json, Value};

use crate::common::documents::{free_text, EXTERNAL_QUESTION};
use crate::common::endpoint::Endpoint;
use crate::common::sigv4::sigv4_headers;
use crate::common::{postgres_database, xml_text, Backend, TestApp, DEV_KEY, DEV_SECRET};

const WORKER: &str = "A1SEEDEDWORKER";
const START: &str = "2024-01-01T00:00:00Z";

/// A JSON API call that also returns the `x-amzn-RequestId` header.
async fn json_call(ep: &Endpoint, target: &str, body: &Value) -> (Value, String) {
    let bytes = body.to_string().into_bytes();
    let mut req = ep.http.post(format!("{}/", ep.base));
    for (name, value) in sigv4_headers(DEV_KEY, DEV_SECRET, ep.host(), target, &bytes, ep.wall.now()) {
        if name != "host" {
            req = req.header(name, value);
        }
    }
    let res = req.body(bytes).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200, "{target}");
    let request_id = res.headers()["x-amzn-RequestId"].to_str().unwrap().to_owned();
    (res.json().await.unwrap(), request_id)
}

/// One run of a small test suite, through both APIs and the worker
/// simulator: every id and request id it sees, in order.
async fn script(ep: &Endpoint, type_name: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let created = ep
        .legacy(
            "CreateQualificationType",
            &[("Name", type_name), ("Description", "d"), ("QualificationTypeStatus", "Active")],
        )
        .await
        .unwrap();
    assert!(created.legacy_ok(), "{}", created.body);
    let qt = xml_text(&created.body, "QualificationTypeId").unwrap();
    seen.extend([xml_text(&created.body, "RequestId").unwrap(), qt.clone()]);

    let (hit, rid) = json_call(
        ep,
        "CreateHIT",
        &json!({
            // Named after the run: equal properties would find the same HIT type, as on MTurk.
            "Title": type_name, "Description": "d", "Reward": "0.10", "MaxAssignments": 2,
            "LifetimeInSeconds": 3600, "AssignmentDurationInSeconds": 600, "Question": EXTERNAL_QUESTION,
        }),
    )
    .await;
    let hit_id = hit["HIT"]["HITId"].as_str().unwrap().to_owned();
    seen.extend([rid, hit_id.clone(), hit["HIT"]["HITTypeId"].as_str().unwrap().to_owned()]);

    let requested = ep
        .control(
            "POST",
            &format!("/workers/{WORKER}/qualification-requests"),
            Some(&json!({ "QualificationTypeId": qt })),
        )
        .await
        .unwrap();
    assert_eq!(requested.status, 200, "{}", requested.body);
    seen.push(requested.json()["QualificationRequestId"].as_str().unwrap().to_owned());

    let accepted =
        ep.control("POST", &format!("/workers/{WORKER}/assignments"), Some(&json!({ "HITId": hit_id }))).await.unwrap();
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    let assignment = accepted.json()["AssignmentId"].as_str().unwrap().to_owned();
    let submitted = ep
        .control("POST", &format!("/assignments/{assignment}/submit"), Some(&json!({ "Answer": free_text("x") })))
        .await
        .unwrap();
    assert_eq!(submitted.status, 200, "{}", submitted.body);
    seen.push(assignment.clone());

    let approved = ep.legacy("ApproveAssignment", &[("AssignmentId", &assignment)]).await.unwrap();
    assert!(approved.legacy_ok(), "{}", approved.body);
    seen.push(xml_text(&approved.body, "RequestId").unwrap());
    let (_, rid) = json_call(ep, "GetAccountBalance", &json!({})).await;
    seen.push(rid);
    seen
}

async fn seeded(backend: &Backend, seed: i64) -> TestApp {
    let url = match backend {
        Backend::Sqlite => return TestApp::spawn_with(|s| s.service.id_seed = Some(seed)).await,
        Backend::Postgres(url) => url,
    };
    TestApp::spawn_on(url, None, |s| s.service.id_seed = Some(seed)).await
}

fn no_common_item(a: &[String], b: &[String]) -> bool {
    a.iter().all(|x| !b.contains(x))
}

async fn same_seed_same_ids(backends: [Backend; 3]) {
    let [first, second, third] = backends;
    let a = seeded(&first, 42).await;
    let run_a = script(&Endpoint::for_app(&a), "Seeded").await;
    let b = seeded(&second, 42).await;
    let run_b = script(&Endpoint::for_app(&b), "Seeded").await;
    assert_eq!(run_a, run_b, "two fresh servers with one seed disagree");
    assert_eq!(run_a.len(), 9);
    let c = seeded(&third, 43).await;
    let run_c = script(&Endpoint::for_app(&c), "Seeded").await;
    assert!(no_common_item(&run_a, &run_c), "seeds 42 and 43 share ids: {run_a:?} {run_c:?}");
}

#[tokio::test]
async fn two_fresh_servers_with_the_same_seed_mint_the_same_ids_and_request_ids_on_sqlite() {
    same_seed_same_ids([Backend::Sqlite, Backend::Sqlite, Backend::Sqlite]).await;
}

#[tokio::test]
async fn two_fresh_servers_with_the_same_seed_mint_the_same_ids_and_request_ids_on_postgres() {
    let (Some(a), Some(b), Some(c)) = (postgres_database().await, postgres_database().await, postgres_database().await)
    else {
        return;
    };
    same_seed_same_ids([
        Backend::Postgres(a.url.clone()),
        Backend::Postgres(b.url.clone()),
        Backend::Postgres(c.url.clone()),
    ])
    .await;
}

#[tokio::test]
async fn without_a_seed_two_servers_mint_different_ids() {
    use mturk_local::startup::{Application, Hooks};
    let mut runs = Vec::new();
    for _ in 0..2 {
        // Real time and random ids, as `mturk-local` runs without a seed.
        let settings = crate::common::test_settings("sqlite::unused");
        let mut settings = settings;
        settings.database.in_memory = true;
        let app = Application::build_with(settings, Hooks::default()).await.unwrap();
        let base = format!("http://{}", app.local_addr());
        let server = tokio::spawn(app.run_until_stopped());
        runs.push(script(&Endpoint::real_time(base), "Unseeded").await);
        server.abort();
    }
    assert!(no_common_item(&runs[0], &runs[1]), "{runs:?}");
}

async fn reset_restarts_the_sequence(app: TestApp) {
    let ep = Endpoint::for_app(&app);
    let first = script(&ep, "Seeded").await;
    assert_eq!(app.control("POST", "/reset", None).await.status, 200);
    let second = script(&ep, "Seeded").await;
    assert_eq!(first, second, "a reset did not restart the id sequence");
}

#[tokio::test]
async fn after_a_reset_the_same_calls_get_the_same_ids_on_sqlite() {
    reset_restarts_the_sequence(seeded(&Backend::Sqlite, 7).await).await;
}

#[tokio::test]
async fn after_a_reset_the_same_calls_get_the_same_ids_on_postgres() {
    let Some(db) = postgres_database().await else { return };
    reset_restarts_the_sequence(seeded(&Backend::Postgres(db.url.clone()), 7).await).await;
}

async fn restart_takes_a_new_sequence(app: TestApp) {
    let first = script(&Endpoint::for_app(&app), "Seeded").await;
    // A restart with the same seed on the same store: had the sequence started
    // over, the new type, HIT and assignment would take ids already stored.
    let app = app.restart_with(|s| s.service.id_seed = Some(7)).await;
    let second = script(&Endpoint::for_app(&app), "Seeded again").await;
    assert!(no_common_item(&first, &second), "a restart minted stored ids again: {first:?} {second:?}");
    let app = app.restart_with(|s| s.service.id_seed = Some(7)).await;
    let third = script(&Endpoint::for_app(&app), "Seeded a third time").await;
    assert!(no_common_item(&second, &third) && no_common_item(&first, &third));
    // A reset empties the store, and the sequence starts over as on a new store.
    assert_eq!(app.control("POST", "/reset", None).await.status, 200);
    assert_eq!(script(&Endpoint::for_app(&app), "Seeded").await, first);
    // The next start after that reset must not reuse the reset's sequence either.
    let app = app.restart_with(|s| s.service.id_seed = Some(7)).await;
    let fourth = script(&Endpoint::for_app(&app), "Seeded once more").await;
    assert!(no_common_item(&first, &fourth), "{first:?} {fourth:?}");
}

#[tokio::test]
async fn a_restart_on_a_persisted_store_never_mints_a_stored_id_again_on_sqlite() {
    restart_takes_a_new_sequence(seeded(&Backend::Sqlite, 7).await).await;
}

#[tokio::test]
async fn a_restart_on_a_persisted_store_never_mints_a_stored_id_again_on_postgres() {
    let Some(db) = postgres_database().await else { return };
    restart_takes_a_new_sequence(seeded(&Backend::Postgres(db.url.clone()), 7).await).await;
}

async fn clock_start_and_reset(app: TestApp) {
    let now = |v: Value| v["Now"].as_str().unwrap().to_owned();
    assert_eq!(now(app.control("GET", "/clock", None).await.json()), "2024-01-01T00:00:00.000Z");
    // It runs on at the base clock's rate, and API times follow it.
    app.advance(10);
    assert_eq!(now(app.control("GET", "/clock", None).await.json()), "2024-01-01T00:00:10.000Z");
    let qt = app.create_type("dated", &[]).await;
    let t = app.call("GetQualificationType", &[("QualificationTypeId", &qt)]).await.ok();
    assert_eq!(t.text("CreationTime").as_deref(), Some("2024-01-01T00:00:10Z"));
    app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 86_400 }))).await;
    assert_eq!(now(app.control("GET", "/clock", None).await.json()), "2024-01-02T00:00:10.000Z");
    // A reset rewinds it to the configured instant, not to real time.
    assert_eq!(app.control("POST", "/reset", None).await.status, 200);
    assert_eq!(now(app.control("GET", "/clock", None).await.json()), "2024-01-01T00:00:00.000Z");
    app.advance(5);
    assert_eq!(now(app.control("GET", "/clock", None).await.json()), "2024-01-01T00:00:05.000Z");
}

#[tokio::test]
async fn a_new_store_starts_at_clock_start_and_a_reset_rewinds_there_on_sqlite() {
    clock_start_and_reset(TestApp::spawn_with(|s| s.service.clock_start = Some(START.into())).await).await;
}

#[tokio::test]
async fn a_new_store_starts_at_clock_start_and_a_reset_rewinds_there_on_postgres() {
    let Some(db) = postgres_database().await else { return };
    clock_start_and_reset(TestApp::spawn_on(&db.url, None, |s| s.service.clock_start = Some(START.into())).await).await;
}

#[tokio::test]
async fn a_restart_keeps_the_stored_clock_and_clock_start_only_moves_a_clock_that_never_moved() {
    let now = |v: Value| v["Now"].as_str().unwrap().to_owned();
    let start = |s: &mut mturk_local::config::Settings| s.service.clock_start = Some(START.into());
    let app = TestApp::spawn_with(start).await;
    app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 3600 }))).await;
    // The test's base clock starts again at the same instant, so the stored
    // offset alone decides what the restarted clock reads.
    let app = app.restart_with(start).await;
    assert_eq!(now(app.control("GET", "/clock", None).await.json()), "2024-01-01T01:00:00.000Z");
    // Another start instant does not move a clock that has been moved either.
    let app = app.restart_with(|s| s.service.clock_start = Some("2030-01-01T00:00:00Z".into())).await;
    assert_eq!(now(app.control("GET", "/clock", None).await.json()), "2024-01-01T01:00:00.000Z");
    // Nor does leaving it out: the clock is the store's.
    let app = app.restart().await;
    assert_eq!(now(app.control("GET", "/clock", None).await.json()), "2024-01-01T01:00:00.000Z");

    // A store that always ran at real time (offset 0) starts at clock_start.
    let plain = TestApp::spawn_with(|_| {}).await;
    assert_eq!(now(plain.control("GET", "/clock", None).await.json()), "2026-01-01T00:00:00.000Z");
    let moved = plain.restart_with(start).await;
    assert_eq!(now(moved.control("GET", "/clock", None).await.json()), "2024-01-01T00:00:00.000Z");
}
