//! The HTTP/1.1 server under the router: the accept loop, the cap on open
//! connections, and the three timeouts that keep a slow or silent client from
//! holding a connection (and the memory of its body) forever (issue 10, item 6).
//! `startup::Application::run_until` hands it the router; everything above the
//! router (protocols, control plane) sees only requests.
//!
//! Each connection is one task running hyper's HTTP/1 connection beside a
//! watchdog timer. The watchdog reads a small [`Activity`] record that the
//! connection's socket wrapper and service keep up to date, so the hot path
//! pays a few relaxed atomic stores and two or three clock reads per request,
//! and no allocation of its own (the body deadline's timer is only created
//! for a body that is not already in hand).

use std::future::Future;
use std::io;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::Router;
use hyper::body::{Body as HttpBody, Bytes, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};
use tower::ServiceExt as _;

use crate::config::ServerSettings;

/// The connection limits of `[server]`, as durations.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// From accepting a connection, or from the first byte of a later
    /// request, to the end of the request head.
    pub header: Duration,
    /// How long a connection may wait, with no request in flight, for the
    /// first byte of its next request.
    pub idle: Duration,
    /// From the end of a request head to the end of its body.
    pub body: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

impl Limits {
    /// The limits `settings` configure.
    #[must_use]
    pub fn from_settings(settings: &ServerSettings) -> Self {
        // `Settings::load` has checked the ranges; a negative value can only
        // come from settings built by hand, and counts as zero.
        let secs = |s: i64| Duration::from_secs(u64::try_from(s).unwrap_or(0));
        Self {
            header: secs(settings.header_timeout_secs),
            idle: secs(settings.idle_timeout_secs),
            body: secs(settings.body_timeout_secs),
            max_connections: settings.max_connections,
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then stops
/// accepting, lets every open connection finish the request it is handling
/// (still under the timeouts), and returns when the last one has closed.
///
/// # Errors
/// None today: accept errors are logged and retried, as `axum::serve` does.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    // Each connection task holds one permit, so holding them all means that
    // every connection has ended. `Settings::load` keeps the cap far below u32::MAX.
    let permits = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let semaphore = Arc::new(Semaphore::new(permits as usize));
    let (stop_tx, stop_rx) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    let mut last_full_warning: Option<Instant> = None;
    loop {
        // Past the cap we stop calling accept(): new connections wait in the
        // kernel's accept queue (the listen backlog) and are served, in order,
        // as others close; once the backlog is full the kernel stops answering
        // SYNs and clients retry. Accepting only to close at once would cost a
        // descriptor and a reset per attempt in a flood, and would turn a
        // brief burst into errors; waiting keeps our memory bounded either way,
        // because a queued connection's bytes sit in kernel buffers.
        let permit = if let Ok(permit) = Arc::clone(&semaphore).try_acquire_owned() {
            permit
        } else {
            // Once a minute at most, so that a flood does not flood the log too.
            if last_full_warning.is_none_or(|at| at.elapsed() >= Duration::from_secs(60)) {
                last_full_warning = Some(Instant::now());
                tracing::warn!(
                    max_connections = limits.max_connections,
                    "connection limit reached; new connections wait in the accept queue"
                );
            }
            tokio::select! {
                permit = Arc::clone(&semaphore).acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break, // never: the semaphore is not closed
                },
                () = &mut shutdown => break,
            }
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(err) => {
                    accept_error(&err).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // TCP_NODELAY stays off, as under axum::serve (0.8 no longer sets it):
        // hyper writes each response head and body in one vectored write, so
        // Nagle's algorithm has no small segment to hold back.
        tokio::spawn(serve_connection(stream, router.clone(), limits, stop_rx.clone(), permit));
    }
    drop(listener);
    // Tell the connections: each closes once it has answered its request in flight.
    drop(stop_rx);
    drop(stop_tx);
    let _all = semaphore.acquire_many(permits).await;
    Ok(())
}

/// Handles an `accept` failure the way `axum::serve` (and hyper 0.14 before
/// it) did: errors of the one connection are skipped; others, such as running
/// out of file descriptors, are logged and followed by a pause, since retrying
/// at once would spin until some descriptor is freed.
async fn accept_error(err: &io::Error) {
    if matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!("accept error: {err}");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// What a connection is doing, as its watchdog sees it.
mod state {
    /// Accepted; no request head complete yet.
    pub const FRESH: u8 = 0;
    /// A response was sent; waiting for the first byte of the next request.
    pub const IDLE: u8 = 1;
    /// Bytes of a later request's head have arrived; the head is not complete.
    pub const HEAD: u8 = 2;
    /// A request is being handled (its body may still be arriving).
    pub const BUSY: u8 = 3;
}

/// A connection's activity, written by its socket wrapper and service and
/// read by its watchdog. All three run in the connection's one task, so
/// relaxed ordering is enough; atomics only make the record `Sync`.
#[derive(Debug)]
struct Activity {
    /// When the connection was accepted; `since_ms` counts from here.
    accepted: Instant,
    /// One of the [`state`] constants.
    state: AtomicU8,
    /// When the current state began, in milliseconds since `accepted`.
    since_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self { accepted: Instant::now(), state: AtomicU8::new(state::FRESH), since_ms: AtomicU64::new(0) }
    }

    fn enter(&self, new: u8) {
        let ms = u64::try_from(self.accepted.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.since_ms.store(ms, Ordering::Relaxed);
        self.state.store(new, Ordering::Relaxed);
    }

    /// Bytes arrived from the client.
    fn bytes_read(&self) {
        // Only the first byte after a response starts a head; body bytes come
        // while BUSY. The head of a fresh connection keeps counting from
        // accept. (Bytes of a pipelined request read while the previous one
        // is BUSY are not seen here: that head then gets the idle timeout,
        // still bounded.)
        if self.state.load(Ordering::Relaxed) == state::IDLE {
            self.enter(state::HEAD);
        }
    }

    /// When the watchdog must look again, or `Err` with the reason to close now.
    ///
    /// The watchdog is not told when the state changes; instead it never
    /// sleeps longer than the shorter timeout, since no state entered after
    /// `now` can have an earlier deadline than that.
    fn next_check(&self, now: Instant, limits: &Limits) -> Result<Instant, &'static str> {
        let soonest_new = now + limits.header.min(limits.idle);
        let since = self.accepted + Duration::from_millis(self.since_ms.load(Ordering::Relaxed));
        let (deadline, reason) = match self.state.load(Ordering::Relaxed) {
            state::FRESH | state::HEAD => (since + limits.header, "no complete request head within the header timeout"),
            state::IDLE => (since + limits.idle, "idle for the idle timeout"),
            // The body timeout bounds a busy connection's wait for its client;
            // the handler's own time is not limited here.
            _ => return Ok(soonest_new),
        };
        if deadline <= now {
            Err(reason)
        } else {
            Ok(deadline.min(soonest_new))
        }
    }
}

/// Serves one connection until it closes, a timeout closes it, or shutdown
/// finds it with nothing to finish.
async fn serve_connection(
    stream: TcpStream,
    router: Router,
    limits: Limits,
    mut stop: watch::Receiver<()>,
    _permit: OwnedSemaphorePermit,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched { inner: stream, activity: Arc::clone(&activity) });
    let service_activity = Arc::clone(&activity);
    let service = service_fn(move |request: hyper::Request<Incoming>| {
        service_activity.state.store(state::BUSY, Ordering::Relaxed);
        let request = request.map(|body| {
            // A request without a body (most GETs) needs no deadline.
            if body.is_end_stream() {
                Body::new(body)
            } else {
                Body::new(DeadlineBody::new(body, Instant::now() + limits.body))
            }
        });
        let activity = Arc::clone(&service_activity);
        let router = router.clone();
        async move {
            let Ok(response) = router.oneshot(request).await;
            activity.enter(state::IDLE);
            // An error from the service makes hyper close the connection
            // without writing a response: what a DropConnection fault wants.
            if response.extensions().get::<DropConnection>().is_some() {
                return Err(DropConnection);
            }
            Ok(response)
        }
    });
    // hyper's own header_read_timeout is off: it starts when hyper begins
    // waiting for a head, including the wait between keep-alive requests, so
    // it would cut idle connections at the header timeout. The watchdog
    // separates the two waits.
    let mut connection = pin!(http1::Builder::new().header_read_timeout(None).serve_connection(io, service));
    let mut watchdog = pin!(tokio::time::sleep(limits.header.min(limits.idle)));
    let mut stopping = false;
    loop {
        tokio::select! {
            // The connection first, so that bytes that have arrived are seen
            // before the watchdog judges the connection silent.
            biased;
            result = connection.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!("connection ended with an error: {err}");
                }
                return;
            }
            () = &mut watchdog => match activity.next_check(Instant::now(), &limits) {
                Ok(at) => watchdog.as_mut().reset(at),
                Err(reason) => {
                    // Dropping the connection closes the socket. A client
                    // that sent no complete head is owed no answer; an idle
                    // one has had its answers (or, if it has not read the
                    // last one for the whole idle timeout, has given up).
                    tracing::debug!(reason, "closing a connection");
                    return;
                }
            },
            _ = stop.changed(), if !stopping => {
                stopping = true;
                if activity.state.load(Ordering::Relaxed) == state::FRESH {
                    // hyper counts a fresh connection as busy and would wait
                    // for its first request; nothing is owed to it.
                    return;
                }
                // An idle connection closes now; one handling a request
                // closes after answering it.
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

/// The marker of a response that must not be sent: the connection closes
/// instead, with no answer (a `DropConnection` fault, `/_local/faults`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the connection was dropped by a fault rule")
    }
}

impl std::error::Error for DropConnection {}

/// A response that closes its connection unanswered (see [`DropConnection`]).
#[must_use]
pub fn drop_connection() -> axum::response::Response {
    let mut response = axum::response::Response::new(Body::empty());
    response.extensions_mut().insert(DropConnection);
    response
}

/// A socket that reports arriving bytes to its connection's [`Activity`].
#[derive(Debug)]
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The error a request body gives when it has not fully arrived by its
/// deadline (`server.body_timeout_secs`); `protocol::read_body` recognises it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyTimedOut;

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body did not arrive within the body timeout")
    }
}

impl std::error::Error for BodyTimedOut {}

/// A request body that fails with [`BodyTimedOut`] once its deadline passes.
/// The timer is created only when the body is first found waiting for bytes.
struct DeadlineBody {
    inner: Incoming,
    deadline: Instant,
    timer: Option<Pin<Box<Sleep>>>,
}

impl DeadlineBody {
    fn new(inner: Incoming, deadline: Instant) -> Self {
        Self { inner, deadline, timer: None }
    }
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let deadline = this.deadline;
        let timer = this.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimedOut)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            header: Duration::from_secs(10),
            idle: Duration::from_secs(60),
            body: Duration::from_secs(30),
            max_connections: 4,
        }
    }

    #[test]
    fn a_fresh_connection_has_the_header_timeout_from_accept() {
        let activity = Activity::new();
        let at = activity.next_check(activity.accepted, &limits()).unwrap();
        assert_eq!(at, activity.accepted + Duration::from_secs(10));
        assert!(activity.next_check(at, &limits()).is_err());
    }

    #[test]
    fn an_idle_connection_has_the_idle_timeout_and_a_started_head_the_header_timeout() {
        let activity = Activity::new();
        activity.state.store(state::BUSY, Ordering::Relaxed);
        let now = activity.accepted + Duration::from_secs(100);
        assert_eq!(activity.next_check(now, &limits()).unwrap(), now + Duration::from_secs(10), "busy: look later");
        activity.enter(state::IDLE);
        let idle_from = activity.accepted + Duration::from_millis(activity.since_ms.load(Ordering::Relaxed));
        // The idle deadline is 60 s away, but a head started meanwhile would have 10 s.
        assert_eq!(activity.next_check(idle_from, &limits()).unwrap(), idle_from + Duration::from_secs(10));
        let later = idle_from + Duration::from_secs(55);
        assert_eq!(activity.next_check(later, &limits()).unwrap(), idle_from + Duration::from_secs(60));
        assert!(activity.next_check(idle_from + Duration::from_secs(60), &limits()).is_err());
        activity.bytes_read();
        assert_eq!(activity.state.load(Ordering::Relaxed), state::HEAD);
        let head_from = activity.accepted + Duration::from_millis(activity.since_ms.load(Ordering::Relaxed));
        assert_eq!(activity.next_check(head_from, &limits()).unwrap(), head_from + Duration::from_secs(10));
    }

    #[test]
    fn body_bytes_of_a_busy_connection_do_not_start_a_head() {
        let activity = Activity::new();
        activity.state.store(state::BUSY, Ordering::Relaxed);
        activity.bytes_read();
        assert_eq!(activity.state.load(Ordering::Relaxed), state::BUSY);
    }
}
