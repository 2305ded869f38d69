//! Qualification types, the qualifications workers hold, and the requests
//! workers make, with the state rules of spec §6.
//!
//! ```text
//! type:           Active ⇄ Inactive ──dispose──► Disposing ──(due)──► Disposed (gone, name free)
//! qualification:  (none) ──grant──► Granted ──revoke──► Revoked ──request + grant──► Granted
//! request:        TestPending ──answers──► Submitted ──grant/reject──► Granted | Rejected
//! ```

use super::ids::{QualificationRequestId, QualificationTypeId, RequesterId, WorkerId};
use super::time::Timestamp;

/// The lifecycle state of a qualification type.
///
/// The wire only knows `Active` and `Inactive` (XSD enum); `Disposing` and
/// `Disposed` are internal (spec §4.5, §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeStatus {
    /// Workers may request it and HITs may use it.
    Active,
    /// Existing qualifications stay; no new requests.
    Inactive,
    /// DisposeQualificationType was called; completes at `disposal_due`.
    Disposing,
    /// Disposal completed: the type is gone and its name is free.
    Disposed,
}

impl TypeStatus {
    /// The stored spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Inactive => "Inactive",
            Self::Disposing => "Disposing",
            Self::Disposed => "Disposed",
        }
    }

    /// Parses the stored spelling.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "Active" => Self::Active,
            "Inactive" => Self::Inactive,
            "Disposing" => Self::Disposing,
            "Disposed" => Self::Disposed,
            _ => return None,
        })
    }
}

/// The status a requester may set on a type: the wire enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettableTypeStatus {
    /// `Active`.
    Active,
    /// `Inactive`.
    Inactive,
}

impl SettableTypeStatus {
    /// Parses the wire enum (case-sensitive, as the XSD defines it).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "Active" => Some(Self::Active),
            "Inactive" => Some(Self::Inactive),
            _ => None,
        }
    }

    /// The matching internal status.
    #[must_use]
    pub const fn status(self) -> TypeStatus {
        match self {
            Self::Active => TypeStatus::Active,
            Self::Inactive => TypeStatus::Inactive,
        }
    }
}

/// A qualification test: the QuestionForm, the time allowed, and the answer
/// key that scores it automatically when present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualificationTest {
    /// The QuestionForm XML, verbatim.
    pub question_form: String,
    /// Seconds a worker has from the request to submit answers.
    pub duration_secs: i64,
    /// The AnswerKey XML, verbatim; `None` means manual grading.
    pub answer_key: Option<String>,
}

/// A qualification type as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualificationType {
    /// Permanent id.
    pub id: QualificationTypeId,
    /// The requester who created it; `None` for the system types (§7.2).
    pub owner: Option<RequesterId>,
    /// Unique among the owner's live types.
    pub name: String,
    /// Free text, updatable.
    pub description: String,
    /// Comma-separated; fixed at creation.
    pub keywords: Option<String>,
    /// Lifecycle state as stored (see [`QualificationType::status_at`]).
    pub status: TypeStatus,
    /// `None`: one request per worker, ever. `Some(s)`: again after `s` seconds.
    pub retry_delay_secs: Option<i64>,
    /// The test, when the type has one.
    pub test: Option<QualificationTest>,
    /// Requests are granted at once with `auto_granted_value`.
    pub auto_granted: bool,
    /// Value for automatic grants (default 1).
    pub auto_granted_value: Option<i32>,
    /// False only for system types.
    pub is_requestable: bool,
    /// When it was created.
    pub creation_time: Timestamp,
    /// When a started disposal completes.
    pub disposal_due: Option<Timestamp>,
}

impl QualificationType {
    /// The status at `now`: a disposal whose due time has passed has completed.
    #[must_use]
    pub fn status_at(&self, now: Timestamp) -> TypeStatus {
        match (self.status, self.disposal_due) {
            (TypeStatus::Disposing, Some(due)) if due <= now => TypeStatus::Disposed,
            (status, _) => status,
        }
    }

    /// Whether `requester` owns this type (system types have no owner).
    #[must_use]
    pub fn is_owned_by(&self, requester: &RequesterId) -> bool {
        self.owner.as_ref() == Some(requester)
    }

    /// Whether this is one of the built-in system types.
    #[must_use]
    pub fn is_system(&self) -> bool {
        self.owner.is_none()
    }
}

/// Whether a worker currently holds a qualification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QualificationStatus {
    /// Held: counts for HIT requirements.
    Granted,
    /// Taken away by the owner; kept with its reason, counts as absent.
    Revoked,
}

impl QualificationStatus {
    /// The wire and stored spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Granted => "Granted",
            Self::Revoked => "Revoked",
        }
    }

    /// Parses the wire and stored spelling.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "Granted" => Some(Self::Granted),
            "Revoked" => Some(Self::Revoked),
            _ => None,
        }
    }
}

/// A worker's qualification of one type (one row per worker × type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qualification {
    /// The type.
    pub type_id: QualificationTypeId,
    /// The worker (`SubjectId` on the legacy wire).
    pub worker_id: WorkerId,
    /// The score.
    pub integer_value: i32,
    /// Granted or Revoked.
    pub status: QualificationStatus,
    /// Time of the last grant (assign, grant, auto-grant or re-grant).
    pub grant_time: Timestamp,
    /// When it was last revoked.
    pub revoke_time: Option<Timestamp>,
    /// Why it was last revoked (shown to the worker).
    pub revoke_reason: Option<String>,
}

/// Where a qualification request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestStatus {
    /// The worker has the test and has not answered yet; not listed.
    TestPending,
    /// Waiting for the owner (listed in GetQualificationRequests).
    Submitted,
    /// Granted (by the owner, automatically, or by the answer key).
    Granted,
    /// Rejected by the owner, or by disposal of the type.
    Rejected,
}

impl RequestStatus {
    /// The stored spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TestPending => "TestPending",
            Self::Submitted => "Submitted",
            Self::Granted => "Granted",
            Self::Rejected => "Rejected",
        }
    }

    /// Parses the stored spelling.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "TestPending" => Self::TestPending,
            "Submitted" => Self::Submitted,
            "Granted" => Self::Granted,
            "Rejected" => Self::Rejected,
            _ => return None,
        })
    }
}

/// A worker's request for a qualification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualificationRequest {
    /// Id.
    pub id: QualificationRequestId,
    /// The requested type.
    pub type_id: QualificationTypeId,
    /// The type's owner, for listing and ownership checks.
    pub owner: RequesterId,
    /// The requesting worker.
    pub worker_id: WorkerId,
    /// The QuestionForm as it was when the worker asked.
    pub test: Option<String>,
    /// The worker's QuestionFormAnswers.
    pub answer: Option<String>,
    /// State.
    pub status: RequestStatus,
    /// When the worker asked (the retry delay counts from here).
    pub request_time: Timestamp,
    /// When it reached Submitted (or was decided automatically).
    pub submit_time: Option<Timestamp>,
    /// Answers must arrive by then (tests only).
    pub test_deadline: Option<Timestamp>,
    /// Rejection reason, shown to the worker.
    pub reason: Option<String>,
}

/// Whether a grant may replace a qualification that is already granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantMode {
    /// Only grant when the worker has none or a revoked one (legacy
    /// AssignQualification: `QualificationAlreadyExists` otherwise).
    IfNotGranted,
    /// Grant or overwrite the value (JSON AssociateQualificationWithWorker,
    /// GrantQualification of a new request).
    Overwrite,
}
/// The qualification types MTurk keeps for every worker, computed from the
/// worker's profile and history rather than granted (legacy spec §5.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SystemType {
    /// `Worker_Locale`: where the worker is.
    Locale,
    /// `Worker_Adult`: agreed to see adult content.
    Adult,
    /// Masters, under its sandbox id and its production id.
    Masters,
    /// `Worker_PercentAssignmentsApproved`.
    PercentAssignmentsApproved,
    /// `Worker_NumberHITsApproved`.
    NumberHitsApproved,
    /// `Worker_PercentAssignmentsSubmitted`.
    PercentAssignmentsSubmitted,
    /// `Worker_PercentAssignmentsAbandoned`.
    PercentAssignmentsAbandoned,
    /// `Worker_PercentAssignmentsReturned`.
    PercentAssignmentsReturned,
    /// `Worker_PercentAssignmentsRejected`.
    PercentAssignmentsRejected,
}

impl SystemType {
    /// Every system type with its ids (Masters has two).
    pub const IDS: [(&'static str, Self); 10] = [
        (crate::domain::requirement::LOCALE_TYPE_ID, Self::Locale),
        ("00000000000000000060", Self::Adult),
        ("2ARFPLSP75KLA8M8DH1HTEQVJT3SY6", Self::Masters),
        ("2F1QJWKUDD8XADTFD2Q0G6UTO95ALH", Self::Masters),
        ("000000000000000000L0", Self::PercentAssignmentsApproved),
        ("00000000000000000040", Self::NumberHitsApproved),
        ("00000000000000000000", Self::PercentAssignmentsSubmitted),
        ("00000000000000000070", Self::PercentAssignmentsAbandoned),
        ("000000000000000000E0", Self::PercentAssignmentsReturned),
        ("000000000000000000S0", Self::PercentAssignmentsRejected),
    ];

    /// The system type with this id, if it is one.
    #[must_use]
    pub fn from_id(id: &str) -> Option<Self> {
        Self::IDS.iter().find(|(known, _)| *known == id).map(|(_, t)| *t)
    }
}
