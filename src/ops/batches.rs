//! Batches, as the requester website makes them (issue 14): a project is an
//! HTML template with `${name}` placeholders plus the HIT properties; a CSV
//! with a header row fills it, one HIT per row, all created or none. The
//! results come back as MTurk's results CSV (one row per submitted
//! assignment: the HIT's and the assignment's fields, `Input.<column>`,
//! `Answer.<question>`, then `Approve` and `Reject`), and that CSV, with
//! `Approve` or `Reject` filled, approves and rejects in bulk: every row is
//! checked first, and one bad row changes nothing; then every approval and
//! rejection is made in one store transaction, so a change that races with
//! the upload (or a balance that runs out) leaves nothing half reviewed.

use crate::documents;
pub use crate::domain::batch::Progress;
use crate::domain::batch::{Batch, BatchRow};
use crate::domain::hit::{reward_fee_cents, Assignment, AssignmentStatus, Hit};
use crate::domain::ids::AssignmentId;
use crate::domain::money::Money;
use crate::domain::time::Timestamp;
use crate::error::{MturkError, Result};
use crate::mturk_error;
use crate::store::hits::{Review, ReviewsOutcome};
use crate::store::{Page, Paged};

use super::hits::{check_range, NewHitType};
use super::qualifications::check_len;
use super::{internal, settle, Ctx};

/// Rows one batch may have.
pub const MAX_ROWS: usize = 5_000;

/// The HTMLQuestion namespace (HTMLQuestion.xsd 2011-11-11).
const HTML_QUESTION_NS: &str =
    "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd";

/// A project: the template and the properties of its HITs.
#[derive(Debug, Clone)]
pub struct Project {
    /// The batch's name.
    pub name: String,
    /// HTML with `${column}` placeholders.
    pub template: String,
    /// The HITs' type.
    pub hit_type: NewHitType,
    /// Assignments per HIT.
    pub max_assignments: i64,
    /// Seconds each HIT stays available.
    pub lifetime_secs: i64,
    /// The HTMLQuestion's FrameHeight.
    pub frame_height: i64,
}

/// What is wrong with one line of an uploaded CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The line of the CSV (1 is the header), or 0 for the file as a whole.
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

impl RowError {
    fn new(line: u64, message: impl Into<String>) -> Self {
        Self { line, message: message.into() }
    }
}

/// What an upload did: the batch, or every error found (and nothing changed).
#[derive(Debug, Clone)]
pub enum Upload<T> {
    /// Done.
    Done(T),
    /// Refused, with each problem.
    Refused(Vec<RowError>),
}

/// The names of the `${name}` placeholders of `template`, in order, each once.
#[must_use]
pub fn placeholders(template: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.') {
            if !out.iter().any(|n| n == name) {
                out.push(name.to_owned());
            }
            rest = &after[end + 1..];
        } else {
            rest = after;
        }
    }
    out
}

/// `template` with each `${column}` replaced by the row's value, as the
/// requester website substitutes them (the value as it is, not escaped).
fn fill(template: &str, columns: &[String], values: &[String]) -> String {
    let mut out = template.to_owned();
    for (c, v) in columns.iter().zip(values) {
        out = out.replace(&format!("${{{c}}}"), v);
    }
    out
}

fn html_question(html: &str, frame_height: i64) -> String {
    // A CDATA section cannot hold "]]>": split it across two sections.
    let body = html.replace("]]>", "]]]]><![CDATA[>");
    format!(
        "<HTMLQuestion xmlns=\"{HTML_QUESTION_NS}\"><HTMLContent><![CDATA[{body}]]></HTMLContent>\
         <FrameHeight>{frame_height}</FrameHeight></HTMLQuestion>"
    )
}

/// A CSV's header and its records, each with its line.
type Table = (Vec<String>, Vec<(u64, Vec<String>)>);

fn read_csv(text: &str) -> std::result::Result<Table, Vec<RowError>> {
    // Browsers send a text area's lines ended by CRLF, and the csv crate counts
    // the lines of CRLF-ended records one short; LF alone counts right.
    let text = text.replace("\r\n", "\n");
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_owned()).collect(),
        Err(e) => return Err(vec![RowError::new(1, format!("the header cannot be read: {e}"))]),
    };
    if headers.iter().all(String::is_empty) {
        return Err(vec![RowError::new(1, "the CSV has no header row")]);
    }
    let mut errors = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() {
            errors.push(RowError::new(1, format!("column {} has no name", i + 1)));
        } else if headers[..i].contains(h) {
            errors.push(RowError::new(1, format!("the column {h} appears twice")));
        }
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        match record {
            Ok(r) => {
                let line = r.position().map_or(0, csv::Position::line);
                rows.push((line, r.iter().map(str::to_owned).collect()));
            }
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                errors.push(RowError::new(line, format!("{e}")));
            }
        }
    }
    if errors.is_empty() {
        Ok((headers, rows))
    } else {
        Err(errors)
    }
}

/// Makes a batch: one HIT per CSV row, written in one transaction with the
/// batch; with any error (a placeholder no column fills, a bad row, a HIT
/// property out of range, funds short of every HIT's cost) nothing is made.
///
/// # Errors
/// Store failures; everything about the input is in [`Upload::Refused`].
pub async fn create(ctx: &Ctx, project: Project, csv_text: &str) -> Result<Upload<Batch>> {
    let mut errors = Vec::new();
    if project.name.trim().is_empty() {
        errors.push(RowError::new(0, "the batch needs a name"));
    }
    for (what, r) in [
        ("MaxAssignments", check_range("MaxAssignments", project.max_assignments, 1, 1_000_000)),
        ("LifetimeInSeconds", check_range("LifetimeInSeconds", project.lifetime_secs, 30, 31_536_000)),
        ("FrameHeight", check_range("FrameHeight", project.frame_height, 0, 10_000)),
        ("Title", check_len("Title", &project.hit_type.title, 128)),
        ("Name", check_len("Name", &project.name, 128)),
    ] {
        if let Err(e) = r {
            errors.push(RowError::new(0, format!("{what}: {}", e.message())));
        }
    }
    let (columns, rows) = match read_csv(csv_text) {
        Ok(parsed) => parsed,
        Err(mut e) => {
            errors.append(&mut e);
            return Ok(Upload::Refused(errors));
        }
    };
    for p in placeholders(&project.template) {
        if !columns.contains(&p) {
            errors.push(RowError::new(1, format!("the template's ${{{p}}} has no column of that name")));
        }
    }
    if rows.is_empty() {
        errors.push(RowError::new(0, "the CSV has no rows after its header"));
    }
    if rows.len() > MAX_ROWS {
        errors.push(RowError::new(0, format!("a batch has at most {MAX_ROWS} rows; this CSV has {}", rows.len())));
    }
    let mut questions = Vec::with_capacity(rows.len());
    for (line, values) in &rows {
        let question = html_question(&fill(&project.template, &columns, values), project.frame_height);
        if question.len() > 65_535 {
            errors.push(RowError::new(*line, "the HIT's question would be longer than 65535 bytes"));
        } else if let Err(e) = documents::check_question(&question) {
            errors.push(RowError::new(*line, e.message()));
        }
        questions.push(question);
    }
    if !errors.is_empty() {
        return Ok(Upload::Refused(errors));
    }
    let reward = project.hit_type.reward.cents();
    let per_hit = project.max_assignments.saturating_mul(reward + reward_fee_cents(reward, project.max_assignments));
    let cost = per_hit.saturating_mul(i64::try_from(rows.len()).unwrap_or(i64::MAX));
    let balance = super::account::balance_cents(ctx).await?;
    if balance < cost {
        let e = super::account::insufficient_funds(cost, balance);
        return Ok(Upload::Refused(vec![RowError::new(0, e.message())]));
    }
    let type_id = match super::hits::create_hit_type(ctx, project.hit_type).await {
        Ok(id) => id,
        Err(e) if e.code().is_client_fault() => return Ok(Upload::Refused(vec![RowError::new(0, e.message())])),
        Err(e) => return Err(e),
    };
    let hit_type = super::hits::owned_hit_type(ctx, type_id.as_str()).await?;
    let expiration = super::later(ctx.now, project.lifetime_secs, "HIT's expiration (now plus LifetimeInSeconds)")?;
    let batch = Batch {
        id: format!("B{}", ctx.ids.alphanumeric(19)),
        requester: ctx.caller.clone(),
        name: project.name.trim().to_owned(),
        hit_type_id: hit_type.id.clone(),
        template: project.template,
        columns,
        created_at: ctx.now,
    };
    let mut hits = Vec::with_capacity(rows.len());
    let mut batch_rows = Vec::with_capacity(rows.len());
    for (i, ((_, values), question)) in rows.into_iter().zip(questions).enumerate() {
        let hit = Hit {
            id: format!("3{}", ctx.ids.alphanumeric(29)),
            hit_type: hit_type.clone(),
            question,
            max_assignments: project.max_assignments,
            expiration,
            requester_annotation: Some(format!("batch {}", batch.id)),
            creation_time: ctx.now,
            reviewing: false,
            disposed: false,
            pending: 0,
            submitted: 0,
            completed: 0,
        };
        batch_rows.push(BatchRow { index: i64::try_from(i).unwrap_or(i64::MAX), hit_id: hit.id.clone(), values });
        hits.push(hit);
    }
    ctx.store.insert_batch(&batch, &hits, &batch_rows).await.map_err(internal)?;
    Ok(Upload::Done(batch))
}

/// The caller's batches, newest first.
///
/// # Errors
/// Store failures only.
pub async fn list(ctx: &Ctx, page: Page) -> Result<Paged<Batch>> {
    ctx.store.batches(&ctx.caller, page).await.map_err(internal)
}

fn no_batch(id: &str) -> MturkError {
    mturk_error!(InvalidParameterValue, "Batch {id} does not exist.").with_data("BatchId", id)
}

/// One of the caller's batches, its rows and its HITs (in row order).
///
/// # Errors
/// `InvalidParameterValue` for a batch that is not the caller's.
pub async fn get(ctx: &Ctx, id: &str) -> Result<(Batch, Vec<(BatchRow, Hit)>)> {
    settle(&ctx.worker()).await?;
    let batch = ctx.store.batch(&ctx.caller, id).await.map_err(internal)?.ok_or_else(|| no_batch(id))?;
    let rows = ctx.store.batch_rows(&batch.id).await.map_err(internal)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let hit =
            ctx.store.hit(&row.hit_id, ctx.now).await.map_err(internal)?.ok_or_else(|| {
                MturkError::internal(anyhow::anyhow!("HIT {} of batch {} is gone", row.hit_id, batch.id))
            })?;
        out.push((row, hit));
    }
    Ok((batch, out))
}

/// One page of a batch's rows (in CSV order, keyed by row index) with
/// their HITs, and the progress of the whole batch, counted in the database.
///
/// # Errors
/// `InvalidParameterValue` for a batch that is not the caller's.
pub async fn page(ctx: &Ctx, id: &str, page: Page) -> Result<(Batch, Progress, Paged<(BatchRow, Hit)>)> {
    settle(&ctx.worker()).await?;
    let batch = ctx.store.batch(&ctx.caller, id).await.map_err(internal)?.ok_or_else(|| no_batch(id))?;
    let progress = ctx.store.batch_progress(&batch.id, ctx.now).await.map_err(internal)?;
    let rows = ctx.store.batch_rows_page(&batch.id, page).await.map_err(internal)?;
    let mut items = Vec::with_capacity(rows.items.len());
    for row in rows.items {
        let hit =
            ctx.store.hit(&row.hit_id, ctx.now).await.map_err(internal)?.ok_or_else(|| {
                MturkError::internal(anyhow::anyhow!("HIT {} of batch {} is gone", row.hit_id, batch.id))
            })?;
        items.push((row, hit));
    }
    Ok((batch, progress, Paged { items, total: rows.total, next: rows.next }))
}

/// The fixed columns of MTurk's batch results CSV, before `Input.*`,
/// `Answer.*`, `Approve` and `Reject` (the requester website's
/// "Download CSV" of a batch).
pub const RESULT_COLUMNS: &[&str] = &[
    "HITId",
    "HITTypeId",
    "Title",
    "Description",
    "Keywords",
    "Reward",
    "CreationTime",
    "MaxAssignments",
    "RequesterAnnotation",
    "AssignmentDurationInSeconds",
    "AutoApprovalDelayInSeconds",
    "Expiration",
    "NumberOfSimilarHITs",
    "LifetimeInSeconds",
    "AssignmentId",
    "WorkerId",
    "AssignmentStatus",
    "AcceptTime",
    "SubmitTime",
    "AutoApprovalTime",
    "ApprovalTime",
    "RejectionTime",
    "RequesterFeedback",
    "WorkTimeInSeconds",
    "LifetimeApprovalRate",
    "Last30DaysApprovalRate",
    "Last7DaysApprovalRate",
];

/// A time as the results CSV writes it (`Sun Nov 29 17:05:00 UTC 2026`).
fn csv_time(t: Option<Timestamp>) -> String {
    t.map(Timestamp::to_results_csv).unwrap_or_default()
}

/// The batch's results CSV: a row per submitted, approved or rejected
/// assignment, the answer fields in the order they first appear.
///
/// # Errors
/// As [`get`].
pub async fn results_csv(ctx: &Ctx, id: &str) -> Result<String> {
    let (batch, rows) = get(ctx, id).await?;
    let wanted = [AssignmentStatus::Submitted, AssignmentStatus::Approved, AssignmentStatus::Rejected];
    let mut lines = Vec::new();
    let mut answer_fields: Vec<String> = Vec::new();
    for (row, hit) in &rows {
        let mut after = None;
        loop {
            let page = Page::after(after.take(), 100);
            let found = ctx.store.assignments_for_hit(&hit.id, &wanted, page).await.map_err(internal)?;
            let n = found.items.len();
            after = found.next;
            for a in found.items {
                let answers = a
                    .answer
                    .as_deref()
                    .filter(|t| !t.is_empty())
                    .map(documents::parse_answers)
                    .transpose()?
                    .map(|x| x.answers)
                    .unwrap_or_default();
                for (q, _) in &answers {
                    if !answer_fields.contains(q) {
                        answer_fields.push(q.clone());
                    }
                }
                lines.push((row.clone(), hit.clone(), a, answers));
            }
            if n < 100 {
                break;
            }
        }
    }
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let header: Vec<String> = RESULT_COLUMNS
        .iter()
        .map(|c| (*c).to_owned())
        .chain(batch.columns.iter().map(|c| format!("Input.{c}")))
        .chain(answer_fields.iter().map(|q| format!("Answer.{q}")))
        .chain(["Approve".to_owned(), "Reject".to_owned()])
        .collect();
    let csv_err = |e: csv::Error| MturkError::internal(anyhow::anyhow!("writing the results CSV: {e}"));
    w.write_record(&header).map_err(csv_err)?;
    for (row, hit, a, answers) in lines {
        let t = &hit.hit_type;
        let lifetime = (hit.expiration.millis() - hit.creation_time.millis()) / 1000;
        let work = a.submit_time.map(|s| (s.millis() - a.accept_time.millis()) / 1000);
        let mut record: Vec<String> = vec![
            hit.id.clone(),
            t.id.clone(),
            t.title.clone(),
            t.description.clone(),
            t.keywords.clone().unwrap_or_default(),
            format!("${}", Money::from_cents(t.reward_cents)),
            csv_time(Some(hit.creation_time)),
            hit.max_assignments.to_string(),
            hit.requester_annotation.clone().unwrap_or_default(),
            t.assignment_duration_secs.to_string(),
            t.auto_approval_delay_secs.to_string(),
            csv_time(Some(hit.expiration)),
            String::new(),
            lifetime.to_string(),
            a.id.clone(),
            a.worker_id.as_str().to_owned(),
            a.status_at(ctx.now).as_str().to_owned(),
            csv_time(Some(a.accept_time)),
            csv_time(a.submit_time),
            csv_time(a.auto_approval_time),
            csv_time(a.approval_time),
            csv_time(a.rejection_time),
            a.requester_feedback.clone().unwrap_or_default(),
            work.map(|s| s.to_string()).unwrap_or_default(),
            String::new(),
            String::new(),
            String::new(),
        ];
        record.extend(row.values.iter().cloned());
        for q in &answer_fields {
            record.push(answers.iter().find(|(x, _)| x == q).map(|(_, v)| v.join("|")).unwrap_or_default());
        }
        record.extend([String::new(), String::new()]);
        w.write_record(&record).map_err(csv_err)?;
    }
    let bytes = w.into_inner().map_err(|e| MturkError::internal(anyhow::anyhow!("the results CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| MturkError::internal(anyhow::anyhow!("the results CSV: {e}")))
}

/// What a reviewed results CSV did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reviewed {
    /// Assignments approved.
    pub approved: usize,
    /// Assignments rejected.
    pub rejected: usize,
}

/// A reviewed results CSV checked against the store: the approvals and
/// rejections it marks, each ready for the store, to be applied together
/// by [`apply_review`].
#[derive(Debug, Clone)]
pub struct ReviewPlan {
    reviews: Vec<Review>,
    /// The assignments as they were read, in the order of `reviews`.
    assignments: Vec<Assignment>,
}

impl ReviewPlan {
    /// What applying it does.
    #[must_use]
    pub fn counts(&self) -> Reviewed {
        let approved = self.reviews.iter().filter(|r| r.to == AssignmentStatus::Approved).count();
        Reviewed { approved, rejected: self.reviews.len() - approved }
    }

    /// What the approvals cost, MTurk's fees included, in cents.
    #[must_use]
    pub fn cost_cents(&self) -> i64 {
        self.reviews.iter().map(|r| r.cost_cents).sum()
    }
}

/// Approves and rejects the assignments a results CSV marks, all in one
/// transaction ([`check_review`], then [`apply_review`]).
///
/// # Errors
/// As [`check_review`] and [`apply_review`]; everything about the CSV is in
/// [`Upload::Refused`].
pub async fn review(ctx: &Ctx, id: &str, csv_text: &str) -> Result<Upload<Reviewed>> {
    match check_review(ctx, id, csv_text).await? {
        Upload::Done(plan) => apply_review(ctx, &plan).await.map(Upload::Done),
        Upload::Refused(errors) => Ok(Upload::Refused(errors)),
    }
}

/// Reads a reviewed results CSV: a non-empty `Approve` approves (its text
/// is the feedback unless it is `x`), a non-empty `Reject` rejects with its
/// text as the feedback; rows with neither are left alone. Each row is
/// checked (the columns `AssignmentId`, `Approve` and `Reject` are there;
/// the assignment is one of this batch's and is in a state
/// ApproveAssignment or RejectAssignment takes, with feedback it takes; not
/// both marks; no assignment twice; the balance pays every approval), by
/// the rules of [`super::assignments::approve`] and
/// [`super::assignments::reject`]. Nothing is changed.
///
/// # Errors
/// As [`get`]; everything about the CSV is in [`Upload::Refused`].
pub async fn check_review(ctx: &Ctx, id: &str, csv_text: &str) -> Result<Upload<ReviewPlan>> {
    use super::assignments::{approval_review, rejection_review, Approval, Rejection};
    let (_, rows) = get(ctx, id).await?;
    let (columns, records) = match read_csv(csv_text) {
        Ok(parsed) => parsed,
        Err(e) => return Ok(Upload::Refused(e)),
    };
    let col = |name: &str| columns.iter().position(|c| c == name);
    let (Some(a_col), Some(approve_col), Some(reject_col)) = (col("AssignmentId"), col("Approve"), col("Reject"))
    else {
        return Ok(Upload::Refused(vec![RowError::new(
            1,
            "the CSV needs the columns AssignmentId, Approve and Reject",
        )]));
    };
    let mut errors = Vec::new();
    let mut plan = ReviewPlan { reviews: Vec::new(), assignments: Vec::new() };
    for (line, values) in &records {
        let get = |i: usize| values.get(i).map_or("", |v| v.trim());
        let (assignment, approve, reject) = (get(a_col), get(approve_col), get(reject_col));
        if approve.is_empty() && reject.is_empty() {
            continue;
        }
        if !approve.is_empty() && !reject.is_empty() {
            errors.push(RowError::new(*line, format!("assignment {assignment} is marked both Approve and Reject")));
            continue;
        }
        if plan.reviews.iter().any(|r| r.id == assignment) {
            errors.push(RowError::new(*line, format!("assignment {assignment} is marked twice")));
            continue;
        }
        let Some(a) = ctx.store.assignment(assignment).await.map_err(internal)? else {
            errors.push(RowError::new(*line, format!("there is no assignment {assignment:?}")));
            continue;
        };
        let Some((_, hit)) = rows.iter().find(|(r, _)| r.hit_id == a.hit_id) else {
            errors.push(RowError::new(*line, format!("assignment {assignment} is not of this batch")));
            continue;
        };
        let assignment_id = AssignmentId::from_stored(a.id.clone());
        let review = if approve.is_empty() {
            rejection_review(ctx, &a, Rejection { assignment_id, feedback: Some(reject.to_owned()) })
        } else {
            let feedback = (!approve.eq_ignore_ascii_case("x")).then(|| approve.to_owned());
            approval_review(ctx, &a, hit, Approval { assignment_id, feedback, override_rejection: false })
        };
        match review {
            Ok(review) => {
                plan.reviews.push(review);
                plan.assignments.push(a);
            }
            Err(e) => errors.push(RowError::new(*line, e.message())),
        }
    }
    if errors.is_empty() {
        let cost = plan.cost_cents();
        let balance = super::account::ensure_account(ctx).await?;
        if balance < cost {
            errors.push(RowError::new(0, super::account::insufficient_funds(cost, balance).message()));
        }
    }
    if !errors.is_empty() {
        return Ok(Upload::Refused(errors));
    }
    Ok(Upload::Done(plan))
}

/// Applies a checked review in one store transaction, with the effects of
/// ApproveAssignment and RejectAssignment for each (statuses, payments with
/// MTurk's fee, the notification outbox's events): every one, or none when
/// one cannot be done any more (its assignment changed state since the
/// check, or the balance no longer pays every approval).
///
/// # Errors
/// `InvalidAssignmentState` naming the assignment that changed,
/// `InsufficientFunds` with the whole cost; either way nothing changed.
pub async fn apply_review(ctx: &Ctx, plan: &ReviewPlan) -> Result<Reviewed> {
    // Due automatic approvals pay first, as before any review.
    settle(&ctx.worker()).await?;
    match ctx.store.review_all(&plan.reviews).await.map_err(internal)? {
        ReviewsOutcome::Done => Ok(plan.counts()),
        ReviewsOutcome::Failed { index, outcome } => {
            let a = plan.assignments.get(index).ok_or_else(|| {
                MturkError::internal(anyhow::anyhow!("the store failed review #{index} of {}", plan.reviews.len()))
            })?;
            Err(super::assignments::review_failed(ctx, a, outcome, plan.cost_cents()).await)
        }
    }
}

/// A project's HIT type properties from the console's form.
#[must_use]
pub fn hit_type(
    title: String,
    description: String,
    keywords: Option<String>,
    reward: Money,
    assignment_duration_secs: i64,
    auto_approval_delay_secs: Option<i64>,
) -> NewHitType {
    NewHitType {
        title,
        description,
        keywords,
        reward,
        assignment_duration_secs,
        auto_approval_delay_secs,
        requirements: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found_once_each_in_order() {
        assert_eq!(placeholders("<img src=\"${image_url}\"> ${a} $x ${ } ${a} ${b.c}"), ["image_url", "a", "b.c"]);
    }

    #[test]
    fn a_row_fills_the_template_and_makes_a_valid_question() {
        let cols = vec!["name".to_owned(), "n".to_owned()];
        let html = fill("<p>${name} has ${n} ]]> items</p>", &cols, &["Ann".into(), "3".into()]);
        assert_eq!(html, "<p>Ann has 3 ]]> items</p>");
        let q = html_question(&html, 400);
        documents::check_question(&q).unwrap();
        assert_eq!(documents::html_content(&q).unwrap(), html);
    }

    #[test]
    fn a_csv_with_bad_rows_reports_each_line() {
        let errors = read_csv("a,b\n1,2\n3\n4,5,6\n").unwrap_err();
        assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), [3, 4]);
        let errors = read_csv("a,a,\n1,2,3\n").unwrap_err();
        assert_eq!(errors.len(), 2);
        let errors = read_csv("a,b\r\n1,2\r\n3\r\n").unwrap_err();
        assert_eq!(errors.iter().map(|e| e.line).collect::<Vec<_>>(), [3]);
        let (cols, rows) = read_csv("x,y\n\"1,5\",\"say \"\"hi\"\"\"\n").unwrap();
        assert_eq!(cols, ["x", "y"]);
        assert_eq!(rows, [(2, vec!["1,5".to_owned(), "say \"hi\"".to_owned()])]);
    }
}
