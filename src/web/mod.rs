//! The web console (issue 14): the worker's pages under `/worker`, the
//! requester's under `/requester`, server-rendered from askama templates
//! compiled into the binary, with a small stylesheet and script served by
//! the binary too. A front end like the API codecs and `/_local`: it calls
//! `ops` only.
//!
//! Access is `/_local`'s rule: open on loopback; with `control.token`
//! configured, a login form turns the token into a cookie (or a request
//! bears it as `Authorization: Bearer`); off otherwise. Every POST carries a
//! per-browser token from a cookie in a hidden field (double submit), and is
//! refused when the browser says it comes from another site (`Sec-Fetch-Site`,
//! `Origin`). Pages are sent under a Content Security Policy that allows no
//! inline script; HIT content (an HTMLQuestion's HTML) is served only from
//! `/worker-content/…` into `<iframe sandbox="allow-forms allow-scripts">`,
//! under its own policy whose `sandbox` directive gives it an opaque origin
//! even when opened directly.

mod batches;
mod keyed;
mod multipart;
mod pages;
mod requester;

mod worker;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use subtle::ConstantTimeEq;

use crate::error::MturkError;
use crate::state::{AppState, ControlAccess};

/// The cookie holding the control token after a login.
const SESSION_COOKIE: &str = "mturk_local_console";
/// The cookie holding this browser's form token.
const CSRF_COOKIE: &str = "mturk_local_csrf";
/// The hidden field every form carries.
pub(crate) const CSRF_FIELD: &str = "csrf";
/// Largest form body the console reads (a pasted CSV batch).
const MAX_FORM_BYTES: usize = 8 << 20;

/// The console's Content Security Policy: our own stylesheet and script
/// only, forms posting back here, frames from here (HIT content) or from the
/// origins an ExternalQuestion page names (added per page), and no framing
/// of the console by anyone.
pub(crate) fn console_csp(frame_origins: &[String]) -> String {
    let mut frames = String::from("'self'");
    for o in frame_origins {
        frames.push(' ');
        frames.push_str(o);
    }
    format!(
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data: https: http:; \
         media-src https: http:; form-action 'self'; frame-src {frames}; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// The routes of the console (merged at the root).
pub fn router(state: &AppState) -> Router<AppState> {
    let guarded = Router::new()
        .merge(worker::router())
        .merge(requester::router())
        .route_layer(middleware::from_fn_with_state(state.clone(), guard));
    Router::new()
        .route("/console/login", get(login_page).post(login))
        .route("/console/static/console.css", get(css))
        .route("/console/static/console.js", get(js))
        .merge(guarded)
        .layer(middleware::from_fn(headers))
}

/// What a page handler knows of the request besides its path: the form
/// token to put in its forms.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// The value of every form's hidden `csrf` field.
    pub csrf: String,
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn token_matches(given: &str, token: &str) -> bool {
    bool::from(given.as_bytes().ct_eq(token.as_bytes()))
}

#[allow(
    clippy::disallowed_methods,
    reason = "a form token must be unpredictable, and page views must not move a seeded id sequence"
)]
fn random_token() -> String {
    use rand::Rng as _;
    let bytes: [u8; 24] = rand::thread_rng().gen();
    hex::encode(bytes)
}

/// Security headers on every console response; the console's policy unless
/// the handler set its own (HIT content, pages with an ExternalQuestion).
async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(v) = HeaderValue::from_str(&console_csp(&[])) {
            h.insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

/// The access rule of `/_local`, and the cross-site checks of every POST.
async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let allowed = match &state.control {
        ControlAccess::Open => true,
        ControlAccess::Off => false,
        ControlAccess::Token(token) => {
            let bearer = request
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "));
            let cookie = cookie(request.headers(), SESSION_COOKIE);
            bearer.or(cookie).is_some_and(|given| token_matches(given, token))
        }
    };
    if !allowed {
        if state.control == ControlAccess::Off {
            return pages::message(
                StatusCode::FORBIDDEN,
                "Console off",
                "The console is off: the server listens beyond loopback and no control.token is configured.",
            );
        }
        if request.method() == Method::GET {
            let next_path = request.uri().path_and_query().map_or("/worker", |p| p.as_str()).to_owned();
            return Redirect::to(&format!("/console/login?next={}", enc(&next_path))).into_response();
        }
        return pages::message(
            StatusCode::UNAUTHORIZED,
            "Log in",
            "Log in first: the console needs the control token.",
        );
    }
    let (existing, fresh) = match cookie(request.headers(), CSRF_COOKIE).filter(|c| c.len() == 48) {
        Some(c) => (c.to_owned(), false),
        None => (random_token(), true),
    };
    let (mut parts, body) = request.into_parts();
    let body = if parts.method == Method::POST {
        let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
            return pages::message(StatusCode::PAYLOAD_TOO_LARGE, "Too large", "The form is larger than 8 MiB.");
        };
        if let Err(why) = check_post(&state, &parts.headers, &bytes, if fresh { None } else { Some(&existing) }) {
            return pages::message(StatusCode::FORBIDDEN, "Refused", &why);
        }
        Body::from(bytes)
    } else {
        body
    };
    if let Err(err) = state.sync_clock().await {
        return pages::error(&err);
    }
    parts.extensions.insert(Session { csrf: existing.clone() });
    let mut response = next.run(Request::from_parts(parts, body)).await;
    if fresh {
        let value = format!("{CSRF_COOKIE}={existing}; Path=/; HttpOnly; SameSite=Strict");
        if let Ok(v) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

/// A POST from this console: not from another site (as the browser reports
/// it), with the form token of this browser's cookie.
fn check_post(state: &AppState, headers: &HeaderMap, body: &Bytes, cookie: Option<&str>) -> Result<(), String> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        if !matches!(site, "same-origin" | "none") {
            return Err(format!("This form was sent from another site (Sec-Fetch-Site: {site})."));
        }
    }
    if let Some(origin) = header("origin") {
        if origin != state.origin(headers) {
            return Err(format!("This form was sent from another origin ({origin})."));
        }
    }
    let fields = form_fields(headers, body)?;
    let given = fields.iter().find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v.as_str());
    match (cookie, given) {
        (Some(c), Some(g)) if token_matches(g, c) => Ok(()),
        _ => Err("This form's token does not match this browser's; reload the page and send it again.".to_owned()),
    }
}

/// The fields of a posted form: URL-encoded, or the text fields of a
/// `multipart/form-data` body (a form with a file input).
pub(crate) fn form_fields(headers: &HeaderMap, body: &[u8]) -> Result<Vec<(String, String)>, String> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    match multipart::boundary(content_type) {
        Some(boundary) => Ok(multipart::fields(&multipart::parse(body, &boundary)?)),
        None => crate::protocol::form::decode_pairs(body).map_err(|e| e.to_string()),
    }
}

/// What a query value keeps unencoded: RFC 3986's unreserved characters.
const QUERY_VALUE: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Percent-encodes a query value (or a path segment).
pub(crate) fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, QUERY_VALUE).to_string()
}

/// A redirect after a POST, with a notice (`?notice=`) or an error (`?error=`) shown on the page.
pub(crate) fn see_other(path: &str, result: Result<String, MturkError>) -> Response {
    let sep = if path.contains('?') { '&' } else { '?' };
    let to = match result {
        Ok(notice) if notice.is_empty() => path.to_owned(),
        Ok(notice) => format!("{path}{sep}notice={}", enc(&notice)),
        Err(e) => format!("{path}{sep}error={}", enc(&format!("{}: {}", e.code().as_str(), e.message()))),
    };
    Redirect::to(&to).into_response()
}

#[derive(askama::Template)]
#[template(path = "login.html")]
struct LoginPage {
    l: pages::Layout,
    next: String,
}

async fn login_page(uri: axum::http::Uri) -> Response {
    let fields = crate::protocol::form::decode_pairs(uri.query().unwrap_or_default().as_bytes()).unwrap_or_default();
    let next = fields.into_iter().find(|(k, _)| k == "next").map(|(_, v)| v).unwrap_or_default();
    let page = LoginPage { l: pages::Layout::bare("Log in", ""), next: safe_next(&next).to_owned() };
    pages::render(&page)
}

/// Only a path on this server (no `//host`, no scheme) is followed after a login.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/worker"
    }
}

async fn login(State(state): State<AppState>, body: Bytes) -> Response {
    let fields = crate::protocol::form::decode_pairs(&body).unwrap_or_default();
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default();
    let ControlAccess::Token(token) = &state.control else {
        return Redirect::to(safe_next(field("next"))).into_response();
    };
    if !token_matches(field("token"), token) {
        return pages::message(StatusCode::UNAUTHORIZED, "Log in", "That is not the control token.");
    }
    let value = format!("{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict", field("token"));
    let mut response = Redirect::to(safe_next(field("next"))).into_response();
    match HeaderValue::from_str(&value) {
        Ok(v) => {
            response.headers_mut().append(header::SET_COOKIE, v);
            response
        }
        Err(_) => pages::message(StatusCode::BAD_REQUEST, "Log in", "The token cannot be kept in a cookie."),
    }
}

async fn css() -> Response {
    static_file("text/css; charset=utf-8", include_str!("static/console.css"))
}

async fn js() -> Response {
    static_file("text/javascript; charset=utf-8", include_str!("static/console.js"))
}

fn static_file(content_type: &'static str, body: &'static str) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=300")], body)
        .into_response()
}
