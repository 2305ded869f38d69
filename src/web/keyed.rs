//! The requester console's keyed pages: a list shows [`PER_PAGE`] rows, and
//! its "Next page" link carries, in `?after=`, the sort key of the last row
//! shown, as the JSON face's `NextToken` carries it (the same token, checked
//! against the list it was made for, see
//! [`crate::protocol::json::input::encode_token`]). The next page seeks past
//! that key in the listing's index, so a deep page costs what the first does.

use crate::domain::paging::{Cursor, Page, Paged};
use crate::error::{invalid_value, MturkError};
use crate::protocol::json::input::{decode_token, encode_token};

use super::enc;
use super::pages::Query;

/// Rows a page of a console list shows.
pub(super) const PER_PAGE: i64 = 25;

/// The page a list's `param` (`after`, or a section's own name when a page
/// shows two lists) asks for: the first, or the one after the token's key.
///
/// # Errors
/// `InvalidParameterValue` for a token of another list, or an edited one.
pub(super) fn page(q: &Query, param: &str, scope: &str) -> Result<Page, MturkError> {
    match q.get(param) {
        None => Ok(Page::first(PER_PAGE)),
        Some(token) => {
            let cursor = decode_token(token, scope).ok_or_else(|| invalid_value(param, token))?;
            Ok(Page::after(Some(cursor), PER_PAGE))
        }
    }
}

/// Where a list's "Next page" goes: this page's address with `param` set to
/// the last row's key, when the page is full (a following page may have
/// rows; when it has none it says so). The query's other values stay, so a
/// page with two lists keeps the other list where it was; a notice or error
/// of the last action does not.
pub(super) fn next<T>(path: &str, q: &Query, param: &str, scope: &str, found: &Paged<T>, limit: i64) -> Option<String> {
    let full = i64::try_from(found.items.len()).unwrap_or(i64::MAX) >= limit;
    let cursor = found.next.as_ref().filter(|_| full)?;
    Some(link(path, q, param, Some(cursor), scope))
}

/// `path` with the query's values but `param` (and the notices), and
/// `param` set to the token of `cursor` when given.
pub(super) fn link(path: &str, q: &Query, param: &str, cursor: Option<&Cursor>, scope: &str) -> String {
    let mut pairs: Vec<String> =
        q.0.iter()
            .filter(|(k, _)| k != param && k != "notice" && k != "error")
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
    if let Some(c) = cursor {
        pairs.push(format!("{param}={}", enc(&encode_token(c, scope))));
    }
    if pairs.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", pairs.join("&"))
    }
}

/// Whether the query asks for a later page of `param`'s list.
pub(super) fn is_later(q: &Query, param: &str) -> bool {
    q.get(param).is_some()
}

/// A list's paging links: back to its first page (on a later page) and on
/// to the next (after a full page).
#[derive(Debug, Clone, Default)]
pub(super) struct Pager {
    /// The list's first page, when this is a later one.
    pub first: Option<String>,
    /// The next page, when this one is full.
    pub next: Option<String>,
}

impl Pager {
    /// The links of the list `param` on the page at `path` showing `found`,
    /// a page of at most `limit` rows of the listing `scope`.
    pub(super) fn of<T>(path: &str, q: &Query, param: &str, scope: &str, found: &Paged<T>, limit: i64) -> Self {
        Self {
            first: is_later(q, param).then(|| link(path, q, param, None, scope)),
            next: next(path, q, param, scope, found, limit),
        }
    }

    /// Whether this is a later page of the list.
    pub(super) fn later(&self) -> bool {
        self.first.is_some()
    }
}
