"""The legacy REST notification transport, end to end with boto 2: boto 2
sets the HIT type's notification (SetHITTypeNotification, REST) and sends a
test event; a small HTTP receiver here gets mturk-local's signed
`method=Notify` GET requests, and boto 2's own
`boto.mturk.notification.NotificationMessage` parses and verifies them with
the requester's secret.

boto 2 was written for Python 2: its `verify` concatenates str constants
with the message's Timestamp and feeds them to hmac, which Python 3 only
takes as bytes. The test runs boto 2's code as it is, on bytes: the two class
constants and the message's values are given as bytes, nothing else changes.
"""

import datetime
import http.server
import threading
import time
import urllib.parse

import pytest
from boto.mturk.notification import NotificationMessage
from boto.mturk.question import ExternalQuestion

from mturk_local_testing import unique_name


class _Receiver(http.server.BaseHTTPRequestHandler):
    received = []

    def do_GET(self):  # noqa: N802 (http.server's hook name)
        query = urllib.parse.urlsplit(self.path).query
        _Receiver.received.append(dict(urllib.parse.parse_qsl(query, keep_blank_values=True)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    _Receiver.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/mt/notifications.cgi"
    server.shutdown()


def boto2_verifies(params: dict, secret: str, monkeypatch) -> NotificationMessage:
    monkeypatch.setattr(NotificationMessage, "SERVICE_NAME", b"AWSMechanicalTurkRequesterNotification")
    monkeypatch.setattr(NotificationMessage, "OPERATION_NAME", b"Notify")
    message = NotificationMessage({k: v.encode() if k in ("method", "Signature", "Timestamp") else v
                                   for k, v in params.items()})
    assert message.verify(secret.encode()), params
    assert not message.verify(b"not-the-secret")
    return message


def wait_for(predicate, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("nothing arrived in time")


def test_boto2_rest_notifications_are_signed_for_boto2(hit_mturk, hit_credentials, receiver, monkeypatch):
    hit_type = hit_mturk.register_hit_type(unique_name("notified"), "d", 0.05, 600)[0].HITTypeId
    hit_mturk.set_rest_notification(hit_type, receiver, event_types=["HITCreated", "AssignmentAccepted"])
    hit = hit_mturk.create_hit(
        hit_type=hit_type,
        question=ExternalQuestion("https://example.org/task", 600),
        lifetime=datetime.timedelta(hours=1),
        max_assignments=1,
    )[0].HITId
    hit_mturk.send_test_event_notification(hit_type, receiver, event_types=["HITCreated"])

    def arrived():
        kinds = {r.get("Event.1.EventType") for r in _Receiver.received}
        return {"HITCreated", "Ping"} <= kinds and list(_Receiver.received)

    received = wait_for(arrived)
    by_type = {r["Event.1.EventType"]: r for r in received}
    created = boto2_verifies(by_type["HITCreated"], hit_credentials.secret_access_key, monkeypatch)
    assert created.version == "2006-05-05"
    assert len(created.events) == 1
    event = created.events[0]
    assert (event.event_type, event.hit_id, event.hit_type) == ("HITCreated", hit, hit_type)
    ping = boto2_verifies(by_type["Ping"], hit_credentials.secret_access_key, monkeypatch)
    assert ping.events[0].event_type == "Ping"
