//! Encoding an operation's output as the JSON answer: each function takes
//! the context, the request's members and the output, and builds the answer
//! object the model defines for that operation. The dispatch table names one
//! per operation.

use serde_json::{json, Value};

use crate::domain::hit::{Assignment, Bonus, Hit};
use crate::domain::ids::HitTypeId;
use crate::domain::money::Money;
use crate::domain::paging::{Cursor, Paged};
use crate::domain::qualification::{Qualification, QualificationType};
use crate::domain::review::ReviewLog;
use crate::ops::files::FileUrl;
use crate::ops::review::ReviewReport;
use crate::ops::workers::NotifyFailure;
use crate::ops::Ctx;

use super::dto;
use super::input::{encode_token, Input};

/// `{}`: the answer of every operation that returns nothing.
#[must_use]
pub fn empty<T>(_ctx: &Ctx, _input: &Input, _out: &T) -> Value {
    json!({})
}

/// `{"QualificationType": …}` for the caller's own type (AnswerKey shown).
#[must_use]
pub fn own_qualification_type(ctx: &Ctx, _input: &Input, t: &QualificationType) -> Value {
    json!({ "QualificationType": dto::qualification_type(t, ctx.now, true) })
}

/// `{"QualificationType": …}` for any type (AnswerKey shown to its owner only).
#[must_use]
pub fn qualification_type(ctx: &Ctx, _input: &Input, t: &QualificationType) -> Value {
    json!({ "QualificationType": dto::qualification_type(t, ctx.now, t.is_owned_by(&ctx.caller)) })
}

/// `{"Qualification": …}`.
#[must_use]
pub fn qualification(_ctx: &Ctx, _input: &Input, q: &Qualification) -> Value {
    json!({ "Qualification": dto::qualification(q) })
}

/// GetAccountBalance: money as strings; nothing is ever on hold here.
#[must_use]
pub fn balance(_ctx: &Ctx, _input: &Input, available: &Money) -> Value {
    json!({ "AvailableBalance": available.to_string(), "OnHoldBalance": "0.00" })
}

/// NotifyWorkers: one status per worker not reached; `[]` when all were.
#[must_use]
#[allow(clippy::ptr_arg, reason = "an answer takes a reference to the operation's output, here a Vec")]
pub fn notify_failures(_ctx: &Ctx, _input: &Input, failures: &Vec<NotifyFailure>) -> Value {
    let statuses: Vec<Value> = failures
        .iter()
        .map(|f| {
            json!({
                "NotifyWorkersFailureCode": f.code.as_str(),
                "NotifyWorkersFailureMessage": f.message,
                "WorkerId": f.worker_id.as_str(),
            })
        })
        .collect();
    json!({ "NotifyWorkersFailureStatuses": statuses })
}

/// A list answer: `NumResults`, the items under `key`, and a `NextToken` on
/// every page that has items, the last one included.
///
/// The real service does this (modern-api.md §4, corrected): a captured 2021
/// `ListAssignmentsForHIT(MaxResults=100)` answer has `NumResults: 1` and a
/// `NextToken`, and oTree's `get_all_assignments` reads `NextToken` after each
/// non-empty page and stops only at an empty one, so it raises `KeyError` on
/// a last page without it. The call with that token answers `NumResults: 0`
/// and no `NextToken`, which ends every SDK paginator one call later. The
/// token carries the last row's sort key, which only grows within a walk, so
/// no token is ever handed out twice in one walk.
pub fn listing<T>(key: &'static str, item: fn(&Ctx, &T) -> Value) -> impl Fn(&Ctx, &Input, &Paged<T>) -> Value {
    move |ctx, input, found| {
        let items: Vec<Value> = found.items.iter().map(|t| item(ctx, t)).collect();
        let mut out = json!({ "NumResults": items.len() });
        if let Some(next) = found.next.as_ref().filter(|_| !items.is_empty()) {
            out["NextToken"] = json!(encode_token(next, &input.listing_scope()));
        }
        out[key] = Value::Array(items);
        out
    }
}

/// A type in a listing (AnswerKey shown to its owner only).
#[must_use]
pub fn type_item(ctx: &Ctx, t: &QualificationType) -> Value {
    dto::qualification_type(t, ctx.now, t.is_owned_by(&ctx.caller))
}

/// A qualification in a listing.
#[must_use]
pub fn qualification_item(_ctx: &Ctx, q: &Qualification) -> Value {
    dto::qualification(q)
}

/// A qualification request in a listing.
#[must_use]
pub fn request_item(_ctx: &Ctx, r: &crate::domain::qualification::QualificationRequest) -> Value {
    dto::qualification_request(r)
}

/// A worker block in a listing.
#[must_use]
pub fn block_item(_ctx: &Ctx, b: &crate::domain::worker::WorkerBlock) -> Value {
    dto::worker_block(b)
}

/// CreateHITType: `{"HITTypeId": …}` (an existing type's when identical).
#[must_use]
pub fn hit_type_id(_ctx: &Ctx, _input: &Input, id: &HitTypeId) -> Value {
    json!({ "HITTypeId": id.as_str() })
}

/// `{"HIT": …}`.
#[must_use]
pub fn hit(ctx: &Ctx, _input: &Input, hit: &Hit) -> Value {
    json!({ "HIT": dto::hit(hit, ctx.now) })
}

/// GetAssignment: the assignment and its HIT.
#[must_use]
pub fn assignment_and_hit(ctx: &Ctx, _input: &Input, (a, hit): &(Assignment, Hit)) -> Value {
    json!({ "Assignment": dto::assignment(a), "HIT": dto::hit(hit, ctx.now) })
}

/// A HIT in a listing.
#[must_use]
pub fn hit_item(ctx: &Ctx, h: &Hit) -> Value {
    dto::hit(h, ctx.now)
}

/// An assignment in a listing.
#[must_use]
pub fn assignment_item(_ctx: &Ctx, a: &Assignment) -> Value {
    dto::assignment(a)
}

/// A bonus in a listing.
#[must_use]
pub fn bonus_item(_ctx: &Ctx, b: &Bonus) -> Value {
    dto::bonus(b)
}

/// GetFileUploadURL: the download address, on the host the caller used.
#[must_use]
pub fn file_upload_url(ctx: &Ctx, _input: &Input, url: &FileUrl) -> Value {
    json!({ "FileUploadURL": url.url(ctx.origin.as_deref().unwrap_or("")) })
}

fn review_log(log: &ReviewLog) -> Value {
    let results: Vec<Value> = log
        .results
        .iter()
        .map(|r| {
            let mut v = json!({});
            if let Some(id) = &r.action_id {
                v["ActionId"] = json!(id);
            }
            v["SubjectId"] = json!(r.subject_id);
            v["SubjectType"] = json!(r.subject_type);
            if let Some(q) = &r.question_id {
                v["QuestionId"] = json!(q);
            }
            v["Key"] = json!(r.key);
            v["Value"] = json!(r.value);
            v
        })
        .collect();
    let actions: Vec<Value> = log
        .actions
        .iter()
        .map(|a| {
            let mut v = json!({
                "ActionId": a.id,
                "ActionName": a.name,
                "TargetId": a.target_id,
                "TargetType": a.target_type,
                "Status": a.status.as_str(),
            });
            if let Some(t) = a.complete_time {
                v["CompleteTime"] = dto::time(t);
            }
            if let Some(r) = &a.result {
                v["Result"] = json!(r);
            }
            if let Some(c) = &a.error_code {
                v["ErrorCode"] = json!(c);
            }
            v
        })
        .collect();
    json!({ "ReviewResults": results, "ReviewActions": actions })
}

/// ListReviewPolicyResultsForHIT: the HIT, its policies (by name, as the
/// reference's GetReviewResultsForHIT shows them), the reports asked for,
/// and a `NextToken` on a page that shows anything (the listings' habit;
/// this answer has no `NumResults`).
#[must_use]
pub fn review_report(_ctx: &Ctx, input: &Input, report: &ReviewReport) -> Value {
    let mut out = json!({ "HITId": report.hit_id });
    if let Some(p) = &report.policies.assignment {
        out["AssignmentReviewPolicy"] = json!({ "PolicyName": p.name });
    }
    if let Some(p) = &report.policies.hit {
        out["HITReviewPolicy"] = json!({ "PolicyName": p.name });
    }
    if let Some(log) = &report.assignment {
        out["AssignmentReviewReport"] = review_log(log);
    }
    if let Some(log) = &report.hit {
        out["HITReviewReport"] = review_log(log);
    }
    if report.has_items() {
        // The page decoded once already; it cannot fail the second time.
        let scope = input.listing_scope();
        if let Ok(page) = input.page(&scope) {
            // The report's lists are keyed by position (`ops::review`).
            let next = Cursor(vec![page.position().saturating_add(page.limit).to_string()]);
            out["NextToken"] = json!(encode_token(&next, &scope));
        }
    }
    out
}
