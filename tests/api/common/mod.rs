//! Every helper the API tests share (no test module imports another):
//! `TestApp`, a server on port 0 with a fresh store, manual clocks, seeded
//! ids and two known requesters, with signed and raw request builders; the
//! SDK client ([`sdk`]), the endpoint client ([`endpoint`]), SigV4 signing
//! ([`sigv4`]) and the XML documents tests send ([`documents`]).

#![allow(dead_code, reason = "each test module uses a different part of the helpers")]

pub mod documents;
pub mod endpoint;
pub mod sdk;
pub mod sigv4;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sqlx::Connection as _;

use mturk_local::auth::legacy::{default_string_to_sign, sign, v1_string_to_sign};
use mturk_local::config::{CliOverrides, RequesterSettings, Settings};
use mturk_local::domain::clock::ManualClock;
use mturk_local::domain::ids::SeededIds;
use mturk_local::domain::time::Timestamp;
use mturk_local::startup::{Application, Hooks};

/// The development requester of `config/default.toml`.
pub const DEV_KEY: &str = "AKIAMTURKLOCALDEV000";
/// Its secret.
pub const DEV_SECRET: &str = "mturk-local-dev-secret-do-not-use-in-production";
/// A second requester, to prove isolation.
pub const OTHER_KEY: &str = "AKIAMTURKLOCALOTHER1";
/// Its secret.
pub const OTHER_SECRET: &str = "other-secret";
/// Where both test clocks start: 2026-01-01T00:00:00Z.
pub const START: Timestamp = Timestamp::from_millis(1_767_225_600_000);

/// One row of a table-driven error test: what is wrong, the parameters, the expected code.
pub type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);

/// Which store a test runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on the server of `MTURK_LOCAL_TEST_POSTGRES_URL`.
    Postgres(String),
}

static SEED: AtomicU64 = AtomicU64::new(1);

/// A Postgres database made for one test and dropped when the test ends,
/// passed or panicked (the value is dropped during unwinding too).
pub struct PgDatabase {
    /// The URL of the database.
    pub url: String,
    admin_url: String,
    name: String,
}

impl std::ops::Deref for PgDatabase {
    type Target = str;

    fn deref(&self) -> &str {
        &self.url
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Drop runs outside any async context it could borrow, so the DROP gets a thread and a
        // runtime of its own. WITH (FORCE) (PostgreSQL 13+) ends connections a server left open.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&admin_url).await.ok()?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            // Left for the next run's sweep of databases older than an hour.
            let _ = writeln!(std::io::stderr(), "note: could not drop the test database {}", self.name);
        }
    }
}

/// A fresh Postgres database for one test, or `None` when Postgres tests are
/// not configured (which fails the test if `MTURK_LOCAL_REQUIRE_POSTGRES` is set).
///
/// A skipped test says so on the terminal: the note is written to the
/// process's stderr directly, which the test harness does not capture, so it
/// shows in a passing run rather than vanishing with the test's own output.
pub async fn postgres_database() -> Option<PgDatabase> {
    let Ok(url) = std::env::var("MTURK_LOCAL_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("MTURK_LOCAL_REQUIRE_POSTGRES").is_none(),
            "MTURK_LOCAL_REQUIRE_POSTGRES is set but MTURK_LOCAL_TEST_POSTGRES_URL is not"
        );
        let test = std::thread::current().name().unwrap_or("a PostgreSQL test").to_owned();
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED on PostgreSQL: {test} (set MTURK_LOCAL_TEST_POSTGRES_URL to run it; see the README)"
        );
        return None;
    };
    let mut admin = sqlx::PgConnection::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to MTURK_LOCAL_TEST_POSTGRES_URL: {e}"));
    // Databases are named with their creation second so that leftovers of
    // runs that were killed (and so never dropped theirs) can be swept.
    #[allow(clippy::disallowed_methods, reason = "test database housekeeping uses real time")]
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let stale: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'mturk_local_test_%'")
            .fetch_all(&mut admin)
            .await
            .unwrap_or_default();
    for old in stale {
        let born = old.split('_').nth(3).and_then(|t| t.parse::<u64>().ok()).unwrap_or(0);
        if born + 3600 < now {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {old} WITH (FORCE)")).execute(&mut admin).await;
        }
    }
    #[allow(clippy::disallowed_methods, reason = "a unique name for a test database")]
    let name = format!("mturk_local_test_{now}_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("create test database");
    let base = url.split('?').next().unwrap_or(&url);
    let root = base.rsplit_once('/').map_or(base, |(root, _)| root);
    Some(PgDatabase { url: format!("{root}/{name}"), admin_url: url.clone(), name })
}

/// A running server.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The virtual clock's base.
    pub clock: Arc<ManualClock>,
    /// The wall clock used for signature windows.
    pub wall: Arc<ManualClock>,
    /// HTTP client.
    pub http: reqwest::Client,
    /// The database URL, for restarts.
    pub database: String,
    dir: Option<tempfile::TempDir>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A decoded HTTP answer.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Content-Type header.
    pub content_type: String,
    /// Body text.
    pub body: String,
}

impl Answer {
    /// The text of the first `<tag>…</tag>`, unescaped for the basic entities.
    pub fn text(&self, tag: &str) -> Option<String> {
        xml_text(&self.body, tag)
    }

    /// The first error code in the body.
    pub fn code(&self) -> Option<String> {
        self.text("Code")
    }

    /// Whether the result's Request says IsValid True.
    pub fn is_valid(&self) -> bool {
        self.body.contains("<IsValid>True</IsValid>") && !self.body.contains("<Errors>")
    }

    /// Asserts success and returns self.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert!(self.is_valid(), "expected success, got: {}", self.body);
        self
    }

    /// Asserts an error with `code` and returns self.
    #[track_caller]
    pub fn err(self, code: &str) -> Self {
        assert_eq!(self.code().as_deref(), Some(code), "unexpected answer: {}", self.body);
        self
    }

    /// The body as JSON (control plane).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// The text of the first `<tag>…</tag>` in `xml`.
pub fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(
        xml[start..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

/// Settings for a test server on port 0.
pub fn test_settings(database: &str) -> Settings {
    let env = [
        ("MTURK_LOCAL_SERVER__LISTEN".to_owned(), "127.0.0.1:0".to_owned()),
        ("MTURK_LOCAL_DATABASE__URL".to_owned(), database.to_owned()),
    ];
    let mut s = Settings::load(None, env, &CliOverrides::default()).expect("test settings");
    s.requesters.push(RequesterSettings {
        access_key_id: OTHER_KEY.into(),
        secret_access_key: OTHER_SECRET.into(),
        starting_balance: Some("25.00".into()),
    });
    s
}

impl TestApp {
    /// A server on a fresh store of `backend`.
    pub async fn spawn(backend: &Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("tempdir");
                let url = format!("sqlite:{}", dir.path().join("test.db").display());
                Self::spawn_on(&url, Some(dir), |_| {}).await
            }
            Backend::Postgres(url) => Self::spawn_on(url, None, |_| {}).await,
        }
    }

    /// A server on a fresh SQLite file, with settings adjusted by `tweak`.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Settings)) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite:{}", dir.path().join("test.db").display());
        Self::spawn_on(&url, Some(dir), tweak).await
    }

    /// A server on `database`, with settings adjusted by `tweak`.
    pub async fn spawn_on(database: &str, dir: Option<tempfile::TempDir>, tweak: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = test_settings(database);
        tweak(&mut settings);
        let clock = Arc::new(ManualClock::new(START));
        let wall = Arc::new(ManualClock::new(START));
        let hooks = Hooks {
            base_clock: clock.clone(),
            wall: wall.clone(),
            ids: Arc::new(SeededIds::new(SEED.fetch_add(1, Ordering::SeqCst))),
        };
        let app = Application::build_with(settings, hooks).await.expect("application builds");
        let base = format!("http://{}", app.local_addr());
        let server = tokio::spawn(async move {
            app.run_until_stopped().await.expect("server runs");
        });
        Self { base, clock, wall, http: reqwest::Client::new(), database: database.to_owned(), dir, server }
    }

    /// Stops this server and starts another on the same database.
    pub async fn restart(self) -> Self {
        self.restart_with(|_| {}).await
    }

    /// Stops this server and starts another on the same database, with
    /// settings adjusted by `tweak`.
    pub async fn restart_with(mut self, tweak: impl FnOnce(&mut Settings)) -> Self {
        self.server.abort();
        let dir = self.dir.take();
        let database = self.database.clone();
        let _ = (&mut self.server).await;
        drop(self);
        Self::spawn_on(&database, dir, tweak).await
    }

    /// Signed parameters for `operation` with the default scheme, as `key`.
    pub fn signed(&self, key: &str, secret: &str, operation: &str, params: &[(&str, &str)]) -> Vec<(String, String)> {
        legacy_signed(key, secret, &self.wall.now_text(), operation, params)
    }

    /// Signed parameters with boto 2's `SignatureVersion=1` (no Service).
    pub fn signed_v1(&self, operation: &str, params: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut all: Vec<(String, String)> = vec![
            ("AWSAccessKeyId".into(), DEV_KEY.into()),
            ("Operation".into(), operation.into()),
            ("SignatureVersion".into(), "1".into()),
            ("Timestamp".into(), self.wall.now_text()),
            ("Version".into(), "2014-08-15".into()),
        ];
        all.extend(params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let sts = v1_string_to_sign(all.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        all.push(("Signature".into(), sign(DEV_SECRET.as_bytes(), &sts)));
        all
    }

    /// A signed POST to `/` as the development requester.
    pub async fn call(&self, operation: &str, params: &[(&str, &str)]) -> Answer {
        self.call_as(DEV_KEY, DEV_SECRET, operation, params).await
    }

    /// A signed POST to `/` as `key`.
    pub async fn call_as(&self, key: &str, secret: &str, operation: &str, params: &[(&str, &str)]) -> Answer {
        let form = self.signed(key, secret, operation, params);
        self.post_form("/", &form).await
    }

    /// POSTs a form body.
    pub async fn post_form(&self, path: &str, form: &[(String, String)]) -> Answer {
        let body = serde_urlencoded(form);
        self.raw("POST", path, Some("application/x-www-form-urlencoded"), body.into_bytes()).await
    }

    /// GETs with a query string.
    pub async fn get_query(&self, path: &str, query: &[(String, String)]) -> Answer {
        let q = serde_urlencoded(query);
        self.raw("GET", &format!("{path}?{q}"), None, Vec::new()).await
    }

    /// Any request.
    pub async fn raw(&self, method: &str, path_and_query: &str, content_type: Option<&str>, body: Vec<u8>) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(method, format!("{}{path_and_query}", self.base)).body(body);
        if let Some(ct) = content_type {
            req = req.header("Content-Type", ct);
        }
        let res = req.send().await.expect("request reaches the server");
        let status = res.status().as_u16();
        let content_type =
            res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        Answer { status, content_type, body: res.text().await.expect("body") }
    }

    /// A JSON request to the control plane.
    pub async fn control(&self, method: &str, path: &str, body: Option<serde_json::Value>) -> Answer {
        let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        self.raw(method, &format!("/_local{path}"), Some("application/json"), body).await
    }

    /// A simulated worker requests a qualification (no test answers).
    pub async fn request_qualification(&self, worker: &str, type_id: &str) -> Answer {
        let body = serde_json::json!({ "QualificationTypeId": type_id });
        self.control("POST", &format!("/workers/{worker}/qualification-requests"), Some(body)).await
    }

    /// Creates a qualification type named `name` and returns its id.
    pub async fn create_type(&self, name: &str, extra: &[(&str, &str)]) -> String {
        let mut params = vec![("Name", name), ("Description", "a test type")];
        if !extra.iter().any(|(k, _)| *k == "QualificationTypeStatus") {
            params.push(("QualificationTypeStatus", "Active"));
        }
        params.extend_from_slice(extra);
        let answer = self.call("CreateQualificationType", &params).await.ok();
        answer.text("QualificationTypeId").expect("type id")
    }

    /// A simulated worker accepts `hit` and submits `answer`; returns the assignment id.
    pub async fn work(&self, worker: &str, hit: &str, answer: &str) -> String {
        let body = serde_json::json!({ "HITId": hit });
        let accepted = self.control("POST", &format!("/workers/{worker}/assignments"), Some(body)).await;
        assert_eq!(accepted.status, 200, "{}", accepted.body);
        let id = accepted.json()["AssignmentId"].as_str().expect("an assignment id").to_owned();
        let submitted = self
            .control("POST", &format!("/assignments/{id}/submit"), Some(serde_json::json!({ "Answer": answer })))
            .await;
        assert_eq!(submitted.status, 200, "{}", submitted.body);
        id
    }

    /// Moves the virtual clock's base forward (the wall clock that dates signatures stays).
    pub fn advance(&self, seconds: i64) {
        self.clock.set(mturk_local::domain::clock::Clock::now(&*self.clock).plus_seconds(seconds));
    }
}

/// Legacy parameters signed with the default scheme (HMAC-SHA1 of service,
/// operation and timestamp), as every legacy client but boto 2 signs them.
pub fn legacy_signed(
    key: &str,
    secret: &str,
    timestamp: &str,
    operation: &str,
    params: &[(&str, &str)],
) -> Vec<(String, String)> {
    let signature = sign(secret.as_bytes(), &default_string_to_sign(operation, timestamp));
    let mut all: Vec<(String, String)> = vec![
        ("Service".into(), "AWSMechanicalTurkRequester".into()),
        ("AWSAccessKeyId".into(), key.into()),
        ("Operation".into(), operation.into()),
        ("Timestamp".into(), timestamp.to_owned()),
        ("Signature".into(), signature),
    ];
    all.extend(params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    all
}

/// Form-encodes pairs (RFC 3986 unreserved characters kept).
pub fn serde_urlencoded(pairs: &[(String, String)]) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const SET: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    let set = SET;
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", utf8_percent_encode(k, set), utf8_percent_encode(v, set)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Reading a manual clock as request text.
pub trait ClockText {
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    fn now_text(&self) -> String;
}

impl ClockText for ManualClock {
    fn now_text(&self) -> String {
        mturk_local::domain::clock::Clock::now(self).to_xml_datetime()
    }
}

/// Runs a test body on SQLite and, when configured, on PostgreSQL:
/// `both_backends!(name, |app| async move { ... });`
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports, reason = "not every test uses every helper")]
            use super::*;

            #[tokio::test]
            async fn on_sqlite() {
                let app = $crate::common::TestApp::spawn(&$crate::common::Backend::Sqlite).await;
                ($body)(app).await;
            }

            #[tokio::test]
            async fn on_postgres() {
                let Some(db) = $crate::common::postgres_database().await else { return };
                let app = $crate::common::TestApp::spawn(&$crate::common::Backend::Postgres(db.url.clone())).await;
                ($body)(app).await;
            }
        }
    };
}

/// Every row of every table of the store at `database` (migration bookkeeping
/// included), rendered as text, by table name.
pub async fn table_rows(database: &str) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    if database.starts_with("sqlite:") {
        let path = database.trim_start_matches("sqlite:").trim_start_matches("//");
        let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let strings = |sql: &str| -> Vec<String> {
            let mut stmt = conn.prepare(sql).unwrap();
            let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
            rows.collect::<Result<_, _>>().unwrap()
        };
        let tables =
            strings("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
        for table in tables {
            let columns = strings(&format!("SELECT name FROM pragma_table_info('{table}')"));
            let row = columns.iter().map(|c| format!("quote(\"{c}\")")).collect::<Vec<_>>().join(" || '|' || ");
            let rows = strings(&format!("SELECT {row} FROM \"{table}\" ORDER BY 1"));
            out.insert(table, rows);
        }
    } else {
        let mut conn = sqlx::PgConnection::connect(database).await.unwrap();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        for table in tables {
            let rows: Vec<String> =
                sqlx::query_scalar(&format!("SELECT CAST(t AS TEXT) FROM \"{table}\" t ORDER BY 1"))
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
            out.insert(table, rows);
        }
    }
    out
}

/// Runs one statement directly on the store at `database`, behind the
/// server's back (to simulate what the API cannot do, e.g. a stale schema).
pub async fn execute_sql(database: &str, sql: &str) {
    if database.starts_with("sqlite:") {
        let path = database.trim_start_matches("sqlite:").trim_start_matches("//");
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
        conn.execute_batch(sql).unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(database).await.unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
}

/// Whether `table` holds the service's state: not the migration runners'
/// bookkeeping, not the snapshot storage (the registry and the `snap_*`
/// copies), which reset and restore leave alone.
pub fn is_state_table(table: &str) -> bool {
    !matches!(table, "schema_migrations" | "_sqlx_migrations" | "snapshots") && !table.starts_with("snap_")
}
