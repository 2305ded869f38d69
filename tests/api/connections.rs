//! Connection limits (issue 10, item 6), seen from raw sockets: the header,
//! idle and body timeouts, the cap on open connections, and shutdown. The
//! timeouts are configured at a second or two, and these tests wait that long
//! in real time: socket timeouts cannot run on the virtual clock.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use mturk_local::config::Settings;
use mturk_local::startup::{Application, Hooks};

use crate::common::{serde_urlencoded, test_settings, xml_text, TestApp};

/// Longer than any timeout configured here: a test that waits this long for
/// the server to act has found it not acting.
const PATIENCE: Duration = Duration::from_secs(5);

/// A cheap keep-alive request: the control plane's clock.
const CLOCK: &[u8] = b"GET /_local/clock HTTP/1.1\r\nHost: test\r\n\r\n";

fn timeouts(header: i64, idle: i64, body: i64) -> impl FnOnce(&mut Settings) {
    move |s: &mut Settings| {
        s.server.header_timeout_secs = header;
        s.server.idle_timeout_secs = idle;
        s.server.body_timeout_secs = body;
    }
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://")).await.expect("connect")
}

/// Waits up to `within` for the server to close the connection (end of
/// stream or reset); whatever it sent first is discarded. `false`: still open.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 4096];
    tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

/// A response read off the wire.
#[derive(Debug)]
struct Wire {
    status: u16,
    head: String,
    body: String,
}

/// Reads one response (our responses all carry Content-Length), or `None`
/// if none is complete within `within`.
async fn response_within(stream: &mut TcpStream, within: Duration) -> Option<Wire> {
    let read = async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4) {
                let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                let length = head
                    .lines()
                    .filter_map(|l| l.split_once(':'))
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.trim().parse::<usize>().ok())
                    .expect("a Content-Length");
                if buf.len() >= end + length {
                    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status");
                    let body = String::from_utf8_lossy(&buf[end..end + length]).into_owned();
                    return Some(Wire { status, head, body });
                }
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    };
    tokio::time::timeout(within, read).await.ok().flatten()
}

/// Sends `request` and reads its response.
async fn exchange(stream: &mut TcpStream, request: &[u8]) -> Wire {
    stream.write_all(request).await.expect("send");
    response_within(stream, PATIENCE).await.expect("an answer")
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_header_timeout() {
    let app = TestApp::spawn_with(timeouts(1, 30, 30)).await;
    let started = Instant::now();
    let mut stream = connect(&app).await;
    assert!(closed_within(&mut stream, PATIENCE).await, "a silent connection is still open after {PATIENCE:?}");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(900), "closed after {took:?}, before the header timeout");
}

#[tokio::test]
async fn a_head_trickled_a_line_at_a_time_is_closed_after_the_header_timeout() {
    let app = TestApp::spawn_with(timeouts(1, 30, 30)).await;
    let started = Instant::now();
    let mut stream = connect(&app).await;
    stream.write_all(b"GET /_local/clock HTTP/1.1\r\nHost: test\r\n").await.unwrap();
    let mut closed = false;
    // Slowloris: a new header line every 200 ms, never the blank line that ends the head.
    for i in 0..25 {
        if stream.write_all(format!("X-Slow-{i}: x\r\n").as_bytes()).await.is_err()
            || closed_within(&mut stream, Duration::from_millis(200)).await
        {
            closed = true;
            break;
        }
    }
    let took = started.elapsed();
    assert!(closed, "a trickled head was still being read after {took:?}");
    assert!(took >= Duration::from_millis(900), "closed after {took:?}, before the header timeout");
    assert!(took < Duration::from_secs(3), "closed only after {took:?}");
}

#[tokio::test]
async fn a_later_request_head_trickled_gets_the_header_timeout_not_the_idle_one() {
    let app = TestApp::spawn_with(timeouts(1, 30, 30)).await;
    let mut stream = connect(&app).await;
    assert_eq!(exchange(&mut stream, CLOCK).await.status, 200);
    let started = Instant::now();
    stream.write_all(b"GET /_local/clock HTTP/1.1\r\n").await.unwrap();
    let mut closed = false;
    for i in 0..25 {
        if stream.write_all(format!("X-Slow-{i}: x\r\n").as_bytes()).await.is_err()
            || closed_within(&mut stream, Duration::from_millis(200)).await
        {
            closed = true;
            break;
        }
    }
    let took = started.elapsed();
    assert!(closed && took < Duration::from_secs(3), "a trickled second head was still being read after {took:?}");
}

#[tokio::test]
async fn a_keep_alive_connection_idle_after_a_request_is_closed_after_the_idle_timeout() {
    let app = TestApp::spawn_with(timeouts(30, 1, 30)).await;
    let mut stream = connect(&app).await;
    assert_eq!(exchange(&mut stream, CLOCK).await.status, 200);
    let started = Instant::now();
    assert!(
        closed_within(&mut stream, PATIENCE).await,
        "an idle keep-alive connection is still open after {PATIENCE:?}"
    );
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(900), "closed after {took:?}, before the idle timeout");
}

#[tokio::test]
async fn a_connection_that_keeps_sending_requests_stays_open_past_both_timeouts() {
    let app = TestApp::spawn_with(timeouts(1, 1, 30)).await;
    let mut stream = connect(&app).await;
    let started = Instant::now();
    // Seven requests 500 ms apart: 3 s on one connection, three times each timeout.
    for _ in 0..7 {
        assert_eq!(exchange(&mut stream, CLOCK).await.status, 200);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(started.elapsed() >= Duration::from_secs(3));
    assert_eq!(exchange(&mut stream, CLOCK).await.status, 200);
}

#[tokio::test]
async fn the_header_timeout_does_not_cut_a_keep_alive_connection_waiting_for_its_next_request() {
    // hyper's own header timer would: it starts when hyper waits for a head.
    let app = TestApp::spawn_with(timeouts(1, 10, 30)).await;
    let mut stream = connect(&app).await;
    assert_eq!(exchange(&mut stream, CLOCK).await.status, 200);
    tokio::time::sleep(Duration::from_millis(1800)).await;
    assert_eq!(exchange(&mut stream, CLOCK).await.status, 200);
}

/// A POST head announcing 1000 body bytes, and the first 10 of them.
fn stalled_post(extra_headers: &str) -> Vec<u8> {
    format!("POST / HTTP/1.1\r\nHost: test\r\n{extra_headers}Content-Length: 1000\r\n\r\nOperation=").into_bytes()
}

#[tokio::test]
async fn a_legacy_body_that_does_not_arrive_in_time_gets_an_error_envelope_and_the_connection_closes() {
    let app = TestApp::spawn_with(timeouts(30, 30, 1)).await;
    let mut stream = connect(&app).await;
    let started = Instant::now();
    stream.write_all(&stalled_post("Content-Type: application/x-www-form-urlencoded\r\n")).await.unwrap();
    let answer = response_within(&mut stream, PATIENCE).await.expect("an answer once the body timeout passes");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(900), "answered after {took:?}, before the body timeout");
    // The legacy shape: HTTP 200 with <Errors>.
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(xml_text(&answer.body, "Code").as_deref(), Some("AWS.MechanicalTurk.InvalidParameterValue"));
    let message = xml_text(&answer.body, "Message").unwrap_or_default();
    assert!(message.contains("did not arrive within 1 seconds"), "{}", answer.body);
    assert!(closed_within(&mut stream, PATIENCE).await, "the connection stays open after an abandoned body");
}

#[tokio::test]
async fn a_json_body_that_does_not_arrive_in_time_gets_a_400_error_and_the_connection_closes() {
    let app = TestApp::spawn_with(timeouts(30, 30, 1)).await;
    let mut stream = connect(&app).await;
    let headers = "X-Amz-Target: MTurkRequesterServiceV20170117.GetAccountBalance\r\n\
                   Content-Type: application/x-amz-json-1.1\r\n";
    stream.write_all(&stalled_post(headers)).await.unwrap();
    let answer = response_within(&mut stream, PATIENCE).await.expect("an answer once the body timeout passes");
    assert_eq!(answer.status, 400, "{answer:?}");
    let body: serde_json::Value = serde_json::from_str(&answer.body).expect("a JSON error");
    assert!(body["__type"].is_string(), "{body}");
    assert!(body["Message"].as_str().unwrap_or_default().contains("did not arrive within 1 seconds"), "{body}");
    assert!(closed_within(&mut stream, PATIENCE).await, "the connection stays open after an abandoned body");
}

#[tokio::test]
async fn a_body_sent_in_pieces_within_the_body_timeout_is_read_whole() {
    let app = TestApp::spawn_with(timeouts(30, 30, 2)).await;
    let form = serde_urlencoded(&app.signed(
        crate::common::DEV_KEY,
        crate::common::DEV_SECRET,
        "GetAccountBalance",
        &[("Padding", &"p".repeat(20_000))],
    ));
    let mut stream = connect(&app).await;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        form.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for piece in form.as_bytes().chunks(form.len() / 3 + 1) {
        tokio::time::sleep(Duration::from_millis(300)).await;
        stream.write_all(piece).await.unwrap();
    }
    let answer = response_within(&mut stream, PATIENCE).await.expect("an answer");
    assert!(answer.body.contains("<IsValid>True</IsValid>"), "{}", answer.body);
}

#[tokio::test]
async fn past_max_connections_a_connection_waits_until_another_closes() {
    let app = TestApp::spawn_with(|s| s.server.max_connections = 2).await;
    let mut first = connect(&app).await;
    assert_eq!(exchange(&mut first, CLOCK).await.status, 200);
    let mut second = connect(&app).await;
    assert_eq!(exchange(&mut second, CLOCK).await.status, 200);
    // The kernel completes the handshake; the server does not accept it yet.
    let mut third = connect(&app).await;
    third.write_all(CLOCK).await.unwrap();
    assert!(
        response_within(&mut third, Duration::from_millis(700)).await.is_none(),
        "a third connection was served while two were open"
    );
    // The two served connections still work.
    assert_eq!(exchange(&mut second, CLOCK).await.status, 200);
    drop(first);
    let answer = response_within(&mut third, PATIENCE).await.expect("served once the first connection closed");
    assert_eq!(answer.status, 200, "{answer:?}");
}

#[tokio::test]
async fn shutdown_finishes_the_request_in_flight_closes_idle_connections_and_stops_accepting() {
    let dir = tempfile::tempdir().unwrap();
    let settings = test_settings(&format!("sqlite:{}", dir.path().join("test.db").display()));
    let app = Application::build_with(settings, Hooks::default()).await.unwrap();
    let addr = app.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));

    let mut idle = TcpStream::connect(addr).await.unwrap();
    assert_eq!(exchange(&mut idle, CLOCK).await.status, 200);
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut busy = TcpStream::connect(addr).await.unwrap();
    let body = b"{\"AdvanceSeconds\": 60}";
    let head = format!("POST /_local/clock HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n\r\n", body.len());
    busy.write_all(head.as_bytes()).await.unwrap();
    busy.write_all(&body[..5]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    stop.send(()).unwrap();
    assert!(closed_within(&mut idle, PATIENCE).await, "an idle connection stays open during shutdown");
    assert!(closed_within(&mut silent, PATIENCE).await, "a silent connection stays open during shutdown");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!server.is_finished(), "the server stopped with a request in flight");
    busy.write_all(&body[5..]).await.unwrap();
    let answer = response_within(&mut busy, PATIENCE).await.expect("the request in flight is answered");
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(answer.head.to_ascii_lowercase().contains("connection: close"), "{}", answer.head);
    tokio::time::timeout(PATIENCE, server).await.expect("the server stops").unwrap().unwrap();
    assert!(TcpStream::connect(addr).await.is_err(), "still accepting after shutdown");
}
