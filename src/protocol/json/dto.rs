//! Encoders from domain types to the 2017-01-17 JSON shapes (modern-api.md
//! §3.4): timestamps as epoch seconds, money as strings, absent members omitted.

use serde_json::{json, Map, Value};

use crate::domain::qualification::{Qualification, QualificationRequest, QualificationType, TypeStatus};
use crate::domain::time::Timestamp;
use crate::domain::worker::WorkerBlock;

/// Epoch seconds: an integer when whole, else with a millisecond fraction.
#[must_use]
pub fn time(t: Timestamp) -> Value {
    if t.millis() % 1000 == 0 {
        json!(t.millis() / 1000)
    } else {
        json!(t.to_epoch_seconds())
    }
}

/// A `QualificationType`. The AnswerKey is shown to its owner only;
/// `Disposing` shows as `Inactive` (the enum has no other value).
#[must_use]
pub fn qualification_type(t: &QualificationType, now: Timestamp, owner: bool) -> Value {
    let mut m = Map::new();
    m.insert("QualificationTypeId".into(), json!(t.id.as_str()));
    m.insert("CreationTime".into(), time(t.creation_time));
    m.insert("Name".into(), json!(t.name));
    m.insert("Description".into(), json!(t.description));
    if let Some(k) = &t.keywords {
        m.insert("Keywords".into(), json!(k));
    }
    let status = if t.status_at(now) == TypeStatus::Active { "Active" } else { "Inactive" };
    m.insert("QualificationTypeStatus".into(), json!(status));
    if let Some(test) = &t.test {
        m.insert("Test".into(), json!(test.question_form));
        m.insert("TestDurationInSeconds".into(), json!(test.duration_secs));
        if owner {
            if let Some(key) = &test.answer_key {
                m.insert("AnswerKey".into(), json!(key));
            }
        }
    }
    if let Some(d) = t.retry_delay_secs {
        m.insert("RetryDelayInSeconds".into(), json!(d));
    }
    m.insert("IsRequestable".into(), json!(t.is_requestable));
    m.insert("AutoGranted".into(), json!(t.auto_granted));
    if let (true, Some(v)) = (t.auto_granted, t.auto_granted_value) {
        m.insert("AutoGrantedValue".into(), json!(v));
    }
    Value::Object(m)
}

/// A `Qualification` (worker as `WorkerId`).
#[must_use]
pub fn qualification(q: &Qualification) -> Value {
    json!({
        "QualificationTypeId": q.type_id.as_str(),
        "WorkerId": q.worker_id.as_str(),
        "GrantTime": time(q.grant_time),
        "IntegerValue": q.integer_value,
        "Status": q.status.as_str(),
    })
}

/// A `QualificationRequest`.
#[must_use]
pub fn qualification_request(r: &QualificationRequest) -> Value {
    let mut m = Map::new();
    m.insert("QualificationRequestId".into(), json!(r.id.as_str()));
    m.insert("QualificationTypeId".into(), json!(r.type_id.as_str()));
    m.insert("WorkerId".into(), json!(r.worker_id.as_str()));
    if let Some(t) = &r.test {
        m.insert("Test".into(), json!(t));
    }
    if let Some(a) = &r.answer {
        m.insert("Answer".into(), json!(a));
    }
    m.insert("SubmitTime".into(), time(r.submit_time.unwrap_or(r.request_time)));
    Value::Object(m)
}

/// A `WorkerBlock`.
#[must_use]
pub fn worker_block(b: &WorkerBlock) -> Value {
    json!({ "WorkerId": b.worker_id.as_str(), "Reason": b.reason })
}
