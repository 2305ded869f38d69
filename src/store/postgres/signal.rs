//! How the PostgreSQL stores on one database tell each other that the rows
//! they keep in memory (the virtual clock's offset, the qualification
//! types) have changed: PostgreSQL's `LISTEN` / `NOTIFY`, on [`CHANNEL`].
//!
//! Every store listens on a connection of its own, named
//! `mturk-local/<instance>` (`application_name`). A store that changed those
//! rows, once the change is committed:
//!
//! 1. reads which listeners are connected to the database
//!    (`pg_stat_activity`),
//! 2. sends `<instance>:<n>` on the channel,
//! 3. and returns only when every one of those listeners has answered
//!    `ack:<instance>:<n>:<its instance>` (or after [`ACK_WAIT`]).
//!
//! A listener answers after it has dropped its store's cache, so when the
//! change's caller hears back, every other instance will read the new rows
//! on its next request. An instance whose listener is down keeps nothing in
//! memory (it reads the rows every time) until it listens again.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};

use super::pool::Pool;

/// The notification channel.
pub const CHANNEL: &str = "mturk_local_shared";

/// What a listener connection's `application_name` starts with.
const LISTENER_NAME: &str = "mturk-local/";

/// How long a change waits for the other instances' answers, at most.
const ACK_WAIT: Duration = Duration::from_secs(2);

/// What a store shares with its listener task.
#[derive(Debug)]
pub struct Signal {
    /// Bumped by every change notification, by this store's own changes,
    /// and whenever the listener connects or loses its connection.
    generation: AtomicU64,
    /// Whether the listener is listening (without it there is no cache).
    listening: AtomicBool,
    /// This store's name, unique among the stores on the database.
    instance: String,
    /// The number of this store's last change notification.
    sent: AtomicU64,
    /// The listeners that answered each of this store's notifications
    /// still waited for.
    acks: Mutex<HashMap<u64, HashSet<String>>>,
    /// Woken when an answer to this store arrives.
    acked: tokio::sync::Notify,
}

impl Signal {
    pub fn new() -> Self {
        static STORES: AtomicU64 = AtomicU64::new(0);
        // Unique among the stores on one database: several processes may share
        // a pid namespace's numbers across machines, so a random part too.
        let salt: u64 = rand::random();
        Self {
            generation: AtomicU64::new(0),
            listening: AtomicBool::new(false),
            instance: format!("{}-{}-{salt:016x}", std::process::id(), STORES.fetch_add(1, Ordering::Relaxed)),
            sent: AtomicU64::new(0),
            acks: Mutex::new(HashMap::new()),
            acked: tokio::sync::Notify::new(),
        }
    }

    /// The generation, while listening.
    pub fn generation(&self) -> Option<u64> {
        self.listening.load(Ordering::SeqCst).then(|| self.generation.load(Ordering::SeqCst))
    }

    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    fn bump(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    fn acks(&self) -> std::sync::MutexGuard<'_, HashMap<u64, HashSet<String>>> {
        self.acks.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// After this store committed a change: forget the cache here, tell the
    /// other stores, and wait until each listening one has forgotten its.
    pub async fn announce(&self, pool: &Pool) {
        self.bump();
        let n = self.sent.fetch_add(1, Ordering::SeqCst) + 1;
        self.acks().insert(n, HashSet::new());
        let listeners = match send(pool, &format!("{}:{n}", self.instance)).await {
            Ok(listeners) => listeners,
            Err(e) => {
                tracing::error!(error = %e, "cannot notify the other instances of a change");
                self.acks().remove(&n);
                return;
            }
        };
        let all_answered = async {
            loop {
                let woken = self.acked.notified();
                let answered = self.acks().get(&n).is_some_and(|got| listeners.iter().all(|l| got.contains(l)));
                if answered {
                    return;
                }
                woken.await;
            }
        };
        if tokio::time::timeout(ACK_WAIT, all_answered).await.is_err() {
            tracing::warn!(
                "not every instance acknowledged a change of the clock or the types within {ACK_WAIT:?}; \
                 one may serve the old rows for a moment"
            );
        }
        self.acks().remove(&n);
    }

    /// A notification arrived on the listener. Returns the answer to send,
    /// for a change notification.
    fn received(&self, payload: &str) -> Option<String> {
        if let Some(ack) = payload.strip_prefix("ack:") {
            // `ack:<changer>:<n>:<listener>`: ours, if we are the changer.
            let mut parts = ack.splitn(3, ':');
            let (Some(changer), Some(n), Some(listener)) = (parts.next(), parts.next(), parts.next()) else {
                return None;
            };
            if changer == self.instance {
                if let Ok(n) = n.parse::<u64>() {
                    if let Some(got) = self.acks().get_mut(&n) {
                        got.insert(listener.to_owned());
                    }
                }
                self.acked.notify_waiters();
            }
            return None;
        }
        // `<changer>:<n>`: forget the cache, then say so.
        self.bump();
        Some(format!("ack:{payload}:{}", self.instance))
    }
}

/// Reads the listening instances, then sends `payload`; returns the
/// instances, whose answers the change waits for.
async fn send(pool: &Pool, payload: &str) -> sqlx::Result<Vec<String>> {
    let mut lease = pool.acquire().await?;
    let conn = lease.start()?;
    let listeners: Vec<String> = sqlx::query_scalar(
        "SELECT substr(application_name, length($1) + 1) FROM pg_stat_activity \
         WHERE datname = current_database() AND starts_with(application_name, $1)",
    )
    .bind(LISTENER_NAME)
    .fetch_all(&mut *conn)
    .await?;
    let sent = sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(payload).execute(&mut *conn).await;
    lease.finished(&sent);
    sent?;
    Ok(listeners)
}

/// Keeps a connection listening on [`CHANNEL`] for `signal`'s store,
/// reconnecting when it is lost.
pub async fn listen(options: PgConnectOptions, signal: std::sync::Arc<Signal>) {
    let mut retry = Duration::from_millis(50);
    loop {
        match open_listener(&options, &signal.instance).await {
            Ok(mut listener) => {
                retry = Duration::from_millis(50);
                // Listening now: whatever changed before is read again.
                signal.bump();
                signal.listening.store(true, Ordering::SeqCst);
                let lost = loop {
                    let answer = match listener.try_recv().await {
                        Ok(Some(n)) => signal.received(n.payload()),
                        Ok(None) => break "the connection was closed".to_owned(),
                        Err(e) => break e.to_string(),
                    };
                    if let Some(answer) = answer {
                        let sent = sqlx::query("SELECT pg_notify($1, $2)")
                            .bind(CHANNEL)
                            .bind(&answer)
                            .execute(&mut listener)
                            .await;
                        if let Err(e) = sent {
                            break e.to_string();
                        }
                    }
                };
                signal.listening.store(false, Ordering::SeqCst);
                signal.bump();
                tracing::warn!(
                    error = %lost,
                    "lost the PostgreSQL change listener; reading the clock and types on every request until it is back"
                );
            }
            Err(e) => tracing::warn!(error = %e, "cannot listen for PostgreSQL change notifications"),
        }
        tokio::time::sleep(retry).await;
        retry = (retry * 2).min(Duration::from_secs(5));
    }
}

async fn open_listener(options: &PgConnectOptions, instance: &str) -> sqlx::Result<PgListener> {
    // PgListener keeps its connection in a pool of one.
    let named = options.clone().application_name(&format!("{LISTENER_NAME}{instance}"));
    let pool = PgPoolOptions::new().max_connections(1).connect_lazy_with(named);
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}
