"""Run mturk-local, a local emulator of Amazon Mechanical Turk's requester API, from Python tests.

``MturkLocal`` starts the server binary on a free loopback port with an in-memory database and
stops it again; it works as a context manager anywhere. The pytest plugin (registered through the
``pytest11`` entry point) gives tests the fixtures ``mturk_local_server`` (one server per session),
``mturk_local`` (that server, reset before each test) and ``mturk_client`` (a boto3 client).
"""

from __future__ import annotations

from ._server import (
    DEV_ACCESS_KEY_ID,
    DEV_SECRET_ACCESS_KEY,
    Clock,
    Faults,
    MturkLocal,
    MturkLocalError,
    Snapshots,
    Workers,
    find_binary,
    free_text_answers,
)

__all__ = [
    "DEV_ACCESS_KEY_ID",
    "DEV_SECRET_ACCESS_KEY",
    "Clock",
    "Faults",
    "MturkLocal",
    "MturkLocalError",
    "Snapshots",
    "Workers",
    "find_binary",
    "free_text_answers",
]
