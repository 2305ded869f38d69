#!/usr/bin/env python3
"""Snapshot take and restore times (issue 15): `python3 benches/snapshots.py [options]`.

Starts the emulator binary on a free port of 127.0.0.1, on a fresh SQLite file
(default) or on the PostgreSQL database given with --postgres (which it resets
first: everything in it but its snapshots is erased). Through the API and the
control plane it loads HITS HITs of 3 assignments each, every HIT with one
submitted and one accepted assignment (and every other HIT's submitted one
approved), plus 10 qualification types held by 20 workers each. Then, RUNS
times: it takes snapshot "bench" (replacing it), changes things (10 new HITs,
5 approvals, a revocation, the clock moved an hour), and restores "bench",
checking that the changes are gone. It prints the median, minimum and maximum
of the take and restore times, measured by the client around each HTTP call
(so they include one loopback round trip), and deletes the snapshot.

Loopback only; bounded (at most 5,000 HITs and 50 runs); it stops the server
itself. Results: BENCHMARKS.md, "Snapshots".
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

from bench_support import free_port, stop_server, wait_for_port

KEY = "AKIAMTURKLOCALDEV000"
SECRET = b"mturk-local-dev-secret-do-not-use-in-production"
QUESTION = (
    '<ExternalQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/'
    'ExternalQuestion.xsd"><ExternalURL>https://example.org/task</ExternalURL><FrameHeight>600</FrameHeight>'
    "</ExternalQuestion>"
)
ANSWER = (
    '<QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/'
    'QuestionFormAnswers.xsd"><Answer><QuestionIdentifier>q</QuestionIdentifier><FreeText>done</FreeText>'
    "</Answer></QuestionFormAnswers>"
)


class Client:
    """One keep-alive connection: signed legacy calls and control-plane calls."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method, path, body=None, content_type=None):
        headers = {"Content-Type": content_type} if content_type else {}
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        return response.status, response.read().decode()

    def legacy(self, operation, **params):
        status, body = self.legacy_raw(operation, **params)
        if status != 200 or "<IsValid>True</IsValid>" not in body:
            sys.exit(f"{operation} failed: {body[:500]}")
        return body

    def legacy_raw(self, operation, **params):
        timestamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        digest = hmac.new(SECRET, f"AWSMechanicalTurkRequester{operation}{timestamp}".encode(), hashlib.sha1)
        form = {
            "Service": "AWSMechanicalTurkRequester",
            "AWSAccessKeyId": KEY,
            "Operation": operation,
            "Timestamp": timestamp,
            "Signature": base64.b64encode(digest.digest()).decode(),
            **params,
        }
        return self.request("POST", "/", urllib.parse.urlencode(form), "application/x-www-form-urlencoded")

    def control(self, method, path, body=None):
        data = None if body is None else json.dumps(body)
        status, text = self.request(method, "/_local" + path, data, "application/json")
        if status != 200:
            sys.exit(f"{method} /_local{path} failed ({status}): {text[:500]}")
        return json.loads(text)


def element(xml, name):
    found = re.search(f"<{name}>([^<]*)</{name}>", xml)
    if not found:
        sys.exit(f"no {name} in {xml[:300]}")
    return found.group(1)


def create_hit(client, title):
    return element(
        client.legacy(
            "CreateHIT",
            Title=title,
            Description="a snapshot benchmark HIT",
            **{"Reward.1.Amount": "0.01", "Reward.1.CurrencyCode": "USD"},
            AssignmentDurationInSeconds="86400",
            LifetimeInSeconds="604800",
            AutoApprovalDelayInSeconds="2592000",
            MaxAssignments="3",
            Question=QUESTION,
        ),
        "HITId",
    )


def load(client, hits):
    """The state to snapshot; returns (a type id, a worker holding it, the submitted assignment ids)."""
    types = []
    for t in range(10):
        qt = element(
            client.legacy(
                "CreateQualificationType",
                Name=f"bench type {t}",
                Description="d",
                QualificationTypeStatus="Active",
            ),
            "QualificationTypeId",
        )
        types.append(qt)
        for w in range(20):
            client.legacy("AssignQualification", QualificationTypeId=qt, WorkerId=f"A{w:03d}BENCH", SendNotification="false")
    submitted = []
    for i in range(hits):
        hit = create_hit(client, f"bench HIT {i}")
        first = client.control("POST", "/workers/A1BENCHWORKER/assignments", {"HITId": hit})["AssignmentId"]
        client.control("POST", f"/assignments/{first}/submit", {"Answer": ANSWER})
        client.control("POST", "/workers/A2BENCHWORKER/assignments", {"HITId": hit})
        if i % 2 == 0:
            client.legacy("ApproveAssignment", AssignmentId=first)
        else:
            submitted.append(first)
    return types[0], "A000BENCH", submitted


def summary(times):
    ms = [t * 1000 for t in times]
    return f"median {statistics.median(ms):6.1f} ms (min {min(ms):6.1f}, max {max(ms):6.1f}, {len(ms)} runs)"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--server", default=os.path.join(here, "..", "target", "release", "mturk-local"), help="the binary"
    )
    parser.add_argument("--postgres", metavar="URL", help="run on this PostgreSQL database (it is reset first)")
    parser.add_argument("--hits", type=int, default=1000, help="HITs to load, at most 5000 (default 1000)")
    parser.add_argument("--runs", type=int, default=9, help="take/change/restore rounds, at most 50 (default 9)")
    args = parser.parse_args()
    if not 1 <= args.hits <= 5000 or not 1 <= args.runs <= 50:
        sys.exit("need 1..5000 HITs and 1..50 runs")

    port = free_port()
    workdir = tempfile.TemporaryDirectory()
    database = args.postgres or "sqlite:" + os.path.join(workdir.name, "bench.db")
    env = dict(os.environ, MTURK_LOCAL_SERVER__LISTEN=f"127.0.0.1:{port}", RUST_LOG="warn")
    log = tempfile.TemporaryFile()
    server = subprocess.Popen([args.server, "--database", database], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, server, time.monotonic() + 30)
        client = Client(port)
        client.control("POST", "/reset")
        started = time.monotonic()
        qt, worker, submitted = load(client, args.hits)
        rows = client.control("POST", "/snapshots", {"Name": "bench"})["Snapshot"]["Rows"]
        backend = "PostgreSQL" if args.postgres else "SQLite"
        print(
            f"{backend}: loaded {args.hits} HITs with {2 * args.hits} assignments in {time.monotonic() - started:.1f} s;"
            f" the snapshot holds {rows} rows"
        )
        takes, restores = [], []
        for run in range(args.runs):
            t0 = time.perf_counter()
            client.control("POST", "/snapshots", {"Name": "bench"})
            takes.append(time.perf_counter() - t0)
            # Change things the restore must undo.
            extra = [create_hit(client, f"after the snapshot {run}.{i}") for i in range(10)]
            for assignment in submitted[:5]:
                client.legacy("ApproveAssignment", AssignmentId=assignment)
            client.legacy("RevokeQualification", QualificationTypeId=qt, SubjectId=worker)
            client.control("POST", "/clock", {"AdvanceSeconds": 3600})
            t0 = time.perf_counter()
            restored = client.control("POST", "/snapshots/bench/restore")
            restores.append(time.perf_counter() - t0)
            # The changes are gone.
            again = client.legacy("GetAssignment", AssignmentId=submitted[0])
            if element(again, "AssignmentStatus") != "Submitted":
                sys.exit("the restore did not bring the submitted assignment back")
            if "HITDoesNotExist" not in client.legacy_raw("GetHIT", HITId=extra[0])[1]:
                sys.exit("a HIT created after the snapshot survived the restore")
            client.legacy("GetQualificationScore", QualificationTypeId=qt, SubjectId=worker)
            if restored["Snapshot"]["Rows"] != rows:
                sys.exit("the snapshot changed size")
        print(f"  take:    {summary(takes)}")
        print(f"  restore: {summary(restores)}")
        client.control("DELETE", "/snapshots/bench")
    finally:
        stop_server(server, log)
        workdir.cleanup()


if __name__ == "__main__":
    main()
