"""Review policies through boto3 (the 2017-01-17 JSON API): CreateHIT with
ScoreMyKnownAnswers/2011-09-01 and SimplePlurality/2011-09-01, three workers
played through the /_local control plane, and ListReviewPolicyResultsForHIT
read as botocore's model parses it. The requester is run.sh's third one
(`hit_mturk`), which pays for approvals. Worker ids are fresh each run.
"""

from datetime import datetime

from mturk_local_testing import control_work, external_question, new_worker_id


def param(key, *values):
    return {"Key": key, "Values": list(values)}


def test_create_hit_with_both_policies_and_list_what_they_did(endpoint, hit_mturk):
    known = {
        "PolicyName": "ScoreMyKnownAnswers/2011-09-01",
        "Parameters": [
            {"Key": "AnswerKey", "MapEntries": [{"Key": "known", "Values": ["cat"]}]},
            param("RejectIfKnownAnswerScoreIsLessThan", "100"),
            param("RejectReason", "The known answer was wrong."),
        ],
    }
    plurality = {
        "PolicyName": "SimplePlurality/2011-09-01",
        "Parameters": [
            param("QuestionIds", "color", "shape"),
            param("QuestionAgreementThreshold", "50"),
            param("DisregardAssignmentIfRejected", "true"),
            param("ApproveIfWorkerAgreementScoreIsAtLeast", "100"),
            param("ExtendIfHITAgreementScoreIsLessThan", "100"),
            param("ExtendMaximumAssignments", "4"),
            param("ExtendMinimumTimeInSeconds", "3600"),
        ],
    }
    hit = hit_mturk.create_hit(
        Title="Label a picture", Description="Three questions", Reward="0.10", MaxAssignments=3,
        LifetimeInSeconds=900, AssignmentDurationInSeconds=600,
        Question=external_question("https://example.org/label"),
        AssignmentReviewPolicy=known, HITReviewPolicy=plurality,
    )["HIT"]
    hit_id = hit["HITId"]
    # GetHIT's HIT has no policies in the model: nothing extra appears.
    assert "AssignmentReviewPolicy" not in hit_mturk.get_hit(HITId=hit_id)["HIT"]

    right_1 = control_work(endpoint, new_worker_id(), hit_id, {"known": "cat", "color": "blue", "shape": "square"})
    right_2 = control_work(endpoint, new_worker_id(), hit_id, {"known": "cat", "color": "blue", "shape": "circle"})
    wrong = control_work(endpoint, new_worker_id(), hit_id, {"known": "dog", "color": "red", "shape": "square"})

    listed = hit_mturk.list_review_policy_results_for_hit(HITId=hit_id, MaxResults=100)
    assert set(listed) == {"HITId", "AssignmentReviewPolicy", "HITReviewPolicy", "AssignmentReviewReport",
                           "HITReviewReport", "NextToken", "ResponseMetadata"}
    assert listed["HITId"] == hit_id
    assert listed["AssignmentReviewPolicy"] == {"PolicyName": "ScoreMyKnownAnswers/2011-09-01"}
    assert listed["HITReviewPolicy"] == {"PolicyName": "SimplePlurality/2011-09-01"}

    scores = {(r["SubjectId"], r["Key"]): r["Value"] for r in listed["AssignmentReviewReport"]["ReviewResults"]}
    assert scores == {(right_1, "KnownAnswerCorrect"): "1", (right_1, "KnownAnswerScore"): "100",
                      (right_2, "KnownAnswerCorrect"): "1", (right_2, "KnownAnswerScore"): "100",
                      (wrong, "KnownAnswerCorrect"): "0", (wrong, "KnownAnswerScore"): "0"}

    def actions(report):
        out = []
        for a in report["ReviewActions"]:
            assert isinstance(a["CompleteTime"], datetime)
            assert len(a["ActionId"]) == 30
            out.append((a["ActionName"], a["TargetId"], a["TargetType"], a["Status"]))
        return out

    assert actions(listed["AssignmentReviewReport"]) == [("reject", wrong, "Assignment", "Succeeded")]
    assert actions(listed["HITReviewReport"]) == [
        ("approve", right_1, "Assignment", "Succeeded"),
        ("approve", right_2, "Assignment", "Succeeded"),
        ("extend", hit_id, "HIT", "Succeeded"),
    ]
    hit_results = {(r["SubjectType"], r.get("QuestionId"), r["Key"]): r["Value"]
                   for r in listed["HITReviewReport"]["ReviewResults"] if r["SubjectId"] == hit_id}
    assert hit_results == {("HIT", "color", "AgreedAnswerFound"): "true", ("HIT", "color", "AgreedAnswer"): "blue",
                           ("HIT", "color", "AnswerAgreementScore"): "100",
                           ("HIT", "shape", "AgreedAnswerFound"): "false", ("HIT", None, "HitAgreementScore"): "50"}

    statuses = {a["AssignmentId"]: a["AssignmentStatus"]
                for a in hit_mturk.list_assignments_for_hit(HITId=hit_id)["Assignments"]}
    assert statuses == {right_1: "Approved", right_2: "Approved", wrong: "Rejected"}
    assert hit_mturk.get_hit(HITId=hit_id)["HIT"]["MaxAssignments"] == 4

    # The token of the last page leads to an empty one, which ends the walk.
    empty = hit_mturk.list_review_policy_results_for_hit(HITId=hit_id, MaxResults=100,
                                                         NextToken=listed["NextToken"])
    assert "NextToken" not in empty
    assert empty["HITReviewReport"] == {"ReviewResults": [], "ReviewActions": []}
