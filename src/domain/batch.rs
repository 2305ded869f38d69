//! Batches of the requester console (issue 14): a project (an HTML template
//! with `${name}` placeholders and the HIT properties, kept as the HIT type
//! its HITs share) and the CSV rows it was filled with, one HIT per row.

use super::ids::RequesterId;
use super::time::Timestamp;

/// A batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Its id.
    pub id: String,
    /// Whose it is.
    pub requester: RequesterId,
    /// The name the requester gave it.
    pub name: String,
    /// The HIT type every HIT of the batch has.
    pub hit_type_id: String,
    /// The HTML template, `${column}` placeholders included.
    pub template: String,
    /// The CSV's header, in order.
    pub columns: Vec<String>,
    /// When it was made (virtual clock).
    pub created_at: Timestamp,
}

/// One row of a batch: the HIT made from it and the row's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRow {
    /// The row's place in the CSV (0 is the first row after the header).
    pub index: i64,
    /// The HIT made from it.
    pub hit_id: String,
    /// The row's values, in the order of [`Batch::columns`].
    pub values: Vec<String>,
}

/// A batch's progress: HITs, and their assignments by state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// HITs in the batch.
    pub hits: i64,
    /// Assignments asked for (the sum of the HITs' MaxAssignments).
    pub assignments: i64,
    /// Accepted and not yet submitted (nor past their deadline).
    pub in_progress: i64,
    /// Submitted, waiting for review.
    pub submitted: i64,
    /// Approved or rejected.
    pub reviewed: i64,
}
