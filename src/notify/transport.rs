//! Sending one event to one destination: SQS `SendMessage` (or
//! `SendMessageBatch`) and SNS `Publish` through the official AWS SDKs
//! (signed with SigV4 as AWS would, so moto, ElasticMQ and LocalStack all
//! take them), an HTTP GET for the legacy REST transport, SMTP for e-mail.

use std::time::Duration;

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

use crate::config::NotificationSettings;
use crate::domain::notification::{ClaimedDelivery, Transport};
use crate::domain::time::Timestamp;

use super::payload;

/// What the transports need, built once per dispatcher.
#[derive(Debug)]
pub struct Senders {
    http: reqwest::Client,
    settings: NotificationSettings,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    sqs: Option<aws_sdk_sqs::Client>,
    sns: Option<aws_sdk_sns::Client>,
}

/// The credentials the SDK clients sign with. SQS- and SNS-compatible
/// development servers take any; they are not a secret.
const SIGNING_KEY: &str = "mturklocal";

/// An SDK configuration for the server at `endpoint`: the configured region,
/// the development credentials, the delivery timeout, and no retries of the
/// SDK's own (the dispatcher retries, with its backoff and attempt count).
macro_rules! sdk_config {
    ($sdk:ident, $endpoint:expr, $settings:expr, $timeout:expr) => {
        $sdk::Config::builder()
            .behavior_version($sdk::config::BehaviorVersion::latest())
            .endpoint_url($endpoint)
            .region($sdk::config::Region::new($settings.region.clone()))
            .credentials_provider($sdk::config::Credentials::new(SIGNING_KEY, SIGNING_KEY, None, None, "mturk-local"))
            .retry_config($sdk::config::retry::RetryConfig::disabled())
            .timeout_config($sdk::config::timeout::TimeoutConfig::builder().operation_timeout($timeout).build())
            .build()
    };
}

impl Senders {
    /// Clients for `settings`.
    ///
    /// # Errors
    /// A `smtp_url` that is not `smtp://HOST[:PORT]`, an HTTP client that cannot be built.
    pub fn new(settings: &NotificationSettings) -> anyhow::Result<Self> {
        let timeout = Duration::from_secs(u64::try_from(settings.timeout_secs).unwrap_or(10));
        let http = reqwest::Client::builder().timeout(timeout).build()?;
        let smtp = if settings.smtp_url.is_empty() {
            None
        } else {
            let rest = settings
                .smtp_url
                .strip_prefix("smtp://")
                .ok_or_else(|| anyhow::anyhow!("notifications.smtp_url must be smtp://HOST[:PORT]"))?;
            let rest = rest.trim_end_matches('/');
            let (host, port) = match rest.rsplit_once(':') {
                Some((h, p)) => {
                    (h, p.parse::<u16>().map_err(|_| anyhow::anyhow!("bad port in notifications.smtp_url"))?)
                }
                None => (rest, 25),
            };
            // Plain SMTP without TLS: the Email transport is for local mail catchers.
            Some(
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).port(port).timeout(Some(timeout)).build(),
            )
        };
        let endpoint = |url: &str| (!url.is_empty()).then(|| url.trim_end_matches('/').to_owned());
        let sqs = endpoint(&settings.sqs_endpoint)
            .map(|url| aws_sdk_sqs::Client::from_conf(sdk_config!(aws_sdk_sqs, url, settings, timeout)));
        let sns = endpoint(&settings.sns_endpoint)
            .map(|url| aws_sdk_sns::Client::from_conf(sdk_config!(aws_sdk_sns, url, settings, timeout)));
        Ok(Self { http, settings: settings.clone(), smtp, sqs, sns })
    }

    /// Sends `claimed` once; `secret` is the requester's secret key (REST signatures).
    ///
    /// # Errors
    /// Why it did not arrive, for `LastError`.
    /// The most deliveries [`Senders::send_many`] sends at once to a destination of `transport`:
    /// SQS takes ten messages per `SendMessageBatch`; the others one at a time.
    #[must_use]
    pub const fn batch_size(transport: Transport) -> usize {
        match transport {
            Transport::Sqs => 10,
            _ => 1,
        }
    }

    /// Sends a run of deliveries to one destination (at most
    /// [`Senders::batch_size`]), all or nothing: an SQS `SendMessageBatch`
    /// with one entry per delivery, in order, when there are several.
    ///
    /// # Errors
    /// Why they did not arrive (or not all of them), for `LastError`.
    pub async fn send_many(
        &self,
        run: &[ClaimedDelivery],
        secret: Option<&[u8]>,
        wall_now: Timestamp,
    ) -> Result<(), String> {
        match run {
            [] => Ok(()),
            [one] => self.send(one, secret, wall_now).await,
            [first, ..] => {
                let d = &first.delivery;
                if d.transport != Transport::Sqs || run.iter().any(|c| c.delivery.destination != d.destination) {
                    return Err("a batch holds SQS deliveries to one queue only".into());
                }
                let url = sqs_url(&d.destination, &self.settings.sqs_endpoint)?;
                let entries = run
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let body = payload::event_document(&c.event, &c.delivery.version, &c.delivery.destination);
                        SendMessageBatchRequestEntry::builder()
                            .id(format!("e{}", i + 1))
                            .message_body(body.to_string())
                            .build()
                            .map_err(|e| e.to_string())
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let answer = self
                    .sqs_client(&url)?
                    .send_message_batch()
                    .queue_url(&url)
                    .set_entries(Some(entries))
                    .send()
                    .await
                    .map_err(|e| error_chain(&e))?;
                // A batch can succeed in part: then it counts as failed, and the ones that
                // went in are sent again with their EventDocIds (at least once).
                if let Some(failed) = answer.failed().first() {
                    return Err(format!(
                        "SendMessageBatch failed for {} of {}: {}: {}",
                        answer.failed().len(),
                        run.len(),
                        failed.code(),
                        failed.message().unwrap_or_default()
                    ));
                }
                Ok(())
            }
        }
    }

    /// Sends one delivery; `secret` is the requester's secret key (REST signatures).
    ///
    /// # Errors
    /// Why it did not arrive, for `LastError`.
    pub async fn send(
        &self,
        claimed: &ClaimedDelivery,
        secret: Option<&[u8]>,
        wall_now: Timestamp,
    ) -> Result<(), String> {
        let d = &claimed.delivery;
        let e = &claimed.event;
        match d.transport {
            Transport::Sqs => {
                let url = sqs_url(&d.destination, &self.settings.sqs_endpoint)?;
                let body = payload::event_document(e, &d.version, &d.destination).to_string();
                self.sqs_client(&url)?
                    .send_message()
                    .queue_url(&url)
                    .message_body(body)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| error_chain(&e))
            }
            Transport::Sns => {
                let Some(sns) = &self.sns else {
                    return Err("notifications.sns_endpoint is not configured".into());
                };
                let body = payload::event_document(e, &d.version, &d.destination).to_string();
                sns.publish()
                    .topic_arn(&d.destination)
                    .message(body)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| error_chain(&e))
            }
            Transport::Rest => {
                let params = payload::rest_parameters(e, &d.version, wall_now, secret);
                let response =
                    self.http.get(&d.destination).query(&params).send().await.map_err(|e| error_chain(&e))?;
                check(response).await.map(drop)
            }
            Transport::Email => {
                let Some(smtp) = &self.smtp else {
                    return Err("notifications.smtp_url is not configured".into());
                };
                let from: Mailbox = self.settings.email_from.parse().map_err(|e| format!("email_from: {e}"))?;
                let to: Mailbox = d.destination.parse().map_err(|e| format!("destination: {e}"))?;
                let message = Message::builder()
                    .from(from)
                    .to(to)
                    .subject(payload::email_subject(e))
                    .body(payload::email_body(e))
                    .map_err(|e| e.to_string())?;
                smtp.send(message).await.map(|_| ()).map_err(|e| format!("SMTP: {e}"))
            }
        }
    }

    /// The SQS client for queue `url`: the configured endpoint's, or for a
    /// queue URL on another host (used as it is, see [`sqs_url`]) one for
    /// that host, made for the call.
    fn sqs_client(&self, url: &str) -> Result<aws_sdk_sqs::Client, String> {
        let host = url.find("://").and_then(|at| url[at + 3..].find('/').map(|end| &url[..at + 3 + end]));
        let configured = self.settings.sqs_endpoint.trim_end_matches('/');
        match (host, &self.sqs) {
            (Some(host), Some(client)) if host == configured => Ok(client.clone()),
            (Some(host), _) => {
                let timeout = Duration::from_secs(u64::try_from(self.settings.timeout_secs).unwrap_or(10));
                Ok(aws_sdk_sqs::Client::from_conf(sdk_config!(aws_sdk_sqs, host, self.settings, timeout)))
            }
            (None, _) => Err(format!("not a queue URL: {url}")),
        }
    }
}

/// A failure with its causes, for `LastError`.
fn error_chain<E: std::error::Error + 'static>(e: &E) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The answer's body when its status is a success.
async fn check(response: reqwest::Response) -> Result<String, String> {
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if status.is_success() {
        return Ok(body);
    }
    let body: String = body.chars().take(300).collect();
    Err(format!("HTTP {status}: {body}"))
}

/// Where an SQS queue URL is delivered: an AWS-shaped URL
/// (`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`) goes to `endpoint`,
/// keeping its account and name; any other URL is used as it is.
///
/// # Errors
/// An AWS-shaped URL without a configured endpoint.
pub fn sqs_url(destination: &str, endpoint: &str) -> Result<String, String> {
    let rest = destination.strip_prefix("https://").or_else(|| destination.strip_prefix("http://")).unwrap_or("");
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    if !host.ends_with(".amazonaws.com") {
        return Ok(destination.to_owned());
    }
    if endpoint.is_empty() {
        return Err("notifications.sqs_endpoint is not configured (the queue URL is on amazonaws.com)".into());
    }
    Ok(format!("{}/{}", endpoint.trim_end_matches('/'), path.trim_start_matches('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_queue_urls_go_to_the_endpoint_keeping_account_and_name() {
        assert_eq!(
            sqs_url("https://sqs.us-east-1.amazonaws.com/123456789012/jobs", "http://127.0.0.1:5000/").unwrap(),
            "http://127.0.0.1:5000/123456789012/jobs"
        );
        assert_eq!(
            sqs_url("http://localhost:9324/000000000000/jobs", "http://127.0.0.1:5000").unwrap(),
            "http://localhost:9324/000000000000/jobs"
        );
        assert!(sqs_url("https://sqs.us-east-1.amazonaws.com/123456789012/jobs", "").is_err());
    }
}
