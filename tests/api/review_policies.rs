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

/// The HIT-level policy several tests share: plurality on `color`, agreed
/// above 50 %, workers who agree with it approved.
fn color_plurality() -> Value {
    json_policy(
        PLURALITY,
        &[
            ("QuestionIds", vec!["color"], vec![]),
            value("QuestionAgreementThreshold", "50"),
            value("ApproveIfWorkerAgreementScoreIsAtLeast", "100"),
        ],
    )
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
    let body = json_create_hit(&[("MaxAssignments", json!(2)), ("HITReviewPolicy", color_plurality())]);
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

/// `(SubjectId, Key, Value)` of the HIT-level results, and `(ActionName,
/// TargetId, Status, Result)` of the HIT-level actions, read through
/// ListReviewPolicyResultsForHIT.
async fn hit_report(
    ep: &Endpoint,
    hit_id: &str,
) -> (Vec<(String, String, String)>, Vec<(String, String, String, String)>) {
    let r = ep.json("ListReviewPolicyResultsForHIT", &json!({ "HITId": hit_id, "MaxResults": 100 })).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    let report = r.json()["HITReviewReport"].clone();
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let results = report["ReviewResults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (text(&x["SubjectId"]), text(&x["Key"]), text(&x["Value"])))
        .collect();
    let actions = report["ReviewActions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (text(&x["ActionName"]), text(&x["TargetId"]), text(&x["Status"]), text(&x["Result"])))
        .collect();
    (results, actions)
}

fn triple(s: &str, k: &str, v: &str) -> (String, String, String) {
    (s.to_owned(), k.to_owned(), v.to_owned())
}

fn approved(target: &str, result: &str) -> (String, String, String, String) {
    ("approve".to_owned(), target.to_owned(), "Succeeded".to_owned(), result.to_owned())
}

async fn json_status(ep: &Endpoint, op: &str, key: &str, id: &str) -> String {
    let r = ep.json(op, &json!({ key: id })).await.unwrap().json();
    let member = if op == "GetHIT" { &r["HIT"]["HITStatus"] } else { &r["Assignment"]["AssignmentStatus"] };
    member.as_str().unwrap_or_default().to_owned()
}

both_backends!(a_hit_that_becomes_reviewable_by_expiring_is_reviewed_once_whoever_sees_it, |app: TestApp| async move {
    let ep = Endpoint::for_app(&app);
    let body = json_create_hit(&[("LifetimeInSeconds", json!(3600)), ("HITReviewPolicy", color_plurality())]);
    let mut hits = Vec::new();
    for _ in 0..5 {
        let created = ep.json("CreateHIT", &body).await.unwrap().json();
        hits.push(created["HIT"]["HITId"].as_str().unwrap().to_owned());
    }
    let [by_clock, forced, updated, empty, in_progress] = hits.as_slice() else { unreachable!() };
    let blue = answers("cat", "blue", "square");

    // By the clock: two of three slots done, the third never taken.
    let c1 = app.work("A1EXPIREONE", by_clock, &blue).await;
    // A minute apart, so that they are listed (and reviewed) in this order.
    app.advance(60);
    let c2 = app.work("A1EXPIRETWO", by_clock, &blue).await;
    // ForceExpireHIT (legacy) on a HIT whose two answers disagree: reviewed in the call.
    app.work("A1EXPIREONE", forced, &blue).await;
    app.work("A1EXPIRETWO", forced, &answers("cat", "red", "square")).await;
    app.call("ForceExpireHIT", &[("HITId", forced)]).await.ok();
    // UpdateExpirationForHIT (JSON) to the past, with one answer in.
    let u1 = app.work("A1EXPIREONE", updated, &blue).await;
    let expired = ep.json("UpdateExpirationForHIT", &json!({ "HITId": updated, "ExpireAt": 0 })).await.unwrap();
    assert_eq!(expired.status, 200, "{}", expired.body);
    // One answer in, and a worker still at work when the HIT expires.
    let p1 = app.work("A1EXPIREONE", in_progress, &blue).await;

    // Nothing is reviewed while the HITs are open.
    for hit in [by_clock, empty, in_progress] {
        assert_eq!(hit_report(&ep, hit).await, (vec![], vec![]), "{hit}");
    }
    let forced_report = app.call("GetReviewResultsForHIT", &[("HITId", forced)]).await.ok();
    assert_eq!(forced_report.body.matches("<Key>HitAgreementScore</Key><Value>0</Value>").count(), 1);
    assert_eq!(forced_report.body.matches("<Key>AgreedAnswerFound</Key><Value>false</Value>").count(), 1);
    assert_eq!(forced_report.body.matches("<ReviewAction>").count(), 0, "{}", forced_report.body);
    assert_eq!(
        hit_report(&ep, updated).await,
        (
            vec![
                triple(updated, "AgreedAnswerFound", "true"),
                triple(updated, "AgreedAnswer", "blue"),
                triple(updated, "AnswerAgreementScore", "100"),
                triple(&u1, "WorkerAgreementScore", "100"),
                triple(&u1, "PluralityAnswersCorrect", "1"),
                triple(&u1, "PluralityAnswersIncorrect", "0"),
                triple(updated, "HitAgreementScore", "100"),
            ],
            vec![approved(&u1, "Approved")]
        )
    );
    assert_eq!(json_status(&ep, "GetAssignment", "AssignmentId", &u1).await, "Approved");

    app.advance(3240);
    let p2 = {
        let a = app.control("POST", "/workers/A1EXPIRELATE/assignments", Some(json!({ "HITId": in_progress }))).await;
        assert_eq!(a.status, 200, "{}", a.body);
        a.json()["AssignmentId"].as_str().unwrap().to_owned()
    };
    // The clock passes the expiry; the worker simulator is the first to look.
    app.advance(301);
    let seen = app.control("GET", "/workers/A1EXPIREONE/hits", None).await;
    assert_eq!(seen.status, 200, "{}", seen.body);

    let expected_by_clock = (
        vec![
            triple(by_clock, "AgreedAnswerFound", "true"),
            triple(by_clock, "AgreedAnswer", "blue"),
            triple(by_clock, "AnswerAgreementScore", "100"),
            triple(&c1, "WorkerAgreementScore", "100"),
            triple(&c1, "PluralityAnswersCorrect", "1"),
            triple(&c1, "PluralityAnswersIncorrect", "0"),
            triple(&c2, "WorkerAgreementScore", "100"),
            triple(&c2, "PluralityAnswersCorrect", "1"),
            triple(&c2, "PluralityAnswersIncorrect", "0"),
            triple(by_clock, "HitAgreementScore", "100"),
        ],
        vec![approved(&c1, "Approved"), approved(&c2, "Approved")],
    );
    // Read again and again (each read settles): reviewed once.
    for _ in 0..3 {
        assert_eq!(hit_report(&ep, by_clock).await, expected_by_clock);
    }
    assert_eq!(json_status(&ep, "GetHIT", "HITId", by_clock).await, "Reviewable");
    assert_eq!(json_status(&ep, "GetAssignment", "AssignmentId", &c2).await, "Approved");
    // A HIT that expires with no work at all is Reviewable too, and reviewed: nothing agreed.
    assert_eq!(
        hit_report(&ep, empty).await,
        (vec![triple(empty, "AgreedAnswerFound", "false"), triple(empty, "HitAgreementScore", "0")], vec![])
    );
    // Work in progress keeps an expired HIT Unassignable: not reviewed yet.
    assert_eq!(json_status(&ep, "GetHIT", "HITId", in_progress).await, "Unassignable");
    assert_eq!(hit_report(&ep, in_progress).await, (vec![], vec![]));
    // The last worker gives up: the HIT is Reviewable, and reviewed over what is in.
    assert_eq!(app.control("POST", &format!("/assignments/{p2}/return"), None).await.status, 200);
    let (results, actions) = hit_report(&ep, in_progress).await;
    assert_eq!(results.last(), Some(&triple(in_progress, "HitAgreementScore", "100")));
    assert!(results.contains(&triple(&p1, "WorkerAgreementScore", "100")), "{results:?}");
    assert_eq!(actions, vec![approved(&p1, "Approved")]);

    // Reopened by the requester and completed, the HIT is reviewed again over
    // its three assignments (the first two were approved already).
    let reopened =
        ep.json("UpdateExpirationForHIT", &json!({ "HITId": by_clock, "ExpireAt": 1_893_456_000 })).await.unwrap();
    assert_eq!(reopened.status, 200, "{}", reopened.body);
    assert_eq!(json_status(&ep, "GetHIT", "HITId", by_clock).await, "Assignable");
    let c3 = app.work("A1EXPIRETHREE", by_clock, &blue).await;
    let (results, actions) = hit_report(&ep, by_clock).await;
    assert_eq!(results[..10].to_vec(), expected_by_clock.0);
    assert_eq!(results.iter().filter(|r| r.1 == "HitAgreementScore").count(), 2, "{results:?}");
    assert!(results.contains(&triple(&c3, "PluralityAnswersCorrect", "1")), "{results:?}");
    assert_eq!(
        actions[2..].to_vec(),
        vec![approved(&c1, "Already approved"), approved(&c2, "Already approved"), approved(&c3, "Approved")]
    );
    // Expiring it again changes nothing: everything in was reviewed.
    app.call("ForceExpireHIT", &[("HITId", by_clock)]).await.ok();
    app.advance(60);
    let (again, _) = hit_report(&ep, by_clock).await;
    assert_eq!(again.len(), results.len());
});

/// `(Date, value)` of every DataPoint of a GetRequesterWorkerStatistic answer.
async fn worker_stat(app: &TestApp, worker: &str, name: &str, period: &str, count: &str) -> Vec<(String, String)> {
    let a = app
        .call(
            "GetRequesterWorkerStatistic",
            &[("Statistic", name), ("WorkerId", worker), ("TimePeriod", period), ("Count", count)],
        )
        .await
        .ok();
    a.body
        .split("<DataPoint>")
        .skip(1)
        .map(|p| {
            let date = crate::common::xml_text(p, "Date").unwrap();
            let value =
                crate::common::xml_text(p, "LongValue").or_else(|| crate::common::xml_text(p, "DoubleValue")).unwrap();
            (date, value)
        })
        .collect()
}

both_backends!(
    known_answer_and_plurality_worker_statistics_match_a_scripted_review_history,
    |app: TestApp| async move {
        const DAY0: &str = "2026-01-01T00:00:00Z";
        const DAY1: &str = "2026-01-02T00:00:00Z";
        let ep = Endpoint::for_app(&app);
        // Known answers: "known" is cat, "shape" is square. Plurality over colour
        // and shape, agreed above 50%.
        let body = json_create_hit(&[
            ("LifetimeInSeconds", json!(5 * 86_400)),
            (
                "AssignmentReviewPolicy",
                json_policy(KNOWN, &[("AnswerKey", vec![], vec![("known", vec!["cat"]), ("shape", vec!["square"])])]),
            ),
            (
                "HITReviewPolicy",
                json_policy(
                    PLURALITY,
                    &[("QuestionIds", vec!["color", "shape"], vec![]), value("QuestionAgreementThreshold", "50")],
                ),
            ),
        ]);
        // Day 0, 01:00: W1 gets both known answers right, W2 one of two.
        app.advance(3600);
        let hit = ep.json("CreateHIT", &body).await.unwrap().json()["HIT"]["HITId"].as_str().unwrap().to_owned();
        app.work("A1KNOWNONE", &hit, &answers("cat", "blue", "square")).await;
        app.work("A1KNOWNTWO", &hit, &answers("cat", "blue", "circle")).await;
        // Day 1, 01:00: W3 gets one of two right and completes the HIT. Blue and
        // square are agreed (2 of 3 each): W1 agrees on both, W2 and W3 on one.
        app.advance(86_400);
        app.work("A1KNOWNTHREE", &hit, &answers("dog", "red", "square")).await;

        let now = "2026-01-02T01:00:00Z";
        let life = |v: &str| vec![(now.to_owned(), v.to_owned())];
        let days =
            |day1: &str, day0: &str| vec![(DAY1.to_owned(), day1.to_owned()), (DAY0.to_owned(), day0.to_owned())];
        // Worker, statistic, LifeToDate, OneDay (Count 2: day 1, day 0).
        let expected: &[(&str, &str, &str, [&str; 2])] = &[
            ("A1KNOWNONE", "NumberKnownAnswersCorrect", "2", ["0", "2"]),
            ("A1KNOWNONE", "NumberKnownAnswersIncorrect", "0", ["0", "0"]),
            ("A1KNOWNONE", "NumberKnownAnswersEvaluated", "2", ["0", "2"]),
            ("A1KNOWNONE", "PercentKnownAnswersCorrect", "1", ["0", "1"]),
            ("A1KNOWNONE", "NumberPluralityAnswersCorrect", "2", ["2", "0"]),
            ("A1KNOWNONE", "NumberPluralityAnswersIncorrect", "0", ["0", "0"]),
            ("A1KNOWNONE", "NumberPluralityAnswersEvaluated", "2", ["2", "0"]),
            ("A1KNOWNONE", "PercentPluralityAnswersCorrect", "1", ["1", "0"]),
            ("A1KNOWNTWO", "NumberKnownAnswersCorrect", "1", ["0", "1"]),
            ("A1KNOWNTWO", "NumberKnownAnswersIncorrect", "1", ["0", "1"]),
            ("A1KNOWNTWO", "PercentKnownAnswersCorrect", "0.5", ["0", "0.5"]),
            ("A1KNOWNTWO", "NumberPluralityAnswersCorrect", "1", ["1", "0"]),
            ("A1KNOWNTWO", "NumberPluralityAnswersIncorrect", "1", ["1", "0"]),
            ("A1KNOWNTWO", "PercentPluralityAnswersCorrect", "0.5", ["0.5", "0"]),
            ("A1KNOWNTHREE", "NumberKnownAnswersCorrect", "1", ["1", "0"]),
            ("A1KNOWNTHREE", "NumberKnownAnswersEvaluated", "2", ["2", "0"]),
            ("A1KNOWNTHREE", "NumberPluralityAnswersIncorrect", "1", ["1", "0"]),
            ("A1KNOWNTHREE", "NumberPluralityAnswersEvaluated", "2", ["2", "0"]),
            ("A1NEVERHERE", "NumberKnownAnswersEvaluated", "0", ["0", "0"]),
            ("A1NEVERHERE", "PercentPluralityAnswersCorrect", "0", ["0", "0"]),
        ];
        for (worker, name, to_date, [day1, day0]) in expected {
            assert_eq!(worker_stat(&app, worker, name, "LifeToDate", "1").await, life(to_date), "{worker} {name}");
            assert_eq!(worker_stat(&app, worker, name, "OneDay", "2").await, days(day1, day0), "{worker} {name}");
            assert_eq!(worker_stat(&app, worker, name, "SevenDays", "1").await, life(to_date), "{worker} {name}");
        }
        // Another requester's view of the same worker: none of it is theirs.
        let other = app
            .call_as(
                OTHER_KEY,
                OTHER_SECRET,
                "GetRequesterWorkerStatistic",
                &[
                    ("Statistic", "NumberKnownAnswersEvaluated"),
                    ("WorkerId", "A1KNOWNONE"),
                    ("TimePeriod", "LifeToDate"),
                ],
            )
            .await
            .ok();
        assert!(other.body.contains("<LongValue>0</LongValue>"), "{}", other.body);

        // A week later (day 8, 01:00) it has all left the seven-day window (which
        // starts just after day 1, 01:00), and not the thirty-day one.
        app.advance(7 * 86_400);
        let later = |v: &str| vec![("2026-01-09T01:00:00Z".to_owned(), v.to_owned())];
        for (worker, name, to_date, _) in expected {
            // Counts and percentages alike: nothing evaluated is 0.
            assert_eq!(worker_stat(&app, worker, name, "SevenDays", "1").await, later("0"), "{worker} {name}");
            assert_eq!(worker_stat(&app, worker, name, "ThirtyDays", "1").await, later(to_date), "{worker} {name}");
            assert_eq!(worker_stat(&app, worker, name, "LifeToDate", "1").await, later(to_date), "{worker} {name}");
        }
    }
);

both_backends!(many_hits_expiring_at_once_are_all_reviewed_by_the_next_read, |app: TestApp| async move {
    let ep = Endpoint::for_app(&app);
    let body = json_create_hit(&[
        ("MaxAssignments", json!(2)),
        ("LifetimeInSeconds", json!(60)),
        ("HITReviewPolicy", color_plurality()),
    ]);
    let mut work = Vec::new();
    for _ in 0..25 {
        let hit = ep.json("CreateHIT", &body).await.unwrap().json()["HIT"]["HITId"].as_str().unwrap().to_owned();
        let id = app.work("A1MANYEXPIRE", &hit, &answers("cat", "blue", "square")).await;
        work.push((hit, id));
    }
    app.advance(61);
    // One read settles them all, one review each (each approving inside the
    // settle that started it, none inside another's approval).
    let balance = app.call("GetAccountBalance", &[]).await.ok();
    // 25 rewards of 0.50 with the 20% fee, paid by the reviews: 10000.00 - 15.00.
    assert_eq!(balance.text("Amount").as_deref(), Some("9985.00"));
    for (hit, id) in &work {
        let (results, actions) = hit_report(&ep, hit).await;
        assert_eq!(results.iter().filter(|r| r.1 == "HitAgreementScore").count(), 1, "{hit}: {results:?}");
        assert_eq!(actions, vec![approved(id, "Approved")], "{hit}");
    }
});
