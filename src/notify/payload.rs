//! What each transport sends for an event, as the MTurk references document
//! it.
//!
//! * SQS and SNS: the JSON event document (`EventDocId`, `SourceAccount`,
//!   `CustomerId`, `EventDocVersion`, `Events[]` with `EventType`,
//!   `EventTimestamp`, `HITTypeId`, `HITId`, `AssignmentId`), reference
//!   "Notification Handling Using Amazon SQS" (2017-01-17).
//! * REST (legacy): an HTTP GET of `method=Notify`, `Signature`, `Timestamp`,
//!   `Version` and `Event.N.EventType`, `.EventTime`, `.HITTypeId`, `.HITId`,
//!   `.AssignmentId`, reference "The REST Transport" (2006-10-31, 2008-04-01).
//!   The signature is base64 HMAC-SHA1 of
//!   `AWSMechanicalTurkRequesterNotification` + `Notify` + `Timestamp` with the
//!   requester's secret key ("Elements of a Notification Message"), which is
//!   what boto 2's `NotificationMessage.verify` recomputes.
//! * Email: one block of `Key: value` lines per event (`Event Type`, `Event
//!   Time`, `HIT Type ID`, `HIT ID`, `Assignment ID`), each block ended by a
//!   blank line, which is what boto 2's `NotificationEmail` parses.

use serde_json::{json, Value};

use crate::domain::notification::Event;
use crate::domain::time::Timestamp;

/// The account a destination names (an SQS queue URL's path or an SNS
/// topic ARN), or `000000000000`.
#[must_use]
pub fn source_account(destination: &str) -> String {
    let from_arn = destination.strip_prefix("arn:").and_then(|rest| rest.split(':').nth(3));
    let from_url = destination.rsplit('/').nth(1);
    from_arn
        .or(from_url)
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or("000000000000")
        .to_owned()
}

/// The JSON event document of `event` for a destination.
#[must_use]
pub fn event_document(event: &Event, version: &str, destination: &str) -> Value {
    let mut item = json!({
        "EventType": event.event_type.as_str(),
        "EventTimestamp": event.time.to_xml_datetime(),
        "HITTypeId": event.hit_type_id,
        "HITId": event.hit_id,
    });
    if let Some(a) = &event.assignment_id {
        item["AssignmentId"] = json!(a);
    }
    json!({
        "EventDocId": event.id,
        "SourceAccount": source_account(destination),
        "CustomerId": event.requester.as_str(),
        "EventDocVersion": version,
        "Events": [item],
    })
}

/// The string the REST transport's signature is computed over.
#[must_use]
pub fn rest_string_to_sign(timestamp: &str) -> String {
    format!("AWSMechanicalTurkRequesterNotificationNotify{timestamp}")
}

/// The query parameters of the REST transport's request, `Signature`
/// computed with `secret` (empty without one: the receiver cannot verify it).
#[must_use]
pub fn rest_parameters(
    event: &Event,
    version: &str,
    sent_at: Timestamp,
    secret: Option<&[u8]>,
) -> Vec<(String, String)> {
    let timestamp = sent_at.to_xml_datetime();
    let signature = secret.map(|s| crate::auth::legacy::sign(s, &rest_string_to_sign(&timestamp))).unwrap_or_default();
    let mut params = vec![
        ("method".to_owned(), "Notify".to_owned()),
        ("Signature".to_owned(), signature),
        ("Timestamp".to_owned(), timestamp),
        ("Version".to_owned(), version.to_owned()),
        ("Event.1.EventType".to_owned(), event.event_type.as_str().to_owned()),
        ("Event.1.EventTime".to_owned(), event.time.to_xml_datetime()),
        ("Event.1.HITTypeId".to_owned(), event.hit_type_id.clone()),
        ("Event.1.HITId".to_owned(), event.hit_id.clone()),
    ];
    if let Some(a) = &event.assignment_id {
        params.push(("Event.1.AssignmentId".to_owned(), a.clone()));
    }
    params
}

/// The subject of a notification e-mail.
#[must_use]
pub fn email_subject(event: &Event) -> String {
    format!("Amazon Mechanical Turk notification: {}", event.event_type.as_str())
}

/// The text of a notification e-mail.
#[must_use]
pub fn email_body(event: &Event) -> String {
    use std::fmt::Write as _;
    let mut body = String::from("The following event occurred on Amazon Mechanical Turk (mturk-local):\n\n");
    let _ = writeln!(body, "Event Type: {}", event.event_type.as_str());
    let _ = writeln!(body, "Event Time: {}", event.time.to_xml_datetime());
    let _ = writeln!(body, "HIT Type ID: {}", event.hit_type_id);
    let _ = writeln!(body, "HIT ID: {}", event.hit_id);
    if let Some(a) = &event.assignment_id {
        let _ = writeln!(body, "Assignment ID: {a}");
    }
    let _ = writeln!(body, "\nEventDocId {}", event.id);
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::RequesterId;
    use crate::domain::notification::EventType;

    fn event() -> Event {
        Event {
            id: "doc-1".into(),
            requester: RequesterId::from_stored("AKIDEXAMPLE".into()),
            event_type: EventType::AssignmentSubmitted,
            time: Timestamp::from_millis(1_700_000_000_123),
            hit_type_id: "3TYPE".into(),
            hit_id: "3HIT".into(),
            assignment_id: Some("3ASG".into()),
        }
    }

    #[test]
    fn the_event_document_has_the_documented_members() {
        let doc = event_document(&event(), "2006-05-05", "https://sqs.us-east-1.amazonaws.com/123456789012/q");
        assert_eq!(doc["EventDocId"], "doc-1");
        assert_eq!(doc["SourceAccount"], "123456789012");
        assert_eq!(doc["CustomerId"], "AKIDEXAMPLE");
        assert_eq!(doc["EventDocVersion"], "2006-05-05");
        assert_eq!(doc["Events"][0]["EventType"], "AssignmentSubmitted");
        assert_eq!(doc["Events"][0]["EventTimestamp"], "2023-11-14T22:13:20Z");
        assert_eq!(doc["Events"][0]["AssignmentId"], "3ASG");
        assert_eq!(source_account("arn:aws:sns:us-east-1:210987654321:topic"), "210987654321");
    }

    #[test]
    fn the_rest_signature_is_hmac_sha1_of_service_operation_and_timestamp() {
        let params = rest_parameters(&event(), "2006-05-05", Timestamp::from_millis(0), Some(b"secret"));
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap();
        assert_eq!(get("method"), "Notify");
        assert_eq!(get("Timestamp"), "1970-01-01T00:00:00Z");
        let expected =
            crate::auth::legacy::sign(b"secret", "AWSMechanicalTurkRequesterNotificationNotify1970-01-01T00:00:00Z");
        assert_eq!(get("Signature"), expected);
        assert_eq!(get("Event.1.HITId"), "3HIT");
    }
}
