//! Settings, layered: the compiled-in `config/default.toml`, then a file given
//! with `--config`, then `MTURK_LOCAL_<SECTION>__<KEY>` environment
//! variables, then command-line flags. Unknown keys are an error.

use std::path::Path;

use anyhow::{bail, Context as _};
use serde::Deserialize;

use crate::auth::SecretKey;
use crate::domain::time::Timestamp;

/// The defaults, documented key by key.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// Prefix of the environment variables that override settings.
pub const ENV_PREFIX: &str = "MTURK_LOCAL_";

/// The longest `server.*_timeout_secs` accepted: one day.
const MAX_TIMEOUT_SECS: i64 = 86_400;

/// The most `server.max_connections` accepted: far beyond what one process
/// can hold open (each connection is a file descriptor), so larger is a typo.
const MAX_CONNECTIONS: usize = 1 << 20;

/// All settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// HTTP server.
    pub server: ServerSettings,
    /// Storage.
    pub database: DatabaseSettings,
    /// Authentication.
    pub auth: AuthSettings,
    /// The `/_local` control plane.
    pub control: ControlSettings,
    /// Service rules.
    pub service: ServiceSettings,
    /// Delivery of HIT event notifications.
    pub notifications: NotificationSettings,
    /// The requesters and their credentials.
    pub requesters: Vec<RequesterSettings>,
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address to listen on. Default: `127.0.0.1:8099`.
    pub listen: String,
    /// Largest request body in bytes. Default: 1048576.
    pub max_body_bytes: usize,
    /// `pretty` or `json`. Default: `pretty`.
    pub log_format: LogFormat,
    /// Serve `/_bench/canned` for benchmarks. Default: false.
    pub canned_route: bool,
    /// Seconds from accepting a connection, or from the first byte of a later
    /// request on it, to the end of the request head; then the connection is
    /// closed. 1 to 86400. Default: 10.
    pub header_timeout_secs: i64,
    /// Seconds a keep-alive connection with no request in flight may wait for
    /// the next request before it is closed. 1 to 86400. Default: 60.
    pub idle_timeout_secs: i64,
    /// Seconds from the end of a request head to the end of its body; a later
    /// body is answered with an error and the connection closed. 1 to 86400. Default: 30.
    pub body_timeout_secs: i64,
    /// Connections served at once; more wait in the accept queue. 1 to 1048576. Default: 4096.
    pub max_connections: usize,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// `[database]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite:PATH` or `postgres://…`. Default: `sqlite:mturk-local.db`.
    pub url: String,
    /// Use a private in-memory database. Default: false.
    pub in_memory: bool,
    /// PostgreSQL connections kept at most. Default: 32.
    pub max_connections: u32,
    /// PostgreSQL's `synchronous_commit` for the emulator's sessions: whether
    /// a commit waits for its WAL to reach the disk. Default: true.
    pub synchronous_commit: bool,
}

/// `[auth]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// Allowed clock difference for signed timestamps. Default: 900.
    pub timestamp_window_secs: i64,
    /// Whether signatures are verified. Default: `strict`.
    pub mode: AuthMode,
}

/// How requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// Configured requesters only, signatures verified.
    Strict,
    /// Any well-formed credential; each access key id is its own requester.
    Open,
}

/// `[control]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlSettings {
    /// Bearer token for `/_local` on non-loopback addresses. Default: empty (off there).
    pub token: String,
}

/// `[service]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSettings {
    /// Seconds a disposal takes. Default: 0.
    pub dispose_delay_secs: i64,
    /// Starting balance in USD. Default: `10000.00`.
    pub starting_balance: String,
    /// Seed of every generated id and request id: with one, the same calls
    /// get the same ids in every run. Default: none (random ids).
    /// 0 to 2^63-1 (a TOML integer).
    #[serde(default)]
    pub id_seed: Option<i64>,
    /// The instant (RFC 3339) the virtual clock starts at on a new store and
    /// after each reset. Default: none (real time).
    #[serde(default)]
    pub clock_start: Option<String>,
    /// A fixture file (YAML, or JSON when it ends in `.json`) loaded at
    /// start-up, after migrations; loading it again changes nothing.
    /// Default: empty (none).
    pub fixtures: String,
}

impl ServiceSettings {
    /// `id_seed` as the generator takes it (checked at load time: never negative).
    #[must_use]
    pub fn id_seed(&self) -> Option<u64> {
        self.id_seed.and_then(|seed| u64::try_from(seed).ok())
    }

    /// `clock_start` as an instant (checked at load time, so `None` only when unset).
    #[must_use]
    pub fn clock_start(&self) -> Option<Timestamp> {
        self.clock_start.as_deref().and_then(parse_clock_start)
    }
}

/// An RFC 3339 instant within the years the service keeps (1970 to 9999).
fn parse_clock_start(text: &str) -> Option<Timestamp> {
    Timestamp::parse_xml_datetime(text).filter(|t| t.millis() >= 0 && *t <= Timestamp::LATEST)
}

/// `[notifications]`: where and how HIT event notifications are delivered
/// (docs/notifications.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettings {
    /// Whether this instance runs a dispatcher. Default: true.
    pub dispatch: bool,
    /// An SQS-compatible endpoint (`http://host:port`) that AWS-shaped queue
    /// URLs are delivered to. Default: empty (AWS-shaped queue URLs fail).
    pub sqs_endpoint: String,
    /// An SNS-compatible endpoint that topic ARNs are published to. Default: empty.
    pub sns_endpoint: String,
    /// `smtp://host:port` of the mail server for the Email transport. Default: empty.
    pub smtp_url: String,
    /// The sender address of notification e-mail.
    pub email_from: String,
    /// Region of the signed SQS and SNS requests. Default: `us-east-1`.
    pub region: String,
    /// Attempts before a delivery is Failed. 1 to 100. Default: 8.
    pub max_attempts: i64,
    /// Milliseconds before the first retry; doubles each time. Default: 500.
    pub backoff_initial_ms: i64,
    /// The longest wait between retries, in milliseconds. Default: 60000.
    pub backoff_max_ms: i64,
    /// Milliseconds between looks for work nobody announced. Default: 1000.
    pub poll_interval_ms: i64,
    /// Seconds a claimed delivery stays with the instance that claimed it. Default: 30.
    pub lease_secs: i64,
    /// Seconds one delivery attempt may take. Default: 10.
    pub timeout_secs: i64,
}

/// One `[[requesters]]` entry.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequesterSettings {
    /// The access key id (also the requester's identity). Required.
    pub access_key_id: String,
    /// The secret access key. Required.
    pub secret_access_key: String,
    /// This requester's starting balance; default: `service.starting_balance`.
    #[serde(default)]
    pub starting_balance: Option<String>,
}

impl std::fmt::Debug for RequesterSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequesterSettings")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &SecretKey::new(String::new()))
            .field("starting_balance", &self.starting_balance)
            .finish()
    }
}

/// Overrides from the command line.
#[derive(Debug, Clone, Default)]
pub struct CliOverrides {
    /// `--listen`.
    pub listen: Option<String>,
    /// `--database`.
    pub database: Option<String>,
    /// `--in-memory`.
    pub in_memory: bool,
    /// `--id-seed`.
    pub id_seed: Option<i64>,
    /// `--clock-start`.
    pub clock_start: Option<String>,
    /// `--fixtures`.
    pub fixtures: Option<String>,
}

/// Keys `config/default.toml` documents but leaves unset (TOML has no null):
/// the environment may still set them, as the type of this template.
const OPTIONAL_KEYS: &[(&str, &str, toml::Value)] =
    &[("service", "id_seed", toml::Value::Integer(0)), ("service", "clock_start", toml::Value::String(String::new()))];

fn merge(base: &mut toml::Value, overlay: toml::Value) {
    match (base, overlay) {
        (toml::Value::Table(base), toml::Value::Table(overlay)) => {
            for (k, v) in overlay {
                match base.get_mut(&k) {
                    Some(existing) if existing.is_table() && v.is_table() => merge(existing, v),
                    _ => {
                        base.insert(k, v);
                    }
                }
            }
        }
        (base, overlay) => *base = overlay,
    }
}

/// Converts an environment string to the type of the default it replaces.
fn typed_env_value(current: &toml::Value, raw: &str, var: &str) -> anyhow::Result<toml::Value> {
    Ok(match current {
        toml::Value::Boolean(_) => toml::Value::Boolean(match raw.to_ascii_lowercase().as_str() {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => bail!("{var} must be true or false, not {raw:?}"),
        }),
        toml::Value::Integer(_) => {
            toml::Value::Integer(raw.parse().with_context(|| format!("{var} must be an integer, not {raw:?}"))?)
        }
        _ => toml::Value::String(raw.to_owned()),
    })
}

fn apply_env(value: &mut toml::Value, vars: impl IntoIterator<Item = (String, String)>) -> anyhow::Result<()> {
    for (var, raw) in vars {
        let Some(path) = var.strip_prefix(ENV_PREFIX) else { continue };
        let Some((section, key)) = path.split_once("__") else { continue };
        let (section, key) = (section.to_ascii_lowercase(), key.to_ascii_lowercase());
        let optional = OPTIONAL_KEYS.iter().find(|(s, k, _)| *s == section && *k == key);
        let Some(table) = value.get_mut(&section).and_then(toml::Value::as_table_mut) else {
            bail!("{var} does not name a setting (there is no [{section}] section)");
        };
        let typed = match (table.get(&key), optional) {
            (Some(current), _) | (None, Some((_, _, current))) => typed_env_value(current, &raw, &var)?,
            (None, None) => bail!("{var} does not name a setting ([{section}] has no key {key:?})"),
        };
        table.insert(key, typed);
    }
    Ok(())
}

impl Settings {
    /// Loads the layers. `file` is the `--config` path; `env` the process
    /// environment (passed in so tests can control it).
    ///
    /// # Errors
    /// Unreadable or invalid files, bad environment values, unknown keys.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        cli: &CliOverrides,
    ) -> anyhow::Result<Self> {
        let mut value: toml::Value = toml::from_str(DEFAULT_TOML).context("the built-in defaults are invalid")?;
        if let Some(path) = file {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("cannot read config file {}", path.display()))?;
            let overlay: toml::Value =
                toml::from_str(&text).with_context(|| format!("config file {} is not valid TOML", path.display()))?;
            merge(&mut value, overlay);
        }
        apply_env(&mut value, env)?;
        let mut settings: Self = value.try_into().map_err(|e: toml::de::Error| {
            anyhow::anyhow!("invalid configuration: {}", e.message().replace('\n', " "))
        })?;
        if let Some(listen) = &cli.listen {
            settings.server.listen.clone_from(listen);
        }
        if let Some(db) = &cli.database {
            settings.database.url.clone_from(db);
        }
        if cli.in_memory {
            settings.database.in_memory = true;
        }
        if let Some(seed) = cli.id_seed {
            settings.service.id_seed = Some(seed);
        }
        if let Some(start) = &cli.clock_start {
            settings.service.clock_start = Some(start.clone());
        }
        if let Some(fixtures) = &cli.fixtures {
            settings.service.fixtures.clone_from(fixtures);
        }
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.requesters.is_empty() {
            bail!("invalid configuration: at least one [[requesters]] entry is needed");
        }
        for r in &self.requesters {
            if crate::domain::ids::RequesterId::parse(&r.access_key_id).is_none() {
                bail!(
                    "invalid configuration: access_key_id {:?} must be 1-128 letters, digits, '-' or '_'",
                    r.access_key_id
                );
            }
            if r.secret_access_key.is_empty() {
                bail!("invalid configuration: requester {} has an empty secret_access_key", r.access_key_id);
            }
            if let Some(b) = &r.starting_balance {
                if crate::domain::money::parse_cents(b).is_none() {
                    bail!("invalid configuration: starting_balance {b:?} of {} is not an amount", r.access_key_id);
                }
            }
        }
        let mut keys: Vec<&str> = self.requesters.iter().map(|r| r.access_key_id.as_str()).collect();
        keys.sort_unstable();
        if keys.windows(2).any(|w| w[0] == w[1]) {
            bail!("invalid configuration: an access_key_id appears twice in [[requesters]]");
        }
        if crate::domain::money::parse_cents(&self.service.starting_balance).is_none() {
            bail!(
                "invalid configuration: service.starting_balance {:?} is not an amount",
                self.service.starting_balance
            );
        }
        let n = &self.notifications;
        if !(1..=100).contains(&n.max_attempts) {
            bail!("invalid configuration: notifications.max_attempts must be 1 to 100");
        }
        for (name, value) in [
            ("backoff_initial_ms", n.backoff_initial_ms),
            ("backoff_max_ms", n.backoff_max_ms),
            ("poll_interval_ms", n.poll_interval_ms),
            ("lease_secs", n.lease_secs),
            ("timeout_secs", n.timeout_secs),
        ] {
            if !(1..=86_400_000).contains(&value) {
                bail!("invalid configuration: notifications.{name} must be 1 to 86400000");
            }
        }
        if n.lease_secs <= n.timeout_secs {
            bail!("invalid configuration: notifications.lease_secs must be longer than notifications.timeout_secs");
        }
        if self.server.max_body_bytes < 1024 {
            bail!("invalid configuration: server.max_body_bytes must be at least 1024");
        }
        for (key, secs) in [
            ("header_timeout_secs", self.server.header_timeout_secs),
            ("idle_timeout_secs", self.server.idle_timeout_secs),
            ("body_timeout_secs", self.server.body_timeout_secs),
        ] {
            // 0 would close every connection at once, and there is no "off": a
            // day is as long as anyone debugging by hand could want.
            if !(1..=MAX_TIMEOUT_SECS).contains(&secs) {
                bail!("invalid configuration: server.{key} must be 1 to {MAX_TIMEOUT_SECS} seconds, not {secs}");
            }
        }
        if !(1..=1000).contains(&self.database.max_connections) {
            bail!(
                "invalid configuration: database.max_connections must be 1 to 1000, not {}",
                self.database.max_connections
            );
        }
        if !(1..=MAX_CONNECTIONS).contains(&self.server.max_connections) {
            bail!(
                "invalid configuration: server.max_connections must be 1 to {MAX_CONNECTIONS}, not {}",
                self.server.max_connections
            );
        }
        if self.service.id_seed.is_some_and(|seed| seed < 0) {
            bail!("invalid configuration: service.id_seed must be 0 to {}, not negative", i64::MAX);
        }
        if let Some(start) = &self.service.clock_start {
            if parse_clock_start(start).is_none() {
                bail!(
                    "invalid configuration: service.clock_start {start:?} must be an RFC 3339 instant \
                     from 1970 to 9999, e.g. 2024-01-01T00:00:00Z"
                );
            }
        }
        if self.auth.timestamp_window_secs < 0 || self.service.dispose_delay_secs < 0 {
            bail!("invalid configuration: durations must not be negative");
        }
        Ok(())
    }

    /// The database the settings select, as a URL-like string for logs.
    #[must_use]
    pub fn database_description(&self) -> String {
        if self.database.in_memory {
            "sqlite in memory".to_owned()
        } else if let Some(rest) = self.database.url.strip_prefix("postgres") {
            // Never log a password that may be in the URL.
            let host = rest.rsplit('@').next().unwrap_or(rest).trim_start_matches("://").trim_start_matches("ql://");
            format!("postgres {host}")
        } else {
            self.database.url.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(file_text: Option<&str>, env: &[(&str, &str)], cli: &CliOverrides) -> anyhow::Result<Settings> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("c.toml");
        if let Some(text) = file_text {
            std::fs::write(&path, text)?;
        }
        let env = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
        Settings::load(file_text.map(|_| path.as_path()), env, cli)
    }

    #[test]
    fn defaults_serve_loopback_on_8099_with_one_dev_requester() {
        let s = load(None, &[], &CliOverrides::default()).unwrap();
        assert_eq!(s.server.listen, "127.0.0.1:8099");
        assert_eq!(s.database.url, "sqlite:mturk-local.db");
        assert_eq!(s.requesters.len(), 1);
        assert_eq!(s.requesters[0].access_key_id, "AKIAMTURKLOCALDEV000");
    }

    #[test]
    fn layers_apply_file_then_env_then_flags() {
        let file = "[server]\nlisten = \"127.0.0.1:1\"\n[service]\ndispose_delay_secs = 5\n";
        let env = [("MTURK_LOCAL_SERVER__LISTEN", "127.0.0.1:2"), ("MTURK_LOCAL_DATABASE__IN_MEMORY", "true")];
        let s = load(Some(file), &env, &CliOverrides::default()).unwrap();
        assert_eq!(s.server.listen, "127.0.0.1:2");
        assert!(s.database.in_memory);
        assert_eq!(s.service.dispose_delay_secs, 5);
        let cli = CliOverrides { listen: Some("127.0.0.1:3".into()), ..CliOverrides::default() };
        assert_eq!(load(Some(file), &env, &cli).unwrap().server.listen, "127.0.0.1:3");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        assert!(load(Some("[server]\nlisten_on = \"x\"\n"), &[], &CliOverrides::default()).is_err());
        assert!(load(Some("[nope]\n"), &[], &CliOverrides::default()).is_err());
        assert!(load(None, &[("MTURK_LOCAL_SERVER__NOPE", "1")], &CliOverrides::default()).is_err());
        assert!(load(None, &[("MTURK_LOCAL_SERVER__MAX_BODY_BYTES", "big")], &CliOverrides::default()).is_err());
        assert!(load(Some("not toml ["), &[], &CliOverrides::default()).is_err());
        assert!(load(Some("requesters = []\n"), &[], &CliOverrides::default()).is_err());
    }

    #[test]
    fn connection_limits_default_documented_and_overridable_from_the_environment() {
        let s = load(None, &[], &CliOverrides::default()).unwrap();
        assert_eq!(
            (s.server.header_timeout_secs, s.server.idle_timeout_secs, s.server.body_timeout_secs),
            (10, 60, 30)
        );
        assert_eq!(s.server.max_connections, 4096);
        assert_eq!(s.database.max_connections, 32);
        assert!(s.database.synchronous_commit);
        let env = [
            ("MTURK_LOCAL_SERVER__HEADER_TIMEOUT_SECS", "5"),
            ("MTURK_LOCAL_SERVER__IDLE_TIMEOUT_SECS", "6"),
            ("MTURK_LOCAL_SERVER__BODY_TIMEOUT_SECS", "7"),
            ("MTURK_LOCAL_SERVER__MAX_CONNECTIONS", "8"),
        ];
        let s = load(None, &env, &CliOverrides::default()).unwrap();
        assert_eq!((s.server.header_timeout_secs, s.server.idle_timeout_secs, s.server.body_timeout_secs), (5, 6, 7));
        assert_eq!(s.server.max_connections, 8);
    }

    #[test]
    fn zero_negative_or_absurd_connection_limits_are_refused_at_start_up() {
        for (var, value) in [
            ("MTURK_LOCAL_SERVER__HEADER_TIMEOUT_SECS", "0"),
            ("MTURK_LOCAL_SERVER__IDLE_TIMEOUT_SECS", "0"),
            ("MTURK_LOCAL_SERVER__BODY_TIMEOUT_SECS", "0"),
            ("MTURK_LOCAL_SERVER__BODY_TIMEOUT_SECS", "-1"),
            ("MTURK_LOCAL_SERVER__IDLE_TIMEOUT_SECS", "86401"),
            ("MTURK_LOCAL_SERVER__MAX_CONNECTIONS", "0"),
            ("MTURK_LOCAL_SERVER__MAX_CONNECTIONS", "1048577"),
        ] {
            let err = load(None, &[(var, value)], &CliOverrides::default()).unwrap_err();
            let key = var.trim_start_matches("MTURK_LOCAL_SERVER__").to_ascii_lowercase();
            let text = format!("{err:#}");
            assert!(text.contains(&format!("server.{key} must be")), "{var}={value}: {text}");
        }
        assert!(load(Some("[server]\nheader_timeout_secs = 0\n"), &[], &CliOverrides::default()).is_err());
    }

    #[test]
    fn id_seed_and_clock_start_are_unset_by_default_and_set_by_file_env_or_flags() {
        let s = load(None, &[], &CliOverrides::default()).unwrap();
        assert_eq!((s.service.id_seed, s.service.clock_start()), (None, None));
        let file = "[service]\nid_seed = 7\nclock_start = \"2024-01-01T00:00:00Z\"\n";
        let s = load(Some(file), &[], &CliOverrides::default()).unwrap();
        assert_eq!(s.service.id_seed, Some(7));
        assert_eq!(s.service.clock_start().map(Timestamp::millis), Some(1_704_067_200_000));
        let env = [("MTURK_LOCAL_SERVICE__ID_SEED", "8"), ("MTURK_LOCAL_SERVICE__CLOCK_START", "2025-06-01T12:00:00Z")];
        let s = load(Some(file), &env, &CliOverrides::default()).unwrap();
        assert_eq!(s.service.id_seed, Some(8));
        assert_eq!(s.service.clock_start.as_deref(), Some("2025-06-01T12:00:00Z"));
        let cli = CliOverrides {
            id_seed: Some(9),
            clock_start: Some("2030-01-01T00:00:00Z".into()),
            ..CliOverrides::default()
        };
        let s = load(Some(file), &env, &cli).unwrap();
        assert_eq!((s.service.id_seed, s.service.clock_start.as_deref()), (Some(9), Some("2030-01-01T00:00:00Z")));
    }

    #[test]
    fn a_bad_id_seed_or_clock_start_is_refused_with_the_key_named() {
        for (env, key) in [
            (("MTURK_LOCAL_SERVICE__ID_SEED", "x"), "MTURK_LOCAL_SERVICE__ID_SEED"),
            (("MTURK_LOCAL_SERVICE__ID_SEED", "-1"), "service.id_seed must be 0 to"),
            (("MTURK_LOCAL_SERVICE__CLOCK_START", "yesterday"), "service.clock_start"),
            (("MTURK_LOCAL_SERVICE__CLOCK_START", "1969-12-31T23:59:59Z"), "service.clock_start"),
        ] {
            let err = format!("{:#}", load(None, &[env], &CliOverrides::default()).unwrap_err());
            assert!(err.contains(key), "{env:?}: {err}");
        }
        assert!(load(Some("[service]\nid_seed = \"7\"\n"), &[], &CliOverrides::default()).is_err());
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let s = load(None, &[], &CliOverrides::default()).unwrap();
        assert!(!format!("{s:?}").contains("mturk-local-dev-secret"));
    }
}
