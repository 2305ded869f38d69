//! Help and the requester statistics (legacy): the `Information` shape of the
//! 2014-08-15 XSD, and statistics of a scripted history checked against
//! numbers computed by hand.

use serde_json::json;

use crate::both_backends;
use crate::common::documents::{free_text, EXTERNAL_QUESTION};
use crate::common::{xml_text, Backend, Case, TestApp, OTHER_KEY, OTHER_SECRET};

const INVALID: &str = "AWS.MechanicalTurk.InvalidParameterValue";

/// What is wrong, the operation, its parameters, the expected code.
type OperationCase<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, &'a str);

async fn app() -> TestApp {
    TestApp::spawn(&Backend::Sqlite).await
}

#[tokio::test]
async fn help_describes_an_operation_in_the_xsd_element_order() {
    let app = app().await;
    let a = app.call("Help", &[("About", "GetFileUploadURL")]).await.ok();
    let body = &a.body;
    let info = body.find("<Information><Request><IsValid>True</IsValid></Request><OperationInformation>");
    assert!(info.is_some(), "{body}");
    let expected = "<OperationInformation><Name>GetFileUploadURL</Name><Description>";
    assert!(body.contains(expected), "{body}");
    let order = [
        "<Description>",
        "<RequiredParameters><Parameter>AssignmentId</Parameter><Parameter>QuestionIdentifier</Parameter></RequiredParameters>",
        "<DefaultResponseGroups><ResponseGroup>Minimal</ResponseGroup></DefaultResponseGroups>",
        "<AvailableResponseGroups><ResponseGroup>Minimal</ResponseGroup><ResponseGroup>Request</ResponseGroup></AvailableResponseGroups>",
        "</OperationInformation></Information>",
    ];
    let mut at = 0;
    for part in order {
        let found = body[at..].find(part).unwrap_or_else(|| panic!("{part} missing after {at} in {body}"));
        at += found + part.len();
    }
    // No optional parameters: no AvailableParameters element at all.
    assert!(!body.contains("<AvailableParameters>"), "{body}");
}

#[tokio::test]
async fn help_answers_several_names_in_the_order_asked() {
    let app = app().await;
    let a = app.call("Help", &[("About.1", "SearchHITs"), ("About.2", "GetHIT"), ("HelpType", "Operation")]).await.ok();
    let search = a.body.find("<Name>SearchHITs</Name>").unwrap();
    let get = a.body.find("<Name>GetHIT</Name>").unwrap();
    assert!(search < get, "{}", a.body);
    assert_eq!(a.body.matches("<OperationInformation>").count(), 2);
    assert!(a.body.contains(
        "<AvailableParameters><Parameter>SortProperty</Parameter><Parameter>SortDirection</Parameter>\
         <Parameter>PageSize</Parameter><Parameter>PageNumber</Parameter></AvailableParameters>"
    ));
    assert!(a.body.contains("<ResponseGroup>HITQuestion</ResponseGroup>"));
}

#[tokio::test]
async fn help_describes_a_response_group_with_the_operations_that_take_it() {
    let app = app().await;
    let a = app.call("Help", &[("About", "HITQuestion"), ("HelpType", "ResponseGroup")]).await.ok();
    assert!(
        a.body.contains(
            "<ResponseGroupInformation><Name>HITQuestion</Name><ValidOperations><Operation>CreateHIT</Operation>\
             <Operation>GetAssignment</Operation><Operation>GetHIT</Operation><Operation>SearchHITs</Operation>\
             </ValidOperations><Elements><Element>Question</Element></Elements></ResponseGroupInformation>"
        ),
        "{}",
        a.body
    );
}

#[tokio::test]
async fn help_refuses_unknown_names_and_types() {
    let app = app().await;
    let cases: &[Case] = &[
        ("an unknown operation", vec![("About", "GetEverything")], INVALID),
        ("a name in the wrong case", vec![("About", "gethit")], INVALID),
        ("one unknown name among known ones", vec![("About.1", "GetHIT"), ("About.2", "Nope")], INVALID),
        ("an operation asked as a response group", vec![("About", "GetHIT"), ("HelpType", "ResponseGroup")], INVALID),
        ("an unknown help type", vec![("About", "GetHIT"), ("HelpType", "Everything")], INVALID),
        ("no About", vec![("HelpType", "Operation")], "AWS.MissingParameters"),
    ];
    for (what, params, code) in cases {
        let a = app.call("Help", params).await;
        assert_eq!(a.code().as_deref(), Some(*code), "{what}: {}", a.body);
    }
}

// ---- Statistics -------------------------------------------------------------

const DAY0: &str = "2026-01-01T00:00:00Z";
const DAY1: &str = "2026-01-02T00:00:00Z";

async fn create_hit(app: &TestApp, reward: &str, max: &str) -> String {
    let a = app
        .call(
            "CreateHIT",
            &[
                ("Title", "Label a picture"),
                ("Description", "One label"),
                ("Reward.1.Amount", reward),
                ("Reward.1.CurrencyCode", "USD"),
                ("AssignmentDurationInSeconds", "600"),
                ("LifetimeInSeconds", "259200"),
                ("AutoApprovalDelayInSeconds", "2592000"),
                ("MaxAssignments", max),
                ("Question", EXTERNAL_QUESTION),
            ],
        )
        .await
        .ok();
    a.text("HITId").unwrap()
}

async fn accept(app: &TestApp, worker: &str, hit: &str) -> String {
    let a = app.control("POST", &format!("/workers/{worker}/assignments"), Some(json!({ "HITId": hit }))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.json()["AssignmentId"].as_str().unwrap().to_owned()
}

/// The scripted history, on two days (hand-computed results in the test below):
/// day 0, 01:00: HIT A ($0.50, 3 assignments) and HIT B ($1.25, 1 assignment);
/// W1 and W2 submit A, W3 accepts A and returns it, W4 accepts B and lets its
/// deadline pass; W1 is approved and gets a $1.00 bonus, W2 is rejected.
/// Day 1, 01:00: W5 submits A and is approved, W6 submits B (left pending).
async fn scripted_history(app: &TestApp) {
    app.advance(3600);
    let a = create_hit(app, "0.50", "3").await;
    let b = create_hit(app, "1.25", "1").await;
    let w1 = app.work("A1STATWORKERONE", &a, &free_text("x")).await;
    let w2 = app.work("A1STATWORKERTWO", &a, &free_text("x")).await;
    let w3 = accept(app, "A1STATWORKERTHREE", &a).await;
    assert_eq!(app.control("POST", &format!("/assignments/{w3}/return"), None).await.status, 200);
    accept(app, "A1STATWORKERFOUR", &b).await;
    app.call("ApproveAssignment", &[("AssignmentId", &w1)]).await.ok();
    app.call("RejectAssignment", &[("AssignmentId", &w2)]).await.ok();
    app.call(
        "GrantBonus",
        &[
            ("WorkerId", "A1STATWORKERONE"),
            ("AssignmentId", &w1),
            ("BonusAmount.1.Amount", "1.00"),
            ("BonusAmount.1.CurrencyCode", "USD"),
            ("Reason", "Careful work"),
        ],
    )
    .await
    .ok();
    app.advance(700); // W4's deadline (10 minutes) passes: abandoned.
    app.advance(86_400 - 700);
    let w5 = app.work("A1STATWORKERFIVE", &a, &free_text("x")).await;
    app.work("A1STATWORKERSIX", &b, &free_text("x")).await;
    app.call("ApproveAssignment", &[("AssignmentId", &w5)]).await.ok();
}

/// `(Date, value)` of every DataPoint of a statistic answer, in order.
fn points(body: &str) -> Vec<(String, String)> {
    body.split("<DataPoint>")
        .skip(1)
        .map(|p| {
            let date = xml_text(p, "Date").unwrap();
            let value = xml_text(p, "LongValue").or_else(|| xml_text(p, "DoubleValue")).unwrap();
            (date, value)
        })
        .collect()
}

async fn statistic(app: &TestApp, name: &str, period: &str, count: Option<&str>) -> Vec<(String, String)> {
    let mut params = vec![("Statistic", name), ("TimePeriod", period)];
    if let Some(c) = count {
        params.push(("Count", c));
    }
    let a = app.call("GetRequesterStatistic", &params).await.ok();
    points(&a.body)
}

both_backends!(requester_statistics_match_a_scripted_history_computed_by_hand, |app: TestApp| async move {
    scripted_history(&app).await;
    let now = "2026-01-02T01:00:00Z";
    let life: &[(&str, &str)] = &[
        ("NumberHITsCreated", "2"),
        ("NumberHITsCompleted", "1"),
        ("NumberHITsAssignable", "0"),
        ("NumberHITsReviewable", "2"),
        ("NumberAssignmentsAvailable", "0"),
        ("NumberAssignmentsAccepted", "6"),
        ("NumberAssignmentsPending", "1"),
        ("NumberAssignmentsApproved", "2"),
        ("NumberAssignmentsRejected", "1"),
        ("NumberAssignmentsReturned", "1"),
        ("NumberAssignmentsAbandoned", "1"),
        ("PercentAssignmentsApproved", "0.6666666666666666"),
        ("PercentAssignmentsRejected", "0.3333333333333333"),
        ("TotalRewardPayout", "1.00"),
        ("TotalRewardFeePayout", "0.20"),
        ("TotalBonusPayout", "1.00"),
        ("TotalBonusFeePayout", "0.20"),
        ("TotalFeePayout", "0.40"),
        ("TotalRewardAndFeePayout", "2.40"),
        ("AverageRewardAmount", "0.50"),
        // W6's pending $1.25 and its 20% fee.
        ("EstimatedRewardLiability", "1.25"),
        ("EstimatedFeeLiability", "0.25"),
        ("EstimatedTotalLiability", "1.50"),
    ];
    for (name, expected) in life {
        let got = statistic(&app, name, "LifeToDate", None).await;
        assert_eq!(got, vec![(now.to_owned(), (*expected).to_owned())], "{name}");
    }
    // The balance moved by exactly the payouts: 10000.00 - 2.40.
    let balance = app.call("GetAccountBalance", &[]).await.ok();
    assert_eq!(balance.text("Amount").as_deref(), Some("9997.60"));

    // Two days, newest first: flows by day, levels as their change over the day.
    let series: &[(&str, [&str; 2])] = &[
        ("NumberAssignmentsApproved", ["1", "1"]),
        ("NumberAssignmentsAccepted", ["2", "4"]),
        ("NumberAssignmentsPending", ["1", "0"]),
        ("TotalBonusPayout", ["0.00", "1.00"]),
        ("TotalRewardAndFeePayout", ["0.60", "1.80"]),
        // End of day 0: one slot of A and B's slot open (0.50 + 1.25); end of day 1: W6's 1.25.
        ("EstimatedRewardLiability", ["-0.50", "1.75"]),
        ("NumberHITsCreated", ["0", "2"]),
    ];
    for (name, [day1, day0]) in series {
        let got = statistic(&app, name, "OneDay", Some("2")).await;
        let expected = vec![(DAY1.to_owned(), (*day1).to_owned()), (DAY0.to_owned(), (*day0).to_owned())];
        assert_eq!(got, expected, "{name}");
    }
    assert_eq!(
        statistic(&app, "NumberAssignmentsApproved", "OneDay", None).await,
        vec![(DAY1.to_owned(), "1".to_owned())]
    );
    assert_eq!(
        statistic(&app, "NumberAssignmentsApproved", "SevenDays", None).await,
        vec![(now.to_owned(), "2".to_owned())]
    );
    assert_eq!(
        statistic(&app, "TotalRewardPayout", "ThirtyDays", None).await,
        vec![(now.to_owned(), "1.00".to_owned())]
    );

    // Thirty-one days later the manual approvals have left the thirty-day
    // window, and W6's assignment was approved automatically (30 days after
    // its submission), inside it.
    app.advance(31 * 86_400);
    assert_eq!(statistic(&app, "NumberAssignmentsApproved", "ThirtyDays", None).await[0].1, "1");
    assert_eq!(statistic(&app, "NumberAssignmentsApproved", "SevenDays", None).await[0].1, "1");
    assert_eq!(statistic(&app, "NumberAssignmentsApproved", "LifeToDate", None).await[0].1, "3");
    assert_eq!(statistic(&app, "TotalRewardPayout", "LifeToDate", None).await[0].1, "2.25");
    assert_eq!(statistic(&app, "NumberAssignmentsPending", "LifeToDate", None).await[0].1, "0");

    // Another requester has none of it.
    let other =
        app.call_as(OTHER_KEY, OTHER_SECRET, "GetRequesterStatistic", &[("Statistic", "NumberHITsCreated")]).await.ok();
    assert_eq!(points(&other.body)[0].1, "0");
});

both_backends!(worker_statistics_count_only_that_workers_assignments, |app: TestApp| async move {
    scripted_history(&app).await;
    let ask = |worker: &'static str, name: &'static str| {
        let app = &app;
        async move {
            let a = app
                .call(
                    "GetRequesterWorkerStatistic",
                    &[("Statistic", name), ("WorkerId", worker), ("TimePeriod", "LifeToDate")],
                )
                .await
                .ok();
            assert!(a.body.contains(&format!(
                "</DataPoint><Statistic>{name}</Statistic><TimePeriod>LifeToDate</TimePeriod><WorkerId>{worker}</WorkerId></GetStatisticResult>"
            )), "{}", a.body);
            assert!(
                a.body.starts_with("<?xml") || a.body.contains("<GetRequesterWorkerStatisticResponse"),
                "{}",
                a.body
            );
            points(&a.body)[0].1.clone()
        }
    };
    assert_eq!(ask("A1STATWORKERONE", "NumberAssignmentsApproved").await, "1");
    assert_eq!(ask("A1STATWORKERONE", "NumberAssignmentsRejected").await, "0");
    assert_eq!(ask("A1STATWORKERTWO", "PercentAssignmentsRejected").await, "1");
    assert_eq!(ask("A1STATWORKERTWO", "PercentAssignmentsApproved").await, "0");
    // No review policy has evaluated anything.
    assert_eq!(ask("A1STATWORKERONE", "NumberKnownAnswersEvaluated").await, "0");
    assert_eq!(ask("A1STATWORKERONE", "PercentPluralityAnswersCorrect").await, "0");
    assert_eq!(ask("A1NEVERWORKEDHERE", "NumberAssignmentsApproved").await, "0");
});

#[tokio::test]
async fn a_statistic_answer_follows_the_xsd_element_order() {
    let app = app().await;
    let a =
        app.call("GetRequesterStatistic", &[("Statistic", "NumberHITsCreated"), ("TimePeriod", "LifeToDate")]).await;
    let expected = "<GetRequesterStatisticResponse><OperationRequest><RequestId>";
    assert!(a.body.contains(expected), "{}", a.body);
    assert!(
        a.body.contains(
            "<GetStatisticResult><Request><IsValid>True</IsValid></Request><DataPoint><Date>2026-01-01T00:00:00Z</Date>\
             <LongValue>0</LongValue></DataPoint><Statistic>NumberHITsCreated</Statistic><TimePeriod>LifeToDate</TimePeriod>\
             </GetStatisticResult></GetRequesterStatisticResponse>"
        ),
        "{}",
        a.body
    );
}

#[tokio::test]
async fn statistic_operations_refuse_bad_input_with_mturk_errors() {
    let app = app().await;
    let cases: &[OperationCase] = &[
        ("no statistic", "GetRequesterStatistic", vec![("TimePeriod", "OneDay")], "AWS.MissingParameters"),
        ("an unknown statistic", "GetRequesterStatistic", vec![("Statistic", "NumberOfCats")], INVALID),
        ("a worker statistic", "GetRequesterStatistic", vec![("Statistic", "NumberKnownAnswersCorrect")], INVALID),
        (
            "an unknown period",
            "GetRequesterStatistic",
            vec![("Statistic", "NumberHITsCreated"), ("TimePeriod", "OneWeek")],
            INVALID,
        ),
        (
            "a Count of 0",
            "GetRequesterStatistic",
            vec![("Statistic", "NumberHITsCreated"), ("TimePeriod", "OneDay"), ("Count", "0")],
            "AWS.ParameterOutOfRange",
        ),
        (
            "a Count over a year",
            "GetRequesterStatistic",
            vec![("Statistic", "NumberHITsCreated"), ("TimePeriod", "OneDay"), ("Count", "366")],
            "AWS.ParameterOutOfRange",
        ),
        (
            "a Count that is not a number",
            "GetRequesterStatistic",
            vec![("Statistic", "NumberHITsCreated"), ("Count", "two")],
            INVALID,
        ),
        (
            "no worker",
            "GetRequesterWorkerStatistic",
            vec![("Statistic", "NumberAssignmentsApproved")],
            "AWS.MissingParameters",
        ),
        (
            "a malformed worker",
            "GetRequesterWorkerStatistic",
            vec![("Statistic", "NumberAssignmentsApproved"), ("WorkerId", "not a worker")],
            INVALID,
        ),
        (
            "a requester-only statistic",
            "GetRequesterWorkerStatistic",
            vec![("Statistic", "TotalRewardPayout"), ("WorkerId", "A1STATWORKERONE")],
            INVALID,
        ),
    ];
    for (what, op, params, code) in cases {
        let a = app.call(op, params).await;
        assert_eq!(a.code().as_deref(), Some(*code), "{what}: {}", a.body);
    }
}
