//! The requester console's review and money pages (issue 14): a reviewed
//! results CSV approves and rejects in one transaction (all or nothing, even
//! when something changes between the check and the apply), the payments
//! page, and the lists that page by key.

use std::sync::Arc;

use mturk_local::domain::clock::Clock as _;
use mturk_local::domain::ids::{RequesterId, SeededIds};
use mturk_local::ops::batches::{self, Upload};
use mturk_local::ops::{Ctx, Policy};

use crate::both_backends;
use crate::common::documents::free_text;
use crate::common::sdk::sdk;
use crate::common::{table_rows, test_settings, TestApp, DEV_KEY, DEV_SECRET, OTHER_KEY, OTHER_SECRET};
use crate::console::{location, Browser};

/// A second store on the server's database and a requester's context on
/// it: the test's way to stand between a review's check and its apply.
async fn ctx_beside(app: &TestApp, requester: &str) -> Ctx {
    let store = mturk_local::startup::open_store(&test_settings(&app.database)).await.unwrap();
    Ctx {
        store,
        now: app.clock.now(),
        ids: Arc::new(SeededIds::new(7_000)),
        caller: RequesterId::parse(requester).unwrap(),
        policy: Arc::new(Policy::default()),
        origin: None,
    }
}

/// Creates a batch in `requester`'s console, one HIT per word paying
/// `reward`; returns the batch's id and its HITs.
async fn batch(
    app: &TestApp,
    browser: &Browser,
    requester: &str,
    secret: &str,
    reward: &str,
    words: &[&str],
) -> (String, Vec<String>) {
    let csv = format!("word\n{}\n", words.join("\n"));
    let fields = vec![
        ("name", "Review"),
        ("title", "Label a word"),
        ("description", "One word"),
        ("reward", reward),
        ("assignments", "1"),
        ("lifetime", "3600"),
        ("duration", "600"),
        ("auto_approval", "86400"),
        ("frame_height", "400"),
        ("template", "<p>${word}</p><form><input name=\"t\"></form>"),
        ("csv", csv.as_str()),
    ];
    let made = browser.post(&format!("/requester/{requester}/batches"), &fields).await;
    assert_eq!(made.status(), 303, "{}", made.text().await.unwrap());
    let path = location(&made);
    let id = path.split('?').next().unwrap().rsplit('/').next().unwrap().to_owned();
    let listed = sdk(app, requester, secret).list_hits().send().await.unwrap();
    let hits = listed.hits().iter().map(|h| h.hit_id().unwrap().to_owned()).collect::<Vec<_>>();
    assert_eq!(hits.len(), words.len());
    (id, hits)
}

async fn status(app: &TestApp, key: &str, secret: &str, assignment: &str) -> String {
    let got = sdk(app, key, secret).get_assignment().assignment_id(assignment).send().await.unwrap();
    got.assignment().unwrap().assignment_status().unwrap().as_str().to_owned()
}

async fn balance(app: &TestApp, key: &str, secret: &str) -> String {
    let got = sdk(app, key, secret).get_account_balance().send().await.unwrap();
    got.available_balance().unwrap().to_owned()
}

both_backends!(
    a_reviewed_csv_applies_every_mark_or_none_when_an_assignment_changed_meanwhile,
    |app: TestApp| async move {
        let browser = Browser::open(&app.base).await;
        let (id, hits) = batch(&app, &browser, DEV_KEY, DEV_SECRET, "0.50", &["one", "two", "three"]).await;
        let mut done = Vec::new();
        for (n, hit) in hits.iter().enumerate() {
            done.push(app.work(&format!("A3REVIEWWORKER{n}"), hit, &free_text("ok")).await);
        }
        let csv =
            format!("AssignmentId,Approve,Reject\n{},x,\n{},,Wrong word\n{},Thanks,\n", done[0], done[1], done[2]);
        let ctx = ctx_beside(&app, DEV_KEY).await;
        let Upload::Done(plan) = batches::check_review(&ctx, &id, &csv).await.unwrap() else {
            panic!("the CSV is good")
        };
        assert_eq!((plan.counts().approved, plan.counts().rejected), (2, 1));

        // Between the check and the apply, the third assignment is approved through the API.
        app.call("ApproveAssignment", &[("AssignmentId", &done[2])]).await.ok();
        let before = table_rows(&app.database).await;
        let err = batches::apply_review(&ctx, &plan).await.unwrap_err();
        assert_eq!(err.code().as_str(), "AWS.MechanicalTurk.InvalidAssignmentState", "{err:?}");
        assert!(err.message().contains(&done[2]), "the error names the assignment that changed: {}", err.message());
        assert_eq!(table_rows(&app.database).await, before, "nothing at all changed");
        assert_eq!(status(&app, DEV_KEY, DEV_SECRET, &done[0]).await, "Submitted");
        assert_eq!(status(&app, DEV_KEY, DEV_SECRET, &done[1]).await, "Submitted");

        // The console refuses the same CSV at its check now, naming the line.
        let path = format!("/requester/{DEV_KEY}/batches/{id}/review");
        let refused = browser.post(&path, &[("csv", csv.as_str())]).await;
        assert_eq!(refused.status(), 400);
        let page = refused.text().await.unwrap();
        assert!(page.contains("Line 4: ") && page.contains("is Approved"), "{page}");
        assert_eq!(table_rows(&app.database).await, before);

        // The two others, reviewed: approved and paid (0.50 and MTurk's 20%), rejected with the feedback.
        let paid_before = balance(&app, DEV_KEY, DEV_SECRET).await;
        let csv = format!("AssignmentId,Approve,Reject\n{},x,\n{},,Wrong word\n", done[0], done[1]);
        let reviewed = browser.post(&path, &[("csv", csv.as_str())]).await;
        assert_eq!(reviewed.status(), 303, "{}", reviewed.text().await.unwrap());
        assert!(location(&reviewed).contains("notice=1%20approved"), "{}", location(&reviewed));
        assert_eq!(status(&app, DEV_KEY, DEV_SECRET, &done[0]).await, "Approved");
        assert_eq!(status(&app, DEV_KEY, DEV_SECRET, &done[1]).await, "Rejected");
        let got = sdk(&app, DEV_KEY, DEV_SECRET).get_assignment().assignment_id(&done[1]).send().await.unwrap();
        assert_eq!(got.assignment().unwrap().requester_feedback(), Some("Wrong word"));
        let cents = |text: &str| text.replace('.', "").parse::<i64>().unwrap();
        assert_eq!(cents(&paid_before) - cents(&balance(&app, DEV_KEY, DEV_SECRET).await), 60);
    }
);

both_backends!(a_reviewed_csv_the_balance_cannot_pay_any_more_changes_nothing, |app: TestApp| async move {
    // The other requester starts with 25.00; two approvals of 5.00 cost 12.00 with the fees.
    let browser = Browser::open(&app.base).await;
    let (id, hits) = batch(&app, &browser, OTHER_KEY, OTHER_SECRET, "5.00", &["one", "two"]).await;
    let first = app.work("A3REVIEWWORKERA", &hits[0], &free_text("ok")).await;
    let second = app.work("A3REVIEWWORKERB", &hits[1], &free_text("ok")).await;
    let csv = format!("AssignmentId,Approve,Reject\n{first},x,\n{second},x,\n");
    let ctx = ctx_beside(&app, OTHER_KEY).await;
    let Upload::Done(plan) = batches::check_review(&ctx, &id, &csv).await.unwrap() else { panic!("the CSV is good") };
    assert_eq!(plan.cost_cents(), 1_200);

    // Meanwhile a bonus of 11.00 (13.20 with the fee) leaves 11.80: enough for one approval, not both.
    sdk(&app, OTHER_KEY, OTHER_SECRET)
        .send_bonus()
        .worker_id("A3REVIEWWORKERA")
        .assignment_id(&first)
        .bonus_amount("11.00")
        .reason("r")
        .send()
        .await
        .unwrap();
    assert_eq!(balance(&app, OTHER_KEY, OTHER_SECRET).await, "11.80");
    let before = table_rows(&app.database).await;
    let err = batches::apply_review(&ctx, &plan).await.unwrap_err();
    assert_eq!(err.code().as_str(), "AWS.MechanicalTurk.InsufficientFunds", "{err:?}");
    assert!(err.message().contains("12.00") && err.message().contains("11.80"), "{}", err.message());
    assert_eq!(table_rows(&app.database).await, before, "not even the first approval stayed");
    assert_eq!(status(&app, OTHER_KEY, OTHER_SECRET, &first).await, "Submitted");
});

/// The target of a page's "Next page" link, unescaped.
fn next_link(html: &str) -> Option<String> {
    let end = html.find("\" rel=\"next\">")?;
    let start = html[..end].rfind("<a href=\"")? + "<a href=\"".len();
    Some(html[start..end].replace("&#38;", "&").replace("&amp;", "&"))
}

/// Every distinct value that follows `marker` up to the next `"` in `html`, in order.
fn values_after(html: &str, marker: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for piece in html.split(marker).skip(1) {
        let value = piece.split('"').next().unwrap_or_default().to_owned();
        if !out.contains(&value) {
            out.push(value);
        }
    }
    out
}

/// Walks a console list from `first` through its "Next page" links and
/// returns what `marker` marks on each page.
async fn walk(browser: &Browser, first: &str, marker: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut at = Some(first.to_owned());
    while let Some(path) = at {
        let page = browser.get(&path).await;
        assert_eq!(page.status(), 200, "{path}");
        let html = page.text().await.unwrap();
        pages.push(values_after(&html, marker));
        at = next_link(&html);
        assert!(pages.len() <= 10, "the pages end");
    }
    pages
}

both_backends!(the_payments_page_lists_rewards_and_bonuses_newest_first_with_fees, |app: TestApp| async move {
    let c = sdk(&app, DEV_KEY, DEV_SECRET);
    let hit = crate::common::sdk::new_hit(&c, "paid", "0.50", 1, vec![]).await;
    let assignment = app.work("A3PAIDWORKER", &hit, &free_text("ok")).await;
    c.approve_assignment().assignment_id(&assignment).send().await.unwrap();
    app.advance(60);
    for n in 0..26 {
        c.send_bonus()
            .worker_id("A3PAIDWORKER")
            .assignment_id(&assignment)
            .bonus_amount("1.00")
            .reason(format!("Great work {n}"))
            .send()
            .await
            .unwrap();
    }
    let browser = Browser::open(&app.base).await;
    let first = browser.get(&format!("/requester/{DEV_KEY}/payments")).await.text().await.unwrap();
    assert!(first.contains(&format!("href=\"/requester/{DEV_KEY}/payments\"")), "linked from the console's navigation");
    assert!(first.contains(&balance(&app, DEV_KEY, DEV_SECRET).await), "the balance: {first}");
    assert!(first.contains("<td>Bonus</td><td>A3PAIDWORKER</td><td>$1.00</td><td>$0.20</td><td>$1.20</td>"), "{first}");
    assert!(first.contains("Great work"), "{first}");
    let pages = walk(&browser, &format!("/requester/{DEV_KEY}/payments"), "data-payment-id=\"").await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![25, 2], "25 a page, by key");
    let all: Vec<String> = pages.concat();
    assert_eq!(all.iter().collect::<std::collections::BTreeSet<_>>().len(), 27, "no payment twice");
    // The reward is the oldest: last, with MTurk's 20% fee.
    assert_eq!(all.last(), Some(&assignment));
    let last = browser.get(&format!("/requester/{DEV_KEY}/payments")).await.text().await.unwrap();
    let second = browser.get(&next_link(&last).unwrap()).await.text().await.unwrap();
    assert!(
        second.contains("<td>Reward</td><td>A3PAIDWORKER</td><td>$0.50</td><td>$0.10</td><td>$0.60</td>"),
        "{second}"
    );
    assert!(second.contains("First page"), "{second}");
    // Another requester's payments are not these.
    let other = browser.get(&format!("/requester/{OTHER_KEY}/payments")).await.text().await.unwrap();
    assert!(!other.contains(&assignment) && other.contains("No payments yet"), "{other}");
    // A token of another list, or an edited one, is refused.
    let token = next_link(&last).unwrap().split("after=").nth(1).unwrap().to_owned();
    let wrong = browser.get(&format!("/requester/{DEV_KEY}?after={token}")).await;
    assert_eq!(wrong.status(), 400);
    let edited = browser.get(&format!("/requester/{DEV_KEY}/payments?after=x{token}")).await;
    assert_eq!(edited.status(), 400);
});

both_backends!(the_hit_list_and_a_types_holders_page_by_key, |app: TestApp| async move {
    let c = sdk(&app, DEV_KEY, DEV_SECRET);
    let mut made = Vec::new();
    for n in 0..27 {
        made.push(crate::common::sdk::new_hit(&c, &format!("listed {n}"), "0.05", 1, vec![]).await);
    }
    let browser = Browser::open(&app.base).await;
    let pages =
        walk(&browser, &format!("/requester/{DEV_KEY}"), &format!("<a href=\"/requester/{DEV_KEY}/hits/")).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![25, 2]);
    let mut seen = pages.concat();
    seen.sort();
    made.sort();
    assert_eq!(seen, made, "every HIT once");

    let type_id = app.create_type("paged holders", &[]).await;
    let mut workers: Vec<String> = (0..27).map(|n| format!("A3HOLDER{n:02}")).collect();
    for w in &workers {
        app.call("AssignQualification", &[("QualificationTypeId", &type_id), ("WorkerId", w), ("IntegerValue", "5")])
            .await
            .ok();
    }
    let path = format!("/requester/{DEV_KEY}/qualifications/{type_id}");
    let pages = walk(&browser, &path, "data-worker-id=\"").await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![25, 2]);
    let mut seen = pages.concat();
    seen.sort();
    workers.sort();
    assert_eq!(seen, workers, "every holder once");
    // A revoked holder moves to the other list, with the reason.
    app.call(
        "RevokeQualification",
        &[("QualificationTypeId", &type_id), ("SubjectId", &workers[0]), ("Reason", "gone")],
    )
    .await
    .ok();
    let first = browser.get(&path).await.text().await.unwrap();
    let revoked = &first[first.find("id=\"revoked-holders\"").unwrap()..];
    assert!(revoked.contains(&workers[0]) && revoked.contains("gone"), "{revoked}");
});

both_backends!(a_batchs_rows_page_by_key_and_its_progress_counts_every_hit, |app: TestApp| async move {
    let browser = Browser::open(&app.base).await;
    let words: Vec<String> = (0..27).map(|n| format!("word{n}")).collect();
    let csv = format!("word\n{}\n", words.join("\n"));
    let fields = [
        ("name", "Many"),
        ("title", "Label a word"),
        ("description", "One word"),
        ("reward", "0.05"),
        ("assignments", "1"),
        ("lifetime", "3600"),
        ("duration", "600"),
        ("auto_approval", "86400"),
        ("frame_height", "400"),
        ("template", "<p>${word}</p><form><input name=\"t\"></form>"),
        ("csv", csv.as_str()),
    ];
    let made = browser.post(&format!("/requester/{DEV_KEY}/batches"), &fields).await;
    assert_eq!(made.status(), 303, "{}", made.text().await.unwrap());
    let path = location(&made).split('?').next().unwrap().to_owned();
    let pages = walk(&browser, &path, &format!("<a href=\"/requester/{DEV_KEY}/hits/")).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![25, 2]);
    let hits = pages.concat();
    assert_eq!(hits.iter().collect::<std::collections::BTreeSet<_>>().len(), 27, "every row once");
    // The progress counts the whole batch, whatever the page shows.
    app.work("A3BATCHWORKER", &hits[26], &free_text("ok")).await;
    let first = browser.get(&path).await.text().await.unwrap();
    assert!(first.contains("<dt>HITs</dt><dd>27</dd>"), "{first}");
    assert!(first.contains("<dd id=\"progress-submitted\">1</dd>"), "{first}");
    let second = browser.get(&next_link(&first).unwrap()).await.text().await.unwrap();
    assert!(second.contains("<td>word26</td>") && !second.contains("<td>word0</td>"), "{second}");
});
