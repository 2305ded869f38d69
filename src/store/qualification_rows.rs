//! Row structs of the qualification, request, block and notice tables as
//! both backends return them, and their conversion into domain types. Every
//! column is TEXT or BIGINT so one row type fits both.

use anyhow::anyhow;

use crate::domain::ids::{QualificationRequestId, QualificationTypeId, RequesterId, WorkerId};
use crate::domain::qualification::{
    Qualification, QualificationRequest, QualificationStatus, QualificationTest, QualificationType, RequestStatus,
    TypeStatus,
};
use crate::domain::time::Timestamp;
use crate::domain::worker::{NotificationKind, WorkerBlock, WorkerNotification};

use super::db::stored_row;
use super::StoreError;

/// The owner column value of system types.
pub(super) const SYSTEM_OWNER: &str = "";

fn corrupt(what: &str, value: impl std::fmt::Debug) -> StoreError {
    StoreError::Other(anyhow!("corrupt {what} in the store: {value:?}"))
}

fn to_i32(column: &str, value: i64) -> Result<i32, StoreError> {
    i32::try_from(value).map_err(|_| corrupt(column, value))
}

stored_row! {
    pub(super) struct TypeRow {
        id: String,
        owner: String,
        name: String,
        description: String,
        keywords: Option<String>,
        status: String,
        retry_delay_secs: Option<i64>,
        test: Option<String>,
        test_duration_secs: Option<i64>,
        answer_key: Option<String>,
        auto_granted: i64,
        auto_granted_value: Option<i64>,
        is_requestable: i64,
        creation_time: i64,
        disposal_due: Option<i64>,
    }
}

impl TryFrom<TypeRow> for QualificationType {
    type Error = StoreError;

    fn try_from(row: TypeRow) -> Result<Self, StoreError> {
        let status = TypeStatus::parse(&row.status).ok_or_else(|| corrupt("type status", &row.status))?;
        let test = match (row.test, row.test_duration_secs) {
            (Some(question_form), Some(duration_secs)) => {
                Some(QualificationTest { question_form, duration_secs, answer_key: row.answer_key })
            }
            (None, _) => None,
            (Some(_), None) => return Err(corrupt("test without duration", &row.id)),
        };
        Ok(Self {
            id: QualificationTypeId::from_stored(row.id),
            owner: (row.owner != SYSTEM_OWNER).then(|| RequesterId::from_stored(row.owner)),
            name: row.name,
            description: row.description,
            keywords: row.keywords,
            status,
            retry_delay_secs: row.retry_delay_secs,
            test,
            auto_granted: row.auto_granted != 0,
            auto_granted_value: row.auto_granted_value.map(|v| to_i32("auto_granted_value", v)).transpose()?,
            is_requestable: row.is_requestable != 0,
            creation_time: Timestamp::from_millis(row.creation_time),
            disposal_due: row.disposal_due.map(Timestamp::from_millis),
        })
    }
}

stored_row! {
    /// The qualification columns of a type joined with one worker's
    /// qualification (`NULL`s when the worker holds none).
    #[allow(clippy::struct_field_names, reason = "the prefix keeps the joined columns apart from the type's")]
    pub(super) struct HeldRow {
        held_integer_value: Option<i64>,
        held_status: Option<String>,
        held_grant_time: Option<i64>,
        held_revoke_time: Option<i64>,
        held_revoke_reason: Option<String>,
    }
}

impl HeldRow {
    /// The worker's qualification, if the join found one.
    pub(super) fn into_qualification(
        self,
        type_id: &str,
        worker_id: &str,
    ) -> Result<Option<Qualification>, StoreError> {
        let (Some(integer_value), Some(status), Some(grant_time)) =
            (self.held_integer_value, self.held_status, self.held_grant_time)
        else {
            return Ok(None);
        };
        Qualification::try_from(QualificationRow {
            type_id: type_id.to_owned(),
            worker_id: worker_id.to_owned(),
            integer_value,
            status,
            grant_time,
            revoke_time: self.held_revoke_time,
            revoke_reason: self.held_revoke_reason,
        })
        .map(Some)
    }
}

stored_row! {
    pub(super) struct QualificationRow {
        type_id: String,
        worker_id: String,
        integer_value: i64,
        status: String,
        grant_time: i64,
        revoke_time: Option<i64>,
        revoke_reason: Option<String>,
    }
}

impl TryFrom<QualificationRow> for Qualification {
    type Error = StoreError;

    fn try_from(row: QualificationRow) -> Result<Self, StoreError> {
        Ok(Self {
            type_id: QualificationTypeId::from_stored(row.type_id),
            worker_id: WorkerId::from_stored(row.worker_id),
            integer_value: to_i32("integer_value", row.integer_value)?,
            status: QualificationStatus::parse(&row.status)
                .ok_or_else(|| corrupt("qualification status", &row.status))?,
            grant_time: Timestamp::from_millis(row.grant_time),
            revoke_time: row.revoke_time.map(Timestamp::from_millis),
            revoke_reason: row.revoke_reason,
        })
    }
}

stored_row! {
    pub(super) struct RequestRow {
        id: String,
        type_id: String,
        owner: String,
        worker_id: String,
        test: Option<String>,
        answer: Option<String>,
        status: String,
        request_time: i64,
        submit_time: Option<i64>,
        test_deadline: Option<i64>,
        reason: Option<String>,
    }
}

impl TryFrom<RequestRow> for QualificationRequest {
    type Error = StoreError;

    fn try_from(row: RequestRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: QualificationRequestId::from_stored(row.id),
            type_id: QualificationTypeId::from_stored(row.type_id),
            owner: RequesterId::from_stored(row.owner),
            worker_id: WorkerId::from_stored(row.worker_id),
            test: row.test,
            answer: row.answer,
            status: RequestStatus::parse(&row.status).ok_or_else(|| corrupt("request status", &row.status))?,
            request_time: Timestamp::from_millis(row.request_time),
            submit_time: row.submit_time.map(Timestamp::from_millis),
            test_deadline: row.test_deadline.map(Timestamp::from_millis),
            reason: row.reason,
        })
    }
}

stored_row! {
    pub(super) struct BlockRow {
        worker_id: String,
        reason: String,
    }
}

impl TryFrom<BlockRow> for WorkerBlock {
    type Error = StoreError;

    fn try_from(row: BlockRow) -> Result<Self, StoreError> {
        Ok(Self { worker_id: WorkerId::from_stored(row.worker_id), reason: row.reason })
    }
}

stored_row! {
    pub(super) struct NotificationRow {
        worker_id: String,
        requester: String,
        kind: String,
        qualification_type_id: Option<String>,
        subject: Option<String>,
        text: String,
        created_at: i64,
    }
}

impl TryFrom<NotificationRow> for WorkerNotification {
    type Error = StoreError;

    fn try_from(row: NotificationRow) -> Result<Self, StoreError> {
        Ok(Self {
            worker_id: WorkerId::from_stored(row.worker_id),
            requester: RequesterId::from_stored(row.requester),
            kind: NotificationKind::parse(&row.kind).ok_or_else(|| corrupt("notification kind", &row.kind))?,
            qualification_type_id: row.qualification_type_id.map(QualificationTypeId::from_stored),
            subject: row.subject,
            text: row.text,
            time: Timestamp::from_millis(row.created_at),
        })
    }
}

/// Converts a vector of rows, failing on the first corrupt one.
pub(super) fn convert_all<R, T>(rows: Vec<R>) -> Result<Vec<T>, StoreError>
where
    T: TryFrom<R, Error = StoreError>,
{
    rows.into_iter().map(T::try_from).collect()
}
