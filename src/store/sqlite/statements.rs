//! Statements on a rusqlite connection: `$N` placeholders rewritten to
//! `?N`, arguments bound, rows decoded; and [`Exec`](crate::store::db::Exec) for any type that has a
//! connection.

use rusqlite::Connection;

use crate::store::db::{Arg, FromRow, RowRead};
use crate::store::{StoreError, StoreResult};

pub(super) fn closed() -> StoreError {
    StoreError::Other(anyhow::anyhow!("the SQLite store is closed"))
}

pub(super) fn sqlite_error(err: rusqlite::Error) -> StoreError {
    StoreError::Other(err.into())
}

/// Rewrites the store's `$N` placeholders to SQLite's numbered `?N` (SQLite
/// reads `$1` as a *named* parameter, numbered by first appearance).
pub(super) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        out.push(if rest.starts_with(|c: char| c.is_ascii_digit()) { '?' } else { '$' });
    }
    out.push_str(rest);
    out
}

/// Prepares (from the connection's cache) and binds one statement.
pub(super) fn prepare<'c>(
    conn: &'c Connection,
    sql: &str,
    args: &[Arg<'_>],
) -> rusqlite::Result<rusqlite::CachedStatement<'c>> {
    let mut stmt = conn.prepare_cached(&numbered(sql))?;
    if stmt.parameter_count() != args.len() {
        return Err(rusqlite::Error::InvalidParameterCount(args.len(), stmt.parameter_count()));
    }
    for (i, arg) in args.iter().enumerate() {
        match *arg {
            Arg::Text(v) => stmt.raw_bind_parameter(i + 1, v)?,
            Arg::Int(v) => stmt.raw_bind_parameter(i + 1, v)?,
        }
    }
    Ok(stmt)
}

pub(super) fn execute(conn: &Connection, sql: &str, args: &[Arg<'_>]) -> StoreResult<u64> {
    let mut stmt = prepare(conn, sql, args).map_err(sqlite_error)?;
    let changed = stmt.raw_execute().map_err(sqlite_error)?;
    Ok(changed as u64)
}

pub(super) fn insert_unique(conn: &Connection, sql: &str, args: &[Arg<'_>]) -> StoreResult<u64> {
    let mut stmt = prepare(conn, sql, args).map_err(sqlite_error)?;
    match stmt.raw_execute() {
        Ok(changed) => Ok(changed as u64),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if matches!(
                e.extended_code,
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            ) =>
        {
            Err(StoreError::Conflict { existing: None })
        }
        Err(e) => Err(sqlite_error(e)),
    }
}

pub(super) fn fetch<R: FromRow>(conn: &Connection, sql: &str, args: &[Arg<'_>], limit: usize) -> StoreResult<Vec<R>> {
    let mut stmt = prepare(conn, sql, args).map_err(sqlite_error)?;
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while out.len() < limit {
        match rows.next().map_err(sqlite_error)? {
            Some(row) => out.push(R::from_row(&SqliteRow(row))?),
            None => break,
        }
    }
    Ok(out)
}

struct SqliteRow<'r, 's>(&'r rusqlite::Row<'s>);

impl RowRead for SqliteRow<'_, '_> {
    fn text(&self, col: usize) -> StoreResult<Option<String>> {
        self.0.get(col).map_err(sqlite_error)
    }

    fn int(&self, col: usize) -> StoreResult<Option<i64>> {
        self.0.get(col).map_err(sqlite_error)
    }

    fn column_name(&self, col: usize) -> Option<String> {
        self.0.as_ref().column_name(col).ok().map(str::to_owned)
    }
}

/// Implements [`Exec`](crate::store::db::Exec) for a type with `fn conn(&self) -> StoreResult<&Connection>`.
macro_rules! exec_on_connection {
    ($ty:ty) => {
        impl $crate::store::db::Exec for $ty {
            async fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<u64> {
                super::statements::execute(self.conn()?, sql, args)
            }

            async fn insert_unique(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<u64> {
                super::statements::insert_unique(self.conn()?, sql, args)
            }

            async fn execute_once(&mut self, sql: &str) -> StoreResult<u64> {
                let changed = self.conn()?.execute(sql, []).map_err(super::statements::sqlite_error)?;
                Ok(changed as u64)
            }

            async fn fetch_all<R: FromRow>(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<Vec<R>> {
                super::statements::fetch(self.conn()?, sql, args, usize::MAX)
            }

            async fn fetch_optional<R: FromRow>(&mut self, sql: &str, args: &[Arg<'_>]) -> StoreResult<Option<R>> {
                Ok(super::statements::fetch(self.conn()?, sql, args, 1)?.pop())
            }
        }
    };
}

pub(super) use exec_on_connection;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_numbered() {
        assert_eq!(numbered("a = $1 AND b = $12 OR c = '$'"), "a = ?1 AND b = ?12 OR c = '$'");
    }
}
