"""A notification consumer against mturk-local and moto (docs/notifications.md).

Start moto (`moto_server -p 5000`) and mturk-local with
MTURK_LOCAL_NOTIFICATIONS__SQS_ENDPOINT=http://127.0.0.1:5000, then run this.
tests/clients/notifications runs it against servers of its own.
"""

import json
import os
import urllib.request

import boto3

MTURK = os.environ.get("MTURK_ENDPOINT", "http://127.0.0.1:8099")
SQS = os.environ.get("SQS_ENDPOINT", "http://127.0.0.1:5000")

mturk = boto3.client("mturk", endpoint_url=MTURK, region_name="us-east-1",
                     aws_access_key_id="AKIAMTURKLOCALDEV000",
                     aws_secret_access_key="mturk-local-dev-secret-do-not-use-in-production")
sqs = boto3.client("sqs", endpoint_url=SQS, region_name="us-east-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
queue = sqs.create_queue(QueueName="mturk-events")["QueueUrl"]

hit_type = mturk.create_hit_type(Title="Label a bird", Description="One word", Reward="0.10",
                                 AssignmentDurationInSeconds=600)["HITTypeId"]
mturk.update_notification_settings(HITTypeId=hit_type, Active=True, Notification={
    "Destination": "https://sqs.us-east-1.amazonaws.com/123456789012/mturk-events",
    "Transport": "SQS", "Version": "2014-08-15", "EventTypes": ["AssignmentSubmitted"]})
hit = mturk.create_hit_with_hit_type(HITTypeId=hit_type, MaxAssignments=1, LifetimeInSeconds=3600, Question=(
    '<ExternalQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/'
    'ExternalQuestion.xsd"><ExternalURL>https://example.org/task</ExternalURL><FrameHeight>600</FrameHeight>'
    "</ExternalQuestion>"))["HIT"]["HITId"]


def local(path, body):  # a simulated worker, through the control plane
    request = urllib.request.Request(MTURK + "/_local" + path, json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(request))


assignment = local("/workers/A1EXAMPLEWORKER/assignments", {"HITId": hit})["AssignmentId"]
local(f"/assignments/{assignment}/submit", {"Answer": (
    '<QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/'
    'QuestionFormAnswers.xsd"><Answer><QuestionIdentifier>q</QuestionIdentifier><FreeText>robin</FreeText>'
    "</Answer></QuestionFormAnswers>")})

seen = set()  # delivery is at least once: drop repeats by EventDocId
while not seen:
    for message in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5).get("Messages", []):
        doc = json.loads(message["Body"])
        if doc["EventDocId"] not in seen:
            seen.add(doc["EventDocId"])
            for event in doc["Events"]:
                print(event["EventType"], event["HITId"] == hit, event["AssignmentId"] == assignment)
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
