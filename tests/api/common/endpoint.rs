//! A client for one server, in process or a real binary: signed legacy and
//! JSON calls and the control plane, dated by a clock of the caller's choice
//! (the durability, race and hostile tests share it).

use std::sync::Arc;
use std::time::Duration;

use mturk_local::domain::clock::{Clock, SystemClock};
use serde_json::Value;

use super::sigv4::sigv4_headers;
use super::{serde_urlencoded, xml_text, TestApp, DEV_KEY, DEV_SECRET};

/// One HTTP answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Body text.
    pub body: String,
}

impl Reply {
    /// A legacy success: `IsValid` True and no `Errors`.
    pub fn legacy_ok(&self) -> bool {
        self.body.contains("<IsValid>True</IsValid>") && !self.body.contains("<Errors>")
    }

    /// The legacy error code, if any.
    pub fn legacy_code(&self) -> Option<String> {
        xml_text(&self.body, "Code")
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The JSON API's error code: `TurkErrorCode`, else `__type`.
    pub fn json_code(&self) -> Option<String> {
        let v: Value = serde_json::from_str(&self.body).ok()?;
        v.get("TurkErrorCode").or_else(|| v.get("__type")).and_then(Value::as_str).map(str::to_owned)
    }

    /// Signs of a server fault or a store that gave up, whatever the protocol.
    pub fn is_fault(&self) -> bool {
        let lower = self.body.to_ascii_lowercase();
        self.status >= 500 || lower.contains("servicefault") || lower.contains("database is locked")
    }
}

/// Where requests go and which clock signs them.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// A keep-alive client.
    pub http: reqwest::Client,
    /// The clock signatures are dated with (the server's wall clock).
    pub wall: Arc<dyn Clock>,
}

impl Endpoint {
    /// A client for an in-process test server, signing with its wall clock.
    pub fn for_app(app: &TestApp) -> Self {
        Self { base: app.base.clone(), http: reqwest::Client::new(), wall: app.wall.clone() }
    }

    /// A client for a server signing with real time.
    pub fn real_time(base: String) -> Self {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().expect("an HTTP client");
        Self { base, http, wall: Arc::new(SystemClock) }
    }

    /// `127.0.0.1:PORT`, the Host header clients send.
    pub fn host(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    async fn reply(res: reqwest::Response) -> Result<Reply, reqwest::Error> {
        let status = res.status().as_u16();
        Ok(Reply { status, body: res.text().await? })
    }

    /// Signed legacy parameters (default scheme) for `operation`, dated by this endpoint's clock.
    pub fn legacy_params(
        &self,
        key: &str,
        secret: &str,
        operation: &str,
        params: &[(&str, &str)],
    ) -> Vec<(String, String)> {
        super::legacy_signed(key, secret, &self.wall.now().to_xml_datetime(), operation, params)
    }

    /// A signed legacy POST as `key`.
    pub async fn legacy_as(
        &self,
        key: &str,
        secret: &str,
        operation: &str,
        params: &[(&str, &str)],
    ) -> Result<Reply, reqwest::Error> {
        let body = serde_urlencoded(&self.legacy_params(key, secret, operation, params));
        let res = self
            .http
            .post(format!("{}/", self.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await?;
        Self::reply(res).await
    }

    /// A signed legacy POST as the development requester.
    pub async fn legacy(&self, operation: &str, params: &[(&str, &str)]) -> Result<Reply, reqwest::Error> {
        self.legacy_as(DEV_KEY, DEV_SECRET, operation, params).await
    }

    /// A SigV4-signed JSON API call as `key`.
    pub async fn json_as(&self, key: &str, secret: &str, target: &str, body: &Value) -> Result<Reply, reqwest::Error> {
        let bytes = body.to_string().into_bytes();
        let mut req = self.http.post(format!("{}/", self.base));
        for (name, value) in sigv4_headers(key, secret, self.host(), target, &bytes, self.wall.now()) {
            if name != "host" {
                req = req.header(name, value);
            }
        }
        Self::reply(req.body(bytes).send().await?).await
    }

    /// A SigV4-signed JSON API call as the development requester.
    pub async fn json(&self, target: &str, body: &Value) -> Result<Reply, reqwest::Error> {
        self.json_as(DEV_KEY, DEV_SECRET, target, body).await
    }

    /// A control-plane request.
    pub async fn control(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Reply, reqwest::Error> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let mut req = self.http.request(method, format!("{}/_local{path}", self.base));
        if let Some(b) = body {
            req = req.header("Content-Type", "application/json").body(b.to_string());
        }
        Self::reply(req.send().await?).await
    }

    /// Creates an Active type and returns its id.
    pub async fn create_type(&self, name: &str) -> String {
        let r = self
            .legacy(
                "CreateQualificationType",
                &[("Name", name), ("Description", "durability"), ("QualificationTypeStatus", "Active")],
            )
            .await
            .expect("the server answers");
        assert!(r.legacy_ok(), "creating {name}: {}", r.body);
        xml_text(&r.body, "QualificationTypeId").expect("a type id")
    }
}
