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

/// A `QualificationRequirement`.
#[must_use]
pub fn requirement(r: &crate::domain::requirement::QualificationRequirement) -> Value {
    let mut m = Map::new();
    m.insert("QualificationTypeId".into(), json!(r.type_id));
    m.insert("Comparator".into(), json!(r.comparator.as_str()));
    if !r.integer_values.is_empty() {
        m.insert("IntegerValues".into(), json!(r.integer_values));
    }
    if !r.locale_values.is_empty() {
        let locales: Vec<Value> = r
            .locale_values
            .iter()
            .map(|l| match &l.subdivision {
                Some(s) => json!({ "Country": l.country, "Subdivision": s }),
                None => json!({ "Country": l.country }),
            })
            .collect();
        m.insert("LocaleValues".into(), Value::Array(locales));
    }
    m.insert("RequiredToPreview".into(), json!(r.required_to_preview));
    if let Some(a) = r.actions_guarded {
        m.insert("ActionsGuarded".into(), json!(a.as_str()));
    }
    Value::Object(m)
}

/// A `HIT` (modern-api.md §3.4). `HITGroupId` is the HIT type's id: one
/// group per type.
#[must_use]
pub fn hit(h: &crate::domain::hit::Hit, now: Timestamp) -> Value {
    let t = &h.hit_type;
    let mut m = Map::new();
    m.insert("HITId".into(), json!(h.id));
    m.insert("HITTypeId".into(), json!(t.id));
    m.insert("HITGroupId".into(), json!(t.id));
    m.insert("CreationTime".into(), time(h.creation_time));
    m.insert("Title".into(), json!(t.title));
    m.insert("Description".into(), json!(t.description));
    m.insert("Question".into(), json!(h.question));
    if let Some(k) = &t.keywords {
        m.insert("Keywords".into(), json!(k));
    }
    m.insert("HITStatus".into(), json!(h.status(now).as_str()));
    m.insert("MaxAssignments".into(), json!(h.max_assignments));
    m.insert("Reward".into(), json!(crate::domain::money::format_cents(t.reward_cents)));
    m.insert("AutoApprovalDelayInSeconds".into(), json!(t.auto_approval_delay_secs));
    m.insert("Expiration".into(), time(h.expiration));
    m.insert("AssignmentDurationInSeconds".into(), json!(t.assignment_duration_secs));
    if let Some(a) = &h.requester_annotation {
        m.insert("RequesterAnnotation".into(), json!(a));
    }
    m.insert("QualificationRequirements".into(), Value::Array(t.requirements.iter().map(requirement).collect()));
    m.insert("HITReviewStatus".into(), json!("NotReviewed"));
    m.insert("NumberOfAssignmentsPending".into(), json!(h.pending));
    m.insert("NumberOfAssignmentsAvailable".into(), json!(h.available(now)));
    m.insert("NumberOfAssignmentsCompleted".into(), json!(h.completed));
    Value::Object(m)
}

/// An `Assignment`; the wire status of anything reviewed or submitted.
#[must_use]
pub fn assignment(a: &crate::domain::hit::Assignment) -> Value {
    let mut m = Map::new();
    m.insert("AssignmentId".into(), json!(a.id));
    m.insert("WorkerId".into(), json!(a.worker_id.as_str()));
    m.insert("HITId".into(), json!(a.hit_id));
    m.insert("AssignmentStatus".into(), json!(a.status.as_str()));
    let mut put = |k: &str, t: Option<Timestamp>| {
        if let Some(t) = t {
            m.insert(k.into(), time(t));
        }
    };
    put("AutoApprovalTime", a.auto_approval_time);
    put("AcceptTime", Some(a.accept_time));
    put("SubmitTime", a.submit_time);
    put("ApprovalTime", a.approval_time);
    put("RejectionTime", a.rejection_time);
    put("Deadline", Some(a.deadline));
    if let Some(x) = &a.answer {
        m.insert("Answer".into(), json!(x));
    }
    if let Some(f) = &a.requester_feedback {
        m.insert("RequesterFeedback".into(), json!(f));
    }
    Value::Object(m)
}

/// A `BonusPayment`.
#[must_use]
pub fn bonus(b: &crate::domain::hit::Bonus) -> Value {
    json!({
        "WorkerId": b.worker_id.as_str(),
        "BonusAmount": crate::domain::money::format_cents(b.amount_cents),
        "AssignmentId": b.assignment_id,
        "Reason": b.reason,
        "GrantTime": time(b.grant_time),
    })
}
