//! JSON listings page by key: a `NextToken` carries the sort key of the last
//! row shown, and the next page starts after it. So rows removed or added
//! behind the walk's position shift nothing (with `OFFSET` paging, deleting
//! a row already shown made the walk skip one it had not), a walk sees every
//! row once, and an edited or foreign token is refused.

use aws_sdk_mturk::primitives::DateTime;
use aws_sdk_mturk::Client;

use crate::both_backends;
use crate::common::sdk::{new_hit, sdk, turk_code};
use crate::common::{TestApp, DEV_KEY, DEV_SECRET};

/// One `ListHITs` page: the ids and the token.
async fn hits_page(c: &Client, token: Option<String>, max: i32) -> (Vec<String>, Option<String>) {
    let page = c.list_hits().max_results(max).set_next_token(token).send().await.unwrap();
    let ids = page.hits().iter().map(|h| h.hit_id().unwrap().to_owned()).collect();
    (ids, page.next_token().map(str::to_owned))
}

/// Expires and deletes a HIT nobody worked on.
async fn delete(c: &Client, hit: &str) {
    c.update_expiration_for_hit().hit_id(hit).expire_at(DateTime::from_secs(0)).send().await.unwrap();
    c.delete_hit().hit_id(hit).send().await.unwrap();
}

both_backends!(deleting_a_row_already_shown_skips_nothing, |app: TestApp| async move {
    let c = sdk(&app, DEV_KEY, DEV_SECRET);
    let mut created = Vec::new();
    for i in 0..17 {
        created.push(new_hit(&c, &format!("walk {i}"), "0.10", 1, vec![]).await);
    }

    let (first, mut token) = hits_page(&c, None, 5).await;
    assert_eq!(first.len(), 5);
    // Two HITs of the page just shown go away; by position, the next page
    // would now start two rows later and never show two HITs.
    delete(&c, &first[0]).await;
    delete(&c, &first[3]).await;

    let mut seen = first.clone();
    let mut tokens = vec![token.clone()];
    loop {
        let (ids, next) = hits_page(&c, token.clone(), 5).await;
        if ids.is_empty() {
            assert_eq!(next, None, "an empty page ends the walk");
            break;
        }
        assert!(next.is_some(), "every page with items has a NextToken");
        assert!(!tokens.contains(&next), "a token is never handed out twice in one walk");
        tokens.push(next.clone());
        seen.extend(ids);
        token = next;
    }
    let mut expected = created.clone();
    expected.sort();
    let mut walked = seen.clone();
    walked.sort();
    walked.dedup();
    assert_eq!(walked.len(), seen.len(), "no HIT shown twice: {seen:?}");
    assert_eq!(walked, expected, "every HIT shown once, the deleted ones on the page before their deletion");
});

both_backends!(rows_added_during_a_walk_come_at_its_end, |app: TestApp| async move {
    let c = sdk(&app, DEV_KEY, DEV_SECRET);
    let mut created = Vec::new();
    for i in 0..6 {
        created.push(new_hit(&c, &format!("before {i}"), "0.10", 1, vec![]).await);
    }
    let (mut seen, token) = hits_page(&c, None, 4).await;
    app.advance(1);
    let late = new_hit(&sdk(&app, DEV_KEY, DEV_SECRET), "late", "0.10", 1, vec![]).await;
    let (rest, token) = hits_page(&c, token, 4).await;
    seen.extend(rest);
    let (tail, _) = hits_page(&c, token, 4).await;
    assert!(tail.is_empty(), "{tail:?}");
    assert_eq!(seen.len(), 7, "{seen:?}");
    assert_eq!(seen.last(), Some(&late), "the newest HIT sorts last (creation time, then id)");
    for id in &created {
        assert!(seen.contains(id), "{id} missing from {seen:?}");
    }
});

both_backends!(an_edited_or_foreign_token_is_refused, |app: TestApp| async move {
    let c = sdk(&app, DEV_KEY, DEV_SECRET);
    for i in 0..3 {
        new_hit(&c, &format!("t {i}"), "0.10", 1, vec![]).await;
    }
    let (_, token) = hits_page(&c, None, 2).await;
    let token = token.unwrap();

    // Every one-character edit of the token is refused, none misread.
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for at in [0, token.len() / 2, token.len() - 1] {
        let old = token.as_bytes()[at] as char;
        let new = alphabet.chars().find(|ch| *ch != old).unwrap();
        let mut edited = token.clone();
        edited.replace_range(at..=at, &new.to_string());
        let got = c.list_hits().max_results(2).next_token(&edited).send().await;
        assert_eq!(turk_code(got), "AWS.MechanicalTurk.InvalidParameterValue", "edited at {at}: {edited}");
    }
    // A ListHITs token does not page another listing.
    let qt = crate::common::sdk::new_type(&c, "tokens").await;
    let got = c.list_workers_with_qualification_type().qualification_type_id(&qt).next_token(&token).send().await;
    assert_eq!(turk_code(got), "AWS.MechanicalTurk.InvalidParameterValue");
});
