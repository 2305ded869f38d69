//! `aws-sdk-mturk`, the official Rust SDK, pointed at a test server.

use aws_sdk_mturk::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_mturk::error::ProvideErrorMetadata;
use aws_sdk_mturk::types::QualificationRequirement;
use aws_sdk_mturk::Client;
use mturk_local::domain::clock::{Clock, SystemClock};

use super::TestApp;

/// An SDK client for `key`. The SDK signs with real time, so the test
/// server's wall clock is moved to real time first.
pub fn sdk(app: &TestApp, key: &str, secret: &str) -> Client {
    app.wall.set(SystemClock.now());
    let conf = aws_sdk_mturk::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&app.base)
        .credentials_provider(Credentials::new(key, secret, None, None, "test"))
        .retry_config(aws_sdk_mturk::config::retry::RetryConfig::disabled())
        .build();
    Client::from_conf(conf)
}

/// Creates an Active type named `name` and returns its id.
pub async fn new_type(c: &Client, name: &str) -> String {
    c.create_qualification_type()
        .name(name)
        .description("d")
        .qualification_type_status(aws_sdk_mturk::types::QualificationTypeStatus::Active)
        .send()
        .await
        .unwrap()
        .qualification_type()
        .unwrap()
        .qualification_type_id()
        .unwrap()
        .to_owned()
}

/// The `TurkErrorCode` of a failed SDK call.
pub fn turk_code<E, R>(
    result: Result<R, aws_sdk_mturk::error::SdkError<E, aws_sdk_mturk::config::http::HttpResponse>>,
) -> String
where
    E: ProvideErrorMetadata + std::fmt::Debug,
    aws_sdk_mturk::Error: From<aws_sdk_mturk::error::SdkError<E, aws_sdk_mturk::config::http::HttpResponse>>,
    R: std::fmt::Debug,
{
    let err = aws_sdk_mturk::Error::from(result.expect_err("the call should fail"));
    match err {
        aws_sdk_mturk::Error::RequestError(e) => e.turk_error_code().unwrap_or_default().to_owned(),
        other => panic!("expected a RequestError, got {other:?}"),
    }
}

/// Creates an ExternalQuestion HIT (an hour to live, ten minutes to work, a day
/// to auto-approval) and returns its id.
pub async fn new_hit(c: &Client, title: &str, reward: &str, max: i32, reqs: Vec<QualificationRequirement>) -> String {
    c.create_hit()
        .title(title)
        .description("label some images")
        .reward(reward)
        .max_assignments(max)
        .lifetime_in_seconds(3600)
        .assignment_duration_in_seconds(600)
        .auto_approval_delay_in_seconds(86_400)
        .question(super::documents::EXTERNAL_QUESTION)
        .set_qualification_requirements(Some(reqs))
        .send()
        .await
        .unwrap()
        .hit()
        .unwrap()
        .hit_id()
        .unwrap()
        .to_owned()
}
