//! What every page shares: the layout's fields, rendering, message and error
//! pages, and reading a posted form.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::domain::time::Timestamp;
use crate::error::{ErrorCode, MturkError};

/// The fields of `base.html`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Layout {
    /// The page's title.
    pub title: String,
    /// The form token for the page's forms.
    pub csrf: String,
    /// Links of the navigation bar: (href, label).
    pub nav: Vec<(String, String)>,
    /// A notice after an action (`?notice=`).
    pub notice: Option<String>,
    /// An error after an action (`?error=`).
    pub error: Option<String>,
    /// The virtual clock's reading, ISO 8601.
    pub now: String,
}

impl Layout {
    /// A page without navigation.
    pub fn bare(title: &str, csrf: &str) -> Self {
        Self { title: title.to_owned(), csrf: csrf.to_owned(), ..Self::default() }
    }
}

/// The query of a GET page: `notice`, `error`, and the page's own fields.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query(pub Vec<(String, String)>);

impl Query {
    /// Decodes a query string (an undecodable one counts as empty).
    pub fn from_uri(uri: &axum::http::Uri) -> Self {
        Self(crate::protocol::form::decode_pairs(uri.query().unwrap_or_default().as_bytes()).unwrap_or_default())
    }

    /// The first value of `name`, when not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }

    /// A page's layout: its title, the form token, the navigation bar and
    /// the clock's reading, with this query's notice and error.
    pub fn layout(&self, title: &str, csrf: &str, nav: Vec<(String, String)>, now: Timestamp) -> Layout {
        Layout {
            title: title.to_owned(),
            csrf: csrf.to_owned(),
            nav,
            notice: self.get("notice").map(str::to_owned),
            error: self.get("error").map(str::to_owned),
            now: now.to_rfc3339_millis(),
        }
    }
}

/// A posted form (the guard has checked its token).
pub(crate) fn form(body: &[u8]) -> Query {
    Query(crate::protocol::form::decode_pairs(body).unwrap_or_default())
}

/// Renders a template as an HTML page.
pub(crate) fn render<T: askama::Template>(page: &T) -> Response {
    match page.render() {
        Ok(html) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a console page failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "The page could not be rendered.").into_response()
        }
    }
}

#[derive(askama::Template)]
#[template(path = "message.html")]
struct MessagePage {
    l: Layout,
    text: String,
}

/// A page with one message.
pub(crate) fn message(status: StatusCode, title: &str, text: &str) -> Response {
    let page = MessagePage { l: Layout::bare(title, ""), text: text.to_owned() };
    (status, render(&page)).into_response()
}

/// An operation's error as a page, with the status `/_local` would give it.
pub(crate) fn error(err: &MturkError) -> Response {
    let code = err.code();
    let status = match code {
        ErrorCode::HitDoesNotExist
        | ErrorCode::AssignmentDoesNotExist
        | ErrorCode::QualificationTypeDoesNotExist
        | ErrorCode::QualificationRequestDoesNotExist => StatusCode::NOT_FOUND,
        _ if code.is_client_fault() => StatusCode::BAD_REQUEST,
        _ => {
            tracing::error!(error = ?err, "console request failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    message(status, code.as_str(), err.message())
}

/// Dollars and cents from cents.
pub(crate) fn dollars(cents: i64) -> String {
    format!("${}", crate::domain::money::format_cents(cents))
}

/// A duration in words (`1 h 30 min`).
pub(crate) fn duration(secs: i64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(format!("{d} d"));
    }
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 {
        parts.push(format!("{m} min"));
    }
    if s > 0 || parts.is_empty() {
        parts.push(format!("{s} s"));
    }
    parts.join(" ")
}
