//! The SQL of every store method, written once and compiled for each backend
//! by [`impl_sql_store!`]. Placeholders are `$N`, which both PostgreSQL and
//! sqlx's SQLite driver bind by number; every column is TEXT or BIGINT.
//!
//! Each backend supplies two inherent methods: `reader()` (a pool for plain
//! reads) and `begin_write()` (a transaction that may write: `BEGIN IMMEDIATE`
//! on the single SQLite writer connection, a plain `BEGIN` on PostgreSQL).

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

/// Maps a unique-key violation of an insert to `Conflict` (a concurrent
/// writer won the race for the same unique value).
pub(super) fn conflict_on_unique<T>(result: Result<T, sqlx::Error>) -> super::StoreResult<T> {
    match result {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(super::StoreError::Conflict { existing: None }),
        other => Ok(other?),
    }
}

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

macro_rules! impl_sql_store {
    ($store:ty, $db:ty) => {
        use $crate::store::rows::{
            convert_all, BlockRow, NotificationRow, QualificationRow, RequestRow, TypeRow, SYSTEM_OWNER,
        };
        use $crate::store::sql::{
            like_pattern, NOTIFICATION_COLUMNS, QUALIFICATION_COLUMNS, REQUEST_COLUMNS, TYPE_COLUMNS,
        };
        use $crate::store::{
            Grant, GrantMode, GrantOutcome, Page, Paged, RequestDecision, RevokeOutcome, Store, StoreError,
            StoreResult, TypeSearch,
        };
        use $crate::domain::ids::{QualificationRequestId, QualificationTypeId, RequesterId, WorkerId};
        use $crate::domain::qualification::{
            Qualification, QualificationRequest, QualificationStatus, QualificationType, TypeStatus,
        };
        use $crate::domain::time::Timestamp;
        use $crate::domain::worker::{WorkerBlock, WorkerNotification};

        impl $store {
            async fn insert_notification(
                tx: &mut sqlx::Transaction<'static, $db>,
                n: &WorkerNotification,
            ) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO worker_notifications \
                     (worker_id, requester, kind, qualification_type_id, subject, text, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(n.worker_id.as_str())
                .bind(n.requester.as_str())
                .bind(n.kind.as_str())
                .bind(n.qualification_type_id.as_ref().map(QualificationTypeId::as_str))
                .bind(n.subject.as_deref())
                .bind(n.text.as_str())
                .bind(n.time.millis())
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            async fn apply_grant(tx: &mut sqlx::Transaction<'static, $db>, g: &Grant) -> StoreResult<GrantOutcome> {
                let sql = match g.mode {
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
                };
                let done = sqlx::query(sql)
                    .bind(g.type_id.as_str())
                    .bind(g.worker_id.as_str())
                    .bind(i64::from(g.integer_value))
                    .bind(g.now.millis())
                    .execute(&mut **tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Ok(GrantOutcome::AlreadyGranted);
                }
                if let Some(n) = &g.notification {
                    Self::insert_notification(tx, n).await?;
                }
                Ok(GrantOutcome::Granted)
            }

            async fn count(&self, sql: &str, binds: &[&str]) -> StoreResult<i64> {
                let mut q = sqlx::query_scalar::<_, i64>(sql);
                for b in binds {
                    q = q.bind(*b);
                }
                Ok(q.fetch_one(self.reader()).await?)
            }
        }

        #[async_trait::async_trait]
        impl Store for $store {
            fn backend(&self) -> &'static str {
                Self::BACKEND
            }

            async fn close(&self) {
                self.close_pools().await;
            }

            async fn ensure_requesters(&self, requesters: &[(RequesterId, i64)], now: Timestamp) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                for (id, balance) in requesters {
                    sqlx::query(
                        "INSERT INTO requesters (access_key_id, balance_cents, created_at) VALUES ($1, $2, $3) \
                         ON CONFLICT (access_key_id) DO NOTHING",
                    )
                    .bind(id.as_str())
                    .bind(*balance)
                    .bind(now.millis())
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn reset(&self, requesters: &[(RequesterId, i64)], now: Timestamp) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                for sql in [
                    "DELETE FROM bonus_payments",
                    "DELETE FROM idempotency_tokens",
                    "DELETE FROM assignments",
                    "DELETE FROM hits",
                    "DELETE FROM hit_type_qualifications",
                    "DELETE FROM hit_types",
                    "DELETE FROM worker_profiles",
                    "DELETE FROM worker_notifications",
                    "DELETE FROM worker_blocks",
                    "DELETE FROM qualification_requests",
                    "DELETE FROM qualifications",
                    "DELETE FROM requesters",
                ] {
                    sqlx::query(sql).execute(&mut *tx).await?;
                }
                sqlx::query("DELETE FROM qualification_types WHERE owner <> $1")
                    .bind(SYSTEM_OWNER)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE clock SET offset_ms = 0").execute(&mut *tx).await?;
                for (id, balance) in requesters {
                    sqlx::query("INSERT INTO requesters (access_key_id, balance_cents, created_at) VALUES ($1, $2, $3)")
                        .bind(id.as_str())
                        .bind(*balance)
                        .bind(now.millis())
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn balance_cents(&self, requester: &RequesterId) -> StoreResult<Option<i64>> {
                Ok(sqlx::query_scalar::<_, i64>("SELECT balance_cents FROM requesters WHERE access_key_id = $1")
                    .bind(requester.as_str())
                    .fetch_optional(self.reader())
                    .await?)
            }

            async fn clock_offset(&self) -> StoreResult<i64> {
                Ok(sqlx::query_scalar::<_, i64>("SELECT offset_ms FROM clock WHERE id = 1")
                    .fetch_optional(self.reader())
                    .await?
                    .unwrap_or(0))
            }

            async fn set_clock_offset(&self, offset_ms: i64) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query("UPDATE clock SET offset_ms = $1 WHERE id = 1").bind(offset_ms).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn insert_qualification_type(&self, t: &QualificationType, now: Timestamp) -> StoreResult<()> {
                let owner = t.owner.as_ref().map_or(SYSTEM_OWNER, RequesterId::as_str);
                let mut tx = self.begin_write().await?;
                // Disposals that are due complete now, which frees their names (spec §4.5).
                sqlx::query(
                    "UPDATE qualification_types SET status = 'Disposed', live_name = NULL \
                     WHERE owner = $1 AND status = 'Disposing' AND disposal_due <= $2",
                )
                .bind(owner)
                .bind(now.millis())
                .execute(&mut *tx)
                .await?;
                let existing = sqlx::query_scalar::<_, String>(
                    "SELECT id FROM qualification_types WHERE owner = $1 AND live_name = $2",
                )
                .bind(owner)
                .bind(t.name.as_str())
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(existing) = existing {
                    return Err(StoreError::Conflict { existing: Some(existing) });
                }
                let test = t.test.as_ref();
                let inserted = sqlx::query(
                    "INSERT INTO qualification_types (id, owner, name, live_name, description, keywords, status, \
                     retry_delay_secs, test, test_duration_secs, answer_key, auto_granted, auto_granted_value, \
                     is_requestable, creation_time, disposal_due) \
                     VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                )
                .bind(t.id.as_str())
                .bind(owner)
                .bind(t.name.as_str())
                .bind(t.description.as_str())
                .bind(t.keywords.as_deref())
                .bind(t.status.as_str())
                .bind(t.retry_delay_secs)
                .bind(test.map(|x| x.question_form.as_str()))
                .bind(test.map(|x| x.duration_secs))
                .bind(test.and_then(|x| x.answer_key.as_deref()))
                .bind(i64::from(t.auto_granted))
                .bind(t.auto_granted_value.map(i64::from))
                .bind(i64::from(t.is_requestable))
                .bind(t.creation_time.millis())
                .bind(t.disposal_due.map(Timestamp::millis))
                .execute(&mut *tx)
                .await;
                // A concurrent create with the same name may have won the race.
                $crate::store::sql::conflict_on_unique(inserted)?;
                tx.commit().await?;
                Ok(())
            }

            async fn qualification_type(&self, id: &QualificationTypeId) -> StoreResult<Option<QualificationType>> {
                let sql = format!("SELECT {TYPE_COLUMNS} FROM qualification_types WHERE id = $1");
                let row = sqlx::query_as::<_, TypeRow>(&sql).bind(id.as_str()).fetch_optional(self.reader()).await?;
                row.map(QualificationType::try_from).transpose()
            }

            async fn update_qualification_type(
                &self,
                t: &QualificationType,
                expected: TypeStatus,
            ) -> StoreResult<bool> {
                let test = t.test.as_ref();
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(
                    "UPDATE qualification_types SET description = $2, status = $3, retry_delay_secs = $4, \
                     test = $5, test_duration_secs = $6, answer_key = $7, auto_granted = $8, \
                     auto_granted_value = $9 WHERE id = $1 AND status = $10",
                )
                .bind(t.id.as_str())
                .bind(t.description.as_str())
                .bind(t.status.as_str())
                .bind(t.retry_delay_secs)
                .bind(test.map(|x| x.question_form.as_str()))
                .bind(test.map(|x| x.duration_secs))
                .bind(test.and_then(|x| x.answer_key.as_deref()))
                .bind(i64::from(t.auto_granted))
                .bind(t.auto_granted_value.map(i64::from))
                .bind(expected.as_str())
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn dispose_qualification_type(
                &self,
                id: &QualificationTypeId,
                now: Timestamp,
                due: Timestamp,
                reason: &str,
            ) -> StoreResult<bool> {
                let completes = due <= now;
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(
                    "UPDATE qualification_types SET status = $2, disposal_due = $3, \
                     live_name = CASE WHEN $4 = 1 THEN NULL ELSE live_name END \
                     WHERE id = $1 AND status IN ('Active', 'Inactive')",
                )
                .bind(id.as_str())
                .bind(if completes { "Disposed" } else { "Disposing" })
                .bind(due.millis())
                .bind(i64::from(completes))
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Ok(false);
                }
                // Disposal rejects every pending request of the type (spec §4.5).
                sqlx::query(
                    "UPDATE qualification_requests SET status = 'Rejected', reason = $2 \
                     WHERE type_id = $1 AND status IN ('Submitted', 'TestPending')",
                )
                .bind(id.as_str())
                .bind(reason)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn search_qualification_types(
                &self,
                s: &TypeSearch,
                page: Page,
            ) -> StoreResult<Paged<QualificationType>> {
                let caller = s.caller.as_ref().map_or("\u{0}", RequesterId::as_str);
                let pattern = s.query.as_deref().map(like_pattern);
                let filter = "FROM qualification_types WHERE \
                     (status = 'Active' OR (status = 'Inactive' AND owner = $1)) \
                     AND ($2 = 0 OR owner = $1) \
                     AND ($3 = 0 OR is_requestable = 1) \
                     AND ($4 = '' OR LOWER(name) LIKE $4 ESCAPE '\\' OR LOWER(description) LIKE $4 ESCAPE '\\' \
                          OR LOWER(COALESCE(keywords, '')) LIKE $4 ESCAPE '\\')";
                let order = if s.descending { "name DESC, id DESC" } else { "name ASC, id ASC" };
                let pattern = pattern.unwrap_or_default();
                let sql = format!("SELECT {TYPE_COLUMNS} {filter} ORDER BY {order} LIMIT $5 OFFSET $6");
                let rows = sqlx::query_as::<_, TypeRow>(&sql)
                    .bind(caller)
                    .bind(i64::from(s.owned_by_caller))
                    .bind(i64::from(s.requestable_only))
                    .bind(pattern.as_str())
                    .bind(page.limit)
                    .bind(page.offset)
                    .fetch_all(self.reader())
                    .await?;
                let total = sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) {filter}"))
                    .bind(caller)
                    .bind(i64::from(s.owned_by_caller))
                    .bind(i64::from(s.requestable_only))
                    .bind(pattern.as_str())
                    .fetch_one(self.reader())
                    .await?;
                Ok(Paged { items: convert_all(rows)?, total })
            }

            async fn qualification(
                &self,
                type_id: &QualificationTypeId,
                worker: &WorkerId,
            ) -> StoreResult<Option<Qualification>> {
                let sql = format!("SELECT {QUALIFICATION_COLUMNS} FROM qualifications WHERE type_id = $1 AND worker_id = $2");
                let row = sqlx::query_as::<_, QualificationRow>(&sql)
                    .bind(type_id.as_str())
                    .bind(worker.as_str())
                    .fetch_optional(self.reader())
                    .await?;
                row.map(Qualification::try_from).transpose()
            }

            async fn grant(&self, grant: &Grant) -> StoreResult<GrantOutcome> {
                let mut tx = self.begin_write().await?;
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
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(
                    "UPDATE qualifications SET status = 'Revoked', revoke_time = $3, revoke_reason = $4 \
                     WHERE type_id = $1 AND worker_id = $2 AND status = 'Granted'",
                )
                .bind(type_id.as_str())
                .bind(worker.as_str())
                .bind(now.millis())
                .bind(reason)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    let status = sqlx::query_scalar::<_, String>(
                        "SELECT status FROM qualifications WHERE type_id = $1 AND worker_id = $2",
                    )
                    .bind(type_id.as_str())
                    .bind(worker.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
                    return Ok(if status.is_some() { RevokeOutcome::AlreadyRevoked } else { RevokeOutcome::NotHeld });
                }
                if let Some(n) = notification {
                    Self::insert_notification(&mut tx, n).await?;
                }
                tx.commit().await?;
                Ok(RevokeOutcome::Revoked)
            }

            async fn update_score(
                &self,
                type_id: &QualificationTypeId,
                worker: &WorkerId,
                value: i32,
            ) -> StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(
                    "UPDATE qualifications SET integer_value = $3 \
                     WHERE type_id = $1 AND worker_id = $2 AND status = 'Granted'",
                )
                .bind(type_id.as_str())
                .bind(worker.as_str())
                .bind(i64::from(value))
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn qualifications_for_type(
                &self,
                type_id: &QualificationTypeId,
                status: QualificationStatus,
                page: Page,
            ) -> StoreResult<Paged<Qualification>> {
                let sql = format!(
                    "SELECT {QUALIFICATION_COLUMNS} FROM qualifications WHERE type_id = $1 AND status = $2 \
                     ORDER BY grant_time, worker_id LIMIT $3 OFFSET $4"
                );
                let rows = sqlx::query_as::<_, QualificationRow>(&sql)
                    .bind(type_id.as_str())
                    .bind(status.as_str())
                    .bind(page.limit)
                    .bind(page.offset)
                    .fetch_all(self.reader())
                    .await?;
                let total = self
                    .count(
                        "SELECT COUNT(*) FROM qualifications WHERE type_id = $1 AND status = $2",
                        &[type_id.as_str(), status.as_str()],
                    )
                    .await?;
                Ok(Paged { items: convert_all(rows)?, total })
            }

            async fn worker_qualifications(&self, worker: &WorkerId) -> StoreResult<Vec<Qualification>> {
                let sql = format!("SELECT {QUALIFICATION_COLUMNS} FROM qualifications WHERE worker_id = $1 ORDER BY type_id");
                let rows =
                    sqlx::query_as::<_, QualificationRow>(&sql).bind(worker.as_str()).fetch_all(self.reader()).await?;
                convert_all(rows)
            }

            async fn insert_request(&self, r: &QualificationRequest, grant: Option<&Grant>) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO qualification_requests (id, type_id, owner, worker_id, test, answer, status, \
                     request_time, submit_time, test_deadline, reason) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(r.id.as_str())
                .bind(r.type_id.as_str())
                .bind(r.owner.as_str())
                .bind(r.worker_id.as_str())
                .bind(r.test.as_deref())
                .bind(r.answer.as_deref())
                .bind(r.status.as_str())
                .bind(r.request_time.millis())
                .bind(r.submit_time.map(Timestamp::millis))
                .bind(r.test_deadline.map(Timestamp::millis))
                .bind(r.reason.as_deref())
                .execute(&mut *tx)
                .await?;
                if let Some(g) = grant {
                    Self::apply_grant(&mut tx, g).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn request(&self, id: &QualificationRequestId) -> StoreResult<Option<QualificationRequest>> {
                let sql = format!("SELECT {REQUEST_COLUMNS} FROM qualification_requests WHERE id = $1");
                let row = sqlx::query_as::<_, RequestRow>(&sql).bind(id.as_str()).fetch_optional(self.reader()).await?;
                row.map(QualificationRequest::try_from).transpose()
            }

            async fn latest_request(
                &self,
                type_id: &QualificationTypeId,
                worker: &WorkerId,
            ) -> StoreResult<Option<QualificationRequest>> {
                let sql = format!(
                    "SELECT {REQUEST_COLUMNS} FROM qualification_requests WHERE type_id = $1 AND worker_id = $2 \
                     ORDER BY request_time DESC, id DESC LIMIT 1"
                );
                let row = sqlx::query_as::<_, RequestRow>(&sql)
                    .bind(type_id.as_str())
                    .bind(worker.as_str())
                    .fetch_optional(self.reader())
                    .await?;
                row.map(QualificationRequest::try_from).transpose()
            }

            async fn decide_request(&self, d: &RequestDecision) -> StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(
                    "UPDATE qualification_requests SET status = $2, answer = COALESCE($3, answer), \
                     submit_time = COALESCE($4, submit_time), reason = COALESCE($5, reason) \
                     WHERE id = $1 AND status = $6",
                )
                .bind(d.id.as_str())
                .bind(d.to.as_str())
                .bind(d.answer.as_deref())
                .bind(d.submit_time.map(Timestamp::millis))
                .bind(d.reason.as_deref())
                .bind(d.from.as_str())
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
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
                by_type: bool,
                descending: bool,
                page: Page,
            ) -> StoreResult<Paged<QualificationRequest>> {
                let filter = "FROM qualification_requests WHERE owner = $1 AND status = 'Submitted' \
                              AND ($2 = '' OR type_id = $2)";
                let dir = if descending { "DESC" } else { "ASC" };
                let order = if by_type {
                    format!("type_id {dir}, submit_time {dir}, id {dir}")
                } else {
                    format!("submit_time {dir}, id {dir}")
                };
                let type_filter = type_id.map_or("", QualificationTypeId::as_str);
                let sql = format!("SELECT {REQUEST_COLUMNS} {filter} ORDER BY {order} LIMIT $3 OFFSET $4");
                let rows = sqlx::query_as::<_, RequestRow>(&sql)
                    .bind(owner.as_str())
                    .bind(type_filter)
                    .bind(page.limit)
                    .bind(page.offset)
                    .fetch_all(self.reader())
                    .await?;
                let total = self.count(&format!("SELECT COUNT(*) {filter}"), &[owner.as_str(), type_filter]).await?;
                Ok(Paged { items: convert_all(rows)?, total })
            }

            async fn block_worker(&self, requester: &RequesterId, b: &WorkerBlock, now: Timestamp) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO worker_blocks (requester, worker_id, reason, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (requester, worker_id) DO UPDATE SET reason = excluded.reason",
                )
                .bind(requester.as_str())
                .bind(b.worker_id.as_str())
                .bind(b.reason.as_str())
                .bind(now.millis())
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn unblock_worker(&self, requester: &RequesterId, worker: &WorkerId) -> StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query("DELETE FROM worker_blocks WHERE requester = $1 AND worker_id = $2")
                    .bind(requester.as_str())
                    .bind(worker.as_str())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected() > 0)
            }

            async fn blocks(&self, requester: &RequesterId, page: Page) -> StoreResult<Paged<WorkerBlock>> {
                let rows = sqlx::query_as::<_, BlockRow>(
                    "SELECT worker_id, reason FROM worker_blocks WHERE requester = $1 \
                     ORDER BY created_at, worker_id LIMIT $2 OFFSET $3",
                )
                .bind(requester.as_str())
                .bind(page.limit)
                .bind(page.offset)
                .fetch_all(self.reader())
                .await?;
                let total =
                    self.count("SELECT COUNT(*) FROM worker_blocks WHERE requester = $1", &[requester.as_str()]).await?;
                Ok(Paged { items: rows.into_iter().map(WorkerBlock::from).collect(), total })
            }

            async fn is_blocked(&self, requester: &RequesterId, worker: &WorkerId) -> StoreResult<bool> {
                let n = self
                    .count(
                        "SELECT COUNT(*) FROM worker_blocks WHERE requester = $1 AND worker_id = $2",
                        &[requester.as_str(), worker.as_str()],
                    )
                    .await?;
                Ok(n > 0)
            }

            async fn notify(&self, notifications: &[WorkerNotification]) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                for n in notifications {
                    Self::insert_notification(&mut tx, n).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn worker_knows_requester(&self, requester: &RequesterId, worker: &WorkerId) -> StoreResult<bool> {
                let n = self
                    .count(
                        "SELECT (SELECT COUNT(*) FROM qualifications q JOIN qualification_types t ON t.id = q.type_id \
                                 WHERE t.owner = $1 AND q.worker_id = $2) \
                              + (SELECT COUNT(*) FROM qualification_requests WHERE owner = $1 AND worker_id = $2) \
                              + (SELECT COUNT(*) FROM worker_blocks WHERE requester = $1 AND worker_id = $2) \
                              + (SELECT COUNT(*) FROM assignments a JOIN hits h ON h.id = a.hit_id \
                                 WHERE h.owner = $1 AND a.worker_id = $2)",
                        &[requester.as_str(), worker.as_str()],
                    )
                    .await?;
                Ok(n > 0)
            }

            async fn notifications(&self, worker: &WorkerId) -> StoreResult<Vec<WorkerNotification>> {
                let sql = format!("SELECT {NOTIFICATION_COLUMNS} FROM worker_notifications WHERE worker_id = $1 ORDER BY id");
                let rows =
                    sqlx::query_as::<_, NotificationRow>(&sql).bind(worker.as_str()).fetch_all(self.reader()).await?;
                convert_all(rows)
            }
        }
    };
}

pub(super) use impl_sql_store;
