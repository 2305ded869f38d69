//! The SQL of the [`super::hits::HitStore`] methods, written once
//! like [`super::qualification_sql`]. `accept` locks the HIT's row with the backend's
//! `LOCK_ROW` (`" FOR UPDATE"` on PostgreSQL; nothing on SQLite, whose single
//! writer already serializes), so two accepts of the last slot of a HIT
//! cannot both succeed.

use std::fmt::Write as _;
use std::sync::LazyLock;

use async_trait::async_trait;

use super::db::{args, stored_row, Arg, Backend, Exec, Writer as _};
use super::event_sql::{emit_expired, emit_for_assignment, emit_for_hit, emit_if_reviewable};
use super::sql_store::{Key, PagedQuery, SqlStore};
use crate::domain::hit::{reward_fee_cents, Assignment, AssignmentStatus, Hit, HitType, Payment};
use crate::domain::ids::RequesterId;
use crate::domain::notification::EventType;
use crate::domain::review::HitReviewPolicies;
use crate::domain::time::Timestamp;
use crate::store::files::FileStore as _;
use crate::store::hit_rows::{
    encode_requirements, hit_select, AssignmentRow, BonusRow, HitRow, HitTypeRow, PaymentRow, ASSIGNMENT_COLUMNS,
    HIT_FROM, HIT_TYPE_COLUMNS,
};
use crate::store::hits::{
    AcceptOutcome, AssignmentStore, Bonus, BonusesOf, DisableOutcome, ExtendOutcome, Extension, HitFilter, HitStore,
    MarketOrder, PaidOutcome, Review, ReviewMark, ReviewOutcome, ReviewsOutcome,
};
use crate::store::{Page, Paged, StoreError, StoreResult};

/// The HITs a worker could accept at `$1` (now): what `Hit::status` calls
/// Assignable, so that the marketplace's pages hold only HITs it lists.
const MARKETPLACE: &str = "h.disposed = 0 AND h.reviewing = 0 AND h.expiration > $1 \
     AND h.max_assignments > (SELECT COUNT(*) FROM assignments a WHERE a.hit_id = h.id \
         AND (a.status IN ('Submitted', 'Approved', 'Rejected') OR (a.status = 'Accepted' AND a.deadline >= $1)))";

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
        static SQL: LazyLock<String> =
            LazyLock::new(|| format!("SELECT {HIT_TYPE_COLUMNS} FROM hit_types t WHERE t.id = $1"));
        self.read_one::<HitTypeRow, HitType>(&SQL, args![id]).await
    }

    async fn insert_hit(&self, h: &Hit, token: Option<&str>, policies: &HitReviewPolicies) -> StoreResult<()> {
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
        insert_hit_row(&mut tx, h, token).await?;
        super::review_sql::insert_policies(&mut tx, &h.id, policies).await?;
        let emitted = emit_for_hit::<B>(&mut tx, EventType::HitCreated, &h.id, None, h.creation_time, None).await?;
        tx.commit().await?;
        self.events_written(emitted);
        Ok(())
    }

    async fn hit(&self, id: &str, now: Timestamp) -> StoreResult<Option<Hit>> {
        static SQL: LazyLock<String> = LazyLock::new(|| format!("{} {HIT_FROM} WHERE h.id = $1", hit_select("$2")));
        self.read_one::<(HitRow, HitTypeRow), Hit>(&SQL, args![id, now.millis()]).await
    }

    async fn hits(&self, filter: &HitFilter, now: Timestamp, page: Page) -> StoreResult<Paged<Hit>> {
        let now = now.millis();
        // The filter's placeholders come first, numbered as they are bound; the
        // counts' "now" reuses the filter's when it binds one.
        let mut args: Vec<Arg<'_>> = Vec::with_capacity(3);
        let mut now_param = None;
        let mut keys = BY_CREATION;
        let condition = match filter {
            HitFilter::Owner(owner) => {
                args.push(owner.as_str().into());
                "h.owner = $1 AND h.disposed = 0".to_owned()
            }
            HitFilter::Qualification(owner, qt) => {
                args.extend([Arg::from(owner.as_str()), Arg::from(qt.as_str())]);
                "h.owner = $1 AND h.disposed = 0 AND EXISTS (SELECT 1 FROM hit_type_qualifications q \
                 WHERE q.hit_type_id = h.hit_type_id AND q.qualification_type_id = $2)"
                    .to_owned()
            }
            HitFilter::Review { owner, hit_type, mark } => {
                args.push(owner.as_str().into());
                let mut condition = String::from("h.owner = $1 AND h.disposed = 0");
                if let Some(t) = hit_type {
                    args.push(t.as_str().into());
                    condition.push_str(" AND h.hit_type_id = $2");
                }
                match mark {
                    ReviewMark::Reviewing => condition.push_str(" AND h.reviewing = 1"),
                    ReviewMark::Unmarked => {
                        args.push(now.into());
                        let n = args.len();
                        now_param = Some(n);
                        // `Hit::status` Reviewable: no work in progress, and no
                        // free slot (expired, or every slot taken).
                        let _ = write!(
                            condition,
                            " AND h.reviewing = 0 AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.hit_id = h.id \
                             AND a.status = 'Accepted' AND a.deadline >= ${n}) AND (h.expiration <= ${n} \
                             OR h.max_assignments <= (SELECT COUNT(*) FROM assignments a WHERE a.hit_id = h.id \
                             AND a.status IN ('Submitted', 'Approved', 'Rejected')))"
                        );
                    }
                }
                condition
            }
            HitFilter::Marketplace { order } => {
                args.push(now.into());
                now_param = Some(1);
                keys = market_keys(*order);
                MARKETPLACE.to_owned()
            }
            HitFilter::Group { hit_type } => {
                args.extend([Arg::from(now), Arg::from(hit_type.as_str())]);
                now_param = Some(1);
                format!("{MARKETPLACE} AND h.hit_type_id = $2")
            }
        };
        let now_arg = [Arg::from(now)];
        let (select, select_args): (String, &[Arg<'_>]) = match now_param {
            Some(n) => (hit_select(&format!("${n}")), &[]),
            None => (hit_select(&format!("${}", args.len() + 1)), &now_arg),
        };
        let from = format!("{HIT_FROM} WHERE {condition}");
        let q = PagedQuery {
            select: &select,
            from: &from,
            keys: keys.0,
            descending: keys.1,
            filter_args: &args,
            select_args,
        };
        self.paged::<(HitRow, HitTypeRow), _>(&q, &page).await
    }

    async fn hit_groups(
        &self,
        search: Option<&str>,
        order: MarketOrder,
        now: Timestamp,
        page: Page,
    ) -> StoreResult<Paged<HitType>> {
        let pattern = search.filter(|s| !s.is_empty()).map(|s| format!("%{}%", like_escape(&s.to_lowercase())));
        let mut args: Vec<Arg<'_>> = vec![Arg::from(now.millis())];
        // The type's open HITs, through hits_type_open: one seek per type.
        let mut condition = format!("EXISTS (SELECT 1 FROM hits h WHERE h.hit_type_id = t.id AND {MARKETPLACE})");
        if let Some(p) = &pattern {
            args.push(p.as_str().into());
            condition.push_str(
                " AND (LOWER(t.title) LIKE $2 ESCAPE '\\' OR LOWER(t.description) LIKE $2 ESCAPE '\\' \
                 OR LOWER(COALESCE(t.keywords, '')) LIKE $2 ESCAPE '\\')",
            );
        }
        let select = format!("SELECT {HIT_TYPE_COLUMNS}");
        let from = format!("FROM hit_types t WHERE {condition}");
        let (keys, descending) = group_keys(order);
        let q = PagedQuery { select: &select, from: &from, keys, descending, filter_args: &args, select_args: &[] };
        self.paged::<HitTypeRow, _>(&q, &page).await
    }

    async fn group_available(
        &self,
        hit_types: &[String],
        worker: &str,
        now: Timestamp,
    ) -> StoreResult<Vec<(String, i64)>> {
        if hit_types.is_empty() {
            return Ok(Vec::new());
        }
        let mut args: Vec<Arg<'_>> = vec![Arg::from(now.millis()), Arg::from(worker)];
        args.extend(hit_types.iter().map(|t| Arg::from(t.as_str())));
        let sql = format!(
            "SELECT h.hit_type_id AS hit_type_id, COUNT(*) AS available FROM hits h WHERE h.hit_type_id IN ({}) \
             AND {MARKETPLACE} AND NOT EXISTS ({NOT_MINE}) GROUP BY h.hit_type_id",
            placeholders(3, hit_types.len())
        );
        let rows = self.db.reader().await?.fetch_all::<GroupCount>(&sql, &args).await?;
        Ok(rows.into_iter().map(|r| (r.hit_type_id, r.available)).collect())
    }

    async fn next_group_hit(
        &self,
        hit_type: &str,
        worker: &str,
        now: Timestamp,
        skip: &[String],
    ) -> StoreResult<Option<String>> {
        let mut args: Vec<Arg<'_>> = vec![Arg::from(now.millis()), Arg::from(worker), Arg::from(hit_type)];
        args.extend(skip.iter().map(|h| Arg::from(h.as_str())));
        let skipped =
            if skip.is_empty() { String::new() } else { format!(" AND h.id NOT IN ({})", placeholders(4, skip.len())) };
        let sql = format!(
            "SELECT h.id FROM hits h WHERE h.hit_type_id = $3 AND {MARKETPLACE} AND NOT EXISTS ({NOT_MINE}){skipped} \
             ORDER BY h.creation_time, h.id LIMIT 1"
        );
        self.db.reader().await?.fetch_optional::<String>(&sql, &args).await
    }

    async fn set_reviewing(&self, hit_id: &str, to: ReviewMark) -> StoreResult<bool> {
        let (to, from) = match to {
            ReviewMark::Reviewing => (1_i64, 0_i64),
            ReviewMark::Unmarked => (0, 1),
        };
        self.update_one(
            "UPDATE hits SET reviewing = $2 WHERE id = $1 AND reviewing = $3 AND disposed = 0",
            args![hit_id, to, from],
        )
        .await
    }

    async fn set_expiration(&self, hit_id: &str, expiration: Timestamp, now: Timestamp) -> StoreResult<bool> {
        let mut tx = self.db.writer().await?;
        let before = tx
            .fetch_optional::<i64>(
                &format!("SELECT expiration FROM hits WHERE id = $1 AND disposed = 0{}", B::LOCK_ROW),
                args![hit_id],
            )
            .await?;
        let Some(before) = before else { return Ok(false) };
        tx.execute("UPDATE hits SET expiration = $2 WHERE id = $1", args![hit_id, expiration.millis()]).await?;
        let emitted = if expiration <= now {
            // Expired by the call: HITExpired now (the clock, seeing the same
            // expiration, does not record it again), and HITReviewable if
            // nothing is in progress.
            let expired = emit_expired::<B>(&mut tx, hit_id, expiration).await?;
            emit_if_reviewable::<B>(&mut tx, hit_id, now, expiration).await? || expired
        } else if expiration.millis() > before {
            emit_for_hit::<B>(&mut tx, EventType::HitExtended, hit_id, None, now, None).await?
        } else {
            false
        };
        tx.commit().await?;
        self.events_written(emitted);
        Ok(true)
    }

    async fn dispose_hit(&self, hit_id: &str, now: Timestamp) -> StoreResult<bool> {
        // The state `ops::hits::delete_hit` checked, again in the update: nothing
        // submitted or in progress, and Reviewing or no longer assignable
        // (expired, or every slot reviewed).
        let mut tx = self.db.writer().await?;
        let done = tx
            .execute(
                "UPDATE hits SET disposed = 1 WHERE id = $1 AND disposed = 0 \
                 AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.hit_id = hits.id \
                     AND (a.status = 'Submitted' OR (a.status = 'Accepted' AND a.deadline >= $2))) \
                 AND (reviewing = 1 OR expiration <= $2 OR max_assignments <= (SELECT COUNT(*) FROM assignments a \
                     WHERE a.hit_id = hits.id AND a.status IN ('Approved', 'Rejected')))",
                args![hit_id, now.millis()],
            )
            .await?;
        if done != 1 {
            return Ok(false);
        }
        let emitted = emit_for_hit::<B>(&mut tx, EventType::HitDisposed, hit_id, None, now, None).await?;
        tx.commit().await?;
        self.events_written(emitted);
        Ok(true)
    }

    async fn disable_hit(&self, hit_id: &str, payer: &RequesterId, now: Timestamp) -> StoreResult<DisableOutcome> {
        let mut tx = self.db.writer().await?;
        // Expire and dispose first: on PostgreSQL this locks the HIT's row, so
        // a second DisableHIT waits here and then finds it disposed.
        let live = tx
            .execute(
                "UPDATE hits SET expiration = $2, disposed = 1 WHERE id = $1 AND disposed = 0",
                args![hit_id, now.millis()],
            )
            .await?;
        if live == 0 {
            return Ok(DisableOutcome::Disposed);
        }
        let reward = tx
            .fetch_one::<i64>(
                "SELECT t.reward_cents FROM hits h JOIN hit_types t ON t.id = h.hit_type_id WHERE h.id = $1",
                args![hit_id],
            )
            .await?;
        let max = tx.fetch_one::<i64>("SELECT max_assignments FROM hits WHERE id = $1", args![hit_id]).await?;
        let submitted: Vec<String> = tx
            .fetch_all(
                "SELECT id FROM assignments WHERE hit_id = $1 AND status = 'Submitted' ORDER BY submit_time, id",
                args![hit_id],
            )
            .await?;
        // The feedback stays as it was, as ApproveAssignment without one leaves it.
        let approved = tx
            .execute(
                "UPDATE assignments SET status = 'Approved', approval_time = $2, rejection_time = NULL \
                 WHERE hit_id = $1 AND status = 'Submitted'",
                args![hit_id, now.millis()],
            )
            .await?;
        let each = reward + reward_fee_cents(reward, max);
        let cost = each.saturating_mul(i64::try_from(approved).unwrap_or(i64::MAX));
        // Run even when nothing is due, as the balance check it replaces did: a
        // balance that automatic approvals took below zero cannot disable.
        let paid = tx
            .execute(
                "UPDATE requesters SET balance_cents = balance_cents - $2 \
                 WHERE access_key_id = $1 AND balance_cents >= $2",
                args![payer.as_str(), cost],
            )
            .await?;
        if paid == 0 {
            let balance = tx
                .fetch_optional::<i64>(
                    "SELECT balance_cents FROM requesters WHERE access_key_id = $1",
                    args![payer.as_str()],
                )
                .await?
                .unwrap_or(0);
            // Dropping the transaction undoes the expiration, approvals and disposal.
            return Ok(DisableOutcome::InsufficientFunds { cost_cents: cost, balance_cents: balance });
        }
        let mut emitted = false;
        for id in &submitted {
            emitted |= emit_for_hit::<B>(&mut tx, EventType::AssignmentApproved, hit_id, Some(id), now, None).await?;
        }
        emitted |= emit_for_hit::<B>(&mut tx, EventType::HitDisposed, hit_id, None, now, None).await?;
        tx.commit().await?;
        self.events_written(emitted);
        Ok(DisableOutcome::Done)
    }

    async fn extend_hit(&self, e: &Extension<'_>) -> StoreResult<ExtendOutcome> {
        let mut tx = self.db.writer().await?;
        if let (Some(token), Some(_)) = (e.token, e.more_assignments) {
            if !claim_token(&mut tx, e.owner.as_str(), "CreateAdditionalAssignmentsForHIT", token, e.now).await? {
                return Ok(ExtendOutcome::DuplicateToken);
            }
        }
        // The 10 rule of `ops::hits::extend_hit` again, against the count of
        // this moment, so that two additions racing past it cannot both pass.
        let done = tx
            .execute(
                "UPDATE hits SET expiration = COALESCE($2, expiration), max_assignments = max_assignments + $3 \
                 WHERE id = $1 AND disposed = 0 AND (max_assignments >= 10 OR max_assignments + $3 < 10)",
                args![e.hit_id, e.expiration.map(Timestamp::millis), e.more_assignments.unwrap_or(0)],
            )
            .await?;
        if done == 0 {
            // Dropping the transaction forgets the token too.
            return Ok(ExtendOutcome::Changed);
        }
        let emitted = emit_for_hit::<B>(&mut tx, EventType::HitExtended, e.hit_id, None, e.now, None).await?;
        tx.commit().await?;
        self.events_written(emitted);
        Ok(ExtendOutcome::Done)
    }

    async fn change_hit_type(&self, hit_id: &str, hit_type_id: &str) -> StoreResult<bool> {
        self.update_one("UPDATE hits SET hit_type_id = $2 WHERE id = $1 AND disposed = 0", args![hit_id, hit_type_id])
            .await
    }
}

#[async_trait]
impl<B: Backend> AssignmentStore for SqlStore<B> {
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
                &format!("SELECT COUNT(*) FROM assignments WHERE hit_id = $1 AND {live}"),
                args![asg.hit_id.as_str(), now.millis()],
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
        let emitted = emit_for_hit::<B>(
            &mut tx,
            EventType::AssignmentAccepted,
            asg.hit_id.as_str(),
            Some(asg.id.as_str()),
            asg.accept_time,
            None,
        )
        .await?;
        tx.commit().await?;
        self.events_written(emitted);
        Ok(AcceptOutcome::Accepted)
    }

    async fn assignment(&self, id: &str) -> StoreResult<Option<Assignment>> {
        static SQL: LazyLock<String> =
            LazyLock::new(|| format!("SELECT {ASSIGNMENT_COLUMNS} FROM assignments WHERE id = $1"));
        self.read_one::<AssignmentRow, Assignment>(&SQL, args![id]).await
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
        let select = format!("SELECT {ASSIGNMENT_COLUMNS}");
        let q = PagedQuery {
            select: &select,
            from: "FROM assignments WHERE hit_id = $1 AND $2 LIKE '%,' || status || ',%'",
            keys: &[Key::int("accept_time"), Key::text("id")],
            descending: false,
            filter_args: args![hit_id, wanted.as_str()],
            select_args: &[],
        };
        self.paged::<AssignmentRow, _>(&q, &page).await
    }

    async fn submit(&self, id: &str, answer: &str, now: Timestamp, auto: Timestamp) -> StoreResult<bool> {
        // A submission with no files: the one statement and event of `submit_with_files`.
        self.submit_with_files(id, answer, now, auto, &[]).await
    }

    async fn return_assignment(&self, id: &str, now: Timestamp) -> StoreResult<bool> {
        let mut tx = self.db.writer().await?;
        let done = tx
            .execute(
                "UPDATE assignments SET status = 'Returned', return_time = $2 \
                 WHERE id = $1 AND status = 'Accepted' AND deadline >= $2",
                args![id, now.millis()],
            )
            .await?;
        if done != 1 {
            return Ok(false);
        }
        let emitted = worker_done::<B>(&mut tx, EventType::AssignmentReturned, id, now).await?;
        tx.commit().await?;
        self.events_written(emitted);
        Ok(true)
    }

    async fn review(&self, r: &Review) -> StoreResult<ReviewOutcome> {
        let mut tx = self.db.writer().await?;
        let (outcome, emitted) = review_in::<B>(&mut tx, r).await?;
        if outcome != ReviewOutcome::Done {
            // Dropping the transaction rolls the payment back.
            return Ok(outcome);
        }
        tx.commit().await?;
        self.events_written(emitted);
        Ok(ReviewOutcome::Done)
    }

    async fn review_all(&self, reviews: &[Review]) -> StoreResult<ReviewsOutcome> {
        let mut tx = self.db.writer().await?;
        let mut emitted = false;
        for (index, r) in reviews.iter().enumerate() {
            let (outcome, events) = review_in::<B>(&mut tx, r).await?;
            if outcome != ReviewOutcome::Done {
                // Dropping the transaction undoes the reviews and payments before this one.
                return Ok(ReviewsOutcome::Failed { index, outcome });
            }
            emitted |= events;
        }
        tx.commit().await?;
        self.events_written(emitted);
        Ok(ReviewsOutcome::Done)
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
        let rows: Vec<(String, String, i64, i64, String, i64)> = tx
            .fetch_all(
                "SELECT a.id, h.owner, t.reward_cents, h.max_assignments, h.id, a.auto_approval_time \
                         FROM assignments a \
                         JOIN hits h ON h.id = a.hit_id JOIN hit_types t ON t.id = h.hit_type_id \
                         WHERE a.status = 'Submitted' AND a.auto_approval_time <= $1",
                args![now.millis()],
            )
            .await?;
        let mut settled = 0;
        let mut emitted = false;
        for (id, owner, reward, max, hit_id, approval_time) in rows {
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
                // Dated when the delay ran out, as the approval itself is.
                let at = Timestamp::from_millis(approval_time);
                emitted |=
                    emit_for_hit::<B>(&mut tx, EventType::AssignmentApproved, &hit_id, Some(id.as_str()), at, None)
                        .await?;
                settled += 1;
            }
        }
        tx.commit().await?;
        self.events_written(emitted);
        Ok(settled)
    }

    async fn grant_bonus(&self, b: &Bonus, cost: i64, token: Option<&str>) -> StoreResult<PaidOutcome> {
        const PAY: &str =
            "UPDATE requesters SET balance_cents = balance_cents - $2 WHERE access_key_id = $1 AND balance_cents >= $2";
        const INSERT: &str = "INSERT INTO bonus_payments \
             (id, requester, worker_id, assignment_id, hit_id, amount_cents, reason, grant_time) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        let mut tx = self.db.writer().await?;
        if let Some(token) = token {
            if !claim_token(&mut tx, b.requester.as_str(), "SendBonus", token, b.grant_time).await? {
                return Ok(PaidOutcome::DuplicateToken);
            }
        }
        let paid = tx.execute(PAY, args![b.requester.as_str(), cost]).await?;
        if paid == 0 {
            return Ok(PaidOutcome::InsufficientFunds);
        }
        let values = args![
            b.id.as_str(),
            b.requester.as_str(),
            b.worker_id.as_str(),
            b.assignment_id.as_str(),
            b.hit_id.as_str(),
            b.amount_cents,
            b.reason.as_str(),
            b.grant_time.millis()
        ];
        tx.execute(INSERT, values).await?;
        tx.commit().await?;
        Ok(PaidOutcome::Done)
    }

    async fn bonuses(&self, of: BonusesOf<'_>, page: Page) -> StoreResult<Paged<Bonus>> {
        let (from, id) = match of {
            BonusesOf::Hit(id) => ("FROM bonus_payments WHERE hit_id = $1", id),
            BonusesOf::Assignment(id) => ("FROM bonus_payments WHERE assignment_id = $1", id),
        };
        let q = PagedQuery {
            select: "SELECT id, requester, worker_id, assignment_id, hit_id, amount_cents, reason, grant_time",
            from,
            keys: &[Key::int("grant_time"), Key::text("id")],
            descending: false,
            filter_args: args![id],
            select_args: &[],
        };
        self.paged::<BonusRow, _>(&q, &page).await
    }

    async fn payments(&self, requester: &RequesterId, page: Page) -> StoreResult<Paged<Payment>> {
        // Each branch filters by the requester itself (the outer WHERE only
        // names it once), so each walks its own index: approved assignments
        // by approval time (assignments_approved), bonuses by requester and
        // grant time (bonus_payments_requester); the outer key then merges them.
        let q = PagedQuery {
            select: "SELECT p.kind, p.id, p.paid_at, p.worker_id, p.hit_id, p.assignment_id, p.amount_cents, \
                     p.max_assignments, p.reason",
            from: "FROM (SELECT 'Reward' AS kind, a.id AS id, a.approval_time AS paid_at, a.worker_id AS worker_id, \
                         a.hit_id AS hit_id, a.id AS assignment_id, t.reward_cents AS amount_cents, \
                         h.max_assignments AS max_assignments, CAST(NULL AS TEXT) AS reason \
                     FROM assignments a JOIN hits h ON h.id = a.hit_id JOIN hit_types t ON t.id = h.hit_type_id \
                     WHERE a.status = 'Approved' AND a.approval_time IS NOT NULL AND h.owner = $1 \
                   UNION ALL \
                   SELECT 'Bonus', b.id, b.grant_time, b.worker_id, b.hit_id, b.assignment_id, b.amount_cents, \
                         CAST(0 AS BIGINT), b.reason \
                     FROM bonus_payments b WHERE b.requester = $1) p WHERE 1 = 1",
            keys: &[Key::int("p.paid_at"), Key::text("p.id"), Key::text("p.kind")],
            descending: true,
            filter_args: args![requester.as_str()],
            select_args: &[],
        };
        self.paged::<PaymentRow, _>(&q, &page).await
    }
}

/// One review inside `tx` (ApproveAssignment, RejectAssignment, and each of
/// a reviewed batch's): takes the cost from the payer when approving (only
/// from a balance that covers it), moves the assignment from `r.from` to
/// `r.to` and records its event. Returns what it found and whether it wrote
/// an event; on anything but `Done` the caller must drop `tx`, which may
/// hold the payment already.
async fn review_in<B: Backend>(tx: &mut impl Exec, r: &Review) -> StoreResult<(ReviewOutcome, bool)> {
    if r.to == AssignmentStatus::Approved && r.cost_cents > 0 {
        let paid = tx
            .execute(
                "UPDATE requesters SET balance_cents = balance_cents - $2 \
                         WHERE access_key_id = $1 AND balance_cents >= $2",
                args![r.payer.as_str(), r.cost_cents],
            )
            .await?;
        if paid == 0 {
            return Ok((ReviewOutcome::InsufficientFunds, false));
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
        return Ok((ReviewOutcome::WrongState, false));
    }
    let kind =
        if r.to == AssignmentStatus::Approved { EventType::AssignmentApproved } else { EventType::AssignmentRejected };
    let emitted = emit_for_assignment::<B>(tx, kind, r.id.as_str(), r.now).await?;
    Ok((ReviewOutcome::Done, emitted))
}

/// The events of a worker finishing with assignment `id` at `now` (submit,
/// return): `kind`, and HITReviewable when that left the HIT Reviewable.
pub(super) async fn worker_done<B: Backend>(
    tx: &mut impl Exec,
    kind: EventType,
    id: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let hit = tx.fetch_optional::<String>("SELECT hit_id FROM assignments WHERE id = $1", args![id]).await?;
    let Some(hit) = hit else { return Ok(false) };
    let done = emit_for_hit::<B>(tx, kind, &hit, Some(id), now, None).await?;
    Ok(emit_if_reviewable::<B>(tx, &hit, now, now).await? || done)
}

/// Records a requester's `UniqueRequestToken` for `operation` inside `tx`;
/// false when it was used before (tokens are remembered forever, per
/// requester and operation), so the caller answers its duplicate error and
/// rolls back.
async fn claim_token(
    tx: &mut impl Exec,
    requester: &str,
    operation: &str,
    token: &str,
    at: Timestamp,
) -> StoreResult<bool> {
    let fresh = tx
        .execute(
            "INSERT INTO idempotency_tokens (requester, operation, token, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            args![requester, operation, token, at.millis()],
        )
        .await?;
    Ok(fresh == 1)
}

stored_row! {
    /// A HIT group's count of HITs a worker could accept.
    struct GroupCount {
        hit_type_id: String,
        available: i64,
    }
}

/// An assignment of HIT `h` that worker `$2` holds at `$1` (in progress or
/// submitted): the worker cannot accept that HIT again.
const NOT_MINE: &str = "SELECT 1 FROM assignments a WHERE a.hit_id = h.id AND a.worker_id = $2 \
     AND (a.status IN ('Submitted', 'Approved', 'Rejected') OR (a.status = 'Accepted' AND a.deadline >= $1))";

/// `$first, $first+1, …`: `n` placeholders.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// A search text as a LIKE pattern's literal part (escape character `\`).
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The HIT-group listing's key in `order` (see `hit_types_created` and
/// `hit_types_reward` of migration 0017), each ending with the type's
/// creation time and id.
fn group_keys(order: MarketOrder) -> (&'static [Key<'static>], bool) {
    const BY_CREATION: &[Key<'static>] = &[Key::int("t.creation_time"), Key::text("t.id")];
    const BY_REWARD: &[Key<'static>] = &[Key::int("t.reward_cents"), Key::int("t.creation_time"), Key::text("t.id")];
    match order {
        MarketOrder::Oldest => (BY_CREATION, false),
        MarketOrder::Newest => (BY_CREATION, true),
        MarketOrder::HighestReward => (BY_REWARD, true),
        MarketOrder::LowestReward => (BY_REWARD, false),
    }
}

/// The HIT listings' key, oldest first: creation time, then id.
const BY_CREATION: (&[Key<'static>], bool) = (&[Key::int("h.creation_time"), Key::text("h.id")], false);

/// The marketplace's key in `order` (ascending or not), each ending with
/// creation time and id so that every HIT has one place.
fn market_keys(order: MarketOrder) -> (&'static [Key<'static>], bool) {
    const BY_REWARD: &[Key<'static>] = &[Key::int("t.reward_cents"), Key::int("h.creation_time"), Key::text("h.id")];
    match order {
        MarketOrder::Oldest => BY_CREATION,
        MarketOrder::Newest => (BY_CREATION.0, true),
        MarketOrder::HighestReward => (BY_REWARD, true),
        MarketOrder::LowestReward => (BY_REWARD, false),
    }
}

/// Inserts one HIT's row in `tx` (CreateHIT, and each HIT of a console
/// batch, all in one transaction). A concurrent create with the same token
/// may have won the race: that is a `Conflict`.
pub(super) async fn insert_hit_row<W: super::db::Exec>(tx: &mut W, h: &Hit, token: Option<&str>) -> StoreResult<()> {
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
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    //! The compare-and-set guards of the HIT transitions: a change that lost
    //! the race to another (the HIT was disposed, the 10 rule was reached,
    //! new work came in after the caller looked) changes nothing.

    use super::*;
    use crate::domain::ids::WorkerId;
    use crate::store::{SqliteStore, Store as _};

    const OWNER: &str = "AKIAOWNER00000000000";

    /// A store with one requester, one HIT type and HIT `3HIT` of
    /// `max_assignments` slots with `policies`; also for the review store's tests.
    pub(crate) async fn store_with_hit(max_assignments: i64, policies: &HitReviewPolicies) -> (SqliteStore, Hit) {
        let store = SqliteStore::in_memory().unwrap();
        let owner = RequesterId::from_stored(OWNER.to_owned());
        store.ensure_requesters(&[(owner.clone(), 10_000)], Timestamp::from_millis(0)).await.unwrap();
        let hit_type = HitType {
            id: "3TYPE".into(),
            owner,
            title: "t".into(),
            description: "d".into(),
            keywords: None,
            reward_cents: 100,
            assignment_duration_secs: 600,
            auto_approval_delay_secs: 3600,
            requirements: vec![],
            creation_time: Timestamp::from_millis(0),
        };
        store.insert_hit_type(&hit_type, "fp").await.unwrap();
        let hit = Hit {
            id: "3HIT".into(),
            hit_type,
            question: "q".into(),
            max_assignments,
            expiration: Timestamp::from_millis(1_000_000),
            requester_annotation: None,
            creation_time: Timestamp::from_millis(0),
            reviewing: false,
            disposed: false,
            pending: 0,
            submitted: 0,
            completed: 0,
        };
        store.insert_hit(&hit, None, policies).await.unwrap();
        (store, hit)
    }

    fn at(millis: i64) -> Timestamp {
        Timestamp::from_millis(millis)
    }

    #[tokio::test]
    async fn changes_to_a_hit_disposed_meanwhile_change_nothing() {
        let (store, hit) = store_with_hit(2, &HitReviewPolicies::default()).await;
        let owner = hit.hit_type.owner.clone();
        assert_eq!(store.disable_hit("3HIT", &owner, at(10)).await.unwrap(), DisableOutcome::Done);
        let disposed = store.hit("3HIT", at(10)).await.unwrap().unwrap();
        assert!(!store.set_expiration("3HIT", at(500_000), at(10)).await.unwrap());
        assert!(!store.change_hit_type("3HIT", "3TYPE").await.unwrap());
        assert!(!store.dispose_hit("3HIT", at(10)).await.unwrap());
        assert!(!store.set_reviewing("3HIT", ReviewMark::Reviewing).await.unwrap());
        let extension = Extension {
            hit_id: "3HIT",
            owner: &owner,
            expiration: Some(at(2_000_000)),
            more_assignments: Some(1),
            token: Some("token"),
            now: at(10),
        };
        assert_eq!(store.extend_hit(&extension).await.unwrap(), ExtendOutcome::Changed);
        assert_eq!(store.disable_hit("3HIT", &owner, at(20)).await.unwrap(), DisableOutcome::Disposed);
        let after = store.hit("3HIT", at(10)).await.unwrap().unwrap();
        assert_eq!(format!("{after:?}"), format!("{disposed:?}"));
        // The token of the extension that did not happen is free again.
        let mut tx = store.db.reader().await.unwrap();
        let tokens = tx.fetch_one::<i64>("SELECT COUNT(*) FROM idempotency_tokens", args![]).await.unwrap();
        assert_eq!(tokens, 0);
    }

    #[tokio::test]
    async fn two_additions_cannot_race_past_the_ten_rule() {
        let (store, hit) = store_with_hit(5, &HitReviewPolicies::default()).await;
        let owner = hit.hit_type.owner.clone();
        // Both callers saw 5 assignments and asked for 4 more: only one may have them.
        let more = |expiration| Extension {
            hit_id: "3HIT",
            owner: &owner,
            expiration,
            more_assignments: Some(4),
            token: None,
            now: at(10),
        };
        assert_eq!(store.extend_hit(&more(None)).await.unwrap(), ExtendOutcome::Done);
        assert_eq!(store.extend_hit(&more(Some(at(3_000_000)))).await.unwrap(), ExtendOutcome::Changed);
        let after = store.hit("3HIT", at(10)).await.unwrap().unwrap();
        assert_eq!((after.max_assignments, after.expiration), (9, hit.expiration));
    }

    #[tokio::test]
    async fn a_hit_that_got_new_work_is_not_deleted() {
        let (store, hit) = store_with_hit(1, &HitReviewPolicies::default()).await;
        // The caller saw it expired and empty; meanwhile it was extended and accepted.
        assert!(store.set_expiration("3HIT", at(2_000_000), at(10)).await.unwrap());
        let assignment = Assignment {
            id: "3ASG".into(),
            hit_id: hit.id.clone(),
            worker_id: WorkerId::from_stored("A1WORKER".into()),
            status: AssignmentStatus::Accepted,
            accept_time: at(10),
            deadline: at(600_010),
            submit_time: None,
            auto_approval_time: None,
            approval_time: None,
            rejection_time: None,
            answer: None,
            requester_feedback: None,
        };
        assert_eq!(store.accept(&assignment, 1, at(10)).await.unwrap(), AcceptOutcome::Accepted);
        assert!(!store.dispose_hit("3HIT", at(20)).await.unwrap());
        assert!(!store.hit("3HIT", at(20)).await.unwrap().unwrap().disposed);
        // Once the work is reviewed, the HIT may go.
        assert!(store.submit("3ASG", "a", at(30), at(40)).await.unwrap());
        assert!(!store.dispose_hit("3HIT", at(35)).await.unwrap());
        let review = Review {
            id: "3ASG".into(),
            from: AssignmentStatus::Submitted,
            to: AssignmentStatus::Rejected,
            now: at(36),
            feedback: None,
            cost_cents: 0,
            payer: hit.hit_type.owner.clone(),
        };
        assert_eq!(store.review(&review).await.unwrap(), ReviewOutcome::Done);
        assert!(store.dispose_hit("3HIT", at(37)).await.unwrap());
    }

    #[tokio::test]
    async fn disable_hit_that_cannot_pay_changes_nothing() {
        let (store, hit) = store_with_hit(2, &HitReviewPolicies::default()).await;
        let owner = hit.hit_type.owner.clone();
        for (id, worker) in [("3ASG1", "A1ONE"), ("3ASG2", "A1TWO")] {
            let a = Assignment {
                id: id.into(),
                hit_id: hit.id.clone(),
                worker_id: WorkerId::from_stored(worker.into()),
                status: AssignmentStatus::Accepted,
                accept_time: at(10),
                deadline: at(600_010),
                submit_time: None,
                auto_approval_time: None,
                approval_time: None,
                rejection_time: None,
                answer: None,
                requester_feedback: None,
            };
            assert_eq!(store.accept(&a, 2, at(10)).await.unwrap(), AcceptOutcome::Accepted);
            assert!(store.submit(id, "a", at(20), at(900_000)).await.unwrap());
        }
        // 2 × (1.00 + 0.20) is due; leave 2.39.
        let mut tx = store.db.writer().await.unwrap();
        tx.execute("UPDATE requesters SET balance_cents = 239", args![]).await.unwrap();
        tx.commit().await.unwrap();
        let before = format!("{:?}", store.hit("3HIT", at(30)).await.unwrap());
        assert_eq!(
            store.disable_hit("3HIT", &owner, at(30)).await.unwrap(),
            DisableOutcome::InsufficientFunds { cost_cents: 240, balance_cents: 239 }
        );
        assert_eq!(format!("{:?}", store.hit("3HIT", at(30)).await.unwrap()), before);
        assert_eq!(store.balance_cents(&owner).await.unwrap(), Some(239));
        let statuses: Vec<String> =
            store.db.reader().await.unwrap().fetch_all("SELECT status FROM assignments", args![]).await.unwrap();
        assert_eq!(statuses, ["Submitted", "Submitted"]);
    }
}
