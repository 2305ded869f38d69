//! The SQL of the [`HitStore`](super::hits::HitStore) methods, written once
//! like [`super::sql`]. `accept` locks the HIT's row with the backend's
//! `LOCK_ROW` (`" FOR UPDATE"` on PostgreSQL; nothing on SQLite, whose single
//! writer already serializes), so two accepts of the last slot of a HIT
//! cannot both succeed.

use async_trait::async_trait;

use super::db::{args, Backend, Exec as _, Writer as _};
use super::sql::SqlStore;
use crate::domain::hit::{reward_fee_cents, Assignment, AssignmentStatus, Hit, HitType};
use crate::domain::ids::{RequesterId, WorkerId};
use crate::domain::requirement::Locale;
use crate::domain::time::Timestamp;
use crate::store::hit_rows::{
    encode_requirements, AssignmentRow, HitRow, HitTypeRow, ASSIGNMENT_COLUMNS, HIT_SELECT, HIT_TYPE_COLUMNS,
};
use crate::store::hits::{
    AcceptOutcome, Bonus, HitFilter, HitStore, PaidOutcome, Review, ReviewOutcome, WorkerHistory, WorkerProfile,
};
use crate::store::rows::convert_all;
use crate::store::{Page, Paged, StoreError, StoreResult};

#[async_trait]
impl<B: Backend> HitStore for SqlStore<B> {
    async fn insert_hit_type(&self, t: &HitType, fingerprint: &str) -> StoreResult<String> {
        let mut tx = self.db.writer().await?;
        let existing = tx
            .fetch_optional::<String>(
                "SELECT id FROM hit_types WHERE owner = $1 AND fingerprint = $2",
                args![t.owner.as_str(), fingerprint],
            )
            .await?;
        if let Some(id) = existing {
            return Ok(id);
        }
        let requirements = encode_requirements(&t.requirements)?;
        tx.execute(
            "INSERT INTO hit_types (id, owner, title, description, keywords, reward_cents, \
                         assignment_duration_secs, auto_approval_delay_secs, requirements, fingerprint, creation_time) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            args![
                t.id.as_str(),
                t.owner.as_str(),
                t.title.as_str(),
                t.description.as_str(),
                t.keywords.as_deref(),
                t.reward_cents,
                t.assignment_duration_secs,
                t.auto_approval_delay_secs,
                requirements.as_str(),
                fingerprint,
                t.creation_time.millis()
            ],
        )
        .await?;
        for r in &t.requirements {
            tx.execute(
                "INSERT INTO hit_type_qualifications (hit_type_id, qualification_type_id) VALUES ($1, $2) \
                             ON CONFLICT DO NOTHING",
                args![t.id.as_str(), r.type_id.as_str()],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(t.id.clone())
    }

    async fn hit_type(&self, id: &str) -> StoreResult<Option<HitType>> {
        let sql = format!("SELECT {HIT_TYPE_COLUMNS} FROM hit_types t WHERE t.id = $1");
        self.read_one::<HitTypeRow, HitType>(&sql, args![id]).await
    }

    async fn insert_hit(&self, h: &Hit, token: Option<&str>) -> StoreResult<()> {
        let mut tx = self.db.writer().await?;
        if let Some(token) = token {
            let existing = tx
                .fetch_optional::<String>(
                    "SELECT id FROM hits WHERE owner = $1 AND unique_request_token = $2",
                    args![h.hit_type.owner.as_str(), token],
                )
                .await?;
            if let Some(existing) = existing {
                return Err(StoreError::Conflict { existing: Some(existing) });
            }
        }
        // A concurrent create with the same token may have won the race.
        tx.insert_unique(
            "INSERT INTO hits (id, hit_type_id, owner, question, max_assignments, expiration, \
                         requester_annotation, creation_time, reviewing, disposed, unique_request_token) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, 0, $9)",
            args![
                h.id.as_str(),
                h.hit_type.id.as_str(),
                h.hit_type.owner.as_str(),
                h.question.as_str(),
                h.max_assignments,
                h.expiration.millis(),
                h.requester_annotation.as_deref(),
                h.creation_time.millis(),
                token
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn hit(&self, id: &str, now: Timestamp) -> StoreResult<Option<Hit>> {
        let sql = format!("{HIT_SELECT} WHERE h.id = $2");
        self.read_one::<HitRow, Hit>(&sql, args![now.millis(), id]).await
    }

    async fn hits(&self, filter: &HitFilter, now: Timestamp, page: Page) -> StoreResult<Paged<Hit>> {
        let (condition, a, b) = match filter {
            HitFilter::Owner(owner) => ("h.owner = $2 AND h.disposed = 0 AND $3 = $3", owner.as_str(), ""),
            HitFilter::Qualification(owner, qt) => (
                "h.owner = $2 AND h.disposed = 0 AND EXISTS (SELECT 1 FROM hit_type_qualifications q \
                             WHERE q.hit_type_id = h.hit_type_id AND q.qualification_type_id = $3)",
                owner.as_str(),
                qt.as_str(),
            ),
            HitFilter::Marketplace => ("h.disposed = 0 AND h.reviewing = 0 AND h.expiration > $1 AND $2 = $3", "", ""),
        };
        let sql = format!("{HIT_SELECT} WHERE {condition} ORDER BY h.creation_time, h.id LIMIT $4 OFFSET $5");
        let rows = self
            .db
            .reader()
            .await?
            .fetch_all::<HitRow>(&sql, args![now.millis(), a, b, page.limit, page.offset])
            .await?;
        let total = self
            .db
            .reader()
            .await?
            .fetch_one::<i64>(
                &format!("SELECT COUNT(*) FROM hits h WHERE $1 = $1 AND {condition}"),
                args![now.millis(), a, b],
            )
            .await?;
        Ok(Paged { items: convert_all(rows)?, total })
    }

    async fn accept(&self, asg: &Assignment, max_assignments: i64, now: Timestamp) -> StoreResult<AcceptOutcome> {
        let mut tx = self.db.writer().await?;
        // Serialize accepts of one HIT (a row lock on PostgreSQL).
        tx.fetch_optional::<String>(
            &format!("SELECT id FROM hits WHERE id = $1{}", B::LOCK_ROW),
            args![asg.hit_id.as_str()],
        )
        .await?;
        let live = "(status IN ('Submitted', 'Approved', 'Rejected') OR (status = 'Accepted' AND deadline >= $2))";
        let mine = tx
            .fetch_one::<i64>(
                &format!("SELECT COUNT(*) FROM assignments WHERE hit_id = $1 AND {live} AND worker_id = $3"),
                args![asg.hit_id.as_str(), now.millis(), asg.worker_id.as_str()],
            )
            .await?;
        if mine > 0 {
            return Ok(AcceptOutcome::AlreadyAccepted);
        }
        let taken = tx
            .fetch_one::<i64>(
                &format!("SELECT COUNT(*) FROM assignments WHERE hit_id = $1 AND {live} AND $3 = $3"),
                args![asg.hit_id.as_str(), now.millis(), ""],
            )
            .await?;
        if taken >= max_assignments {
            return Ok(AcceptOutcome::NoSlot);
        }
        tx.execute(
            "INSERT INTO assignments (id, hit_id, worker_id, status, accept_time, deadline) \
                         VALUES ($1, $2, $3, 'Accepted', $4, $5)",
            args![
                asg.id.as_str(),
                asg.hit_id.as_str(),
                asg.worker_id.as_str(),
                asg.accept_time.millis(),
                asg.deadline.millis()
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(AcceptOutcome::Accepted)
    }

    async fn assignment(&self, id: &str) -> StoreResult<Option<Assignment>> {
        let sql = format!("SELECT {ASSIGNMENT_COLUMNS} FROM assignments WHERE id = $1");
        self.read_one::<AssignmentRow, Assignment>(&sql, args![id]).await
    }

    async fn assignments_for_hit(
        &self,
        hit_id: &str,
        statuses: &[AssignmentStatus],
        page: Page,
    ) -> StoreResult<Paged<Assignment>> {
        // Statuses as a comma-framed list, matched with a portable LIKE.
        let wanted = statuses.iter().fold(String::new(), |mut out, s| {
            out.push(',');
            out.push_str(s.as_str());
            out.push(',');
            out
        });
        let filter = "FROM assignments WHERE hit_id = $1 AND $2 LIKE '%,' || status || ',%'";
        let sql = format!("SELECT {ASSIGNMENT_COLUMNS} {filter} ORDER BY accept_time, id LIMIT $3 OFFSET $4");
        let rows = self
            .db
            .reader()
            .await?
            .fetch_all::<AssignmentRow>(&sql, args![hit_id, wanted.as_str(), page.limit, page.offset])
            .await?;
        let total = self.count(&format!("SELECT COUNT(*) {filter}"), &[hit_id, wanted.as_str()]).await?;
        Ok(Paged { items: convert_all(rows)?, total })
    }

    async fn submit(&self, id: &str, answer: &str, now: Timestamp, auto: Timestamp) -> StoreResult<bool> {
        let mut tx = self.db.writer().await?;
        let done = tx
            .execute(
                "UPDATE assignments SET status = 'Submitted', answer = $2, submit_time = $3, \
                         auto_approval_time = $4 WHERE id = $1 AND status = 'Accepted' AND deadline >= $3",
                args![id, answer, now.millis(), auto.millis()],
            )
            .await?;
        tx.commit().await?;
        Ok(done == 1)
    }

    async fn return_assignment(&self, id: &str, now: Timestamp) -> StoreResult<bool> {
        let mut tx = self.db.writer().await?;
        let done = tx
            .execute(
                "UPDATE assignments SET status = 'Returned' WHERE id = $1 AND status = 'Accepted' AND deadline >= $2",
                args![id, now.millis()],
            )
            .await?;
        tx.commit().await?;
        Ok(done == 1)
    }

    async fn review(&self, r: &Review) -> StoreResult<ReviewOutcome> {
        let mut tx = self.db.writer().await?;
        if r.to == AssignmentStatus::Approved && r.cost_cents > 0 {
            let paid = tx
                .execute(
                    "UPDATE requesters SET balance_cents = balance_cents - $2 \
                             WHERE access_key_id = $1 AND balance_cents >= $2",
                    args![r.payer.as_str(), r.cost_cents],
                )
                .await?;
            if paid == 0 {
                return Ok(ReviewOutcome::InsufficientFunds);
            }
        }
        let (time_column, clear_column) = if r.to == AssignmentStatus::Approved {
            ("approval_time", "rejection_time")
        } else {
            ("rejection_time", "approval_time")
        };
        let done = tx
            .execute(
                &format!(
                    "UPDATE assignments SET status = $2, {time_column} = $3, {clear_column} = NULL, \
                         requester_feedback = COALESCE($4, requester_feedback) WHERE id = $1 AND status = $5"
                ),
                args![r.id.as_str(), r.to.as_str(), r.now.millis(), r.feedback.as_deref(), r.from.as_str()],
            )
            .await?;
        if done == 0 {
            // Dropping the transaction rolls the payment back.
            return Ok(ReviewOutcome::WrongState);
        }
        tx.commit().await?;
        Ok(ReviewOutcome::Done)
    }

    async fn settle_auto_approvals(&self, now: Timestamp) -> StoreResult<u64> {
        let due = self
            .db
            .reader()
            .await?
            .fetch_one::<i64>(
                "SELECT COUNT(*) FROM assignments WHERE status = 'Submitted' AND auto_approval_time <= $1",
                args![now.millis()],
            )
            .await?;
        if due == 0 {
            return Ok(0);
        }
        let mut tx = self.db.writer().await?;
        let rows: Vec<(String, String, i64, i64)> = tx
            .fetch_all(
                "SELECT a.id, h.owner, t.reward_cents, h.max_assignments FROM assignments a \
                         JOIN hits h ON h.id = a.hit_id JOIN hit_types t ON t.id = h.hit_type_id \
                         WHERE a.status = 'Submitted' AND a.auto_approval_time <= $1",
                args![now.millis()],
            )
            .await?;
        let mut settled = 0;
        for (id, owner, reward, max) in rows {
            let done = tx
                .execute(
                    "UPDATE assignments SET status = 'Approved', approval_time = auto_approval_time \
                             WHERE id = $1 AND status = 'Submitted'",
                    args![id.as_str()],
                )
                .await?;
            if done == 1 {
                // Automatic approval pays even past zero: the money was checked at CreateHIT.
                tx.execute(
                    "UPDATE requesters SET balance_cents = balance_cents - $2 WHERE access_key_id = $1",
                    args![owner.as_str(), reward + reward_fee_cents(reward, max)],
                )
                .await?;
                settled += 1;
            }
        }
        tx.commit().await?;
        Ok(settled)
    }

    async fn set_reviewing(&self, hit_id: &str, reviewing: bool) -> StoreResult<bool> {
        let mut tx = self.db.writer().await?;
        let done = tx
            .execute(
                "UPDATE hits SET reviewing = $2 WHERE id = $1 AND reviewing = $3 AND disposed = 0",
                args![hit_id, i64::from(reviewing), i64::from(!reviewing)],
            )
            .await?;
        tx.commit().await?;
        Ok(done == 1)
    }

    async fn set_expiration(&self, hit_id: &str, expiration: Timestamp) -> StoreResult<()> {
        let mut tx = self.db.writer().await?;
        tx.execute("UPDATE hits SET expiration = $2 WHERE id = $1", args![hit_id, expiration.millis()]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn dispose_hit(&self, hit_id: &str) -> StoreResult<()> {
        let mut tx = self.db.writer().await?;
        tx.execute("UPDATE hits SET disposed = 1 WHERE id = $1", args![hit_id]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn worker_profile(&self, worker: &WorkerId) -> StoreResult<WorkerProfile> {
        let row: Option<(Option<String>, Option<String>, i64, i64)> = self
            .db
            .reader()
            .await?
            .fetch_optional(
                "SELECT country, subdivision, adult, masters FROM worker_profiles WHERE worker_id = $1",
                args![worker.as_str()],
            )
            .await?;
        Ok(match row {
            None => WorkerProfile {
                // A worker nobody described is in the United States, as most are.
                locale: Some(Locale { country: "US".into(), subdivision: None }),
                adult: false,
                masters: false,
            },
            Some((country, subdivision, adult, masters)) => WorkerProfile {
                locale: country.map(|country| Locale { country, subdivision }),
                adult: adult != 0,
                masters: masters != 0,
            },
        })
    }

    async fn set_worker_profile(&self, worker: &WorkerId, p: &WorkerProfile) -> StoreResult<()> {
        let mut tx = self.db.writer().await?;
        tx.execute(
            "INSERT INTO worker_profiles (worker_id, country, subdivision, adult, masters) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (worker_id) DO UPDATE SET country = excluded.country, \
                         subdivision = excluded.subdivision, adult = excluded.adult, masters = excluded.masters",
            args![
                worker.as_str(),
                p.locale.as_ref().map(|l| l.country.as_str()),
                p.locale.as_ref().and_then(|l| l.subdivision.as_deref()),
                i64::from(p.adult),
                i64::from(p.masters)
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn worker_history(&self, worker: &WorkerId, now: Timestamp) -> StoreResult<WorkerHistory> {
        let (accepted, submitted, approved, rejected, returned, abandoned): (i64, i64, i64, i64, i64, i64) =
                        self.db.reader().await?.fetch_one("SELECT COUNT(*), \
                             COALESCE(SUM(CASE WHEN status IN ('Submitted', 'Approved', 'Rejected') THEN 1 ELSE 0 END), 0), \
                             COALESCE(SUM(CASE WHEN status = 'Approved' THEN 1 ELSE 0 END), 0), \
                             COALESCE(SUM(CASE WHEN status = 'Rejected' THEN 1 ELSE 0 END), 0), \
                             COALESCE(SUM(CASE WHEN status = 'Returned' THEN 1 ELSE 0 END), 0), \
                             COALESCE(SUM(CASE WHEN status = 'Accepted' AND deadline < $2 THEN 1 ELSE 0 END), 0) \
                             FROM assignments WHERE worker_id = $1", args![worker.as_str(), now.millis()])
                        .await?;
        Ok(WorkerHistory { accepted, submitted, approved, rejected, returned, abandoned })
    }

    async fn grant_bonus(&self, b: &Bonus, cost: i64, token: Option<&str>) -> StoreResult<PaidOutcome> {
        let mut tx = self.db.writer().await?;
        if let Some(token) = token {
            let fresh = tx
                .execute(
                    "INSERT INTO idempotency_tokens (requester, operation, token, created_at) \
                             VALUES ($1, 'SendBonus', $2, $3) ON CONFLICT DO NOTHING",
                    args![b.requester.as_str(), token, b.grant_time.millis()],
                )
                .await?;
            if fresh == 0 {
                return Ok(PaidOutcome::DuplicateToken);
            }
        }
        let paid = tx.execute("UPDATE requesters SET balance_cents = balance_cents - $2 WHERE access_key_id = $1 AND balance_cents >= $2", args![b.requester.as_str(), cost])
                    .await?;
        if paid == 0 {
            return Ok(PaidOutcome::InsufficientFunds);
        }
        tx.execute("INSERT INTO bonus_payments (id, requester, worker_id, assignment_id, hit_id, amount_cents, reason, grant_time) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", args![b.id.as_str(), b.requester.as_str(), b.worker_id.as_str(), b.assignment_id.as_str(), b.hit_id.as_str(), b.amount_cents, b.reason.as_str(), b.grant_time.millis()])
                    .await?;
        tx.commit().await?;
        Ok(PaidOutcome::Done)
    }

    async fn bonuses(&self, id: &str, by_hit: bool, page: Page) -> StoreResult<Paged<Bonus>> {
        let column = if by_hit { "hit_id" } else { "assignment_id" };
        let rows: Vec<(String, String, String, String, String, i64, String, i64)> = self
            .db
            .reader()
            .await?
            .fetch_all(
                &format!(
                    "SELECT id, requester, worker_id, assignment_id, hit_id, amount_cents, reason, grant_time \
                         FROM bonus_payments WHERE {column} = $1 ORDER BY grant_time, id LIMIT $2 OFFSET $3"
                ),
                args![id, page.limit, page.offset],
            )
            .await?;
        let total = self.count(&format!("SELECT COUNT(*) FROM bonus_payments WHERE {column} = $1"), &[id]).await?;
        let items = rows
            .into_iter()
            .map(|(id, requester, worker, assignment_id, hit_id, amount_cents, reason, at)| Bonus {
                id,
                requester: RequesterId::from_stored(requester),
                worker_id: WorkerId::from_stored(worker),
                assignment_id,
                hit_id,
                amount_cents,
                reason,
                grant_time: Timestamp::from_millis(at),
            })
            .collect();
        Ok(Paged { items, total })
    }

    async fn add_assignments(
        &self,
        hit_id: &str,
        owner: &RequesterId,
        more: i64,
        token: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<PaidOutcome> {
        let mut tx = self.db.writer().await?;
        if let Some(token) = token {
            let fresh = tx
                .execute(
                    "INSERT INTO idempotency_tokens (requester, operation, token, created_at) \
                             VALUES ($1, 'CreateAdditionalAssignmentsForHIT', $2, $3) ON CONFLICT DO NOTHING",
                    args![owner.as_str(), token, now.millis()],
                )
                .await?;
            if fresh == 0 {
                return Ok(PaidOutcome::DuplicateToken);
            }
        }
        tx.execute("UPDATE hits SET max_assignments = max_assignments + $2 WHERE id = $1", args![hit_id, more]).await?;
        tx.commit().await?;
        Ok(PaidOutcome::Done)
    }

    async fn change_hit_type(&self, hit_id: &str, hit_type_id: &str) -> StoreResult<()> {
        let mut tx = self.db.writer().await?;
        tx.execute("UPDATE hits SET hit_type_id = $2 WHERE id = $1", args![hit_id, hit_type_id]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn worker_assignments(&self, worker: &WorkerId) -> StoreResult<Vec<Assignment>> {
        let sql =
            format!("SELECT {ASSIGNMENT_COLUMNS} FROM assignments WHERE worker_id = $1 ORDER BY accept_time DESC, id");
        let rows = self.db.reader().await?.fetch_all::<AssignmentRow>(&sql, args![worker.as_str()]).await?;
        convert_all(rows)
    }
}
