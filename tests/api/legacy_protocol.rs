//! The legacy wire protocol: envelopes byte for byte, authentication,
//! parameter handling, and every way a request can be malformed.

use mturk_local::auth::legacy::{default_string_to_sign, sign};

use crate::common::{serde_urlencoded, Backend, TestApp, DEV_KEY, DEV_SECRET};

async fn app() -> TestApp {
    TestApp::spawn(&Backend::Sqlite).await
}

fn uuid_at(body: &str) -> &str {
    let start = body.find("<RequestId>").expect("RequestId") + "<RequestId>".len();
    &body[start..start + 36]
}

/// Replaces the (seeded, but test-order dependent) request id with a marker.
fn normalise(body: &str) -> String {
    body.replace(uuid_at(body), "REQUEST-ID")
}

#[tokio::test]
async fn a_success_envelope_matches_the_captured_shape_byte_for_byte() {
    let app = app().await;
    let answer = app
        .call(
            "CreateQualificationType",
            &[
                ("Name", "Test qualification 1"),
                ("Description", "My first qualification type (it's temporary)"),
                ("Keywords", "test,autogrant"),
                ("QualificationTypeStatus", "Active"),
                ("RetryDelayInSeconds", "1800"),
                ("AutoGranted", "true"),
            ],
        )
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type, "text/xml");
    let id = answer.text("QualificationTypeId").unwrap();
    let request_id = uuid_at(&answer.body);
    assert!(uuid::Uuid::parse_str(request_id).is_ok_and(|u| u.get_version_num() == 4));
    assert_eq!(request_id, request_id.to_lowercase());
    assert_eq!(
        normalise(&answer.body),
        format!(
            "<?xml version=\"1.0\"?>\n<CreateQualificationTypeResponse><OperationRequest><RequestId>REQUEST-ID</RequestId>\
             </OperationRequest><QualificationType><Request><IsValid>True</IsValid></Request><QualificationTypeId>{id}\
             </QualificationTypeId><CreationTime>2026-01-01T00:00:00Z</CreationTime><Name>Test qualification 1</Name>\
             <Description>My first qualification type (it&apos;s temporary)</Description><Keywords>test,autogrant\
             </Keywords><QualificationTypeStatus>Active</QualificationTypeStatus><RetryDelayInSeconds>1800\
             </RetryDelayInSeconds><AutoGranted>1</AutoGranted><AutoGrantedValue>1</AutoGrantedValue>\
             </QualificationType></CreateQualificationTypeResponse>"
        )
    );
    assert_eq!(id.len(), 30);
    assert!(id.chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
}

#[tokio::test]
async fn a_request_level_error_goes_inside_the_result_with_the_millisecond_suffix() {
    let app = app().await;
    let answer = app
        .call(
            "RevokeQualification",
            &[("SubjectId", "AHM21AWBZPEJNM"), ("QualificationTypeId", "3NOSUCHTYPE0000000000000000000")],
        )
        .await;
    assert_eq!(
        normalise(&answer.body),
        "<?xml version=\"1.0\"?>\n<RevokeQualificationResponse><OperationRequest><RequestId>REQUEST-ID</RequestId>\
         </OperationRequest><RevokeQualificationResult><Request><IsValid>False</IsValid><Errors><Error><Code>\
         AWS.MechanicalTurk.QualificationTypeDoesNotExist</Code><Message>QualificationType \
         3NOSUCHTYPE0000000000000000000 does not exist. (1767225600000)</Message><Data><Key>QualificationTypeId</Key>\
         <Value>3NOSUCHTYPE0000000000000000000</Value></Data></Error></Errors></Request></RevokeQualificationResult>\
         </RevokeQualificationResponse>"
    );
}

#[tokio::test]
async fn auth_errors_go_inside_operation_request_with_the_captured_texts() {
    let app = app().await;
    let unknown = app.call_as("AKIANOBODY0000000000", "x", "GetAccountBalance", &[]).await;
    assert_eq!(
        normalise(&unknown.body),
        "<?xml version=\"1.0\"?>\n<GetAccountBalanceResponse><OperationRequest><RequestId>REQUEST-ID</RequestId><Errors>\
         <Error><Code>AWS.NotAuthorized</Code><Message>The identity contained in the request is not authorized to use \
         this AWSAccessKeyId (1767225600000)</Message></Error></Errors></OperationRequest></GetAccountBalanceResponse>"
    );
    let bad = app.call_as(DEV_KEY, "wrong secret", "GetAccountBalance", &[]).await;
    let customer_signature =
        sign(b"wrong secret", &default_string_to_sign("GetAccountBalance", "2026-01-01T00:00:00Z"));
    assert_eq!(
        normalise(&bad.body),
        format!(
            "<?xml version=\"1.0\"?>\n<GetAccountBalanceResponse><OperationRequest><RequestId>REQUEST-ID</RequestId>\
             <Errors><Error><Code>AWS.BadClaimsSupplied</Code><Message>The specified claims are invalid.   Based on your \
             request, your signature should be generated using the following string: \
             AWSMechanicalTurkRequesterGetAccountBalance2026-01-01T00:00:00Z.  Check to make sure your system clock and \
             timezone is not incorrect.  Our current system time: 2026-01-01T00:00:00Z.  (1767225600000)</Message><Data>\
             <Key>CustomerSignature</Key><Value>{customer_signature}</Value></Data><Data><Key>StringToSign</Key><Value>\
             AWSMechanicalTurkRequesterGetAccountBalance2026-01-01T00:00:00Z</Value></Data><Data><Key>SystemTime</Key>\
             <Value>2026-01-01T00:00:00Z</Value></Data></Error></Errors></OperationRequest></GetAccountBalanceResponse>"
        )
    );
}

#[tokio::test]
async fn timestamps_outside_fifteen_minutes_of_real_time_are_refused() {
    let app = app().await;
    let signed = app.signed(DEV_KEY, DEV_SECRET, "GetAccountBalance", &[]);
    app.wall.set(crate::common::START.plus_seconds(15 * 60));
    app.post_form("/", &signed).await.ok();
    app.wall.set(crate::common::START.plus_seconds(15 * 60 + 1));
    app.post_form("/", &signed).await.err("AWS.BadClaimsSupplied");
    app.wall.set(crate::common::START.plus_seconds(-15 * 60 - 1));
    app.post_form("/", &signed).await.err("AWS.BadClaimsSupplied");
    // The virtual clock does not matter for signatures.
    app.wall.set(crate::common::START);
    app.advance(86_400);
    app.post_form("/", &signed).await.ok();
}

#[tokio::test]
async fn boto2_signature_version_1_and_millisecond_timestamps_verify() {
    let app = app().await;
    let v1 = app.signed_v1("GetAccountBalance", &[]);
    let answer = app.post_form("/", &v1).await.ok();
    assert_eq!(answer.text("Amount").as_deref(), Some("10000.00"));
    assert_eq!(answer.text("FormattedPrice").as_deref(), Some("$10000.00"));
    // ruby-aws sends a fixed ".123Z"; the raw string is what gets signed.
    let ts = "2026-01-01T00:00:00.123Z";
    let sig = sign(DEV_SECRET.as_bytes(), &default_string_to_sign("GetAccountBalance", ts));
    let form: Vec<(String, String)> = [
        ("AWSAccessKeyId", DEV_KEY),
        ("Operation", "GetAccountBalance"),
        ("Timestamp", ts),
        ("Signature", sig.as_str()),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    app.post_form("/onca/xml", &form).await.ok();
    // Tampering with any v1-signed parameter breaks the signature.
    let mut tampered = app.signed_v1("GetAccountBalance", &[]);
    tampered.iter_mut().find(|(k, _)| k == "Version").unwrap().1 = "2012-03-25".into();
    app.post_form("/", &tampered).await.err("AWS.BadClaimsSupplied");
}

#[tokio::test]
async fn get_and_post_on_both_paths_and_the_action_alias_are_accepted() {
    let app = app().await;
    let signed = app.signed(DEV_KEY, DEV_SECRET, "GetAccountBalance", &[("Version", "2006-10-31")]);
    app.get_query("/", &signed).await.ok();
    app.get_query("/onca/xml", &signed).await.ok();
    app.post_form("/onca/xml", &signed).await.ok();
    // Service in the query string, the rest in the body (ruby-aws, MTurkR).
    let body: Vec<(String, String)> = signed.iter().filter(|(k, _)| k != "Service").cloned().collect();
    let answer = app
        .raw(
            "POST",
            "/?Service=AWSMechanicalTurkRequester",
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            serde_urlencoded(&body).into_bytes(),
        )
        .await;
    answer.ok();
    // boto 2.5.2 sent Action instead of Operation.
    let action: Vec<(String, String)> = signed
        .iter()
        .map(|(k, v)| if k == "Operation" { ("Action".to_owned(), v.clone()) } else { (k.clone(), v.clone()) })
        .collect();
    let answer = app.post_form("/", &action).await.ok();
    assert!(answer.body.contains("<GetAccountBalanceResponse>"));
    // Every published version is accepted; an unknown one is not.
    for version in mturk_local::protocol::legacy_xml::VERSIONS {
        app.call("GetAccountBalance", &[("Version", version)]).await.ok();
    }
    app.call("GetAccountBalance", &[("Version", "2099-01-01")]).await.err("AWS.MechanicalTurk.InvalidParameterValue");
}

#[tokio::test]
#[allow(clippy::too_many_lines, reason = "one table of malformed requests")]
async fn malformed_requests_get_mturk_errors_never_a_404_500_or_panic() {
    let app = app().await;
    let unsigned = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    };
    let cases: Vec<(&str, crate::common::Answer, &str)> = vec![
        ("no Operation", app.post_form("/", &unsigned(&[("AWSAccessKeyId", DEV_KEY)])).await, "AWS.MissingParameters"),
        (
            "no Signature",
            app.post_form(
                "/",
                &unsigned(&[
                    ("Operation", "GetAccountBalance"),
                    ("AWSAccessKeyId", DEV_KEY),
                    ("Timestamp", "2026-01-01T00:00:00Z"),
                ]),
            )
            .await,
            "AWS.MissingParameters",
        ),
        (
            "no AWSAccessKeyId",
            app.post_form(
                "/",
                &unsigned(&[
                    ("Operation", "GetAccountBalance"),
                    ("Signature", "x"),
                    ("Timestamp", "2026-01-01T00:00:00Z"),
                ]),
            )
            .await,
            "AWS.MissingParameters",
        ),
        (
            "no Timestamp",
            app.post_form(
                "/",
                &unsigned(&[("Operation", "GetAccountBalance"), ("AWSAccessKeyId", DEV_KEY), ("Signature", "x")]),
            )
            .await,
            "AWS.MissingParameters",
        ),
        ("an unknown operation", app.call("RevokeEverything", &[]).await, "AWS.MechanicalTurk.InvalidParameterValue"),
        (
            "a notification setting without HITTypeId",
            app.call("SetHITTypeNotification", &[]).await,
            "AWS.MissingParameters",
        ),
        (
            "an operation name that is not a name",
            app.call("Get<Balance>", &[]).await,
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "a wrong Service",
            app.post_form("/", &{
                let mut s = app.signed(DEV_KEY, DEV_SECRET, "GetAccountBalance", &[]);
                s[0].1 = "AWSECommerceService".into();
                s
            })
            .await,
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "invalid UTF-8",
            app.raw("GET", "/?Operation=GetAccountBalance&Reason=%FF%FE", None, vec![]).await,
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "a duplicated parameter",
            app.raw("GET", "/?Operation=GetAccountBalance&Operation=GetAccountBalance", None, vec![]).await,
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "a JSON body",
            app.raw("POST", "/", Some("application/json"), b"{\"Operation\":1}".to_vec()).await,
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "an oversized body",
            app.raw(
                "POST",
                "/?Operation=GetAccountBalance",
                Some("application/x-www-form-urlencoded"),
                vec![b'a'; 2 * 1024 * 1024],
            )
            .await,
            "AWS.ParameterOutOfRange",
        ),
        (
            "a DELETE",
            app.raw("DELETE", "/onca/xml?Operation=GetAccountBalance", None, vec![]).await,
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "a control character",
            app.call(
                "RevokeQualification",
                &[("SubjectId", "AHM21AWBZPEJNM"), ("QualificationTypeId", "3ABC"), ("Reason", "bell\u{7}")],
            )
            .await,
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "a non-numeric integer",
            app.call(
                "AssignQualification",
                &[("QualificationTypeId", "3ABC"), ("WorkerId", "AHM21AWBZPEJNM"), ("IntegerValue", "ten")],
            )
            .await,
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "a bad boolean",
            app.call(
                "AssignQualification",
                &[("QualificationTypeId", "3ABC"), ("WorkerId", "AHM21AWBZPEJNM"), ("SendNotification", "maybe")],
            )
            .await,
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "an unsupported signature version",
            app.post_form("/", &{
                let mut s = app.signed(DEV_KEY, DEV_SECRET, "GetAccountBalance", &[]);
                s.push(("SignatureVersion".into(), "2".into()));
                s
            })
            .await,
            "AWS.BadClaimsSupplied",
        ),
    ];
    for (what, answer, code) in cases {
        assert_eq!(answer.status, 200, "{what}: HTTP {}", answer.status);
        assert_eq!(answer.content_type, "text/xml", "{what}");
        assert!(answer.body.starts_with("<?xml version=\"1.0\"?>\n<"), "{what}: {}", answer.body);
        assert_eq!(answer.code().as_deref(), Some(code), "{what}: {}", answer.body);
        assert!(tags_balance(&answer.body), "{what}: not well-formed: {}", answer.body);
    }
}

/// A cheap well-formedness check: every opened tag is closed in order.
fn tags_balance(xml: &str) -> bool {
    let body = xml.trim_start_matches("<?xml version=\"1.0\"?>\n");
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find('<') {
        let Some(end) = rest[start..].find('>') else { return false };
        let tag = &rest[start + 1..start + end];
        if let Some(name) = tag.strip_prefix('/') {
            if stack.pop() != Some(name) {
                return false;
            }
        } else {
            stack.push(tag);
        }
        if rest[..start].contains('>') {
            return false;
        }
        rest = &rest[start + end + 1..];
    }
    stack.is_empty()
}

#[tokio::test]
async fn text_with_markup_quotes_and_non_ascii_round_trips_intact() {
    let app = app().await;
    let name = "<script>alert('x') & \"y\"</script> — 日本語 😀";
    let answer = app
        .call(
            "CreateQualificationType",
            &[("Name", name), ("Description", "d&d"), ("QualificationTypeStatus", "Active")],
        )
        .await
        .ok();
    assert!(tags_balance(&answer.body));
    assert_eq!(answer.text("Name").as_deref(), Some(name));
    assert!(answer.body.contains("&lt;script&gt;alert(&apos;x&apos;) &amp; &quot;y&quot;&lt;/script&gt;"));
}

#[tokio::test]
async fn response_group_request_echoes_the_parsed_request_in_xsd_order() {
    let app = app().await;
    let qt = app.create_type("echo", &[]).await;
    app.call("AssignQualification", &[("QualificationTypeId", &qt), ("WorkerId", "AHM21AWBZPEJNM")]).await.ok();
    let answer = app
        .call(
            "RevokeQualification",
            &[
                ("Reason", "r<1>"),
                ("QualificationTypeId", &qt),
                ("SubjectId", "AHM21AWBZPEJNM"),
                ("ResponseGroup.0", "Minimal"),
                ("ResponseGroup.1", "Request"),
            ],
        )
        .await
        .ok();
    assert!(answer.body.contains(&format!(
        "<RevokeQualificationResult><Request><IsValid>True</IsValid><RevokeQualificationRequest><SubjectId>AHM21AWBZPEJNM\
         </SubjectId><QualificationTypeId>{qt}</QualificationTypeId><Reason>r&lt;1&gt;</Reason><ResponseGroup>Minimal\
         </ResponseGroup><ResponseGroup>Request</ResponseGroup></RevokeQualificationRequest></Request>\
         </RevokeQualificationResult>"
    )));
    // The echo also accompanies errors, before them.
    let failed = app
        .call(
            "RevokeQualification",
            &[("QualificationTypeId", &qt), ("SubjectId", "AHM21AWBZPEJNM"), ("ResponseGroup", "Request")],
        )
        .await;
    assert!(failed.body.contains("<Request><IsValid>False</IsValid><RevokeQualificationRequest>"));
    assert!(failed.body.contains("</RevokeQualificationRequest><Errors>"));
    // GetQualificationScore has no echo element in the XSD.
    let score = app
        .call(
            "GetQualificationScore",
            &[("QualificationTypeId", &qt), ("SubjectId", "AHM21AWBZPEJNM"), ("ResponseGroup", "Request")],
        )
        .await;
    assert!(!score.body.contains("GetQualificationScoreRequest"));
}

#[tokio::test]
async fn score_responses_use_shape_b_and_list_responses_shape_c() {
    let app = app().await;
    let qt = app.create_type("shapes", &[]).await;
    app.call(
        "AssignQualification",
        &[("QualificationTypeId", &qt), ("WorkerId", "AHM21AWBZPEJNM"), ("IntegerValue", "95")],
    )
    .await
    .ok();
    let score =
        app.call("GetQualificationScore", &[("QualificationTypeId", &qt), ("SubjectId", "AHM21AWBZPEJNM")]).await;
    assert!(score.body.contains(&format!(
        "</OperationRequest><Qualification><Request><IsValid>True</IsValid></Request><QualificationTypeId>{qt}\
         </QualificationTypeId><SubjectId>AHM21AWBZPEJNM</SubjectId><GrantTime>2026-01-01T00:00:00Z</GrantTime>\
         <IntegerValue>95</IntegerValue><Status>Granted</Status></Qualification></GetQualificationScoreResponse>"
    )));
    let list = app.call("GetQualificationsForQualificationType", &[("QualificationTypeId", &qt)]).await;
    assert!(list.body.contains(
        "<GetQualificationsForQualificationTypeResult><Request><IsValid>True</IsValid></Request><NumResults>1\
         </NumResults><TotalNumResults>1</TotalNumResults><PageNumber>1</PageNumber><Qualification>"
    ));
}

#[tokio::test]
async fn the_sign_helper_prints_a_url_the_server_accepts() {
    let app = app().await;
    let settings = crate::common::test_settings("sqlite::memory:");
    let url = mturk_local::sign::signed_url(&settings, "GetAccountBalance", &[], Some(app.base.clone()), None, None)
        .expect("signed url");
    // The helper signs with real time, so widen this test server's window check by using real wall time.
    app.wall.set(mturk_local::domain::clock::Clock::now(&mturk_local::domain::clock::SystemClock));
    let path = url.strip_prefix(&app.base).unwrap();
    app.raw("GET", path, None, vec![]).await.ok();
}
