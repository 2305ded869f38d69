//! HIT event notifications: the settings of a HIT type
//! (UpdateNotificationSettings, legacy SetHITTypeNotification), test events
//! (SendTestEventNotification), the outbox as the control plane lists it,
//! and the clock-driven events.
//!
//! The events themselves are recorded by the store, in the transaction of
//! the change that causes them; `crate::notify` delivers them.

use crate::domain::ids::HitTypeId;
use crate::domain::notification::{
    Event, EventFilter, EventRecord, EventType, NotificationSetting, NotificationSpec, Transport, VERSIONS,
};
use crate::error::{invalid_value, invalid_value_because, Result};
use crate::mturk_error;
use crate::store::{Page, Paged};

use super::{internal, Ctx, WorkerCtx};

/// Which API a specification came through: the transports differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    /// 2017-01-17: `Email`, `SQS`, `SNS` (the model's `NotificationTransport`).
    Json,
    /// 2014-08-15: `Email`, `SQS`, `SNS` and `REST`; `SOAP` is refused.
    Legacy,
}

/// A `NotificationSpecification` as sent, checked by [`NotificationInput::check`].
#[derive(Debug, Clone)]
pub struct NotificationInput {
    /// The API it came through.
    pub face: Face,
    /// `Destination`.
    pub destination: String,
    /// `Transport`.
    pub transport: String,
    /// `Version`.
    pub version: String,
    /// `EventTypes` (legacy `EventType.N`).
    pub event_types: Vec<String>,
}

/// Whether `Ping` may be among the event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PingAllowed {
    Yes,
    No,
}

fn bad(member: &str, value: &str, why: &str) -> crate::error::MturkError {
    invalid_value_because(member, value, why)
}

impl NotificationInput {
    fn check(&self, ping: PingAllowed) -> Result<NotificationSpec> {
        let transport = match (self.transport.as_str(), self.face) {
            ("SQS", _) => Transport::Sqs,
            ("SNS", _) => Transport::Sns,
            ("Email", _) => Transport::Email,
            ("REST", Face::Legacy) => Transport::Rest,
            ("SOAP", Face::Legacy) => {
                return Err(mturk_error!(
                    InvalidParameterValue,
                    "The SOAP notification transport is not supported by mturk-local: use REST, SQS, SNS or Email."
                ))
            }
            (other, Face::Json) => {
                return Err(bad("Transport", other, "Expected values are Email, SQS and SNS."));
            }
            (other, Face::Legacy) => {
                return Err(bad("Transport", other, "Expected values are Email, REST, SQS and SNS."));
            }
        };
        if !VERSIONS.contains(&self.version.as_str()) {
            return Err(bad("Version", &self.version, "Expected values are 2006-05-05 and 2014-08-15."));
        }
        // A test event is of TestEventType whatever the list says, and boto 2's
        // send_test_event_notification sends none by default.
        if self.event_types.is_empty() && ping == PingAllowed::No {
            return Err(crate::error::missing_parameter("EventTypes"));
        }
        let mut event_types = Vec::with_capacity(self.event_types.len());
        for raw in &self.event_types {
            let t = EventType::parse(raw).ok_or_else(|| invalid_value("EventTypes", raw))?;
            if t == EventType::Ping && ping == PingAllowed::No {
                return Err(bad(
                    "EventTypes",
                    raw,
                    "The Ping event is only valid for the SendTestEventNotification operation.",
                ));
            }
            if !event_types.contains(&t) {
                event_types.push(t);
            }
        }
        check_destination(transport, &self.destination)?;
        Ok(NotificationSpec {
            destination: self.destination.clone(),
            transport,
            version: self.version.clone(),
            event_types,
        })
    }
}

/// The destination's shape for its transport, as the Notification data
/// structure documents it: an SQS queue URL, an SNS topic ARN, an e-mail
/// address, or (legacy REST) the URL to send the request to.
fn check_destination(transport: Transport, destination: &str) -> Result<()> {
    let fail = |why: &str| Err(bad("Destination", destination, why));
    if destination.len() > 1024 || destination.chars().any(char::is_whitespace) {
        return fail("A destination has at most 1024 characters and no spaces.");
    }
    match transport {
        Transport::Sqs => match http_url(destination) {
            Some((host, path)) => {
                let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
                let aws = host.ends_with(".amazonaws.com");
                // 1-80 letters, digits, - and _, and a FIFO queue's ".fifo" after them.
                let queue_name = |n: &str| {
                    let base = n.strip_suffix(".fifo").unwrap_or(n);
                    !base.is_empty()
                        && n.len() <= 80
                        && base.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                };
                let ok = if aws {
                    // https://sqs.REGION.amazonaws.com/ACCOUNT/NAME (or the older queue.amazonaws.com).
                    segments.len() == 2
                        && segments[0].len() == 12
                        && segments[0].bytes().all(|b| b.is_ascii_digit())
                        && queue_name(segments[1])
                } else {
                    segments.last().is_some_and(|n| queue_name(n))
                };
                if ok {
                    Ok(())
                } else {
                    fail("An SQS destination is a queue URL: https://sqs.REGION.amazonaws.com/ACCOUNT/QUEUE.")
                }
            }
            None => fail("An SQS destination is a queue URL: https://sqs.REGION.amazonaws.com/ACCOUNT/QUEUE."),
        },
        Transport::Sns => {
            let parts: Vec<&str> = destination.split(':').collect();
            let ok = parts.len() == 6
                && parts[0] == "arn"
                && parts[1].starts_with("aws")
                && parts[2] == "sns"
                && !parts[3].is_empty()
                && parts[4].len() == 12
                && parts[4].bytes().all(|b| b.is_ascii_digit())
                && !parts[5].is_empty()
                && parts[5].len() <= 256
                && parts[5].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
            if ok {
                Ok(())
            } else {
                fail("An SNS destination is a topic ARN: arn:aws:sns:REGION:ACCOUNT:TOPIC.")
            }
        }
        Transport::Email => {
            let ok = destination.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && !domain.is_empty() && !domain.contains('@') && !domain.starts_with('.')
            });
            if ok {
                Ok(())
            } else {
                fail("An Email destination is an e-mail address.")
            }
        }
        Transport::Rest => {
            if http_url(destination).is_some() {
                Ok(())
            } else {
                fail("A REST destination is an http:// or https:// URL.")
            }
        }
    }
}

/// The host and path of an `http://` or `https://` URL with a host.
fn http_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host.rsplit_once(':') {
        Some((h, port)) if !h.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    if host.is_empty() {
        return None;
    }
    Some((host, path))
}

/// Input of UpdateNotificationSettings and SetHITTypeNotification.
#[derive(Debug, Clone)]
pub struct SettingsUpdate {
    /// `HITTypeId`.
    pub hit_type_id: HitTypeId,
    /// `Notification`: replaces the stored specification.
    pub notification: Option<NotificationInput>,
    /// `Active`: switches sending on or off.
    pub active: Option<bool>,
}

/// UpdateNotificationSettings / SetHITTypeNotification. Without `Active` a
/// specification keeps the stored one's switch (a HIT type's first one is
/// off); `Active` alone needs a stored specification.
///
/// # Errors
/// `AWS.MissingParameters` with neither `Notification` nor `Active`; an
/// unknown HIT type (`InvalidParameterValue`) or another requester's
/// (`PermissionDenied`); a specification that is not valid.
pub async fn update_settings(ctx: &Ctx, update: SettingsUpdate) -> Result<()> {
    let SettingsUpdate { hit_type_id, notification, active } = update;
    if notification.is_none() && active.is_none() {
        return Err(mturk_error!(
            MissingParameters,
            "Your request is missing required parameters. Required parameters include Notification or Active."
        ));
    }
    let spec = notification.map(|n| n.check(PingAllowed::No)).transpose()?;
    let hit_type = super::hits::owned_hit_type(ctx, hit_type_id.as_str()).await?;
    let stored = ctx.store.notification_setting(&hit_type.id).await.map_err(internal)?;
    let setting = match (spec, stored) {
        (Some(spec), stored) => NotificationSetting {
            hit_type_id: hit_type.id.clone(),
            spec,
            // "The 'Active' parameter is optional. If omitted, the active status of the HIT
            // type's notification specification is unchanged. All HIT types begin with their
            // notification specifications in the 'inactive' status." (the Developer Guide, as
            // boto 2's mturk/connection.py quotes it; boto 2 therefore always sends Active).
            active: active.unwrap_or_else(|| stored.is_some_and(|s| s.active)),
        },
        (None, Some(stored)) => NotificationSetting { active: active.unwrap_or(stored.active), ..stored },
        (None, None) => {
            return Err(mturk_error!(
                InvalidParameterValue,
                "HIT type {} has no notification specification to switch on or off: send Notification too.",
                hit_type.id
            )
            .with_data("HITTypeId", hit_type.id.as_str()))
        }
    };
    ctx.store.put_notification_setting(&setting, ctx.caller.as_str(), ctx.now).await.map_err(internal)?;
    Ok(())
}

/// Input of SendTestEventNotification.
#[derive(Debug, Clone)]
pub struct TestEvent {
    /// `Notification`: where to send it.
    pub notification: NotificationInput,
    /// `TestEventType`.
    pub test_event_type: String,
}

/// SendTestEventNotification: one event of `TestEventType` to the
/// specification's destination, even if that type is not in its
/// `EventTypes` (modern-api.md §2 "Notifications"). The event carries no
/// HIT, HIT type or assignment.
///
/// # Errors
/// A specification or event type that is not valid.
pub async fn send_test_event(ctx: &Ctx, test: TestEvent) -> Result<()> {
    let spec = test.notification.check(PingAllowed::Yes)?;
    let event_type =
        EventType::parse(&test.test_event_type).ok_or_else(|| invalid_value("TestEventType", &test.test_event_type))?;
    let event = Event {
        id: String::new(),
        requester: ctx.caller.clone(),
        event_type,
        time: ctx.now,
        hit_type_id: String::new(),
        hit_id: String::new(),
        assignment_id: None,
    };
    ctx.store.insert_test_event(&event, &spec).await.map_err(internal)?;
    Ok(())
}

/// The outbox, oldest event first, each with its deliveries.
///
/// # Errors
/// Store failures only.
pub async fn events(w: &WorkerCtx, filter: &EventFilter) -> Result<Vec<EventRecord>> {
    w.store.events(filter).await.map_err(internal)
}

/// The caller's events (of its HIT types, and its test events), newest
/// first, each with its deliveries, a keyed page at a time: the requester
/// console's event log.
///
/// # Errors
/// Store failures only.
pub async fn requester_events(ctx: &Ctx, page: Page) -> Result<Paged<EventRecord>> {
    ctx.store.requester_events(&ctx.caller, page).await.map_err(internal)
}

/// Records the clock-driven events due at the context's now (the
/// dispatcher's loop and every move of the clock call this).
///
/// # Errors
/// Store failures only.
pub async fn settle_timed(w: &WorkerCtx) -> Result<u64> {
    w.store.settle_timed_events(w.now).await.map_err(internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(face: Face, transport: &str, destination: &str) -> NotificationInput {
        NotificationInput {
            face,
            destination: destination.into(),
            transport: transport.into(),
            version: "2006-05-05".into(),
            event_types: vec!["AssignmentSubmitted".into()],
        }
    }

    #[test]
    fn destinations_must_fit_their_transport() {
        let ok = [
            (Face::Json, "SQS", "https://sqs.us-east-1.amazonaws.com/123456789012/my-queue"),
            (Face::Json, "SQS", "http://localhost:5000/123456789012/my-queue"),
            (Face::Json, "SNS", "arn:aws:sns:us-east-1:123456789012:my_topic"),
            (Face::Json, "Email", "me@example.com"),
            (Face::Legacy, "REST", "http://127.0.0.1:9000/notify"),
        ];
        for (face, t, d) in ok {
            assert!(input(face, t, d).check(PingAllowed::No).is_ok(), "{t} {d}");
        }
        let bad = [
            (Face::Json, "SQS", "https://sqs.us-east-1.amazonaws.com/my-queue"),
            (Face::Json, "SQS", "not a url"),
            (Face::Json, "SNS", "arn:aws:sqs:us-east-1:123456789012:my_topic"),
            (Face::Json, "SNS", "arn:aws:sns:us-east-1:1234:my_topic"),
            (Face::Json, "Email", "example.com"),
            (Face::Json, "REST", "http://127.0.0.1:9000/notify"),
            (Face::Legacy, "SOAP", "http://127.0.0.1:9000/notify"),
            (Face::Legacy, "REST", "ftp://127.0.0.1/notify"),
        ];
        for (face, t, d) in bad {
            let err = input(face, t, d).check(PingAllowed::No).unwrap_err();
            assert_eq!(err.code(), crate::error::ErrorCode::InvalidParameterValue, "{t} {d}");
        }
    }

    #[test]
    fn versions_and_event_types_are_checked() {
        let mut n = input(Face::Json, "Email", "me@example.com");
        n.version = "2017-01-17".into();
        assert!(n.check(PingAllowed::No).is_err());
        n.version = "2014-08-15".into();
        n.event_types = vec!["Ping".into()];
        assert!(n.check(PingAllowed::No).is_err());
        assert!(n.check(PingAllowed::Yes).is_ok());
        n.event_types = vec!["HitCreated".into()];
        assert!(n.check(PingAllowed::Yes).is_err());
        n.event_types = vec![];
        assert_eq!(n.check(PingAllowed::No).unwrap_err().code(), crate::error::ErrorCode::MissingParameters);
        assert!(n.check(PingAllowed::Yes).is_ok());
    }
}
