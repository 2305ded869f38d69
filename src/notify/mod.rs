//! The notification dispatcher: a background task that delivers the events
//! of the outbox (see [`crate::store::notifications`]).
//!
//! It wakes when a commit wrote events, and every `poll_interval_ms` besides
//! (retries coming due, clock-driven events, events written by other
//! instances, and events left undelivered by a crash or a restart). Each
//! round it claims the due deliveries with a lease, sends each destination's
//! deliveries in order (one destination's failure stops only that
//! destination until its retry), and records every attempt. Delivery is at
//! least once: an instance that dies after sending and before recording
//! leaves the delivery to be sent again, with the same `EventDocId`, when
//! its lease runs out. Retries wait `backoff_initial_ms`, doubling up to
//! `backoff_max_ms`, in wall time; after `max_attempts` the delivery is
//! `Failed`.

pub mod payload;
pub mod transport;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::domain::notification::ClaimedDelivery;
use crate::domain::time::Timestamp;
use crate::state::AppState;
use crate::store::notifications::DeliveryOutcome;

use transport::Senders;

/// How long a dispatcher woken by new events waits for more before claiming.
const COALESCE: Duration = Duration::from_millis(10);

/// Deliveries claimed per round at most.
const CLAIM_BATCH: i64 = 200;

/// Dispatchers started in this process (tells two apart in the claims' owner).
static STARTED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A running dispatcher; stops when dropped or with [`Dispatcher::stop`].
#[derive(Debug)]
pub struct Dispatcher {
    task: tokio::task::JoinHandle<()>,
}

impl Dispatcher {
    /// Starts the dispatcher of `state`'s store.
    ///
    /// # Errors
    /// Bad `[notifications]` settings (the SMTP URL).
    pub fn start(state: AppState) -> anyhow::Result<Self> {
        let senders = Arc::new(Senders::new(&state.settings.notifications)?);
        // Names this dispatcher's claims: the address, the process and the start instant tell
        // instances apart (on one machine, in containers with one pid, or restarted).
        let owner = format!(
            "{}-{}-{}-{}",
            state.local_addr,
            std::process::id(),
            state.wall.now().millis(),
            STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let task = tokio::spawn(run(state, senders, owner));
        Ok(Self { task })
    }

    /// Stops it (a delivery in flight is abandoned; its lease runs out).
    pub fn stop(&self) {
        self.task.abort();
    }
}

impl Drop for Dispatcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn run(state: AppState, senders: Arc<Senders>, owner: String) {
    let settings = state.settings.notifications.clone();
    let poll = Duration::from_millis(u64::try_from(settings.poll_interval_ms).unwrap_or(1000));
    let signal = state.store.events_signal();
    let mut next_settle = tokio::time::Instant::now();
    loop {
        // Clock-driven work (deadlines, expirations, automatic approvals) is
        // looked for once per poll interval, whether or not requests come.
        if tokio::time::Instant::now() >= next_settle {
            next_settle = tokio::time::Instant::now() + poll;
            let w = state.worker_ctx();
            // Only where some HIT type sends notifications: elsewhere nothing is
            // waiting to be noticed, and requests settle as they always did.
            match state.store.any_active_notifications().await {
                Ok(true) => {
                    if let Err(e) = crate::ops::settle(&w).await {
                        tracing::warn!(error = %e, "notification dispatcher: settling failed");
                    }
                    if let Err(e) = crate::ops::notifications::settle_timed(&w).await {
                        tracing::warn!(error = %e, "notification dispatcher: clock-driven events failed");
                    }
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "notification dispatcher: reading the settings failed"),
            }
        }
        let claimed = round(&state, &senders, &owner).await;
        if claimed >= usize::try_from(CLAIM_BATCH).unwrap_or(usize::MAX) {
            // More may be waiting: go on at once.
            continue;
        }
        let wait = next_settle.saturating_duration_since(tokio::time::Instant::now());
        tokio::select! {
            () = signal.notified() => {
                // Let the events of requests arriving together come in, and claim them in one
                // round: fewer, larger rounds cost the store's writer less.
                tokio::time::sleep(COALESCE).await;
            }
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// One round: claims, sends, records. Returns how many were claimed.
async fn round(state: &AppState, senders: &Senders, owner: &str) -> usize {
    let settings = &state.settings.notifications;
    let lease_ms = settings.lease_secs.saturating_mul(1000);
    let claimed = match state.store.claim_deliveries(owner, state.wall.now(), lease_ms, CLAIM_BATCH).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "notification dispatcher: claiming deliveries failed");
            return 0;
        }
    };
    let count = claimed.len();
    if count == 0 {
        return 0;
    }
    // Each destination's deliveries in order; destinations side by side.
    let mut by_destination: BTreeMap<(String, String), Vec<ClaimedDelivery>> = BTreeMap::new();
    for c in claimed {
        let key = (c.delivery.transport.as_str().to_owned(), c.delivery.destination.clone());
        by_destination.entry(key).or_default().push(c);
    }
    let lanes = by_destination.into_values().map(|lane| deliver_lane(state, senders, owner, lane));
    futures_util::future::join_all(lanes).await;
    count
}

/// Sends one destination's claimed deliveries in order, stopping at the
/// first failure (the rest are released, to go after it), and records the
/// outcomes in one transaction.
async fn deliver_lane(state: &AppState, senders: &Senders, owner: &str, lane: Vec<ClaimedDelivery>) {
    let settings = &state.settings.notifications;
    let mut stopped = false;
    let mut outcomes = Vec::with_capacity(lane.len());
    // Past half the lease, the rest go back unsent: their claim must not run out
    // while they wait here (another instance would take them).
    let deadline = std::time::Instant::now()
        + Duration::from_millis(u64::try_from(settings.lease_secs.saturating_mul(500)).unwrap_or(15_000));
    let size = lane.first().map_or(1, |c| Senders::batch_size(c.delivery.transport));
    for run in lane.chunks(size) {
        if std::time::Instant::now() >= deadline {
            stopped = true;
        }
        if stopped {
            outcomes.extend(run.iter().map(|c| (c.delivery.seq, DeliveryOutcome::Released)));
            continue;
        }
        let requester = run[0].event.requester.as_str();
        let secret = state.credentials.secret(requester).map(|s| s.expose().to_vec());
        match senders.send_many(run, secret.as_deref(), state.wall.now()).await {
            Ok(()) => outcomes.extend(run.iter().map(|c| (c.delivery.seq, DeliveryOutcome::Delivered))),
            Err(error) => {
                stopped = true;
                for c in run {
                    let attempt = c.delivery.attempts + 1;
                    tracing::info!(
                        event = %c.event.id,
                        destination = %c.delivery.destination,
                        attempt,
                        error = %error,
                        "notification delivery failed"
                    );
                    let outcome = if attempt >= settings.max_attempts {
                        DeliveryOutcome::Failed { error: error.clone() }
                    } else {
                        let wait = backoff_ms(settings.backoff_initial_ms, settings.backoff_max_ms, attempt);
                        let next_attempt_at = Timestamp::from_millis(state.wall.now().millis().saturating_add(wait));
                        DeliveryOutcome::Retry { error: error.clone(), next_attempt_at }
                    };
                    outcomes.push((c.delivery.seq, outcome));
                }
            }
        }
    }
    match state.store.finish_deliveries(owner, &outcomes, state.wall.now()).await {
        Ok(n) if n < outcomes.len() as u64 => {
            tracing::info!(lost = outcomes.len() as u64 - n, "notification deliveries' claims were lost meanwhile");
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "notification dispatcher: recording deliveries failed"),
    }
}

/// The wait before attempt `attempt + 1`: `initial`, doubled per attempt
/// made after the first, at most `max`.
#[must_use]
pub fn backoff_ms(initial: i64, max: i64, attempt: i64) -> i64 {
    let doublings = u32::try_from((attempt - 1).clamp(0, 40)).unwrap_or(40);
    initial.saturating_mul(1_i64 << doublings).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        assert_eq!(backoff_ms(500, 60_000, 1), 500);
        assert_eq!(backoff_ms(500, 60_000, 2), 1000);
        assert_eq!(backoff_ms(500, 60_000, 4), 4000);
        assert_eq!(backoff_ms(500, 60_000, 30), 60_000);
    }
}
