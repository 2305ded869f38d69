//! The SQL of [`super::notifications::NotificationStore`] and the helpers
//! that write events inside the transactions of `hit_sql` and `files`.
//!
//! An event is written only when the HIT's type has an active setting that
//! names its type: the `INSERT … SELECT` joins `notification_settings`, so a
//! HIT type without one costs one statement that finds nothing. Its delivery
//! row goes in with it, to the setting's destination as it is at that moment.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, LazyLock};

use async_trait::async_trait;

use super::db::{args, stored_row, Arg, Backend, Exec, Writer as _};
use super::notifications::{DeliveryOutcome, NotificationStore};
use super::sql_store::{Key, PagedQuery, SqlStore};
use super::{Page, Paged, StoreError, StoreResult};
use crate::domain::ids::RequesterId;
use crate::domain::notification::{
    ClaimedDelivery, Delivery, DeliveryStatus, Event, EventFilter, EventRecord, EventType, NotificationSetting,
    NotificationSpec, Transport,
};
use crate::domain::time::Timestamp;

/// The `seq` of a new event and its delivery: larger than every one
/// before it on this database (PostgreSQL: a sequence, so concurrent
/// writers never take one number; SQLite: its one writer makes MAX + 1 safe).
async fn next_seq<B: Backend>(tx: &mut impl Exec) -> StoreResult<i64> {
    tx.fetch_one::<i64>(B::NEXT_EVENT_SEQ, args![]).await
}

/// The `EventDocId` of event number `seq`: UUID-shaped, from a hash of what
/// the event is and its number (unique, since the number is).
fn event_doc_id(seq: i64, kind: EventType, hit_id: &str, assignment: Option<&str>, at: Timestamp) -> String {
    use sha2::{Digest as _, Sha256};
    let mut hash = Sha256::new();
    hash.update(seq.to_be_bytes());
    hash.update(kind.as_str());
    hash.update([0]);
    hash.update(hit_id);
    hash.update([0]);
    hash.update(assignment.unwrap_or_default());
    hash.update(at.millis().to_be_bytes());
    let h = hex::encode(&hash.finalize()[..16]);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// The comma-framed list stored in `notification_settings.event_types`.
fn encode_types(types: &[EventType]) -> String {
    let mut out = String::from(",");
    for t in types {
        out.push_str(t.as_str());
        out.push(',');
    }
    out
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Other(anyhow::anyhow!("corrupt {what} in the store: {value:?}"))
}

/// Records a `kind` event of HIT `hit_id` (and `assignment`) at `at`, with
/// its delivery, when the HIT's type has an active setting that sends it.
/// With `dedup`, an event already recorded under that key is not recorded
/// again. True when it was recorded.
pub(super) async fn emit_for_hit<B: Backend>(
    tx: &mut impl Exec,
    kind: EventType,
    hit_id: &str,
    assignment: Option<&str>,
    at: Timestamp,
    dedup: Option<&str>,
) -> StoreResult<bool> {
    let pattern = format!("%,{},%", kind.as_str());
    // The one statement a HIT type without a setting costs.
    let wanted = tx
        .fetch_optional::<(String, String, String, String)>(
            "SELECT h.owner, h.hit_type_id, s.transport, s.destination FROM hits h \
             JOIN notification_settings s ON s.hit_type_id = h.hit_type_id \
             WHERE h.id = $1 AND s.active = 1 AND s.event_types LIKE $2",
            args![hit_id, pattern.as_str()],
        )
        .await?;
    let Some((owner, hit_type, _, _)) = wanted else { return Ok(false) };
    let seq = next_seq::<B>(tx).await?;
    let id = event_doc_id(seq, kind, hit_id, assignment, at);
    let written = tx
        .execute(
            "INSERT INTO events (id, seq, requester, hit_type_id, hit_id, assignment_id, event_type, event_time, \
             dedup_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
            args![
                id.as_str(),
                seq,
                owner.as_str(),
                hit_type.as_str(),
                hit_id,
                assignment,
                kind.as_str(),
                at.millis(),
                dedup
            ],
        )
        .await?;
    if written == 0 {
        return Ok(false);
    }
    tx.execute(
        "INSERT INTO event_deliveries (seq, event_id, transport, destination, version, status, attempts, \
         next_attempt_at) SELECT $1, $2, s.transport, s.destination, s.version, 'Pending', 0, 0 \
         FROM notification_settings s WHERE s.hit_type_id = $3",
        args![seq, id.as_str(), hit_type.as_str()],
    )
    .await?;
    Ok(true)
}

/// [`emit_for_hit`] for an assignment's event.
pub(super) async fn emit_for_assignment<B: Backend>(
    tx: &mut impl Exec,
    kind: EventType,
    assignment_id: &str,
    at: Timestamp,
) -> StoreResult<bool> {
    let hit = tx.fetch_optional::<String>("SELECT hit_id FROM assignments WHERE id = $1", args![assignment_id]).await?;
    match hit {
        Some(hit) => emit_for_hit::<B>(tx, kind, &hit, Some(assignment_id), at, None).await,
        None => Ok(false),
    }
}

/// Records HITReviewable at `at` when HIT `hit_id` is Reviewable at `now`
/// (as `Hit::status` tells it: not marked Reviewing, nothing in progress,
/// and expired or every slot taken by submitted work) and its type sends
/// it. Once per (expiration, MaxAssignments): the HIT only becomes
/// assignable again, and later Reviewable again, through one of them changing.
pub(super) async fn emit_if_reviewable<B: Backend>(
    tx: &mut impl Exec,
    hit_id: &str,
    now: Timestamp,
    at: Timestamp,
) -> StoreResult<bool> {
    // Whether the HIT's type sends it at all, first: the state's check counts the HIT's work.
    let wanted = tx
        .fetch_optional::<i64>(
            "SELECT h.max_assignments FROM hits h JOIN notification_settings s ON s.hit_type_id = h.hit_type_id \
             WHERE h.id = $1 AND s.active = 1 AND s.event_types LIKE '%,HITReviewable,%'",
            args![hit_id],
        )
        .await?;
    if wanted.is_none() {
        return Ok(false);
    }
    let found = tx
        .fetch_optional::<(i64, i64, i64, i64)>(
            "SELECT h.expiration, h.max_assignments, h.reviewing, h.disposed FROM hits h \
             JOIN notification_settings s ON s.hit_type_id = h.hit_type_id \
             WHERE h.id = $1 AND s.active = 1 AND s.event_types LIKE '%,HITReviewable,%' \
             AND h.reviewing = 0 AND h.disposed = 0 \
             AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.hit_id = h.id \
                 AND a.status = 'Accepted' AND a.deadline >= $2) \
             AND (h.expiration <= $2 OR h.max_assignments <= (SELECT COUNT(*) FROM assignments a \
                 WHERE a.hit_id = h.id AND a.status IN ('Submitted', 'Approved', 'Rejected')))",
            args![hit_id, now.millis()],
        )
        .await?;
    let Some((expiration, max, _, _)) = found else { return Ok(false) };
    let key = format!("HITReviewable:{hit_id}:{expiration}:{max}");
    emit_for_hit::<B>(tx, EventType::HitReviewable, hit_id, None, at, Some(&key)).await
}

/// Records HITExpired for HIT `hit_id` expiring at `expiration`, once per
/// expiration (the API call that expires it and the clock may both see it).
pub(super) async fn emit_expired<B: Backend>(
    tx: &mut impl Exec,
    hit_id: &str,
    expiration: Timestamp,
) -> StoreResult<bool> {
    let key = format!("HITExpired:{hit_id}:{}", expiration.millis());
    emit_for_hit::<B>(tx, EventType::HitExpired, hit_id, None, expiration, Some(&key)).await
}

stored_row! {
    struct SettingRow {
        hit_type_id: String,
        destination: String,
        transport: String,
        version: String,
        event_types: String,
        active: i64,
    }
}

impl TryFrom<SettingRow> for NotificationSetting {
    type Error = StoreError;

    fn try_from(r: SettingRow) -> Result<Self, StoreError> {
        let transport = Transport::parse(&r.transport).ok_or_else(|| corrupt("transport", &r.transport))?;
        let event_types = r
            .event_types
            .split(',')
            .filter(|t| !t.is_empty())
            .map(|t| EventType::parse(t).ok_or_else(|| corrupt("event type", t)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            hit_type_id: r.hit_type_id,
            spec: NotificationSpec { destination: r.destination, transport, version: r.version, event_types },
            active: r.active == 1,
        })
    }
}

stored_row! {
    struct EventRow {
        id: String,
        requester: String,
        event_type: String,
        event_time: i64,
        hit_type_id: String,
        hit_id: String,
        assignment_id: Option<String>,
    }
}

/// Columns of `events` in `EventRow` order, table alias `e`.
const EVENT_COLUMNS: &str =
    "e.id AS id, e.requester AS requester, e.event_type AS event_type, e.event_time AS event_time, \
     e.hit_type_id AS hit_type_id, e.hit_id AS hit_id, e.assignment_id AS assignment_id";

impl TryFrom<EventRow> for Event {
    type Error = StoreError;

    fn try_from(r: EventRow) -> Result<Self, StoreError> {
        Ok(Self {
            event_type: EventType::parse(&r.event_type).ok_or_else(|| corrupt("event type", &r.event_type))?,
            id: r.id,
            requester: RequesterId::from_stored(r.requester),
            time: Timestamp::from_millis(r.event_time),
            hit_type_id: r.hit_type_id,
            hit_id: r.hit_id,
            assignment_id: r.assignment_id,
        })
    }
}

stored_row! {
    struct DeliveryRow {
        seq: i64,
        event_id: String,
        transport: String,
        destination: String,
        version: String,
        status: String,
        attempts: i64,
        last_error: Option<String>,
        finished_at: Option<i64>,
    }
}

/// Columns of `event_deliveries` in `DeliveryRow` order, table alias `d`.
const DELIVERY_COLUMNS: &str = "d.seq AS seq, d.event_id AS event_id, d.transport AS transport, \
     d.destination AS destination, d.version AS version, d.status AS status, d.attempts AS attempts, \
     d.last_error AS last_error, d.finished_at AS finished_at";

impl TryFrom<DeliveryRow> for Delivery {
    type Error = StoreError;

    fn try_from(r: DeliveryRow) -> Result<Self, StoreError> {
        Ok(Self {
            transport: Transport::parse(&r.transport).ok_or_else(|| corrupt("transport", &r.transport))?,
            status: DeliveryStatus::parse(&r.status).ok_or_else(|| corrupt("delivery status", &r.status))?,
            seq: r.seq,
            event_id: r.event_id,
            destination: r.destination,
            version: r.version,
            attempts: r.attempts,
            last_error: r.last_error,
            finished_at: r.finished_at.map(Timestamp::from_millis),
        })
    }
}

#[async_trait]
impl<B: Backend> NotificationStore for SqlStore<B> {
    async fn notification_setting(&self, hit_type_id: &str) -> StoreResult<Option<NotificationSetting>> {
        self.read_one::<SettingRow, NotificationSetting>(
            "SELECT hit_type_id, destination, transport, version, event_types, active \
             FROM notification_settings WHERE hit_type_id = $1",
            args![hit_type_id],
        )
        .await
    }

    async fn put_notification_setting(
        &self,
        s: &NotificationSetting,
        requester: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.db.writer().await?;
        let types = encode_types(&s.spec.event_types);
        let active = i64::from(s.active);
        // A setting switched on (or new) looks for clock-driven events from now on: what
        // came due while it was off was not sent then and is not sent now.
        tx.execute(
            "INSERT INTO notification_settings (hit_type_id, requester, destination, transport, version, \
             event_types, active, timed_through) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (hit_type_id) DO UPDATE SET destination = $3, transport = $4, version = $5, \
             event_types = $6, active = $7, timed_through = CASE WHEN notification_settings.active = 0 \
             THEN $8 ELSE notification_settings.timed_through END",
            args![
                s.hit_type_id.as_str(),
                requester,
                s.spec.destination.as_str(),
                s.spec.transport.as_str(),
                s.spec.version.as_str(),
                types.as_str(),
                active,
                now.millis()
            ],
        )
        .await?;
        tx.commit().await
    }

    async fn insert_test_event(&self, e: &Event, spec: &NotificationSpec) -> StoreResult<String> {
        let mut tx = self.db.writer().await?;
        let seq = next_seq::<B>(&mut tx).await?;
        let id = event_doc_id(seq, e.event_type, &e.hit_id, e.assignment_id.as_deref(), e.time);
        tx.execute(
            "INSERT INTO events (id, seq, requester, hit_type_id, hit_id, assignment_id, event_type, event_time) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            args![
                id.as_str(),
                seq,
                e.requester.as_str(),
                e.hit_type_id.as_str(),
                e.hit_id.as_str(),
                e.assignment_id.as_deref(),
                e.event_type.as_str(),
                e.time.millis()
            ],
        )
        .await?;
        tx.execute(
            "INSERT INTO event_deliveries (seq, event_id, transport, destination, version, status, attempts, \
             next_attempt_at) VALUES ($1, $2, $3, $4, $5, 'Pending', 0, 0)",
            args![seq, id.as_str(), spec.transport.as_str(), spec.destination.as_str(), spec.version.as_str()],
        )
        .await?;
        tx.commit().await?;
        self.events_ready.notify_one();
        Ok(id)
    }

    async fn events(&self, f: &EventFilter) -> StoreResult<Vec<EventRecord>> {
        let mut condition = String::from("1 = 1");
        let mut binds: Vec<Arg<'_>> = Vec::new();
        let filters = [
            ("hit_id", f.hit_id.as_deref()),
            ("hit_type_id", f.hit_type_id.as_deref()),
            ("event_type", f.event_type.map(EventType::as_str)),
        ];
        for (column, value) in filters {
            if let Some(v) = value {
                binds.push(Arg::from(v));
                condition.push_str(" AND e.");
                condition.push_str(column);
                condition.push_str(" = $");
                condition.push_str(&binds.len().to_string());
            }
        }
        let mut snapshot = self.db.snapshot().await?;
        let events: Vec<EventRow> = snapshot
            .fetch_all(&format!("SELECT {EVENT_COLUMNS} FROM events e WHERE {condition} ORDER BY e.seq"), &binds)
            .await?;
        let deliveries: Vec<DeliveryRow> = snapshot
            .fetch_all(
                &format!(
                    "SELECT {DELIVERY_COLUMNS} FROM event_deliveries d JOIN events e ON e.id = d.event_id \
                     WHERE {condition} ORDER BY d.seq"
                ),
                &binds,
            )
            .await?;
        let mut by_event: BTreeMap<String, Vec<Delivery>> = BTreeMap::new();
        for d in deliveries {
            let d = Delivery::try_from(d)?;
            by_event.entry(d.event_id.clone()).or_default().push(d);
        }
        events
            .into_iter()
            .map(|e| {
                let event = Event::try_from(e)?;
                let deliveries = by_event.remove(&event.id).unwrap_or_default();
                Ok(EventRecord { event, deliveries })
            })
            .collect()
    }

    async fn requester_events(&self, requester: &RequesterId, page: Page) -> StoreResult<Paged<EventRecord>> {
        let select = format!("SELECT {EVENT_COLUMNS}");
        let q = PagedQuery {
            select: &select,
            from: "FROM events e WHERE e.requester = $1",
            keys: &[Key::int("e.seq"), Key::text("e.id")],
            descending: true,
            filter_args: args![requester.as_str()],
            select_args: &[],
        };
        let events: Paged<Event> = self.paged::<EventRow, Event>(&q, &page).await?;
        let mut by_event: BTreeMap<String, Vec<Delivery>> = BTreeMap::new();
        if !events.items.is_empty() {
            let placeholders: Vec<String> = (1..=events.items.len()).map(|n| format!("${n}")).collect();
            let binds: Vec<Arg<'_>> = events.items.iter().map(|e| Arg::from(e.id.as_str())).collect();
            let sql = format!(
                "SELECT {DELIVERY_COLUMNS} FROM event_deliveries d WHERE d.event_id IN ({}) ORDER BY d.seq",
                placeholders.join(", ")
            );
            let deliveries: Vec<DeliveryRow> = self.db.reader().await?.fetch_all(&sql, &binds).await?;
            for d in deliveries {
                let d = Delivery::try_from(d)?;
                by_event.entry(d.event_id.clone()).or_default().push(d);
            }
        }
        let Paged { items, total, next } = events;
        let items = items
            .into_iter()
            .map(|event| {
                let deliveries = by_event.remove(&event.id).unwrap_or_default();
                EventRecord { event, deliveries }
            })
            .collect();
        Ok(Paged { items, total, next })
    }

    async fn any_active_notifications(&self) -> StoreResult<bool> {
        let n = self
            .db
            .reader()
            .await?
            .fetch_one::<i64>("SELECT COUNT(*) FROM notification_settings WHERE active = 1", args![])
            .await?;
        Ok(n > 0)
    }

    async fn settle_timed_events(&self, now: Timestamp) -> StoreResult<u64> {
        let due: Vec<(String, i64)> = {
            let mut reader = self.db.reader().await?;
            let settings: Vec<(String, i64, i64, i64)> = reader
                .fetch_all(
                    "SELECT hit_type_id, timed_through, active, CAST(0 AS BIGINT) FROM notification_settings \
                     WHERE active = 1 AND timed_through < $1",
                    args![now.millis()],
                )
                .await?;
            let mut due = Vec::new();
            for (hit_type, from, _, _) in settings {
                // Anything in the window? Only then take the writer.
                let found = reader
                    .fetch_one::<i64>(
                        "SELECT (SELECT COUNT(*) FROM assignments a JOIN hits h ON h.id = a.hit_id \
                             WHERE h.hit_type_id = $1 AND a.status = 'Accepted' AND a.deadline >= $2 \
                             AND a.deadline < $3) \
                         + (SELECT COUNT(*) FROM hits h WHERE h.hit_type_id = $1 AND h.disposed = 0 \
                             AND h.expiration > $2 AND h.expiration <= $3)",
                        args![hit_type.as_str(), from, now.millis()],
                    )
                    .await?;
                if found > 0 {
                    due.push((hit_type, from));
                }
            }
            due
        };
        if due.is_empty() {
            return Ok(0);
        }
        let mut tx = self.db.writer().await?;
        let mut recorded = 0;
        for (hit_type, from) in due {
            // Claim the window: another instance that took it first fired its events.
            let claimed = tx
                .execute(
                    "UPDATE notification_settings SET timed_through = $3 \
                     WHERE hit_type_id = $1 AND timed_through = $2 AND active = 1",
                    args![hit_type.as_str(), from, now.millis()],
                )
                .await?;
            if claimed == 0 {
                continue;
            }
            let mut touched: BTreeSet<(String, i64)> = BTreeSet::new();
            let abandoned: Vec<(String, String, i64, i64)> = tx
                .fetch_all(
                    "SELECT a.id, a.hit_id, a.deadline, CAST(0 AS BIGINT) FROM assignments a JOIN hits h ON h.id = a.hit_id \
                     WHERE h.hit_type_id = $1 AND a.status = 'Accepted' AND a.deadline >= $2 AND a.deadline < $3 \
                     ORDER BY a.deadline, a.id",
                    args![hit_type.as_str(), from, now.millis()],
                )
                .await?;
            for (assignment, hit, deadline, _) in abandoned {
                let key = format!("AssignmentAbandoned:{assignment}");
                let at = Timestamp::from_millis(deadline);
                if emit_for_hit::<B>(&mut tx, EventType::AssignmentAbandoned, &hit, Some(&assignment), at, Some(&key))
                    .await?
                {
                    recorded += 1;
                }
                touched.insert((hit, deadline));
            }
            let expired: Vec<(String, i64, i64, i64)> = tx
                .fetch_all(
                    "SELECT id, expiration, CAST(0 AS BIGINT), CAST(0 AS BIGINT) FROM hits WHERE hit_type_id = $1 AND disposed = 0 \
                     AND expiration > $2 AND expiration <= $3 ORDER BY expiration, id",
                    args![hit_type.as_str(), from, now.millis()],
                )
                .await?;
            for (hit, expiration, _, _) in expired {
                if emit_expired::<B>(&mut tx, &hit, Timestamp::from_millis(expiration)).await? {
                    recorded += 1;
                }
                touched.insert((hit, expiration));
            }
            // The latest instant that touched each HIT dates its HITReviewable.
            let mut latest: BTreeMap<String, i64> = BTreeMap::new();
            for (hit, at) in touched {
                let entry = latest.entry(hit).or_insert(at);
                *entry = (*entry).max(at);
            }
            for (hit, at) in latest {
                if emit_if_reviewable::<B>(&mut tx, &hit, now, Timestamp::from_millis(at)).await? {
                    recorded += 1;
                }
            }
        }
        tx.commit().await?;
        if recorded > 0 {
            self.events_ready.notify_one();
        }
        Ok(recorded)
    }

    async fn claim_deliveries(
        &self,
        owner: &str,
        wall_now: Timestamp,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        let now = wall_now.millis();
        let until = now.saturating_add(lease_ms);
        // Most rounds find nothing: look without taking the writer.
        let due = self
            .db
            .reader()
            .await?
            .fetch_optional::<i64>(
                "SELECT seq FROM event_deliveries WHERE status = 'Pending' AND next_attempt_at <= $1 \
                 AND (lease_until IS NULL OR lease_until < $1) LIMIT 1",
                args![now],
            )
            .await?;
        if due.is_none() {
            return Ok(Vec::new());
        }
        let mut tx = self.db.writer().await?;
        // Claims run one at a time (PostgreSQL: a transaction-scoped advisory
        // lock; SQLite's one writer does it already), so each sees the leases
        // the one before took, and two instances never hold one destination.
        if let Some(lock) = B::claim_lock() {
            tx.execute(lock, args![]).await?;
        }
        let claimed = tx
            .execute(
                "UPDATE event_deliveries SET lease_owner = $2, lease_until = $3 WHERE seq IN (\
                 SELECT d.seq FROM event_deliveries d WHERE d.status = 'Pending' AND d.next_attempt_at <= $1 \
                 AND (d.lease_until IS NULL OR d.lease_until < $1) \
                 AND NOT EXISTS (SELECT 1 FROM event_deliveries p WHERE p.status = 'Pending' \
                     AND p.transport = d.transport AND p.destination = d.destination AND p.seq < d.seq \
                     AND (p.next_attempt_at > $1 OR p.lease_until >= $1)) \
                 ORDER BY d.seq LIMIT $4)",
                args![now, owner, until, limit],
            )
            .await?;
        if claimed == 0 {
            return Ok(Vec::new());
        }
        let rows: Vec<(DeliveryRow, EventRow)> = tx
            .fetch_all(
                &format!(
                    "SELECT {DELIVERY_COLUMNS}, {EVENT_COLUMNS} FROM event_deliveries d \
                     JOIN events e ON e.id = d.event_id WHERE d.status = 'Pending' AND d.lease_owner = $1 \
                     AND d.lease_until = $2 ORDER BY d.seq"
                ),
                args![owner, until],
            )
            .await?;
        tx.commit().await?;
        rows.into_iter()
            .map(|(d, e)| Ok(ClaimedDelivery { delivery: Delivery::try_from(d)?, event: Event::try_from(e)? }))
            .collect()
    }

    async fn finish_deliveries(
        &self,
        owner: &str,
        outcomes: &[(i64, DeliveryOutcome)],
        wall_now: Timestamp,
    ) -> StoreResult<u64> {
        const GUARD: &str = "WHERE seq = $1 AND lease_owner = $2 AND status = 'Pending'";
        static RETRY: LazyLock<String> = LazyLock::new(|| {
            format!(
                "UPDATE event_deliveries SET attempts = attempts + 1, last_error = $3, next_attempt_at = $4, \
                 lease_owner = NULL, lease_until = NULL {GUARD}"
            )
        });
        static FAILED: LazyLock<String> = LazyLock::new(|| {
            format!(
                "UPDATE event_deliveries SET status = 'Failed', attempts = attempts + 1, last_error = $3, \
                 finished_at = $4, lease_owner = NULL, lease_until = NULL {GUARD}"
            )
        });
        static RELEASED: LazyLock<String> =
            LazyLock::new(|| format!("UPDATE event_deliveries SET lease_owner = NULL, lease_until = NULL {GUARD}"));
        /// Deliveries marked Delivered per statement (unused places hold -1, which no seq is).
        const CHUNK: usize = 16;
        static DELIVERED_MANY: LazyLock<String> = LazyLock::new(|| {
            let places: Vec<String> = (3..3 + CHUNK).map(|n| format!("${n}")).collect();
            format!(
                "UPDATE event_deliveries SET status = 'Delivered', attempts = attempts + 1, finished_at = $2, \
                 last_error = NULL, lease_owner = NULL, lease_until = NULL \
                 WHERE lease_owner = $1 AND status = 'Pending' AND seq IN ({})",
                places.join(", ")
            )
        });
        if outcomes.is_empty() {
            return Ok(0);
        }
        let now = wall_now.millis();
        let mut tx = self.db.writer().await?;
        let mut recorded = 0;
        let delivered: Vec<i64> =
            outcomes.iter().filter(|(_, o)| *o == DeliveryOutcome::Delivered).map(|(seq, _)| *seq).collect();
        for chunk in delivered.chunks(CHUNK) {
            let mut binds: Vec<Arg<'_>> = vec![Arg::from(owner), Arg::from(now)];
            binds.extend((0..CHUNK).map(|i| Arg::from(chunk.get(i).copied().unwrap_or(-1))));
            recorded += tx.execute(&DELIVERED_MANY, &binds).await?;
        }
        for (seq, outcome) in outcomes {
            let seq = *seq;
            recorded += match outcome {
                DeliveryOutcome::Delivered => 0,
                DeliveryOutcome::Retry { error, next_attempt_at } => {
                    tx.execute(&RETRY, args![seq, owner, error.as_str(), next_attempt_at.millis()]).await?
                }
                DeliveryOutcome::Failed { error } => {
                    tx.execute(&FAILED, args![seq, owner, error.as_str(), now]).await?
                }
                DeliveryOutcome::Released => tx.execute(&RELEASED, args![seq, owner]).await?,
            };
        }
        tx.commit().await?;
        Ok(recorded)
    }

    fn events_signal(&self) -> Arc<tokio::sync::Notify> {
        Arc::clone(&self.events_ready)
    }
}
