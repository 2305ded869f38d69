//! HIT event notifications: the event types, the transports, a HIT type's
//! notification specification, and the events the outbox holds.
//!
//! Evidence: the 2017-01-17 model's `EventType` and `NotificationTransport`
//! enums and `NotificationSpecification` shape (botocore `mturk`
//! service-2.json); the legacy `Notification` data structure (2014-08-15
//! reference), whose `Transport` also took `REST` and `SOAP`; boto 2's
//! `boto/mturk/notification.py` (`NOTIFICATION_VERSION = '2006-05-05'`).

use super::ids::RequesterId;
use super::time::Timestamp;

/// Every value of the 2017-01-17 `EventType` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// A worker accepted an assignment.
    AssignmentAccepted,
    /// An assignment's deadline passed before it was submitted.
    AssignmentAbandoned,
    /// A worker returned an assignment.
    AssignmentReturned,
    /// A worker submitted an assignment.
    AssignmentSubmitted,
    /// The requester (or a review policy) rejected an assignment.
    AssignmentRejected,
    /// The requester, a review policy or the auto-approval delay approved it.
    AssignmentApproved,
    /// A HIT was created.
    HitCreated,
    /// A HIT got more time or more assignments.
    HitExtended,
    /// A HIT was disposed (DeleteHIT, DisableHIT, DisposeHIT).
    HitDisposed,
    /// A HIT became Reviewable.
    HitReviewable,
    /// A HIT's expiration passed.
    HitExpired,
    /// A test event (SendTestEventNotification only).
    Ping,
}

impl EventType {
    /// Every type, in the model's order.
    pub const ALL: [Self; 12] = [
        Self::AssignmentAccepted,
        Self::AssignmentAbandoned,
        Self::AssignmentReturned,
        Self::AssignmentSubmitted,
        Self::AssignmentRejected,
        Self::AssignmentApproved,
        Self::HitCreated,
        Self::HitExtended,
        Self::HitDisposed,
        Self::HitReviewable,
        Self::HitExpired,
        Self::Ping,
    ];

    /// The wire spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AssignmentAccepted => "AssignmentAccepted",
            Self::AssignmentAbandoned => "AssignmentAbandoned",
            Self::AssignmentReturned => "AssignmentReturned",
            Self::AssignmentSubmitted => "AssignmentSubmitted",
            Self::AssignmentRejected => "AssignmentRejected",
            Self::AssignmentApproved => "AssignmentApproved",
            Self::HitCreated => "HITCreated",
            Self::HitExtended => "HITExtended",
            Self::HitDisposed => "HITDisposed",
            Self::HitReviewable => "HITReviewable",
            Self::HitExpired => "HITExpired",
            Self::Ping => "Ping",
        }
    }

    /// Parses the wire spelling (case-sensitive, as the model's enum).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// Whether the event concerns one assignment (and carries its id).
    #[must_use]
    pub const fn has_assignment(self) -> bool {
        matches!(
            self,
            Self::AssignmentAccepted
                | Self::AssignmentAbandoned
                | Self::AssignmentReturned
                | Self::AssignmentSubmitted
                | Self::AssignmentRejected
                | Self::AssignmentApproved
        )
    }
}

/// Where notifications go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// An SQS queue URL.
    Sqs,
    /// An SNS topic ARN.
    Sns,
    /// An e-mail address.
    Email,
    /// A URL receiving the legacy signed `method=Notify` request (legacy API only).
    Rest,
}

impl Transport {
    /// The wire spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sqs => "SQS",
            Self::Sns => "SNS",
            Self::Email => "Email",
            Self::Rest => "REST",
        }
    }

    /// Parses the stored spelling.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "SQS" => Self::Sqs,
            "SNS" => Self::Sns,
            "Email" => Self::Email,
            "REST" => Self::Rest,
            _ => return None,
        })
    }
}

/// The notification `Version` values accepted: `2006-05-05`, the version boto 2
/// and the legacy reference name, and `2014-08-15`, the only one the
/// 2017-01-17 reference's Notification data structure lists. The event
/// document echoes it as `EventDocVersion`.
pub const VERSIONS: [&str; 2] = ["2006-05-05", "2014-08-15"];

/// A HIT type's notification specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationSpec {
    /// Queue URL, topic ARN, address or URL, by transport.
    pub destination: String,
    /// How.
    pub transport: Transport,
    /// One of [`VERSIONS`].
    pub version: String,
    /// The events that are sent (never empty).
    pub event_types: Vec<EventType>,
}

/// A HIT type's stored notification setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationSetting {
    /// The HIT type.
    pub hit_type_id: String,
    /// The specification.
    pub spec: NotificationSpec,
    /// Whether events are sent.
    pub active: bool,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Not delivered yet (being tried, or waiting for its next attempt).
    Pending,
    /// The destination took it.
    Delivered,
    /// Given up after the configured number of attempts.
    Failed,
}

impl DeliveryStatus {
    /// The stored and control-plane spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Delivered => "Delivered",
            Self::Failed => "Failed",
        }
    }

    /// Parses the stored spelling.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "Pending" => Self::Pending,
            "Delivered" => Self::Delivered,
            "Failed" => Self::Failed,
            _ => return None,
        })
    }
}

/// One event of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The `EventDocId`: the same in every attempt to deliver it.
    pub id: String,
    /// The HIT type's owner (`CustomerId`, `SourceAccount`).
    pub requester: RequesterId,
    /// What happened.
    pub event_type: EventType,
    /// When, in emulated time.
    pub time: Timestamp,
    /// The HIT type (empty for a test event).
    pub hit_type_id: String,
    /// The HIT (empty for a test event).
    pub hit_id: String,
    /// The assignment, for assignment events.
    pub assignment_id: Option<String>,
}

/// One delivery of an event to one destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Its number: deliveries to one destination go in this order.
    pub seq: i64,
    /// The event's id.
    pub event_id: String,
    /// How.
    pub transport: Transport,
    /// Where.
    pub destination: String,
    /// The specification's version (`EventDocVersion`).
    pub version: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: i64,
    /// The last attempt's error.
    pub last_error: Option<String>,
    /// When it was delivered or given up (wall time).
    pub finished_at: Option<Timestamp>,
}

/// An event with its deliveries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    /// The event.
    pub event: Event,
    /// Its deliveries, by `seq`.
    pub deliveries: Vec<Delivery>,
}

/// A delivery claimed by a dispatcher, with its event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedDelivery {
    /// The delivery.
    pub delivery: Delivery,
    /// Its event.
    pub event: Event,
}

/// Filters of `GET /_local/events`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only this HIT's events.
    pub hit_id: Option<String>,
    /// Only this HIT type's events.
    pub hit_type_id: Option<String>,
    /// Only events of this type.
    pub event_type: Option<EventType>,
}
