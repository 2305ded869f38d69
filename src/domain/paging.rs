//! Paging, as every listing takes it: a window of rows (`Page`) and the rows
//! found with their total (`Paged`). The JSON face turns pages into opaque
//! tokens, the legacy face into `PageNumber`/`PageSize`; the store into
//! `LIMIT`/`OFFSET`.

/// A page request: skip `offset` rows, return at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Rows to skip.
    pub offset: i64,
    /// Rows to return.
    pub limit: i64,
}

/// One page of rows plus the total number matching.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// All rows matching the filter.
    pub total: i64,
}
