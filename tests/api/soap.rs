//! The legacy SOAP face: envelopes in every published version's namespace,
//! batched requests answered in order, faults for envelopes that cannot be
//! understood (with nothing written), authentication failures as the Java
//! SDK read them, the WSDL, and one store shared with the REST and JSON faces.

use crate::both_backends;
use crate::common::{table_rows, xml_text, Answer, TestApp, DEV_KEY, DEV_SECRET};

use mturk_local::auth::legacy::{default_string_to_sign, sign};

const NS: &str = "http://requester.mturk.amazonaws.com/doc/2014-08-15";
const SOAP_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// A signed envelope for `operation` in `namespace`, one `<Request>` per
/// item of `requests` (their inner XML), as mturk-api lays it out: the
/// requests first, then the key, timestamp and signature.
fn envelope_in(app: &TestApp, namespace: &str, operation: &str, requests: &[&str]) -> String {
    use crate::common::ClockText as _;
    let timestamp = app.wall.now_text();
    let signature = sign(DEV_SECRET.as_bytes(), &default_string_to_sign(operation, &timestamp));
    let requests: String = requests.iter().flat_map(|r| ["<Request>", r, "</Request>"]).collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"{SOAP_ENV}\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soap:Body><{operation} xmlns=\"{namespace}\">\
         {requests}<AWSAccessKeyId>{DEV_KEY}</AWSAccessKeyId><Timestamp>{timestamp}</Timestamp>\
         <Signature>{signature}</Signature></{operation}></soap:Body></soap:Envelope>"
    )
}

fn envelope(app: &TestApp, operation: &str, requests: &[&str]) -> String {
    envelope_in(app, NS, operation, requests)
}

/// POSTs `body` to `path` as a SOAP 1.1 client does.
async fn post_soap(app: &TestApp, path: &str, body: String) -> Answer {
    let res = app
        .http
        .post(format!("{}{path}", app.base))
        .header("Content-Type", "text/xml; charset=utf-8")
        .header("SOAPAction", "\"http://soap.amazon.com\"")
        .body(body)
        .send()
        .await
        .expect("request reaches the server");
    let status = res.status().as_u16();
    let content_type = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    Answer { status, content_type, body: res.text().await.expect("body") }
}

async fn soap(app: &TestApp, operation: &str, requests: &[&str]) -> Answer {
    post_soap(app, "/onca/soap?Service=AWSMechanicalTurkRequester", envelope(app, operation, requests)).await
}

/// The result elements of an answer, each as its own text.
fn results<'a>(body: &'a str, element: &str) -> Vec<&'a str> {
    let open = format!("<{element}>");
    let close = format!("</{element}>");
    body.match_indices(&open)
        .map(|(start, _)| {
            let end = start + body[start..].find(&close).expect("a closed result") + close.len();
            &body[start..end]
        })
        .collect()
}

both_backends!(a_soap_answer_is_the_legacy_answer_in_the_versions_namespace, |app: TestApp| async move {
    let answer = soap(&app, "GetAccountBalance", &[""]).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.content_type, "text/xml; charset=utf-8");
    let body = &answer.body;
    assert!(body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soapenv:Envelope"), "{body}");
    assert!(
        body.contains(&format!(
            "<soapenv:Body><GetAccountBalanceResponse xmlns=\"{NS}\"><OperationRequest><RequestId>"
        )),
        "{body}"
    );
    assert!(body.contains(
        "<GetAccountBalanceResult><Request><IsValid>True</IsValid></Request><AvailableBalance><Amount>10000.00\
         </Amount><CurrencyCode>USD</CurrencyCode><FormattedPrice>$10000.00</FormattedPrice></AvailableBalance>\
         </GetAccountBalanceResult></GetAccountBalanceResponse></soapenv:Body></soapenv:Envelope>"
    ));
    // Every published version's namespace is served, and answered in that namespace.
    let old = "http://requester.mturk.amazonaws.com/doc/2007-06-21";
    let blocked = "<PageSize>5</PageSize><ResponseGroup>Request</ResponseGroup>";
    let answer = post_soap(&app, "/onca/soap", envelope_in(&app, old, "GetBlockedWorkers", &[blocked])).await;
    assert!(answer.body.contains(&format!("<GetBlockedWorkersResponse xmlns=\"{old}\">")), "{}", answer.body);
    // The ResponseGroup=Request echo, as on REST.
    assert!(
        answer.body.contains(
            "<Request><IsValid>True</IsValid><GetBlockedWorkersRequest><PageSize>5</PageSize>\
             <ResponseGroup>Request</ResponseGroup></GetBlockedWorkersRequest></Request>"
        ),
        "{}",
        answer.body
    );
});

both_backends!(work_done_over_soap_is_seen_by_rest_and_the_other_way_round, |app: TestApp| async move {
    // A type created over SOAP is read over REST.
    let created = soap(
        &app,
        "CreateQualificationType",
        &["<Name>soap type</Name><Description>made over SOAP</Description>\
           <QualificationTypeStatus>Active</QualificationTypeStatus>"],
    )
    .await;
    assert!(created.body.contains("<QualificationType><Request><IsValid>True</IsValid>"), "{}", created.body);
    let type_id = created.text("QualificationTypeId").expect("a type id");
    let read = app.call("GetQualificationType", &[("QualificationTypeId", &type_id)]).await.ok();
    assert_eq!(read.text("Name").as_deref(), Some("soap type"));

    // Assigned over REST, revoked over SOAP: revoked everywhere.
    app.call(
        "AssignQualification",
        &[("QualificationTypeId", &type_id), ("WorkerId", "ASOAPWORKER1"), ("SendNotification", "false")],
    )
    .await
    .ok();
    let revoked = soap(
        &app,
        "RevokeQualification",
        &[&format!("<SubjectId>ASOAPWORKER1</SubjectId><QualificationTypeId>{type_id}</QualificationTypeId><Reason>done</Reason>")],
    )
    .await;
    assert!(
        revoked.body.contains("<RevokeQualificationResult><Request><IsValid>True</IsValid></Request>"),
        "{}",
        revoked.body
    );
    let listed = app
        .call("GetQualificationsForQualificationType", &[("QualificationTypeId", &type_id), ("Status", "Revoked")])
        .await
        .ok();
    assert_eq!(listed.text("SubjectId").as_deref(), Some("ASOAPWORKER1"));

    // Two HITs with a QuestionForm in one call, the first with a locale requirement: both
    // are read over REST, requirements and all; a worker's answer is read back over SOAP.
    let question = quick_xml::escape::escape(crate::common::documents::QUESTION_FORM);
    let properties = format!(
        "<MaxAssignments>1</MaxAssignments><LifetimeInSeconds>3600</LifetimeInSeconds>\
         <AssignmentDurationInSeconds>600</AssignmentDurationInSeconds><Reward><Amount>0.25</Amount>\
         <CurrencyCode>USD</CurrencyCode></Reward><Title>colours</Title><Description>pick one</Description>\
         <Question>{question}</Question>"
    );
    let located = format!(
        "{properties}<QualificationRequirement><QualificationTypeId>00000000000000000071</QualificationTypeId>\
         <Comparator>In</Comparator><LocaleValue><Country>US</Country><Subdivision>WA</Subdivision></LocaleValue>\
         <LocaleValue><Country>CA</Country></LocaleValue></QualificationRequirement>"
    );
    let hits = soap(&app, "CreateHIT", &[&located, &properties]).await;
    let created: Vec<String> =
        results(&hits.body, "HIT").iter().map(|h| xml_text(h, "HITId").expect("a HIT id")).collect();
    assert_eq!(created.len(), 2, "{}", hits.body);
    // REST answers carry the captured NumberOfSimilarHITs; the 2014-08-15 schema has no such
    // element and WSDL-compiled clients refuse it, so SOAP answers leave it out.
    assert!(!hits.body.contains("NumberOfSimilarHITs"), "{}", hits.body);
    let (located_id, hit_id) = (created[0].clone(), created[1].clone());
    let got = app.call("GetHIT", &[("HITId", &located_id)]).await.ok();
    assert!(got.body.contains("<NumberOfSimilarHITs>0</NumberOfSimilarHITs>"), "{}", got.body);
    assert!(
        got.body.contains(
            "<Comparator>In</Comparator><LocaleValue><Country>US</Country><Subdivision>WA</Subdivision></LocaleValue>\
             <LocaleValue><Country>CA</Country></LocaleValue>"
        ),
        "{}",
        got.body
    );
    let answer = crate::common::documents::answer("blue");
    let assignment = app.work("ASOAPWORKER2", &hit_id, &answer).await;
    let listed = soap(&app, "GetAssignmentsForHIT", &[&format!("<HITId>{hit_id}</HITId>")]).await;
    assert_eq!(xml_text(&listed.body, "AssignmentId").as_deref(), Some(assignment.as_str()), "{}", listed.body);
    assert!(listed.text("Answer").expect("the answer").contains("<SelectionIdentifier>blue</SelectionIdentifier>"));
});

both_backends!(batched_requests_are_answered_in_order_each_with_its_own_outcome, |app: TestApp| async move {
    let type_id = app.create_type("batched", &[]).await;
    let request = |worker: &str| {
        format!("<QualificationTypeId>{type_id}</QualificationTypeId><WorkerId>{worker}</WorkerId><IntegerValue>7</IntegerValue>")
    };
    let answer = soap(
        &app,
        "AssignQualification",
        &[&request("ABATCHFIRST1"), "<WorkerId>ABATCHNOTYPE</WorkerId>", &request("ABATCHTHIRD1")],
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let results = results(&answer.body, "AssignQualificationResult");
    assert_eq!(results.len(), 3, "{}", answer.body);
    assert_eq!(
        results[0],
        "<AssignQualificationResult><Request><IsValid>True</IsValid></Request></AssignQualificationResult>"
    );
    assert!(results[1].starts_with("<AssignQualificationResult><Request><IsValid>False</IsValid><Errors><Error><Code>AWS.MissingParameters</Code>"), "{}", results[1]);
    assert_eq!(results[2], results[0]);
    // The two valid requests ran; the refused one wrote nothing.
    for worker in ["ABATCHFIRST1", "ABATCHTHIRD1"] {
        let score =
            app.call("GetQualificationScore", &[("QualificationTypeId", &type_id), ("SubjectId", worker)]).await.ok();
        assert_eq!(score.text("IntegerValue").as_deref(), Some("7"));
    }
    let all = app.call("GetQualificationsForQualificationType", &[("QualificationTypeId", &type_id)]).await.ok();
    assert_eq!(all.text("TotalNumResults").as_deref(), Some("2"));
});

both_backends!(envelopes_that_cannot_be_understood_are_faults_and_write_nothing, |app: TestApp| async move {
    let create = envelope(
        &app,
        "CreateQualificationType",
        &["<Name>never</Name><Description>d</Description><QualificationTypeStatus>Active</QualificationTypeStatus>"],
    );
    let cases: Vec<(&str, String, &str, &str)> = vec![
        ("not XML", "this is not <xml".to_owned(), "soapenv:Client", "AWS.MechanicalTurk.XMLParseError"),
        (
            "a DOCTYPE",
            create.replacen("?>", "?><!DOCTYPE Envelope [<!ENTITY boom \"boom\">]>", 1),
            "soapenv:Client",
            "AWS.MechanicalTurk.XMLParseError",
        ),
        (
            "another envelope namespace",
            create.replace(SOAP_ENV, "http://example.org/envelope"),
            "soapenv:VersionMismatch",
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "an unpublished version",
            create.replace(NS, "http://requester.mturk.amazonaws.com/doc/2020-01-01"),
            "soapenv:Client",
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "no namespace",
            create.replace(&format!(" xmlns=\"{NS}\""), ""),
            "soapenv:Client",
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "an unknown operation",
            create.replace("CreateQualificationType", "CreateQualificationKind"),
            "soapenv:Client",
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "two operations",
            create.replace(
                "</soap:Body>",
                "<GetAccountBalance xmlns=\"http://requester.mturk.amazonaws.com/doc/2014-08-15\"/></soap:Body>",
            ),
            "soapenv:Client",
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
        (
            "a header it must understand",
            create.replace("<soap:Body>", "<soap:Header><Token soap:mustUnderstand=\"1\"/></soap:Header><soap:Body>"),
            "soapenv:MustUnderstand",
            "AWS.MechanicalTurk.InvalidParameterValue",
        ),
    ];
    let before = table_rows(&app.database).await;
    for (what, body, faultcode, code) in cases {
        let answer = post_soap(&app, "/onca/soap", body).await;
        assert_eq!(answer.status, 500, "{what}: {}", answer.body);
        assert_eq!(answer.text("faultcode").as_deref(), Some(faultcode), "{what}: {}", answer.body);
        assert_eq!(answer.code().as_deref(), Some(code), "{what}: {}", answer.body);
        assert!(answer.text("faultstring").is_some_and(|s| !s.is_empty()), "{what}");
    }
    // SOAP 1.2 and other bodies are refused by their content type.
    let res = app
        .http
        .post(format!("{}/onca/soap", app.base))
        .header("Content-Type", "application/soap+xml")
        .body(create.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 500);
    assert!(res.text().await.unwrap().contains("<faultcode>soapenv:VersionMismatch</faultcode>"));
    let get = app.raw("GET", "/onca/soap", None, Vec::new()).await;
    assert_eq!((get.status, get.text("faultcode").as_deref()), (500, Some("soapenv:Client")), "{}", get.body);
    assert_eq!(table_rows(&app.database).await, before, "a refused envelope changed the store");
});

both_backends!(
    authentication_failures_answer_in_operation_request_errors_and_write_nothing,
    |app: TestApp| async move {
        let create = envelope(&app, "CreateQualificationType", &["<Name>never</Name><Description>d</Description><QualificationTypeStatus>Active</QualificationTypeStatus>"]);
        let signature = xml_text(&create, "Signature").unwrap();
        let cases: Vec<(&str, String, &str)> = vec![
            (
                "no signature",
                create.replace(&format!("<Signature>{signature}</Signature>"), ""),
                "AWS.MissingParameters",
            ),
            ("a wrong signature", create.replace(&signature, "AAAAAAAAAAAAAAAAAAAAAAAAAAA="), "AWS.BadClaimsSupplied"),
            ("an unknown key", create.replace(DEV_KEY, "AKIANOBODYKNOWSTHIS1"), "AWS.NotAuthorized"),
            (
                "the signature of another operation",
                create.replace(
                    &signature,
                    &sign(
                        DEV_SECRET.as_bytes(),
                        &default_string_to_sign("GetAccountBalance", &xml_text(&create, "Timestamp").unwrap()),
                    ),
                ),
                "AWS.BadClaimsSupplied",
            ),
        ];
        let before = table_rows(&app.database).await;
        for (what, body, code) in cases {
            let answer = post_soap(&app, "/onca/soap", body).await;
            assert_eq!(answer.status, 200, "{what}: {}", answer.body);
            assert!(
                answer.body.contains(&format!(
                    "<CreateQualificationTypeResponse xmlns=\"{NS}\"><OperationRequest><RequestId>"
                )),
                "{what}: {}",
                answer.body
            );
            assert!(answer.body.contains(&format!("<Errors><Error><Code>{code}</Code>")), "{what}: {}", answer.body);
            assert!(
                answer.body.contains("</Errors></OperationRequest></CreateQualificationTypeResponse>"),
                "{what}: {}",
                answer.body
            );
        }
        assert_eq!(table_rows(&app.database).await, before, "a refused call changed the store");
    }
);

both_backends!(soap_on_the_root_is_told_apart_by_content_type_and_soapaction, |app: TestApp| async move {
    // Amazon's Java SDK posts to its service_url, /?Service=AWSMechanicalTurkRequester.
    let answer =
        post_soap(&app, "/?Service=AWSMechanicalTurkRequester", envelope(&app, "GetAccountBalance", &[""])).await;
    assert!(answer.body.contains("<GetAccountBalanceResult><Request><IsValid>True</IsValid>"), "{}", answer.body);
    // Without SOAPAction, a text/xml body is not a REST form either.
    let rest = app.raw("POST", "/", Some("text/xml"), envelope(&app, "GetAccountBalance", &[""]).into_bytes()).await;
    assert_eq!(rest.code().as_deref(), Some("AWS.MechanicalTurk.InvalidParameterValue"), "{}", rest.body);
    assert!(rest.body.contains("SOAP envelopes go to /onca/soap"), "{}", rest.body);
    // REST forms and JSON calls on / are untouched.
    app.call("GetAccountBalance", &[]).await.ok();
});

both_backends!(the_wsdl_names_this_server_and_every_operation, |app: TestApp| async move {
    let res = app
        .http
        .get(format!("{}/onca/soap?wsdl", app.base))
        .header("Host", "mturk.example.test:8099")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let wsdl = res.text().await.unwrap();
    assert!(wsdl.contains(&format!("targetNamespace=\"{NS}\"")), "{wsdl}");
    assert!(wsdl.contains(
        "<soap:address location=\"http://mturk.example.test:8099/onca/soap?Service=AWSMechanicalTurkRequester\"/>"
    ));
    assert!(wsdl.contains("<portType name=\"AWSMechanicalTurkRequesterPortType\">"), "portType");
    for op in mturk_local::protocol::legacy_xml::dispatch::OPERATIONS {
        assert!(wsdl.contains(&format!("<message name=\"{}RequestMsg\">", op.name)), "{}", op.name);
    }
    let old = app.raw("GET", "/AWSMechanicalTurk/2011-10-01/AWSMechanicalTurkRequester.wsdl", None, Vec::new()).await;
    assert_eq!(old.status, 200);
    assert!(old.body.contains("targetNamespace=\"http://requester.mturk.amazonaws.com/doc/2011-10-01\""));
    let latest = app.raw("GET", "/AWSMechanicalTurk/AWSMechanicalTurkRequester.wsdl", None, Vec::new()).await;
    assert!(latest.body.contains(&format!("targetNamespace=\"{NS}\"")));
    let never = app.raw("GET", "/AWSMechanicalTurk/2001-01-01/AWSMechanicalTurkRequester.wsdl", None, Vec::new()).await;
    assert_eq!(never.status, 404);
});

both_backends!(injected_faults_reach_soap_calls_as_the_java_sdk_retries_them, |app: TestApp| async move {
    let add = |rule: serde_json::Value| {
        let app = &app;
        async move {
            let added = app.control("POST", "/faults", Some(rule)).await;
            assert_eq!(added.status, 200, "{}", added.body);
        }
    };
    // A rule for the legacy protocol covers SOAP calls: throttling is a Server.ServiceUnavailable fault.
    add(serde_json::json!({ "Operation": "GetAccountBalance", "Protocol": "legacy", "Error": "Throttling", "Count": 1 }))
        .await;
    let throttled = soap(&app, "GetAccountBalance", &[""]).await;
    assert_eq!(throttled.status, 503, "{}", throttled.body);
    assert_eq!(throttled.text("faultcode").as_deref(), Some("soapenv:Server.ServiceUnavailable"));
    assert_eq!(throttled.code().as_deref(), Some("AWS.ServiceUnavailable"));
    // An injected MTurk error goes in each result of the batch, and the operation does not run.
    let type_id = app.create_type("faulted", &[]).await;
    add(serde_json::json!({ "Operation": "AssignQualification", "Error": "AWS.MechanicalTurk.QualificationTypeDoesNotExist", "Count": 1 }))
        .await;
    let request = format!("<QualificationTypeId>{type_id}</QualificationTypeId><WorkerId>AFAULTEDWORKER</WorkerId>");
    let faulted = soap(&app, "AssignQualification", &[&request, &request]).await;
    assert_eq!(faulted.status, 200, "{}", faulted.body);
    let results = results(&faulted.body, "AssignQualificationResult");
    assert_eq!(results.len(), 2, "{}", faulted.body);
    for result in results {
        assert!(result.contains("<Code>AWS.MechanicalTurk.QualificationTypeDoesNotExist</Code>"), "{result}");
    }
    let none = app.call("GetQualificationsForQualificationType", &[("QualificationTypeId", &type_id)]).await.ok();
    assert_eq!(none.text("TotalNumResults").as_deref(), Some("0"));
    // The rule is spent: the next call runs.
    soap(&app, "GetAccountBalance", &[""]).await.ok();
});
