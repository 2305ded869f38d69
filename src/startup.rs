//! Building and running the application: pick the store, restore the
//! virtual clock, create the requesters' accounts, load the fixture file,
//! bind the listener, route.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{bail, Context as _};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use tokio::net::TcpListener;

use crate::auth::{Credentials, SecretKey};
use crate::config::Settings;
use crate::domain::clock::{Clock, SystemClock, VirtualClock};
use crate::domain::ids::{IdSource, RandomIds, RequesterId, SeededIds};
use crate::domain::money::parse_cents;
use crate::ops::Policy;
use crate::protocol::legacy_xml;
use crate::state::{AppState, AppStateInner, ControlAccess};
use crate::store::{PgStore, SqliteStore, Store};

/// Sources of time and ids; tests replace them to make output deterministic.
#[derive(Debug, Clone)]
pub struct Hooks {
    /// The base of the virtual clock.
    pub base_clock: Arc<dyn Clock>,
    /// Real time for signature windows.
    pub wall: Arc<dyn Clock>,
    /// Id source.
    pub ids: Arc<dyn IdSource>,
}

impl Default for Hooks {
    fn default() -> Self {
        Self { base_clock: Arc::new(SystemClock), wall: Arc::new(SystemClock), ids: Arc::new(RandomIds) }
    }
}

/// Opens the store the settings select.
///
/// # Errors
/// Unsupported URLs, unreachable servers, failed migrations.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    if settings.database.in_memory {
        return Ok(Arc::new(SqliteStore::in_memory()?));
    }
    let url = settings.database.url.as_str();
    if let Some(path) = url.strip_prefix("sqlite:") {
        let path = path.trim_start_matches("//");
        if path.is_empty() {
            bail!("the database URL {url:?} names no file; use sqlite:PATH");
        }
        return Ok(Arc::new(SqliteStore::open_file(path)?));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(PgStore::connect(url, &settings.database).await?));
    }
    bail!("unsupported database URL {url:?}: use sqlite:PATH or postgres://…")
}

/// A built application, listening but not yet serving.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    state: AppState,
    addr: SocketAddr,
}

impl Application {
    /// Builds with real time and random ids.
    ///
    /// # Errors
    /// See [`Application::build_with`].
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with(settings, Hooks::default()).await
    }

    /// Opens the store, prepares accounts and the clock, and binds the listener.
    ///
    /// # Errors
    /// Bad listen address, store failures, bad balances.
    pub async fn build_with(settings: Settings, hooks: Hooks) -> anyhow::Result<Self> {
        let addr: SocketAddr = settings
            .server
            .listen
            .parse()
            .with_context(|| format!("invalid listen address {:?}", settings.server.listen))?;
        let store = open_store(&settings).await?;
        let default_balance = parse_cents(&settings.service.starting_balance).context("invalid starting_balance")?;
        let mut accounts = Vec::new();
        let mut keys = Vec::new();
        for r in &settings.requesters {
            let id = RequesterId::parse(&r.access_key_id).context("invalid access_key_id")?;
            let balance = match &r.starting_balance {
                Some(b) => parse_cents(b).context("invalid starting_balance")?,
                None => default_balance,
            };
            accounts.push((id.clone(), balance));
            keys.push((id, SecretKey::new(r.secret_access_key.clone())));
        }
        store.ensure_requesters(&accounts, hooks.base_clock.now()).await.context("cannot create accounts")?;
        let mut offset = store.clock_offset().await.context("cannot read the virtual clock")?;
        let clock = Arc::new(VirtualClock::new(Arc::clone(&hooks.base_clock), offset));
        if let Some(start) = settings.service.clock_start() {
            // Only a clock that never moved starts there: a persisted store keeps
            // its own (docs/reproducible-runs.md), as other instances on it do.
            if offset == 0 {
                offset = clock.offset_for(start);
                store.set_clock_offset(offset).await.context("cannot set the virtual clock")?;
                clock.set_offset_ms(offset);
            } else {
                tracing::info!(
                    "service.clock_start is not applied: this store's clock was already moved (reset applies it)"
                );
            }
        }
        let ids = match settings.service.id_seed() {
            Some(seed) => {
                let epoch = store.take_id_epoch().await.context("cannot start the seeded id sequence")?;
                let epoch = u64::try_from(epoch).context("the stored id epoch is negative")?;
                Arc::new(SeededIds::at_epoch(seed, epoch)) as Arc<dyn IdSource>
            }
            None => hooks.ids,
        };
        let listener = TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
        let addr = listener.local_addr()?;
        let control = if addr.ip().is_loopback() {
            ControlAccess::Open
        } else if settings.control.token.is_empty() {
            ControlAccess::Off
        } else {
            ControlAccess::Token(settings.control.token.clone())
        };
        let state = AppState::new(AppStateInner {
            store,
            clock,
            wall: hooks.wall,
            ids,
            credentials: Arc::new(Credentials::new(keys)),
            policy: Arc::new(Policy {
                dispose_delay_secs: settings.service.dispose_delay_secs,
                default_balance_cents: default_balance,
                starting_balances: accounts.iter().map(|(id, b)| (id.as_str().to_owned(), *b)).collect(),
            }),
            known_accounts: Arc::new(std::sync::Mutex::new(
                accounts.iter().map(|(id, _)| id.as_str().to_owned()).collect(),
            )),
            accounts: Arc::new(accounts),
            default_balance_cents: default_balance,
            control,
            faults: Arc::new(crate::faults::Faults::new()),
            local_addr: addr,
            settings: Arc::new(settings),
        });
        let fixtures = state.settings.service.fixtures.clone();
        if !fixtures.is_empty() {
            let loaded = crate::control::fixtures::load_path(&state, &fixtures).await.map_err(|e| {
                anyhow::anyhow!("cannot load the fixture file {fixtures}: {} ({})", e.message(), e.code())
            })?;
            tracing::info!(
                "fixture file {fixtures}: {} entries created, {} already there",
                loaded.created,
                loaded.existing
            );
        }
        Ok(Self { listener, state, addr })
    }

    /// The bound address (port 0 resolved).
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared state (tests inspect the store through it).
    #[must_use]
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until Ctrl-C or SIGTERM arrives, then as [`Application::run_until`].
    ///
    /// # Errors
    /// I/O errors of the listener.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` resolves; then stops accepting connections,
    /// lets the requests in flight finish, and closes the store.
    ///
    /// # Errors
    /// I/O errors of the listener.
    pub async fn run_until(self, shutdown: impl std::future::Future<Output = ()> + Send) -> std::io::Result<()> {
        tracing::info!(
            "mturk-local listening on http://{} (database: {}, {} requester{}, control plane {})",
            self.addr,
            self.state.settings.database_description(),
            self.state.credentials.len(),
            if self.state.credentials.len() == 1 { "" } else { "s" },
            match self.state.control {
                ControlAccess::Open => "open",
                ControlAccess::Token(_) => "token-protected",
                ControlAccess::Off => "off",
            }
        );
        let store = std::sync::Arc::clone(&self.state.store);
        let limits = crate::server::Limits::from_settings(&self.state.settings.server);
        // Delivers the notification outbox in the background while serving.
        let dispatcher = if self.state.settings.notifications.dispatch {
            match crate::notify::Dispatcher::start(self.state.clone()) {
                Ok(d) => Some(d),
                Err(e) => {
                    tracing::error!(error = %e, "the notification dispatcher cannot start; events stay in the outbox");
                    None
                }
            }
        } else {
            None
        };
        let app = router(self.state);
        let served = crate::server::serve(self.listener, app, limits, shutdown).await;
        if let Some(d) = dispatcher {
            d.stop();
        }
        store.close().await;
        served
    }
}

/// The HTTP routes.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/", any(root))
        .route("/health", axum::routing::get(health))
        .route("/onca/xml", any(legacy_xml::handle))
        .route("/onca/soap", any(crate::protocol::soap::handle))
        // Where Amazon published the WSDLs (and the mturk-api package's commented-out WSDL address).
        .route(
            "/AWSMechanicalTurk/AWSMechanicalTurkRequester.wsdl",
            axum::routing::get(crate::protocol::soap::wsdl::latest),
        )
        .route(
            "/AWSMechanicalTurk/{version}/AWSMechanicalTurkRequester.wsdl",
            axum::routing::get(crate::protocol::soap::wsdl::versioned),
        )
        .nest("/_local", crate::control::router(state.clone()))
        .merge(crate::control::external_submit_router(state.clone()))
        .merge(crate::web::router(&state))
        .route("/_files/{token}", axum::routing::get(crate::control::download_file));
    if state.settings.server.canned_route {
        router = router.route("/_bench/canned", any(canned));
    }
    router.with_state(state)
}

/// How long `GET /health` waits for the store before it answers 503.
const HEALTH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// `GET /health`, on every address and outside the control plane's guard:
/// 200 `{"Status": "ok", "Storage": …}` when the store answers a trivial
/// query within two seconds, else 503 `{"Status": "unavailable", …}`. It
/// says nothing else (no version, no address, no error text).
async fn health(State(state): State<AppState>) -> Response {
    use axum::response::IntoResponse as _;
    let storage = state.store.backend();
    let answered = tokio::time::timeout(HEALTH_TIMEOUT, crate::ops::local::ping(state.store.as_ref())).await;
    let (status, word) = match answered {
        Ok(Ok(())) => (axum::http::StatusCode::OK, "ok"),
        Ok(Err(err)) => {
            tracing::warn!(error = ?err, "health check: the store did not answer");
            (axum::http::StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
        Err(_) => {
            tracing::warn!("health check: the store did not answer within {HEALTH_TIMEOUT:?}");
            (axum::http::StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
    };
    let body = serde_json::json!({ "Status": word, "Storage": storage });
    (status, [(axum::http::header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response()
}

/// The benchmark's baseline: the same HTTP stack and response headers as the
/// legacy API, a fixed envelope, no authentication, no storage.
async fn canned() -> Response {
    legacy_xml::xml_response(CANNED.to_owned())
}

const CANNED: &str = "<?xml version=\"1.0\"?>\n<GetAccountBalanceResponse><OperationRequest><RequestId>\
    00000000-0000-4000-8000-000000000000</RequestId></OperationRequest><GetAccountBalanceResult><Request><IsValid>True\
    </IsValid></Request><AvailableBalance><Amount>10000.00</Amount><CurrencyCode>USD</CurrencyCode><FormattedPrice>\
    $10000.00</FormattedPrice></AvailableBalance></GetAccountBalanceResult></GetAccountBalanceResponse>";

/// `/` serves every API: requests with `X-Amz-Target` are the JSON API
/// (modern-api.md §1.3); a `text/xml` body with a `SOAPAction` header is the
/// SOAP face (Amazon's Java SDK posts its envelopes to
/// `/?Service=AWSMechanicalTurkRequester`, its `service_url`); all others the
/// legacy REST API.
async fn root(state: State<AppState>, method: Method, uri: Uri, headers: HeaderMap, body: Body) -> Response {
    if headers.contains_key("x-amz-target") {
        return crate::protocol::json::handle(state.0, method, uri, headers, body).await;
    }
    if crate::protocol::soap::is_soap(&headers) {
        return crate::protocol::soap::handle(state, method, uri, headers, body).await;
    }
    legacy_xml::handle(state, method, uri, headers, body).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
