//! `GET /health` and the `mturk-local healthcheck` subcommand (run as the
//! built binary, as a container's HEALTHCHECK runs it).

use std::process::{Command, Output};

use serde_json::json;

use crate::common::{postgres_database, TestApp};

/// Runs the built binary with `args` and only `env` in its environment.
async fn run_binary(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mturk-local"));
    command.args(args).env_clear();
    for (k, v) in env {
        command.env(k, v);
    }
    tokio::task::spawn_blocking(move || command.output().expect("the binary runs")).await.unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn health_answers_ok_with_the_storage_backend_and_nothing_else() {
    let app = TestApp::spawn_with(|_| {}).await;
    let answer = app.raw("GET", "/health", None, Vec::new()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.content_type, "application/json");
    assert_eq!(answer.json(), json!({ "Status": "ok", "Storage": "sqlite" }));
    // Only GET: /health is not an API endpoint.
    assert_eq!(app.raw("POST", "/health", None, Vec::new()).await.status, 405);
}

#[tokio::test]
async fn health_answers_beyond_loopback_where_the_control_plane_is_off() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("h.db").display());
    let mut app = TestApp::spawn_on(&url, Some(dir), |s| s.server.listen = "0.0.0.0:0".into()).await;
    app.base = app.base.replace("0.0.0.0", "127.0.0.1");
    assert_eq!(app.control("GET", "/clock", None).await.status, 401);
    let answer = app.raw("GET", "/health", None, Vec::new()).await;
    assert_eq!((answer.status, answer.json()), (200, json!({ "Status": "ok", "Storage": "sqlite" })));
}

#[tokio::test]
async fn health_answers_503_when_postgres_loses_its_database_and_the_healthcheck_fails() {
    let Some(db) = postgres_database().await else { return };
    let app = TestApp::spawn_on(&db.url, None, |_| {}).await;
    let answer = app.raw("GET", "/health", None, Vec::new()).await;
    assert_eq!((answer.status, answer.json()), (200, json!({ "Status": "ok", "Storage": "postgres" })));
    let ok = run_binary(&["healthcheck", "--url", &app.base], &[]).await;
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));

    // The database goes away under the running server.
    let admin_url = std::env::var("MTURK_LOCAL_TEST_POSTGRES_URL").unwrap();
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url).await.unwrap();
    let name = db.url.rsplit('/').next().unwrap().to_owned();
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut admin).await.unwrap();

    let answer = app.raw("GET", "/health", None, Vec::new()).await;
    assert_eq!(answer.status, 503, "{}", answer.body);
    assert_eq!(answer.json(), json!({ "Status": "unavailable", "Storage": "postgres" }));
    let failed = run_binary(&["healthcheck", "--url", &app.base], &[]).await;
    assert_eq!(failed.status.code(), Some(1));
    let reason = text(&failed.stderr);
    assert_eq!(reason.lines().count(), 1, "{reason}");
    assert!(reason.contains("503") && reason.contains("unavailable"), "{reason}");
}

#[tokio::test]
async fn the_healthcheck_subcommand_exits_0_on_a_healthy_server_and_1_with_a_reason_otherwise() {
    let app = TestApp::spawn_with(|_| {}).await;
    let ok = run_binary(&["healthcheck", "--url", &app.base], &[]).await;
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert_eq!((text(&ok.stdout), text(&ok.stderr)), (String::new(), String::new()), "silent when healthy");

    // By default it checks the configured listen address.
    let listen = app.base.trim_start_matches("http://").to_owned();
    let by_env = run_binary(&["healthcheck"], &[("MTURK_LOCAL_SERVER__LISTEN", &listen)]).await;
    assert_eq!(by_env.status.code(), Some(0), "{}", text(&by_env.stderr));
    let by_flag = run_binary(&["--listen", &listen, "healthcheck"], &[]).await;
    assert_eq!(by_flag.status.code(), Some(0), "{}", text(&by_flag.stderr));

    // A path that is not /health answers 404: unhealthy.
    let wrong = run_binary(&["healthcheck", "--url", &format!("{}/nothing-here", app.base)], &[]).await;
    assert_eq!(wrong.status.code(), Some(1));
    assert!(text(&wrong.stderr).contains(": 404"), "{}", text(&wrong.stderr));

    // Nothing listening: unhealthy, one line.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let down = run_binary(&["healthcheck", "--url", &format!("http://127.0.0.1:{port}")], &[]).await;
    assert_eq!(down.status.code(), Some(1));
    let reason = text(&down.stderr);
    assert_eq!(reason.lines().count(), 1, "{reason}");
    assert!(reason.starts_with("mturk-local healthcheck: unhealthy: http://127.0.0.1:"), "{reason}");
    assert!(reason.contains("/health: cannot connect"), "{reason}");

    // A URL it cannot use is refused the same way.
    let tls = run_binary(&["healthcheck", "--url", "https://127.0.0.1:1"], &[]).await;
    assert_eq!(tls.status.code(), Some(1));
    assert!(text(&tls.stderr).contains("http://"), "{}", text(&tls.stderr));
}

#[tokio::test]
async fn the_binary_takes_id_seed_and_clock_start_flags_and_serves_health() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let listen = format!("127.0.0.1:{port}");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mturk-local"))
        .args(["--in-memory", "--listen", &listen, "--id-seed", "7", "--clock-start", "2024-01-01T00:00:00Z"])
        .env_clear()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let base = format!("http://{listen}");
    let mut healthy = false;
    for _ in 0..100 {
        if let Ok(r) = http.get(format!("{base}/health")).send().await {
            healthy = r.status().as_u16() == 200;
            break;
        }
        // Waiting for a child process to bind: no virtual clock to move here.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let clock: serde_json::Value =
        http.get(format!("{base}/_local/clock")).send().await.unwrap().json().await.unwrap_or_default();
    let check = run_binary(&["--listen", &listen, "healthcheck"], &[]).await;
    let _ = child.kill();
    let _ = child.wait();
    assert!(healthy, "the server never answered /health");
    // Real time flows from the start instant: well under a minute has passed.
    let now = clock["Now"].as_str().unwrap_or_default();
    assert!(now.starts_with("2024-01-01T00:00:"), "{clock}");
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
}

#[tokio::test]
async fn in_a_container_listening_on_all_interfaces_sign_and_healthcheck_use_loopback() {
    let env = [("MTURK_LOCAL_SERVER__LISTEN", "0.0.0.0:8099")];
    let signed = run_binary(&["sign", "GetAccountBalance"], &env).await;
    assert_eq!(signed.status.code(), Some(0), "{}", text(&signed.stderr));
    assert!(text(&signed.stdout).starts_with("http://127.0.0.1:8099/?"), "{}", text(&signed.stdout));
}
