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
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::db::{Arg, Backend, Exec as _, FromRow, RowRead};
use crate::domain::paging::{Cursor, Start};
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

/// A listing for [`SqlStore::paged`]: the rows are `{select} {from}` in the
/// order of `keys`, a page after a cursor adds `AND (keys…) > (cursor…)`
/// (`<` when descending), and the total is `SELECT COUNT(*) {from}`.
pub(super) struct PagedQuery<'a> {
    /// `SELECT` and the column list; its placeholders are numbered after the
    /// filter's and bound to `select_args`.
    pub select: &'a str,
    /// `FROM … WHERE …`, with placeholders `$1`… bound to `filter_args`.
    pub from: &'a str,
    /// The sort key, most significant first: NOT NULL columns that together
    /// make the order total (the last is unique), so pages neither repeat nor
    /// skip a row. An index on the filter's equalities followed by these
    /// columns lets a page seek to its start.
    pub keys: &'a [Key<'a>],
    /// Whether the listing runs from the greatest key down.
    pub descending: bool,
    /// Arguments of `from`.
    pub filter_args: &'a [Arg<'a>],
    /// Arguments of `select` (the HIT counts' "now").
    pub select_args: &'a [Arg<'a>],
}

/// A column of a listing's sort key ([`PagedQuery::keys`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct Key<'a> {
    /// The column expression, as the query names it (`h.creation_time`).
    pub column: &'a str,
    /// Whether it is BIGINT (else TEXT), for binding a cursor's value.
    pub int: bool,
}

impl<'a> Key<'a> {
    /// A BIGINT key column.
    pub const fn int(column: &'a str) -> Self {
        Self { column, int: true }
    }

    /// A TEXT key column.
    pub const fn text(column: &'a str) -> Self {
        Self { column, int: false }
    }
}

/// Sort key columns a listing has at most: the row reader reads this many
/// leading key columns, padded with NULL.
const MAX_KEYS: usize = 3;

/// A listing's row after its sort key's leading text columns.
struct Keyed<R> {
    key: Vec<Option<String>>,
    row: R,
}

impl<R: FromRow> FromRow for Keyed<R> {
    fn from_row(row: &dyn RowRead) -> StoreResult<Self> {
        let key = (0..MAX_KEYS).map(|col| row.text(col)).collect::<StoreResult<Vec<_>>>()?;
        Ok(Self { key, row: R::from_row(&After { row, first: MAX_KEYS })? })
    }
}

/// A row seen from column `first` on.
struct After<'a> {
    row: &'a dyn RowRead,
    first: usize,
}

impl RowRead for After<'_> {
    fn text(&self, col: usize) -> StoreResult<Option<String>> {
        self.row.text(self.first + col)
    }

    fn int(&self, col: usize) -> StoreResult<Option<i64>> {
        self.row.int(self.first + col)
    }

    fn column_name(&self, col: usize) -> Option<String> {
        self.row.column_name(self.first + col)
    }
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
    pub(super) async fn shared_changed(&self) {
        *self.cache() = SharedCache::default();
        self.db.shared_changed().await;
    }
}

impl<B: Backend> SqlStore<B> {
    /// Tells the dispatcher that a commit wrote events.
    pub(super) fn events_written(&self, written: bool) {
        if written {
            self.events_ready.notify_one();
        }
    }

    /// A guarded transition in its own transaction: one conditional `UPDATE`,
    /// and whether it changed the row (false: the row was no longer in the
    /// state the condition names, so a concurrent change won).
    pub(super) async fn update_one(&self, sql: &str, args: &[Arg<'_>]) -> StoreResult<bool> {
        Ok(self.db.write_alone(sql, args).await? == 1)
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

    /// One page of a listing, and with [`Page::count`] the number of rows it
    /// is a page of. A page after a cursor seeks past it by key;
    /// only a numbered (legacy) page skips rows by `OFFSET`.
    pub(super) async fn paged<R, T>(&self, q: &PagedQuery<'_>, page: &Page) -> StoreResult<Paged<T>>
    where
        R: FromRow,
        T: TryFrom<R, Error = StoreError>,
    {
        let columns = q
            .select
            .strip_prefix("SELECT ")
            .ok_or_else(|| StoreError::Other(anyhow::anyhow!("a listing's select must start with SELECT")))?;
        if q.keys.is_empty() || q.keys.len() > MAX_KEYS {
            return Err(StoreError::Other(anyhow::anyhow!("a listing's key has 1 to {MAX_KEYS} columns")));
        }
        // Named, so that PostgreSQL does not name them after their columns and
        // make the ORDER BY's names ambiguous.
        let key_columns: Vec<String> = (0..MAX_KEYS)
            .map(|i| {
                let column = q.keys.get(i).map_or("NULL", |k| k.column);
                format!("CAST({column} AS TEXT) AS page_key_{i}")
            })
            .collect();
        let names: Vec<&str> = q.keys.iter().map(|k| k.column).collect();
        let direction = if q.descending { "DESC" } else { "ASC" };
        let order: Vec<String> = names.iter().map(|c| format!("{c} {direction}")).collect();

        let mut args: Vec<Arg<'_>> = Vec::with_capacity(q.filter_args.len() + q.select_args.len() + MAX_KEYS + 2);
        args.extend_from_slice(q.filter_args);
        args.extend_from_slice(q.select_args);
        let mut seek = String::new();
        let offset = match &page.start {
            Start::Offset(n) => *n,
            Start::After(Cursor(values)) => {
                if values.len() != q.keys.len() {
                    return Err(StoreError::Other(anyhow::anyhow!(
                        "a cursor of {} values for a key of {}",
                        values.len(),
                        q.keys.len()
                    )));
                }
                let first = args.len() + 1;
                for (key, value) in q.keys.iter().zip(values) {
                    args.push(if key.int {
                        Arg::from(value.parse::<i64>().map_err(|_| {
                            StoreError::Other(anyhow::anyhow!("a cursor's value for {} is not an integer", key.column))
                        })?)
                    } else {
                        Arg::from(value.as_str())
                    });
                }
                let placeholders: Vec<String> = (first..first + q.keys.len()).map(|n| format!("${n}")).collect();
                let op = if q.descending { "<" } else { ">" };
                seek = format!(" AND ({}) {op} ({})", names.join(", "), placeholders.join(", "));
                0
            }
        };
        let n = args.len();
        let mut rows_sql = format!(
            "SELECT {}, {columns} {}{seek} ORDER BY {} LIMIT ${}",
            key_columns.join(", "),
            q.from,
            order.join(", "),
            n + 1
        );
        args.push(Arg::from(page.limit));
        if offset > 0 {
            let _ = write!(rows_sql, " OFFSET ${}", n + 2);
            args.push(Arg::from(offset));
        }
        // A page and its total are read from one snapshot, so that the total
        // counts the rows the page shows; a page alone is one statement, which
        // sees one state by itself (on PostgreSQL, no BEGIN and ROLLBACK).
        let (rows, total) = if page.count {
            let mut snapshot = self.db.snapshot().await?;
            let rows = snapshot.fetch_all::<Keyed<R>>(&rows_sql, &args).await?;
            let total = snapshot.fetch_one::<i64>(&format!("SELECT COUNT(*) {}", q.from), q.filter_args).await?;
            (rows, Some(total))
        } else {
            (self.db.reader().await?.fetch_all::<Keyed<R>>(&rows_sql, &args).await?, None)
        };
        let next = rows
            .last()
            .map(|last| Cursor(last.key.iter().take(q.keys.len()).map(|v| v.clone().unwrap_or_default()).collect()));
        let items = convert_all(rows.into_iter().map(|k| k.row).collect())?;
        Ok(Paged { items, total, next })
    }

    pub(super) async fn count(&self, sql: &str, binds: &[&str]) -> StoreResult<i64> {
        let args: Vec<Arg<'_>> = binds.iter().map(|b| Arg::from(*b)).collect();
        self.db.reader().await?.fetch_one::<i64>(sql, &args).await
    }
}
