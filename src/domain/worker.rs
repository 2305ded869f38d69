//! What the worker side sees of requesters: blocks and the messages a worker
//! receives (revocation reasons, rejections, NotifyWorkers mail, assignment
//! notices). The simulated-worker control plane reads these back.

use super::ids::{QualificationTypeId, RequesterId, WorkerId};
use super::requirement::Locale;
use super::time::Timestamp;

/// Why a worker was told something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationKind {
    /// RevokeQualification / DisassociateQualificationFromWorker.
    QualificationRevoked,
    /// RejectQualificationRequest.
    QualificationRequestRejected,
    /// AssignQualification with SendNotification.
    QualificationAssigned,
    /// NotifyWorkers.
    Message,
}

impl NotificationKind {
    /// The stored and control-plane spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::QualificationRevoked => "QualificationRevoked",
            Self::QualificationRequestRejected => "QualificationRequestRejected",
            Self::QualificationAssigned => "QualificationAssigned",
            Self::Message => "Message",
        }
    }

    /// Parses the stored spelling.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "QualificationRevoked" => Self::QualificationRevoked,
            "QualificationRequestRejected" => Self::QualificationRequestRejected,
            "QualificationAssigned" => Self::QualificationAssigned,
            "Message" => Self::Message,
            _ => return None,
        })
    }
}

/// Something a worker was told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerNotification {
    /// The addressee.
    pub worker_id: WorkerId,
    /// Who sent it.
    pub requester: RequesterId,
    /// Why.
    pub kind: NotificationKind,
    /// The qualification type concerned, if any.
    pub qualification_type_id: Option<QualificationTypeId>,
    /// Subject line (NotifyWorkers).
    pub subject: Option<String>,
    /// The text the worker reads (may be empty when no reason was given).
    pub text: String,
    /// When.
    pub time: Timestamp,
}

/// A requester's block on a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerBlock {
    /// The blocked worker.
    pub worker_id: WorkerId,
    /// The requester's reason (never shown to the worker).
    pub reason: String,
}

/// A worker's self-description, behind the Locale, Adult and Masters system
/// qualifications.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkerProfile {
    /// Where the worker is; `None` means unknown (fails every locale requirement).
    pub locale: Option<Locale>,
    /// Agreed to see adult content.
    pub adult: bool,
    /// Holds the Masters qualification.
    pub masters: bool,
}
