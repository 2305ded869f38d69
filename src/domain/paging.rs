//! Paging, as every listing takes it: a window of rows (`Page`) and the rows
//! found (`Paged`).
//!
//! The two faces page differently, and the store serves each at a cost that
//! does not grow with depth where the protocol allows it:
//!
//! - The JSON face's `NextToken` carries the sort key of the last row shown
//!   (a [`Cursor`]); the next page seeks past it in the listing's index
//!   (`WHERE (key…) > (…) ORDER BY key… LIMIT n`), so page 1,000 costs what
//!   page 1 does, and nothing is counted: no JSON answer has a total.
//! - The legacy face's `PageNumber`/`PageSize` is a position, so it skips
//!   rows (`OFFSET`), and its answers carry `TotalNumResults`, so it counts.

/// The sort key of a listing's row, column by column as text (integers in
/// decimal): where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(pub Vec<String>);

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// After skipping this many rows.
    Offset(i64),
    /// After the row with this sort key.
    After(Cursor),
}

/// A page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Where it starts.
    pub start: Start,
    /// Rows to return at most.
    pub limit: i64,
    /// Whether the answer needs the number of all matching rows.
    pub count: bool,
}

impl Page {
    /// The first `limit` rows, uncounted.
    #[must_use]
    pub fn first(limit: i64) -> Self {
        Self { start: Start::Offset(0), limit, count: false }
    }

    /// `limit` rows after `cursor` (the first ones without it), uncounted:
    /// a JSON listing's page.
    #[must_use]
    pub fn after(cursor: Option<Cursor>, limit: i64) -> Self {
        Self { start: cursor.map_or(Start::Offset(0), Start::After), limit, count: false }
    }

    /// `limit` rows after skipping `offset`, with the total: a legacy
    /// `PageNumber` page.
    #[must_use]
    pub fn numbered(offset: i64, limit: i64) -> Self {
        Self { start: Start::Offset(offset), limit, count: true }
    }

    /// Where the page starts in a listing keyed by position (a list held in
    /// memory): the offset, or a cursor's one value; past the end (so an
    /// empty page) for any other cursor.
    #[must_use]
    pub fn position(&self) -> i64 {
        match &self.start {
            Start::Offset(n) => *n,
            Start::After(Cursor(key)) => match key.as_slice() {
                [n] => n.parse().unwrap_or(i64::MAX),
                _ => i64::MAX,
            },
        }
    }
}

/// One page of rows.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// All rows matching the filter, when the page asked for it
    /// ([`Page::count`]).
    pub total: Option<i64>,
    /// The sort key of the last row of `items`, where a following page
    /// starts; `None` when the page is empty.
    pub next: Option<Cursor>,
}
