//! Durability and concurrency (issue 6): a `kill -9` in the middle of a write
//! load loses no acknowledged write and leaves nothing half-applied; many
//! clients racing on the same (type, worker) pairs get only business errors
//! and leave exactly one consistent qualification per pair; two server
//! processes on one PostgreSQL database behave as one.
//!
//! The crash and two-instance tests run the real binary (`CARGO_BIN_EXE_mturk-local`)
//! on a free loopback port and sign with real time; the race tests run the
//! server in process on a multi-threaded runtime. Every test is bounded by
//! [`LIMIT`]. The [`Endpoint`] client here (signed legacy and JSON calls, the
//! control plane) is shared with `hostile.rs`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::common::endpoint::{Endpoint, Reply};
use crate::common::{postgres_database, xml_text, Backend, TestApp};

/// The most any test here may take; each is designed to need a fraction of it.
pub const LIMIT: Duration = Duration::from_secs(55);

/// Runs `body`, failing the test if it takes longer than [`LIMIT`].
async fn bounded<F: std::future::Future<Output = ()>>(what: &str, body: F) {
    tokio::time::timeout(LIMIT, body).await.unwrap_or_else(|_| panic!("{what} took longer than {LIMIT:?}"));
}

// ---------------------------------------------------------------------------
// The real binary on a free loopback port.

/// A running `mturk-local` process.
struct Server {
    child: Child,
    endpoint: Endpoint,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("an address").port()
}

impl Server {
    /// Starts the binary on `database`, logging to a file in `dir`, and waits
    /// until it answers. A port taken between probing and binding is retried.
    async fn start(database: &str, dir: &Path, name: &str) -> Self {
        for attempt in 0..5 {
            let port = free_port();
            let log = dir.join(format!("{name}-{attempt}.log"));
            let mut command = Command::new(env!("CARGO_BIN_EXE_mturk-local"));
            command
                .args(["--listen", &format!("127.0.0.1:{port}"), "--database", database])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).expect("a log file"))
                .env("RUST_LOG", "warn");
            // The test process's own settings (e.g. CI's) must not leak into the server.
            for (key, _) in std::env::vars_os() {
                if key.to_string_lossy().starts_with("MTURK_LOCAL_") {
                    command.env_remove(&key);
                }
            }
            let child = command.spawn().expect("the mturk-local binary starts");
            let mut server = Self { child, endpoint: Endpoint::real_time(format!("http://127.0.0.1:{port}")), log };
            if server.wait_ready().await {
                return server;
            }
        }
        panic!("mturk-local did not start on {database}");
    }

    async fn wait_ready(&mut self) -> bool {
        for _ in 0..300 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if let Ok(r) = self.endpoint.control("GET", "/clock", None).await {
                if r.status == 200 {
                    return true;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        panic!("mturk-local did not answer within 30 s; its log:\n{log}");
    }

    /// SIGKILL: no shutdown handler, no checkpoint, no flush.
    fn kill_9(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("the process is reaped");
    }
}

// ---------------------------------------------------------------------------
// Crash: kill -9 mid-load, restart, check every acknowledged write.

/// How far one step of the load got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Not sent: the load stopped before.
    NotSent,
    /// Sent, but no answer came back (the server died): may or may not be applied.
    InFlight,
    /// Answered with success.
    Acked,
}

/// One simulated worker of the load: assigned a type, then revoked with a reason.
#[derive(Debug, Clone)]
struct Subject {
    worker: String,
    type_id: String,
    value: i32,
    reason: String,
    assign: Step,
    revoke: Step,
}

/// A type created during the load.
#[derive(Debug, Clone)]
struct Created {
    name: String,
    id: Option<String>,
    step: Step,
}

#[derive(Debug, Default)]
struct Ledger {
    subjects: Vec<Subject>,
    created: Vec<Created>,
    /// Answers that were neither success nor the transport failure of the kill.
    surprises: Vec<String>,
}

/// One client of the crash load: for worker after worker, assign a type and
/// revoke it with a reason; now and then create a type. Stops at the first
/// request that gets no answer.
async fn crash_client(
    ep: Endpoint,
    client: usize,
    types: Arc<Vec<String>>,
    ledger: Arc<Mutex<Ledger>>,
    acked: Arc<AtomicUsize>,
) {
    for n in 0usize.. {
        if n % 8 == 7 {
            let name = format!("load {client}-{n} end");
            let index = {
                let mut l = ledger.lock().unwrap();
                l.created.push(Created { name: name.clone(), id: None, step: Step::InFlight });
                l.created.len() - 1
            };
            match ep.create_type_raw(&name).await {
                Err(_) => return,
                Ok(r) if r.legacy_ok() => {
                    let mut l = ledger.lock().unwrap();
                    l.created[index].id = xml_text(&r.body, "QualificationTypeId");
                    l.created[index].step = Step::Acked;
                    acked.fetch_add(1, Ordering::SeqCst);
                }
                Ok(r) => {
                    ledger.lock().unwrap().surprises.push(format!("create {name}: {}", r.body));
                    return;
                }
            }
        }
        let subject = Subject {
            worker: format!("A{client:02}X{n:05}"),
            type_id: types[(client + n) % types.len()].clone(),
            value: i32::try_from(n % 100).unwrap() + 1,
            reason: format!("crash test {client}/{n}: <b>&amp;</b> 'quoted' \"twice\""),
            assign: Step::InFlight,
            revoke: Step::NotSent,
        };
        let index = {
            let mut l = ledger.lock().unwrap();
            l.subjects.push(subject.clone());
            l.subjects.len() - 1
        };
        let value = subject.value.to_string();
        let assigned = ep
            .legacy(
                "AssignQualification",
                &[("QualificationTypeId", &subject.type_id), ("WorkerId", &subject.worker), ("IntegerValue", &value)],
            )
            .await;
        match assigned {
            Err(_) => return,
            Ok(r) if r.legacy_ok() => {
                let mut l = ledger.lock().unwrap();
                l.subjects[index].assign = Step::Acked;
                l.subjects[index].revoke = Step::InFlight;
                acked.fetch_add(1, Ordering::SeqCst);
            }
            Ok(r) => {
                ledger.lock().unwrap().surprises.push(format!("assign {}: {}", subject.worker, r.body));
                return;
            }
        }
        let revoked = ep
            .legacy(
                "RevokeQualification",
                &[
                    ("QualificationTypeId", &subject.type_id),
                    ("SubjectId", &subject.worker),
                    ("Reason", &subject.reason),
                ],
            )
            .await;
        match revoked {
            Err(_) => return,
            Ok(r) if r.legacy_ok() => {
                ledger.lock().unwrap().subjects[index].revoke = Step::Acked;
                acked.fetch_add(1, Ordering::SeqCst);
            }
            Ok(r) => {
                ledger.lock().unwrap().surprises.push(format!("revoke {}: {}", subject.worker, r.body));
                return;
            }
        }
    }
}

impl Endpoint {
    async fn create_type_raw(&self, name: &str) -> Result<Reply, reqwest::Error> {
        self.legacy(
            "CreateQualificationType",
            &[("Name", name), ("Description", "made under load"), ("QualificationTypeStatus", "Active")],
        )
        .await
    }
}

/// What the store holds for one worker, read through the control plane.
async fn worker_state(ep: &Endpoint, worker: &str) -> (Vec<Value>, Vec<Value>) {
    let quals = ep.control("GET", &format!("/workers/{worker}/qualifications"), None).await.unwrap().json();
    let notes = ep.control("GET", &format!("/workers/{worker}/notifications"), None).await.unwrap().json();
    (
        quals["Qualifications"].as_array().cloned().unwrap_or_default(),
        notes["Notifications"].as_array().cloned().unwrap_or_default(),
    )
}

/// Checks one subject after the restart; returns what is wrong, if anything.
fn check_subject(s: &Subject, quals: &[Value], notes: &[Value]) -> Result<(), String> {
    let kinds: Vec<&str> = notes.iter().filter_map(|n| n["Kind"].as_str()).collect();
    let nothing = quals.is_empty() && notes.is_empty();
    let granted = quals.len() == 1
        && quals[0]["Status"] == "Granted"
        && quals[0]["IntegerValue"] == s.value
        && quals[0]["QualificationTypeId"] == s.type_id.as_str()
        && kinds == ["QualificationAssigned"];
    let revoked = quals.len() == 1
        && quals[0]["Status"] == "Revoked"
        && quals[0]["RevokeReason"] == s.reason.as_str()
        && kinds == ["QualificationAssigned", "QualificationRevoked"]
        && notes[1]["Text"] == s.reason.as_str()
        && notes[1]["QualificationTypeId"] == s.type_id.as_str();
    let fine = match (s.assign, s.revoke) {
        (Step::InFlight, _) => nothing || granted,
        (Step::Acked, Step::NotSent) => granted,
        (Step::Acked, Step::InFlight) => granted || revoked,
        (Step::Acked, Step::Acked) => revoked,
        (Step::NotSent, _) => nothing,
    };
    if fine {
        Ok(())
    } else {
        Err(format!(
            "{} (assign {:?}, revoke {:?}): qualifications {quals:?}, notifications {notes:?}",
            s.worker, s.assign, s.revoke
        ))
    }
}

/// The crash scenario on `database` (SQLite file or PostgreSQL URL).
async fn crash_and_recover(database: &str, dir: &Path) {
    const CLIENTS: usize = 12;
    const ACKS_BEFORE_KILL: usize = 300;
    let server = Server::start(database, dir, "before-crash").await;
    let ep = server.endpoint.clone();
    let mut types = Vec::new();
    for i in 0..4 {
        types.push(ep.create_type(&format!("crash type {i}")).await);
    }
    let types = Arc::new(types);
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let acked = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| tokio::spawn(crash_client(ep.clone(), c, types.clone(), ledger.clone(), acked.clone())))
        .collect();
    // Kill while every client is mid-stream: after enough acknowledgements to mean something.
    for _ in 0..400 {
        if acked.load(Ordering::SeqCst) >= ACKS_BEFORE_KILL {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let acked_at_kill = acked.load(Ordering::SeqCst);
    assert!(acked_at_kill >= ACKS_BEFORE_KILL, "only {acked_at_kill} writes were acknowledged in 20 s");
    server.kill_9();
    for c in clients {
        tokio::time::timeout(Duration::from_secs(25), c).await.expect("clients stop once the server is gone").unwrap();
    }
    let ledger = std::mem::take(&mut *ledger.lock().unwrap());
    assert!(ledger.surprises.is_empty(), "unexpected answers under load: {:#?}", ledger.surprises);
    let in_flight = ledger.subjects.iter().filter(|s| s.assign == Step::InFlight || s.revoke == Step::InFlight).count();
    eprintln!(
        "crash: {} workers touched, {acked_at_kill}+ writes acknowledged, {in_flight} cut off in flight, {} types created",
        ledger.subjects.len(),
        ledger.created.len()
    );

    let server = Server::start(database, dir, "after-crash").await;
    let ep = server.endpoint.clone();
    // Every acknowledged type is there; one cut off in flight is there whole or not at all.
    for t in types.iter() {
        assert!(ep.legacy("GetQualificationType", &[("QualificationTypeId", t)]).await.unwrap().legacy_ok());
    }
    for c in &ledger.created {
        let found = ep
            .legacy(
                "SearchQualificationTypes",
                &[("Query", &c.name), ("MustBeRequestable", "false"), ("MustBeOwnedByCaller", "true")],
            )
            .await
            .unwrap();
        let total: usize = xml_text(&found.body, "TotalNumResults").and_then(|n| n.parse().ok()).unwrap_or(99);
        match c.step {
            Step::Acked => {
                assert_eq!(total, 1, "acknowledged type {:?} is missing: {}", c.name, found.body);
                assert_eq!(xml_text(&found.body, "QualificationTypeId"), c.id, "{}", c.name);
            }
            _ => assert!(total <= 1, "type {:?} was created twice: {}", c.name, found.body),
        }
    }
    // Every worker's qualification and notices match what the client saw.
    let mut problems = Vec::new();
    for s in &ledger.subjects {
        let (quals, notes) = worker_state(&ep, &s.worker).await;
        if let Err(p) = check_subject(s, &quals, &notes) {
            problems.push(p);
        }
    }
    assert!(problems.is_empty(), "{} inconsistent workers after the crash:\n{}", problems.len(), problems.join("\n"));
    // No rows beyond those the load could have made: per type, the listing counts agree.
    for t in types.iter() {
        let mut listed = 0;
        for status in ["Granted", "Revoked"] {
            let r = ep
                .legacy("GetQualificationsForQualificationType", &[("QualificationTypeId", t), ("Status", status)])
                .await
                .unwrap();
            listed += xml_text(&r.body, "TotalNumResults").and_then(|n| n.parse::<usize>().ok()).unwrap();
        }
        let possible = ledger.subjects.iter().filter(|s| &s.type_id == t).count();
        let certain = ledger.subjects.iter().filter(|s| &s.type_id == t && s.assign == Step::Acked).count();
        assert!((certain..=possible).contains(&listed), "type {t}: {listed} rows, expected {certain}..={possible}");
    }
    // And the recovered store takes writes.
    ep.legacy("AssignQualification", &[("QualificationTypeId", &types[0]), ("WorkerId", "AAFTERCRASH1")])
        .await
        .map(|r| assert!(r.legacy_ok(), "{}", r.body))
        .unwrap();
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_kill_9_mid_load_loses_no_acknowledged_write_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("crash.db").display());
    bounded("the SQLite crash test", crash_and_recover(&database, dir.path())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_kill_9_mid_load_loses_no_acknowledged_write_on_postgres() {
    let Some(database) = postgres_database().await else { return };
    let dir = tempfile::tempdir().unwrap();
    bounded("the PostgreSQL crash test", crash_and_recover(&database, dir.path())).await;
}

// ---------------------------------------------------------------------------
// Races: many clients on the same pairs, checked round by round.

const RACE_TYPES: usize = 3;
const RACE_WORKERS: usize = 4;
const RACE_ROUNDS: usize = 4;
const RACE_CLIENTS: usize = 16;
const RACE_OPS: usize = 12;

/// What one racing request did to its pair.
#[derive(Debug, Clone)]
enum Effect {
    /// A Revoked/never-held → Granted transition (legacy AssignQualification).
    Assigned,
    /// A Granted → Revoked transition with this reason.
    Revoked(String),
    /// No state change (a read, a score update, or a refused write).
    Nothing,
}

/// A small deterministic generator, so a failing run can be replayed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self, below: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % below as u64).unwrap()
    }
}

const STATE_ERRORS: [&str; 2] =
    ["AWS.MechanicalTurk.InvalidQualificationState", "AWS.MechanicalTurk.QualificationDoesNotExist"];

/// One racing request: returns its effect, or a description of an answer no
/// client should ever get.
async fn race_op(ep: &Endpoint, kind: usize, type_id: &str, worker: &str, tag: &str) -> Result<Effect, String> {
    let legacy = |r: Reply, allowed: &[&str], success: Effect| -> Result<Effect, String> {
        if r.is_fault() || r.status != 200 {
            return Err(format!("fault: {} {}", r.status, r.body));
        }
        if r.legacy_ok() {
            return Ok(success);
        }
        match r.legacy_code() {
            Some(code) if allowed.contains(&code.as_str()) => Ok(Effect::Nothing),
            _ => Err(format!("unexpected legacy answer: {}", r.body)),
        }
    };
    let json = |r: Reply, allowed: &[&str], success: Effect| -> Result<Effect, String> {
        if r.is_fault() {
            return Err(format!("fault: {} {}", r.status, r.body));
        }
        if r.status == 200 {
            return Ok(success);
        }
        match r.json_code() {
            Some(code) if r.status == 400 && allowed.contains(&code.as_str()) => Ok(Effect::Nothing),
            _ => Err(format!("unexpected JSON answer: {} {}", r.status, r.body)),
        }
    };
    let transport = |e: reqwest::Error| format!("no answer: {e}");
    let reason = format!("race {tag} <&>");
    match kind {
        0 | 1 => {
            let value = tag.len().to_string();
            let r = ep
                .legacy(
                    "AssignQualification",
                    &[("QualificationTypeId", type_id), ("WorkerId", worker), ("IntegerValue", &value)],
                )
                .await
                .map_err(transport)?;
            legacy(r, &["AWS.MechanicalTurk.QualificationAlreadyExists"], Effect::Assigned)
        }
        2 => {
            let r = ep
                .legacy(
                    "RevokeQualification",
                    &[("QualificationTypeId", type_id), ("SubjectId", worker), ("Reason", &reason)],
                )
                .await
                .map_err(transport)?;
            legacy(r, &STATE_ERRORS, Effect::Revoked(reason))
        }
        3 => {
            let body = json!({"QualificationTypeId": type_id, "WorkerId": worker, "Reason": reason});
            let r = ep.json("DisassociateQualificationFromWorker", &body).await.map_err(transport)?;
            json(r, &STATE_ERRORS, Effect::Revoked(reason))
        }
        4 => {
            let r = ep
                .legacy(
                    "UpdateQualificationScore",
                    &[("QualificationTypeId", type_id), ("SubjectId", worker), ("IntegerValue", "77")],
                )
                .await
                .map_err(transport)?;
            legacy(r, &STATE_ERRORS, Effect::Nothing)
        }
        5 => {
            let r = ep
                .legacy("GetQualificationScore", &[("QualificationTypeId", type_id), ("SubjectId", worker)])
                .await
                .map_err(transport)?;
            legacy(r, &STATE_ERRORS, Effect::Nothing)
        }
        _ => {
            let body = json!({"QualificationTypeId": type_id, "WorkerId": worker});
            let r = ep.json("GetQualificationScore", &body).await.map_err(transport)?;
            json(r, &STATE_ERRORS, Effect::Nothing)
        }
    }
}

/// A pair's state as GetQualificationScore reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    Never,
    Granted,
    Revoked,
}

async fn held(ep: &Endpoint, type_id: &str, worker: &str) -> Held {
    let r =
        ep.legacy("GetQualificationScore", &[("QualificationTypeId", type_id), ("SubjectId", worker)]).await.unwrap();
    if r.legacy_ok() {
        return Held::Granted;
    }
    match r.legacy_code().as_deref() {
        Some("AWS.MechanicalTurk.InvalidQualificationState") => Held::Revoked,
        Some("AWS.MechanicalTurk.QualificationDoesNotExist") => Held::Never,
        _ => panic!("unexpected score answer: {}", r.body),
    }
}

/// The race scenario over one or more endpoints sharing a store. Clients are
/// spread over the endpoints; reads after each round alternate between them.
///
/// Legacy AssignQualification and both revokes are compare-and-set
/// transitions, so in any serial order their successes on one pair alternate.
/// After each round, for each pair: with `a` successful assigns and `r`
/// successful revokes, a pair that started Granted must have `r` = `a` or
/// `a + 1` and is Revoked exactly when `r` = `a + 1`; one that did not must
/// have `a` = `r` or `r + 1` and is Granted exactly when `a` = `r + 1`. A
/// Revoked pair's reason is one of the reasons whose revoke succeeded last
/// round (or the earlier one if none did). At the end, every successful
/// revoke left exactly its own notice and every successful assign its own,
/// each pair has exactly one row, and a final sequential operation per pair
/// is what every endpoint reads at once.
#[allow(clippy::too_many_lines, reason = "the rounds, the final step and the accounting read best in one place")]
async fn race_storm(endpoints: &[Endpoint]) {
    let first = &endpoints[0];
    let mut types = Vec::new();
    for t in 0..RACE_TYPES {
        types.push(first.create_type(&format!("race type {t}")).await);
    }
    let pairs: Vec<(String, String)> =
        types.iter().flat_map(|t| (0..RACE_WORKERS).map(move |w| (t.clone(), format!("ARACE{w}")))).collect();
    let pairs = Arc::new(pairs);
    let mut state = vec![Held::Never; pairs.len()];
    let mut reasons: Vec<Option<String>> = vec![None; pairs.len()];
    let mut assigns_total = vec![0usize; pairs.len()];
    let mut revoke_texts: Vec<Vec<String>> = vec![Vec::new(); pairs.len()];

    for round in 0..RACE_ROUNDS {
        let tasks: Vec<_> = (0..RACE_CLIENTS)
            .map(|c| {
                let ep = endpoints[c % endpoints.len()].clone();
                let pairs = pairs.clone();
                tokio::spawn(async move {
                    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15 ^ ((round * 1000 + c) as u64 + 1));
                    let mut out = Vec::new();
                    for i in 0..RACE_OPS {
                        let p = rng.next(pairs.len());
                        let kind = rng.next(7);
                        let tag = format!("{round}.{c}.{i}");
                        out.push((p, race_op(&ep, kind, &pairs[p].0, &pairs[p].1, &tag).await));
                    }
                    out
                })
            })
            .collect();
        let mut effects: Vec<Vec<Effect>> = vec![Vec::new(); pairs.len()];
        let mut problems = Vec::new();
        for t in tasks {
            for (p, result) in t.await.unwrap() {
                match result {
                    Ok(e) => effects[p].push(e),
                    Err(e) => problems.push(e),
                }
            }
        }
        assert!(problems.is_empty(), "round {round}: {} bad answers:\n{}", problems.len(), problems.join("\n"));

        for (p, (type_id, worker)) in pairs.iter().enumerate() {
            let a = effects[p].iter().filter(|e| matches!(e, Effect::Assigned)).count();
            let won: Vec<String> = effects[p]
                .iter()
                .filter_map(|e| if let Effect::Revoked(r) = e { Some(r.clone()) } else { None })
                .collect();
            let r = won.len();
            let expected = if state[p] == Held::Granted {
                assert!(r == a || r == a + 1, "round {round}, pair {p}: from Granted, {a} assigns and {r} revokes won");
                if r == a {
                    Held::Granted
                } else {
                    Held::Revoked
                }
            } else {
                assert!(
                    a == r || a == r + 1,
                    "round {round}, pair {p}: from {:?}, {a} assigns and {r} revokes won",
                    state[p]
                );
                if a == r + 1 {
                    Held::Granted
                } else if a + r == 0 {
                    state[p]
                } else {
                    Held::Revoked
                }
            };
            let reader = &endpoints[(p + round) % endpoints.len()];
            let actual = held(reader, type_id, worker).await;
            assert_eq!(actual, expected, "round {round}, pair {p} ({type_id}, {worker}): {a} assigns, {r} revokes won");
            if actual == Held::Revoked {
                let quals =
                    reader.control("GET", &format!("/workers/{worker}/qualifications"), None).await.unwrap().json();
                let row = quals["Qualifications"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|q| q["QualificationTypeId"] == type_id.as_str())
                    .cloned()
                    .unwrap();
                let reason = row["RevokeReason"].as_str().map(str::to_owned);
                if r > 0 {
                    assert!(
                        reason.as_ref().is_some_and(|x| won.contains(x)),
                        "round {round}, pair {p}: reason {reason:?} not among {won:?}"
                    );
                } else {
                    assert_eq!(reason, reasons[p], "round {round}, pair {p}: the reason changed without a revoke");
                }
                reasons[p] = reason;
            }
            state[p] = actual;
            assigns_total[p] += a;
            revoke_texts[p].extend(won);
        }
    }
    eprintln!(
        "races over {} endpoint(s): {} requests, {} assigns and {} revokes won, the rest refused or read",
        endpoints.len(),
        RACE_ROUNDS * RACE_CLIENTS * RACE_OPS,
        assigns_total.iter().sum::<usize>(),
        revoke_texts.iter().map(Vec::len).sum::<usize>()
    );

    // A final sequential operation per pair, through one endpoint, is what
    // every endpoint reads at once.
    for (p, (type_id, worker)) in pairs.iter().enumerate() {
        let writer = &endpoints[p % endpoints.len()];
        let value = 1000 + i64::try_from(p).unwrap();
        let r = writer
            .json(
                "AssociateQualificationWithWorker",
                &json!({"QualificationTypeId": type_id, "WorkerId": worker, "IntegerValue": value}),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.body);
        assigns_total[p] += 1;
        for reader in endpoints {
            let score = reader
                .legacy("GetQualificationScore", &[("QualificationTypeId", type_id), ("SubjectId", worker)])
                .await
                .unwrap();
            assert_eq!(xml_text(&score.body, "IntegerValue"), Some(value.to_string()), "{}", score.body);
        }
        let reason = format!("final revoke of pair {p}");
        let r = writer
            .legacy(
                "RevokeQualification",
                &[("QualificationTypeId", type_id), ("SubjectId", worker), ("Reason", &reason)],
            )
            .await
            .unwrap();
        assert!(r.legacy_ok(), "{}", r.body);
        revoke_texts[p].push(reason.clone());
        for reader in endpoints {
            assert_eq!(held(reader, type_id, worker).await, Held::Revoked, "pair {p} read through {}", reader.base);
            let quals = reader.control("GET", &format!("/workers/{worker}/qualifications"), None).await.unwrap().json();
            assert!(
                quals["Qualifications"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|q| q["QualificationTypeId"] == type_id.as_str() && q["RevokeReason"] == reason.as_str()),
                "pair {p}: {quals}"
            );
        }
    }

    // Exactly one row per pair.
    for type_id in &types {
        let mut rows: BTreeMap<String, usize> = BTreeMap::new();
        for status in ["Granted", "Revoked"] {
            let r = first
                .legacy(
                    "GetQualificationsForQualificationType",
                    &[("QualificationTypeId", type_id), ("Status", status), ("PageSize", "100")],
                )
                .await
                .unwrap();
            for chunk in r.body.split("<SubjectId>").skip(1) {
                let worker = chunk.split("</SubjectId>").next().unwrap().to_owned();
                *rows.entry(worker).or_default() += 1;
            }
        }
        let expected: BTreeMap<String, usize> = (0..RACE_WORKERS).map(|w| (format!("ARACE{w}"), 1)).collect();
        assert_eq!(rows, expected, "qualification rows of type {type_id}");
    }

    // Every successful write left exactly its own notice, and no refused one left any.
    let mut notes_by_worker: HashMap<String, Vec<Value>> = HashMap::new();
    for w in 0..RACE_WORKERS {
        let worker = format!("ARACE{w}");
        let notes = first.control("GET", &format!("/workers/{worker}/notifications"), None).await.unwrap().json();
        notes_by_worker.insert(worker, notes["Notifications"].as_array().cloned().unwrap());
    }
    for (p, (type_id, worker)) in pairs.iter().enumerate() {
        let notes = &notes_by_worker[worker];
        let of = |kind: &str| -> Vec<String> {
            notes
                .iter()
                .filter(|n| n["Kind"] == kind && n["QualificationTypeId"] == type_id.as_str())
                .map(|n| n["Text"].as_str().unwrap_or_default().to_owned())
                .collect()
        };
        assert_eq!(of("QualificationAssigned").len(), assigns_total[p], "assignment notices of pair {p}");
        let mut got = of("QualificationRevoked");
        let mut want = revoke_texts[p].clone();
        got.sort();
        want.sort();
        assert_eq!(got, want, "revocation notices of pair {p}");
    }
}

async fn race_on(backend: Backend) {
    let app = TestApp::spawn(&backend).await;
    bounded("the race test", race_storm(&[Endpoint::for_app(&app)])).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_assigns_and_revokes_on_the_same_pairs_stay_consistent_on_sqlite() {
    race_on(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_assigns_and_revokes_on_the_same_pairs_stay_consistent_on_postgres() {
    let Some(db) = postgres_database().await else { return };
    race_on(Backend::Postgres(db.url.clone())).await;
}

/// Found while designing the race checks: granting a revoked qualification
/// again keeps its old RevokeTime and RevokeReason, so the worker's view shows a
/// Granted qualification with a revocation.
#[tokio::test]
async fn a_regranted_qualification_carries_no_old_revocation() {
    let app = TestApp::spawn(&Backend::Sqlite).await;
    let type_id = app.create_type("regrant", &[]).await;
    let worker = "AREGRANTED1";
    app.call("AssignQualification", &[("QualificationTypeId", &type_id), ("WorkerId", worker)]).await.ok();
    app.call("RevokeQualification", &[("QualificationTypeId", &type_id), ("SubjectId", worker), ("Reason", "bye")])
        .await
        .ok();
    app.call("AssignQualification", &[("QualificationTypeId", &type_id), ("WorkerId", worker)]).await.ok();
    let quals = app.control("GET", &format!("/workers/{worker}/qualifications"), None).await.json();
    let q = &quals["Qualifications"][0];
    assert_eq!(q["Status"], "Granted");
    assert!(
        q.get("RevokeTime").is_none() && q.get("RevokeReason").is_none(),
        "a granted qualification shows a revocation: {q}"
    );
}

// ---------------------------------------------------------------------------
// Two processes, one PostgreSQL database.

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_postgres_database_behave_as_one() {
    let Some(database) = postgres_database().await else { return };
    let dir = tempfile::tempdir().unwrap();
    bounded("the two-instance test", async {
        let a = Server::start(&database, dir.path(), "instance-a").await;
        let b = Server::start(&database, dir.path(), "instance-b").await;
        race_storm(&[a.endpoint.clone(), b.endpoint.clone()]).await;
        // Writes through one and reads through the other, back and forth, with no pause.
        let type_id = a.endpoint.create_type("seen at once").await;
        for i in 0..20 {
            let (writer, reader) = if i % 2 == 0 { (&a.endpoint, &b.endpoint) } else { (&b.endpoint, &a.endpoint) };
            let worker = format!("AONCE{i}");
            let r =
                writer.legacy("AssignQualification", &[("QualificationTypeId", &type_id), ("WorkerId", &worker)]).await;
            assert!(r.unwrap().legacy_ok());
            assert_eq!(held(reader, &type_id, &worker).await, Held::Granted, "grant {i}");
            let r = writer
                .legacy(
                    "RevokeQualification",
                    &[("QualificationTypeId", &type_id), ("SubjectId", &worker), ("Reason", "gone")],
                )
                .await;
            assert!(r.unwrap().legacy_ok());
            assert_eq!(held(reader, &type_id, &worker).await, Held::Revoked, "revoke {i}");
            let r = reader
                .json(
                    "ListWorkersWithQualificationType",
                    &json!({"QualificationTypeId": type_id, "Status": "Revoked", "MaxResults": 100}),
                )
                .await
                .unwrap();
            assert!(r.body.contains(&worker), "revoke {i} not listed through the other instance: {}", r.body);
        }
        drop((a, b));
    })
    .await;
}

/// The clock and the types are kept in memory on PostgreSQL too, and dropped
/// when another instance changes them (LISTEN/NOTIFY): a change through one
/// instance must hold through the other on the very next call.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_postgres_database_see_clock_and_type_changes_at_once() {
    let Some(database) = postgres_database().await else { return };
    let dir = tempfile::tempdir().unwrap();
    bounded("the two-instance cache test", async {
        let a = Server::start(&database, dir.path(), "cache-a").await;
        let b = Server::start(&database, dir.path(), "cache-b").await;
        let type_id = a.endpoint.create_type("cached on both").await;
        for i in 0..20_u32 {
            let (writer, reader) = if i % 2 == 0 { (&a.endpoint, &b.endpoint) } else { (&b.endpoint, &a.endpoint) };
            // Both have the clock and the type in memory now.
            for (k, ep) in [writer, reader].into_iter().enumerate() {
                let warm = format!("AWARM{i}X{k}");
                let r =
                    ep.legacy("AssignQualification", &[("QualificationTypeId", &type_id), ("WorkerId", &warm)]).await;
                assert!(r.unwrap().legacy_ok(), "warm-up {i}/{k}");
            }
            // The clock, moved a day through one, is a day later through the other.
            let moved = writer.control("POST", "/clock", Some(&json!({"AdvanceSeconds": 86_400}))).await.unwrap();
            let offset = moved.json()["OffsetSeconds"].as_i64().expect("an offset");
            let worker = format!("ACLOCK{i}");
            let r =
                reader.legacy("AssignQualification", &[("QualificationTypeId", &type_id), ("WorkerId", &worker)]).await;
            assert!(r.unwrap().legacy_ok(), "assign {i}");
            let r = reader
                .json("GetQualificationScore", &json!({"QualificationTypeId": type_id, "WorkerId": worker}))
                .await
                .unwrap();
            // GrantTime is seconds with milliseconds; compare whole milliseconds.
            let granted = r.json()["Qualification"]["GrantTime"].to_string();
            let (secs, millis) = granted.split_once('.').unwrap_or((&granted, "0"));
            let granted_ms: i64 = secs.parse::<i64>().unwrap() * 1000 + format!("{millis:0<3}")[..3].parse::<i64>().unwrap();
            let real_ms = mturk_local::domain::clock::Clock::now(&mturk_local::domain::clock::SystemClock).millis();
            assert!(
                granted_ms > real_ms + offset * 1000 - 60_000,
                "round {i}: granted at {granted} through the other instance, the clock is {offset} s ahead of {real_ms} ms"
            );
            // The type, changed through one, is the changed type through the other.
            for (status, description) in
                [("Inactive", format!("off in round {i}")), ("Active", format!("on in round {i}"))]
            {
                let r = writer
                    .legacy(
                        "UpdateQualificationType",
                        &[
                            ("QualificationTypeId", &type_id),
                            ("QualificationTypeStatus", status),
                            ("Description", &description),
                        ],
                    )
                    .await;
                assert!(r.unwrap().legacy_ok(), "update {i} to {status}");
                let r = reader.json("GetQualificationType", &json!({"QualificationTypeId": type_id})).await.unwrap();
                let seen = &r.json()["QualificationType"];
                assert_eq!(seen["QualificationTypeStatus"], status, "round {i}, through the other instance: {seen}");
                assert_eq!(seen["Description"], description.as_str(), "round {i}, through the other instance");
            }
        }
        drop((a, b));
    })
    .await;
}
