//! Encoders from domain types to the legacy XML data structures, with the
//! element order of the 2014-08-15 XSD (spec §5).

use crate::domain::qualification::{Qualification, QualificationRequest, QualificationType, TypeStatus};
use crate::domain::time::Timestamp;
use crate::domain::worker::WorkerBlock;

use super::envelope::Xml;

/// How much of a qualification type to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeView {
    /// CreateQualificationType: the set fields without IsRequestable, as the
    /// 2015 capture shows (spec §4.1).
    Created,
    /// Everything public, plus the AnswerKey when `owner` is true.
    Full {
        /// Whether the caller owns the type (only owners see the AnswerKey).
        owner: bool,
    },
}

/// The wire status. `Disposing` is internal (the XSD enum has only Active and
/// Inactive), so a type being disposed shows as Inactive.
fn wire_status(t: &QualificationType, now: Timestamp) -> &'static str {
    match t.status_at(now) {
        TypeStatus::Active => "Active",
        TypeStatus::Inactive | TypeStatus::Disposing | TypeStatus::Disposed => "Inactive",
    }
}

/// The fields of a `QualificationType` (without the wrapping element).
pub fn qualification_type_fields(xml: &mut Xml, t: &QualificationType, now: Timestamp, view: TypeView) {
    xml.leaf("QualificationTypeId", t.id.as_str())
        .leaf("CreationTime", &t.creation_time.to_xml_datetime())
        .leaf("Name", &t.name)
        .leaf("Description", &t.description)
        .leaf_opt("Keywords", t.keywords.as_deref())
        .leaf("QualificationTypeStatus", wire_status(t, now));
    if let Some(test) = &t.test {
        xml.leaf("Test", &test.question_form).leaf("TestDurationInSeconds", &test.duration_secs.to_string());
        let show_key = match view {
            TypeView::Created => true,
            TypeView::Full { owner } => owner,
        };
        if show_key {
            xml.leaf_opt("AnswerKey", test.answer_key.as_deref());
        }
    }
    xml.leaf_opt("RetryDelayInSeconds", t.retry_delay_secs.map(|d| d.to_string()).as_deref());
    if matches!(view, TypeView::Full { .. }) {
        xml.leaf("IsRequestable", if t.is_requestable { "true" } else { "false" });
    }
    // AutoGranted was captured as 0/1 (spec §3.2).
    xml.leaf("AutoGranted", if t.auto_granted { "1" } else { "0" });
    if t.auto_granted {
        xml.leaf_opt("AutoGrantedValue", t.auto_granted_value.map(|v| v.to_string()).as_deref());
    }
}

/// A whole `<QualificationType>` element (for lists).
pub fn qualification_type(xml: &mut Xml, t: &QualificationType, now: Timestamp, view: TypeView) {
    xml.open("QualificationType");
    qualification_type_fields(xml, t, now, view);
    xml.close("QualificationType");
}

/// The fields of a `Qualification` (spec §5.2), worker as `SubjectId`.
pub fn qualification_fields(xml: &mut Xml, q: &Qualification) {
    xml.leaf("QualificationTypeId", q.type_id.as_str())
        .leaf("SubjectId", q.worker_id.as_str())
        .leaf("GrantTime", &q.grant_time.to_xml_datetime())
        .leaf("IntegerValue", &q.integer_value.to_string())
        .leaf("Status", q.status.as_str());
}

/// A whole `<Qualification>` element.
pub fn qualification(xml: &mut Xml, q: &Qualification) {
    xml.open("Qualification");
    qualification_fields(xml, q);
    xml.close("Qualification");
}

/// A `<QualificationRequest>` (spec §5.3).
pub fn qualification_request(xml: &mut Xml, r: &QualificationRequest) {
    xml.open("QualificationRequest")
        .leaf("QualificationRequestId", r.id.as_str())
        .leaf("QualificationTypeId", r.type_id.as_str())
        .leaf("SubjectId", r.worker_id.as_str())
        .leaf_opt("Test", r.test.as_deref())
        .leaf_opt("Answer", r.answer.as_deref())
        .leaf("SubmitTime", &r.submit_time.unwrap_or(r.request_time).to_xml_datetime())
        .close("QualificationRequest");
}

/// A `<WorkerBlock>` (spec §5.6).
pub fn worker_block(xml: &mut Xml, b: &WorkerBlock) {
    xml.open("WorkerBlock").leaf("WorkerId", b.worker_id.as_str()).leaf("Reason", &b.reason).close("WorkerBlock");
}

/// Legacy paging counters in the order a result uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterOrder {
    /// NumResults, TotalNumResults, PageNumber (the captures, spec §3.3).
    Captured,
    /// PageNumber, NumResults, TotalNumResults (XSD, GetBlockedWorkers).
    Xsd,
}

/// Writes the paging counters.
pub fn counters(xml: &mut Xml, order: CounterOrder, num: usize, total: i64, page: i64) {
    let num = num.to_string();
    let total = total.to_string();
    let page = page.to_string();
    match order {
        CounterOrder::Captured => {
            xml.leaf("NumResults", &num).leaf("TotalNumResults", &total).leaf("PageNumber", &page);
        }
        CounterOrder::Xsd => {
            xml.leaf("PageNumber", &page).leaf("NumResults", &num).leaf("TotalNumResults", &total);
        }
    }
}

/// A `Price` (`Amount`, `CurrencyCode`, `FormattedPrice`).
pub fn price(xml: &mut Xml, element: &str, cents: i64) {
    let amount = crate::domain::money::format_cents(cents);
    xml.open(element)
        .leaf("Amount", &amount)
        .leaf("CurrencyCode", "USD")
        .leaf("FormattedPrice", &format!("${amount}"))
        .close(element);
}

/// A `QualificationRequirement` (spec §5.4): repeated IntegerValue and
/// LocaleValue elements, RequiredToPreview as 0/1 as captured.
pub fn requirement(xml: &mut Xml, r: &crate::domain::requirement::QualificationRequirement) {
    xml.open("QualificationRequirement")
        .leaf("QualificationTypeId", &r.type_id)
        .leaf("Comparator", r.comparator.as_str());
    for v in &r.integer_values {
        xml.leaf("IntegerValue", &v.to_string());
    }
    for l in &r.locale_values {
        xml.open("LocaleValue")
            .leaf("Country", &l.country)
            .leaf_opt("Subdivision", l.subdivision.as_deref())
            .close("LocaleValue");
    }
    xml.leaf("RequiredToPreview", if r.required_to_preview { "1" } else { "0" });
    xml.close("QualificationRequirement");
}

/// Which parts of a HIT to show (legacy response groups of GetHIT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HitGroups {
    /// Title, description, reward, times, requirements, status.
    pub detail: bool,
    /// The Question.
    pub question: bool,
    /// The assignment counts.
    pub assignment_summary: bool,
}

impl HitGroups {
    /// Everything.
    pub const ALL: Self = Self { detail: true, question: true, assignment_summary: true };
}

/// The fields of a `HIT` in XSD order, without the wrapping element.
pub fn hit_fields(xml: &mut Xml, h: &crate::domain::hit::Hit, now: Timestamp, groups: HitGroups) {
    let t = &h.hit_type;
    xml.leaf("HITId", &h.id).leaf("HITTypeId", &t.id);
    if groups.detail {
        xml.leaf("HITGroupId", &t.id)
            .leaf("CreationTime", &h.creation_time.to_xml_datetime())
            .leaf("Title", &t.title)
            .leaf("Description", &t.description);
    }
    if groups.question {
        xml.leaf("Question", &h.question);
    }
    if groups.detail {
        xml.leaf_opt("Keywords", t.keywords.as_deref())
            .leaf("HITStatus", h.status(now).as_str())
            .leaf("MaxAssignments", &h.max_assignments.to_string());
        price(xml, "Reward", t.reward_cents);
        xml.leaf("AutoApprovalDelayInSeconds", &t.auto_approval_delay_secs.to_string())
            .leaf("Expiration", &h.expiration.to_xml_datetime())
            .leaf("AssignmentDurationInSeconds", &t.assignment_duration_secs.to_string())
            // Not in the 2014-08-15 XSD's HIT, but in a captured GetHIT answer
            // (ryantate/rturk spec/fake_responses/get_hit.xml, 2009), right here.
            .leaf("NumberOfSimilarHITs", "0")
            .leaf_opt("RequesterAnnotation", h.requester_annotation.as_deref());
        for r in &t.requirements {
            requirement(xml, r);
        }
        // After the requirements, as in the 2014-08-15 XSD's HIT sequence
        // (RequesterAnnotation, QualificationRequirement*, HITReviewStatus) and
        // the same captured GetHIT answer.
        xml.leaf("HITReviewStatus", "NotReviewed");
    }
    if groups.assignment_summary {
        xml.leaf("NumberOfAssignmentsPending", &h.pending.to_string())
            .leaf("NumberOfAssignmentsAvailable", &h.available(now).to_string())
            .leaf("NumberOfAssignmentsCompleted", &h.completed.to_string());
    }
}

/// A whole `<HIT>` element.
pub fn hit(xml: &mut Xml, h: &crate::domain::hit::Hit, now: Timestamp) {
    xml.open("HIT");
    hit_fields(xml, h, now, HitGroups::ALL);
    xml.close("HIT");
}

/// An `<Assignment>`.
pub fn assignment(xml: &mut Xml, a: &crate::domain::hit::Assignment) {
    let time = |t: Option<Timestamp>| t.map(Timestamp::to_xml_datetime);
    xml.open("Assignment")
        .leaf("AssignmentId", &a.id)
        .leaf("WorkerId", a.worker_id.as_str())
        .leaf("HITId", &a.hit_id)
        .leaf("AssignmentStatus", a.status.as_str())
        .leaf_opt("AutoApprovalTime", time(a.auto_approval_time).as_deref())
        .leaf("AcceptTime", &a.accept_time.to_xml_datetime())
        .leaf_opt("SubmitTime", time(a.submit_time).as_deref())
        .leaf_opt("ApprovalTime", time(a.approval_time).as_deref())
        .leaf_opt("RejectionTime", time(a.rejection_time).as_deref())
        .leaf("Deadline", &a.deadline.to_xml_datetime())
        .leaf_opt("Answer", a.answer.as_deref())
        .leaf_opt("RequesterFeedback", a.requester_feedback.as_deref())
        .close("Assignment");
}

/// A `<BonusPayment>`.
pub fn bonus(xml: &mut Xml, b: &crate::domain::hit::Bonus) {
    xml.open("BonusPayment").leaf("WorkerId", b.worker_id.as_str());
    price(xml, "BonusAmount", b.amount_cents);
    xml.leaf("AssignmentId", &b.assignment_id)
        .leaf("Reason", &b.reason)
        .leaf("GrantTime", &b.grant_time.to_xml_datetime())
        .close("BonusPayment");
}
