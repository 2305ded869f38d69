"""HIT event notifications delivered to real servers (issue 12): SQS and SNS
on moto, e-mail on aiosmtpd, from a mturk-local started for each test; and
the outbox surviving kill -9.

The requester side is boto3, as an application would use it; the worker side
is the /_local control plane.
"""

import json
import re
import time
import uuid

import boto3
import pytest
from botocore.config import Config

from mturk_local_testing import DEV_ACCESS_KEY_ID, Endpoint, control, control_work, external_question

DEV_SECRET = "mturk-local-dev-secret-do-not-use-in-production"
ANSWERS = {"q": "done"}


def aws(service: str, url: str):
    return boto3.client(
        service, endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}),
    )


def mturk(server):
    return boto3.client(
        "mturk", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id=DEV_ACCESS_KEY_ID, aws_secret_access_key=DEV_SECRET,
        config=Config(retries={"max_attempts": 1}),
    )


def _Endpoint(url: str) -> Endpoint:
    host, port = url.split("://", 1)[1].split(":")
    return Endpoint(url=url, scheme="http", host=host, port=int(port))


def hit_type(client, title: str) -> str:
    return client.create_hit_type(
        Title=title, Description="d", Reward="0.10", AssignmentDurationInSeconds=600,
        AutoApprovalDelayInSeconds=3600,
    )["HITTypeId"]


def new_hit(client, type_id: str) -> str:
    return client.create_hit_with_hit_type(
        HITTypeId=type_id, MaxAssignments=1, LifetimeInSeconds=3600,
        Question=external_question("https://example.org/task"),
    )["HIT"]["HITId"]


def read_queue(sqs, queue_url: str, wanted: int, timeout: float = 30.0) -> list:
    bodies = []
    deadline = time.time() + timeout
    while len(bodies) < wanted and time.time() < deadline:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for m in got.get("Messages", []):
            bodies.append(m["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
    return bodies


def outbox(server) -> list:
    return control(_Endpoint(server.endpoint), "GET", "/events")["Events"]


def test_every_event_of_a_hit_reaches_an_sqs_queue(start_server, moto_url):
    server = start_server()
    sqs = aws("sqs", moto_url)
    name = f"mturk-{uuid.uuid4().hex[:8]}"
    sqs.create_queue(QueueName=name)
    # The AWS-shaped URL an application configures; mturk-local delivers it to moto, keeping
    # the account and the queue's name.
    queue_url = f"https://sqs.us-east-1.amazonaws.com/123456789012/{name}"
    client = mturk(server)
    type_id = hit_type(client, "sqs events")
    client.update_notification_settings(
        HITTypeId=type_id,
        Notification={
            "Destination": queue_url, "Transport": "SQS", "Version": "2014-08-15",
            "EventTypes": ["HITCreated", "AssignmentAccepted", "AssignmentSubmitted", "AssignmentApproved",
                           "HITReviewable"],
        },
        Active=True,
    )
    hit_id = new_hit(client, type_id)
    assignment = control_work(_Endpoint(server.endpoint), "A1SQSWORKER", hit_id, ANSWERS)
    client.approve_assignment(AssignmentId=assignment)

    moto_queue = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    docs = [json.loads(b) for b in read_queue(sqs, moto_queue, 5)]
    kinds = [d["Events"][0]["EventType"] for d in docs]
    assert sorted(kinds) == sorted(
        ["HITCreated", "AssignmentAccepted", "AssignmentSubmitted", "HITReviewable", "AssignmentApproved"]
    ), docs
    for d in docs:
        # The documented members of the event document.
        assert set(d) == {"EventDocId", "SourceAccount", "CustomerId", "EventDocVersion", "Events"}
        assert d["CustomerId"] == DEV_ACCESS_KEY_ID
        assert d["SourceAccount"] == "123456789012"
        assert d["EventDocVersion"] == "2014-08-15"
        event = d["Events"][0]
        assert event["HITId"] == hit_id and event["HITTypeId"] == type_id
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["EventTimestamp"])
        if event["EventType"].startswith("Assignment"):
            assert event["AssignmentId"] == assignment
    # The outbox agrees: each event once, delivered.
    ids = {e["EventDocId"]: e for e in outbox(server)}
    assert {d["EventDocId"] for d in docs} == set(ids)
    assert all(e["Deliveries"][0]["Status"] == "Delivered" for e in ids.values())


def test_an_sns_topic_delivers_to_a_subscribed_queue(start_server, moto_url):
    server = start_server()
    sns, sqs = aws("sns", moto_url), aws("sqs", moto_url)
    topic = sns.create_topic(Name=f"mturk-{uuid.uuid4().hex[:8]}")["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"sub-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    client = mturk(server)
    type_id = hit_type(client, "sns events")
    client.update_notification_settings(
        HITTypeId=type_id,
        Notification={"Destination": topic, "Transport": "SNS", "Version": "2014-08-15", "EventTypes": ["HITCreated"]},
        Active=True,
    )
    hit_id = new_hit(client, type_id)
    client.send_test_event_notification(
        Notification={"Destination": topic, "Transport": "SNS", "Version": "2014-08-15", "EventTypes": ["HITCreated"]},
        TestEventType="Ping",
    )
    bodies = read_queue(sqs, queue_url, 2)
    # SNS wraps what was published in its own envelope; the MTurk document is its Message.
    docs = [json.loads(json.loads(b)["Message"]) for b in bodies]
    by_type = {d["Events"][0]["EventType"]: d for d in docs}
    assert set(by_type) == {"HITCreated", "Ping"}, docs
    assert by_type["HITCreated"]["Events"][0]["HITId"] == hit_id
    assert by_type["Ping"]["CustomerId"] == DEV_ACCESS_KEY_ID


def test_email_notifications_reach_the_smtp_server(start_server, smtp):
    mailbox, _ = smtp
    server = start_server()
    client = mturk(server)
    type_id = hit_type(client, "mail events")
    address = f"requester-{uuid.uuid4().hex[:8]}@example.com"
    client.update_notification_settings(
        HITTypeId=type_id,
        Notification={"Destination": address, "Transport": "Email", "Version": "2006-05-05",
                      "EventTypes": ["HITCreated"]},
        Active=True,
    )
    hit_id = new_hit(client, type_id)
    deadline = time.time() + 30
    mine = []
    while not mine and time.time() < deadline:
        mine = [text for rcpts, text in mailbox.messages if address in rcpts]
        time.sleep(0.1)
    assert mine, "no mail arrived"
    # The key/value lines boto 2's NotificationEmail parses, one block per event.
    fields = dict(re.findall(r"^\s*([A-Za-z ]+[A-Za-z])\s*:\s*(\S+)\s*$", mine[0], re.M))
    assert fields["Event Type"] == "HITCreated"
    assert fields["HIT ID"] == hit_id
    assert fields["HIT Type ID"] == type_id
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", fields["Event Time"])


def test_events_left_undelivered_by_kill_9_are_delivered_after_a_restart(start_server, moto_url):
    # First with a queue server that is not there: every delivery fails and waits to be retried.
    server = start_server(sqs_endpoint="http://127.0.0.1:9")
    sqs = aws("sqs", moto_url)
    name = f"crash-{uuid.uuid4().hex[:8]}"
    sqs.create_queue(QueueName=name)
    client = mturk(server)
    type_id = hit_type(client, "crash")
    client.update_notification_settings(
        HITTypeId=type_id,
        Notification={"Destination": f"https://sqs.us-east-1.amazonaws.com/123456789012/{name}",
                      "Transport": "SQS", "Version": "2014-08-15", "EventTypes": ["HITCreated"]},
        Active=True,
    )
    hits = [new_hit(client, type_id) for _ in range(5)]
    before = outbox(server)
    assert len(before) == 5
    assert all(e["Deliveries"][0]["Status"] == "Pending" for e in before)
    server.kill()

    # The same store, now with the queue server: nothing is lost.
    server.start(sqs_endpoint=moto_url)
    moto_queue = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    docs = [json.loads(b) for b in read_queue(sqs, moto_queue, 5)]
    assert sorted(d["Events"][0]["HITId"] for d in docs) == sorted(hits)
    # Duplicates, if any, would carry the same EventDocId as the outbox's.
    assert {d["EventDocId"] for d in docs} == {e["EventDocId"] for e in before}
    deadline = time.time() + 10
    while time.time() < deadline:
        after = outbox(server)
        if all(e["Deliveries"][0]["Status"] == "Delivered" for e in after):
            break
        time.sleep(0.1)
    assert all(e["Deliveries"][0]["Status"] == "Delivered" for e in after), after


def test_the_documented_consumer_example_reads_its_event(start_server, moto_url):
    import os
    import subprocess
    import sys
    from pathlib import Path

    server = start_server()
    example = Path(__file__).resolve().parents[3] / "docs" / "examples" / "notifications_consumer.py"
    env = dict(os.environ, MTURK_ENDPOINT=server.endpoint, SQS_ENDPOINT=moto_url)
    done = subprocess.run([sys.executable, str(example)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["AssignmentSubmitted True True"], done.stdout
