//! Review policies on both faces: `ScoreMyKnownAnswers/2011-09-01` and
//! `SimplePlurality/2011-09-01` checked at CreateHIT, run by the worker
//! simulator's submissions, and reported by ListReviewPolicyResultsForHIT
//! (`aws-sdk-mturk`) and GetReviewResultsForHIT (signed legacy requests).

use aws_sdk_mturk::types::{ParameterMapEntry, PolicyParameter, ReviewPolicy, ReviewPolicyLevel};
use serde_json::{json, Value};

use crate::both_backends;
use crate::common::documents::EXTERNAL_QUESTION as QUESTION;
use crate::common::endpoint::Endpoint;
use crate::common::sdk::{sdk, turk_code};
use crate::common::{TestApp, DEV_KEY, DEV_SECRET, OTHER_KEY, OTHER_SECRET};

const KNOWN: &str = "ScoreMyKnownAnswers/2011-09-01";
const PLURALITY: &str = "SimplePlurality/2011-09-01";
const INVALID: &str = "AWS.MechanicalTurk.InvalidParameterValue";

/// A policy parameter as the tests write it: key, values, map entries.
type Param = (&'static str, Vec<&'static str>, Vec<(&'static str, Vec<&'static str>)>);

fn value(key: &'static str, v: &'static str) -> Param {
    (key, vec![v], vec![])
}

/// The JSON `ReviewPolicy` member.
fn json_policy(name: &str, params: &[Param]) -> Value {
    let parameters: Vec<Value> = params
        .iter()
        .map(|(key, values, entries)| {
            let mut p = json!({ "Key": key });
            if !values.is_empty() {
                p["Values"] = json!(values);
            }
            if !entries.is_empty() {
                p["MapEntries"] =
                    entries.iter().map(|(k, v)| json!({ "Key": k, "Values": v })).collect::<Vec<_>>().into();
            }
            p
        })
        .collect();
    json!({ "PolicyName": name, "Parameters": parameters })
}

/// The legacy parameters of a policy under `prefix`.
fn legacy_policy(prefix: &str, name: &str, params: &[Param]) -> Vec<(String, String)> {
    let mut out = vec![(format!("{prefix}.PolicyName"), name.to_owned())];
    for (i, (key, values, entries)) in params.iter().enumerate() {
        let p = format!("{prefix}.Parameter.{}", i + 1);
        out.push((format!("{p}.Key"), (*key).to_owned()));
        for (j, v) in values.iter().enumerate() {
            out.push((format!("{p}.Value.{}", j + 1), (*v).to_owned()));
        }
        for (k, (entry, vs)) in entries.iter().enumerate() {
            out.push((format!("{p}.MapEntry.{}.Key", k + 1), (*entry).to_owned()));
            for (j, v) in vs.iter().enumerate() {
                out.push((format!("{p}.MapEntry.{}.Value.{}", k + 1, j + 1), (*v).to_owned()));
            }
        }
    }
    out
}

fn answer_key() -> Param {
    ("AnswerKey", vec![], vec![("known", vec!["cat"])])
}

/// One bad policy per row: which member, the policy, and why it is refused.
struct Row {
    why: &'static str,
    member: &'static str,
    name: &'static str,
    params: Vec<Param>,
}

#[allow(clippy::too_many_lines, reason = "one row per bad policy: the table is the test")]
fn rows() -> Vec<Row> {
    let plurality = |extra: Vec<Param>| {
        let mut p = vec![("QuestionIds", vec!["color"], vec![]), value("QuestionAgreementThreshold", "50")];
        p.extend(extra);
        p
    };
    vec![
        Row {
            why: "an unknown policy name",
            member: "AssignmentReviewPolicy",
            name: "ScoreMyKnownAnswers/2012-01-01",
            params: vec![answer_key()],
        },
        Row {
            why: "the HIT-level policy at the assignment level",
            member: "AssignmentReviewPolicy",
            name: PLURALITY,
            params: plurality(vec![]),
        },
        Row {
            why: "the assignment-level policy at the HIT level",
            member: "HITReviewPolicy",
            name: KNOWN,
            params: vec![answer_key()],
        },
        Row {
            why: "an unknown parameter",
            member: "AssignmentReviewPolicy",
            name: KNOWN,
            params: vec![answer_key(), value("ApproveIfScoreIsAtLeast", "50")],
        },
        Row {
            why: "a parameter given twice",
            member: "AssignmentReviewPolicy",
            name: KNOWN,
            params: vec![answer_key(), value("RejectReason", "a"), value("RejectReason", "b")],
        },
        Row {
            why: "a non-numeric score",
            member: "AssignmentReviewPolicy",
            name: KNOWN,
            params: vec![answer_key(), value("ApproveIfKnownAnswerScoreIsAtLeast", "high")],
        },
        Row {
            why: "a score above 101",
            member: "AssignmentReviewPolicy",
            name: KNOWN,
            params: vec![answer_key(), value("RejectIfKnownAnswerScoreIsLessThan", "102")],
        },
        Row {
            why: "more than 25 extension assignments",
            member: "AssignmentReviewPolicy",
            name: KNOWN,
            params: vec![answer_key(), value("ExtendMaximumAssignments", "26")],
        },
        Row {
            why: "less than an hour of extension",
            member: "AssignmentReviewPolicy",
            name: KNOWN,
            params: vec![answer_key(), value("ExtendMinimumTimeInSeconds", "60")],
        },
        Row {
            why: "no AnswerKey",
            member: "AssignmentReviewPolicy",
            name: KNOWN,
            params: vec![value("ApproveIfKnownAnswerScoreIsAtLeast", "50")],
        },
        Row {
            why: "an AnswerKey with values instead of map entries",
            member: "AssignmentReviewPolicy",
            name: KNOWN,
            params: vec![value("AnswerKey", "cat")],
        },
        Row {
            why: "no QuestionAgreementThreshold",
            member: "HITReviewPolicy",
            name: PLURALITY,
            params: vec![("QuestionIds", vec!["color"], vec![])],
        },
        Row {
            why: "no QuestionIds",
            member: "HITReviewPolicy",
            name: PLURALITY,
            params: vec![value("QuestionAgreementThreshold", "50")],
        },
        Row {
            why: "an agreement threshold above 100",
            member: "HITReviewPolicy",
            name: PLURALITY,
            params: vec![("QuestionIds", vec!["color"], vec![]), value("QuestionAgreementThreshold", "101")],
        },
        Row {
            why: "an extension without its maximum and time",
            member: "HITReviewPolicy",
            name: PLURALITY,
            params: plurality(vec![value("ExtendIfHITAgreementScoreIsLessThan", "80")]),
        },
        Row {
            why: "an extension threshold of 0",
            member: "HITReviewPolicy",
            name: PLURALITY,
            params: plurality(vec![
                value("ExtendIfHITAgreementScoreIsLessThan", "0"),
                value("ExtendMaximumAssignments", "4"),
                value("ExtendMinimumTimeInSeconds", "3600"),
            ]),
        },
        Row {
            why: "less than a minute of HIT extension",
            member: "HITReviewPolicy",
            name: PLURALITY,
            params: plurality(vec![
                value("ExtendIfHITAgreementScoreIsLessThan", "80"),
                value("ExtendMaximumAssignments", "4"),
                value("ExtendMinimumTimeInSeconds", "59"),
            ]),
        },
        Row {
            why: "a flag that is not true or false",
            member: "HITReviewPolicy",
            name: PLURALITY,
            params: plurality(vec![value("DisregardAssignmentIfRejected", "maybe")]),
        },
        Row {
            why: "a non-numeric worker agreement score",
            member: "HITReviewPolicy",
            name: PLURALITY,
            params: plurality(vec![value("ApproveIfWorkerAgreementScoreIsAtLeast", "most")]),
        },
    ]
}

fn json_create_hit(extra: &[(&str, Value)]) -> Value {
    let mut body = json!({
        "Title": "Label a picture",
        "Description": "Three questions about a picture",
        "Reward": "0.50",
        "MaxAssignments": 3,
        "LifetimeInSeconds": 86_400,
        "AssignmentDurationInSeconds": 600,
        "Question": QUESTION,
    });
    for (k, v) in extra {
        body[*k] = v.clone();
    }
    body
}

fn legacy_create_hit(extra: &[(String, String)]) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = [
        ("Title", "Label a picture"),
        ("Description", "Three questions about a picture"),
        ("Reward.1.Amount", "0.50"),
        ("Reward.1.CurrencyCode", "USD"),
        ("MaxAssignments", "3"),
        ("LifetimeInSeconds", "86400"),
        ("AssignmentDurationInSeconds", "600"),
        ("Question", QUESTION),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    params.extend_from_slice(extra);
    params
}

async fn legacy(app: &TestApp, operation: &str, params: &[(String, String)]) -> crate::common::Answer {
    let borrowed: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.call(operation, &borrowed).await
}

both_backends!(every_bad_policy_is_refused_on_both_faces_and_creates_nothing, |app: TestApp| async move {
    let ep = Endpoint::for_app(&app);
    for row in rows() {
        let body = json_create_hit(&[(row.member, json_policy(row.name, &row.params))]);
        let modern = ep.json("CreateHIT", &body).await.unwrap();
        assert_eq!(modern.status, 400, "{}: {}", row.why, modern.body);
        assert_eq!(modern.json_code().as_deref(), Some(INVALID), "{}: {}", row.why, modern.body);
        let with_type = ep.json("CreateHITType", &body).await.unwrap().json()["HITTypeId"].clone();
        let mut typed = json!({ "HITTypeId": with_type, "LifetimeInSeconds": 86_400, "Question": QUESTION });
        typed[row.member] = json_policy(row.name, &row.params);
        let modern = ep.json("CreateHITWithHITType", &typed).await.unwrap();
        assert_eq!(modern.json_code().as_deref(), Some(INVALID), "{} (with a HIT type): {}", row.why, modern.body);

        let old =
            legacy(&app, "CreateHIT", &legacy_create_hit(&legacy_policy(row.member, row.name, &row.params))).await;
        assert_eq!(old.code().as_deref(), Some(INVALID), "{} (legacy): {}", row.why, old.body);
    }
    let listed = ep.json("ListHITs", &json!({})).await.unwrap().json();
    assert_eq!(listed["NumResults"], 0, "no refused HIT was created: {listed}");

    // A legacy policy without its name is a missing parameter.
    let nameless = legacy_create_hit(&[("HITReviewPolicy.Parameter.1.Key".into(), "QuestionIds".into())]);
    legacy(&app, "CreateHIT", &nameless).await.err("AWS.MissingParameters");

    // The same policies, well formed, are accepted on both faces.
    let good = json_create_hit(&[
        ("AssignmentReviewPolicy", json_policy(KNOWN, &[answer_key(), value("ExtendMaximumAssignments", "25")])),
        (
            "HITReviewPolicy",
            json_policy(
                PLURALITY,
                &[("QuestionIds", vec!["color,shape"], vec![]), value("QuestionAgreementThreshold", "0")],
            ),
        ),
    ]);
    assert_eq!(ep.json("CreateHIT", &good).await.unwrap().status, 200);
    let mut params = legacy_policy("AssignmentReviewPolicy", KNOWN, &[answer_key()]);
    params.extend(legacy_policy(
        "HITReviewPolicy",
        PLURALITY,
        &[
            ("QuestionIds", vec!["color", "shape"], vec![]),
            value("QuestionAgreementThreshold", "100"),
            value("DisregardAssignmentIfRejected", "T"),
        ],
    ));
    let created = legacy(&app, "CreateHIT", &legacy_create_hit(&params)).await.ok();
    let legacy_hit = created.text("HITId").unwrap();
    let report = app.call("GetReviewResultsForHIT", &[("HITId", &legacy_hit)]).await.ok();
    assert!(report.body.contains("<AssignmentReviewPolicy><PolicyName>ScoreMyKnownAnswers/2011-09-01</PolicyName>"));
    assert!(report.body.contains("<AssignmentReviewReport></AssignmentReviewReport>"), "{}", report.body);

    // CreateHITWithHITType takes them too, and the JSON listing names them.
    let type_id = ep.json("CreateHITType", &good).await.unwrap().json()["HITTypeId"].clone();
    let typed = json!({
        "HITTypeId": type_id,
        "LifetimeInSeconds": 86_400,
        "Question": QUESTION,
        "HITReviewPolicy": json_policy(PLURALITY, &[("QuestionIds", vec!["color"], vec![]), value("QuestionAgreementThreshold", "50")]),
    });
    let typed_hit = ep.json("CreateHITWithHITType", &typed).await.unwrap().json()["HIT"]["HITId"].clone();
    let listed = ep.json("ListReviewPolicyResultsForHIT", &json!({ "HITId": typed_hit })).await.unwrap().json();
    assert_eq!(
        listed,
        json!({
            "HITId": typed_hit,
            "HITReviewPolicy": { "PolicyName": PLURALITY },
            "HITReviewReport": { "ReviewResults": [], "ReviewActions": [] },
        })
    );

    // Bad inputs of the results operations, on both faces.
    for (body, code) in [
        (json!({ "HITId": typed_hit, "PolicyLevels": ["Worker"] }), INVALID),
        (json!({ "HITId": typed_hit, "MaxResults": 0 }), "AWS.ParameterOutOfRange"),
        (json!({ "HITId": typed_hit, "RetrieveActions": "yes" }), INVALID),
        (json!({}), "AWS.MissingParameters"),
        (json!({ "HITId": "3NOSUCHHIT000000000000000000000" }), "AWS.MechanicalTurk.HITDoesNotExist"),
    ] {
        let r = ep.json("ListReviewPolicyResultsForHIT", &body).await.unwrap();
        assert_eq!(r.json_code().as_deref(), Some(code), "{body}: {}", r.body);
    }
    for (params, code) in [
        (vec![("HITId", legacy_hit.as_str()), ("PolicyLevel", "Worker")], INVALID),
        (vec![("HITId", legacy_hit.as_str()), ("PageSize", "0")], "AWS.ParameterOutOfRange"),
        (vec![("HITId", legacy_hit.as_str()), ("RetrieveResults", "maybe")], INVALID),
        (vec![], "AWS.MissingParameters"),
    ] {
        app.call("GetReviewResultsForHIT", &params).await.err(code);
    }
});

fn answers(known: &str, color: &str, shape: &str) -> String {
    let one = |q: &str, a: &str| {
        format!("<Answer><QuestionIdentifier>{q}</QuestionIdentifier><FreeText>{a}</FreeText></Answer>")
    };
    format!(
        r#"<QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd">{}{}{}</QuestionFormAnswers>"#,
        one("known", known),
        one("color", color),
        one("shape", shape)
    )
}

fn sdk_param(key: &str, values: &[&str]) -> PolicyParameter {
    let mut p = PolicyParameter::builder().key(key);
    for v in values {
        p = p.values(*v);
    }
    p.build()
}

/// (SubjectId, SubjectType, QuestionId, Key, Value) of each result.
type ResultRow = (String, String, Option<String>, String, String);
/// (ActionName, TargetId, TargetType, Status, Result, ErrorCode) of each action.
type ActionRow = (String, String, String, String, Option<String>, Option<String>);

both_backends!(
    three_workers_one_wrong_on_the_known_answer_two_approved_one_rejected_and_the_hit_extended,
    |app: TestApp| async move {
        let c = sdk(&app, DEV_KEY, DEV_SECRET);
        let balance_before = c.get_account_balance().send().await.unwrap().available_balance().unwrap().to_owned();
        let known = ReviewPolicy::builder()
            .policy_name(KNOWN)
            .parameters(
                PolicyParameter::builder()
                    .key("AnswerKey")
                    .map_entries(ParameterMapEntry::builder().key("known").values("cat").build())
                    .build(),
            )
            .parameters(sdk_param("RejectIfKnownAnswerScoreIsLessThan", &["100"]))
            .parameters(sdk_param("RejectReason", &["The known answer was wrong."]))
            .build()
            .unwrap();
        let plurality = ReviewPolicy::builder()
            .policy_name(PLURALITY)
            .parameters(sdk_param("QuestionIds", &["color", "shape"]))
            .parameters(sdk_param("QuestionAgreementThreshold", &["50"]))
            .parameters(sdk_param("DisregardAssignmentIfRejected", &["true"]))
            .parameters(sdk_param("ApproveIfWorkerAgreementScoreIsAtLeast", &["100"]))
            .parameters(sdk_param("RejectIfWorkerAgreementScoreIsLessThan", &["100"]))
            .parameters(sdk_param("ExtendIfHITAgreementScoreIsLessThan", &["100"]))
            .parameters(sdk_param("ExtendMaximumAssignments", &["4"]))
            .parameters(sdk_param("ExtendMinimumTimeInSeconds", &["3600"]))
            .build()
            .unwrap();
        let created = c
            .create_hit()
            .title("Label a picture")
            .description("Three questions about a picture")
            .reward("0.50")
            .max_assignments(3)
            .lifetime_in_seconds(86_400)
            .assignment_duration_in_seconds(600)
            .question(QUESTION)
            .assignment_review_policy(known)
            .hit_review_policy(plurality)
            .send()
            .await
            .unwrap();
        let hit = created.hit().unwrap();
        let hit_id = hit.hit_id().unwrap().to_owned();
        let expiration = hit.expiration().unwrap().secs();

        // Two workers know the known answer and agree on the colour, not the shape;
        // the third is wrong on the known answer (and would make "square" the shape).
        // A minute apart, so that they are listed (and reviewed) in this order.
        let w1 = app.work("A1REVIEWONE", &hit_id, &answers("cat", "blue", "square")).await;
        app.advance(60);
        let w2 = app.work("A1REVIEWTWO", &hit_id, &answers(" cat ", "blue", "circle")).await;
        // Nothing is decided at the HIT level while work is missing.
        let early = c.list_review_policy_results_for_hit().hit_id(&hit_id).send().await.unwrap();
        assert!(early.hit_review_report().unwrap().review_results().is_empty());
        app.advance(60);
        let w3 = app.work("A1REVIEWTHREE", &hit_id, &answers("dog", "red", "square")).await;

        // The assignments: two approved (and paid), one rejected with the policy's reason.
        let listed = c.list_assignments_for_hit().hit_id(&hit_id).send().await.unwrap();
        let status = |id: &str| {
            let a = listed.assignments().iter().find(|a| a.assignment_id() == Some(id)).unwrap();
            (a.assignment_status().unwrap().as_str().to_owned(), a.requester_feedback().map(str::to_owned))
        };
        assert_eq!(status(&w1), ("Approved".to_owned(), None));
        assert_eq!(status(&w2), ("Approved".to_owned(), None));
        assert_eq!(status(&w3), ("Rejected".to_owned(), Some("The known answer was wrong.".to_owned())));
        let balance_after = c.get_account_balance().send().await.unwrap().available_balance().unwrap().to_owned();
        let cents = |s: &str| s.replace('.', "").parse::<i64>().unwrap();
        // Two rewards of 0.50 with the 20% fee.
        assert_eq!(cents(&balance_before) - cents(&balance_after), 120);

        // The HIT: one more assignment and an hour more, so it is open again.
        let after = c.get_hit().hit_id(&hit_id).send().await.unwrap();
        let after = after.hit().unwrap();
        assert_eq!(after.max_assignments(), Some(4));
        assert_eq!(after.expiration().unwrap().secs(), expiration + 3600);
        assert_eq!(after.hit_status().unwrap().as_str(), "Assignable");

        // ListReviewPolicyResultsForHIT reports exactly that.
        let report = c.list_review_policy_results_for_hit().hit_id(&hit_id).send().await.unwrap();
        assert_eq!(report.hit_id(), Some(hit_id.as_str()));
        assert_eq!(report.assignment_review_policy().unwrap().policy_name(), KNOWN);
        assert_eq!(report.hit_review_policy().unwrap().policy_name(), PLURALITY);
        let results = |r: &aws_sdk_mturk::types::ReviewReport| -> Vec<ResultRow> {
            r.review_results()
                .iter()
                .map(|x| {
                    (
                        x.subject_id().unwrap().to_owned(),
                        x.subject_type().unwrap().to_owned(),
                        x.question_id().map(str::to_owned),
                        x.key().unwrap().to_owned(),
                        x.value().unwrap().to_owned(),
                    )
                })
                .collect()
        };
        let actions = |r: &aws_sdk_mturk::types::ReviewReport| -> Vec<ActionRow> {
            r.review_actions()
                .iter()
                .map(|x| {
                    assert!(x.action_id().is_some_and(|id| id.len() == 30));
                    assert!(x.complete_time().is_some());
                    (
                        x.action_name().unwrap().to_owned(),
                        x.target_id().unwrap().to_owned(),
                        x.target_type().unwrap().to_owned(),
                        x.status().unwrap().as_str().to_owned(),
                        x.result().map(str::to_owned),
                        x.error_code().map(str::to_owned),
                    )
                })
                .collect()
        };
        let r = |s: &str, t: &str, q: Option<&str>, k: &str, v: &str| -> ResultRow {
            (s.to_owned(), t.to_owned(), q.map(str::to_owned), k.to_owned(), v.to_owned())
        };
        let a = |n: &str, t: &str, tt: &str, result: &str| -> ActionRow {
            (n.to_owned(), t.to_owned(), tt.to_owned(), "Succeeded".to_owned(), Some(result.to_owned()), None)
        };
        let expected_assignment_results = vec![
            r(&w1, "Assignment", Some("known"), "KnownAnswerCorrect", "1"),
            r(&w1, "Assignment", None, "KnownAnswerScore", "100"),
            r(&w2, "Assignment", Some("known"), "KnownAnswerCorrect", "1"),
            r(&w2, "Assignment", None, "KnownAnswerScore", "100"),
            r(&w3, "Assignment", Some("known"), "KnownAnswerCorrect", "0"),
            r(&w3, "Assignment", None, "KnownAnswerScore", "0"),
        ];
        let expected_assignment_actions = vec![a("reject", &w3, "Assignment", "Rejected")];
        let expected_hit_results = vec![
            r(&hit_id, "HIT", Some("color"), "AgreedAnswerFound", "true"),
            r(&hit_id, "HIT", Some("color"), "AgreedAnswer", "blue"),
            r(&hit_id, "HIT", Some("color"), "AnswerAgreementScore", "100"),
            r(&hit_id, "HIT", Some("shape"), "AgreedAnswerFound", "false"),
            r(&w1, "Assignment", None, "WorkerAgreementScore", "100"),
            r(&w1, "Assignment", None, "PluralityAnswersCorrect", "1"),
            r(&w1, "Assignment", None, "PluralityAnswersIncorrect", "0"),
            r(&w2, "Assignment", None, "WorkerAgreementScore", "100"),
            r(&w2, "Assignment", None, "PluralityAnswersCorrect", "1"),
            r(&w2, "Assignment", None, "PluralityAnswersIncorrect", "0"),
            r(&hit_id, "HIT", None, "HitAgreementScore", "50"),
        ];
        let expected_hit_actions = vec![
            a("approve", &w1, "Assignment", "Approved"),
            a("approve", &w2, "Assignment", "Approved"),
            a("extend", &hit_id, "HIT", "Extended to 4 assignments and by 3600 seconds."),
        ];
        let page = |m: i32| c.list_review_policy_results_for_hit().hit_id(&hit_id).max_results(m);
        let full = page(100).send().await.unwrap();
        assert_eq!(results(full.assignment_review_report().unwrap()), expected_assignment_results);
        assert_eq!(actions(full.assignment_review_report().unwrap()), expected_assignment_actions);
        assert_eq!(results(full.hit_review_report().unwrap()), expected_hit_results);
        assert_eq!(actions(full.hit_review_report().unwrap()), expected_hit_actions);

        // Narrowed to the HIT level and to actions only.
        let narrowed = page(100).policy_levels(ReviewPolicyLevel::Hit).retrieve_results(false).send().await.unwrap();
        assert!(narrowed.assignment_review_report().is_none());
        assert!(narrowed.hit_review_report().unwrap().review_results().is_empty());
        assert_eq!(actions(narrowed.hit_review_report().unwrap()), expected_hit_actions);

        // Paged by MaxResults, each list of each report by the same page.
        let first = page(4).send().await.unwrap();
        assert_eq!(results(first.hit_review_report().unwrap()), expected_hit_results[..4].to_vec());
        let token = first.next_token().unwrap().to_owned();
        let second = page(4).next_token(&token).send().await.unwrap();
        assert_eq!(results(second.hit_review_report().unwrap()), expected_hit_results[4..8].to_vec());
        assert!(actions(second.hit_review_report().unwrap()).is_empty());

        // GetReviewResultsForHIT reports the same, in the schema's element order.
        let old = app.call("GetReviewResultsForHIT", &[("HITId", &hit_id)]).await.ok();
        let body = old.body.clone();
        let at = |needle: &str| body.find(needle).unwrap_or_else(|| panic!("{needle} missing: {body}"));
        assert!(at("<GetReviewResultsForHITResult>") < at("<HITId>"));
        assert!(at("<HITId>") < at("<AssignmentReviewPolicy><PolicyName>ScoreMyKnownAnswers/2011-09-01</PolicyName></AssignmentReviewPolicy>"));
        assert!(
            at("</AssignmentReviewPolicy>")
                < at("<HITReviewPolicy><PolicyName>SimplePlurality/2011-09-01</PolicyName></HITReviewPolicy>")
        );
        assert!(at("</HITReviewPolicy>") < at("<AssignmentReviewReport>"));
        assert!(at("</AssignmentReviewReport>") < at("<HITReviewReport>"));
        let expected_result = format!(
            "<ReviewResult><ActionId></ActionId><SubjectId>{w3}</SubjectId><SubjectType>Assignment</SubjectType><QuestionId>known</QuestionId>\
             <Key>KnownAnswerCorrect</Key><Value>0</Value></ReviewResult>"
        );
        assert!(body.contains(&expected_result), "{body}");
        let action = &body[at("<HITReviewReport>")..];
        let action = &action[action.find("<ReviewAction>").unwrap()..];
        let order = [
            "<ActionId>",
            "<ActionName>approve</ActionName>",
            &format!("<ObjectId>{w1}</ObjectId>"),
            "<ObjectType>Assignment</ObjectType>",
            "<Status>Succeeded</Status>",
            "<CompleteTime>",
            "<Result>Approved</Result>",
            "</ReviewAction>",
        ];
        let positions: Vec<usize> =
            order.iter().map(|n| action.find(n).unwrap_or_else(|| panic!("{n}: {action}"))).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{action}");
        // Everything is there: 6 + 11 results, 1 + 3 actions.
        assert_eq!(body.matches("<ReviewResult>").count(), 17);
        assert_eq!(body.matches("<ReviewAction>").count(), 4);
        // Narrowed by level, by assignment, and paged.
        let hit_only = app
            .call("GetReviewResultsForHIT", &[("HITId", &hit_id), ("PolicyLevel", "HIT"), ("RetrieveResults", "F")])
            .await
            .ok();
        assert!(!hit_only.body.contains("<AssignmentReviewReport>"));
        assert_eq!(hit_only.body.matches("<ReviewResult>").count(), 0);
        assert_eq!(hit_only.body.matches("<ReviewAction>").count(), 3);
        let about_w3 = app.call("GetReviewResultsForHIT", &[("HITId", &hit_id), ("AssignmentId", &w3)]).await.ok();
        assert_eq!(about_w3.body.matches("<ReviewResult>").count(), 2);
        assert_eq!(about_w3.body.matches("<ReviewAction>").count(), 1);
        let paged = app
            .call("GetReviewResultsForHIT", &[("HITId", &hit_id), ("PageSize", "2"), ("PageNumber", "2")])
            .await
            .ok();
        assert_eq!(paged.body.matches("<ReviewResult>").count(), 4);
        app.call("GetReviewResultsForHIT", &[("HITId", &hit_id), ("RetrieveActions", "maybe")]).await.err(INVALID);

        // Only the HIT's owner reads them, on both faces, answered as GetHIT answers.
        let other = sdk(&app, OTHER_KEY, OTHER_SECRET);
        let refused = turk_code(other.list_review_policy_results_for_hit().hit_id(&hit_id).send().await);
        assert!(!refused.is_empty());
        assert_eq!(refused, turk_code(other.get_hit().hit_id(&hit_id).send().await));
        let ep = Endpoint::for_app(&app);
        let legacy_refused =
            ep.legacy_as(OTHER_KEY, OTHER_SECRET, "GetReviewResultsForHIT", &[("HITId", &hit_id)]).await.unwrap();
        let legacy_hit = ep.legacy_as(OTHER_KEY, OTHER_SECRET, "GetHIT", &[("HITId", &hit_id)]).await.unwrap();
        assert!(legacy_refused.legacy_code().is_some());
        assert_eq!(legacy_refused.legacy_code(), legacy_hit.legacy_code());

        // A fourth worker fills the extension; the HIT-level policy runs again over
        // the three it counts: now "circle" is the shape, so the first worker, paid
        // already, falls below the approval score and cannot be rejected any more.
        app.advance(60);
        let w4 = app.work("A1REVIEWFOUR", &hit_id, &answers("cat", "blue", "circle")).await;
        let again = page(100).send().await.unwrap();
        let hit_results = results(again.hit_review_report().unwrap());
        assert_eq!(hit_results[..11].to_vec(), expected_hit_results);
        assert_eq!(hit_results.len(), 11 + 16, "{hit_results:?}");
        assert!(hit_results.contains(&r(&hit_id, "HIT", Some("shape"), "AgreedAnswer", "circle")));
        assert!(hit_results.contains(&r(&w1, "Assignment", None, "WorkerAgreementScore", "50")));
        assert_eq!(hit_results.last(), Some(&r(&hit_id, "HIT", None, "HitAgreementScore", "100")));
        let hit_actions = actions(again.hit_review_report().unwrap());
        assert_eq!(hit_actions[..3].to_vec(), expected_hit_actions);
        let failed = hit_actions[3].clone();
        assert_eq!((failed.0.as_str(), failed.1.as_str(), failed.3.as_str()), ("reject", w1.as_str(), "Failed"));
        assert_eq!(failed.5.as_deref(), Some("AWS.MechanicalTurk.InvalidAssignmentState"));
        assert_eq!(
            hit_actions[4..].to_vec(),
            vec![a("approve", &w2, "Assignment", "Already approved"), a("approve", &w4, "Assignment", "Approved")]
        );
        let w1_now = c.get_assignment().assignment_id(&w1).send().await.unwrap();
        assert_eq!(w1_now.assignment().unwrap().assignment_status().unwrap().as_str(), "Approved");
    }
);

both_backends!(two_last_submissions_racing_review_the_hit_once, |app: TestApp| async move {
    let ep = Endpoint::for_app(&app);
    let body = json_create_hit(&[
        ("MaxAssignments", json!(2)),
        (
            "HITReviewPolicy",
            json_policy(
                PLURALITY,
                &[
                    ("QuestionIds", vec!["color"], vec![]),
                    value("QuestionAgreementThreshold", "50"),
                    value("ApproveIfWorkerAgreementScoreIsAtLeast", "100"),
                ],
            ),
        ),
    ]);
    let hit_id = ep.json("CreateHIT", &body).await.unwrap().json()["HIT"]["HITId"].as_str().unwrap().to_owned();
    let mut assignments = Vec::new();
    for worker in ["A1RACEONE", "A1RACETWO"] {
        let accepted =
            app.control("POST", &format!("/workers/{worker}/assignments"), Some(json!({ "HITId": hit_id }))).await;
        assignments.push(accepted.json()["AssignmentId"].as_str().unwrap().to_owned());
    }
    let submit = |id: &str| {
        let path = format!("/assignments/{id}/submit");
        let body = json!({ "Answer": answers("cat", "blue", "square") });
        let app = &app;
        async move { app.control("POST", &path, Some(body)).await }
    };
    let (one, two) = tokio::join!(submit(&assignments[0]), submit(&assignments[1]));
    assert_eq!((one.status, two.status), (200, 200), "{} {}", one.body, two.body);

    let report =
        ep.json("ListReviewPolicyResultsForHIT", &json!({ "HITId": hit_id, "MaxResults": 100 })).await.unwrap();
    let report = report.json();
    let results = report["HITReviewReport"]["ReviewResults"].as_array().unwrap();
    let hit_scores = results.iter().filter(|r| r["Key"] == "HitAgreementScore").count();
    assert_eq!(hit_scores, 1, "{report}");
    let actions = report["HITReviewReport"]["ReviewActions"].as_array().unwrap();
    assert_eq!(actions.len(), 2, "{report}");
    assert!(actions.iter().all(|a| a["ActionName"] == "approve" && a["Status"] == "Succeeded"), "{report}");
});
