//! HITs, assignments and requirements through the JSON API (`aws-sdk-mturk`)
//! and the worker simulator: where a revocation takes effect.

use aws_sdk_mturk::types::{Comparator, HitAccessActions, Locale, QualificationRequirement, QualificationTypeStatus};
use serde_json::json;

use crate::both_backends;
use crate::common::documents::EXTERNAL_QUESTION as QUESTION;
use crate::common::sdk::{new_hit, new_type, sdk, turk_code};
use crate::common::{TestApp, DEV_KEY, DEV_SECRET, OTHER_KEY, OTHER_SECRET};

const WORKER: &str = "A3WORKERWITHQUAL";

fn answer(text: &str) -> String {
    format!(
        r#"<QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"><Answer><QuestionIdentifier>q</QuestionIdentifier><FreeText>{text}</FreeText></Answer></QuestionFormAnswers>"#
    )
}

fn requires(qt: &str) -> QualificationRequirement {
    QualificationRequirement::builder().qualification_type_id(qt).comparator(Comparator::Exists).build().unwrap()
}

async fn accept(app: &TestApp, worker: &str, hit: &str) -> crate::common::Answer {
    app.control("POST", &format!("/workers/{worker}/assignments"), Some(json!({ "HITId": hit }))).await
}

async fn submit(app: &TestApp, assignment: &str, text: &str) -> crate::common::Answer {
    app.control("POST", &format!("/assignments/{assignment}/submit"), Some(json!({ "Answer": answer(text) }))).await
}

both_backends!(a_revoked_worker_cannot_accept_until_granted_again, |app: TestApp| async move {
    let c = sdk(&app, DEV_KEY, DEV_SECRET);
    let qt = c
        .create_qualification_type()
        .name("Trusted labeller")
        .description("d")
        .qualification_type_status(QualificationTypeStatus::Active)
        .retry_delay_in_seconds(3600)
        .send()
        .await
        .unwrap()
        .qualification_type()
        .unwrap()
        .qualification_type_id()
        .unwrap()
        .to_owned();
    c.associate_qualification_with_worker()
        .qualification_type_id(&qt)
        .worker_id(WORKER)
        .integer_value(1)
        .send()
        .await
        .unwrap();
    let first = new_hit(&c, "first batch", "0.50", 1, vec![requires(&qt)]).await;

    // The worker finds the HIT, accepts it and submits.
    let found = app.control("GET", &format!("/workers/{WORKER}/hits"), None).await.json();
    assert_eq!(found["HITs"][0]["HITId"], first.as_str());
    assert_eq!(found["HITs"][0]["CanAccept"], true);
    let a = accept(&app, WORKER, &first).await.json();
    let assignment = a["AssignmentId"].as_str().unwrap().to_owned();
    assert_eq!(submit(&app, &assignment, "cat").await.status, 200);
    let listed = c.list_assignments_for_hit().hit_id(&first).send().await.unwrap();
    assert_eq!(listed.assignments()[0].answer(), Some(answer("cat").as_str()));

    // The requester revokes the qualification with a reason.
    c.disassociate_qualification_from_worker()
        .qualification_type_id(&qt)
        .worker_id(WORKER)
        .reason("Labels were random")
        .send()
        .await
        .unwrap();
    let second = new_hit(&c, "second batch", "0.50", 1, vec![requires(&qt)]).await;
    let refused = accept(&app, WORKER, &second).await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.json()["Code"], "AWS.MechanicalTurk.DoesNotMeetRequirements");
    let found = app.control("GET", &format!("/workers/{WORKER}/hits"), None).await.json();
    let listed_second =
        found["HITs"].as_array().unwrap().iter().find(|h| h["HITId"] == second.as_str()).unwrap().clone();
    assert_eq!(listed_second["CanAccept"], false);
    assert_eq!(listed_second["FailedRequirements"][0], qt.as_str());
    let notes = app.control("GET", &format!("/workers/{WORKER}/notifications"), None).await.json();
    assert!(notes["Notifications"].as_array().unwrap().iter().any(|n| n["Text"] == "Labels were random"));

    // The worker asks again (the delay counts from a request; there was none), is granted, and accepts.
    let request = app.request_qualification(WORKER, &qt).await.json();
    let request_id = request["QualificationRequestId"].as_str().unwrap().to_owned();
    c.accept_qualification_request().qualification_request_id(&request_id).integer_value(1).send().await.unwrap();
    let again = accept(&app, WORKER, &second).await;
    assert_eq!(again.status, 200, "{}", again.body);
});

both_backends!(approval_pays_reward_and_fee_and_rejections_can_be_overridden, |app: TestApp| async move {
    let c = sdk(&app, DEV_KEY, DEV_SECRET);
    let hit = new_hit(&c, "paid", "1.00", 3, vec![]).await;
    let mut ids = Vec::new();
    for w in ["A1PAIDWORKER01", "A1PAIDWORKER02", "A1PAIDWORKER03"] {
        let a = accept(&app, w, &hit).await.json();
        let id = a["AssignmentId"].as_str().unwrap().to_owned();
        submit(&app, &id, w).await;
        ids.push(id);
    }
    let got = c.get_hit().hit_id(&hit).send().await.unwrap();
    assert_eq!(got.hit().unwrap().hit_status().map(aws_sdk_mturk::types::HitStatus::as_str), Some("Reviewable"));
    c.approve_assignment().assignment_id(&ids[0]).requester_feedback("great").send().await.unwrap();
    // 1.00 reward + 20% fee.
    assert_eq!(c.get_account_balance().send().await.unwrap().available_balance(), Some("9998.80"));
    let twice = c.approve_assignment().assignment_id(&ids[0]).send().await;
    assert_eq!(turk_code(twice), "AWS.MechanicalTurk.InvalidAssignmentState");
    c.reject_assignment().assignment_id(&ids[1]).requester_feedback("wrong").send().await.unwrap();
    let plain = c.approve_assignment().assignment_id(&ids[1]).send().await;
    assert_eq!(turk_code(plain), "AWS.MechanicalTurk.InvalidAssignmentState");
    c.approve_assignment().assignment_id(&ids[1]).override_rejection(true).send().await.unwrap();
    assert_eq!(c.get_account_balance().send().await.unwrap().available_balance(), Some("9997.60"));
    let a = c.get_assignment().assignment_id(&ids[1]).send().await.unwrap();
    assert_eq!(
        a.assignment().unwrap().assignment_status().map(aws_sdk_mturk::types::AssignmentStatus::as_str),
        Some("Approved")
    );
    assert_eq!(a.hit().unwrap().hit_id(), Some(hit.as_str()));
    // Deleting needs every assignment reviewed.
    let early = c.delete_hit().hit_id(&hit).send().await;
    assert_eq!(turk_code(early), "AWS.MechanicalTurk.InvalidHITState");
    c.reject_assignment().assignment_id(&ids[2]).requester_feedback("no").send().await.unwrap();
    c.delete_hit().hit_id(&hit).send().await.unwrap();
    assert_eq!(c.list_hits().send().await.unwrap().num_results(), Some(0));
    let gone = c.get_hit().hit_id(&hit).send().await.unwrap();
    assert_eq!(gone.hit().unwrap().hit_status().map(aws_sdk_mturk::types::HitStatus::as_str), Some("Disposed"));
});

both_backends!(the_clock_drives_auto_approval_abandonment_and_expiry, |app: TestApp| async move {
    let c = sdk(&app, DEV_KEY, DEV_SECRET);
    let hit = new_hit(&c, "timed", "0.10", 2, vec![]).await;
    let a = accept(&app, "A1TIMEDWORKER1", &hit).await.json();
    let submitted = a["AssignmentId"].as_str().unwrap().to_owned();
    submit(&app, &submitted, "x").await;
    let b = accept(&app, "A1TIMEDWORKER2", &hit).await.json();
    let abandoned = b["AssignmentId"].as_str().unwrap().to_owned();
    let full = c.get_hit().hit_id(&hit).send().await.unwrap();
    assert_eq!(full.hit().unwrap().number_of_assignments_available(), Some(0));
    // The assignment duration (600 s) passes: the second slot opens again and submitting is refused.
    app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 601 }))).await;
    let reopened = c.get_hit().hit_id(&hit).send().await.unwrap();
    assert_eq!(reopened.hit().unwrap().number_of_assignments_available(), Some(1));
    assert_eq!(submit(&app, &abandoned, "late").await.json()["Code"], "AWS.MechanicalTurk.InvalidAssignmentState");
    // One second before the auto-approval delay nothing is paid; at it, the work is approved and paid.
    app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 86_400 - 601 - 1 }))).await;
    assert_eq!(c.get_account_balance().send().await.unwrap().available_balance(), Some("10000.00"));
    app.control("POST", "/clock", Some(json!({ "AdvanceSeconds": 1 }))).await;
    let approved = c.get_assignment().assignment_id(&submitted).send().await.unwrap();
    assert_eq!(
        approved.assignment().unwrap().assignment_status().map(aws_sdk_mturk::types::AssignmentStatus::as_str),
        Some("Approved")
    );
    assert_eq!(c.get_account_balance().send().await.unwrap().available_balance(), Some("9999.88"));
    // Expiring the HIT makes it Reviewable and unacceptable.
    c.update_expiration_for_hit()
        .hit_id(&hit)
        .expire_at(aws_sdk_mturk::primitives::DateTime::from_secs(0))
        .send()
        .await
        .unwrap();
    let expired = c.get_hit().hit_id(&hit).send().await.unwrap();
    assert_eq!(expired.hit().unwrap().hit_status().map(aws_sdk_mturk::types::HitStatus::as_str), Some("Reviewable"));
    assert_eq!(accept(&app, "A1TIMEDWORKER3", &hit).await.json()["Code"], "AWS.MechanicalTurk.InvalidHITState");
});

both_backends!(requirements_use_every_comparator_locales_and_blocks, |app: TestApp| async move {
    let c = sdk(&app, DEV_KEY, DEV_SECRET);
    let qt = new_type(&c, "score").await;
    c.associate_qualification_with_worker()
        .qualification_type_id(&qt)
        .worker_id("A1SCORE80")
        .integer_value(80)
        .send()
        .await
        .unwrap();
    let gt = |n: i32| {
        QualificationRequirement::builder()
            .qualification_type_id(&qt)
            .comparator(Comparator::GreaterThan)
            .integer_values(n)
            .build()
            .unwrap()
    };
    let easy = new_hit(&c, "easy", "0.01", 5, vec![gt(79)]).await;
    let hard = new_hit(&c, "hard", "0.01", 5, vec![gt(80)]).await;
    assert_eq!(accept(&app, "A1SCORE80", &easy).await.status, 200);
    assert_eq!(accept(&app, "A1SCORE80", &hard).await.json()["Code"], "AWS.MechanicalTurk.DoesNotMeetRequirements");
    assert_eq!(accept(&app, "A1SCORE80", &easy).await.json()["Code"], "AWS.MechanicalTurk.AssignmentAlreadyExists");

    // Locale comes from the worker's profile; hidden HITs are not even found.
    let in_wa = QualificationRequirement::builder()
        .qualification_type_id("00000000000000000071")
        .comparator(Comparator::In)
        .locale_values(Locale::builder().country("US").subdivision("WA").build().unwrap())
        .locale_values(Locale::builder().country("CA").build().unwrap())
        .actions_guarded(HitAccessActions::DiscoverPreviewAndAccept)
        .build()
        .unwrap();
    let local = new_hit(&c, "local", "0.01", 5, vec![in_wa]).await;
    app.control("PUT", "/workers/A1INSEATTLE", Some(json!({ "Locale": { "Country": "US", "Subdivision": "WA" } })))
        .await;
    app.control("PUT", "/workers/A1INBERLIN", Some(json!({ "Locale": { "Country": "DE" } }))).await;
    assert_eq!(accept(&app, "A1INSEATTLE", &local).await.status, 200);
    let berlin = app.control("GET", "/workers/A1INBERLIN/hits", None).await.json();
    assert!(berlin["HITs"].as_array().unwrap().iter().all(|h| h["HITId"] != local.as_str()), "hidden from DE");
    assert_eq!(accept(&app, "A1INBERLIN", &local).await.json()["Code"], "AWS.MechanicalTurk.DoesNotMeetRequirements");

    // Masters and blocks.
    let masters = QualificationRequirement::builder()
        .qualification_type_id("2ARFPLSP75KLA8M8DH1HTEQVJT3SY6")
        .comparator(Comparator::Exists)
        .build()
        .unwrap();
    let elite = new_hit(&c, "elite", "0.01", 5, vec![masters]).await;
    assert_eq!(accept(&app, "A1INSEATTLE", &elite).await.json()["Code"], "AWS.MechanicalTurk.DoesNotMeetRequirements");
    app.control("PUT", "/workers/A1INSEATTLE", Some(json!({ "Masters": true }))).await;
    assert_eq!(accept(&app, "A1INSEATTLE", &elite).await.status, 200);
    c.create_worker_block().worker_id("A1BLOCKED").reason("spam").send().await.unwrap();
    assert_eq!(accept(&app, "A1BLOCKED", &easy).await.json()["Code"], "AWS.MechanicalTurk.WorkerBlocked");

    // Malformed requirements are refused at creation.
    let bad = QualificationRequirement::builder()
        .qualification_type_id(&qt)
        .comparator(Comparator::Exists)
        .integer_values(1)
        .build()
        .unwrap();
    let refused = c
        .create_hit()
        .title("t")
        .description("d")
        .reward("0.01")
        .lifetime_in_seconds(60)
        .assignment_duration_in_seconds(60)
        .question(QUESTION)
        .qualification_requirements(bad)
        .send()
        .await;
    assert_eq!(turk_code(refused), "AWS.MechanicalTurk.InvalidParameterValue");
    let for_type = c.list_hits_for_qualification_type().qualification_type_id(&qt).send().await.unwrap();
    assert_eq!(for_type.num_results(), Some(2));
});

both_backends!(hit_creation_checks_money_tokens_types_and_questions, |app: TestApp| async move {
    let c = sdk(&app, DEV_KEY, DEV_SECRET);
    let poor = sdk(&app, OTHER_KEY, OTHER_SECRET);
    // 2 × (20.00 + 20%) = 48.00 > 25.00.
    let costly = poor
        .create_hit()
        .title("t")
        .description("d")
        .reward("20.00")
        .max_assignments(2)
        .lifetime_in_seconds(60)
        .assignment_duration_in_seconds(60)
        .question(QUESTION)
        .send()
        .await;
    assert_eq!(turk_code(costly), "AWS.MechanicalTurk.InsufficientFunds");
    let type_id = c
        .create_hit_type()
        .title("typed")
        .description("d")
        .reward("0.25")
        .assignment_duration_in_seconds(300)
        .send()
        .await
        .unwrap()
        .hit_type_id()
        .unwrap()
        .to_owned();
    let same = c
        .create_hit_type()
        .title("typed")
        .description("d")
        .reward("0.25")
        .assignment_duration_in_seconds(300)
        .send()
        .await
        .unwrap();
    assert_eq!(same.hit_type_id(), Some(type_id.as_str()), "identical properties reuse the type");
    let make = |token: &str| {
        c.create_hit_with_hit_type()
            .hit_type_id(&type_id)
            .lifetime_in_seconds(60)
            .question(QUESTION)
            .unique_request_token(token)
            .send()
    };
    let first = make("batch-1").await.unwrap();
    assert_eq!(first.hit().unwrap().reward(), Some("0.25"));
    assert_eq!(first.hit().unwrap().hit_type_id(), Some(type_id.as_str()));
    assert_eq!(turk_code(make("batch-1").await), "AWS.MechanicalTurk.HitAlreadyExists");
    let theirs =
        poor.create_hit_with_hit_type().hit_type_id(&type_id).lifetime_in_seconds(60).question(QUESTION).send().await;
    assert_eq!(turk_code(theirs), "AWS.MechanicalTurk.PermissionDenied");
    for (question, code) in [
        ("<ExternalQuestion>", "AWS.MechanicalTurk.XMLParseError"),
        ("<Other xmlns=\"x\"/>", "AWS.MechanicalTurk.XMLParseError"),
    ] {
        let r =
            c.create_hit_with_hit_type().hit_type_id(&type_id).lifetime_in_seconds(60).question(question).send().await;
        assert_eq!(turk_code(r), code, "{question}");
    }
    let short =
        c.create_hit_with_hit_type().hit_type_id(&type_id).lifetime_in_seconds(5).question(QUESTION).send().await;
    assert_eq!(turk_code(short), "AWS.ParameterOutOfRange");
    let missing = c.get_hit().hit_id("3NOSUCHHIT0000000000000000000").send().await;
    assert_eq!(turk_code(missing), "AWS.MechanicalTurk.HITDoesNotExist");
    let not_mine = poor.get_hit().hit_id(first.hit().unwrap().hit_id().unwrap()).send().await;
    assert_eq!(turk_code(not_mine), "AWS.MechanicalTurk.PermissionDenied");
});

both_backends!(review_status_type_changes_more_assignments_and_bonuses, |app: TestApp| async move {
    let c = sdk(&app, DEV_KEY, DEV_SECRET);
    let hit = new_hit(&c, "reviewed", "0.50", 1, vec![]).await;
    let a = accept(&app, "A1BONUSWORKER", &hit).await.json();
    let assignment = a["AssignmentId"].as_str().unwrap().to_owned();
    submit(&app, &assignment, "done").await;
    let reviewable = c.list_reviewable_hits().send().await.unwrap();
    assert_eq!(reviewable.hits()[0].hit_id(), Some(hit.as_str()));
    c.update_hit_review_status().hit_id(&hit).send().await.unwrap();
    let again = c.update_hit_review_status().hit_id(&hit).send().await;
    assert_eq!(turk_code(again), "AWS.MechanicalTurk.InvalidHITState");
    let reviewing =
        c.list_reviewable_hits().status(aws_sdk_mturk::types::ReviewableHitStatus::Reviewing).send().await.unwrap();
    assert_eq!(reviewing.num_results(), Some(1));
    c.update_hit_review_status().hit_id(&hit).revert(true).send().await.unwrap();

    // More assignments make the HIT assignable again; crossing 10 is refused; tokens are single-use.
    c.create_additional_assignments_for_hit()
        .hit_id(&hit)
        .number_of_additional_assignments(2)
        .unique_request_token("more-1")
        .send()
        .await
        .unwrap();
    let reopened = c.get_hit().hit_id(&hit).send().await.unwrap();
    assert_eq!(reopened.hit().unwrap().number_of_assignments_available(), Some(2));
    let repeat = c
        .create_additional_assignments_for_hit()
        .hit_id(&hit)
        .number_of_additional_assignments(2)
        .unique_request_token("more-1")
        .send()
        .await;
    assert_eq!(turk_code(repeat), "AWS.MechanicalTurk.InvalidParameterValue");
    let ten = c.create_additional_assignments_for_hit().hit_id(&hit).number_of_additional_assignments(7).send().await;
    assert_eq!(turk_code(ten), "AWS.MechanicalTurk.InvalidMaximumAssignmentsIncrease");

    // The HIT takes every property of its new type.
    let new_type = c
        .create_hit_type()
        .title("renamed")
        .description("d2")
        .reward("0.75")
        .assignment_duration_in_seconds(120)
        .send()
        .await
        .unwrap();
    c.update_hit_type_of_hit().hit_id(&hit).hit_type_id(new_type.hit_type_id().unwrap()).send().await.unwrap();
    let moved = c.get_hit().hit_id(&hit).send().await.unwrap();
    assert_eq!(moved.hit().unwrap().title(), Some("renamed"));
    assert_eq!(moved.hit().unwrap().reward(), Some("0.75"));

    // Bonuses pay amount plus 20% and are listed by HIT and by assignment.
    c.approve_assignment().assignment_id(&assignment).send().await.unwrap();
    let before = c.get_account_balance().send().await.unwrap().available_balance().unwrap().to_owned();
    c.send_bonus()
        .worker_id("A1BONUSWORKER")
        .assignment_id(&assignment)
        .bonus_amount("2.00")
        .reason("thanks")
        .unique_request_token("b-1")
        .send()
        .await
        .unwrap();
    let after = c.get_account_balance().send().await.unwrap().available_balance().unwrap().to_owned();
    let cents = |s: &str| mturk_local::domain::money::parse_cents(s).unwrap();
    assert_eq!(cents(&before) - cents(&after), 240);
    let dup = c
        .send_bonus()
        .worker_id("A1BONUSWORKER")
        .assignment_id(&assignment)
        .bonus_amount("2.00")
        .reason("thanks")
        .unique_request_token("b-1")
        .send()
        .await;
    assert_eq!(turk_code(dup), "AWS.MechanicalTurk.InvalidParameterValue");
    let wrong_worker =
        c.send_bonus().worker_id("A1SOMEONEELSE").assignment_id(&assignment).bonus_amount("1").reason("x").send().await;
    assert_eq!(turk_code(wrong_worker), "AWS.MechanicalTurk.InvalidParameterValue");
    let by_hit = c.list_bonus_payments().hit_id(&hit).send().await.unwrap();
    assert_eq!(by_hit.bonus_payments()[0].bonus_amount(), Some("2.00"));
    let by_assignment = c.list_bonus_payments().assignment_id(&assignment).send().await.unwrap();
    assert_eq!(by_assignment.num_results(), Some(1));
    let neither = c.list_bonus_payments().send().await;
    assert_eq!(turk_code(neither), "AWS.MechanicalTurk.InvalidParameterValue");
});

both_backends!(the_same_story_through_the_legacy_api, |app: TestApp| async move {
    let qt = app.create_type("legacy trusted", &[("RetryDelayInSeconds", "60")]).await;
    app.call(
        "AssignQualification",
        &[("QualificationTypeId", &qt), ("WorkerId", WORKER), ("SendNotification", "false")],
    )
    .await
    .ok();
    let hit_params = |title: &'static str| {
        vec![
            ("Title", title),
            ("Description", "legacy HIT"),
            ("Reward.1.Amount", "0.40"),
            ("Reward.1.CurrencyCode", "USD"),
            ("AssignmentDurationInSeconds", "600"),
            ("LifetimeInSeconds", "3600"),
            ("AutoApprovalDelayInSeconds", "3600"),
            ("Question", QUESTION),
            ("QualificationRequirement.1.QualificationTypeId", qt.as_str()),
            ("QualificationRequirement.1.Comparator", "GreaterThanOrEqualTo"),
            ("QualificationRequirement.1.IntegerValue", "1"),
            ("QualificationRequirement.1.RequiredToPreview", "true"),
        ]
    };
    let created = app.call("CreateHIT", &hit_params("legacy one")).await.ok();
    assert!(created.body.contains("</OperationRequest><HIT><Request><IsValid>True</IsValid></Request><HITId>"));
    assert!(created.body.contains(
        "<Reward><Amount>0.40</Amount><CurrencyCode>USD</CurrencyCode><FormattedPrice>$0.40</FormattedPrice></Reward>"
    ));
    assert!(created.body.contains(&format!(
        "<QualificationRequirement><QualificationTypeId>{qt}</QualificationTypeId><Comparator>GreaterThanOrEqualTo</Comparator><IntegerValue>1</IntegerValue><RequiredToPreview>1</RequiredToPreview></QualificationRequirement>"
    )));
    let first = created.text("HITId").unwrap();
    let a = accept(&app, WORKER, &first).await.json();
    let assignment = a["AssignmentId"].as_str().unwrap().to_owned();
    submit(&app, &assignment, "legacy answer").await;
    let listed = app.call("GetAssignmentsForHIT", &[("HITId", &first), ("AssignmentStatus", "Submitted")]).await.ok();
    assert_eq!(listed.text("AssignmentId").as_deref(), Some(assignment.as_str()));
    assert_eq!(listed.text("Answer"), Some(answer("legacy answer")));
    app.call("ApproveAssignment", &[("AssignmentId", &assignment), ("RequesterFeedback", "thanks")]).await.ok();
    let got = app.call("GetAssignment", &[("AssignmentId", &assignment)]).await.ok();
    assert_eq!(got.text("AssignmentStatus").as_deref(), Some("Approved"));
    assert!(got.body.contains("<GetAssignmentResult><Request><IsValid>True</IsValid></Request><Assignment>"));
    app.call(
        "GrantBonus",
        &[("WorkerId", WORKER), ("AssignmentId", &assignment), ("BonusAmount.1.Amount", "1.00"), ("Reason", "great")],
    )
    .await
    .ok();
    let bonuses = app.call("GetBonusPayments", &[("AssignmentId", &assignment)]).await.ok();
    assert_eq!(bonuses.text("Reason").as_deref(), Some("great"));
    // 10000 - (0.40 + 0.08) - (1.00 + 0.20)
    let balance = app.call("GetAccountBalance", &[]).await.ok();
    assert_eq!(balance.text("Amount").as_deref(), Some("9998.32"));

    app.call("RevokeQualification", &[("SubjectId", WORKER), ("QualificationTypeId", &qt), ("Reason", "Sloppy work")])
        .await
        .ok();
    let second = app.call("CreateHIT", &hit_params("legacy two")).await.ok().text("HITId").unwrap();
    assert_eq!(accept(&app, WORKER, &second).await.json()["Code"], "AWS.MechanicalTurk.DoesNotMeetRequirements");
    // RequiredToPreview: the worker who fails it does not see the question.
    let found = app.control("GET", &format!("/workers/{WORKER}/hits"), None).await.json();
    let two = found["HITs"].as_array().unwrap().iter().find(|h| h["HITId"] == second.as_str()).unwrap().clone();
    assert_eq!(two["CanPreview"], false);
    assert!(two.get("Question").is_none());
    let r = app.request_qualification(WORKER, &qt).await.json();
    app.call("GrantQualification", &[("QualificationRequestId", r["QualificationRequestId"].as_str().unwrap())])
        .await
        .ok();
    assert_eq!(accept(&app, WORKER, &second).await.status, 200);

    // The other HIT operations of the legacy face.
    let search = app.call("SearchHITs", &[]).await.ok();
    assert_eq!(search.text("TotalNumResults").as_deref(), Some("2"));
    let for_type = app.call("GetHITsForQualificationType", &[("QualificationTypeId", &qt)]).await.ok();
    assert_eq!(for_type.text("TotalNumResults").as_deref(), Some("2"));
    let minimal = app.call("GetHIT", &[("HITId", &first), ("ResponseGroup", "Minimal")]).await.ok();
    assert!(minimal.text("Title").is_none() && minimal.text("HITTypeId").is_some());
    app.call("ForceExpireHIT", &[("HITId", &first)]).await.ok();
    let reviewable = app.call("GetReviewableHITs", &[]).await.ok();
    assert_eq!(reviewable.text("HITId").as_deref(), Some(first.as_str()));
    app.call("SetHITAsReviewing", &[("HITId", &first)]).await.ok();
    app.call("SetHITAsReviewing", &[("HITId", &first), ("Revert", "true")]).await.ok();
    app.call(
        "ExtendHIT",
        &[("HITId", &first), ("ExpirationIncrementInSeconds", "3600"), ("MaxAssignmentsIncrement", "1")],
    )
    .await
    .ok();
    let extended = app.call("GetHIT", &[("HITId", &first)]).await.ok();
    assert_eq!(extended.text("HITStatus").as_deref(), Some("Assignable"));
    assert_eq!(extended.text("MaxAssignments").as_deref(), Some("2"));
    app.call("DisableHIT", &[("HITId", &first)]).await.ok();
    app.call("GetAssignment", &[("AssignmentId", "3NOSUCHASSIGNMENT000000000000")])
        .await
        .err("AWS.MechanicalTurk.AssignmentDoesNotExist");
    app.call_as(OTHER_KEY, OTHER_SECRET, "GetHIT", &[("HITId", &second)])
        .await
        .err("AWS.MechanicalTurk.PermissionDenied");
});

both_backends!(an_external_question_page_submits_to_turk_submit_to, |app: TestApp| async move {
    let c = sdk(&app, DEV_KEY, DEV_SECRET);
    let hit = new_hit(&c, "external", "0.05", 1, vec![]).await;
    let accepted = accept(&app, "A1EXTERNALWORKER", &hit).await.json();
    let url = accepted["ExternalURL"].as_str().unwrap().to_owned();
    let assignment = accepted["AssignmentId"].as_str().unwrap().to_owned();
    assert!(url.starts_with("https://example.org/task?assignmentId="));
    assert!(url.contains(&format!("hitId={hit}")) && url.contains("workerId=A1EXTERNALWORKER"));
    let submit_to = accepted["TurkSubmitTo"].as_str().unwrap();
    // The page's form posts its fields plus assignmentId to {turkSubmitTo}/mturk/externalSubmit.
    let form = format!("assignmentId={assignment}&label=cat&comment=%3Cb%3Enice%3C%2Fb%3E");
    let posted = app
        .http
        .post(format!("{submit_to}/mturk/externalSubmit"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status().as_u16(), 200);
    let listed = c.list_assignments_for_hit().hit_id(&hit).send().await.unwrap();
    let answer = listed.assignments()[0].answer().unwrap().to_owned();
    assert!(answer.contains("<QuestionIdentifier>label</QuestionIdentifier><FreeText>cat</FreeText>"));
    assert!(answer.contains("<FreeText>&lt;b&gt;nice&lt;/b&gt;</FreeText>"));
    let again = app
        .http
        .post(format!("{submit_to}/mturk/externalSubmit"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("assignmentId={assignment}&label=dog"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 400);
});

both_backends!(system_qualifications_follow_the_history_and_illegal_moves_are_refused, |app: TestApp| async move {
    let c = sdk(&app, DEV_KEY, DEV_SECRET);
    let approved_at_least = |n: i32| {
        QualificationRequirement::builder()
            .qualification_type_id("00000000000000000040")
            .comparator(Comparator::GreaterThanOrEqualTo)
            .integer_values(n)
            .build()
            .unwrap()
    };
    let rate = QualificationRequirement::builder()
        .qualification_type_id("000000000000000000L0")
        .comparator(Comparator::GreaterThanOrEqualTo)
        .integer_values(95)
        .build()
        .unwrap();
    let veteran = new_hit(&c, "for veterans", "0.01", 3, vec![approved_at_least(1), rate]).await;
    assert_eq!(accept(&app, "A1NEWCOMER", &veteran).await.json()["Code"], "AWS.MechanicalTurk.DoesNotMeetRequirements");
    // One approved assignment later the newcomer qualifies (the approval rate is 100 below 100 submissions).
    let starter = new_hit(&c, "starter", "0.01", 1, vec![]).await;
    let a = accept(&app, "A1NEWCOMER", &starter).await.json();
    let id = a["AssignmentId"].as_str().unwrap().to_owned();
    // Returning frees the slot; a returned assignment cannot be submitted or returned again.
    assert_eq!(app.control("POST", &format!("/assignments/{id}/return"), None).await.status, 200);
    assert_eq!(
        app.control("POST", &format!("/assignments/{id}/return"), None).await.json()["Code"],
        "AWS.MechanicalTurk.InvalidAssignmentState"
    );
    assert_eq!(submit(&app, &id, "x").await.json()["Code"], "AWS.MechanicalTurk.InvalidAssignmentState");
    let b = accept(&app, "A1NEWCOMER", &starter).await.json();
    let id = b["AssignmentId"].as_str().unwrap().to_owned();
    submit(&app, &id, "x").await;
    assert_eq!(submit(&app, &id, "again").await.json()["Code"], "AWS.MechanicalTurk.InvalidAssignmentState");
    c.approve_assignment().assignment_id(&id).send().await.unwrap();
    let rejected_after_approval = c.reject_assignment().assignment_id(&id).requester_feedback("no").send().await;
    assert_eq!(turk_code(rejected_after_approval), "AWS.MechanicalTurk.InvalidAssignmentState");
    assert_eq!(accept(&app, "A1NEWCOMER", &veteran).await.status, 200);
    // Accepted work is not the requester's to see until submitted.
    let listed = c.list_assignments_for_hit().hit_id(&veteran).send().await.unwrap();
    assert_eq!(listed.num_results(), Some(0));
    let unknown = app.control("POST", "/workers/A1NEWCOMER/assignments", Some(json!({ "HITId": "3NOSUCHHIT" }))).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["Code"], "AWS.MechanicalTurk.HITDoesNotExist");
});

both_backends!(disable_hit_approves_work_in_progress_when_it_is_submitted, |app: TestApp| async move {
    let c = sdk(&app, DEV_KEY, DEV_SECRET);
    let hit = new_hit(&c, "to disable", "0.50", 2, vec![]).await;
    let done = accept(&app, "A1DONEWORKER", &hit).await.json()["AssignmentId"].as_str().unwrap().to_owned();
    submit(&app, &done, "finished").await;
    let busy = accept(&app, "A1BUSYWORKER", &hit).await.json()["AssignmentId"].as_str().unwrap().to_owned();
    app.call("DisableHIT", &[("HITId", &hit)]).await.ok();
    let gone = c.get_hit().hit_id(&hit).send().await.unwrap();
    assert_eq!(gone.hit().unwrap().hit_status().map(aws_sdk_mturk::types::HitStatus::as_str), Some("Disposed"));
    assert_eq!(accept(&app, "A1LATEWORKER", &hit).await.json()["Code"], "AWS.MechanicalTurk.InvalidHITState");
    // Submitted work was approved and paid at once: 0.50 + 0.10.
    assert_eq!(c.get_account_balance().send().await.unwrap().available_balance(), Some("9999.40"));
    submit(&app, &busy, "finished later").await;
    let later = c.get_assignment().assignment_id(&busy).send().await.unwrap();
    assert_eq!(
        later.assignment().unwrap().assignment_status().map(aws_sdk_mturk::types::AssignmentStatus::as_str),
        Some("Approved")
    );
    assert_eq!(c.get_account_balance().send().await.unwrap().available_balance(), Some("9998.80"));
    app.call("DisableHIT", &[("HITId", &hit)]).await.err("AWS.MechanicalTurk.InvalidHITState");
});
