//! The console's batches: a project (HTML template with `${name}`
//! placeholders and HIT properties) filled from a CSV, its progress, its
//! results CSV, and that CSV uploaded back with `Approve`/`Reject` marks.
//! CSV files are read into a text area by the console's script (or pasted),
//! so every form is a plain urlencoded POST under the same token check.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};

use super::keyed::{self, Pager};
use super::pages::{self, Layout, Query};
use super::requester::{layout, requester_ctx};
use super::{enc, see_other, Session};
use crate::domain::money::Money;
use crate::error::invalid_value;
use crate::ops::batches::{self, Project, RowError, Upload};
use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/requester/{requester}/batches", get(list).post(create))
        .route("/requester/{requester}/batches/{batch_id}", get(show))
        .route("/requester/{requester}/batches/{batch_id}/results.csv", get(results))
        .route("/requester/{requester}/batches/{batch_id}/review", axum::routing::post(review))
}

macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(err) => return pages::error(&err),
        }
    };
}

/// The new-batch form's fields, kept when the form comes back with errors.
#[derive(Debug, Clone)]
struct Draft {
    name: String,
    title: String,
    description: String,
    keywords: String,
    reward: String,
    assignments: String,
    lifetime: String,
    duration: String,
    auto_approval: String,
    frame_height: String,
    template: String,
    csv: String,
}

impl Default for Draft {
    fn default() -> Self {
        Self {
            name: String::new(),
            title: String::new(),
            description: String::new(),
            keywords: String::new(),
            reward: "0.10".into(),
            assignments: "1".into(),
            lifetime: "86400".into(),
            duration: "600".into(),
            auto_approval: "259200".into(),
            frame_height: "600".into(),
            template: String::new(),
            csv: String::new(),
        }
    }
}

impl Draft {
    fn from_form(f: &Query) -> Self {
        let v = |n: &str| f.get(n).unwrap_or_default().to_owned();
        Self {
            name: v("name"),
            title: v("title"),
            description: v("description"),
            keywords: v("keywords"),
            reward: v("reward"),
            assignments: v("assignments"),
            lifetime: v("lifetime"),
            duration: v("duration"),
            auto_approval: v("auto_approval"),
            frame_height: v("frame_height"),
            template: v("template"),
            csv: v("csv"),
        }
    }

    fn project(&self) -> Result<Project, Vec<RowError>> {
        let mut errors = Vec::new();
        let mut int = |name: &str, text: &str| {
            text.trim().parse::<i64>().unwrap_or_else(|_| {
                errors.push(RowError { line: 0, message: invalid_value(name, text).message().to_owned() });
                0
            })
        };
        let assignments = int("MaxAssignments", &self.assignments);
        let lifetime = int("LifetimeInSeconds", &self.lifetime);
        let duration = int("AssignmentDurationInSeconds", &self.duration);
        let auto = int("AutoApprovalDelayInSeconds", &self.auto_approval);
        let frame = int("FrameHeight", &self.frame_height);
        let reward = Money::parse(self.reward.trim().trim_start_matches('$'));
        if reward.is_none() {
            errors.push(RowError { line: 0, message: invalid_value("Reward", &self.reward).message().to_owned() });
        }
        if self.template.trim().is_empty() {
            errors.push(RowError { line: 0, message: "the project needs an HTML template".into() });
        }
        match (reward, errors.is_empty()) {
            (Some(reward), true) => Ok(Project {
                name: self.name.clone(),
                template: self.template.clone(),
                hit_type: batches::hit_type(
                    self.title.trim().to_owned(),
                    self.description.trim().to_owned(),
                    Some(self.keywords.trim().to_owned()).filter(|k| !k.is_empty()),
                    reward,
                    duration,
                    Some(auto),
                ),
                max_assignments: assignments,
                lifetime_secs: lifetime,
                frame_height: frame,
            }),
            _ => Err(errors),
        }
    }
}

struct BatchLine {
    id: String,
    name: String,
    created: String,
}

#[derive(askama::Template)]
#[template(path = "requester_batches.html")]
struct ListPage {
    l: Layout,
    requester: String,
    batches: Vec<BatchLine>,
    pager: Pager,
    draft: Draft,
    errors: Vec<RowError>,
}

async fn list_page(
    state: &AppState,
    session: &Session,
    raw: String,
    q: &Query,
    draft: Draft,
    errors: Vec<RowError>,
) -> Response {
    let ctx = tri!(requester_ctx(state, &raw).await);
    let scope = format!("console/batches/{raw}");
    let page = tri!(keyed::page(q, "after", &scope));
    let found = tri!(batches::list(&ctx, page).await);
    let pager = Pager::of(&format!("/requester/{raw}/batches"), q, "after", &scope, &found, keyed::PER_PAGE);
    let lines = found
        .items
        .iter()
        .map(|b| BatchLine { id: b.id.clone(), name: b.name.clone(), created: b.created_at.to_rfc3339_millis() })
        .collect();
    let l = layout(state, session, &raw, "Batches", q);
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let page = ListPage { l, requester: raw, batches: lines, pager, draft, errors };
    (status, pages::render(&page)).into_response()
}

async fn list(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(raw): Path<String>,
    uri: axum::http::Uri,
) -> Response {
    let q = Query::from_uri(&uri);
    list_page(&state, &session, raw, &q, Draft::default(), Vec::new()).await
}

async fn create(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let f = pages::form(&body);
    let draft = Draft::from_form(&f);
    let project = match draft.project() {
        Ok(p) => p,
        Err(errors) => return list_page(&state, &session, raw, &Query::default(), draft, errors).await,
    };
    let ctx = tri!(requester_ctx(&state, &raw).await);
    match tri!(batches::create(&ctx, project, &draft.csv).await) {
        Upload::Done(batch) => see_other(
            &format!("/requester/{raw}/batches/{}", enc(&batch.id)),
            Ok(format!("Batch {} created.", batch.name)),
        ),
        Upload::Refused(errors) => list_page(&state, &session, raw, &Query::default(), draft, errors).await,
    }
}

struct RowLine {
    index: i64,
    hit_id: String,
    status: String,
    done: String,
    values: Vec<String>,
}

#[derive(askama::Template)]
#[template(path = "requester_batch.html")]
struct BatchPage {
    l: Layout,
    requester: String,
    batch_id: String,
    columns: Vec<String>,
    progress: batches::Progress,
    rows: Vec<RowLine>,
    pager: Pager,
    errors: Vec<RowError>,
    csv: String,
}

async fn batch_page(
    state: &AppState,
    session: &Session,
    raw: String,
    id: &str,
    q: &Query,
    errors: Vec<RowError>,
    csv: String,
) -> Response {
    let ctx = tri!(requester_ctx(state, &raw).await);
    let scope = format!("console/batch-rows/{raw}/{id}");
    let page = tri!(keyed::page(q, "after", &scope));
    let (batch, progress, hits) = tri!(batches::page(&ctx, id, page).await);
    let path = format!("/requester/{raw}/batches/{}", enc(&batch.id));
    let pager = Pager::of(&path, q, "after", &scope, &hits, keyed::PER_PAGE);
    let rows = hits
        .items
        .iter()
        .map(|(r, h)| RowLine {
            index: r.index + 1,
            hit_id: h.id.clone(),
            status: h.status(ctx.now).as_str().to_owned(),
            done: format!("{} of {}", h.submitted + h.completed, h.max_assignments),
            values: r.values.clone(),
        })
        .collect();
    let l = layout(state, session, &raw, &format!("Batch {}", batch.name), q);
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let page =
        BatchPage { l, requester: raw, batch_id: batch.id, columns: batch.columns, progress, rows, pager, errors, csv };
    (status, pages::render(&page)).into_response()
}

async fn show(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path((raw, id)): Path<(String, String)>,
    uri: axum::http::Uri,
) -> Response {
    let q = Query::from_uri(&uri);
    batch_page(&state, &session, raw, &id, &q, Vec::new(), String::new()).await
}

/// `GET …/results.csv`: MTurk's results CSV of the batch.
async fn results(State(state): State<AppState>, Path((raw, id)): Path<(String, String)>) -> Response {
    let ctx = tri!(requester_ctx(&state, &raw).await);
    let csv = tri!(batches::results_csv(&ctx, &id).await);
    let name: String = id.chars().filter(char::is_ascii_alphanumeric).collect();
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"Batch_{name}_results.csv\"")),
        ],
        csv,
    )
        .into_response()
}

async fn review(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path((raw, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let f = pages::form(&body);
    let csv = f.get("csv").unwrap_or_default().to_owned();
    let ctx = tri!(requester_ctx(&state, &raw).await);
    let plan = match tri!(batches::check_review(&ctx, &id, &csv).await) {
        Upload::Done(plan) => plan,
        Upload::Refused(errors) => return batch_page(&state, &session, raw, &id, &Query::default(), errors, csv).await,
    };
    match batches::apply_review(&ctx, &plan).await {
        Ok(done) => see_other(
            &format!("/requester/{raw}/batches/{}", enc(&id)),
            Ok(format!("{} approved, {} rejected.", done.approved, done.rejected)),
        ),
        // Something changed since the check (or the money ran out): nothing was applied.
        Err(e) if e.code().is_client_fault() => {
            let message = format!("{}: {}", e.code().as_str(), e.message());
            batch_page(&state, &session, raw, &id, &Query::default(), vec![RowError { line: 0, message }], csv).await
        }
        Err(e) => pages::error(&e),
    }
}
