//! Writing an operation's output as the legacy result: each function takes
//! the context, the request's parameters and the output, and writes the
//! result's children after `<Request>`, in the element order of the captures
//! and the 2014-08-15 XSD. The dispatch table names one per operation.

use crate::domain::hit::{Assignment, Bonus, Hit};
use crate::domain::ids::HitTypeId;
use crate::domain::money::Money;
use crate::domain::paging::Paged;
use crate::domain::qualification::{Qualification, QualificationRequest, QualificationType};
use crate::domain::review::ReviewLog;
use crate::domain::worker::WorkerBlock;
use crate::ops::files::FileUrl;
use crate::ops::help::Information;
use crate::ops::review::ReviewReport;
use crate::ops::statistics::{StatValue, StatisticResult};
use crate::ops::workers::NotifyFailure;
use crate::ops::Ctx;

use super::dto::{self, CounterOrder, HitGroups, TypeView};
use super::envelope::Xml;
use super::params::Params;

/// Nothing after `<Request>`.
#[must_use]
pub fn empty<T>(_ctx: &Ctx, _p: &Params, _out: &T) -> String {
    String::new()
}

/// A type just created (shape B, without IsRequestable).
#[must_use]
pub fn created_type(ctx: &Ctx, _p: &Params, t: &QualificationType) -> String {
    let mut xml = Xml::new();
    dto::qualification_type_fields(&mut xml, t, ctx.now, TypeView::Created);
    xml.finish()
}

/// Any type (the AnswerKey shown to its owner only).
#[must_use]
pub fn qualification_type(ctx: &Ctx, _p: &Params, t: &QualificationType) -> String {
    let mut xml = Xml::new();
    dto::qualification_type_fields(&mut xml, t, ctx.now, TypeView::Full { owner: t.is_owned_by(&ctx.caller) });
    xml.finish()
}

/// The caller's own type.
#[must_use]
pub fn own_type(ctx: &Ctx, _p: &Params, t: &QualificationType) -> String {
    let mut xml = Xml::new();
    dto::qualification_type_fields(&mut xml, t, ctx.now, TypeView::Full { owner: true });
    xml.finish()
}

/// A qualification's fields (shape B).
#[must_use]
pub fn qualification(_ctx: &Ctx, _p: &Params, q: &Qualification) -> String {
    let mut xml = Xml::new();
    dto::qualification_fields(&mut xml, q);
    xml.finish()
}

/// GetAccountBalance: the available balance as a `Price`.
#[must_use]
pub fn balance(_ctx: &Ctx, _p: &Params, available: &Money) -> String {
    let mut xml = Xml::new();
    dto::price(&mut xml, "AvailableBalance", available.cents());
    xml.finish()
}

/// NotifyWorkers: one NotifyWorkersFailureStatus per worker not reached
/// (2013-11-15 and 2014-08-15 XSDs). The children come in the order the live
/// service sent them in a 2013 capture (cloudyr/MTurkR issue 29): WorkerId,
/// message, code; the XSD's sequence says code, message, WorkerId. Real use
/// wins.
#[must_use]
#[allow(clippy::ptr_arg, reason = "an answer takes a reference to the operation's output, here a Vec")]
pub fn notify_failures(_ctx: &Ctx, _p: &Params, failures: &Vec<NotifyFailure>) -> String {
    let mut xml = Xml::new();
    for f in failures {
        xml.open("NotifyWorkersFailureStatus")
            .leaf("WorkerId", f.worker_id.as_str())
            .leaf("NotifyWorkersFailureMessage", &f.message)
            .leaf("NotifyWorkersFailureCode", f.code.as_str())
            .close("NotifyWorkersFailureStatus");
    }
    xml.finish()
}

/// A page of a listing: the counters in `order` (with the `PageNumber` of a
/// `PageSize` up to `max`), then one element per item.
pub fn listing<T>(
    order: CounterOrder,
    max: i64,
    item: fn(&mut Xml, &Ctx, &T),
) -> impl Fn(&Ctx, &Params, &Paged<T>) -> String {
    move |ctx, p, found| {
        // The paging decoded once already; it cannot fail the second time.
        let number = p.paging(max).map_or(1, |(_, _, number)| number);
        let mut xml = Xml::new();
        // Legacy pages are numbered, which counts them (`Page::numbered`).
        let total = found.total.unwrap_or_else(|| i64::try_from(found.items.len()).unwrap_or(i64::MAX));
        dto::counters(&mut xml, order, found.items.len(), total, number);
        for t in &found.items {
            item(&mut xml, ctx, t);
        }
        xml.finish()
    }
}

/// A type in a listing.
pub fn type_item(xml: &mut Xml, ctx: &Ctx, t: &QualificationType) {
    dto::qualification_type(xml, t, ctx.now, TypeView::Full { owner: t.is_owned_by(&ctx.caller) });
}

/// A qualification in a listing.
pub fn qualification_item(xml: &mut Xml, _ctx: &Ctx, q: &Qualification) {
    dto::qualification(xml, q);
}

/// A qualification request in a listing.
pub fn request_item(xml: &mut Xml, _ctx: &Ctx, r: &QualificationRequest) {
    dto::qualification_request(xml, r);
}

/// A worker block in a listing.
pub fn block_item(xml: &mut Xml, _ctx: &Ctx, b: &WorkerBlock) {
    dto::worker_block(xml, b);
}

/// RegisterHITType: the type's id (an existing one when identical).
#[must_use]
pub fn hit_type_id(_ctx: &Ctx, _p: &Params, id: &HitTypeId) -> String {
    let mut xml = Xml::new();
    xml.leaf("HITTypeId", id.as_str());
    xml.finish()
}

/// CreateHIT (shape B, `<HIT>`): every field.
#[must_use]
pub fn created_hit(ctx: &Ctx, _p: &Params, hit: &Hit) -> String {
    let mut xml = Xml::new();
    dto::hit_fields(&mut xml, hit, ctx.now, HitGroups::ALL);
    xml.finish()
}

/// GetHIT (shape B) with the response groups asked for: HITDetail,
/// HITQuestion and HITAssignmentSummary, all when none (or only Minimal's
/// companions) are named.
#[must_use]
pub fn hit(ctx: &Ctx, p: &Params, hit: &Hit) -> String {
    let groups = p.response_groups();
    let asked = |g: &str| groups.contains(&g);
    let groups = if groups.iter().any(|g| ["Minimal", "HITDetail", "HITQuestion", "HITAssignmentSummary"].contains(g)) {
        HitGroups {
            detail: asked("HITDetail"),
            question: asked("HITQuestion"),
            assignment_summary: asked("HITAssignmentSummary"),
        }
    } else {
        HitGroups::ALL
    };
    let mut xml = Xml::new();
    dto::hit_fields(&mut xml, hit, ctx.now, groups);
    xml.finish()
}

/// GetAssignment: the assignment and its HIT.
#[must_use]
pub fn assignment_and_hit(ctx: &Ctx, _p: &Params, (a, hit): &(Assignment, Hit)) -> String {
    let mut xml = Xml::new();
    dto::assignment(&mut xml, a);
    dto::hit(&mut xml, hit, ctx.now);
    xml.finish()
}

/// A HIT in a listing.
pub fn hit_item(xml: &mut Xml, ctx: &Ctx, h: &Hit) {
    dto::hit(xml, h, ctx.now);
}

/// An assignment in a listing.
pub fn assignment_item(xml: &mut Xml, _ctx: &Ctx, a: &Assignment) {
    dto::assignment(xml, a);
}

/// A bonus in a listing.
pub fn bonus_item(xml: &mut Xml, _ctx: &Ctx, b: &Bonus) {
    dto::bonus(xml, b);
}

/// Help: the `Information` element's children (2014-08-15 XSD): one
/// `OperationInformation` (Name, Description, RequiredParameters,
/// AvailableParameters, DefaultResponseGroups, AvailableResponseGroups) or
/// `ResponseGroupInformation` (Name, ValidOperations, Elements) per name asked.
#[must_use]
pub fn information(_ctx: &Ctx, _p: &Params, info: &Information) -> String {
    fn list(xml: &mut Xml, wrapper: &str, item: &str, values: &[&str]) {
        if values.is_empty() {
            return;
        }
        xml.open(wrapper);
        for v in values {
            xml.leaf(item, v);
        }
        xml.close(wrapper);
    }
    let mut xml = Xml::new();
    match info {
        Information::Operations(ops) => {
            for op in ops {
                xml.open("OperationInformation").leaf("Name", op.name).leaf("Description", op.description);
                list(&mut xml, "RequiredParameters", "Parameter", op.required);
                list(&mut xml, "AvailableParameters", "Parameter", op.optional);
                list(&mut xml, "DefaultResponseGroups", "ResponseGroup", &["Minimal"]);
                list(&mut xml, "AvailableResponseGroups", "ResponseGroup", &op.response_groups());
                xml.close("OperationInformation");
            }
        }
        Information::ResponseGroups(groups) => {
            for g in groups {
                xml.open("ResponseGroupInformation").leaf("Name", g.name);
                list(&mut xml, "ValidOperations", "Operation", &g.operations);
                list(&mut xml, "Elements", "Element", g.elements);
                xml.close("ResponseGroupInformation");
            }
        }
    }
    xml.finish()
}

/// GetRequesterStatistic / GetRequesterWorkerStatistic: the `GetStatisticResult`
/// children in XSD order: `DataPoint*` (`Date`, then `LongValue` or
/// `DoubleValue`), `Statistic`, `TimePeriod`, `WorkerId`.
#[must_use]
pub fn statistic(_ctx: &Ctx, _p: &Params, r: &StatisticResult) -> String {
    let mut xml = Xml::new();
    for point in &r.points {
        xml.open("DataPoint").leaf("Date", &point.date.to_xml_datetime());
        match &point.value {
            StatValue::Long(v) => xml.leaf("LongValue", &v.to_string()),
            StatValue::Double(v) => xml.leaf("DoubleValue", v),
        };
        xml.close("DataPoint");
    }
    xml.leaf("Statistic", r.statistic).leaf("TimePeriod", r.period.as_str());
    if let Some(w) = &r.worker {
        xml.leaf("WorkerId", w.as_str());
    }
    xml.finish()
}

/// GetFileUploadURL: the download address, on the host the caller used.
#[must_use]
pub fn file_upload_url(ctx: &Ctx, _p: &Params, url: &FileUrl) -> String {
    let mut xml = Xml::new();
    xml.leaf("FileUploadURL", &url.url(ctx.origin.as_deref().unwrap_or("")));
    xml.finish()
}

fn review_log(xml: &mut Xml, element: &str, log: &ReviewLog) {
    xml.open(element);
    for r in &log.results {
        // ActionId is required in the 2014-08-15 XSD's ReviewResultDetail (no
        // minOccurs), unlike the JSON model: empty when no action is tied to it.
        xml.open("ReviewResult")
            .leaf("ActionId", r.action_id.as_deref().unwrap_or(""))
            .leaf("SubjectId", &r.subject_id)
            .leaf("SubjectType", &r.subject_type)
            .leaf_opt("QuestionId", r.question_id.as_deref())
            .leaf("Key", &r.key)
            .leaf("Value", &r.value)
            .close("ReviewResult");
    }
    for a in &log.actions {
        xml.open("ReviewAction")
            .leaf("ActionId", &a.id)
            .leaf("ActionName", &a.name)
            .leaf("ObjectId", &a.target_id)
            .leaf("ObjectType", &a.target_type)
            .leaf("Status", a.status.as_str())
            .leaf_opt("CompleteTime", a.complete_time.map(crate::domain::time::Timestamp::to_xml_datetime).as_deref())
            .leaf_opt("Result", a.result.as_deref())
            .leaf_opt("ErrorCode", a.error_code.as_deref())
            .close("ReviewAction");
    }
    xml.close(element);
}

/// GetReviewResultsForHIT, in the XSD's order: HITId, the policies (by name
/// only, as the reference says), then the assignment and HIT reports, each
/// its `ReviewResult`s then its `ReviewAction`s.
#[must_use]
pub fn review_report(_ctx: &Ctx, _p: &Params, report: &ReviewReport) -> String {
    let mut xml = Xml::new();
    xml.leaf("HITId", &report.hit_id);
    for (element, policy) in
        [("AssignmentReviewPolicy", &report.policies.assignment), ("HITReviewPolicy", &report.policies.hit)]
    {
        if let Some(p) = policy {
            xml.open(element).leaf("PolicyName", &p.name).close(element);
        }
    }
    if let Some(log) = &report.assignment {
        review_log(&mut xml, "AssignmentReviewReport", log);
    }
    if let Some(log) = &report.hit {
        review_log(&mut xml, "HITReviewReport", log);
    }
    xml.finish()
}
