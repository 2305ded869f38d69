//! Sending one event to one destination: SQS `SendMessage` and SNS
//! `Publish` (the AWS query protocol, which moto, ElasticMQ and LocalStack
//! all serve), an HTTP GET for the legacy REST transport, SMTP for e-mail.

use std::time::Duration;

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
        Ok(Self { http, settings: settings.clone(), smtp })
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
                let mut form: Vec<(String, String)> = vec![
                    ("Action".into(), "SendMessageBatch".into()),
                    ("Version".into(), "2012-11-05".into()),
                    ("QueueUrl".into(), url.clone()),
                ];
                for (i, c) in run.iter().enumerate() {
                    let n = i + 1;
                    let body = payload::event_document(&c.event, &c.delivery.version, &c.delivery.destination);
                    form.push((format!("SendMessageBatchRequestEntry.{n}.Id"), format!("e{n}")));
                    form.push((format!("SendMessageBatchRequestEntry.{n}.MessageBody"), body.to_string()));
                }
                let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let answer = self.post_form(&url, "sqs", &refs, wall_now).await?;
                // A batch can succeed in part: then it counts as failed, and the ones that
                // went in are sent again with their EventDocIds (at least once).
                if answer.contains("BatchResultErrorEntry") {
                    return Err(format!(
                        "SendMessageBatch failed in part: {}",
                        answer.chars().take(300).collect::<String>()
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
                let form = [
                    ("Action", "SendMessage"),
                    ("Version", "2012-11-05"),
                    ("QueueUrl", url.as_str()),
                    ("MessageBody", body.as_str()),
                ];
                self.post_form(&url, "sqs", &form, wall_now).await.map(drop)
            }
            Transport::Sns => {
                if self.settings.sns_endpoint.is_empty() {
                    return Err("notifications.sns_endpoint is not configured".into());
                }
                let body = payload::event_document(e, &d.version, &d.destination).to_string();
                let form = [
                    ("Action", "Publish"),
                    ("Version", "2010-03-31"),
                    ("TopicArn", d.destination.as_str()),
                    ("Message", body.as_str()),
                ];
                let url = format!("{}/", self.settings.sns_endpoint.trim_end_matches('/'));
                self.post_form(&url, "sns", &form, wall_now).await.map(drop)
            }
            Transport::Rest => {
                let params = payload::rest_parameters(e, &d.version, wall_now, secret);
                let response = self.http.get(&d.destination).query(&params).send().await.map_err(|e| describe(&e))?;
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

    async fn post_form(
        &self,
        url: &str,
        service: &str,
        form: &[(&str, &str)],
        wall_now: Timestamp,
    ) -> Result<String, String> {
        let body: String =
            form.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&");
        let response = self
            .http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded; charset=utf-8")
            // Local emulators do not check signatures, but moto and LocalStack tell the
            // service a request is for by its credential scope, as AWS signs it.
            .header(
                "authorization",
                format!(
                    "AWS4-HMAC-SHA256 Credential=mturklocal/{}/{}/{service}/aws4_request, SignedHeaders=host, \
                     Signature=0",
                    wall_now.to_xml_datetime().get(..10).unwrap_or_default().replace('-', ""),
                    self.settings.region
                ),
            )
            .body(body)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        check(response).await
    }
}

fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
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
