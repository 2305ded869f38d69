//! Use cases that change several rows commit them together or not at all:
//! DisableHIT (expire, approve and pay every submitted assignment, dispose)
//! and ExtendHIT (more time and more assignments). A failure or a lost race
//! leaves the store as it was.

use aws_sdk_mturk::Client;

use crate::both_backends;
use crate::common::documents::free_text;
use crate::common::sdk::sdk;
use crate::common::{TestApp, DEV_KEY, DEV_SECRET, OTHER_KEY, OTHER_SECRET};

async fn new_hit(c: &Client, reward: &str, max: i32) -> String {
    crate::common::sdk::new_hit(c, "one transaction", reward, max, vec![]).await
}

/// A worker accepts and submits; returns the assignment id.
async fn submitted(app: &TestApp, worker: &str, hit: &str) -> String {
    app.work(worker, hit, &free_text("done")).await
}

/// Everything DisableHIT or ExtendHIT could change, as the requester sees it.
async fn hit_state(app: &TestApp, key: &str, secret: &str, hit: &str) -> (String, String, String, Vec<String>) {
    let c = sdk(app, key, secret);
    let got = c.get_hit().hit_id(hit).send().await.unwrap();
    let h = got.hit().unwrap();
    let status = h.hit_status().map(|s| s.as_str().to_owned()).unwrap_or_default();
    let expiration = format!("{:?}", h.expiration());
    let balance = c.get_account_balance().send().await.unwrap().available_balance().unwrap_or_default().to_owned();
    let listed = c.list_assignments_for_hit().hit_id(hit).send().await.unwrap();
    let mut assignments: Vec<String> =
        listed.assignments().iter().map(|a| format!("{:?} {:?}", a.assignment_id(), a.assignment_status())).collect();
    assignments.sort();
    (format!("{status} max {:?}", h.max_assignments()), expiration, balance, assignments)
}

both_backends!(disable_hit_that_cannot_pay_changes_nothing, |app: TestApp| async move {
    // The other requester starts with 25.00: two assignments of 10.00 cost 24.00 with fees.
    let c = sdk(&app, OTHER_KEY, OTHER_SECRET);
    let hit = new_hit(&c, "10.00", 2).await;
    let first = submitted(&app, "A1FIRSTWORKER", &hit).await;
    submitted(&app, "A1SECONDWORKER", &hit).await;
    // A bonus of 5.00 (6.00 with the fee) leaves 19.00, less than the 24.00 due.
    c.send_bonus()
        .worker_id("A1FIRSTWORKER")
        .assignment_id(&first)
        .bonus_amount("5.00")
        .reason("r")
        .send()
        .await
        .unwrap();
    let before = hit_state(&app, OTHER_KEY, OTHER_SECRET, &hit).await;
    assert_eq!(before.2, "19.00");
    let refused = app.call_as(OTHER_KEY, OTHER_SECRET, "DisableHIT", &[("HITId", &hit)]).await;
    refused.err("AWS.MechanicalTurk.InsufficientFunds");
    assert_eq!(hit_state(&app, OTHER_KEY, OTHER_SECRET, &hit).await, before);
});

both_backends!(two_disable_hits_at_once_pay_once, |app: TestApp| async move {
    let c = sdk(&app, DEV_KEY, DEV_SECRET);
    let hit = new_hit(&c, "0.50", 3).await;
    submitted(&app, "A1FIRSTWORKER", &hit).await;
    submitted(&app, "A1SECONDWORKER", &hit).await;
    let params = [("HITId", hit.as_str())];
    let (a, b) = tokio::join!(app.call("DisableHIT", &params), app.call("DisableHIT", &params));
    let mut codes = [a.code(), b.code()];
    codes.sort();
    assert_eq!(codes, [None, Some("AWS.MechanicalTurk.InvalidHITState".to_owned())]);
    // Two approvals of 0.50 + 0.10, paid once.
    assert_eq!(c.get_account_balance().send().await.unwrap().available_balance(), Some("9998.80"));
});

both_backends!(extend_hit_that_fails_a_rule_changes_nothing, |app: TestApp| async move {
    let c = sdk(&app, DEV_KEY, DEV_SECRET);
    let hit = new_hit(&c, "0.50", 5).await;
    let before = hit_state(&app, DEV_KEY, DEV_SECRET, &hit).await;
    let more_time = ("ExpirationIncrementInSeconds", "3600");
    // Time is fine, the assignments break the 10 rule: neither is applied.
    app.call("ExtendHIT", &[("HITId", &hit), more_time, ("MaxAssignmentsIncrement", "5")])
        .await
        .err("AWS.MechanicalTurk.InvalidMaximumAssignmentsIncrease");
    assert_eq!(hit_state(&app, DEV_KEY, DEV_SECRET, &hit).await, before);
    // An out-of-range increment, a bad token: found before anything changes.
    app.call("ExtendHIT", &[("HITId", &hit), more_time, ("MaxAssignmentsIncrement", "0")])
        .await
        .err("AWS.ParameterOutOfRange");
    let long_token = "t".repeat(65);
    app.call(
        "ExtendHIT",
        &[("HITId", &hit), more_time, ("MaxAssignmentsIncrement", "1"), ("UniqueRequestToken", &long_token)],
    )
    .await
    .err("AWS.MechanicalTurk.InvalidParameterValue");
    assert_eq!(hit_state(&app, DEV_KEY, DEV_SECRET, &hit).await, before);
    // A token used once: the second extension changes nothing at all.
    let token = [("HITId", hit.as_str()), more_time, ("MaxAssignmentsIncrement", "1"), ("UniqueRequestToken", "once")];
    app.call("ExtendHIT", &token).await.ok();
    let extended = hit_state(&app, DEV_KEY, DEV_SECRET, &hit).await;
    assert_ne!(extended.1, before.1);
    assert!(extended.0.ends_with("max Some(6)"), "{extended:?}");
    app.call("ExtendHIT", &token).await.err("AWS.MechanicalTurk.InvalidParameterValue");
    assert_eq!(hit_state(&app, DEV_KEY, DEV_SECRET, &hit).await, extended);
});

both_backends!(extend_hit_that_cannot_pay_changes_nothing, |app: TestApp| async move {
    let c = sdk(&app, OTHER_KEY, OTHER_SECRET);
    // The other requester has 25.00; three more assignments at 10.00 + 2.00 cost 36.00.
    let hit = new_hit(&c, "10.00", 2).await;
    let before = hit_state(&app, OTHER_KEY, OTHER_SECRET, &hit).await;
    let refused = app
        .call_as(
            OTHER_KEY,
            OTHER_SECRET,
            "ExtendHIT",
            &[("HITId", &hit), ("ExpirationIncrementInSeconds", "3600"), ("MaxAssignmentsIncrement", "3")],
        )
        .await;
    refused.err("AWS.MechanicalTurk.InsufficientFunds");
    assert_eq!(hit_state(&app, OTHER_KEY, OTHER_SECRET, &hit).await, before);
});
