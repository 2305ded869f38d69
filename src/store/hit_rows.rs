//! Row structs of the HIT tables and their conversion into domain types.
//! Requirements are stored as a JSON array only mturk-local reads.

use anyhow::anyhow;
use serde::{Deserialize, Serialize};

use crate::domain::hit::{Assignment, AssignmentStatus, Bonus, Hit, HitType, Payment, PaymentKind};
use crate::domain::ids::{RequesterId, WorkerId};
use crate::domain::requirement::{Comparator, GuardedActions, Locale, QualificationRequirement};
use crate::domain::time::Timestamp;

use super::db::stored_row;
use super::StoreError;

#[derive(Serialize, Deserialize)]
struct StoredRequirement {
    qualification_type_id: String,
    comparator: String,
    integer_values: Vec<i32>,
    locale_values: Vec<(String, Option<String>)>,
    required_to_preview: bool,
    actions_guarded: Option<String>,
}

/// Encodes requirements for the `requirements` column.
pub(super) fn encode_requirements(reqs: &[QualificationRequirement]) -> Result<String, StoreError> {
    let stored: Vec<StoredRequirement> = reqs
        .iter()
        .map(|r| StoredRequirement {
            qualification_type_id: r.type_id.clone(),
            comparator: r.comparator.as_str().to_owned(),
            integer_values: r.integer_values.clone(),
            locale_values: r.locale_values.iter().map(|l| (l.country.clone(), l.subdivision.clone())).collect(),
            required_to_preview: r.required_to_preview,
            actions_guarded: r.actions_guarded.map(|a| a.as_str().to_owned()),
        })
        .collect();
    serde_json::to_string(&stored).map_err(|e| StoreError::Other(e.into()))
}

fn decode_requirements(text: &str) -> Result<Vec<QualificationRequirement>, StoreError> {
    let stored: Vec<StoredRequirement> =
        serde_json::from_str(text).map_err(|e| StoreError::Other(anyhow!("corrupt requirements: {e}")))?;
    stored
        .into_iter()
        .map(|s| {
            Ok(QualificationRequirement {
                type_id: s.qualification_type_id,
                comparator: Comparator::parse(&s.comparator)
                    .ok_or_else(|| StoreError::Other(anyhow!("corrupt comparator {:?}", s.comparator)))?,
                integer_values: s.integer_values,
                locale_values: s
                    .locale_values
                    .into_iter()
                    .map(|(country, subdivision)| Locale { country, subdivision })
                    .collect(),
                required_to_preview: s.required_to_preview,
                actions_guarded: s.actions_guarded.as_deref().and_then(GuardedActions::parse),
            })
        })
        .collect()
}

stored_row! {
    pub(super) struct HitTypeRow {
        id: String,
        owner: String,
        title: String,
        description: String,
        keywords: Option<String>,
        reward_cents: i64,
        assignment_duration_secs: i64,
        auto_approval_delay_secs: i64,
        requirements: String,
        creation_time: i64,
    }
}

impl TryFrom<HitTypeRow> for HitType {
    type Error = StoreError;

    fn try_from(r: HitTypeRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: r.id,
            owner: RequesterId::from_stored(r.owner),
            title: r.title,
            description: r.description,
            keywords: r.keywords,
            reward_cents: r.reward_cents,
            assignment_duration_secs: r.assignment_duration_secs,
            auto_approval_delay_secs: r.auto_approval_delay_secs,
            requirements: decode_requirements(&r.requirements)?,
            creation_time: Timestamp::from_millis(r.creation_time),
        })
    }
}

stored_row! {
    /// A HIT's own columns and its counts; its type's columns follow in the
    /// same row (see [`hit_select`]).
    pub(super) struct HitRow {
        id: String,
        question: String,
        max_assignments: i64,
        expiration: i64,
        requester_annotation: Option<String>,
        creation_time: i64,
        reviewing: i64,
        disposed: i64,
        pending: i64,
        submitted: i64,
        completed: i64,
    }
}

impl TryFrom<(HitRow, HitTypeRow)> for Hit {
    type Error = StoreError;

    fn try_from((r, t): (HitRow, HitTypeRow)) -> Result<Self, StoreError> {
        Ok(Self {
            id: r.id,
            hit_type: HitType::try_from(t)?,
            question: r.question,
            max_assignments: r.max_assignments,
            expiration: Timestamp::from_millis(r.expiration),
            requester_annotation: r.requester_annotation,
            creation_time: Timestamp::from_millis(r.creation_time),
            reviewing: r.reviewing != 0,
            disposed: r.disposed != 0,
            pending: r.pending,
            submitted: r.submitted,
            completed: r.completed,
        })
    }
}

stored_row! {
    pub(super) struct AssignmentRow {
        id: String,
        hit_id: String,
        worker_id: String,
        status: String,
        accept_time: i64,
        deadline: i64,
        submit_time: Option<i64>,
        auto_approval_time: Option<i64>,
        approval_time: Option<i64>,
        rejection_time: Option<i64>,
        answer: Option<String>,
        requester_feedback: Option<String>,
    }
}

impl TryFrom<AssignmentRow> for Assignment {
    type Error = StoreError;

    fn try_from(r: AssignmentRow) -> Result<Self, StoreError> {
        Ok(Self {
            status: AssignmentStatus::parse(&r.status)
                .ok_or_else(|| StoreError::Other(anyhow!("corrupt assignment status {:?}", r.status)))?,
            id: r.id,
            hit_id: r.hit_id,
            worker_id: WorkerId::from_stored(r.worker_id),
            accept_time: Timestamp::from_millis(r.accept_time),
            deadline: Timestamp::from_millis(r.deadline),
            submit_time: r.submit_time.map(Timestamp::from_millis),
            auto_approval_time: r.auto_approval_time.map(Timestamp::from_millis),
            approval_time: r.approval_time.map(Timestamp::from_millis),
            rejection_time: r.rejection_time.map(Timestamp::from_millis),
            answer: r.answer,
            requester_feedback: r.requester_feedback,
        })
    }
}

stored_row! {
    pub(super) struct BonusRow {
        id: String,
        requester: String,
        worker_id: String,
        assignment_id: String,
        hit_id: String,
        amount_cents: i64,
        reason: String,
        grant_time: i64,
    }
}

impl TryFrom<BonusRow> for Bonus {
    type Error = StoreError;

    fn try_from(r: BonusRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: r.id,
            requester: RequesterId::from_stored(r.requester),
            worker_id: WorkerId::from_stored(r.worker_id),
            assignment_id: r.assignment_id,
            hit_id: r.hit_id,
            amount_cents: r.amount_cents,
            reason: r.reason,
            grant_time: Timestamp::from_millis(r.grant_time),
        })
    }
}

/// Columns of `hit_types` in `HitTypeRow` order, table alias `t`.
pub(super) const HIT_TYPE_COLUMNS: &str = "t.id, t.owner, t.title, t.description, t.keywords, t.reward_cents, \
     t.assignment_duration_secs, t.auto_approval_delay_secs, t.requirements, t.creation_time";

/// The select list of a HIT joined with its type ([`HIT_FROM`]) and its
/// counts at `now`, the placeholder that binds the current time: a
/// [`HitRow`] followed by a [`HitTypeRow`].
pub(super) fn hit_select(now: &str) -> String {
    format!(
        "SELECT h.id, h.question, h.max_assignments, h.expiration, h.requester_annotation, \
         h.creation_time, h.reviewing, h.disposed, \
         (SELECT COUNT(*) FROM assignments a WHERE a.hit_id = h.id AND a.status = 'Accepted' AND a.deadline >= {now}) \
         AS pending, \
         (SELECT COUNT(*) FROM assignments a WHERE a.hit_id = h.id AND a.status = 'Submitted') AS submitted, \
         (SELECT COUNT(*) FROM assignments a WHERE a.hit_id = h.id AND a.status IN ('Approved', 'Rejected')) \
         AS completed, {HIT_TYPE_COLUMNS}"
    )
}

/// The tables of [`hit_select`]: HITs `h` and their types `t`.
pub(super) const HIT_FROM: &str = "FROM hits h JOIN hit_types t ON t.id = h.hit_type_id";

/// Columns of `assignments` in `AssignmentRow` order.
pub(super) const ASSIGNMENT_COLUMNS: &str = "id, hit_id, worker_id, status, accept_time, deadline, submit_time, \
     auto_approval_time, approval_time, rejection_time, answer, requester_feedback";

stored_row! {
    /// A payment of [`crate::store::hits::AssignmentStore::payments`].
    pub(super) struct PaymentRow {
        kind: String,
        id: String,
        paid_at: i64,
        worker_id: String,
        hit_id: String,
        assignment_id: String,
        amount_cents: i64,
        max_assignments: i64,
        reason: Option<String>,
    }
}

impl TryFrom<PaymentRow> for Payment {
    type Error = StoreError;

    fn try_from(r: PaymentRow) -> Result<Self, StoreError> {
        let kind = match r.kind.as_str() {
            "Reward" => PaymentKind::Reward,
            "Bonus" => PaymentKind::Bonus,
            other => return Err(StoreError::Other(anyhow!("corrupt payment kind {other:?}"))),
        };
        Ok(Self {
            kind,
            id: r.id,
            time: Timestamp::from_millis(r.paid_at),
            worker_id: WorkerId::from_stored(r.worker_id),
            hit_id: r.hit_id,
            assignment_id: r.assignment_id,
            amount_cents: r.amount_cents,
            hit_max_assignments: r.max_assignments,
            reason: r.reason,
        })
    }
}
