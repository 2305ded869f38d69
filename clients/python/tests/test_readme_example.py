"""The example of README.md's "The pytest plugin" (tests/clients/docs checks the two are the same)."""

from mypy_boto3_mturk import MTurkClient

from pytest_mturk_local import MturkLocal


def test_a_revoked_worker_is_told_why(mturk_local: MturkLocal, mturk_client: MTurkClient) -> None:
    qt = mturk_client.create_qualification_type(
        Name="Careful annotator",
        Description="Passed our screening",
        QualificationTypeStatus="Active",
        AutoGranted=True,
    )["QualificationType"]["QualificationTypeId"]
    assert mturk_local.workers.request_qualification("A1WORKER", qt)["Status"] == "Granted"

    mturk_client.disassociate_qualification_from_worker(
        QualificationTypeId=qt, WorkerId="A1WORKER", Reason="Too many errors"
    )

    notice = mturk_local.workers.notifications("A1WORKER")[-1]
    assert (notice["Kind"], notice["Text"]) == ("QualificationRevoked", "Too many errors")
