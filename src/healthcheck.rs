//! `mturk-local healthcheck [--url URL]`: a client of `GET /health` for
//! container health checks, so an image needs no curl. One plain HTTP/1.1
//! request over a tokio `TcpStream` (the server speaks no TLS), a short
//! timeout, and a one-line verdict.

use std::time::Duration;

use anyhow::{bail, Context as _};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// How long the whole check may take: connect, send, read the answer.
pub const TIMEOUT: Duration = Duration::from_secs(3);

/// The largest answer read; `/health` sends well under 200 bytes.
const MAX_ANSWER: u64 = 16 * 1024;

/// Where to check: host, port and path of an `http://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Host name or address, as it goes in `Host:` (IPv6 in brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Request path.
    pub path: String,
}

impl Target {
    /// The health URL of a server listening on `listen` (`server.listen`):
    /// an unspecified address (0.0.0.0, ::) is checked on loopback.
    ///
    /// # Errors
    /// When `listen` is not an address and port.
    pub fn for_listen(listen: &str) -> anyhow::Result<Self> {
        let addr: std::net::SocketAddr =
            listen.parse().with_context(|| format!("server.listen {listen:?} is not an address and port"))?;
        let host = match addr.ip() {
            std::net::IpAddr::V4(ip) if ip.is_unspecified() => "127.0.0.1".to_owned(),
            std::net::IpAddr::V6(ip) if ip.is_unspecified() => "[::1]".to_owned(),
            std::net::IpAddr::V4(ip) => ip.to_string(),
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        };
        Ok(Self { host, port: addr.port(), path: "/health".to_owned() })
    }

    /// Parses `http://HOST[:PORT][/PATH]`. A URL with no path (or `/`) means
    /// the server's `/health`; any other path is requested as given.
    ///
    /// # Errors
    /// Other schemes (the server speaks no TLS), no host, a bad port.
    pub fn parse_url(url: &str) -> anyhow::Result<Self> {
        let Some(rest) = url.strip_prefix("http://") else {
            bail!("--url {url:?} must start with http:// (the server speaks no TLS)");
        };
        let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (ip, after) =
                v6.split_once(']').with_context(|| format!("--url {url:?} has an unclosed [ in its host"))?;
            (format!("[{ip}]"), after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), Some(p)),
                None => (authority.to_owned(), None),
            }
        };
        if host.is_empty() || host == "[]" {
            bail!("--url {url:?} names no host");
        }
        let port = match port {
            None => 80,
            Some(p) => p.parse().ok().filter(|p| *p > 0).with_context(|| format!("--url {url:?} has a bad port"))?,
        };
        let path = if path.is_empty() || path == "/" { "/health".to_owned() } else { path.to_owned() };
        Ok(Self { host, port, path })
    }

    fn url(&self) -> String {
        format!("http://{}:{}{}", self.host, self.port, self.path)
    }
}

/// Checks `target`: `Ok` with a one-line summary (for callers that show
/// one) when it answers 200, else
/// an error saying why in one line.
///
/// # Errors
/// No connection, no answer within [`TIMEOUT`], a malformed answer, or a
/// status other than 200.
pub async fn check(target: &Target) -> anyhow::Result<String> {
    let url = target.url();
    match tokio::time::timeout(TIMEOUT, exchange(target)).await {
        Err(_) => bail!("{url}: no answer within {} s", TIMEOUT.as_secs()),
        Ok(Err(e)) => Err(e.context(url)),
        Ok(Ok((200, body))) => Ok(format!("{url}: 200 {body}")),
        Ok(Ok((status, body))) => bail!("{url}: {status} {body}"),
    }
}

async fn exchange(target: &Target) -> anyhow::Result<(u16, String)> {
    let host = target.host.trim_start_matches('[').trim_end_matches(']');
    let mut stream = TcpStream::connect((host, target.port)).await.context("cannot connect")?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}:{}\r\nUser-Agent: mturk-local-healthcheck\r\nConnection: close\r\n\r\n",
        target.path, target.host, target.port
    );
    stream.write_all(request.as_bytes()).await.context("cannot send the request")?;
    let mut answer = Vec::new();
    stream.take(MAX_ANSWER).read_to_end(&mut answer).await.context("cannot read the answer")?;
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5))
        .and_then(|code| code.parse::<u16>().ok())
        .context("the answer is not HTTP")?;
    // The body, on one line: `/health` answers compact JSON.
    let body = text.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    Ok((status, body.split_whitespace().collect::<Vec<_>>().join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses_map_to_loopback_when_unspecified() {
        let t = Target::for_listen("0.0.0.0:8099").unwrap();
        assert_eq!((t.host.as_str(), t.port, t.path.as_str()), ("127.0.0.1", 8099, "/health"));
        assert_eq!(Target::for_listen("[::]:1").unwrap().host, "[::1]");
        assert_eq!(Target::for_listen("10.1.2.3:9").unwrap().host, "10.1.2.3");
        assert!(Target::for_listen("localhost").is_err());
    }

    #[test]
    fn urls_name_the_server_or_a_path_on_it() {
        let t = Target::parse_url("http://127.0.0.1:9000").unwrap();
        assert_eq!((t.host.as_str(), t.port, t.path.as_str()), ("127.0.0.1", 9000, "/health"));
        assert_eq!(Target::parse_url("http://example:1/").unwrap().path, "/health");
        assert_eq!(Target::parse_url("http://example:1/health").unwrap().path, "/health");
        assert_eq!(Target::parse_url("http://example/x").unwrap().port, 80);
        let v6 = Target::parse_url("http://[::1]:7/health").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("[::1]", 7));
        for bad in ["https://x", "x:1", "http://", "http://:1", "http://x:0", "http://x:port", "http://[::1"] {
            assert!(Target::parse_url(bad).is_err(), "{bad}");
        }
    }
}
