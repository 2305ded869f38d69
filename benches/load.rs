//! The load generator of issue 6: `cargo bench --bench load -- [options]`.
//!
//! It starts the release binary (build it first with `cargo build --release`)
//! on a free loopback port with the benchmark-only `/_bench/canned` route on,
//! once on a SQLite file in a temporary directory and once on a fresh
//! PostgreSQL database (created for the run and dropped after it). For each
//! connection count it drives, over that many keep-alive HTTP/1.1
//! connections in closed loops (one request in flight per connection):
//!
//! * **limit**: `GET /_bench/canned`, a fixed envelope with no auth and no storage;
//! * **reads**: signed legacy `GetQualificationScore` of seeded workers;
//! * **writes**: signed `AssignQualification` / `RevokeQualification` cycles,
//!   each connection on workers of its own;
//! * **creates** (only when asked for): signed legacy `CreateHIT`s of one
//!   assignment each;
//!
//! * **work**: simulated workers accept and submit through the control plane
//!   (`POST /_local/workers/{id}/assignments`, `POST /_local/assignments/{id}/submit`),
//!   each connection on a HIT of its own;
//! * **work-notified**: the same on a HIT type whose notification setting
//!   sends AssignmentAccepted and AssignmentSubmitted to an SQS queue URL served by
//!   a sink in this process (answering 200, as a queue server would), so
//!   the dispatcher delivers every event while the work goes on (issue 12);
//!
//! then **growth**: the writes again with 10 thousand and 1 million
//! qualifications stored, seeded in bulk with SQL while the server is down.
//! With `--hit-growth`, **creates** again with that many HITs stored
//! (issue 16), seeded in bulk the same way. On SQLite it also reads the WAL file's size as each write cell ends and
//! while the server then sits idle (issue 16: the WAL must shrink back).
//! On PostgreSQL it then runs `pgbench` against the same server, with the same
//! client counts, on a table as large as the cells' qualifications (issue 16;
//! `load/pgbench.rs`), and prints each cell as a share of it.
//! Every answer must be HTTP 200 with `<IsValid>True</IsValid>` and no
//! `<Errors>`; anything else is counted as failed and the run exits non-zero.
//! It prints a Markdown table (see BENCHMARKS.md). All traffic goes to 127.0.0.1,
//! and every phase is bounded in time.

#![allow(clippy::cast_precision_loss, reason = "counts and durations shown with a few significant digits")]
#![allow(clippy::cast_possible_truncation, reason = "latencies in microseconds fit u64 by far")]
#![allow(clippy::cast_sign_loss, reason = "percentile indexes and rates are non-negative")]

use std::fmt::Write as _;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use axum::body::Bytes;
use clap::{Parser, ValueEnum};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sqlx::Connection as _;
use tokio::net::TcpStream;

#[path = "load/pgbench.rs"]
mod pgbench;

use mturk_local::auth::legacy::{default_string_to_sign, sign, SERVICE};
use mturk_local::domain::clock::{Clock as _, SystemClock};

/// The development requester of `config/default.toml`.
const ACCESS_KEY: &str = "AKIAMTURKLOCALDEV000";
/// Its (public) secret.
const SECRET: &str = "mturk-local-dev-secret-do-not-use-in-production";
/// Workers holding the read workload's qualification.
const READ_WORKERS: usize = 256;
/// Workers each connection cycles through in the write workload.
const WRITE_WORKERS_PER_CONNECTION: usize = 64;
/// No single request may take longer than this.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// RFC 3986 unreserved characters stay as they are in query values.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Load generator for mturk-local (issue 6). Build the server first: `cargo build --release`.
#[derive(Debug, Parser)]
#[command(name = "load")]
struct Options {
    /// The emulator binary to start.
    #[arg(long, default_value = "target/release/mturk-local")]
    server: PathBuf,
    /// A PostgreSQL URL whose user may create databases; the run makes a fresh one beside it and drops it after.
    #[arg(long, env = "MTURK_LOCAL_BENCH_POSTGRES_URL", default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    database: String,
    /// Backends to measure.
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    backends: Vec<Backend>,
    /// Concurrent connections, one cell each.
    #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
    connections: Vec<usize>,
    /// Workloads to measure (the limit is always measured: every ratio needs it).
    #[arg(long, value_delimiter = ',', default_value = "reads,writes")]
    workloads: Vec<Workload>,
    /// Measured seconds per cell.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Unmeasured warm-up seconds before each cell.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Qualifications stored before the growth cells (cumulative targets; 0 or an empty list skips growth).
    #[arg(long, value_delimiter = ',', default_value = "10000,1000000")]
    growth: Vec<u64>,
    /// Connections of the growth cells.
    #[arg(long, default_value_t = 16)]
    growth_connections: usize,
    /// HITs stored before the CreateHIT growth cells (cumulative targets; empty: none).
    #[arg(long, value_delimiter = ',')]
    hit_growth: Vec<u64>,
    /// Worker threads of the load generator's runtime (it shares the machine with the server).
    #[arg(long, default_value_t = 1)]
    client_threads: usize,
    /// Let AssignQualification send its default worker notification (one more row per assign).
    #[arg(long)]
    notify: bool,
    /// Where the server's log goes (default: a file in the run's temporary directory, removed after).
    #[arg(long)]
    server_log: Option<PathBuf>,
    /// Skip the pgbench yardstick of the PostgreSQL cells (it needs `pgbench` on the PATH).
    #[arg(long)]
    no_pgbench: bool,
    /// Threads of pgbench (`--jobs`).
    #[arg(long, default_value_t = 2)]
    pgbench_jobs: usize,
    /// Runs of the whole measurement; with more than one, the medians are printed after the runs.
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Workload {
    Limit,
    Reads,
    Writes,
    Creates,
    Work,
    WorkNotified,
}

/// What one cell measured.
#[derive(Debug, Clone)]
struct CellResult {
    backend: Backend,
    label: String,
    workload: Workload,
    connections: usize,
    /// Qualifications seeded before the cell (growth cells); 0 otherwise.
    stored: u64,
    ok: u64,
    failed: u64,
    seconds: f64,
    p50_us: u64,
    p99_us: u64,
    peak_rss_kib: Option<u64>,
    server_cpu: Option<f64>,
    client_cpu: Option<f64>,
    first_failure: Option<String>,
}

impl CellResult {
    fn rate(&self) -> f64 {
        self.ok as f64 / self.seconds
    }
}

fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.client_threads.max(1))
        .enable_all()
        .build()?;
    runtime.block_on(run(options))
}

async fn run(options: Options) -> anyhow::Result<()> {
    if !options.server.is_file() {
        bail!("no server binary at {} (run `cargo build --release` first, or pass --server)", options.server.display());
    }
    warn_if_stale(&options.server);
    let repeat = options.repeat.max(1);
    let mut runs = Vec::new();
    for run in 1..=repeat {
        if repeat > 1 {
            eprintln!("run {run} of {repeat}");
        }
        let measured = measure_run(&options).await?;
        if repeat > 1 {
            println!("Run {run} of {repeat}:\n");
        }
        println!("{}", table(&measured.results));
        println!("{}", pg_table(&measured.results, &measured.pgbench));
        println!("{}", wal_table(&measured.wal));
        println!("{}", verdict(&measured.results, &measured.pgbench));
        runs.push(measured);
    }
    if repeat > 1 {
        println!("{}", medians(&runs));
    }
    let mut failed = 0;
    for r in runs.iter().flat_map(|m| &m.results).filter(|r| r.failed > 0) {
        failed += r.failed;
        eprintln!(
            "{} {} x{}: {} failed; first: {}",
            r.backend.name(),
            r.label,
            r.connections,
            r.failed,
            r.first_failure.as_deref().unwrap_or("?")
        );
    }
    if failed > 0 {
        bail!("{failed} requests were not answered with success");
    }
    Ok(())
}

/// What one run of every backend measured.
struct Measured {
    results: Vec<CellResult>,
    wal: Vec<WalSample>,
    pgbench: Vec<pgbench::Measured>,
}

async fn measure_run(options: &Options) -> anyhow::Result<Measured> {
    let mut m = Measured { results: Vec::new(), wal: Vec::new(), pgbench: Vec::new() };
    for &backend in &options.backends {
        let dir = tempfile::tempdir()?;
        let log = options.server_log.clone().unwrap_or_else(|| dir.path().join("server.log"));
        let outcome = match backend {
            Backend::Sqlite => {
                let url = format!("sqlite:{}", dir.path().join("bench.db").display());
                let wal_file = Some(dir.path().join("bench.db-wal"));
                measure_backend(options, backend, &url, &log, wal_file, &mut m).await
            }
            Backend::Postgres => {
                let db = PgDatabase::create(&options.database).await?;
                let outcome = measure_backend(options, backend, &db.url, &log, None, &mut m).await;
                db.drop_it().await;
                outcome
            }
        };
        if let Err(err) = outcome {
            if let Ok(text) = std::fs::read_to_string(&log) {
                let tail: Vec<&str> = text.lines().rev().take(20).collect();
                eprintln!("last server log lines:\n{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
            }
            return Err(err.context(format!("{} run failed", backend.name())));
        }
    }
    Ok(m)
}

/// Warns when a source file is newer than the binary: the numbers would describe old code.
fn warn_if_stale(binary: &Path) {
    let Ok(built) = std::fs::metadata(binary).and_then(|m| m.modified()) else { return };
    let mut stack = vec![PathBuf::from("src"), PathBuf::from("migrations"), PathBuf::from("config")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if entry.metadata().and_then(|m| m.modified()).is_ok_and(|m| m > built) {
                eprintln!(
                    "warning: {} is newer than {}; run `cargo build --release`",
                    path.display(),
                    binary.display()
                );
                return;
            }
        }
    }
}

async fn measure_backend(
    options: &Options,
    backend: Backend,
    url: &str,
    log: &Path,
    wal_file: Option<PathBuf>,
    m: &mut Measured,
) -> anyhow::Result<()> {
    let Measured { results, wal, pgbench: yardstick } = m;
    let mut server = Server::start(&options.server, url, log).await?;
    eprintln!("{}: server pid {} on {}", backend.name(), server.pid, server.addr);
    let type_id = create_type(server.addr).await?;
    seed_read_workers(server.addr, &type_id).await?;
    let wants_work = options.workloads.iter().any(|w| matches!(w, Workload::Work | Workload::WorkNotified));
    let sink = if wants_work { start_sink().await? } else { String::new() };
    let ctx = Arc::new(LoadContext { type_id: type_id.clone(), notify: options.notify, sink });
    let mut cell_number = 0;
    for &connections in &options.connections {
        let mut workloads = vec![Workload::Limit];
        workloads.extend(options.workloads.iter().copied().filter(|w| *w != Workload::Limit));
        for workload in workloads {
            cell_number += 1;
            let label = workload_label(workload).to_owned();
            let spec = CellSpec { backend, label, workload, connections, stored: 0, cell_number };
            let result = run_cell(options, &server, &ctx, spec).await?;
            report_progress(&result);
            if let (Workload::Writes, Some(file)) = (workload, &wal_file) {
                wal.push(WalSample::after_cell(file, connections).await);
            }
            results.push(result);
        }
    }
    // pgbench's table: as many rows as the cells left (the growth cells add more).
    let pgbench_rows = if backend == Backend::Postgres && !options.no_pgbench {
        Some(pgbench::qualifications(url).await?)
    } else {
        None
    };
    // The growth cells: qualifications seeded for the writes, HITs for the creates.
    let template = if options.hit_growth.is_empty() { None } else { Some(create_hit(server.addr).await?) };
    for (workload, rows, targets) in
        [(Workload::Writes, "qualifications", &options.growth), (Workload::Creates, "HITs", &options.hit_growth)]
    {
        let mut stored = 0;
        for &target in targets.iter().filter(|&&n| n > 0) {
            if target <= stored {
                continue;
            }
            server.stop()?;
            let started = Instant::now();
            match (workload, template.as_deref()) {
                (Workload::Creates, Some(hit)) => seed_hits(backend, url, hit, stored, target).await?,
                _ => seed_qualifications(backend, url, &type_id, stored, target).await?,
            }
            let seconds = started.elapsed().as_secs_f64();
            eprintln!("{}: seeded {} {rows} in {seconds:.1} s", backend.name(), target - stored);
            stored = target;
            server = Server::start(&options.server, url, log).await?;
            cell_number += 1;
            let spec = CellSpec {
                backend,
                label: format!("{}, {} {rows} stored", workload_label(workload), human_count(stored)),
                workload,
                connections: options.growth_connections,
                stored,
                cell_number,
            };
            let result = run_cell(options, &server, &ctx, spec).await?;
            report_progress(&result);
            results.push(result);
        }
    }
    server.stop()?;
    // pgbench has the server to itself: the emulator's connections are closed.
    if let Some(rows) = pgbench_rows {
        measure_pgbench(options, url, rows, yardstick).await?;
    }
    Ok(())
}

/// pgbench's select and update scripts at every connection count of the
/// cells, on a table as large as the benchmark's qualifications (issue 16).
async fn measure_pgbench(
    options: &Options,
    url: &str,
    rows: u64,
    out: &mut Vec<pgbench::Measured>,
) -> anyhow::Result<()> {
    pgbench::prepare(url, rows).await?;
    eprintln!("PostgreSQL: pgbench on a table of {rows} rows, {} jobs", options.pgbench_jobs);
    let dir = tempfile::tempdir()?;
    for &clients in &options.connections {
        for (script, workload) in
            [(pgbench::Script::Select, Workload::Reads), (pgbench::Script::Update, Workload::Writes)]
        {
            if !options.workloads.contains(&workload) {
                continue;
            }
            let (url, dir) = (url.to_owned(), dir.path().to_owned());
            let (jobs, warmup, duration) = (options.pgbench_jobs, options.warmup, options.duration);
            let measured = tokio::task::spawn_blocking(move || {
                pgbench::run(&url, script, rows, clients, jobs, warmup, duration, &dir)
            })
            .await??;
            eprintln!(
                "{:>10} {:<22} x{:<3} {:>8.0} tps    p50 {:>7.3} ms  p99 {:>7.3} ms",
                "pgbench",
                script.name(),
                clients,
                measured.tps,
                ms(measured.p50_us),
                ms(measured.p99_us)
            );
            out.push(measured);
        }
    }
    Ok(())
}

/// The SQLite WAL file's size when a write cell ends and at moments of
/// idleness after it, in bytes (`None`: no such file, as after a truncation).
#[derive(Debug, Clone)]
struct WalSample {
    connections: usize,
    sizes: Vec<(f64, Option<u64>)>,
}

/// Seconds after a write cell at which its WAL is measured (0: as it ends).
const WAL_SAMPLED_AT: [f64; 4] = [0.0, 1.0, 2.0, 5.0];

impl WalSample {
    async fn after_cell(file: &Path, connections: usize) -> Self {
        let ended = Instant::now();
        let mut sizes = Vec::new();
        for at in WAL_SAMPLED_AT {
            tokio::time::sleep_until((ended + Duration::from_secs_f64(at)).into()).await;
            sizes.push((at, std::fs::metadata(file).ok().map(|m| m.len())));
        }
        Self { connections, sizes }
    }
}

fn wal_table(samples: &[WalSample]) -> String {
    if samples.is_empty() {
        return String::new();
    }
    let mut out =
        String::from("SQLite WAL file, MiB, as each write cell ends and while the server then sits idle:\n\n");
    let heads: Vec<String> = WAL_SAMPLED_AT.iter().map(|at| format!("{at:.0} s idle")).collect();
    let _ = writeln!(out, "| conns | {} |", heads.join(" | "));
    let _ = writeln!(out, "|--:|{}", "--:|".repeat(heads.len()));
    for w in samples {
        let cells: Vec<String> = w
            .sizes
            .iter()
            .map(|(_, size)| size.map_or_else(|| "no file".to_owned(), |b| format!("{:.2}", b as f64 / 1_048_576.0)))
            .collect();
        let _ = writeln!(out, "| {} | {} |", w.connections, cells.join(" | "));
    }
    out
}

fn workload_label(workload: Workload) -> &'static str {
    match workload {
        Workload::Limit => "limit",
        Workload::Reads => "reads",
        Workload::Writes => "writes",
        Workload::Creates => "creates",
        Workload::Work => "work",
        Workload::WorkNotified => "work, SQS notifications",
    }
}

fn human_count(n: u64) -> String {
    if n >= 1_000_000 && n % 1_000_000 == 0 {
        format!("{}M", n / 1_000_000)
    } else if n >= 1000 && n % 1000 == 0 {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

fn report_progress(r: &CellResult) {
    eprintln!(
        "{:>10} {:<22} x{:<3} {:>8.0} req/s  p50 {:>7.3} ms  p99 {:>7.3} ms  failed {}",
        r.backend.name(),
        r.label,
        r.connections,
        r.rate(),
        ms(r.p50_us),
        ms(r.p99_us),
        r.failed
    );
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

// ---------------------------------------------------------------------------
// The server process

/// The emulator, started as a child process on a free loopback port.
struct Server {
    child: Child,
    pid: u32,
    addr: SocketAddr,
}

impl Server {
    async fn start(binary: &Path, database: &str, log: &Path) -> anyhow::Result<Self> {
        // Ask the kernel for a free port, then hand it to the server.
        let addr = StdListener::bind("127.0.0.1:0")?.local_addr()?;
        let log_file = std::fs::OpenOptions::new().create(true).append(true).open(log)?;
        let child = Command::new(binary)
            .env("MTURK_LOCAL_SERVER__CANNED_ROUTE", "true")
            .env("MTURK_LOCAL_SERVER__LISTEN", addr.to_string())
            .env("MTURK_LOCAL_DATABASE__URL", database)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let mut server = Self { pid: child.id(), child, addr };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = server.child.try_wait()? {
                bail!("the server exited during start-up ({status})");
            }
            if let Ok(mut sender) = connect(addr).await {
                if let Ok((200, body)) = get(&mut sender, "/_bench/canned").await {
                    if is_success(&body) {
                        return Ok(server);
                    }
                    bail!("/_bench/canned did not answer the canned envelope; is this build older than the route?");
                }
            }
            if Instant::now() > deadline {
                bail!("the server did not answer on {addr} within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGTERM, then SIGKILL after 10 s.
    fn stop(&mut self) -> anyhow::Result<()> {
        let _ = Command::new("kill").arg("-TERM").arg(self.pid.to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// Resets the peak RSS to the current RSS (Linux ≥ 4.0, `clear_refs` value 5).
    fn reset_peak_rss(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.pid), "5");
    }

    fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// CPU seconds (user + system) a process has used, from `/proc/PID/stat`
/// (clock ticks of 1/100 s, the value of `CLK_TCK` on Linux).
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

// ---------------------------------------------------------------------------
// PostgreSQL and bulk seeding

/// A database made for one run.
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    async fn create(admin_url: &str) -> anyhow::Result<Self> {
        let mut admin = sqlx::PgConnection::connect(admin_url)
            .await
            .with_context(|| format!("cannot connect to PostgreSQL at {admin_url} (--database)"))?;
        let name = format!("mturk_local_bench_{}", std::process::id());
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await?;
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await?;
        let base = admin_url.split('?').next().unwrap_or(admin_url);
        let root = base.rsplit_once('/').map_or(base, |(root, _)| root);
        Ok(Self { admin_url: admin_url.to_owned(), url: format!("{root}/{name}"), name })
    }

    async fn drop_it(self) {
        let dropped = async {
            let mut admin = sqlx::PgConnection::connect(&self.admin_url).await?;
            sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).execute(&mut admin).await?;
            anyhow::Ok(())
        };
        if let Err(err) = dropped.await {
            eprintln!("warning: could not drop the bench database {}: {err:#}", self.name);
        }
    }
}

/// Inserts qualifications number `from + 1 ..= to` of the type, straight into
/// the database (the server is stopped), in one transaction. Columns as in
/// `migrations/*/0001_initial.sql`; the workers (`ASEED…`) never collide with
/// the load's own.
async fn seed_qualifications(backend: Backend, url: &str, type_id: &str, from: u64, to: u64) -> anyhow::Result<()> {
    let (from, to) = (i64::try_from(from)?, i64::try_from(to)?);
    let now = SystemClock.now().millis();
    match backend {
        Backend::Sqlite => {
            let path = url.trim_start_matches("sqlite:");
            let mut db = rusqlite::Connection::open(path)?;
            db.busy_timeout(std::time::Duration::from_secs(10))?;
            let tx = db.transaction()?;
            tx.execute(
                "WITH RECURSIVE seq(n) AS (SELECT ?1 + 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?2) \
                 INSERT INTO qualifications (type_id, worker_id, integer_value, status, grant_time) \
                 SELECT ?3, printf('ASEED%09d', n), n % 100, 'Granted', ?4 FROM seq",
                rusqlite::params![from, to, type_id, now],
            )?;
            tx.commit()?;
        }
        Backend::Postgres => {
            let mut db = sqlx::PgConnection::connect(url).await?;
            let mut tx = db.begin().await?;
            sqlx::query(
                "INSERT INTO qualifications (type_id, worker_id, integer_value, status, grant_time) \
                 SELECT $3, 'ASEED' || lpad(n::text, 9, '0'), n % 100, 'Granted', $4 \
                 FROM generate_series($1 + 1, $2) AS n",
            )
            .bind(from)
            .bind(to)
            .bind(type_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            // What autovacuum would soon do on a database that grew this way.
            sqlx::query("ANALYZE qualifications").execute(&mut db).await?;
            db.close().await?;
        }
    }
    Ok(())
}

/// Inserts HITs number `from + 1 ..= to`, copies of HIT `template` (of the
/// development requester, so they are all in one requester's listings) with
/// ids of their own (`SEED…`), straight into the database (the server is
/// stopped), in one transaction. Columns as in `migrations/*/0002_hits.sql`.
async fn seed_hits(backend: Backend, url: &str, template: &str, from: u64, to: u64) -> anyhow::Result<()> {
    const COLUMNS: &str = "id, hit_type_id, owner, question, max_assignments, expiration, requester_annotation, \
                           creation_time, reviewing, disposed, unique_request_token";
    const COPIED: &str = "hit_type_id, owner, question, max_assignments, expiration, requester_annotation, \
                          creation_time, reviewing, disposed, NULL";
    let (from, to) = (i64::try_from(from)?, i64::try_from(to)?);
    match backend {
        Backend::Sqlite => {
            let path = url.trim_start_matches("sqlite:");
            let mut db = rusqlite::Connection::open(path)?;
            db.busy_timeout(std::time::Duration::from_secs(10))?;
            let tx = db.transaction()?;
            tx.execute(
                &format!(
                    "WITH RECURSIVE seq(n) AS (SELECT ?1 + 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?2) \
                     INSERT INTO hits ({COLUMNS}) SELECT printf('SEED%026d', n), {COPIED} \
                     FROM seq, hits t WHERE t.id = ?3"
                ),
                rusqlite::params![from, to, template],
            )?;
            tx.commit()?;
        }
        Backend::Postgres => {
            let mut db = sqlx::PgConnection::connect(url).await?;
            let mut tx = db.begin().await?;
            sqlx::query(&format!(
                "INSERT INTO hits ({COLUMNS}) SELECT 'SEED' || lpad(n::text, 26, '0'), {COPIED} \
                 FROM generate_series($1 + 1, $2) AS n, hits t WHERE t.id = $3"
            ))
            .bind(from)
            .bind(to)
            .bind(template)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            sqlx::query("ANALYZE hits").execute(&mut db).await?;
            db.close().await?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// HTTP: one hyper connection per simulated client

type Sender = SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr) -> anyhow::Result<Sender> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

async fn get(sender: &mut Sender, path_and_query: &str) -> anyhow::Result<(u16, Bytes)> {
    send(sender, &Request::Get(path_and_query.to_owned())).await
}

/// One request of a closed loop.
enum Request {
    /// A GET of this path and query.
    Get(String),
    /// A JSON POST of this body to this path (the control plane).
    Post(String, String),
}

async fn send(sender: &mut Sender, request: &Request) -> anyhow::Result<(u16, Bytes)> {
    let exchange = async {
        sender.ready().await?;
        let request = match request {
            Request::Get(path) => {
                hyper::Request::get(path.as_str()).header("host", "127.0.0.1").body(Full::new(Bytes::new()))?
            }
            Request::Post(path, body) => hyper::Request::post(path.as_str())
                .header("host", "127.0.0.1")
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(body.clone())))?,
        };
        let response = sender.send_request(request).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        anyhow::Ok((status, body))
    };
    tokio::time::timeout(REQUEST_TIMEOUT, exchange).await.context("request timed out")?
}

fn is_success(body: &[u8]) -> bool {
    contains(body, b"<IsValid>True</IsValid>") && !contains(body, b"<Errors>")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Signs legacy requests with the default scheme, re-signing once a second.
struct Signer {
    second: i64,
    timestamp: String,
    signatures: Vec<(&'static str, String)>,
}

impl Signer {
    fn new() -> Self {
        Self { second: i64::MIN, timestamp: String::new(), signatures: Vec::new() }
    }

    /// The path and query of a signed `operation` with `params`.
    fn url(&mut self, operation: &'static str, params: &[(&str, &str)]) -> String {
        let now = SystemClock.now();
        if now.millis() / 1000 != self.second {
            self.second = now.millis() / 1000;
            self.timestamp = now.to_xml_datetime();
            self.signatures.clear();
        }
        let signature = if let Some((_, s)) = self.signatures.iter().find(|(op, _)| *op == operation) {
            s.clone()
        } else {
            let s = utf8_percent_encode(
                &sign(SECRET.as_bytes(), &default_string_to_sign(operation, &self.timestamp)),
                QUERY_VALUE,
            )
            .to_string();
            self.signatures.push((operation, s.clone()));
            s
        };
        let mut url = format!(
            "/?Service={SERVICE}&AWSAccessKeyId={ACCESS_KEY}&Version=2014-08-15&Operation={operation}\
             &Timestamp={}&Signature={signature}",
            self.timestamp
        );
        for (k, v) in params {
            let _ = write!(url, "&{k}={}", utf8_percent_encode(v, QUERY_VALUE));
        }
        url
    }
}

/// One signed request on a fresh connection, for seeding; fails unless successful.
async fn call(addr: SocketAddr, operation: &'static str, params: &[(&str, &str)]) -> anyhow::Result<String> {
    let mut sender = connect(addr).await?;
    let url = Signer::new().url(operation, params);
    let (status, body) = get(&mut sender, &url).await?;
    let text = String::from_utf8_lossy(&body).into_owned();
    if status != 200 || !is_success(&body) {
        bail!("{operation} failed (HTTP {status}): {text}");
    }
    Ok(text)
}

async fn create_type(addr: SocketAddr) -> anyhow::Result<String> {
    let body = call(
        addr,
        "CreateQualificationType",
        &[
            ("Name", "mturk-local load benchmark"),
            ("Description", "Granted and revoked by benches/load.rs"),
            ("QualificationTypeStatus", "Active"),
        ],
    )
    .await?;
    let start = body.find("<QualificationTypeId>").context("no QualificationTypeId in the answer")? + 21;
    let end = start + body[start..].find('<').context("unterminated QualificationTypeId")?;
    Ok(body[start..end].to_owned())
}

/// The ExternalQuestion of every benchmark HIT.
const QUESTION: &str = "<ExternalQuestion xmlns=\"http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/\
                        2006-07-14/ExternalQuestion.xsd\"><ExternalURL>https://example.org/task</ExternalURL>\
                        <FrameHeight>600</FrameHeight></ExternalQuestion>";

/// The parameters of the benchmark's `CreateHIT`.
const CREATE_HIT: &[(&str, &str)] = &[
    ("Title", "mturk-local load benchmark"),
    ("Description", "Created by benches/load.rs"),
    ("Reward.1.Amount", "0.01"),
    ("Reward.1.CurrencyCode", "USD"),
    ("AssignmentDurationInSeconds", "600"),
    ("LifetimeInSeconds", "86400"),
    ("MaxAssignments", "1"),
    ("Question", QUESTION),
];

/// Creates one HIT (the template of the seeded ones) and returns its id.
async fn create_hit(addr: SocketAddr) -> anyhow::Result<String> {
    element(&call(addr, "CreateHIT", CREATE_HIT).await?, "HITId")
}

/// The answer the work workloads submit.
const WORK_ANSWER: &str = "<QuestionFormAnswers xmlns=\"http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd\"><Answer><QuestionIdentifier>q</QuestionIdentifier><FreeText>done</FreeText></Answer></QuestionFormAnswers>";

/// A HIT type for the work workloads; with `sink`, a notification setting
/// that sends the workers' events to an SQS queue URL on it.
async fn create_hit_type(addr: SocketAddr, title: &str, sink: Option<&str>) -> anyhow::Result<String> {
    let body = call(
        addr,
        "RegisterHITType",
        &[
            ("Title", title),
            ("Description", "Accepted and submitted by benches/load.rs"),
            ("Reward.1.Amount", "0.01"),
            ("Reward.1.CurrencyCode", "USD"),
            ("AssignmentDurationInSeconds", "3600"),
        ],
    )
    .await?;
    let id = element(&body, "HITTypeId")?;
    if let Some(sink) = sink {
        let queue = format!("{sink}/123456789012/mturk-local-bench");
        call(
            addr,
            "SetHITTypeNotification",
            &[
                ("HITTypeId", &id),
                ("Notification.1.Destination", &queue),
                ("Notification.1.Transport", "SQS"),
                ("Notification.1.Version", "2006-05-05"),
                ("Notification.1.EventType.1", "AssignmentAccepted"),
                ("Notification.1.EventType.2", "AssignmentSubmitted"),
                ("Active", "true"),
            ],
        )
        .await?;
    }
    Ok(id)
}

/// A HIT of `hit_type` with room for a whole cell's work.
async fn create_work_hit(addr: SocketAddr, hit_type: &str) -> anyhow::Result<String> {
    let body = call(
        addr,
        "CreateHIT",
        &[
            ("HITTypeId", hit_type),
            ("Question", QUESTION),
            ("LifetimeInSeconds", "86400"),
            ("MaxAssignments", "100000"),
        ],
    )
    .await?;
    element(&body, "HITId")
}

fn element(body: &str, name: &str) -> anyhow::Result<String> {
    let open = format!("<{name}>");
    let start = body.find(&open).with_context(|| format!("no {name} in {body}"))? + open.len();
    let end = start + body[start..].find('<').with_context(|| format!("unterminated {name}"))?;
    Ok(body[start..end].to_owned())
}

/// A stand-in SQS server: answers every request 200 with a body that is both
/// a `SendMessage` and an all-successful `SendMessageBatch` result of the
/// JSON protocol the SDK speaks, so the dispatcher's deliveries succeed.
/// Returns its `http://` base.
async fn start_sink() -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = axum::Router::new().fallback(|| async {
        (
            [(axum::http::header::CONTENT_TYPE, "application/x-amz-json-1.0")],
            r#"{"MessageId": "m", "Successful": [], "Failed": []}"#,
        )
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(base)
}

fn read_worker(n: usize) -> String {
    format!("ABENCHREAD{n:05}")
}

async fn seed_read_workers(addr: SocketAddr, type_id: &str) -> anyhow::Result<()> {
    let mut sender = connect(addr).await?;
    let mut signer = Signer::new();
    for n in 0..READ_WORKERS {
        let worker = read_worker(n);
        let url = signer.url(
            "AssignQualification",
            &[
                ("QualificationTypeId", type_id),
                ("WorkerId", &worker),
                ("IntegerValue", "7"),
                ("SendNotification", "false"),
            ],
        );
        let (status, body) = get(&mut sender, &url).await?;
        if status != 200 || !is_success(&body) {
            bail!("seeding {worker} failed: {}", String::from_utf8_lossy(&body));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Cells

/// What every load task shares.
struct LoadContext {
    type_id: String,
    notify: bool,
    /// The stand-in queue server of the work-notified workload.
    sink: String,
}

struct CellSpec {
    backend: Backend,
    label: String,
    workload: Workload,
    connections: usize,
    stored: u64,
    cell_number: usize,
}

/// What one connection saw in the measured window.
#[derive(Default)]
struct TaskTally {
    latencies_us: Vec<u32>,
    failed: u64,
    first_failure: Option<String>,
}

/// The next request of one connection's closed loop.
struct RequestSource {
    workload: Workload,
    ctx: Arc<LoadContext>,
    signer: Signer,
    workers: Vec<String>,
    step: usize,
    /// The work workloads: this connection's HIT, and the assignment last accepted.
    hit: String,
    assignment: String,
    prefix: String,
}

impl RequestSource {
    fn new(ctx: Arc<LoadContext>, workload: Workload, cell: usize, connection: usize, hit: String) -> Self {
        let workers = match workload {
            Workload::Limit | Workload::Creates | Workload::Work | Workload::WorkNotified => Vec::new(),
            // Spread the connections over the seeded workers.
            Workload::Reads => (0..READ_WORKERS).map(|n| read_worker((n + connection * 7) % READ_WORKERS)).collect(),
            // Workers of this cell and connection only: no two connections touch one pair.
            Workload::Writes => {
                (0..WRITE_WORKERS_PER_CONNECTION).map(|n| format!("ABENCHW{cell:03}C{connection:03}N{n:03}")).collect()
            }
        };
        let prefix = format!("ABENCHK{cell:03}C{connection:03}N");
        Self { workload, ctx, signer: Signer::new(), workers, step: 0, hit, assignment: String::new(), prefix }
    }

    /// Whether an answer is a success, and what the next request needs of it.
    fn observe(&mut self, status: u16, body: &[u8]) -> bool {
        match self.workload {
            Workload::Work | Workload::WorkNotified => {
                if status != 200 {
                    return false;
                }
                if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
                    if let Some(id) = v["AssignmentId"].as_str() {
                        id.clone_into(&mut self.assignment);
                    }
                }
                true
            }
            _ => status == 200 && is_success(body),
        }
    }

    fn next(&mut self) -> Request {
        let step = self.step;
        self.step += 1;
        match self.workload {
            Workload::Work | Workload::WorkNotified => {
                if step % 2 == 0 {
                    // A new worker each time: a worker takes one assignment of a HIT.
                    let worker = format!("{}{:07}", self.prefix, step / 2);
                    Request::Post(
                        format!("/_local/workers/{worker}/assignments"),
                        serde_json::json!({ "HITId": self.hit }).to_string(),
                    )
                } else {
                    Request::Post(
                        format!("/_local/assignments/{}/submit", self.assignment),
                        serde_json::json!({ "Answer": WORK_ANSWER }).to_string(),
                    )
                }
            }
            other => {
                let ctx = Arc::clone(&self.ctx);
                Request::Get(self.next_get(other, step, &ctx.type_id))
            }
        }
    }

    fn next_get(&mut self, workload: Workload, step: usize, type_id: &str) -> String {
        match workload {
            Workload::Limit | Workload::Work | Workload::WorkNotified => "/_bench/canned".to_owned(),
            Workload::Reads => {
                let worker = &self.workers[step % self.workers.len()];
                self.signer.url("GetQualificationScore", &[("QualificationTypeId", type_id), ("SubjectId", worker)])
            }
            Workload::Writes => {
                // Assign, revoke, next worker; a revoked qualification can be assigned again.
                let worker = &self.workers[(step / 2) % self.workers.len()];
                if step % 2 == 0 {
                    let mut params = vec![("QualificationTypeId", type_id), ("WorkerId", worker.as_str())];
                    params.push(("IntegerValue", "1"));
                    if !self.ctx.notify {
                        params.push(("SendNotification", "false"));
                    }
                    self.signer.url("AssignQualification", &params)
                } else {
                    self.signer.url("RevokeQualification", &[("QualificationTypeId", type_id), ("SubjectId", worker)])
                }
            }
            Workload::Creates => self.signer.url("CreateHIT", CREATE_HIT),
        }
    }
}

async fn run_cell(
    options: &Options,
    server: &Server,
    ctx: &Arc<LoadContext>,
    spec: CellSpec,
) -> anyhow::Result<CellResult> {
    // The work workloads start on an emptied store (POST /_local/reset), so that each cell
    // finds the same store whatever ran before it (the assignments of earlier cells would
    // slow every later one), with a HIT per connection, big enough for the whole cell.
    let hit_type = match spec.workload {
        Workload::Work | Workload::WorkNotified => {
            let mut sender = connect(server.addr).await?;
            let (status, body) = send(&mut sender, &Request::Post("/_local/reset".into(), "{}".into())).await?;
            if status != 200 {
                bail!("reset failed (HTTP {status}): {}", String::from_utf8_lossy(&body));
            }
            let sink = (spec.workload == Workload::WorkNotified).then_some(ctx.sink.as_str());
            Some(create_hit_type(server.addr, "work", sink).await?)
        }
        _ => None,
    };
    let mut hits = Vec::with_capacity(spec.connections);
    for _ in 0..spec.connections {
        hits.push(match &hit_type {
            Some(t) => create_work_hit(server.addr, t).await?,
            None => String::new(),
        });
    }
    // Connect everyone before the clock starts.
    let mut senders = Vec::with_capacity(spec.connections);
    for _ in 0..spec.connections {
        senders.push(connect(server.addr).await?);
    }
    server.reset_peak_rss();
    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(options.warmup);
    let until = measure_from + Duration::from_secs_f64(options.duration);
    let mut tasks = Vec::with_capacity(spec.connections);
    for ((connection, sender), hit) in senders.into_iter().enumerate().zip(hits) {
        let source = RequestSource::new(Arc::clone(ctx), spec.workload, spec.cell_number, connection, hit);
        tasks.push(tokio::spawn(drive(server.addr, sender, source, measure_from, until)));
    }
    // CPU use over the measured window, of the server and of this process.
    tokio::time::sleep_until(measure_from.into()).await;
    let server_pid = server.pid.to_string();
    let cpu_before = (cpu_seconds(&server_pid), cpu_seconds("self"));
    tokio::time::sleep_until(until.into()).await;
    let cpu_after = (cpu_seconds(&server_pid), cpu_seconds("self"));
    let peak_rss_kib = server.peak_rss_kib();
    let mut latencies = Vec::new();
    let mut failed = 0;
    let mut first_failure = None;
    for task in tasks {
        let tally = task.await??;
        latencies.extend(tally.latencies_us);
        failed += tally.failed;
        if first_failure.is_none() {
            first_failure = tally.first_failure;
        }
    }
    latencies.sort_unstable();
    let share = |before: Option<f64>, after: Option<f64>| Some((after? - before?) / options.duration);
    Ok(CellResult {
        backend: spec.backend,
        label: spec.label,
        workload: spec.workload,
        connections: spec.connections,
        stored: spec.stored,
        ok: latencies.len() as u64,
        failed,
        seconds: options.duration,
        p50_us: percentile(&latencies, 0.50),
        p99_us: percentile(&latencies, 0.99),
        peak_rss_kib,
        server_cpu: share(cpu_before.0, cpu_after.0),
        client_cpu: share(cpu_before.1, cpu_after.1),
        first_failure,
    })
}

fn percentile(sorted: &[u32], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    // Nearest rank.
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    u64::from(sorted[rank - 1])
}

/// One connection's closed loop: send, wait for the whole answer, check it, repeat.
/// Requests that complete inside `[measure_from, until)` are counted.
async fn drive(
    addr: SocketAddr,
    mut sender: Sender,
    mut source: RequestSource,
    measure_from: Instant,
    until: Instant,
) -> anyhow::Result<TaskTally> {
    let mut tally = TaskTally::default();
    loop {
        let request = source.next();
        let sent = Instant::now();
        if sent >= until {
            return Ok(tally);
        }
        let outcome = send(&mut sender, &request).await;
        let done = Instant::now();
        let counted = done >= measure_from && done < until;
        let failure = match outcome {
            Ok((status, body)) if source.observe(status, &body) => None,
            Ok((status, body)) => Some(format!("HTTP {status}: {}", String::from_utf8_lossy(&body))),
            Err(err) => {
                // The connection is unusable after a transport error: open a new one.
                sender = connect(addr).await?;
                Some(format!("{err:#}"))
            }
        };
        if !counted {
            continue;
        }
        match failure {
            None => tally.latencies_us.push(u32::try_from((done - sent).as_micros()).unwrap_or(u32::MAX)),
            Some(text) => {
                tally.failed += 1;
                tally.first_failure.get_or_insert(text);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Output

fn table(results: &[CellResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| backend | workload | conns | req/s | × limit | p50 ms | × limit | p99 ms | × limit | failed | peak RSS MiB | server CPU cores | server CPU µs/req | load-gen CPU cores |"
    );
    let _ = writeln!(out, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for r in results {
        let limit = results
            .iter()
            .find(|l| l.backend == r.backend && l.workload == Workload::Limit && l.connections == r.connections)
            .or_else(|| {
                // Growth cells may use a connection count with no limit cell: take the nearest.
                results
                    .iter()
                    .filter(|l| l.backend == r.backend && l.workload == Workload::Limit)
                    .min_by_key(|l| l.connections.abs_diff(r.connections))
            });
        let ratio = |x: f64, of: Option<f64>| match of {
            Some(of) if of > 0.0 => format!("{:.2}", x / of),
            _ => "–".to_owned(),
        };
        let cores = |c: Option<f64>| c.map_or_else(|| "–".to_owned(), |c| format!("{c:.2}"));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0} | {} | {:.3} | {} | {:.3} | {} | {} | {} | {} | {} | {} |",
            r.backend.name(),
            r.label,
            r.connections,
            r.rate(),
            ratio(r.rate(), limit.map(CellResult::rate)),
            ms(r.p50_us),
            ratio(r.p50_us as f64, limit.map(|l| l.p50_us as f64)),
            ms(r.p99_us),
            ratio(r.p99_us as f64, limit.map(|l| l.p99_us as f64)),
            r.failed,
            r.peak_rss_kib.map_or_else(|| "–".to_owned(), |k| format!("{:.1}", k as f64 / 1024.0)),
            cores(r.server_cpu),
            r.server_cpu.filter(|_| r.ok > 0).map_or_else(|| "–".to_owned(), |c| format!("{:.0}", c * 1e6 / r.rate())),
            cores(r.client_cpu),
        );
    }
    out
}

/// The pgbench script that is the yardstick of `workload`.
fn yardstick_of(workload: Workload) -> Option<pgbench::Script> {
    match workload {
        Workload::Reads => Some(pgbench::Script::Select),
        Workload::Writes => Some(pgbench::Script::Update),
        _ => None,
    }
}

/// The PostgreSQL cells beside pgbench's figures at the same client count.
fn pg_table(results: &[CellResult], yardstick: &[pgbench::Measured]) -> String {
    if yardstick.is_empty() {
        return String::new();
    }
    let mut out = String::from("PostgreSQL cells as a share of pgbench on the same server, same clients:\n\n");
    let _ = writeln!(
        out,
        "| workload | conns | req/s | pgbench script | pgbench tps | × pgbench | p99 ms | pgbench p99 ms | pgbench p50 ms |"
    );
    let _ = writeln!(out, "|---|--:|--:|---|--:|--:|--:|--:|--:|");
    for (r, p) in pg_pairs(results, yardstick) {
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {} | {:.0} | {:.2} | {:.3} | {:.3} | {:.3} |",
            r.label,
            r.connections,
            r.rate(),
            p.script.name(),
            p.tps,
            r.rate() / p.tps,
            ms(r.p99_us),
            ms(p.p99_us),
            ms(p.p50_us),
        );
    }
    out
}

/// Every PostgreSQL reads or writes cell (none seeded) with its pgbench run.
fn pg_pairs<'a>(
    results: &'a [CellResult],
    yardstick: &'a [pgbench::Measured],
) -> impl Iterator<Item = (&'a CellResult, &'a pgbench::Measured)> {
    results.iter().filter(|r| r.backend == Backend::Postgres && r.stored == 0).filter_map(|r| {
        let script = yardstick_of(r.workload)?;
        yardstick.iter().find(|p| p.script == script && p.clients == r.connections).map(|p| (r, p))
    })
}

/// Issue 16's PostgreSQL targets at the highest client count measured.
fn pg_verdict(results: &[CellResult], yardstick: &[pgbench::Measured]) -> String {
    let mut out = String::new();
    let Some(top) = yardstick.iter().map(|p| p.clients).max() else { return out };
    let _ = writeln!(out, "Targets (issue 16), PostgreSQL at {top} connections:");
    for (r, p) in pg_pairs(results, yardstick).filter(|(r, _)| r.connections == top) {
        let share = if r.workload == Workload::Reads { 0.5 } else { 0.4 };
        let ratio = r.rate() / p.tps;
        let _ = writeln!(
            out,
            "- {}: {ratio:.2} of pgbench's {} rate (target ≥ {share}): {}; p99 {:.3} ms (target < 10 ms): {}",
            r.label,
            p.script.name(),
            if ratio >= share { "met" } else { "NOT met" },
            ms(r.p99_us),
            if r.p99_us < 10_000 { "met" } else { "NOT met" },
        );
    }
    out
}

/// The median of each cell's figures over the runs: rate, its share of the
/// limit (or of pgbench) and p99.
fn medians(runs: &[Measured]) -> String {
    fn median(mut v: Vec<f64>) -> f64 {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            f64::midpoint(v[n / 2 - 1], v[n / 2])
        }
    }
    let mut out = format!("Medians of {} runs (each figure's median on its own):\n\n", runs.len());
    let _ = writeln!(out, "| backend | workload | conns | req/s | × limit | × pgbench | p99 ms |");
    let _ = writeln!(out, "|---|---|--:|--:|--:|--:|--:|");
    let Some(first) = runs.first() else { return out };
    for cell in &first.results {
        let same =
            |r: &&CellResult| r.backend == cell.backend && r.label == cell.label && r.connections == cell.connections;
        let mut rates = Vec::new();
        let mut of_limit = Vec::new();
        let mut of_pgbench = Vec::new();
        let mut p99 = Vec::new();
        for run in runs {
            let Some(r) = run.results.iter().find(same) else { continue };
            rates.push(r.rate());
            p99.push(r.p99_us as f64);
            let limit = run
                .results
                .iter()
                .find(|l| l.backend == r.backend && l.workload == Workload::Limit && l.connections == r.connections);
            if let Some(l) = limit {
                of_limit.push(r.rate() / l.rate());
            }
            if let Some((_, p)) = pg_pairs(&run.results, &run.pgbench).find(|(c, _)| std::ptr::eq(*c, r)) {
                of_pgbench.push(r.rate() / p.tps);
            }
        }
        let show = |v: Vec<f64>| if v.is_empty() { "–".to_owned() } else { format!("{:.2}", median(v)) };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0} | {} | {} | {:.3} |",
            cell.backend.name(),
            cell.label,
            cell.connections,
            median(rates),
            show(of_limit),
            show(of_pgbench),
            median(p99) / 1000.0,
        );
    }
    out
}

/// Every issue's targets that the run measured.
fn verdict(results: &[CellResult], yardstick: &[pgbench::Measured]) -> String {
    format!("{}{}", sqlite_verdict(results), pg_verdict(results, yardstick))
}

/// The issue's targets, checked on the SQLite cells with the most connections.
fn sqlite_verdict(results: &[CellResult]) -> String {
    let mut out = String::from("Targets (issue 6), SQLite at the highest connection count measured:\n");
    let Some(top) = results.iter().filter(|r| r.backend == Backend::Sqlite).map(|r| r.connections).max() else {
        return String::new();
    };
    let cell = |w: Workload| {
        results
            .iter()
            .find(|r| r.backend == Backend::Sqlite && r.workload == w && r.connections == top && r.stored == 0)
    };
    // The growth cells only (HITs seeded before them), as the issue compares 10 thousand with 1 million.
    let creates: Vec<&CellResult> =
        results.iter().filter(|r| r.workload == Workload::Creates && r.stored > 0).collect();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let of: Vec<&&CellResult> = creates.iter().filter(|r| r.backend == backend).collect();
        if let (Some(few), Some(many)) = (of.iter().min_by_key(|r| r.stored), of.iter().max_by_key(|r| r.stored)) {
            if few.stored < many.stored {
                let ratio = many.rate() / few.rate();
                let _ = writeln!(
                    out,
                    "- {}: CreateHIT with {} HITs stored at {ratio:.2} of its rate with {} (issue 16, target ≥ 0.8): {}",
                    backend.name(),
                    human_count(many.stored),
                    human_count(few.stored),
                    if ratio >= 0.8 { "met" } else { "NOT met" },
                );
            }
        }
    }
    let Some(limit) = cell(Workload::Limit) else { return String::new() };
    for (workload, share) in [(Workload::Writes, 0.25), (Workload::Reads, 0.5)] {
        let Some(r) = cell(workload) else { continue };
        let ratio = r.rate() / limit.rate();
        let _ = writeln!(
            out,
            "- {} x{top}: {:.2} of the limit (target ≥ {share}): {}; p99 {:.3} ms (target < 5 ms): {}",
            workload_label(workload),
            ratio,
            if ratio >= share { "met" } else { "NOT met" },
            ms(r.p99_us),
            if r.p99_us < 5000 { "met" } else { "NOT met" },
        );
    }
    out
}
