//! Bad input (issue 6): a table of malformed and hostile requests against
//! both APIs and the control plane. Each must get a clear error in its
//! protocol's shape (legacy: HTTP 200 well-formed XML with `<Errors>`; JSON:
//! 4xx with `__type`; control plane: 4xx with `Code`), never a panic, a hang
//! or a 5xx; and afterwards every table of the store holds exactly what it
//! held before. Then requester isolation: every operation, walked from both
//! dispatch tables, that names another requester's type or request is refused.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::time::Duration;

use mturk_local::domain::clock::Clock as _;
use serde_json::{json, Value};

use crate::both_backends;
use crate::common::endpoint::Endpoint;
use crate::common::sigv4::{amz_date, sigv4_headers};
use crate::common::{serde_urlencoded, table_rows, xml_text, TestApp, DEV_KEY, DEV_SECRET, OTHER_KEY, OTHER_SECRET};

/// Longest any single hostile request may take to be answered.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

const QF: &str = r#"<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionForm.xsd"><Question><QuestionIdentifier>q1</QuestionIdentifier><QuestionContent><Text>2+2?</Text></QuestionContent><AnswerSpecification><FreeTextAnswer/></AnswerSpecification></Question></QuestionForm>"#;
const KEY: &str = r#"<AnswerKey xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/AnswerKey.xsd"><Question><QuestionIdentifier>q1</QuestionIdentifier><AnswerOption><SelectionIdentifier>4</SelectionIdentifier><AnswerScore>10</AnswerScore></AnswerOption></Question></AnswerKey>"#;
const QF_NS: &str = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionForm.xsd";
const KEY_NS: &str = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/AnswerKey.xsd";
const ANSWERS_NS: &str =
    "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd";

const W_GRANTED: &str = "AHOSTILEGRANTED";
const W_REVOKED: &str = "AHOSTILEREVOKED";
const W_TESTING: &str = "AHOSTILETESTING";
const W_PENDING: &str = "AHOSTILEPENDING";
const W_BLOCKED: &str = "AHOSTILEBLOCKED";
const W_NEW: &str = "AHOSTILENEWCOMER";
const W_THEIRS: &str = "AOTHERSBLOCK";
const UNKNOWN_TYPE: &str = "3NOSUCHTYPE0000000000000000000";

// ---------------------------------------------------------------------------
// The store, table by table.

/// Describes how two snapshots differ.
fn diff(before: &BTreeMap<String, Vec<String>>, after: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    let mut out = Vec::new();
    for (table, rows) in after {
        let old = before.get(table).cloned().unwrap_or_default();
        for r in rows.iter().filter(|r| !old.contains(r)) {
            out.push(format!("{table}: new or changed row {r}"));
        }
        for r in old.iter().filter(|r| !rows.contains(r)) {
            out.push(format!("{table}: lost row {r}"));
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Requests and what must come back.

/// How a hostile request is sent.
enum Send {
    /// An ordinary HTTP request through reqwest.
    Http { method: &'static str, path: String, headers: Vec<(String, String)>, body: Vec<u8> },
    /// Raw bytes over TCP, in pieces with a pause after each; `close` half-closes
    /// the connection afterwards (a truncated body).
    Raw { pieces: Vec<Vec<u8>>, pause: Duration, close: bool },
}

/// What must come back.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// HTTP 200 `text/xml`, well-formed, with `<Errors>` carrying this code.
    Legacy(&'static str),
    /// This 4xx status, a JSON body with `__type`, and this `TurkErrorCode`
    /// (request errors) or `__type` suffix (authentication errors).
    Json(u16, &'static str),
    /// This 4xx status and a control-plane body `{"Code": this}`.
    Control(u16, &'static str),
    /// Refused by the HTTP layer before any MTurk code runs (no request line,
    /// no length): a 4xx, or the connection closed. There is no operation to
    /// answer for, and the server must stay up.
    Http4xx,
    /// A body that never arrives whole: an MTurk-shaped error if anything is
    /// answered (legacy XML or JSON 4xx), or the connection closed, promptly.
    ErrorOrClosed,
}

struct Case {
    what: String,
    send: Send,
    expect: Expect,
}

/// An answer read off the wire.
#[derive(Debug)]
struct Wire {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

/// Reads one HTTP/1.1 response (Content-Length or chunked) from a raw stream.
fn read_response(stream: &mut std::net::TcpStream) -> Result<Option<Wire>, String> {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 65_536];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk) {
            Ok(0) if buf.is_empty() => return Ok(None),
            Ok(0) => {
                return Err(format!("connection closed inside the response head: {:?}", String::from_utf8_lossy(&buf)))
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if buf.is_empty() && matches!(e.kind(), std::io::ErrorKind::ConnectionReset) => return Ok(None),
            Err(e) => return Err(format!("no answer within {ANSWER_WITHIN:?}: {e}")),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let status: u16 = head.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or(format!("bad status line: {head}"))?;
    let header = |name: &str| {
        head.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
    };
    let mut body = buf[head_end..].to_vec();
    let mut fill = |body: &mut Vec<u8>, stream: &mut std::net::TcpStream, until: &dyn Fn(&[u8]) -> bool| loop {
        if until(body) {
            return Ok(());
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Err(format!("connection closed inside the body after {} bytes", body.len())),
            Ok(n) => body.extend_from_slice(&chunk[..n]),
            Err(e) => return Err(format!("body not answered within {ANSWER_WITHIN:?}: {e}")),
        }
    };
    if let Some(len) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        fill(&mut body, stream, &|b: &[u8]| b.len() >= len)?;
        body.truncate(len);
    } else if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        fill(&mut body, stream, &|b: &[u8]| b.windows(5).any(|w| w == b"0\r\n\r\n"))?;
        let mut decoded = Vec::new();
        let mut rest = &body[..];
        while let Some(i) = rest.windows(2).position(|w| w == b"\r\n") {
            let size = usize::from_str_radix(String::from_utf8_lossy(&rest[..i]).trim(), 16).unwrap_or(0);
            if size == 0 {
                break;
            }
            decoded.extend_from_slice(&rest[i + 2..i + 2 + size]);
            rest = &rest[i + 2 + size + 2..];
        }
        body = decoded;
    }
    Ok(Some(Wire { status, content_type: header("content-type").unwrap_or_default(), body }))
}

/// Sends raw pieces and reads the answer, off the async runtime.
async fn raw_exchange(
    addr: String,
    pieces: Vec<Vec<u8>>,
    pause: Duration,
    close: bool,
) -> Result<Option<Wire>, String> {
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(&addr).map_err(|e| e.to_string())?;
        stream.set_read_timeout(Some(ANSWER_WITHIN)).map_err(|e| e.to_string())?;
        stream.set_write_timeout(Some(ANSWER_WITHIN)).map_err(|e| e.to_string())?;
        for piece in &pieces {
            // The server may answer (and stop reading) before the last piece; that is fine.
            if stream.write_all(piece).is_err() {
                break;
            }
            std::thread::sleep(pause);
        }
        if close {
            let _ = stream.shutdown(std::net::Shutdown::Write);
        }
        read_response(&mut stream)
    })
    .await
    .unwrap()
}

async fn send(app: &TestApp, send: &Send) -> Result<Option<Wire>, String> {
    match send {
        Send::Http { method, path, headers, body } => {
            let mut req = app
                .http
                .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), format!("{}{path}", app.base))
                .timeout(ANSWER_WITHIN)
                .body(body.clone());
            for (k, v) in headers {
                req = req.header(k.as_str(), v.as_str());
            }
            let res = req.send().await.map_err(|e| format!("no answer: {e:?}"))?;
            let status = res.status().as_u16();
            let content_type =
                res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            let body = res.bytes().await.map_err(|e| format!("body not read: {e}"))?.to_vec();
            Ok(Some(Wire { status, content_type, body }))
        }
        Send::Raw { pieces, pause, close } => {
            raw_exchange(app.base.trim_start_matches("http://").to_owned(), pieces.clone(), *pause, *close).await
        }
    }
}

/// Whether `xml` is one well-formed element.
fn well_formed(xml: &str) -> Result<(), String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut depth = 0i32;
    let mut roots = 0;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(_)) => {
                if depth == 0 {
                    roots += 1;
                }
                depth += 1;
            }
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(format!("not well-formed XML: {e}")),
        }
    }
    if depth == 0 && roots == 1 {
        Ok(())
    } else {
        Err(format!("{roots} root elements, depth {depth} at the end"))
    }
}

fn check(expect: Expect, got: Option<Wire>) -> Result<(), String> {
    let Some(w) = got else {
        return match expect {
            Expect::Http4xx | Expect::ErrorOrClosed => Ok(()),
            _ => Err("the connection closed without an answer".into()),
        };
    };
    let body = String::from_utf8_lossy(&w.body).into_owned();
    if w.status >= 500 {
        return Err(format!("HTTP {}: {body}", w.status));
    }
    let json_error = |status: u16, code: &str| -> Result<(), String> {
        if w.status != status {
            return Err(format!("HTTP {} instead of {status}: {body}", w.status));
        }
        let v: Value = serde_json::from_str(&body).map_err(|e| format!("not JSON ({e}): {body}"))?;
        let kind = v["__type"].as_str().ok_or(format!("no __type: {body}"))?;
        let got = if kind.ends_with("#RequestError") {
            v["TurkErrorCode"].as_str().unwrap_or("")
        } else {
            kind.rsplit('#').next().unwrap_or("")
        };
        if got == code && v["Message"].as_str().is_some_and(|m| !m.is_empty()) {
            Ok(())
        } else {
            Err(format!("expected {code}: {body}"))
        }
    };
    let legacy_error = |code: Option<&str>| -> Result<(), String> {
        if w.status != 200 || w.content_type != "text/xml" {
            return Err(format!("HTTP {} {}: {body}", w.status, w.content_type));
        }
        well_formed(&body)?;
        let got = xml_text(&body, "Code");
        if !body.contains("<Errors>") || got.is_none() || code.is_some_and(|c| got.as_deref() != Some(c)) {
            return Err(format!("expected {code:?}: {body}"));
        }
        if body.contains("<IsValid>True</IsValid>") {
            return Err(format!("an error answer says IsValid True: {body}"));
        }
        Ok(())
    };
    match expect {
        Expect::Legacy(code) => legacy_error(Some(code)),
        Expect::Json(status, code) => json_error(status, code),
        Expect::Control(status, code) => {
            if w.status != status {
                return Err(format!("HTTP {} instead of {status}: {body}", w.status));
            }
            let v: Value = serde_json::from_str(&body).map_err(|e| format!("not JSON ({e}): {body}"))?;
            if v["Code"] == code && v["Message"].as_str().is_some_and(|m| !m.is_empty()) {
                Ok(())
            } else {
                Err(format!("expected {code}: {body}"))
            }
        }
        Expect::Http4xx => {
            if (400..500).contains(&w.status) {
                Ok(())
            } else {
                Err(format!("HTTP {}: {body}", w.status))
            }
        }
        Expect::ErrorOrClosed => {
            if w.content_type == "text/xml" {
                legacy_error(None)
            } else if (400..500).contains(&w.status) && body.contains("__type") {
                Ok(())
            } else {
                Err(format!("HTTP {} {}: {body}", w.status, w.content_type))
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The fixture every case runs against.

struct Fixture {
    /// The development requester's plain type: W_GRANTED holds it, W_REVOKED lost it.
    plain: String,
    /// Its type with a test and an answer key: W_TESTING has a test running.
    tested: String,
    /// Its Inactive type.
    inactive: String,
    /// The other requester's type.
    theirs: String,
    /// W_PENDING's Submitted request for `plain`.
    pending: String,
    /// W_TESTING's TestPending request for `tested`.
    testing: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let plain = app.create_type("hostile plain", &[("RetryDelayInSeconds", "60")]).await;
    let tested = app
        .create_type(
            "hostile tested",
            &[("Test", QF), ("AnswerKey", KEY), ("TestDurationInSeconds", "600"), ("RetryDelayInSeconds", "60")],
        )
        .await;
    let inactive = app.create_type("hostile inactive", &[("QualificationTypeStatus", "Inactive")]).await;
    let theirs = app
        .call_as(
            OTHER_KEY,
            OTHER_SECRET,
            "CreateQualificationType",
            &[("Name", "theirs"), ("Description", "d"), ("QualificationTypeStatus", "Active")],
        )
        .await
        .ok()
        .text("QualificationTypeId")
        .unwrap();
    app.call("AssignQualification", &[("QualificationTypeId", &plain), ("WorkerId", W_GRANTED)]).await.ok();
    app.call("AssignQualification", &[("QualificationTypeId", &plain), ("WorkerId", W_REVOKED)]).await.ok();
    app.call("RevokeQualification", &[("QualificationTypeId", &plain), ("SubjectId", W_REVOKED), ("Reason", "r")])
        .await
        .ok();
    app.call("BlockWorker", &[("WorkerId", W_BLOCKED), ("Reason", "spam")]).await.ok();
    let request = |worker: &'static str, type_id: String| async move {
        let r = app
            .control(
                "POST",
                &format!("/workers/{worker}/qualification-requests"),
                Some(json!({"QualificationTypeId": type_id})),
            )
            .await
            .json();
        r["QualificationRequestId"].as_str().unwrap().to_owned()
    };
    let pending = request(W_PENDING, plain.clone()).await;
    let testing = request(W_TESTING, tested.clone()).await;
    Fixture { plain, tested, inactive, theirs, pending, testing }
}

// ---------------------------------------------------------------------------
// The table.

fn form(pairs: &[(String, String)]) -> Vec<u8> {
    serde_urlencoded(pairs).into_bytes()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn post_form(body: Vec<u8>) -> Send {
    Send::Http {
        method: "POST",
        path: "/".into(),
        headers: vec![("Content-Type".into(), "application/x-www-form-urlencoded".into())],
        body,
    }
}

fn get(path_and_query: String) -> Send {
    Send::Http { method: "GET", path: path_and_query, headers: Vec::new(), body: Vec::new() }
}

fn deep(levels: usize) -> String {
    format!("{}{}", "<a>".repeat(levels), "</a>".repeat(levels))
}

fn billion_laughs(root: &str, ns: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\
         <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]><{root} xmlns=\"{ns}\">&lol3;</{root}>"
    )
}

fn external_entity(root: &str, ns: &str) -> String {
    format!("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><{root} xmlns=\"{ns}\">&xxe;</{root}>")
}

/// Malformed Test documents, each an XMLParseError.
fn bad_documents(root: &str, ns: &str) -> Vec<(&'static str, String)> {
    vec![
        ("plain text", "this is not XML".into()),
        ("an unclosed root", format!("<{root} xmlns=\"{ns}\"><Question>")),
        ("a mismatched end tag", format!("<{root} xmlns=\"{ns}\"><Question></Answer></{root}>")),
        ("a wrong namespace", format!("<{root} xmlns=\"http://evil.example/{root}.xsd\"><Question/></{root}>")),
        ("no namespace", format!("<{root}><Question/></{root}>")),
        ("two roots", format!("<{root} xmlns=\"{ns}\"/><{root} xmlns=\"{ns}\"/>")),
        ("a billion-laughs DOCTYPE", billion_laughs(root, ns)),
        ("an external entity", external_entity(root, ns)),
        ("200 nested elements", format!("<{root} xmlns=\"{ns}\">{}</{root}>", deep(200))),
        ("5000 nested elements", format!("<{root} xmlns=\"{ns}\">{}</{root}>", deep(5000))),
        ("an undefined entity", format!("<{root} xmlns=\"{ns}\">&undefined;</{root}>")),
        ("a NUL character reference", format!("<{root} xmlns=\"{ns}\">&#0;</{root}>")),
        ("a surrogate character reference", format!("<{root} xmlns=\"{ns}\">&#xD800;</{root}>")),
        ("text outside the root", format!("<{root} xmlns=\"{ns}\"/>trailing")),
        ("an unbound prefix", format!("<x:{root} xmlns=\"{ns}\"/>")),
        ("an attribute without a value", format!("<{root} xmlns=\"{ns}\" broken/>")),
        ("a duplicated attribute", format!("<{root} xmlns=\"{ns}\" a=\"1\" a=\"2\"/>")),
        ("an empty document", " ".into()),
    ]
}

#[allow(clippy::too_many_lines, reason = "the table is the test; one row per hostile request")]
fn cases(app: &TestApp, f: &Fixture) -> Vec<Case> {
    use Expect::{Control, ErrorOrClosed, Http4xx, Json, Legacy};
    const INVALID: &str = "AWS.MechanicalTurk.InvalidParameterValue";
    const MISSING: &str = "AWS.MissingParameters";
    const RANGE: &str = "AWS.ParameterOutOfRange";
    const BAD_CLAIMS: &str = "AWS.BadClaimsSupplied";
    const XML: &str = "AWS.MechanicalTurk.XMLParseError";
    let host = app.base.trim_start_matches("http://").to_owned();
    let signed = |op: &str, params: &[(&str, &str)]| app.signed(DEV_KEY, DEV_SECRET, op, params);
    let signed_post = |op: &str, params: &[(&str, &str)]| post_form(form(&signed(op, params)));
    let mut out: Vec<Case> = Vec::new();
    let mut add = |what: &str, send: Send, expect: Expect| out.push(Case { what: what.to_owned(), send, expect });

    // --- Legacy: encodings, names and duplicates (refused before authentication).
    for (what, raw) in [
        ("a value that is %FF", "Operation=GetAccountBalance&Service=%FF"),
        ("an invalid two-byte sequence", "Operation=GetAccountBalance&X=%C3%28"),
        ("an overlong encoding of '/'", "Operation=GetAccountBalance&X=%C0%AF"),
        ("an encoded UTF-16 surrogate", "Operation=GetAccountBalance&X=%ED%A0%80"),
        ("a code point above U+10FFFF", "Operation=GetAccountBalance&X=%F4%90%80%80"),
        ("a truncated multi-byte sequence", "Operation=GetAccountBalance&X=%E2%82"),
        ("an undecodable parameter name", "%FF=1&Operation=GetAccountBalance"),
        ("an empty parameter name", "=orphan&Operation=GetAccountBalance"),
        ("only an equals sign", "="),
        ("Operation twice", "Operation=GetAccountBalance&Operation=DisposeQualificationType"),
        ("Signature twice", "Operation=GetAccountBalance&Signature=a&Signature=b"),
    ] {
        add(&format!("query: {what}"), get(format!("/?{raw}")), Legacy(INVALID));
        add(&format!("body: {what}"), post_form(raw.as_bytes().to_vec()), Legacy(INVALID));
    }
    // A stray '%' is kept literally (as browsers do), so this reaches authentication.
    add("a parameter named by a lone '%'", post_form(b"%=1&Operation=GetAccountBalance".to_vec()), Legacy(MISSING));
    add(
        "raw invalid UTF-8 bytes in the body",
        post_form(b"Operation=GetAccountBalance&X=\xff\xfe".to_vec()),
        Legacy(INVALID),
    );
    add(
        "a body ending inside a UTF-8 sequence",
        post_form(b"Operation=GetAccountBalance&X=\xe2\x82".to_vec()),
        Legacy(INVALID),
    );
    let mut dup_reason = signed("RevokeQualification", &[("QualificationTypeId", &f.plain), ("SubjectId", W_GRANTED)]);
    dup_reason.push(("Reason".into(), "first".into()));
    dup_reason.push(("Reason".into(), "second".into()));
    add("a signed revoke with Reason twice", post_form(form(&dup_reason)), Legacy(INVALID));
    add(
        "Operation and Action that disagree",
        post_form(b"Operation=GetAccountBalance&Action=DisposeQualificationType".to_vec()),
        Legacy(INVALID),
    );
    add(
        "an Operation that is markup",
        post_form(b"Operation=%3Cscript%3Ealert(1)%3C%2Fscript%3E".to_vec()),
        Legacy(INVALID),
    );
    add("an Operation of 65 letters", post_form(format!("Operation={}", "A".repeat(65)).into_bytes()), Legacy(INVALID));
    add("an Operation with a space", post_form(b"Operation=Get+AccountBalance".to_vec()), Legacy(INVALID));
    add("an Operation with SQL", post_form(b"Operation=x%27%3B+DROP+TABLE+requesters%3B--".to_vec()), Legacy(INVALID));
    add("no Operation at all", post_form(b"Service=AWSMechanicalTurkRequester".to_vec()), Legacy(MISSING));
    add("an empty POST", post_form(Vec::new()), Legacy(MISSING));
    add("an empty Operation", post_form(b"Operation=&Service=AWSMechanicalTurkRequester".to_vec()), Legacy(MISSING));
    add("only separators", post_form(b"&&&&&&".to_vec()), Legacy(MISSING));
    add("a foreign Service", post_form(b"Service=AmazonS3&Operation=GetAccountBalance".to_vec()), Legacy(INVALID));
    let many: String = (0..10_000).map(|i| format!("P{i}={i}")).collect::<Vec<_>>().join("&");
    add("10 000 parameters and no Operation", post_form(many.into_bytes()), Legacy(MISSING));
    add(
        "a 500 KB parameter name",
        post_form(format!("{}=1&Service=AWSMechanicalTurkRequester", "N".repeat(500_000)).into_bytes()),
        Legacy(MISSING),
    );

    // --- Legacy: authentication.
    let without = |drop: &str| {
        let mut p = signed("GetAccountBalance", &[]);
        p.retain(|(k, _)| k != drop);
        post_form(form(&p))
    };
    add("no AWSAccessKeyId", without("AWSAccessKeyId"), Legacy(MISSING));
    add("no Timestamp", without("Timestamp"), Legacy(MISSING));
    add("no Signature", without("Signature"), Legacy(MISSING));
    let replace = |name: &str, value: &str| {
        let mut p = signed("GetAccountBalance", &[]);
        for (k, v) in &mut p {
            if k == name {
                value.clone_into(v);
            }
        }
        post_form(form(&p))
    };
    add("an unknown access key", replace("AWSAccessKeyId", "AKIANOBODYKNOWSTHIS0"), Legacy("AWS.NotAuthorized"));
    add("an access key with SQL", replace("AWSAccessKeyId", "' OR '1'='1"), Legacy("AWS.NotAuthorized"));
    add("an access key of 10 KB", replace("AWSAccessKeyId", &"K".repeat(10_000)), Legacy("AWS.NotAuthorized"));
    add("an empty Signature", replace("Signature", ""), Legacy(MISSING));
    add("a Signature that is not base64", replace("Signature", "%%%not base64%%%"), Legacy(BAD_CLAIMS));
    add("a Signature of 64 KB", replace("Signature", &"A".repeat(65_536)), Legacy(BAD_CLAIMS));
    add("a Timestamp that is a word", replace("Timestamp", "yesterday"), Legacy(BAD_CLAIMS));
    add("a Timestamp in 2099", replace("Timestamp", "2099-01-01T00:00:00Z"), Legacy(BAD_CLAIMS));
    add("a Timestamp before year 1", replace("Timestamp", "-0001-01-01T00:00:00Z"), Legacy(BAD_CLAIMS));
    add("a Timestamp of 10 000 digits", replace("Timestamp", &"9".repeat(10_000)), Legacy(BAD_CLAIMS));
    add("SignatureVersion 2", signed_post("GetAccountBalance", &[("SignatureVersion", "2")]), Legacy(BAD_CLAIMS));
    add("SignatureVersion -1", signed_post("GetAccountBalance", &[("SignatureVersion", "-1")]), Legacy(BAD_CLAIMS));
    let wrong_secret = app.signed(DEV_KEY, "not-the-secret", "GetAccountBalance", &[]);
    add("a signature made with the wrong secret", post_form(form(&wrong_secret)), Legacy(BAD_CLAIMS));
    let mut other_operation = signed("GetAccountBalance", &[]);
    for (k, v) in &mut other_operation {
        if k == "Operation" {
            "DisposeQualificationType".clone_into(v);
        }
    }
    other_operation.push(("QualificationTypeId".into(), f.plain.clone()));
    add("a signature for another operation", post_form(form(&other_operation)), Legacy(BAD_CLAIMS));
    let query = serde_urlencoded(&signed("DisposeQualificationType", &[("QualificationTypeId", &f.plain)]));
    add(
        "a body overriding the signed Timestamp",
        Send::Http {
            method: "POST",
            path: format!("/?{query}"),
            headers: vec![("Content-Type".into(), "application/x-www-form-urlencoded".into())],
            body: b"Timestamp=2026-01-01T00%3A05%3A00Z".to_vec(),
        },
        Legacy(BAD_CLAIMS),
    );
    add("a lower-case operation, correctly signed", signed_post("getaccountbalance", &[]), Legacy(INVALID));
    add("an unknown operation, correctly signed", signed_post("FlyToTheMoon", &[]), Legacy(INVALID));
    add("Version 2099-12-31", signed_post("GetAccountBalance", &[("Version", "2099-12-31")]), Legacy(INVALID));
    add("a Version with SQL", signed_post("GetAccountBalance", &[("Version", "' OR 1=1 --")]), Legacy(INVALID));

    // --- Legacy: HTTP methods and content types.
    for method in ["PUT", "DELETE", "PATCH"] {
        add(
            &format!("{method} with a signed form"),
            Send::Http {
                method,
                path: "/".into(),
                headers: vec![("Content-Type".into(), "application/x-www-form-urlencoded".into())],
                body: form(&signed("GetAccountBalance", &[])),
            },
            Legacy(INVALID),
        );
    }
    for content_type in ["text/plain", "multipart/form-data; boundary=x", "application/json", "application/xml"] {
        add(
            &format!("a POST of {content_type}"),
            Send::Http {
                method: "POST",
                path: "/".into(),
                headers: vec![("Content-Type".into(), content_type.into())],
                body: form(&signed("GetAccountBalance", &[])),
            },
            Legacy(INVALID),
        );
    }
    add("a body one byte over the limit", post_form(vec![b'a'; 1_048_577]), Legacy(RANGE));
    add("a 5 MB body", post_form(vec![b'a'; 5 * 1_048_576]), Legacy(RANGE));

    // --- Legacy: values of the wrong type or size (after authentication).
    let assign = |value_name: &str, value: &str| {
        signed_post(
            "AssignQualification",
            &[("QualificationTypeId", &f.plain), ("WorkerId", W_NEW), (value_name, value)],
        )
    };
    for v in ["abc", "1.5", "2147483648", "-2147483649", "1e3", "0x10", "\u{ff11}\u{ff12}", "++1"] {
        add(&format!("AssignQualification IntegerValue {v:?}"), assign("IntegerValue", v), Legacy(INVALID));
    }
    for v in ["yes", "2", "truee", "\u{0442}rue"] {
        add(&format!("AssignQualification SendNotification {v:?}"), assign("SendNotification", v), Legacy(INVALID));
    }
    let search = |extra: &[(&str, &str)]| {
        let mut p = vec![("MustBeRequestable", "false")];
        p.extend_from_slice(extra);
        signed_post("SearchQualificationTypes", &p)
    };
    add("PageSize 0", search(&[("PageSize", "0")]), Legacy(RANGE));
    add("PageSize 101", search(&[("PageSize", "101")]), Legacy(RANGE));
    add("PageSize -5", search(&[("PageSize", "-5")]), Legacy(RANGE));
    add("PageSize abc", search(&[("PageSize", "abc")]), Legacy(INVALID));
    add("PageNumber 0", search(&[("PageNumber", "0")]), Legacy(RANGE));
    add("PageNumber i64::MAX (offset overflow)", search(&[("PageNumber", "9223372036854775807")]), Legacy(RANGE));
    add("PageNumber beyond i64", search(&[("PageNumber", "9223372036854775808")]), Legacy(INVALID));
    add(
        "MustBeRequestable maybe",
        signed_post("SearchQualificationTypes", &[("MustBeRequestable", "maybe")]),
        Legacy(INVALID),
    );
    add(
        "SearchQualificationTypes without MustBeRequestable",
        signed_post("SearchQualificationTypes", &[]),
        Legacy(MISSING),
    );
    add("SortDirection Sideways", search(&[("SortDirection", "Sideways")]), Legacy(INVALID));
    add("SortProperty with SQL", search(&[("SortProperty", "Name; DROP TABLE qualification_types")]), Legacy(INVALID));
    add("GetBlockedWorkers PageSize 65536", signed_post("GetBlockedWorkers", &[("PageSize", "65536")]), Legacy(RANGE));
    let create = |extra: &[(&str, &str)]| {
        let mut p = vec![("Name", "hostile create"), ("Description", "d"), ("QualificationTypeStatus", "Active")];
        for (k, v) in extra {
            p.retain(|(name, _)| name != k);
            p.push((*k, *v));
        }
        signed_post("CreateQualificationType", &p)
    };
    add("RetryDelayInSeconds -1", create(&[("RetryDelayInSeconds", "-1")]), Legacy(RANGE));
    add("RetryDelayInSeconds abc", create(&[("RetryDelayInSeconds", "abc")]), Legacy(INVALID));
    add("RetryDelayInSeconds beyond i64", create(&[("RetryDelayInSeconds", "99999999999999999999")]), Legacy(INVALID));
    add("QualificationTypeStatus Disposed", create(&[("QualificationTypeStatus", "Disposed")]), Legacy(INVALID));
    add("QualificationTypeStatus active", create(&[("QualificationTypeStatus", "active")]), Legacy(INVALID));
    add("an empty Name", create(&[("Name", "")]), Legacy(MISSING));
    let long_name = "n".repeat(1001);
    add("a Name of 1001 characters", create(&[("Name", &long_name)]), Legacy(INVALID));
    let long_description = "d".repeat(2001);
    add("a Description of 2001 characters", create(&[("Description", &long_description)]), Legacy(INVALID));
    let huge_keywords = "k".repeat(900_000);
    add("Keywords of 900 KB", create(&[("Keywords", &huge_keywords)]), Legacy(INVALID));
    add("a Name with U+0001", create(&[("Name", "bell\u{1}")]), Legacy(INVALID));
    add("a Name with NUL", create(&[("Name", "nul\u{0}byte")]), Legacy(INVALID));
    add("a Name with U+FFFE", create(&[("Name", "not a char \u{fffe}")]), Legacy(INVALID));
    add(
        "AutoGranted with a Test",
        create(&[("Test", QF), ("TestDurationInSeconds", "60"), ("AutoGranted", "true")]),
        Legacy(INVALID),
    );
    add("an AnswerKey without a Test", create(&[("AnswerKey", KEY)]), Legacy(INVALID));
    add("TestDurationInSeconds without a Test", create(&[("TestDurationInSeconds", "60")]), Legacy(INVALID));
    add("a Test without TestDurationInSeconds", create(&[("Test", QF)]), Legacy(MISSING));
    add("TestDurationInSeconds 0", create(&[("Test", QF), ("TestDurationInSeconds", "0")]), Legacy(RANGE));
    add("AutoGrantedValue abc", create(&[("AutoGranted", "true"), ("AutoGrantedValue", "abc")]), Legacy(INVALID));
    let huge_test =
        format!("<QuestionForm xmlns=\"{QF_NS}\"><Question>{}</Question></QuestionForm>", "x".repeat(70_000));
    add("a Test of 70 KB", create(&[("Test", &huge_test), ("TestDurationInSeconds", "60")]), Legacy(INVALID));
    for (what, doc) in bad_documents("QuestionForm", QF_NS) {
        add(&format!("a Test with {what}"), create(&[("Test", &doc), ("TestDurationInSeconds", "60")]), Legacy(XML));
    }
    add(
        "a QuestionForm without a Question",
        create(&[("Test", &format!("<QuestionForm xmlns=\"{QF_NS}\"/>")), ("TestDurationInSeconds", "60")]),
        Legacy(XML),
    );
    let key_with = |inner: &str| format!("<AnswerKey xmlns=\"{KEY_NS}\">{inner}</AnswerKey>");
    for (what, doc) in [
        ("no namespace", "<AnswerKey><Question/></AnswerKey>".to_owned()),
        ("a DOCTYPE", billion_laughs("AnswerKey", KEY_NS)),
        (
            "a score that is a word",
            key_with("<Question><QuestionIdentifier>q1</QuestionIdentifier><AnswerOption><SelectionIdentifier>4</SelectionIdentifier><AnswerScore>ten</AnswerScore></AnswerOption></Question>"),
        ),
        (
            "a score beyond i64",
            key_with("<Question><QuestionIdentifier>q1</QuestionIdentifier><AnswerOption><SelectionIdentifier>4</SelectionIdentifier><AnswerScore>99999999999999999999</AnswerScore></AnswerOption></Question>"),
        ),
        ("a Question without its identifier", key_with("<Question><AnswerOption/></Question>")),
        (
            "MaximumSummedScore 0",
            key_with("<QualificationValueMapping><PercentageMapping><MaximumSummedScore>0</MaximumSummedScore></PercentageMapping></QualificationValueMapping>"),
        ),
        (
            "a range bound that is a word",
            key_with("<QualificationValueMapping><RangeMapping><SummedScoreRange><InclusiveLowerBound>low</InclusiveLowerBound></SummedScoreRange></RangeMapping></QualificationValueMapping>"),
        ),
    ] {
        add(
            &format!("an AnswerKey with {what}"),
            create(&[("Test", QF), ("TestDurationInSeconds", "60"), ("AnswerKey", &doc)]),
            Legacy(XML),
        );
    }
    add(
        "UpdateQualificationType with a Test that is a DOCTYPE bomb",
        signed_post(
            "UpdateQualificationType",
            &[
                ("QualificationTypeId", &f.plain),
                ("Test", &billion_laughs("QuestionForm", QF_NS)),
                ("TestDurationInSeconds", "60"),
            ],
        ),
        Legacy(XML),
    );
    for (what, id) in [
        ("lower case", "3abcdefghij"),
        ("SQL", "1' OR '1'='1"),
        ("a path", "../../etc/passwd"),
        ("65 characters", &"A".repeat(65) as &str),
        ("full-width letters", "\u{ff21}\u{ff22}\u{ff23}"),
    ] {
        add(
            &format!("a QualificationTypeId with {what}"),
            signed_post("GetQualificationType", &[("QualificationTypeId", id)]),
            Legacy(INVALID),
        );
    }
    add(
        "an unknown QualificationTypeId",
        signed_post("GetQualificationType", &[("QualificationTypeId", UNKNOWN_TYPE)]),
        Legacy("AWS.MechanicalTurk.QualificationTypeDoesNotExist"),
    );
    for (what, worker) in [
        ("lower case", "a1b2c3"),
        ("the wrong first letter", "B123456"),
        ("one letter", "A"),
        ("65 characters", &"A".repeat(65) as &str),
        ("SQL", "A1'; DROP TABLE qualifications; --"),
    ] {
        add(
            &format!("a WorkerId with {what}"),
            signed_post("AssignQualification", &[("QualificationTypeId", &f.plain), ("WorkerId", worker)]),
            Legacy(INVALID),
        );
    }
    add(
        "assigning a system type",
        signed_post(
            "AssignQualification",
            &[("QualificationTypeId", "2F1QJWKUDD8XADTFD2Q0G6UTO95ALH"), ("WorkerId", W_NEW)],
        ),
        Legacy("AWS.MechanicalTurk.PermissionDenied"),
    );
    add(
        "assigning a qualification held already",
        signed_post("AssignQualification", &[("QualificationTypeId", &f.plain), ("WorkerId", W_GRANTED)]),
        Legacy("AWS.MechanicalTurk.QualificationAlreadyExists"),
    );

    // --- Legacy: injection in Reason, reaching the store's statements as bound values.
    for (what, reason) in [
        ("SQL", "x'); DELETE FROM qualifications; --"),
        ("SQL with a comment", "'/**/OR/**/1=1/**/--"),
        ("a closing XML element", "</Reason></RevokeQualificationRequest><IsValid>True</IsValid>"),
        ("a CDATA end", "]]><Injected/>"),
        ("an entity", "&xxe; &amp; &#0;"),
    ] {
        add(
            &format!("a Reason with {what} on a revoked qualification, echoed"),
            signed_post(
                "RevokeQualification",
                &[
                    ("QualificationTypeId", &f.plain),
                    ("SubjectId", W_REVOKED),
                    ("Reason", reason),
                    ("ResponseGroup", "Request"),
                ],
            ),
            Legacy("AWS.MechanicalTurk.InvalidQualificationState"),
        );
    }
    let long_reason = "r".repeat(4097);
    add(
        "a Reason of 4097 characters on a granted qualification",
        signed_post(
            "RevokeQualification",
            &[("QualificationTypeId", &f.plain), ("SubjectId", W_GRANTED), ("Reason", &long_reason)],
        ),
        Legacy(INVALID),
    );
    add(
        "a Reason with NUL on a granted qualification",
        signed_post(
            "RevokeQualification",
            &[("QualificationTypeId", &f.plain), ("SubjectId", W_GRANTED), ("Reason", "a\u{0}b")],
        ),
        Legacy(INVALID),
    );
    add(
        "revoking a qualification never held",
        signed_post("RevokeQualification", &[("QualificationTypeId", &f.plain), ("SubjectId", W_NEW), ("Reason", "x")]),
        Legacy("AWS.MechanicalTurk.QualificationDoesNotExist"),
    );
    add(
        "UpdateQualificationScore without IntegerValue",
        signed_post("UpdateQualificationScore", &[("QualificationTypeId", &f.plain), ("SubjectId", W_GRANTED)]),
        Legacy(MISSING),
    );
    add(
        "GrantQualification IntegerValue abc",
        signed_post("GrantQualification", &[("QualificationRequestId", &f.pending), ("IntegerValue", "abc")]),
        Legacy(INVALID),
    );
    add(
        "GrantQualification of an unknown request",
        signed_post("GrantQualification", &[("QualificationRequestId", "3NOSUCHREQUEST000000000000000")]),
        Legacy("AWS.MechanicalTurk.QualificationRequestDoesNotExist"),
    );
    let long_request = "R".repeat(256);
    add(
        "a QualificationRequestId of 256 characters",
        signed_post("GrantQualification", &[("QualificationRequestId", &long_request)]),
        Legacy(INVALID),
    );
    add(
        "RejectQualificationRequest with a Reason of 4097 characters",
        signed_post("RejectQualificationRequest", &[("QualificationRequestId", &f.pending), ("Reason", &long_reason)]),
        Legacy(INVALID),
    );
    add("BlockWorker without Reason", signed_post("BlockWorker", &[("WorkerId", W_NEW)]), Legacy(MISSING));
    add(
        "BlockWorker with a Reason of 4097 characters",
        signed_post("BlockWorker", &[("WorkerId", W_NEW), ("Reason", &long_reason)]),
        Legacy(INVALID),
    );
    let hundred_and_one: Vec<(String, String)> =
        (1..=101).map(|i| (format!("WorkerId.{i}"), format!("AW{i}"))).collect();
    let mut notify = pairs(&[("Subject", "s"), ("MessageText", "m")]);
    notify.extend(hundred_and_one);
    let refs: Vec<(&str, &str)> = notify.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    add("NotifyWorkers to 101 workers", signed_post("NotifyWorkers", &refs), Legacy(INVALID));
    add(
        "NotifyWorkers to a malformed worker",
        signed_post("NotifyWorkers", &[("Subject", "s"), ("MessageText", "m"), ("WorkerId.1", "not-a-worker")]),
        Legacy(INVALID),
    );
    add(
        "NotifyWorkers without a Subject",
        signed_post("NotifyWorkers", &[("MessageText", "m"), ("WorkerId.1", W_GRANTED)]),
        Legacy(MISSING),
    );
    let long_subject = "s".repeat(201);
    add(
        "NotifyWorkers with a Subject of 201 characters",
        signed_post("NotifyWorkers", &[("Subject", &long_subject), ("MessageText", "m"), ("WorkerId.1", W_GRANTED)]),
        Legacy(INVALID),
    );
    add(
        "GetQualificationsForQualificationType Status Maybe",
        signed_post("GetQualificationsForQualificationType", &[("QualificationTypeId", &f.plain), ("Status", "Maybe")]),
        Legacy(INVALID),
    );
    add(
        "GetQualificationRequests SortProperty Bogus",
        signed_post("GetQualificationRequests", &[("SortProperty", "Bogus")]),
        Legacy(INVALID),
    );

    // --- Control plane: bad answers and bad bodies.
    let worker_request = |worker: &str, body: Vec<u8>| Send::Http {
        method: "POST",
        path: format!("/_local/workers/{worker}/qualification-requests"),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body,
    };
    let answer_body =
        |answer: &str| json!({"QualificationTypeId": f.tested, "Answer": answer}).to_string().into_bytes();
    for (what, doc) in bad_documents("QuestionFormAnswers", ANSWERS_NS) {
        add(&format!("a worker's Answer with {what}"), worker_request(W_NEW, answer_body(&doc)), Control(400, XML));
    }
    let huge_answer =
        format!("<QuestionFormAnswers xmlns=\"{ANSWERS_NS}\">{}</QuestionFormAnswers>", "x".repeat(70_000));
    add("a worker's Answer of 70 KB", worker_request(W_NEW, answer_body(&huge_answer)), Control(400, INVALID));
    add(
        "an Answer for a type without a test",
        worker_request(W_NEW, json!({"QualificationTypeId": f.plain, "Answer": "<x/>"}).to_string().into_bytes()),
        Control(400, INVALID),
    );
    let answer_test = |body: Vec<u8>| Send::Http {
        method: "POST",
        path: format!("/_local/workers/{W_TESTING}/qualification-requests/{}/answer", f.testing),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body,
    };
    add(
        "a test answer that is not XML",
        answer_test(json!({"Answer": "<<<"}).to_string().into_bytes()),
        Control(400, XML),
    );
    add(
        "a test answer with a DOCTYPE bomb",
        answer_test(json!({"Answer": billion_laughs("QuestionFormAnswers", ANSWERS_NS)}).to_string().into_bytes()),
        Control(400, XML),
    );
    add("a test answer body that is not JSON", answer_test(b"{\"Answer\": ".to_vec()), Control(400, INVALID));
    add(
        "a test answer body with an unknown field",
        answer_test(br#"{"Answer": "x", "Score": 100}"#.to_vec()),
        Control(400, INVALID),
    );
    add("a test answer body of the wrong type", answer_test(br#"{"Answer": 42}"#.to_vec()), Control(400, INVALID));
    add(
        "a request body of the wrong type",
        worker_request(W_NEW, br#"{"QualificationTypeId": 5}"#.to_vec()),
        Control(400, INVALID),
    );
    add("a request body that is an array", worker_request(W_NEW, b"[]".to_vec()), Control(400, INVALID));
    add(
        "a request body nested 10 000 deep",
        worker_request(W_NEW, "[".repeat(10_000).into_bytes()),
        Control(400, INVALID),
    );
    add("a request by a lower-case worker", worker_request("alower", answer_body("x")), Control(400, INVALID));
    add("a request by a worker with NUL", worker_request("A%00B", answer_body("x")), Control(400, INVALID));
    add(
        "a request for an unknown type",
        worker_request(W_NEW, json!({"QualificationTypeId": UNKNOWN_TYPE}).to_string().into_bytes()),
        Control(404, "AWS.MechanicalTurk.QualificationTypeDoesNotExist"),
    );
    add(
        "a request for a type id with SQL",
        worker_request(W_NEW, json!({"QualificationTypeId": "x' OR 1=1 --"}).to_string().into_bytes()),
        Control(400, INVALID),
    );
    let clock = |body: &str| Send::Http {
        method: "POST",
        path: "/_local/clock".into(),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: body.as_bytes().to_vec(),
    };
    add("the clock moved back", clock(r#"{"AdvanceSeconds": -1}"#), Control(400, RANGE));
    add("the clock moved by 1e300", clock(r#"{"AdvanceSeconds": 1e300}"#), Control(400, INVALID));
    add("the clock moved by 2^64", clock(r#"{"AdvanceSeconds": 18446744073709551616}"#), Control(400, INVALID));
    add("the clock set to a word", clock(r#"{"Set": "tomorrow"}"#), Control(400, INVALID));
    add(
        "the clock moved and set at once",
        clock(r#"{"AdvanceSeconds": 1, "Set": "2030-01-01T00:00:00Z"}"#),
        Control(400, INVALID),
    );
    add("the clock with a body that is not JSON", clock("AdvanceSeconds=60"), Control(400, INVALID));

    // --- JSON API: bodies, members and targets (validly signed, so they reach the handler).
    let json_call = |target: &str, body: &[u8]| Send::Http {
        method: "POST",
        path: "/".into(),
        headers: sigv4_headers(DEV_KEY, DEV_SECRET, &host, target, body, app.wall.now())
            .into_iter()
            .filter(|(k, _)| k != "host")
            .collect(),
        body: body.to_vec(),
    };
    for (what, body) in [
        ("an unclosed object", b"{".to_vec()),
        ("a missing value", br#"{"a":}"#.to_vec()),
        ("trailing garbage", b"{} x".to_vec()),
        ("an array", b"[]".to_vec()),
        ("a string", br#""GetAccountBalance""#.to_vec()),
        ("null", b"null".to_vec()),
        ("a number", b"1".to_vec()),
        ("invalid UTF-8", b"{\"a\": \"\xff\xfe\"}".to_vec()),
        ("a byte-order mark", b"\xef\xbb\xbf{}".to_vec()),
        ("10 000 nested arrays", format!("{{\"a\": {}}}", "[".repeat(10_000)).into_bytes()),
        ("a number beyond f64", br#"{"a": 1e400}"#.to_vec()),
    ] {
        add(&format!("a JSON body with {what}"), json_call("GetAccountBalance", &body), Json(400, INVALID));
    }
    let associate = |value: &str| {
        json_call(
            "AssociateQualificationWithWorker",
            format!(r#"{{"QualificationTypeId": "{}", "WorkerId": "{W_NEW}", "IntegerValue": {value}}}"#, f.plain)
                .as_bytes(),
        )
    };
    for v in ["99999999999999999999", "1.5", "\"5\"", "true", "[1]", "{}"] {
        add(&format!("IntegerValue {v}"), associate(v), Json(400, INVALID));
    }
    add("IntegerValue 2^31", associate("2147483648"), Json(400, RANGE));
    for (what, v) in [("a number", "5"), ("a list", "[]"), ("an object", "{}"), ("SQL", "\"1' OR '1'='1\"")] {
        add(
            &format!("a QualificationTypeId that is {what}"),
            json_call("GetQualificationType", format!(r#"{{"QualificationTypeId": {v}}}"#).as_bytes()),
            Json(400, INVALID),
        );
    }
    add(
        "a null QualificationTypeId",
        json_call("GetQualificationType", br#"{"QualificationTypeId": null}"#),
        Json(400, MISSING),
    );
    add(
        "a duplicated member whose last value is a number",
        json_call(
            "GetQualificationType",
            format!(r#"{{"QualificationTypeId": "{}", "QualificationTypeId": 5}}"#, f.plain).as_bytes(),
        ),
        Json(400, INVALID),
    );
    add(
        "WorkerIds that is a string",
        json_call("NotifyWorkers", br#"{"Subject": "s", "MessageText": "m", "WorkerIds": "AW1"}"#),
        Json(400, INVALID),
    );
    add(
        "WorkerIds of numbers",
        json_call("NotifyWorkers", br#"{"Subject": "s", "MessageText": "m", "WorkerIds": [1, 2]}"#),
        Json(400, INVALID),
    );
    for (what, v, code) in
        [("a string", "\"10\"", INVALID), ("0", "0", RANGE), ("101", "101", RANGE), ("-1", "-1", RANGE)]
    {
        add(
            &format!("MaxResults {what}"),
            json_call("ListWorkerBlocks", format!(r#"{{"MaxResults": {v}}}"#).as_bytes()),
            Json(400, code),
        );
    }
    add("a forged NextToken", json_call("ListWorkerBlocks", br#"{"NextToken": "djE6MTox"}"#), Json(400, INVALID));
    let long_token = format!(r#"{{"NextToken": "{}"}}"#, "A".repeat(10_000));
    add("a NextToken of 10 KB", json_call("ListWorkerBlocks", long_token.as_bytes()), Json(400, INVALID));
    add(
        "Status Maybe",
        json_call(
            "ListWorkersWithQualificationType",
            format!(r#"{{"QualificationTypeId": "{}", "Status": "Maybe"}}"#, f.plain).as_bytes(),
        ),
        Json(400, INVALID),
    );
    add(
        "a JSON Test that is a DOCTYPE bomb",
        json_call(
            "CreateQualificationType",
            json!({"Name": "j", "Description": "d", "QualificationTypeStatus": "Active", "Test": billion_laughs("QuestionForm", QF_NS), "TestDurationInSeconds": 60})
                .to_string()
                .as_bytes(),
        ),
        Json(400, XML),
    );
    add(
        "a JSON AnswerKey with an external entity",
        json_call(
            "CreateQualificationType",
            json!({"Name": "j", "Description": "d", "QualificationTypeStatus": "Active", "Test": QF, "TestDurationInSeconds": 60, "AnswerKey": external_entity("AnswerKey", KEY_NS)})
                .to_string()
                .as_bytes(),
        ),
        Json(400, XML),
    );
    add(
        "a JSON Name of 1001 characters",
        json_call(
            "CreateQualificationType",
            json!({"Name": long_name, "Description": "d", "QualificationTypeStatus": "Active"}).to_string().as_bytes(),
        ),
        Json(400, INVALID),
    );
    add(
        "a JSON revoke Reason with SQL on a revoked qualification",
        json_call(
            "DisassociateQualificationFromWorker",
            json!({"QualificationTypeId": f.plain, "WorkerId": W_REVOKED, "Reason": "'); DROP TABLE worker_notifications; --"}).to_string().as_bytes(),
        ),
        Json(400, "AWS.MechanicalTurk.InvalidQualificationState"),
    );
    let oversized = format!(r#"{{"Reason": "{}"}}"#, "x".repeat(1_100_000));
    add("a JSON body over the limit", json_call("GetAccountBalance", oversized.as_bytes()), Json(400, RANGE));
    for (what, target) in [
        ("an empty operation", "MTurkRequesterServiceV20170117."),
        ("another service", "AmazonS3.GetAccountBalance"),
        ("a lower-case operation", "MTurkRequesterServiceV20170117.getaccountbalance"),
        ("a dotted suffix", "MTurkRequesterServiceV20170117.GetAccountBalance.Extra"),
        ("nothing", ""),
        ("10 KB", &"T".repeat(10_000) as &str),
    ] {
        add(
            &format!("an X-Amz-Target of {what}"),
            Send::Http {
                method: "POST",
                path: "/".into(),
                headers: vec![
                    ("X-Amz-Target".into(), target.into()),
                    ("Content-Type".into(), "application/x-amz-json-1.1".into()),
                ],
                body: b"{}".to_vec(),
            },
            Json(400, INVALID),
        );
    }
    let mut get_json = json_call("GetAccountBalance", b"{}");
    if let Send::Http { method, .. } = &mut get_json {
        *method = "GET";
    }
    add("a JSON call by GET", get_json, Json(400, INVALID));
    let mut wrong_type = json_call("GetAccountBalance", b"{}");
    if let Send::Http { headers, .. } = &mut wrong_type {
        for (k, v) in headers.iter_mut() {
            if k == "content-type" {
                "text/xml".clone_into(v);
            }
        }
    }
    add("a JSON call sent as text/xml", wrong_type, Json(400, INVALID));

    // --- JSON API: authentication.
    let with_auth = |auth: Option<String>, date: Option<String>| {
        let mut headers = vec![
            ("X-Amz-Target".to_owned(), "MTurkRequesterServiceV20170117.GetAccountBalance".to_owned()),
            ("Content-Type".to_owned(), "application/x-amz-json-1.1".to_owned()),
        ];
        if let Some(a) = auth {
            headers.push(("Authorization".into(), a));
        }
        if let Some(d) = date {
            headers.push(("X-Amz-Date".into(), d));
        }
        Send::Http { method: "POST", path: "/".into(), headers, body: b"{}".to_vec() }
    };
    let now = amz_date(app.wall.now());
    let day = now[..8].to_owned();
    let sig = "0".repeat(64);
    let cred = |key: &str, service: &str| {
        format!("AWS4-HMAC-SHA256 Credential={key}/{day}/us-east-1/{service}/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature={sig}")
    };
    add("no Authorization", with_auth(None, Some(now.clone())), Json(403, "MissingAuthenticationTokenException"));
    for (what, auth) in [
        ("Basic credentials", "Basic Zm9vOmJhcg==".to_owned()),
        ("the algorithm alone", "AWS4-HMAC-SHA256".to_owned()),
        ("no Credential", format!("AWS4-HMAC-SHA256 SignedHeaders=host, Signature={sig}")),
        ("a signature that is not hex", cred(DEV_KEY, "mturk-requester").replace(&sig, &"z".repeat(64))),
        ("a 63-digit signature", cred(DEV_KEY, "mturk-requester").replace(&sig, &"0".repeat(63))),
        (
            "a three-part Credential",
            format!("AWS4-HMAC-SHA256 Credential={DEV_KEY}/{day}/us-east-1, SignedHeaders=host, Signature={sig}"),
        ),
        ("a dashed Credential date", cred(DEV_KEY, "mturk-requester").replace(&day, "2026-01-01")),
        ("8 KB of garbage", format!("AWS4-HMAC-SHA256 {}", "G".repeat(8192))),
    ] {
        add(
            &format!("an Authorization with {what}"),
            with_auth(Some(auth), Some(now.clone())),
            Json(400, "IncompleteSignatureException"),
        );
    }
    add(
        "no X-Amz-Date",
        with_auth(Some(cred(DEV_KEY, "mturk-requester")), None),
        Json(400, "IncompleteSignatureException"),
    );
    add(
        "an X-Amz-Date that is a word",
        with_auth(Some(cred(DEV_KEY, "mturk-requester")), Some("today".into())),
        Json(400, "IncompleteSignatureException"),
    );
    add(
        "a Credential scoped to IAM",
        with_auth(Some(cred(DEV_KEY, "iam")), Some(now.clone())),
        Json(403, "InvalidSignatureException"),
    );
    let yesterday = amz_date(app.wall.now().plus_seconds(-86_400));
    add(
        "an X-Amz-Date a day old",
        with_auth(Some(cred(DEV_KEY, "mturk-requester").replace(&day, &yesterday[..8])), Some(yesterday.clone())),
        Json(403, "InvalidSignatureException"),
    );
    add(
        "an X-Amz-Date on another day than the Credential",
        with_auth(Some(cred(DEV_KEY, "mturk-requester")), Some(yesterday)),
        Json(403, "InvalidSignatureException"),
    );
    add(
        "an unknown access key",
        with_auth(Some(cred("AKIANOBODYKNOWSTHIS0", "mturk-requester")), Some(now.clone())),
        Json(403, "UnrecognizedClientException"),
    );
    add(
        "a wrong signature",
        with_auth(Some(cred(DEV_KEY, "mturk-requester")), Some(now.clone())),
        Json(403, "InvalidSignatureException"),
    );
    add(
        "a signature that does not cover the host",
        with_auth(
            Some(cred(DEV_KEY, "mturk-requester").replace("SignedHeaders=host;", "SignedHeaders=")),
            Some(now.clone()),
        ),
        Json(403, "InvalidSignatureException"),
    );
    add(
        "a signature that does not cover X-Amz-Target",
        with_auth(Some(cred(DEV_KEY, "mturk-requester").replace(";x-amz-target,", ",")), Some(now.clone())),
        Json(403, "IncompleteSignatureException"),
    );
    let mut tampered =
        json_call("GetQualificationType", format!(r#"{{"QualificationTypeId": "{}"}}"#, f.plain).as_bytes());
    if let Send::Http { body, .. } = &mut tampered {
        *body = format!(r#"{{"QualificationTypeId": "{}"}}"#, f.theirs).into_bytes();
    }
    add("a body changed after signing", tampered, Json(403, "InvalidSignatureException"));

    // --- Raw connections: bytes no HTTP client library sends, slow and truncated bodies.
    let raw = |pieces: Vec<Vec<u8>>, pause_ms: u64, close: bool| Send::Raw {
        pieces,
        pause: Duration::from_millis(pause_ms),
        close,
    };
    let head = |method: &str, extra: &str, len: usize| {
        format!("{method} / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{extra}Content-Length: {len}\r\n\r\n")
            .into_bytes()
    };
    let form_head = |len: usize| head("POST", "Content-Type: application/x-www-form-urlencoded\r\n", len);
    let revoke = form(&signed(
        "RevokeQualification",
        &[("QualificationTypeId", &f.plain), ("SubjectId", W_NEW), ("Reason", "slow")],
    ));
    let mut slow = vec![form_head(revoke.len())];
    slow.extend(revoke.chunks(revoke.len() / 8 + 1).map(<[u8]>::to_vec));
    add(
        "a legacy body sent in nine pieces, 150 ms apart",
        raw(slow, 150, false),
        Legacy("AWS.MechanicalTurk.QualificationDoesNotExist"),
    );
    let mut slow_head = Vec::new();
    let whole = [form_head(revoke.len()), revoke.clone()].concat();
    slow_head.extend(whole.chunks(17).map(<[u8]>::to_vec));
    add(
        "a legacy request sent 17 bytes at a time",
        raw(slow_head, 5, false),
        Legacy("AWS.MechanicalTurk.QualificationDoesNotExist"),
    );
    let score_body = json!({"QualificationTypeId": f.plain, "WorkerId": W_NEW}).to_string().into_bytes();
    let json_head = {
        let mut h = format!("POST / HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n", score_body.len());
        for (k, v) in sigv4_headers(DEV_KEY, DEV_SECRET, &host, "GetQualificationScore", &score_body, app.wall.now()) {
            let _ = write!(h, "{k}: {v}\r\n");
        }
        h.push_str("\r\n");
        h.into_bytes()
    };
    let mut slow_json = vec![json_head.clone()];
    slow_json.extend(score_body.chunks(10).map(<[u8]>::to_vec));
    add(
        "a JSON body sent 10 bytes at a time",
        raw(slow_json, 100, false),
        Json(400, "AWS.MechanicalTurk.QualificationDoesNotExist"),
    );
    add(
        "a legacy body shorter than its Content-Length, then closed",
        raw(vec![form_head(revoke.len() + 1000), revoke.clone()], 0, true),
        ErrorOrClosed,
    );
    add(
        "a JSON body shorter than its Content-Length, then closed",
        raw(vec![json_head.clone(), score_body[..10].to_vec()], 0, true),
        ErrorOrClosed,
    );
    add(
        "a chunked legacy body cut off mid-chunk",
        raw(
            vec![
                format!("POST / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n").into_bytes(),
                revoke[..20].to_vec(),
            ],
            0,
            true,
        ),
        ErrorOrClosed,
    );
    let big_chunk = vec![b'a'; 64 * 1024];
    let mut chunked = vec![format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes()];
    for _ in 0..20 {
        chunked.push([format!("{:x}\r\n", big_chunk.len()).into_bytes(), big_chunk.clone(), b"\r\n".to_vec()].concat());
    }
    chunked.push(b"0\r\n\r\n".to_vec());
    add("a chunked body of 1.25 MB", raw(chunked, 0, false), Legacy(RANGE));
    add(
        "a query string with raw invalid UTF-8",
        raw(
            vec![[
                b"GET /?Operation=GetAccountBalance&X=\xff\xfe HTTP/1.1\r\n".to_vec(),
                format!("Host: {host}\r\nConnection: close\r\n\r\n").into_bytes(),
            ]
            .concat()],
            0,
            false,
        ),
        Http4xx,
    );
    add(
        "an Authorization header with raw non-ASCII bytes",
        raw(
            vec![[
                format!("POST / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nX-Amz-Target: MTurkRequesterServiceV20170117.GetAccountBalance\r\nContent-Length: 2\r\nAuthorization: AWS4-HMAC-SHA256 ").into_bytes(),
                b"\xff\xfe\xfd\r\n\r\n{}".to_vec(),
            ]
            .concat()],
            0,
            false,
        ),
        Json(403, "MissingAuthenticationTokenException"),
    );
    add(
        "an X-Amz-Target with raw non-ASCII bytes",
        raw(
            vec![[
                format!("POST / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: 2\r\nX-Amz-Target: ")
                    .into_bytes(),
                b"MTurkRequesterServiceV20170117.\xc3\xa9\r\n\r\n{}".to_vec(),
            ]
            .concat()],
            0,
            false,
        ),
        Json(400, INVALID),
    );
    add("a request line of garbage", raw(vec![b"GARBAGE\r\n\r\n".to_vec()], 0, false), Http4xx);
    add(
        "a header without a colon",
        raw(vec![format!("GET / HTTP/1.1\r\nHost: {host}\r\nNoColonHere\r\n\r\n").into_bytes()], 0, false),
        Http4xx,
    );
    add(
        "a Content-Length that is a word",
        raw(
            vec![format!("POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: lots\r\n\r\nOperation=x").into_bytes()],
            0,
            false,
        ),
        Http4xx,
    );
    add(
        "two different Content-Lengths",
        raw(
            vec![format!("POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef")
                .into_bytes()],
            0,
            false,
        ),
        Http4xx,
    );
    out
}

async fn run_table(app: TestApp) {
    let f = fixture(&app).await;
    let before = table_rows(&app.database).await;
    let table = cases(&app, &f);
    assert!(table.len() >= 100, "only {} hostile requests", table.len());
    let mut failures = Vec::new();
    for case in &table {
        let answered = tokio::time::timeout(ANSWER_WITHIN * 2, send(&app, &case.send)).await;
        let outcome = match answered {
            Err(_) => Err(format!("no answer within {:?} (a hang)", ANSWER_WITHIN * 2)),
            Ok(Err(e)) => Err(e),
            Ok(Ok(got)) => check(case.expect, got),
        };
        if let Err(e) = outcome {
            failures.push(format!("{}: {}", case.what, e.chars().take(600).collect::<String>()));
        }
    }
    // The server is still up and answers normally.
    app.call("GetAccountBalance", &[]).await.ok();
    let after = table_rows(&app.database).await;
    eprintln!("hostile: {} requests, {} failures", table.len(), failures.len());
    assert!(
        failures.is_empty(),
        "{} of {} hostile requests were mishandled:\n{}",
        failures.len(),
        table.len(),
        failures.join("\n")
    );
    let changes = diff(&before, &after);
    assert!(changes.is_empty(), "hostile requests changed the store:\n{}", changes.join("\n"));
}

both_backends!(every_hostile_request_gets_a_clear_error_and_leaves_the_store_unchanged, |app: TestApp| async move {
    run_table(app).await;
});

both_backends!(injection_in_a_reason_is_stored_as_plain_text, |app: TestApp| async move {
    let f = fixture(&app).await;
    let reason = "x'); DELETE FROM qualifications; -- </Reason><IsValid>True</IsValid> ]]> &amp; \"quoted\"";
    let before = table_rows(&app.database).await;
    app.call(
        "RevokeQualification",
        &[
            ("QualificationTypeId", &f.plain),
            ("SubjectId", W_GRANTED),
            ("Reason", reason),
            ("ResponseGroup", "Request"),
        ],
    )
    .await
    .ok();
    let after = table_rows(&app.database).await;
    let changes = diff(&before, &after);
    // Exactly the revoked row changed and one notice was added; nothing else.
    assert_eq!(changes.len(), 3, "{changes:#?}");
    assert!(changes.iter().filter(|c| c.starts_with("qualifications:")).count() == 2, "{changes:#?}");
    assert!(changes.iter().any(|c| c.starts_with("worker_notifications: new")), "{changes:#?}");
    let notes = app.control("GET", &format!("/workers/{W_GRANTED}/notifications"), None).await.json();
    assert_eq!(notes["Notifications"].as_array().unwrap().last().unwrap()["Text"], reason);
    let quals = app.control("GET", &format!("/workers/{W_GRANTED}/qualifications"), None).await.json();
    assert_eq!(quals["Qualifications"][0]["RevokeReason"], reason);
});

// ---------------------------------------------------------------------------
// Requester isolation, walking both dispatch tables.

/// What another requester's call naming our resource must get.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    /// Refused with this code.
    Code(&'static str),
    /// Allowed (public data, or the caller's own scope), checked by a predicate on the answer body.
    Allowed(fn(&str) -> bool),
}

/// One legacy isolation row: the operation, its parameters, what must come back.
type LegacyRow<'a> = (&'a str, Vec<(&'a str, &'a str)>, Refusal);

const DENIED: Refusal = Refusal::Code("AWS.MechanicalTurk.PermissionDenied");

fn no_answer_key(body: &str) -> bool {
    !body.contains("AnswerKey") && !body.contains("AnswerScore")
}

/// The other requester's listing of requests: empty, though ours has one.
fn no_requests(body: &str) -> bool {
    (body.contains("<TotalNumResults>0</TotalNumResults>") || body.contains("\"NumResults\":0"))
        && !body.contains(W_PENDING)
}

/// A legacy listing with nothing in it.
fn nothing_found(body: &str) -> bool {
    body.contains("<TotalNumResults>0</TotalNumResults>")
}

/// A JSON listing with nothing in it.
fn no_results(body: &str) -> bool {
    body.contains("\"NumResults\":0")
}

/// The other requester's listing of blocks: its own block, not ours.
fn blocks_are_own(body: &str) -> bool {
    body.contains(W_THEIRS) && !body.contains(W_BLOCKED)
}

const EXTERNAL_QUESTION: &str = r#"<ExternalQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/ExternalQuestion.xsd"><ExternalURL>https://example.org/task</ExternalURL><FrameHeight>600</FrameHeight></ExternalQuestion>"#;

/// One HIT of the development requester, requiring its plain type, with one
/// submitted assignment by W_GRANTED: `(HITId, HITTypeId, AssignmentId)`.
async fn hit_fixture(app: &TestApp, ep: &Endpoint, f: &Fixture) -> (String, String, String) {
    let created = ep
        .json(
            "CreateHIT",
            &json!({
                "Title": "isolation", "Description": "d", "Reward": "0.10", "MaxAssignments": 2,
                "LifetimeInSeconds": 3600, "AssignmentDurationInSeconds": 600, "Question": EXTERNAL_QUESTION,
                "QualificationRequirements": [{"QualificationTypeId": f.plain, "Comparator": "Exists"}],
            }),
        )
        .await
        .unwrap();
    assert_eq!(created.status, 200, "{}", created.body);
    let hit = created.json()["HIT"]["HITId"].as_str().unwrap().to_owned();
    let hit_type = created.json()["HIT"]["HITTypeId"].as_str().unwrap().to_owned();
    let accepted = app.control("POST", &format!("/workers/{W_GRANTED}/assignments"), Some(json!({"HITId": hit}))).await;
    let assignment = accepted.json()["AssignmentId"].as_str().unwrap_or_else(|| panic!("{}", accepted.body)).to_owned();
    let answer = format!(
        "<QuestionFormAnswers xmlns=\"{ANSWERS_NS}\"><Answer><QuestionIdentifier>q</QuestionIdentifier><FreeText>x</FreeText></Answer></QuestionFormAnswers>"
    );
    let submitted =
        app.control("POST", &format!("/assignments/{assignment}/submit"), Some(json!({"Answer": answer}))).await;
    assert_eq!(submitted.status, 200, "{}", submitted.body);
    (hit, hit_type, assignment)
}

both_backends!(every_operation_naming_another_requesters_resource_is_refused, |app: TestApp| async move {
    let f = fixture(&app).await;
    let ep = Endpoint::for_app(&app);
    let (hit, hit_type, assignment) = hit_fixture(&app, &ep, &f).await;
    let (hit, hit_type, assignment) = (hit.as_str(), hit_type.as_str(), assignment.as_str());
    let before = table_rows(&app.database).await;
    let t = f.tested.as_str();
    let p = f.plain.as_str();
    let legacy: Vec<LegacyRow> = vec![
        ("AssignQualification", vec![("QualificationTypeId", p), ("WorkerId", W_NEW)], DENIED),
        ("BlockWorker", vec![("WorkerId", W_THEIRS), ("Reason", "mine")], Refusal::Allowed(|_| true)),
        ("DisposeQualificationType", vec![("QualificationTypeId", p)], DENIED),
        ("GetAccountBalance", vec![], Refusal::Allowed(|b| b.contains("<Amount>25.00</Amount>"))),
        ("GetBlockedWorkers", vec![], Refusal::Allowed(blocks_are_own)),
        ("GetQualificationRequests", vec![("QualificationTypeId", p)], DENIED),
        ("GetQualificationScore", vec![("QualificationTypeId", p), ("SubjectId", W_GRANTED)], DENIED),
        ("GetQualificationType", vec![("QualificationTypeId", t)], Refusal::Allowed(no_answer_key)),
        ("GetQualificationsForQualificationType", vec![("QualificationTypeId", p)], DENIED),
        ("GrantQualification", vec![("QualificationRequestId", &f.pending)], DENIED),
        (
            "NotifyWorkers",
            vec![("Subject", "s"), ("MessageText", "m"), ("WorkerId.1", W_GRANTED)],
            Refusal::Allowed(|_| true),
        ),
        ("RejectQualificationRequest", vec![("QualificationRequestId", &f.pending), ("Reason", "no")], DENIED),
        (
            "RevokeQualification",
            vec![("QualificationTypeId", p), ("SubjectId", W_GRANTED), ("Reason", "mine now")],
            DENIED,
        ),
        (
            "SearchQualificationTypes",
            vec![("Query", "hostile"), ("MustBeRequestable", "false")],
            Refusal::Allowed(|b| no_answer_key(b) && !b.contains("hostile inactive") && b.contains("hostile tested")),
        ),
        ("UnblockWorker", vec![("WorkerId", W_BLOCKED)], Refusal::Allowed(|_| true)),
        (
            "UpdateQualificationScore",
            vec![("QualificationTypeId", p), ("SubjectId", W_GRANTED), ("IntegerValue", "1")],
            DENIED,
        ),
        ("UpdateQualificationType", vec![("QualificationTypeId", p), ("Description", "mine now")], DENIED),
        // HITs and assignments.
        ("ApproveAssignment", vec![("AssignmentId", assignment)], DENIED),
        ("ApproveRejectedAssignment", vec![("AssignmentId", assignment)], DENIED),
        ("ChangeHITTypeOfHIT", vec![("HITId", hit), ("HITTypeId", hit_type)], DENIED),
        (
            "CreateHIT",
            vec![("HITTypeId", hit_type), ("Question", EXTERNAL_QUESTION), ("LifetimeInSeconds", "3600")],
            DENIED,
        ),
        ("DisableHIT", vec![("HITId", hit)], DENIED),
        ("DisposeHIT", vec![("HITId", hit)], DENIED),
        ("ExtendHIT", vec![("HITId", hit), ("ExpirationIncrementInSeconds", "3600")], DENIED),
        ("ForceExpireHIT", vec![("HITId", hit)], DENIED),
        ("GetAssignment", vec![("AssignmentId", assignment)], DENIED),
        ("GetAssignmentsForHIT", vec![("HITId", hit)], DENIED),
        ("GetBonusPayments", vec![("HITId", hit)], DENIED),
        ("GetFileUploadURL", vec![("AssignmentId", assignment), ("QuestionIdentifier", "q")], DENIED),
        ("GetHIT", vec![("HITId", hit)], DENIED),
        // Statistics count the caller's own activity only: none here.
        (
            "GetRequesterStatistic",
            vec![("Statistic", "NumberAssignmentsPending")],
            Refusal::Allowed(|b| b.contains("<LongValue>0</LongValue>")),
        ),
        (
            "GetRequesterWorkerStatistic",
            vec![("Statistic", "NumberAssignmentsApproved"), ("WorkerId", W_GRANTED)],
            Refusal::Allowed(|b| b.contains("<LongValue>0</LongValue>")),
        ),
        ("GetReviewResultsForHIT", vec![("HITId", hit)], DENIED),
        ("GetHITsForQualificationType", vec![("QualificationTypeId", p)], Refusal::Allowed(nothing_found)),
        ("GetReviewableHITs", vec![("HITTypeId", hit_type)], Refusal::Allowed(nothing_found)),
        (
            "GrantBonus",
            vec![
                ("WorkerId", W_GRANTED),
                ("BonusAmount.1.Amount", "1.00"),
                ("BonusAmount.1.CurrencyCode", "USD"),
                ("AssignmentId", assignment),
                ("Reason", "thanks"),
            ],
            DENIED,
        ),
        ("RejectAssignment", vec![("AssignmentId", assignment)], DENIED),
        ("SearchHITs", vec![], Refusal::Allowed(nothing_found)),
        ("SetHITAsReviewing", vec![("HITId", hit)], DENIED),
        (
            "SetHITTypeNotification",
            vec![
                ("HITTypeId", hit_type),
                ("Notification.1.Destination", "me@example.com"),
                ("Notification.1.Transport", "Email"),
                ("Notification.1.Version", "2006-05-05"),
                ("Notification.1.EventType.1", "HITCreated"),
            ],
            DENIED,
        ),
    ];
    // The inactive type and the request listing, which other rows cannot name twice.
    let extra_legacy: Vec<LegacyRow> = vec![
        ("GetQualificationRequests", vec![], Refusal::Allowed(no_requests)),
        (
            "UpdateQualificationType",
            vec![("QualificationTypeId", &f.inactive), ("QualificationTypeStatus", "Active")],
            DENIED,
        ),
        ("DisposeQualificationType", vec![("QualificationTypeId", t)], DENIED),
        ("AssignQualification", vec![("QualificationTypeId", &f.inactive), ("WorkerId", W_NEW)], DENIED),
        ("ExtendHIT", vec![("HITId", hit), ("MaxAssignmentsIncrement", "1")], DENIED),
        ("GetBonusPayments", vec![("AssignmentId", assignment)], DENIED),
    ];
    // Operations that name no resource of anyone else: the caller's own creations.
    let own_scope = ["CreateQualificationType", "RegisterHITType", "Help", "SendTestEventNotification"];
    let mut problems = Vec::new();
    for (op, params, refusal) in legacy.iter().chain(&extra_legacy) {
        let r = app.call_as(OTHER_KEY, OTHER_SECRET, op, params).await;
        let fine = match refusal {
            Refusal::Code(code) => r.code().as_deref() == Some(code),
            Refusal::Allowed(check) => r.is_valid() && check(&r.body),
        };
        if !fine {
            problems.push(format!("legacy {op} {params:?}: {}", r.body));
        }
    }
    for op in mturk_local::protocol::legacy_xml::dispatch::OPERATIONS {
        if legacy.iter().any(|(name, _, _)| *name == op.name) || own_scope.contains(&op.name) {
            continue;
        }
        if op.handler.is_some() {
            problems.push(format!("legacy {} has a handler but no isolation row: add one", op.name));
            continue;
        }
        // Not built yet: it must still refuse, whatever it names.
        let r = app
            .call_as(
                OTHER_KEY,
                OTHER_SECRET,
                op.name,
                &[("QualificationTypeId", p), ("QualificationRequestId", &f.pending)],
            )
            .await;
        if r.code().as_deref() != Some("AWS.MechanicalTurk.NotImplemented") {
            problems.push(format!("legacy {} (not built): {}", op.name, r.body));
        }
    }

    let json_rows: Vec<(&str, Value, Refusal)> = vec![
        ("AcceptQualificationRequest", json!({"QualificationRequestId": f.pending}), DENIED),
        (
            "AssociateQualificationWithWorker",
            json!({"QualificationTypeId": p, "WorkerId": W_NEW, "IntegerValue": 5}),
            DENIED,
        ),
        ("CreateWorkerBlock", json!({"WorkerId": W_THEIRS, "Reason": "mine"}), Refusal::Allowed(|_| true)),
        ("DeleteQualificationType", json!({"QualificationTypeId": p}), DENIED),
        ("DeleteWorkerBlock", json!({"WorkerId": W_BLOCKED}), Refusal::Allowed(|_| true)),
        (
            "DisassociateQualificationFromWorker",
            json!({"QualificationTypeId": p, "WorkerId": W_GRANTED, "Reason": "x"}),
            DENIED,
        ),
        ("GetAccountBalance", json!({}), Refusal::Allowed(|b| b.contains("\"AvailableBalance\":\"25.00\""))),
        ("GetQualificationScore", json!({"QualificationTypeId": p, "WorkerId": W_GRANTED}), DENIED),
        ("GetQualificationType", json!({"QualificationTypeId": t}), Refusal::Allowed(no_answer_key)),
        ("ListQualificationRequests", json!({"QualificationTypeId": p}), DENIED),
        (
            "ListQualificationTypes",
            json!({"Query": "hostile", "MustBeRequestable": false}),
            Refusal::Allowed(|b| no_answer_key(b) && !b.contains("hostile inactive") && b.contains("hostile tested")),
        ),
        ("ListWorkerBlocks", json!({}), Refusal::Allowed(blocks_are_own)),
        ("ListWorkersWithQualificationType", json!({"QualificationTypeId": p}), DENIED),
        (
            "NotifyWorkers",
            json!({"Subject": "s", "MessageText": "m", "WorkerIds": [W_GRANTED]}),
            Refusal::Allowed(|b| b.contains("HardFailure") && b.contains(W_GRANTED)),
        ),
        ("RejectQualificationRequest", json!({"QualificationRequestId": f.pending, "Reason": "no"}), DENIED),
        ("UpdateQualificationType", json!({"QualificationTypeId": p, "Description": "mine now"}), DENIED),
        // HITs and assignments.
        ("ApproveAssignment", json!({"AssignmentId": assignment}), DENIED),
        ("CreateAdditionalAssignmentsForHIT", json!({"HITId": hit, "NumberOfAdditionalAssignments": 1}), DENIED),
        (
            "CreateHITWithHITType",
            json!({"HITTypeId": hit_type, "Question": EXTERNAL_QUESTION, "LifetimeInSeconds": 3600}),
            DENIED,
        ),
        ("DeleteHIT", json!({"HITId": hit}), DENIED),
        ("GetAssignment", json!({"AssignmentId": assignment}), DENIED),
        ("GetFileUploadURL", json!({"AssignmentId": assignment, "QuestionIdentifier": "q"}), DENIED),
        ("GetHIT", json!({"HITId": hit}), DENIED),
        ("ListReviewPolicyResultsForHIT", json!({"HITId": hit}), DENIED),
        ("ListAssignmentsForHIT", json!({"HITId": hit}), DENIED),
        ("ListBonusPayments", json!({"HITId": hit}), DENIED),
        ("ListHITs", json!({}), Refusal::Allowed(no_results)),
        ("ListHITsForQualificationType", json!({"QualificationTypeId": p}), Refusal::Allowed(no_results)),
        ("ListReviewableHITs", json!({"HITTypeId": hit_type}), Refusal::Allowed(no_results)),
        ("RejectAssignment", json!({"AssignmentId": assignment, "RequesterFeedback": "no"}), DENIED),
        (
            "SendBonus",
            json!({"WorkerId": W_GRANTED, "BonusAmount": "1.00", "AssignmentId": assignment, "Reason": "thanks"}),
            DENIED,
        ),
        ("UpdateExpirationForHIT", json!({"HITId": hit, "ExpireAt": 0}), DENIED),
        ("UpdateHITReviewStatus", json!({"HITId": hit}), DENIED),
        ("UpdateHITTypeOfHIT", json!({"HITId": hit, "HITTypeId": hit_type}), DENIED),
        (
            "UpdateNotificationSettings",
            json!({"HITTypeId": hit_type, "Notification": {"Destination": "me@example.com", "Transport": "Email",
                "Version": "2006-05-05", "EventTypes": ["HITCreated"]}}),
            DENIED,
        ),
        ("UpdateNotificationSettings", json!({"HITTypeId": hit_type, "Active": false}), DENIED),
    ];
    // The caller's own creations, which name nothing of anyone else's.
    // SendTestEventNotification names no resource: it sends to the caller's own destination.
    let json_own_scope = ["CreateQualificationType", "CreateHIT", "CreateHITType", "SendTestEventNotification"];
    for (op, body, refusal) in &json_rows {
        let r = ep.json_as(OTHER_KEY, OTHER_SECRET, op, body).await.unwrap();
        let fine = match refusal {
            Refusal::Code(code) => r.status == 400 && r.json_code().as_deref() == Some(code),
            Refusal::Allowed(check) => r.status == 200 && check(&r.body),
        };
        if !fine {
            problems.push(format!("JSON {op} {body}: {} {}", r.status, r.body));
        }
    }
    let r =
        ep.json_as(OTHER_KEY, OTHER_SECRET, "ListBonusPayments", &json!({"AssignmentId": assignment})).await.unwrap();
    if !(r.status == 400 && r.json_code().as_deref() == Some("AWS.MechanicalTurk.PermissionDenied")) {
        problems.push(format!("JSON ListBonusPayments by assignment: {}", r.body));
    }
    let r = ep.json_as(OTHER_KEY, OTHER_SECRET, "ListQualificationRequests", &json!({})).await.unwrap();
    if !(r.status == 200 && no_requests(&r.body)) {
        problems.push(format!("JSON ListQualificationRequests without a type: {}", r.body));
    }
    for op in mturk_local::protocol::json::dispatch::OPERATIONS {
        if json_rows.iter().any(|(name, _, _)| *name == op.name) || json_own_scope.contains(&op.name) {
            continue;
        }
        if op.handler.is_some() {
            problems.push(format!("JSON {} has a handler but no isolation row: add one", op.name));
            continue;
        }
        let r = ep
            .json_as(
                OTHER_KEY,
                OTHER_SECRET,
                op.name,
                &json!({"QualificationTypeId": p, "QualificationRequestId": f.pending}),
            )
            .await
            .unwrap();
        if r.json_code().as_deref() != Some("AWS.MechanicalTurk.NotImplemented") {
            problems.push(format!("JSON {} (not built): {} {}", op.name, r.status, r.body));
        }
    }
    assert!(problems.is_empty(), "{} isolation failures:\n{}", problems.len(), problems.join("\n"));

    // Nothing the other requester did touched our data: their blocks and
    // unblocks were their own, and their notice to our worker was not delivered.
    let mut changes = diff(&before, &table_rows(&app.database).await);
    changes.retain(|c| !(c.starts_with("worker_blocks:") && c.contains(OTHER_KEY)));
    assert!(changes.is_empty(), "another requester changed our data:\n{}", changes.join("\n"));
    let blocks = app.call("GetBlockedWorkers", &[]).await.ok();
    assert!(blocks.body.contains(W_BLOCKED), "our block was lifted by someone else: {}", blocks.body);
});

/// A body that ends before its Content-Length is answered as "larger than the
/// limit", which sends a client looking for the wrong problem.
#[tokio::test]
async fn a_body_cut_short_is_not_reported_as_too_large() {
    let app = TestApp::spawn(&crate::common::Backend::Sqlite).await;
    let host = app.base.trim_start_matches("http://").to_owned();
    let body = form(&app.signed(DEV_KEY, DEV_SECRET, "GetAccountBalance", &[]));
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\n\r\n",
        body.len() + 100
    );
    let got = raw_exchange(host, vec![head.into_bytes(), body], Duration::ZERO, true).await.unwrap();
    if let Some(w) = got {
        let text = String::from_utf8_lossy(&w.body);
        assert!(!text.contains("larger than the limit"), "a short body was called too large: {text}");
    }
}

both_backends!(an_answer_key_with_extreme_scores_is_scored_without_a_panic, |app: TestApp| async move {
    // Regression for the overflow `cargo fuzz run score` found in documents::score:
    // a percentage over scores near i64::MAX panicked (debug) or wrapped (release).
    let key = format!(
        "<AnswerKey xmlns=\"{KEY_NS}\"><Question><QuestionIdentifier>q1</QuestionIdentifier><AnswerOption>\
         <SelectionIdentifier>4</SelectionIdentifier><AnswerScore>9223372036854775807</AnswerScore></AnswerOption>\
         </Question><QualificationValueMapping><PercentageMapping><MaximumSummedScore>1</MaximumSummedScore>\
         </PercentageMapping></QualificationValueMapping></AnswerKey>"
    );
    let type_id =
        app.create_type("extreme key", &[("Test", QF), ("AnswerKey", &key), ("TestDurationInSeconds", "600")]).await;
    let answer = format!(
        "<QuestionFormAnswers xmlns=\"{ANSWERS_NS}\"><Answer><QuestionIdentifier>q1</QuestionIdentifier>\
         <SelectionIdentifier>4</SelectionIdentifier></Answer></QuestionFormAnswers>"
    );
    let r = app
        .control(
            "POST",
            &format!("/workers/{W_NEW}/qualification-requests"),
            Some(json!({"QualificationTypeId": type_id, "Answer": answer})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["Status"], "Granted");
    assert_eq!(r.json()["IntegerValue"], i32::MAX, "the percentage is clamped, not wrapped");
});
