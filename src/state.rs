//! Shared application state handed to every request handler, and the
//! per-request operation contexts built from it.

use std::sync::Arc;

use crate::auth::Credentials;
use crate::config::Settings;
use crate::domain::clock::{Clock, VirtualClock};
use crate::domain::ids::{IdSource, RequesterId};
use crate::ops::requests::WorkerCtx;
use crate::ops::{Ctx, Policy};
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

/// Everything handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
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
        }
    }

    /// The context for a simulated worker's action, at the virtual now.
    #[must_use]
    pub fn worker_ctx(&self) -> WorkerCtx {
        WorkerCtx { store: Arc::clone(&self.store), now: self.clock.now(), ids: Arc::clone(&self.ids) }
    }
}
