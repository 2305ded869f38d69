//! Listings filtered by a HIT's state in the database: the worker
//! marketplace (`GET /_local/workers/{id}/hits`), read a page at a time,
//! and GetReviewableHITs. Each must list exactly the HITs whose status
//! says so, in creation order.

use serde_json::json;

use crate::both_backends;
use crate::common::TestApp;

const ANSWER: &str = r#"<QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"><Answer><QuestionIdentifier>q</QuestionIdentifier><FreeText>done</FreeText></Answer></QuestionFormAnswers>"#;
const QUESTION: &str = r#"<ExternalQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/ExternalQuestion.xsd"><ExternalURL>https://example.org/task</ExternalURL><FrameHeight>600</FrameHeight></ExternalQuestion>"#;

both_backends!(the_marketplace_lists_every_open_hit_across_pages, |app: TestApp| async move {
    let hit_type = app
        .call(
            "RegisterHITType",
            &[
                ("Title", "many"),
                ("Description", "d"),
                ("Reward.1.Amount", "0.01"),
                ("Reward.1.CurrencyCode", "USD"),
                ("AssignmentDurationInSeconds", "600"),
            ],
        )
        .await
        .ok()
        .text("HITTypeId")
        .unwrap();
    // More than two pages of HITs, all created at the same virtual instant (so
    // pages are told apart by id); every third one is taken by another worker.
    let mut open = Vec::new();
    for i in 0..450 {
        let created = app
            .call(
                "CreateHIT",
                &[
                    ("HITTypeId", &hit_type),
                    ("Question", QUESTION),
                    ("LifetimeInSeconds", "3600"),
                    ("MaxAssignments", "1"),
                ],
            )
            .await
            .ok();
        let id = created.text("HITId").unwrap();
        if i % 3 == 0 {
            let taken = app.control("POST", "/workers/A1TAKER/assignments", Some(json!({ "HITId": id }))).await;
            assert_eq!(taken.status, 200);
        } else {
            open.push(id);
        }
    }
    open.sort();
    let listed = app.control("GET", "/workers/A1FINDER/hits", None).await.json();
    let ids: Vec<String> =
        listed["HITs"].as_array().unwrap().iter().map(|h| h["HITId"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), open.len());
    assert_eq!(ids, open);
});

both_backends!(reviewable_hits_are_the_hits_whose_status_says_so, |app: TestApp| async move {
    let register = |title: &'static str| {
        let app = &app;
        async move {
            app.call(
                "RegisterHITType",
                &[
                    ("Title", title),
                    ("Description", "d"),
                    ("Reward.1.Amount", "0.01"),
                    ("Reward.1.CurrencyCode", "USD"),
                    ("AssignmentDurationInSeconds", "600"),
                ],
            )
            .await
            .ok()
            .text("HITTypeId")
            .unwrap()
        }
    };
    let (first_type, second_type) = (register("first").await, register("second").await);
    let create = |hit_type: String, max: &'static str, lifetime: &'static str| {
        let app = &app;
        async move {
            let params = [
                ("HITTypeId", hit_type.as_str()),
                ("Question", QUESTION),
                ("LifetimeInSeconds", lifetime),
                ("MaxAssignments", max),
            ];
            app.call("CreateHIT", &params).await.ok().text("HITId").unwrap()
        }
    };
    let accept = |hit: String, worker: &'static str| {
        let app = &app;
        async move {
            let a = app.control("POST", &format!("/workers/{worker}/assignments"), Some(json!({ "HITId": hit }))).await;
            a.json()["AssignmentId"].as_str().unwrap().to_owned()
        }
    };
    // Every state: open, full with work in progress, full and submitted,
    // expired, expired with work in progress, marked Reviewing, of either type.
    let open = create(first_type.clone(), "2", "3600").await;
    let in_progress = create(first_type.clone(), "1", "3600").await;
    accept(in_progress.clone(), "A1WORKER").await;
    let submitted = create(second_type.clone(), "1", "3600").await;
    let done = accept(submitted.clone(), "A1WORKER").await;
    app.control("POST", &format!("/assignments/{done}/submit"), Some(json!({ "Answer": ANSWER }))).await;
    let short = create(first_type.clone(), "1", "60").await;
    let short_busy = create(second_type.clone(), "2", "60").await;
    accept(short_busy.clone(), "A1WORKER").await;
    let marked = create(second_type.clone(), "1", "60").await;
    app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 120 }))).await;
    app.call("SetHITAsReviewing", &[("HITId", &marked)]).await.ok();
    let all = [open, in_progress, submitted, short, short_busy, marked];

    for (status, revert) in [("Reviewable", None), ("Reviewing", Some("Reviewing"))] {
        for hit_type in [None, Some(&first_type), Some(&second_type)] {
            let mut expected = Vec::new();
            for hit in &all {
                let got = app.call("GetHIT", &[("HITId", hit)]).await.ok();
                let of_type = hit_type.is_none_or(|t| got.text("HITTypeId").as_deref() == Some(t.as_str()));
                if got.text("HITStatus").as_deref() == Some(status) && of_type {
                    expected.push(hit.clone());
                }
            }
            if hit_type.is_none() {
                // The submitted and the expired HIT; the marked one.
                assert_eq!(expected.len(), if revert.is_none() { 2 } else { 1 }, "{status}");
            }
            let mut params = vec![("PageSize", "100")];
            if let Some(s) = revert {
                params.push(("Status", s));
            }
            if let Some(t) = hit_type {
                params.push(("HITTypeId", t.as_str()));
            }
            let listed = app.call("GetReviewableHITs", &params).await.ok();
            let total = listed.text("TotalNumResults").unwrap();
            let ids: Vec<String> =
                listed.body.split("<HITId>").skip(1).map(|s| s.split('<').next().unwrap().to_owned()).collect();
            let mut sorted = ids.clone();
            sorted.sort();
            let mut expected_sorted = expected.clone();
            expected_sorted.sort();
            assert_eq!(sorted, expected_sorted, "{status} of {hit_type:?}");
            assert_eq!(total, expected.len().to_string());
            // Creation order (one instant here, so by id).
            assert_eq!(ids, sorted);
        }
    }
});
