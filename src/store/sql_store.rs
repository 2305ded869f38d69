//! [`SqlStore`]: the store on either backend, with what every method shares:
//! the cache of rarely changing rows, one-row reads and the paging helper.
//! The SQL of the methods is written once against the statement interface
//! of [`super::db`]: [`super::qualification_sql`] (the [`super::Store`]
//! methods) and [`super::hit_sql`] (the [`super::hits::HitStore`] methods).
//! Placeholders are `$N`; every column is TEXT or BIGINT.
//!
//! Reads go to `self.db.reader()` (or `self.db.snapshot()` when several
//! must agree); every change runs in one `self.db.writer()` transaction
//! (`BEGIN IMMEDIATE` on the single SQLite writer connection, a plain
//! `BEGIN` on PostgreSQL) and is committed explicitly: returning early drops
//! the writer, which rolls back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::db::{Arg, Backend, Exec as _, FromRow, Writer as _};
use crate::domain::qualification::QualificationType;
use crate::store::qualification_rows::convert_all;
use crate::store::{Page, Paged, StoreError, StoreResult};

/// The store: the SQL of every method, on backend `B`.
#[derive(Debug)]
pub struct SqlStore<B> {
    pub(super) db: B,
    /// The rows every request reads and that rarely change, kept while the
    /// backend's generation holds still (see [`Backend::shared_generation`]).
    cache: Mutex<SharedCache>,
    /// Woken after a commit that wrote events (see
    /// [`super::notifications::NotificationStore::events_signal`]).
    pub(super) events_ready: Arc<tokio::sync::Notify>,
}

/// A listing for [`SqlStore::paged`]: the rows are `{select} {from} ORDER BY
/// {order}` plus the page's `LIMIT` and `OFFSET`, the total is
/// `SELECT COUNT(*) {from}`.
pub(super) struct PagedQuery<'a> {
    /// `SELECT` and the column list; its placeholders are numbered after the
    /// filter's and bound to `select_args`.
    pub select: &'a str,
    /// `FROM … WHERE …`, with placeholders `$1`… bound to `filter_args`.
    pub from: &'a str,
    /// The `ORDER BY` list; it must make the order total, for stable pages.
    pub order: &'a str,
    /// Arguments of `from`.
    pub filter_args: &'a [Arg<'a>],
    /// Arguments of `select` (the HIT counts' "now").
    pub select_args: &'a [Arg<'a>],
}

/// What [`SqlStore`] keeps in memory.
#[derive(Debug, Default)]
pub(super) struct SharedCache {
    /// The generation the entries were read at.
    generation: Option<u64>,
    /// The virtual clock's offset.
    pub(super) clock: Option<i64>,
    /// Qualification types by id (existing ones only).
    pub(super) types: HashMap<String, Arc<QualificationType>>,
}

/// Types kept in memory at most; past it the cache starts again empty.
const MAX_CACHED_TYPES: usize = 4_096;

impl<B> SqlStore<B> {
    pub(super) fn new(db: B) -> Self {
        Self { db, cache: Mutex::new(SharedCache::default()), events_ready: Arc::new(tokio::sync::Notify::new()) }
    }

    fn cache(&self) -> MutexGuard<'_, SharedCache> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<B: Backend> SqlStore<B> {
    /// The cache at the current generation (emptied if the rows changed since
    /// it was filled), with that generation; `None` when the backend has no
    /// generation and the rows must be read.
    pub(super) fn current_cache(&self) -> Option<(u64, MutexGuard<'_, SharedCache>)> {
        let generation = self.db.shared_generation()?;
        let mut cache = self.cache();
        if cache.generation != Some(generation) {
            *cache = SharedCache { generation: Some(generation), ..SharedCache::default() };
        }
        Some((generation, cache))
    }

    /// Stores what was read at `generation` (taken before the read), unless
    /// the rows changed meanwhile: a change racing with the read is then read
    /// again next time.
    pub(super) fn remember(&self, generation: Option<u64>, keep: impl FnOnce(&mut SharedCache)) {
        let mut cache = self.cache();
        if generation.is_some() && cache.generation == generation {
            keep(&mut cache);
        }
    }

    /// Keeps a type read at `generation` (see [`Self::remember`]).
    pub(super) fn remember_type(&self, generation: Option<u64>, t: &Arc<QualificationType>) {
        self.remember(generation, |cache| {
            if cache.types.len() >= MAX_CACHED_TYPES {
                cache.types.clear();
            }
            cache.types.insert(t.id.as_str().to_owned(), Arc::clone(t));
        });
    }

    /// After a committed change of the clock or of a type: forget the cache
    /// and tell the other stores on this database.
    pub(super) fn shared_changed(&self) {
        *self.cache() = SharedCache::default();
        self.db.shared_changed();
    }
}

impl<B: Backend> SqlStore<B> {
    /// A guarded transition in its own transaction: one conditional `UPDATE`,
    /// and whether it changed the row (false: the row was no longer in the
    /// state the condition names, so a concurrent change won).
    /// Tells the dispatcher that a commit wrote events.
    pub(super) fn events_written(&self, written: bool) {
        if written {
            self.events_ready.notify_one();
        }
    }

    pub(super) async fn update_one(&self, sql: &str, args: &[Arg<'_>]) -> StoreResult<bool> {
        let mut tx = self.db.writer().await?;
        let done = tx.execute(sql, args).await?;
        tx.commit().await?;
        Ok(done == 1)
    }

    /// One row, read and turned into its domain type.
    pub(super) async fn read_one<R, T>(&self, sql: &str, args: &[Arg<'_>]) -> StoreResult<Option<T>>
    where
        R: FromRow,
        T: TryFrom<R, Error = StoreError>,
    {
        let row = self.db.reader().await?.fetch_optional::<R>(sql, args).await?;
        row.map(T::try_from).transpose()
    }

    /// One page of a listing and the number of rows it is a page of, both read
    /// from one snapshot, so the total always counts the rows the page shows.
    pub(super) async fn paged<R, T>(&self, q: &PagedQuery<'_>, page: Page) -> StoreResult<Paged<T>>
    where
        R: FromRow,
        T: TryFrom<R, Error = StoreError>,
    {
        let n = q.filter_args.len() + q.select_args.len();
        let rows_sql = format!("{} {} ORDER BY {} LIMIT ${} OFFSET ${}", q.select, q.from, q.order, n + 1, n + 2);
        let mut args = Vec::with_capacity(n + 2);
        args.extend_from_slice(q.filter_args);
        args.extend_from_slice(q.select_args);
        args.extend([Arg::from(page.limit), Arg::from(page.offset)]);
        let mut snapshot = self.db.snapshot().await?;
        let rows = snapshot.fetch_all::<R>(&rows_sql, &args).await?;
        let total = snapshot.fetch_one::<i64>(&format!("SELECT COUNT(*) {}", q.from), q.filter_args).await?;
        Ok(Paged { items: convert_all(rows)?, total })
    }

    pub(super) async fn count(&self, sql: &str, binds: &[&str]) -> StoreResult<i64> {
        let args: Vec<Arg<'_>> = binds.iter().map(|b| Arg::from(*b)).collect();
        self.db.reader().await?.fetch_one::<i64>(sql, &args).await
    }
}
