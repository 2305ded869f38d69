#!/usr/bin/env python3
"""Listing pages at any depth (issue 16): `python3 benches/listings.py [options]`.

Needs boto3 (`pip install boto3`, or the virtualenv tests/clients/run.sh makes).
On fresh SQLite files (default), or on fresh PostgreSQL databases made beside the
one --postgres names (and dropped after), it makes two stores: a small one, where
boto3 created 200 HITs (one with a submitted assignment), and a deep one, a copy
of it where SQL then copied one HIT until the requester has --hits HITs (100,000
by default) and the assignment until its HIT has --assignments (10,000). With a
server on each (free ports of 127.0.0.1), it walks both listings of the deep one
whole with MaxResults=100, timing every page, then times the first page of
`ListHITs` on each store and the first and last pages of both deep listings,
--repeat times each, in turn, so that the machine's noise falls on all alike.

It prints the medians and the issue's ratios: the first page with --hits HITs
against the first with 200 (target at most 1.5), and the last page against the
first (target at most 1.5), for ListHITs and ListAssignmentsForHIT. Times are
measured by the client around each call, so they include boto3's own work and
one loopback round trip. Results: BENCHMARKS.md, "Listings at any depth".
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from bench_support import free_port, stop_server, wait_for_port

try:
    import boto3
    from botocore.config import Config
except ImportError:
    sys.exit("this benchmark needs boto3: pip install boto3 (or use the tests/clients virtualenv)")

KEY = "AKIAMTURKLOCALDEV000"
SECRET = "mturk-local-dev-secret-do-not-use-in-production"
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


class Database:
    """Where a server keeps its state, and SQL run on it while no server is running."""

    def __init__(self, postgres_admin_url, folder, name):
        self.admin = postgres_admin_url
        if postgres_admin_url:
            self.name = f"mturk_local_listings_{name}_{os.getpid()}"
            parts = urllib.parse.urlsplit(postgres_admin_url)
            self.url = urllib.parse.urlunsplit(parts._replace(path="/" + self.name))
        else:
            self.path = os.path.join(folder, f"{name}.db")
            self.url = "sqlite:" + self.path

    def create(self):
        if self.admin:
            self.psql(self.admin, f"CREATE DATABASE {self.name}")

    def copy_to(self, other):
        """Makes `other` a copy of this database."""
        if self.admin:
            self.psql(self.admin, f"CREATE DATABASE {other.name} TEMPLATE {self.name}")
        else:
            import sqlite3

            with sqlite3.connect(self.path) as src, sqlite3.connect(other.path) as dst:
                src.backup(dst)

    @staticmethod
    def psql(url, sql):
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True, stdout=subprocess.DEVNULL)

    def execute(self, sql):
        if self.admin:
            self.psql(self.url, sql)
        else:
            import sqlite3

            with sqlite3.connect(self.path) as db:
                db.execute("PRAGMA foreign_keys = ON")
                db.execute(sql)

    def drop(self):
        if self.admin:
            self.psql(self.admin, f"DROP DATABASE IF EXISTS {self.name}")


class Server:
    """The emulator on a free port of 127.0.0.1, on `db`, with a boto3 client."""

    def __init__(self, binary, db, log):
        self.port = free_port()
        self.log = log
        env = dict(os.environ, MTURK_LOCAL_SERVER__LISTEN=f"127.0.0.1:{self.port}", RUST_LOG="warn")
        self.process = subprocess.Popen([binary, "--database", db.url], stdout=log, stderr=subprocess.STDOUT, env=env)
        wait_for_port(self.port, self.process, time.monotonic() + 30)
        self.mturk = boto3.client(
            "mturk",
            endpoint_url=f"http://127.0.0.1:{self.port}",
            region_name="us-east-1",
            aws_access_key_id=KEY,
            aws_secret_access_key=SECRET,
            config=Config(retries={"total_max_attempts": 1}),
        )

    def control(self, path, body):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/_local{path}", json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request) as answer:
            return json.load(answer)

    def stop(self):
        stop_server(self.process, self.log)


def copies(table, columns, template_id, count, replaced):
    """SQL that inserts `count` copies of row `template_id` of `table`, with the columns of `replaced`
    computed from the copy's number `i` (1..count) and the template row `t`; the same text runs on
    SQLite and PostgreSQL."""
    exprs = [replaced.get(c, f"t.{c}") for c in columns]
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {int(count)}) "
        f"SELECT {', '.join(exprs)} FROM n, {table} t WHERE t.id = '{template_id}'"
    )


HIT_COLUMNS = [
    "id", "hit_type_id", "owner", "question", "max_assignments", "expiration", "requester_annotation",
    "creation_time", "reviewing", "disposed", "unique_request_token",
]
ASSIGNMENT_COLUMNS = [
    "id", "hit_id", "worker_id", "status", "accept_time", "deadline", "submit_time", "auto_approval_time",
    "approval_time", "rejection_time", "answer", "requester_feedback", "return_time",
]
# A copy's id: the template's first 20 characters and a 10-digit number, as long as a real id.
NUMBERED_ID = "substr(t.id, 1, 20) || CAST(1000000000 + i AS TEXT)"


def timed(call):
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def interleaved_medians(calls, repeat):
    """Median milliseconds of each of `calls` (name -> function), called in turn `repeat` times,
    so that whatever else the machine does falls on all of them alike."""
    times = {name: [] for name in calls}
    for _ in range(repeat):
        for name, call in calls.items():
            times[name].append(timed(call)[0])
    return {name: statistics.median(t) * 1000 for name, t in times.items()}


def walk(list_page):
    """Every page of a listing: (time, items, token that asked for it) per page, the empty one last."""
    pages, token = [], None
    while True:
        seconds, page = timed(lambda: list_page(token))
        pages.append((seconds, page["NumResults"], token))
        if page["NumResults"] == 0:
            return pages
        token = page["NextToken"]


def create_hit(server, title, max_assignments=1):
    return server.mturk.create_hit(
        Title=title,
        Description="a listing benchmark HIT",
        Reward="0.01",
        MaxAssignments=max_assignments,
        LifetimeInSeconds=604_800,
        AssignmentDurationInSeconds=86_400,
        AutoApprovalDelayInSeconds=2_592_000,
        Question=QUESTION,
    )["HIT"]["HITId"]


def page_of(list_call, token=None, **kwargs):
    return lambda: list_call(MaxResults=100, **kwargs, **({"NextToken": token} if token else {}))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=os.path.join(here, "..", "target", "release", "mturk-local"))
    parser.add_argument("--postgres", metavar="URL", help="make fresh databases beside this one and run on them")
    parser.add_argument("--hits", type=int, default=100_000, help="HITs stored for the deep walk (default 100000)")
    parser.add_argument("--assignments", type=int, default=10_000, help="assignments of one HIT (default 10000)")
    parser.add_argument("--repeat", type=int, default=15, help="calls per timed page (default 15)")
    args = parser.parse_args()
    if not 1_000 <= args.hits <= 1_000_000 or not 200 <= args.assignments <= 100_000:
        sys.exit("need 1000..1000000 HITs and 200..100000 assignments")

    with tempfile.TemporaryDirectory() as folder, open(os.path.join(folder, "server.log"), "w+b") as log:
        small, deep = Database(args.postgres, folder, "small"), Database(args.postgres, folder, "deep")
        servers = []
        try:
            small.create()
            server = Server(args.server, small, log)
            servers.append(server)
            hit_ids = [create_hit(server, f"listing {i}") for i in range(199)]
            busy = create_hit(server, "the HIT with many assignments", max_assignments=args.assignments)
            hit_ids.append(busy)
            # One real assignment to copy: accepted and submitted through the worker simulator.
            assignment = server.control("/workers/A1LISTINGBENCH/assignments", {"HITId": busy})["AssignmentId"]
            server.control(f"/assignments/{assignment}/submit", {"Answer": ANSWER})
            server.stop()
            servers.clear()

            # The deep database: the small one, then copies of its rows.
            small.copy_to(deep)
            started = time.monotonic()
            deep.execute(copies("hits", HIT_COLUMNS, hit_ids[0], args.hits - 200, {
                "id": NUMBERED_ID, "creation_time": "t.creation_time + i", "unique_request_token": "NULL",
            }))
            deep.execute(copies("assignments", ASSIGNMENT_COLUMNS, assignment, args.assignments - 1, {
                "id": NUMBERED_ID, "worker_id": "'AW' || CAST(1000000000 + i AS TEXT)",
                "accept_time": "t.accept_time + i",
            }))
            if args.postgres:
                # What autovacuum soon does on a database that grew this way (within a minute, by
                # default): without it, PostgreSQL plans for the 200-row tables it last saw.
                deep.execute("ANALYZE")
            print(f"seeded {args.hits - 200} HITs and {args.assignments - 1} assignments in "
                  f"{time.monotonic() - started:.1f} s", file=sys.stderr)
            shallow, deep_server = Server(args.server, small, log), Server(args.server, deep, log)
            servers += [shallow, deep_server]

            hits = deep_server.mturk.list_hits
            assignments = deep_server.mturk.list_assignments_for_hit
            walks = {}
            for name, call, kwargs, expected in [
                ("ListHITs", hits, {}, args.hits),
                ("ListAssignmentsForHIT", assignments, {"HITId": busy}, args.assignments),
            ]:
                pages = walk(lambda token: page_of(call, token, **kwargs)())
                shown = sum(n for _, n, _ in pages)
                if shown != expected:
                    sys.exit(f"{name}: the walk showed {shown} rows, not {expected}")
                walks[name] = (pages, pages[-2][2])
            t = interleaved_medians({
                "hits first, 200": page_of(shallow.mturk.list_hits),
                "hits first": page_of(hits),
                "hits last": page_of(hits, walks["ListHITs"][1]),
                "assignments first": page_of(assignments, HITId=busy),
                "assignments last": page_of(assignments, walks["ListAssignmentsForHIT"][1], HITId=busy),
            }, args.repeat)

            backend = "PostgreSQL" if args.postgres else "SQLite"
            print(f"\n{backend}: pages of MaxResults=100; first and last pages: medians of {args.repeat} calls, "
                  "interleaved; ms\n")
            print("| listing | rows | pages | first page | last page | last / first | walk: median page | slowest page | whole walk |")
            print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
            for name, key, rows in [("ListHITs", "hits", args.hits), ("ListAssignmentsForHIT", "assignments", args.assignments)]:
                pages = walks[name][0]
                times = [s * 1000 for s, _, _ in pages]
                first, last = t[f"{key} first"], t[f"{key} last"]
                print(f"| {name} | {rows:,} | {len(pages) - 1} | {first:.2f} | {last:.2f} | {last / first:.2f} | "
                      f"{statistics.median(times):.2f} | {max(times):.2f} | {sum(times):.0f} |")
            ratio = t["hits first"] / t["hits first, 200"]
            print(f"\nListHITs first page: {t['hits first, 200']:.2f} ms with 200 HITs, {t['hits first']:.2f} ms with "
                  f"{args.hits:,}: x{ratio:.2f} (target at most 1.5): {'met' if ratio <= 1.5 else 'NOT met'}")
            for key in ["hits", "assignments"]:
                ratio = t[f"{key} last"] / t[f"{key} first"]
                print(f"{key}: last page / first page x{ratio:.2f} (target at most 1.5): "
                      f"{'met' if ratio <= 1.5 else 'NOT met'}")
        finally:
            for server in servers:
                server.stop()
            small.drop()
            deep.drop()


if __name__ == "__main__":
    main()
