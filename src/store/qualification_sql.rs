//! The SQL of the [`Store`] methods: qualification types, qualifications,
//! qualification requests, worker blocks and notices, requester accounts,
//! the virtual clock and reset. Written once against [`super::db`], run on
//! either backend (see [`super::sql_store`]).

/// Columns of `qualification_types` in `TypeRow` order.
pub(super) const TYPE_COLUMNS: &str = "id, owner, name, description, keywords, status, retry_delay_secs, test, \
     test_duration_secs, answer_key, auto_granted, auto_granted_value, is_requestable, creation_time, disposal_due";

/// Columns of `qualifications` in `QualificationRow` order.
pub(super) const QUALIFICATION_COLUMNS: &str =
    "type_id, worker_id, integer_value, status, grant_time, revoke_time, revoke_reason";

/// Columns of `qualification_requests` in `RequestRow` order.
pub(super) const REQUEST_COLUMNS: &str =
    "id, type_id, owner, worker_id, test, answer, status, request_time, submit_time, test_deadline, reason";

/// Columns of `worker_notifications` in `NotificationRow` order.
pub(super) const NOTIFICATION_COLUMNS: &str =
    "worker_id, requester, kind, qualification_type_id, subject, text, created_at";

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub(super) fn like_pattern(needle: &str) -> String {
    let mut out = String::with_capacity(needle.len() + 2);
    out.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

use std::sync::{Arc, LazyLock};

use async_trait::async_trait;

use super::db::{args, Arg, Backend, Exec as _, Writer as _};
use super::sql_store::{Key, PagedQuery, SqlStore};
use super::{QualificationStore, RequestStore};
use crate::domain::ids::{QualificationRequestId, QualificationTypeId, RequesterId, WorkerId};
use crate::domain::qualification::{
    Qualification, QualificationRequest, QualificationStatus, QualificationType, TypeStatus,
};
use crate::domain::time::Timestamp;
use crate::domain::worker::WorkerNotification;
use crate::store::qualification_rows::{convert_all, HeldRow, QualificationRow, RequestRow, TypeRow, SYSTEM_OWNER};
use crate::store::{
    Direction, Grant, GrantMode, GrantOutcome, Page, Paged, RequestDecision, RequestOrder, RevokeOutcome, Store,
    StoreError, StoreResult, TypeSearch,
};

impl<B: Backend> SqlStore<B> {
    pub(super) async fn insert_notification(tx: &mut B::Writer, n: &WorkerNotification) -> StoreResult<()> {
        tx.execute(
            "INSERT INTO worker_notifications \
                     (worker_id, requester, kind, qualification_type_id, subject, text, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
            args![
                n.worker_id.as_str(),
                n.requester.as_str(),
                n.kind.as_str(),
                n.qualification_type_id.as_ref().map(QualificationTypeId::as_str),
                n.subject.as_deref(),
                n.text.as_str(),
                n.time.millis()
            ],
        )
        .await?;
        Ok(())
    }

    async fn apply_grant(tx: &mut B::Writer, g: &Grant) -> StoreResult<GrantOutcome> {
        let done = tx.execute(Self::grant_sql(g.mode), &Self::grant_args(g)).await?;
        if done == 0 {
            return Ok(GrantOutcome::AlreadyGranted);
        }
        if let Some(n) = &g.notification {
            Self::insert_notification(tx, n).await?;
        }
        Ok(GrantOutcome::Granted)
    }

    /// The one statement of a grant: an insert, or an update of a revoked
    /// qualification (of a granted one too when overwriting). No row
    /// changed: already granted.
    fn grant_sql(mode: GrantMode) -> &'static str {
        match mode {
            GrantMode::IfNotGranted => {
                "INSERT INTO qualifications (type_id, worker_id, integer_value, status, grant_time) \
                         VALUES ($1, $2, $3, 'Granted', $4) \
                         ON CONFLICT (type_id, worker_id) DO UPDATE SET \
                         integer_value = excluded.integer_value, status = 'Granted', grant_time = excluded.grant_time, \
                         revoke_time = NULL, revoke_reason = NULL \
                         WHERE qualifications.status = 'Revoked'"
            }
            GrantMode::Overwrite => {
                "INSERT INTO qualifications (type_id, worker_id, integer_value, status, grant_time) \
                         VALUES ($1, $2, $3, 'Granted', $4) \
                         ON CONFLICT (type_id, worker_id) DO UPDATE SET \
                         integer_value = excluded.integer_value, status = 'Granted', grant_time = excluded.grant_time, \
                         revoke_time = NULL, revoke_reason = NULL"
            }
        }
    }

    fn grant_args(g: &Grant) -> [Arg<'_>; 4] {
        [
            g.type_id.as_str().into(),
            g.worker_id.as_str().into(),
            i64::from(g.integer_value).into(),
            g.now.millis().into(),
        ]
    }
}

#[async_trait]
impl<B: Backend> Store for SqlStore<B> {
    fn backend(&self) -> &'static str {
        B::NAME
    }

    async fn close(&self) {
        self.db.close().await;
    }

    async fn ensure_requesters(&self, requesters: &[(RequesterId, i64)], now: Timestamp) -> StoreResult<()> {
        let mut tx = self.db.writer().await?;
        for (id, balance) in requesters {
            tx.execute(
                "INSERT INTO requesters (access_key_id, balance_cents, created_at) VALUES ($1, $2, $3) \
                         ON CONFLICT (access_key_id) DO NOTHING",
                args![id.as_str(), *balance, now.millis()],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn reset(&self, requesters: &[(RequesterId, i64)], now: Timestamp, clock_offset_ms: i64) -> StoreResult<()> {
        let mut tx = self.db.writer().await?;
        for table in crate::store::STATE_TABLES {
            match *table {
                // The system types are part of the schema, not of the state.
                "qualification_types" => {
                    tx.execute("DELETE FROM qualification_types WHERE owner <> $1", args![SYSTEM_OWNER]).await?
                }
                // id_epoch stays: a seeded server took its epoch at start and stored the next one,
                // which is what a later start must take (the resetting server restarts at 0 in memory).
                "clock" => tx.execute("UPDATE clock SET offset_ms = $1", args![clock_offset_ms]).await?,
                table => tx.execute(&format!("DELETE FROM {table}"), args![]).await?,
            };
        }
        for (id, balance) in requesters {
            tx.execute(
                "INSERT INTO requesters (access_key_id, balance_cents, created_at) VALUES ($1, $2, $3)",
                args![id.as_str(), *balance, now.millis()],
            )
            .await?;
        }
        tx.commit().await?;
        self.shared_changed().await;
        Ok(())
    }

    async fn balance_cents(&self, requester: &RequesterId) -> StoreResult<Option<i64>> {
        Ok(self
            .db
            .reader()
            .await?
            .fetch_optional::<i64>(
                "SELECT balance_cents FROM requesters WHERE access_key_id = $1",
                args![requester.as_str()],
            )
            .await?)
    }

    async fn clock_offset(&self) -> StoreResult<i64> {
        // Every request asks; on SQLite the answer comes from the cache unless
        // the generation moved (BENCHMARKS.md, P4).
        let generation = match self.current_cache() {
            Some((_, cache)) if cache.clock.is_some() => return Ok(cache.clock.unwrap_or_default()),
            other => other.map(|(generation, _)| generation),
        };
        let offset = self
            .db
            .reader()
            .await?
            .fetch_optional::<i64>("SELECT offset_ms FROM clock WHERE id = 1", args![])
            .await?
            .unwrap_or(0);
        self.remember(generation, |cache| cache.clock = Some(offset));
        Ok(offset)
    }

    async fn set_clock_offset(&self, offset_ms: i64) -> StoreResult<()> {
        let mut tx = self.db.writer().await?;
        tx.execute("UPDATE clock SET offset_ms = $1 WHERE id = 1", args![offset_ms]).await?;
        tx.commit().await?;
        self.shared_changed().await;
        Ok(())
    }

    async fn take_id_epoch(&self) -> StoreResult<i64> {
        let mut tx = self.db.writer().await?;
        let epoch = tx
            .fetch_one::<i64>("UPDATE clock SET id_epoch = id_epoch + 1 WHERE id = 1 RETURNING id_epoch - 1", args![])
            .await?;
        tx.commit().await?;
        Ok(epoch)
    }

    async fn ping(&self) -> StoreResult<()> {
        self.db.reader().await?.fetch_one::<i64>("SELECT CAST(1 AS BIGINT)", args![]).await?;
        Ok(())
    }

    async fn fixture_names(&self) -> StoreResult<Vec<(String, String, String)>> {
        let rows = self
            .db
            .reader()
            .await?
            .fetch_all::<(String, String, String, i64)>(
                "SELECT section, name, id, CAST(0 AS BIGINT) FROM fixture_names",
                args![],
            )
            .await?;
        Ok(rows.into_iter().map(|(section, name, id, _)| (section, name, id)).collect())
    }

    async fn record_fixture_name(&self, section: &str, name: &str, id: &str) -> StoreResult<()> {
        let mut tx = self.db.writer().await?;
        tx.execute(
            "INSERT INTO fixture_names (section, name, id) VALUES ($1, $2, $3) ON CONFLICT (section, name) DO NOTHING",
            args![section, name, id],
        )
        .await?;
        tx.commit().await
    }
}

#[async_trait]
impl<B: Backend> QualificationStore for SqlStore<B> {
    async fn insert_qualification_type(&self, t: &QualificationType, now: Timestamp) -> StoreResult<()> {
        let owner = t.owner.as_ref().map_or(SYSTEM_OWNER, RequesterId::as_str);
        let mut tx = self.db.writer().await?;
        // Disposals that are due complete now, which frees their names (spec §4.5).
        let completed = tx
            .execute(
                "UPDATE qualification_types SET status = 'Disposed', live_name = NULL \
                     WHERE owner = $1 AND status = 'Disposing' AND disposal_due <= $2",
                args![owner, now.millis()],
            )
            .await?;
        let existing = tx
            .fetch_optional::<String>(
                "SELECT id FROM qualification_types WHERE owner = $1 AND live_name = $2",
                args![owner, t.name.as_str()],
            )
            .await?;
        if let Some(existing) = existing {
            return Err(StoreError::Conflict { existing: Some(existing) });
        }
        let test = t.test.as_ref();
        // A concurrent create with the same name may have won the race.
        tx.insert_unique(
            "INSERT INTO qualification_types (id, owner, name, live_name, description, keywords, status, \
                     retry_delay_secs, test, test_duration_secs, answer_key, auto_granted, auto_granted_value, \
                     is_requestable, creation_time, disposal_due) \
                     VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            args![
                t.id.as_str(),
                owner,
                t.name.as_str(),
                t.description.as_str(),
                t.keywords.as_deref(),
                t.status.as_str(),
                t.retry_delay_secs,
                test.map(|x| x.question_form.as_str()),
                test.map(|x| x.duration_secs),
                test.and_then(|x| x.answer_key.as_deref()),
                i64::from(t.auto_granted),
                t.auto_granted_value.map(i64::from),
                i64::from(t.is_requestable),
                t.creation_time.millis(),
                t.disposal_due.map(Timestamp::millis)
            ],
        )
        .await?;
        tx.commit().await?;
        if completed > 0 {
            self.shared_changed().await;
        }
        Ok(())
    }

    async fn qualification_type(&self, id: &QualificationTypeId) -> StoreResult<Option<Arc<QualificationType>>> {
        static SQL: LazyLock<String> =
            LazyLock::new(|| format!("SELECT {TYPE_COLUMNS} FROM qualification_types WHERE id = $1"));
        // Assign, Revoke and most other calls start here; on SQLite the type
        // comes from the cache while no type has changed (BENCHMARKS.md).
        let generation = match self.current_cache() {
            Some((_, cache)) if cache.types.contains_key(id.as_str()) => {
                return Ok(cache.types.get(id.as_str()).cloned())
            }
            other => other.map(|(generation, _)| generation),
        };
        let found = self.read_one::<TypeRow, QualificationType>(&SQL, args![id.as_str()]).await?.map(Arc::new);
        if let Some(t) = &found {
            self.remember_type(generation, t);
        }
        Ok(found)
    }

    async fn update_qualification_type(&self, t: &QualificationType, expected: TypeStatus) -> StoreResult<bool> {
        let test = t.test.as_ref();
        let mut tx = self.db.writer().await?;
        let done = tx
            .execute(
                "UPDATE qualification_types SET description = $2, status = $3, retry_delay_secs = $4, \
                     test = $5, test_duration_secs = $6, answer_key = $7, auto_granted = $8, \
                     auto_granted_value = $9 WHERE id = $1 AND status = $10",
                args![
                    t.id.as_str(),
                    t.description.as_str(),
                    t.status.as_str(),
                    t.retry_delay_secs,
                    test.map(|x| x.question_form.as_str()),
                    test.map(|x| x.duration_secs),
                    test.and_then(|x| x.answer_key.as_deref()),
                    i64::from(t.auto_granted),
                    t.auto_granted_value.map(i64::from),
                    expected.as_str()
                ],
            )
            .await?;
        tx.commit().await?;
        if done == 1 {
            self.shared_changed().await;
        }
        Ok(done == 1)
    }

    async fn dispose_qualification_type(
        &self,
        id: &QualificationTypeId,
        now: Timestamp,
        due: Timestamp,
        reason: &str,
    ) -> StoreResult<bool> {
        let completes = due <= now;
        let mut tx = self.db.writer().await?;
        let done = tx
            .execute(
                "UPDATE qualification_types SET status = $2, disposal_due = $3, \
                     live_name = CASE WHEN $4 = 1 THEN NULL ELSE live_name END \
                     WHERE id = $1 AND status IN ('Active', 'Inactive')",
                args![
                    id.as_str(),
                    if completes { "Disposed" } else { "Disposing" },
                    due.millis(),
                    i64::from(completes)
                ],
            )
            .await?;
        if done == 0 {
            return Ok(false);
        }
        // Disposal rejects every pending request of the type (spec §4.5).
        tx.execute(
            "UPDATE qualification_requests SET status = 'Rejected', reason = $2 \
                     WHERE type_id = $1 AND status IN ('Submitted', 'TestPending')",
            args![id.as_str(), reason],
        )
        .await?;
        tx.commit().await?;
        self.shared_changed().await;
        Ok(true)
    }

    async fn search_qualification_types(&self, s: &TypeSearch, page: Page) -> StoreResult<Paged<QualificationType>> {
        let caller = s.caller.as_ref().map_or("\u{0}", RequesterId::as_str);
        let pattern = s.query.as_deref().map(like_pattern);
        // Only the filters the search uses go into the query, so each statement
        // binds exactly its arguments and the planner sees plain conditions.
        let mut from =
            String::from("FROM qualification_types WHERE (status = 'Active' OR (status = 'Inactive' AND owner = $1))");
        let mut filter_args = vec![Arg::from(caller)];
        if s.owned_by_caller {
            from.push_str(" AND owner = $1");
        }
        if s.requestable_only {
            from.push_str(" AND is_requestable = 1");
        }
        if let Some(pattern) = &pattern {
            filter_args.push(Arg::from(pattern.as_str()));
            from.push_str(
                " AND (LOWER(name) LIKE $2 ESCAPE '\\' OR LOWER(description) LIKE $2 ESCAPE '\\' \
                 OR LOWER(COALESCE(keywords, '')) LIKE $2 ESCAPE '\\')",
            );
        }
        let select = format!("SELECT {TYPE_COLUMNS}");
        let q = PagedQuery {
            select: &select,
            from: &from,
            keys: &[Key::text("name"), Key::text("id")],
            descending: s.order == Direction::Descending,
            filter_args: &filter_args,
            select_args: &[],
        };
        self.paged::<TypeRow, _>(&q, &page).await
    }

    async fn type_with_qualification(
        &self,
        type_id: &QualificationTypeId,
        worker: &WorkerId,
    ) -> StoreResult<Option<(Arc<QualificationType>, Option<Qualification>)>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            let type_columns: Vec<String> = TYPE_COLUMNS.split(", ").map(|c| format!("t.{c}")).collect();
            format!(
                "SELECT {}, q.integer_value AS held_integer_value, q.status AS held_status, \
                 q.grant_time AS held_grant_time, q.revoke_time AS held_revoke_time, \
                 q.revoke_reason AS held_revoke_reason \
                 FROM qualification_types t LEFT JOIN qualifications q ON q.type_id = t.id AND q.worker_id = $2 \
                 WHERE t.id = $1",
                type_columns.join(", ")
            )
        });
        // A type in memory (SQLite) leaves only the qualification to read.
        let (generation, cached) = match self.current_cache() {
            Some((generation, cache)) => (Some(generation), cache.types.get(type_id.as_str()).cloned()),
            None => (None, None),
        };
        if let Some(t) = cached {
            return Ok(Some((t, self.qualification(type_id, worker).await?)));
        }
        let row = self
            .db
            .reader()
            .await?
            .fetch_optional::<(TypeRow, HeldRow)>(&SQL, args![type_id.as_str(), worker.as_str()])
            .await?;
        let found = row
            .map(|(t, held)| -> StoreResult<_> {
                let t = Arc::new(QualificationType::try_from(t)?);
                Ok((t, held.into_qualification(type_id.as_str(), worker.as_str())?))
            })
            .transpose()?;
        if let Some((t, _)) = &found {
            self.remember_type(generation, t);
        }
        Ok(found)
    }

    async fn qualification(
        &self,
        type_id: &QualificationTypeId,
        worker: &WorkerId,
    ) -> StoreResult<Option<Qualification>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!("SELECT {QUALIFICATION_COLUMNS} FROM qualifications WHERE type_id = $1 AND worker_id = $2")
        });
        self.read_one::<QualificationRow, Qualification>(&SQL, args![type_id.as_str(), worker.as_str()]).await
    }

    async fn grant(&self, grant: &Grant) -> StoreResult<GrantOutcome> {
        if grant.notification.is_none() {
            // One statement: no transaction around it (one round trip on PostgreSQL).
            let done = self.db.write_alone(Self::grant_sql(grant.mode), &Self::grant_args(grant)).await?;
            return Ok(if done == 0 { GrantOutcome::AlreadyGranted } else { GrantOutcome::Granted });
        }
        let mut tx = self.db.writer().await?;
        let outcome = Self::apply_grant(&mut tx, grant).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn revoke(
        &self,
        type_id: &QualificationTypeId,
        worker: &WorkerId,
        reason: Option<&str>,
        now: Timestamp,
        notification: Option<&WorkerNotification>,
    ) -> StoreResult<RevokeOutcome> {
        const REVOKE: &str = "UPDATE qualifications SET status = 'Revoked', revoke_time = $3, revoke_reason = $4 \
                              WHERE type_id = $1 AND worker_id = $2 AND status = 'Granted'";
        let revoke_args = args![type_id.as_str(), worker.as_str(), now.millis(), reason];
        let done = match notification {
            // Without a notice the revocation is one statement, in no transaction
            // (one round trip on PostgreSQL).
            None => self.db.write_alone(REVOKE, revoke_args).await?,
            Some(n) => {
                let mut tx = self.db.writer().await?;
                let done = tx.execute(REVOKE, revoke_args).await?;
                if done == 1 {
                    Self::insert_notification(&mut tx, n).await?;
                    tx.commit().await?;
                }
                done
            }
        };
        if done == 1 {
            return Ok(RevokeOutcome::Revoked);
        }
        // Not revoked: held but already revoked, or not held at all.
        let status = self
            .db
            .reader()
            .await?
            .fetch_optional::<String>(
                "SELECT status FROM qualifications WHERE type_id = $1 AND worker_id = $2",
                args![type_id.as_str(), worker.as_str()],
            )
            .await?;
        Ok(if status.is_some() { RevokeOutcome::AlreadyRevoked } else { RevokeOutcome::NotHeld })
    }

    async fn update_score(&self, type_id: &QualificationTypeId, worker: &WorkerId, value: i32) -> StoreResult<bool> {
        self.update_one(
            "UPDATE qualifications SET integer_value = $3 \
                 WHERE type_id = $1 AND worker_id = $2 AND status = 'Granted'",
            args![type_id.as_str(), worker.as_str(), i64::from(value)],
        )
        .await
    }

    async fn qualifications_for_type(
        &self,
        type_id: &QualificationTypeId,
        status: QualificationStatus,
        page: Page,
    ) -> StoreResult<Paged<Qualification>> {
        let select = format!("SELECT {QUALIFICATION_COLUMNS}");
        let q = PagedQuery {
            select: &select,
            from: "FROM qualifications WHERE type_id = $1 AND status = $2",
            keys: &[Key::int("grant_time"), Key::text("worker_id")],
            descending: false,
            filter_args: args![type_id.as_str(), status.as_str()],
            select_args: &[],
        };
        self.paged::<QualificationRow, _>(&q, &page).await
    }

    async fn worker_qualifications(&self, worker: &WorkerId) -> StoreResult<Vec<Qualification>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!("SELECT {QUALIFICATION_COLUMNS} FROM qualifications WHERE worker_id = $1 ORDER BY type_id")
        });
        let rows = self.db.reader().await?.fetch_all::<QualificationRow>(&SQL, args![worker.as_str()]).await?;
        convert_all(rows)
    }
}

#[async_trait]
impl<B: Backend> RequestStore for SqlStore<B> {
    async fn insert_request(&self, r: &QualificationRequest, grant: Option<&Grant>) -> StoreResult<()> {
        let mut tx = self.db.writer().await?;
        tx.execute(
            "INSERT INTO qualification_requests (id, type_id, owner, worker_id, test, answer, status, \
                     request_time, submit_time, test_deadline, reason) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            args![
                r.id.as_str(),
                r.type_id.as_str(),
                r.owner.as_str(),
                r.worker_id.as_str(),
                r.test.as_deref(),
                r.answer.as_deref(),
                r.status.as_str(),
                r.request_time.millis(),
                r.submit_time.map(Timestamp::millis),
                r.test_deadline.map(Timestamp::millis),
                r.reason.as_deref()
            ],
        )
        .await?;
        if let Some(g) = grant {
            Self::apply_grant(&mut tx, g).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn request(&self, id: &QualificationRequestId) -> StoreResult<Option<QualificationRequest>> {
        static SQL: LazyLock<String> =
            LazyLock::new(|| format!("SELECT {REQUEST_COLUMNS} FROM qualification_requests WHERE id = $1"));
        self.read_one::<RequestRow, QualificationRequest>(&SQL, args![id.as_str()]).await
    }

    async fn latest_request(
        &self,
        type_id: &QualificationTypeId,
        worker: &WorkerId,
    ) -> StoreResult<Option<QualificationRequest>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "SELECT {REQUEST_COLUMNS} FROM qualification_requests WHERE type_id = $1 AND worker_id = $2 \
                     ORDER BY request_time DESC, id DESC LIMIT 1"
            )
        });
        self.read_one::<RequestRow, QualificationRequest>(&SQL, args![type_id.as_str(), worker.as_str()]).await
    }

    async fn decide_request(&self, d: &RequestDecision) -> StoreResult<bool> {
        let mut tx = self.db.writer().await?;
        let done = tx
            .execute(
                "UPDATE qualification_requests SET status = $2, answer = COALESCE($3, answer), \
                     submit_time = COALESCE($4, submit_time), reason = COALESCE($5, reason) \
                     WHERE id = $1 AND status = $6",
                args![
                    d.id.as_str(),
                    d.to.as_str(),
                    d.answer.as_deref(),
                    d.submit_time.map(Timestamp::millis),
                    d.reason.as_deref(),
                    d.from.as_str()
                ],
            )
            .await?;
        if done == 0 {
            return Ok(false);
        }
        if let Some(g) = &d.grant {
            Self::apply_grant(&mut tx, g).await?;
        }
        if let Some(n) = &d.notification {
            Self::insert_notification(&mut tx, n).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn submitted_requests(
        &self,
        owner: &RequesterId,
        type_id: Option<&QualificationTypeId>,
        order: RequestOrder,
        page: Page,
    ) -> StoreResult<Paged<QualificationRequest>> {
        const BY_TIME: &[Key<'_>] = &[Key::int("submit_time"), Key::text("id")];
        const BY_TYPE: &[Key<'_>] = &[Key::text("type_id"), Key::int("submit_time"), Key::text("id")];
        let (keys, direction) = match order {
            RequestOrder::SubmitTime(d) => (BY_TIME, d),
            RequestOrder::Type(d) => (BY_TYPE, d),
        };
        let select = format!("SELECT {REQUEST_COLUMNS}");
        let q = PagedQuery {
            select: &select,
            from: "FROM qualification_requests WHERE owner = $1 AND status = 'Submitted' AND ($2 = '' OR type_id = $2)",
            keys,
            descending: direction == Direction::Descending,
            filter_args: args![owner.as_str(), type_id.map_or("", QualificationTypeId::as_str)],
            select_args: &[],
        };
        self.paged::<RequestRow, _>(&q, &page).await
    }
}
