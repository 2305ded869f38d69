//! The `mturk-local` binary: parse the command line, load settings, serve.
//! Everything else lives in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mturk_local::config::{CliOverrides, Settings};
use mturk_local::startup::Application;

/// mimalloc instead of the system allocator: the request path allocates
/// small strings all the time, and glibc's malloc was 8-10 % of the CPU of a
/// request (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A local emulator of Amazon Mechanical Turk's requester API.
#[derive(Debug, Parser)]
#[command(name = "mturk-local", version, about)]
struct Cli {
    /// Address to listen on [env: MTURK_LOCAL_SERVER__LISTEN] [default: 127.0.0.1:8099]
    #[arg(long, global = true, value_name = "ADDR")]
    listen: Option<String>,
    /// Database URL: sqlite:PATH or postgres://… [env: MTURK_LOCAL_DATABASE__URL] [default: sqlite:mturk-local.db]
    #[arg(long, global = true, value_name = "URL")]
    database: Option<String>,
    /// Use a fresh in-memory database that lives as long as the process [env: MTURK_LOCAL_DATABASE__IN_MEMORY]
    #[arg(long, global = true)]
    in_memory: bool,
    /// Seed of every generated id and request id, for reproducible runs [env: MTURK_LOCAL_SERVICE__ID_SEED]
    #[arg(long, global = true, value_name = "N")]
    id_seed: Option<i64>,
    /// Where the virtual clock starts on a new store and after a reset, e.g. 2024-01-01T00:00:00Z [env: MTURK_LOCAL_SERVICE__CLOCK_START]
    #[arg(long, global = true, value_name = "RFC3339")]
    clock_start: Option<String>,
    /// A fixture file to load at start-up, YAML or JSON (see docs/fixtures.md) [env: MTURK_LOCAL_SERVICE__FIXTURES]
    #[arg(long, global = true, value_name = "FILE")]
    fixtures: Option<String>,
    /// A TOML file merged over the built-in defaults (see config/default.toml)
    #[arg(long, global = true, value_name = "PATH", env = "MTURK_LOCAL_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Print a signed legacy request URL, for curl users.
    Sign {
        /// The operation, e.g. GetAccountBalance.
        operation: String,
        /// Operation parameters as NAME=VALUE.
        params: Vec<String>,
        /// Base URL of the emulator [default: http://<listen address>].
        #[arg(long)]
        endpoint: Option<String>,
        /// Access key id [default: the first configured requester].
        #[arg(long)]
        access_key_id: Option<String>,
        /// Secret access key [default: that requester's configured secret].
        #[arg(long)]
        secret_access_key: Option<String>,
    },
    /// GET /health of a running server: exit 0 when it answers 200, 1 otherwise.
    Healthcheck {
        /// The server's URL, e.g. http://127.0.0.1:8099 [default: http://<listen address>, 0.0.0.0 as 127.0.0.1].
        #[arg(long)]
        url: Option<String>,
    },
}

/// Prints a start-up failure as one line and returns a failing exit code.
fn fail(err: &anyhow::Error) -> ExitCode {
    eprintln!("mturk-local: error: {}", format!("{err:#}").replace('\n', " "));
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if err.use_stderr() => {
            // One line, not clap's multi-line usage block.
            let text = err.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments").trim_start_matches("error: ");
            eprintln!("mturk-local: error: {first} (try --help)");
            return ExitCode::from(2);
        }
        Err(err) => {
            // --help and --version.
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
    };
    let overrides = CliOverrides {
        listen: cli.listen.clone(),
        database: cli.database.clone(),
        in_memory: cli.in_memory,
        id_seed: cli.id_seed,
        clock_start: cli.clock_start.clone(),
        fixtures: cli.fixtures.clone(),
    };
    let settings = match Settings::load(cli.config.as_deref(), std::env::vars(), &overrides) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    match cli.command {
        Some(Command::Sign { operation, params, endpoint, access_key_id, secret_access_key }) => {
            match mturk_local::sign::signed_url(
                &settings,
                &operation,
                &params,
                endpoint,
                access_key_id,
                secret_access_key,
            ) {
                Ok(url) => {
                    println!("{url}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
            }
        }
        Some(Command::Healthcheck { url }) => healthcheck(&settings, url.as_deref()),
        None | Some(Command::Serve) => serve(settings),
    }
}

/// Exit 0 on a 200 from `/health`, silently; 1 otherwise, with a one-line
/// reason on stderr (Docker's HEALTHCHECK keeps it; it reserves exit code 2).
fn healthcheck(settings: &Settings, url: Option<&str>) -> ExitCode {
    use mturk_local::healthcheck::{check, Target};
    let target = match url {
        Some(url) => Target::parse_url(url),
        None => Target::for_listen(&settings.server.listen),
    };
    let verdict = match target {
        Ok(target) => match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime.block_on(check(&target)),
            Err(e) => Err(e.into()),
        },
        Err(e) => Err(e),
    };
    match verdict {
        // Silent when healthy, as `true` is: `healthcheck && echo up` reads well.
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mturk-local healthcheck: unhealthy: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}

fn serve(settings: Settings) -> ExitCode {
    mturk_local::telemetry::init(settings.server.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(&e.into()),
    };
    runtime.block_on(async {
        let app = match Application::build(settings).await {
            Ok(app) => app,
            Err(e) => return fail(&e),
        };
        match app.run_until_stopped().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&e.into()),
        }
    })
}
