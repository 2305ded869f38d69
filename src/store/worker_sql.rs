//! The SQL of what the store knows about workers: blocks, notices,
//! profiles, and the histories and assignments behind the system
//! qualifications and the worker's own pages. Written once for both backends.

use std::sync::LazyLock;

use async_trait::async_trait;

use super::db::{args, Backend, Exec as _, Writer as _};
use super::hit_rows::{AssignmentRow, ASSIGNMENT_COLUMNS};
use super::qualification_rows::{convert_all, BlockRow, NotificationRow};
use super::qualification_sql::NOTIFICATION_COLUMNS;
use super::sql_store::{Key, PagedQuery, SqlStore};
use super::{Page, Paged, StoreResult, WorkerStore};
use crate::domain::hit::Assignment;
use crate::domain::ids::{RequesterId, WorkerId};
use crate::domain::requirement::Locale;
use crate::domain::time::Timestamp;
use crate::domain::worker::{WorkerBlock, WorkerNotification, WorkerProfile};
use crate::store::hits::WorkerHistory;

#[async_trait]
impl<B: Backend> WorkerStore for SqlStore<B> {
    async fn block_worker(&self, requester: &RequesterId, b: &WorkerBlock, now: Timestamp) -> StoreResult<()> {
        let mut tx = self.db.writer().await?;
        tx.execute(
            "INSERT INTO worker_blocks (requester, worker_id, reason, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (requester, worker_id) DO UPDATE SET reason = excluded.reason",
            args![requester.as_str(), b.worker_id.as_str(), b.reason.as_str(), now.millis()],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn unblock_worker(&self, requester: &RequesterId, worker: &WorkerId) -> StoreResult<bool> {
        let mut tx = self.db.writer().await?;
        let done = tx
            .execute(
                "DELETE FROM worker_blocks WHERE requester = $1 AND worker_id = $2",
                args![requester.as_str(), worker.as_str()],
            )
            .await?;
        tx.commit().await?;
        Ok(done > 0)
    }

    async fn blocks(&self, requester: &RequesterId, page: Page) -> StoreResult<Paged<WorkerBlock>> {
        let q = PagedQuery {
            select: "SELECT worker_id, reason",
            from: "FROM worker_blocks WHERE requester = $1",
            keys: &[Key::int("created_at"), Key::text("worker_id")],
            descending: false,
            filter_args: args![requester.as_str()],
            select_args: &[],
        };
        self.paged::<BlockRow, _>(&q, &page).await
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
        let mut tx = self.db.writer().await?;
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
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!("SELECT {NOTIFICATION_COLUMNS} FROM worker_notifications WHERE worker_id = $1 ORDER BY id")
        });
        let rows = self.db.reader().await?.fetch_all::<NotificationRow>(&SQL, args![worker.as_str()]).await?;
        convert_all(rows)
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
        const HISTORY: &str = "SELECT COUNT(*), \
             COALESCE(SUM(CASE WHEN status IN ('Submitted', 'Approved', 'Rejected') THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN status = 'Approved' THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN status = 'Rejected' THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN status = 'Returned' THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN status = 'Accepted' AND deadline < $2 THEN 1 ELSE 0 END), 0) \
             FROM assignments WHERE worker_id = $1";
        let (accepted, submitted, approved, rejected, returned, abandoned): (i64, i64, i64, i64, i64, i64) =
            self.db.reader().await?.fetch_one(HISTORY, args![worker.as_str(), now.millis()]).await?;
        Ok(WorkerHistory { accepted, submitted, approved, rejected, returned, abandoned })
    }

    async fn worker_assignments(&self, worker: &WorkerId) -> StoreResult<Vec<Assignment>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!("SELECT {ASSIGNMENT_COLUMNS} FROM assignments WHERE worker_id = $1 ORDER BY accept_time DESC, id")
        });
        let rows = self.db.reader().await?.fetch_all::<AssignmentRow>(&SQL, args![worker.as_str()]).await?;
        convert_all(rows)
    }
}
