//! The small database interface the SQL of [`super::qualification_sql`] and
//! [`super::hit_sql`] is written against, so that every statement exists
//! once and runs on both backends.
//!
//! A backend ([`Backend`]) hands out readers, snapshots and writers
//! ([`Exec`]): a reader runs plain reads, a snapshot runs reads that see one
//! state of the database, a writer is one transaction ([`Writer::commit`]; dropped
//! without it, it rolls back). Statements use `$N` placeholders, which
//! PostgreSQL binds by number and the SQLite backend rewrites to SQLite's
//! numbered `?N`. Arguments are [`Arg`]s (every column is TEXT or BIGINT);
//! rows come back through [`FromRow`], by position (the row structs of
//! [`stored_row!`] check the column names in debug builds).

use std::future::Future;

use super::{StoreError, StoreResult};

/// One bound argument. `None` binds SQL NULL of that type.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    /// TEXT.
    Text(Option<&'a str>),
    /// BIGINT.
    Int(Option<i64>),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Self::Text(Some(v))
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(v: Option<&'a str>) -> Self {
        Self::Text(v)
    }
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Self::Int(Some(v))
    }
}

impl From<Option<i64>> for Arg<'_> {
    fn from(v: Option<i64>) -> Self {
        Self::Int(v)
    }
}

/// `args![a, b, …]`: a slice of [`Arg`]s from values convertible into them.
macro_rules! args {
    ($($value:expr),* $(,)?) => {
        &[$($crate::store::db::Arg::from($value)),*]
    };
}
pub(crate) use args;

/// A row as a backend returns it; columns by position, from 0.
pub trait RowRead {
    /// A TEXT column.
    fn text(&self, col: usize) -> StoreResult<Option<String>>;
    /// A BIGINT column.
    fn int(&self, col: usize) -> StoreResult<Option<i64>>;
    /// The column's name (or alias), for the checks of debug builds.
    fn column_name(&self, col: usize) -> Option<String>;
}

/// A Rust type one column decodes into.
pub trait Value: Sized + Send {
    /// Reads `col` of `row`.
    fn read(row: &dyn RowRead, col: usize) -> StoreResult<Self>;
}

fn null_in(col: usize) -> StoreError {
    StoreError::Other(anyhow::anyhow!("unexpected NULL in column #{col}"))
}

impl Value for Option<String> {
    fn read(row: &dyn RowRead, col: usize) -> StoreResult<Self> {
        row.text(col)
    }
}

impl Value for String {
    fn read(row: &dyn RowRead, col: usize) -> StoreResult<Self> {
        row.text(col)?.ok_or_else(|| null_in(col))
    }
}

impl Value for Option<i64> {
    fn read(row: &dyn RowRead, col: usize) -> StoreResult<Self> {
        row.int(col)
    }
}

impl Value for i64 {
    fn read(row: &dyn RowRead, col: usize) -> StoreResult<Self> {
        row.int(col)?.ok_or_else(|| null_in(col))
    }
}

/// A Rust type one whole row decodes into.
pub trait FromRow: Sized + Send {
    /// Decodes `row`.
    fn from_row(row: &dyn RowRead) -> StoreResult<Self>;
}

/// A single column: `SELECT COUNT(*)`, `SELECT id`.
impl<T: Value> FromRow for T {
    fn from_row(row: &dyn RowRead) -> StoreResult<Self> {
        T::read(row, 0)
    }
}

/// Two row structs read from one joined row: the second's columns follow
/// the first's.
impl<A: RowStruct, B: RowStruct> FromRow for (A, B) {
    fn from_row(row: &dyn RowRead) -> StoreResult<Self> {
        Ok((A::read_at(row, 0)?, B::read_at(row, A::COLUMNS)?))
    }
}

/// A struct declared with [`stored_row!`].
pub trait RowStruct: Sized + Send {
    /// How many columns it reads.
    const COLUMNS: usize;
    /// Reads its fields, in declaration order, from the columns from
    /// `first` on. Debug builds check that each column's name is the
    /// field's.
    fn read_at(row: &dyn RowRead, first: usize) -> StoreResult<Self>;
}

macro_rules! tuple_rows {
    ($(($($t:ident $i:tt),+))+) => {$(
        impl<$($t: Value),+> FromRow for ($($t,)+) {
            fn from_row(row: &dyn RowRead) -> StoreResult<Self> {
                Ok(($($t::read(row, $i)?,)+))
            }
        }
    )+};
}

tuple_rows! {
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
    (A 0, B 1, C 2, D 3, E 4, F 5)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7)
}

/// Declares a row struct read from consecutive columns in field order; the
/// select list must name (or alias) each column as its field.
macro_rules! stored_row {
    ($(#[$meta:meta])* $vis:vis struct $name:ident { $($field:ident: $ty:ty),+ $(,)? }) => {
        $(#[$meta])*
        $vis struct $name {
            $($field: $ty),+
        }

        impl $crate::store::db::RowStruct for $name {
            const COLUMNS: usize = [$(stringify!($field)),+].len();

            #[allow(unused_assignments, reason = "the count after the last field is not needed")]
            fn read_at(row: &dyn $crate::store::db::RowRead, first: usize) -> $crate::store::StoreResult<Self> {
                let mut col = first;
                Ok(Self {
                    $($field: {
                        debug_assert_eq!(
                            row.column_name(col).as_deref(),
                            Some(stringify!($field)),
                            "column #{} of a {} row",
                            col,
                            stringify!($name),
                        );
                        let value = <$ty as $crate::store::db::Value>::read(row, col)?;
                        col += 1;
                        value
                    }),+
                })
            }
        }

        impl $crate::store::db::FromRow for $name {
            fn from_row(row: &dyn $crate::store::db::RowRead) -> $crate::store::StoreResult<Self> {
                <Self as $crate::store::db::RowStruct>::read_at(row, 0)
            }
        }
    };
}
pub(crate) use stored_row;

// These traits are only ever used generically (`SqlStore<B: Backend>`), never
// as `dyn`, so their methods return `impl Future + Send` instead of the boxed
// futures of `async_trait`: no allocation per statement. The `Send` bound is
// what lets the `Store` methods built on them run on a multi-threaded runtime.

/// Runs statements: a reader, or a writer's open transaction.
pub trait Exec: Send {
    /// Runs a statement; returns the number of rows it changed.
    fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Like [`Exec::execute`], but a unique-key violation becomes
    /// `StoreError::Conflict { existing: None }`: a concurrent writer won
    /// the race for the same unique value.
    fn insert_unique(&mut self, sql: &str, args: &[Arg<'_>]) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Every row of a query.
    fn fetch_all<R: FromRow>(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> impl Future<Output = StoreResult<Vec<R>>> + Send;

    /// The first row of a query, if any.
    fn fetch_optional<R: FromRow>(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> impl Future<Output = StoreResult<Option<R>>> + Send;

    /// Runs a statement with no arguments that is built for one use (DDL
    /// naming a snapshot's tables), without keeping it in a statement cache
    /// where it would push out the statements every request runs.
    fn execute_once(&mut self, sql: &str) -> impl Future<Output = StoreResult<u64>> + Send {
        async move { self.execute(sql, &[]).await }
    }

    /// The first row of a query that always returns one (`COUNT(*)`).
    fn fetch_one<R: FromRow>(&mut self, sql: &str, args: &[Arg<'_>]) -> impl Future<Output = StoreResult<R>> + Send {
        async move {
            self.fetch_optional(sql, args)
                .await?
                .ok_or_else(|| StoreError::Other(anyhow::anyhow!("no row returned by: {sql}")))
        }
    }
}

/// A transaction that may write. Dropping it without [`Writer::commit`]
/// rolls it back.
pub trait Writer: Exec + Sized {
    /// Commits the transaction.
    fn commit(self) -> impl Future<Output = StoreResult<()>> + Send;
}

/// How [`Backend::lock_tables`] locks, in PostgreSQL's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableLock {
    /// Others may read, nobody else may write (`SHARE`; two holders may coexist).
    Share,
    /// Others may read, nobody else may write or take this lock (`SHARE ROW EXCLUSIVE`).
    Serial,
    /// Nobody else may read or write (`ACCESS EXCLUSIVE`, what `TRUNCATE` takes).
    AccessExclusive,
}

impl TableLock {
    /// The mode as `LOCK TABLE … IN <mode> MODE` spells it.
    #[must_use]
    pub const fn sql(self) -> &'static str {
        match self {
            Self::Share => "SHARE",
            Self::Serial => "SHARE ROW EXCLUSIVE",
            Self::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }
}

/// A database the store runs on.
pub trait Backend: Send + Sync + std::fmt::Debug + 'static {
    /// Name reported by `Store::backend`.
    const NAME: &'static str;
    /// Appended to a `SELECT` that must lock the row it reads until the
    /// transaction ends: `""` where one writer at a time already
    /// serializes writes (SQLite), `" FOR UPDATE"` on PostgreSQL.
    const LOCK_ROW: &'static str;

    /// A query answering the latest migration applied to this database.
    const SCHEMA_VERSION: &'static str;

    /// A query answering the number of a new notification event, larger
    /// than every one before it, never the same for two transactions.
    const NEXT_EVENT_SEQ: &'static str;

    /// Runs plain reads, each statement on its own.
    type Reader: Exec;
    /// Runs reads that all see one snapshot of the database (a page of rows
    /// and the count it is a page of).
    type Snapshot: Exec;
    /// One write transaction.
    type Writer: Writer;

    /// A reader.
    fn reader(&self) -> impl Future<Output = StoreResult<Self::Reader>> + Send;
    /// A read transaction.
    fn snapshot(&self) -> impl Future<Output = StoreResult<Self::Snapshot>> + Send;
    /// Begins a write transaction.
    fn writer(&self) -> impl Future<Output = StoreResult<Self::Writer>> + Send;
    /// A write transaction that replaces whole tables with rows that are
    /// known to be consistent (a snapshot's): on SQLite it runs alone, with
    /// foreign-key enforcement off, which makes emptying and refilling tables
    /// about twice as fast. Elsewhere, a plain [`Backend::writer`].
    fn bulk_writer(&self) -> impl Future<Output = StoreResult<Self::Writer>> + Send {
        self.writer()
    }

    /// Closes every connection.
    fn close(&self) -> impl Future<Output = ()> + Send;

    /// Runs one statement as a transaction of its own and returns the number
    /// of rows it changed: a change that is one statement (a guarded
    /// transition, a grant without a notice). PostgreSQL runs it in
    /// autocommit, one round trip instead of three (`BEGIN`, the statement,
    /// `COMMIT`); SQLite runs it in a [`Backend::writer`], whose commits
    /// are batched.
    fn write_alone(&self, sql: &str, args: &[Arg<'_>]) -> impl Future<Output = StoreResult<u64>> + Send {
        async move {
            let mut tx = self.writer().await?;
            let done = tx.execute(sql, args).await?;
            tx.commit().await?;
            Ok(done)
        }
    }

    /// A statement that takes `mode` locks on `tables` (comma-separated)
    /// until the transaction ends, where other writers could otherwise
    /// change them meanwhile; `None` where the one writer connection
    /// already excludes every other writer (SQLite).
    fn lock_tables(_tables: &str, _mode: TableLock) -> Option<String> {
        None
    }

    /// One statement that empties `tables` (comma-separated, every table a
    /// foreign key of theirs points at among them) at once, where the
    /// database has one: PostgreSQL's `TRUNCATE`, which drops the tables'
    /// files instead of checking each deleted row against the foreign keys.
    /// `None`: `DELETE FROM` each, children first.
    fn empty_tables(_tables: &str) -> Option<String> {
        None
    }

    /// A number that changes whenever any store on this database (in this
    /// process or another) has changed the rows that every request reads and
    /// that rarely change: the virtual clock's offset and the qualification
    /// types. Read without a query. `None` when the backend has no such
    /// signal, and those rows must be read each time.
    fn shared_generation(&self) -> Option<u64> {
        None
    }

    /// Called after a committed change of those rows: tells the other
    /// stores on this database, and returns once they can know.
    fn shared_changed(&self) -> impl Future<Output = ()> + Send {
        async {}
    }

    /// A statement that makes the transaction wait until no other
    /// transaction claiming notification deliveries holds it (released at
    /// the end of the transaction); `None` where the one writer connection
    /// already runs one transaction at a time (SQLite).
    fn claim_lock() -> Option<&'static str> {
        None
    }
}
