//! The worker marketplace listing (`GET /_local/workers/{id}/hits`) reads
//! the HITs a page at a time in the database; across pages it must list
//! exactly the HITs one read of everything would, in the same order.

use serde_json::json;

use crate::both_backends;
use crate::common::TestApp;

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
