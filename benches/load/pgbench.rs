//! PostgreSQL's own speed on this machine, the yardstick of the PostgreSQL
//! cells (issue 16): `pgbench` against the same server and database, with the
//! same client count, running a select-only script and a single-row update
//! script on a table with as many rows as the benchmark's `qualifications`
//! table holds when the cells end.
//!
//! Both scripts pick a row at random by primary key, as the emulator's reads
//! and writes each touch one qualification by its unique key. Statements are
//! prepared (`-M prepared`), as sqlx prepares the emulator's. Latencies come
//! from pgbench's per-transaction log, sampled (`--sampling-rate`) so that
//! writing it costs pgbench little.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context as _};
use sqlx::Connection as _;

/// The table the scripts run on, in the benchmark's database.
const TABLE: &str = "pgbench_qualifications";

/// Share of transactions pgbench logs for the latency percentiles.
const SAMPLING_RATE: f64 = 0.05;

/// Which script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// `SELECT integer_value … WHERE id = :id`.
    Select,
    /// `UPDATE … SET integer_value = integer_value + 1 WHERE id = :id`.
    Update,
}

impl Script {
    pub fn name(self) -> &'static str {
        match self {
            Self::Select => "select",
            Self::Update => "update",
        }
    }

    fn text(self) -> String {
        let statement = match self {
            Self::Select => format!("SELECT integer_value FROM {TABLE} WHERE id = :id;"),
            Self::Update => format!("UPDATE {TABLE} SET integer_value = integer_value + 1 WHERE id = :id;"),
        };
        format!("\\set id random(1, :rows)\n{statement}\n")
    }
}

/// What one pgbench run measured.
#[derive(Debug, Clone)]
pub struct Measured {
    pub script: Script,
    pub clients: usize,
    /// Transactions per second, without the initial connection time.
    pub tps: f64,
    pub p50_us: u64,
    pub p99_us: u64,
}

/// The number of rows of `qualifications` in the database at `url` (at least one).
pub async fn qualifications(url: &str) -> anyhow::Result<u64> {
    let mut db = sqlx::PgConnection::connect(url).await.context("pgbench: cannot connect to the bench database")?;
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM qualifications").fetch_one(&mut db).await?;
    Ok(u64::try_from(rows.max(1))?)
}

/// Creates the scripts' table with `rows` rows, shaped like the
/// qualifications: a key, the worker and type ids, a value and a status.
pub async fn prepare(url: &str, rows: u64) -> anyhow::Result<()> {
    let mut db = sqlx::PgConnection::connect(url).await.context("pgbench: cannot connect to the bench database")?;
    let rows = i64::try_from(rows)?;
    sqlx::query(&format!("DROP TABLE IF EXISTS {TABLE}")).execute(&mut db).await?;
    sqlx::query(&format!(
        "CREATE TABLE {TABLE} (id BIGINT PRIMARY KEY, worker_id TEXT NOT NULL, type_id TEXT NOT NULL, \
         integer_value BIGINT NOT NULL, status TEXT NOT NULL)"
    ))
    .execute(&mut db)
    .await?;
    sqlx::query(&format!(
        "INSERT INTO {TABLE} SELECT n, 'APGBENCH' || n, '3PGBENCHTYPE0000000000000000', 1, 'Granted' \
         FROM generate_series(1, $1) AS n"
    ))
    .bind(rows)
    .execute(&mut db)
    .await?;
    sqlx::query(&format!("VACUUM ANALYZE {TABLE}")).execute(&mut db).await?;
    Ok(())
}

/// Runs `script` with `clients` connections on `threads` threads: `warmup`
/// seconds unmeasured, then `seconds` measured. `dir` holds the script and
/// the logs.
#[allow(clippy::too_many_arguments, reason = "one pgbench invocation's settings, each named at the call")]
pub fn run(
    url: &str,
    script: Script,
    rows: u64,
    clients: usize,
    threads: usize,
    warmup: f64,
    seconds: f64,
    dir: &Path,
) -> anyhow::Result<Measured> {
    let file = dir.join(format!("{}.sql", script.name()));
    std::fs::write(&file, script.text())?;
    let threads = threads.clamp(1, clients.max(1));
    let base = |secs: f64| {
        let mut cmd = Command::new("pgbench");
        cmd.args(["--no-vacuum", "--protocol=prepared"])
            .arg(format!("--client={clients}"))
            .arg(format!("--jobs={threads}"))
            .arg(format!("--time={}", secs.ceil().max(1.0)))
            .arg(format!("--define=rows={rows}"))
            .arg(format!("--file={}", file.display()));
        cmd
    };
    if warmup > 0.0 {
        let out = base(warmup).arg(url).output().context("cannot run pgbench (install postgresql-client)")?;
        if !out.status.success() {
            bail!("pgbench warm-up failed: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
    let prefix = dir.join(format!("log-{}-{clients}", script.name()));
    let out = base(seconds)
        .arg("--log")
        .arg(format!("--log-prefix={}", prefix.display()))
        .arg(format!("--sampling-rate={SAMPLING_RATE}"))
        .arg(url)
        .output()
        .context("cannot run pgbench (install postgresql-client)")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!("pgbench failed: {}\n{stdout}", String::from_utf8_lossy(&out.stderr));
    }
    let tps = stdout
        .lines()
        .find_map(|line| line.strip_prefix("tps = ")?.split_whitespace().next()?.parse::<f64>().ok())
        .with_context(|| format!("no `tps = ` line in pgbench's output:\n{stdout}"))?;
    let mut latencies = read_latencies(dir, &prefix)?;
    latencies.sort_unstable();
    if latencies.is_empty() {
        bail!("pgbench logged no transaction");
    }
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    Ok(Measured { script, clients, tps, p50_us: at(0.50), p99_us: at(0.99) })
}

/// The latencies (µs, the third field) of every log file pgbench wrote with
/// `prefix` (one per thread: `prefix.PID`, `prefix.PID.1` …), which it removes.
fn read_latencies(dir: &Path, prefix: &Path) -> anyhow::Result<Vec<u64>> {
    let stem = prefix.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let is_log = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(&format!("{stem}.")));
        if !is_log {
            continue;
        }
        let text = std::fs::read_to_string(&path)?;
        out.extend(text.lines().filter_map(|line| line.split_whitespace().nth(2)?.parse::<u64>().ok()));
        std::fs::remove_file(&path)?;
    }
    Ok(out)
}
