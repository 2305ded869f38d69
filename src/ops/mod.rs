//! Operations: one async function per domain action, shared by every front
//! end. Legacy `RevokeQualification`, JSON `DisassociateQualificationFromWorker`
//! and the control plane all call the same function here. Operations take a
//! [`Ctx`] (who is calling, what time it is, where ids and data come from) and
//! domain inputs, and return domain outputs or an [`MturkError`].

pub mod account;
pub mod assignments;
pub mod batches;
pub mod files;
pub mod fixtures;
pub mod help;
pub mod hits;
pub mod local;
pub mod marketplace;
pub mod notifications;
pub mod qualifications;
pub mod requests;
pub mod review;
pub mod statistics;
pub mod workers;

use std::sync::Arc;

use crate::domain::ids::{IdSource, RequesterId};
use crate::domain::time::Timestamp;
use crate::error::MturkError;
use crate::store::{Store, StoreError};

/// Service rules that come from configuration rather than the protocol.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Seconds between DisposeQualificationType and the disposal completing
    /// (the real service took up to 48 hours). Default: 0, immediate.
    pub dispose_delay_secs: i64,
    /// Starting balance in cents of a requester without a configured one.
    pub default_balance_cents: i64,
    /// Configured starting balances in cents, by access key id.
    pub starting_balances: std::collections::HashMap<String, i64>,
}

impl Policy {
    /// The starting balance of `requester`.
    #[must_use]
    pub fn starting_balance(&self, requester: &RequesterId) -> i64 {
        self.starting_balances.get(requester.as_str()).copied().unwrap_or(self.default_balance_cents)
    }
}

/// Everything an operation needs besides its input.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Where state lives.
    pub store: Arc<dyn Store>,
    /// The virtual clock's reading for this request.
    pub now: Timestamp,
    /// Where new ids come from.
    pub ids: Arc<dyn IdSource>,
    /// The authenticated requester.
    pub caller: RequesterId,
    /// Configured rules.
    pub policy: Arc<Policy>,
    /// `http://` and the `Host` the caller reached this server by, for the
    /// addresses an answer hands out (GetFileUploadURL); `None` outside a request.
    pub origin: Option<String>,
}

impl Ctx {
    /// What settling needs of this context (no requester is calling then).
    #[must_use]
    pub(crate) fn worker(&self) -> WorkerCtx {
        WorkerCtx { store: self.store.clone(), now: self.now, ids: self.ids.clone(), policy: self.policy.clone() }
    }
}

/// `now` plus `seconds`, or a clear error when the result would fall after
/// 9999-12-31 (see [`Timestamp::LATEST`]); `what` names the instant.
pub(crate) fn later(now: Timestamp, seconds: i64, what: &str) -> crate::error::Result<Timestamp> {
    now.checked_plus_seconds(seconds).ok_or_else(|| {
        crate::mturk_error!(
            ParameterOutOfRange,
            "The {what} would fall after 9999-12-31T23:59:59Z, the latest time the service keeps."
        )
    })
}

/// What a worker-side operation needs: no requester is calling.
#[derive(Debug, Clone)]
pub struct WorkerCtx {
    /// Where state lives.
    pub store: Arc<dyn Store>,
    /// The virtual clock's reading.
    pub now: Timestamp,
    /// Where new ids come from.
    pub ids: Arc<dyn IdSource>,
    /// Configured rules (review policies act as the HIT's owner, under them).
    pub policy: Arc<Policy>,
}

/// Maps unexpected store failures to an internal error (logged at the edge).
pub(crate) fn internal(err: StoreError) -> MturkError {
    MturkError::internal(err)
}

/// Settles what time has made due (on every read of HITs, assignments or
/// money, so it happens exactly when the clock passes): automatic
/// approvals, then the HIT-level review policies of HITs that have become
/// Reviewable and were not reviewed as they stand: expired (by the clock,
/// `UpdateExpirationForHIT` or `ForceExpireHIT`, or with their last worker
/// giving up after the expiry), or filled by a submission whose own run of
/// the policy did not happen. Each use case settles once, at its start;
/// the helpers it calls after that (`load_*`, [`account::ensure_account`])
/// do not settle again.
pub(crate) async fn settle(w: &WorkerCtx) -> crate::error::Result<()> {
    w.store.settle_auto_approvals(w.now).await.map_err(internal)?;
    review::review_due_hits(w).await
}
