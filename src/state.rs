//! Shared application state handed to every request handler, and the
//! per-request operation contexts built from it.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use crate::auth::Credentials;
use crate::config::{AuthMode, Settings};
use crate::domain::clock::{Clock, VirtualClock};
use crate::domain::ids::{IdSource, RequesterId};
use crate::error::{MturkError, Result};
use crate::faults::Faults;
use crate::ops::{Ctx, Policy, WorkerCtx};
use crate::store::Store;

/// Who may use the `/_local` control plane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlAccess {
    /// Anyone who can connect (the default on loopback).
    Open,
    /// Requests bearing this token.
    Token(String),
    /// Nobody (non-loopback address and no token configured).
    Off,
}

/// Everything handlers share. Cloned for every request (axum's `State`), so
/// it is one `Arc`; the fields are on [`AppStateInner`], reached through `Deref`.
#[derive(Debug, Clone)]
pub struct AppState(Arc<AppStateInner>);

impl AppState {
    /// Wraps the shared state.
    #[must_use]
    pub fn new(inner: AppStateInner) -> Self {
        Self(Arc::new(inner))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppStateInner;

    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

/// The fields of [`AppState`].
#[derive(Debug)]
pub struct AppStateInner {
    /// Persistence.
    pub store: Arc<dyn Store>,
    /// The virtual clock behind every API timestamp.
    pub clock: Arc<VirtualClock>,
    /// Real time, for signature windows only.
    pub wall: Arc<dyn Clock>,
    /// Id source.
    pub ids: Arc<dyn IdSource>,
    /// Configured requesters' secrets.
    pub credentials: Arc<Credentials>,
    /// Configured service rules.
    pub policy: Arc<Policy>,
    /// All settings.
    pub settings: Arc<Settings>,
    /// Configured requesters with their starting balances in cents (for reset).
    pub accounts: Arc<Vec<(RequesterId, i64)>>,
    /// Control-plane access rule.
    pub control: ControlAccess,
    /// Starting balance of requesters created on first use (open auth mode), in cents.
    pub default_balance_cents: i64,
    /// Access keys known to have an account row (open auth mode).
    pub known_accounts: Arc<Mutex<HashSet<String>>>,
    /// The fault rules of `/_local/faults` (this instance's memory only).
    pub faults: Arc<Faults>,
    /// The address the listener is bound to (port 0 resolved).
    pub local_addr: std::net::SocketAddr,
}

impl AppState {
    /// The operation context for an authenticated requester, at the virtual now.
    #[must_use]
    pub fn ctx(&self, caller: RequesterId) -> Ctx {
        Ctx {
            store: Arc::clone(&self.store),
            now: self.clock.now(),
            ids: Arc::clone(&self.ids),
            caller,
            policy: Arc::clone(&self.policy),
            origin: None,
        }
    }

    /// `http://host:port` as the caller reached this server, for addresses in
    /// answers: `X-Forwarded-Host` (with `X-Forwarded-Proto`) when a proxy
    /// set it, else the `Host` header. A `Host` without a port gets the
    /// listener's port (boto 2 leaves the port out of `Host`), unless that
    /// is 80; without any header, the listener's own address.
    #[must_use]
    pub fn origin(&self, headers: &axum::http::HeaderMap) -> String {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).filter(|v| !v.is_empty());
        if let Some(forwarded) = header("x-forwarded-host") {
            let scheme = match header("x-forwarded-proto") {
                Some("https") => "https",
                _ => "http",
            };
            return format!("{scheme}://{forwarded}");
        }
        let port = self.local_addr.port();
        match header("host") {
            // A port after the host (an IPv6 literal ends in `]` when it has none).
            Some(host)
                if host.rsplit_once(':').is_some_and(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
                    && !host.ends_with(']') =>
            {
                format!("http://{host}")
            }
            Some(host) if port == 80 => format!("http://{host}"),
            Some(host) => format!("http://{host}:{port}"),
            None => format!("http://{}", self.local_addr),
        }
    }

    /// Re-reads the virtual clock's offset from the store, so that a clock
    /// moved through another instance sharing the database applies here at
    /// once (one indexed single-row read per request).
    pub async fn sync_clock(&self) -> Result<()> {
        let offset = self.store.clock_offset().await.map_err(MturkError::internal)?;
        self.clock.set_offset_ms(offset);
        Ok(())
    }

    /// Makes sure an authenticated caller has an account. Configured
    /// requesters always do; in the open auth mode any access key may appear,
    /// and gets a fresh account with the default balance on first use.
    pub async fn ensure_account(&self, caller: &RequesterId) -> Result<()> {
        if self.settings.auth.mode == AuthMode::Strict {
            return Ok(());
        }
        let known = |set: &Mutex<HashSet<String>>| {
            set.lock().unwrap_or_else(std::sync::PoisonError::into_inner).contains(caller.as_str())
        };
        if known(&self.known_accounts) {
            return Ok(());
        }
        self.store
            .ensure_requesters(&[(caller.clone(), self.default_balance_cents)], self.wall.now())
            .await
            .map_err(MturkError::internal)?;
        self.known_accounts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(caller.as_str().to_owned());
        Ok(())
    }

    /// Moves a seeded id sequence to a fresh epoch taken from the store (no-op
    /// without `service.id_seed`). For a restored snapshot: its rows may hold
    /// ids of the current sequence minted before a reset, which the counter
    /// would reach again; a fresh epoch never mints a stored id, and the epochs
    /// a run takes follow its calls, so runs still repeat.
    pub async fn fresh_id_epoch(&self) -> Result<()> {
        if self.settings.service.id_seed().is_none() {
            return Ok(());
        }
        let epoch = self.store.take_id_epoch().await.map_err(MturkError::internal)?;
        let epoch = u64::try_from(epoch)
            .map_err(|_| MturkError::internal(anyhow::anyhow!("the stored id epoch {epoch} is negative")))?;
        self.ids.restart(epoch);
        Ok(())
    }

    /// The context for a simulated worker's action, at the virtual now.
    #[must_use]
    pub fn worker_ctx(&self) -> WorkerCtx {
        WorkerCtx {
            store: Arc::clone(&self.store),
            now: self.clock.now(),
            ids: Arc::clone(&self.ids),
            policy: Arc::clone(&self.policy),
        }
    }
}
