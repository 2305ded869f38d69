"""The plugin's own tests run the real server: MTURK_LOCAL_BIN names the binary (run-tests.sh sets it)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def binary() -> str:
    path = os.environ.get("MTURK_LOCAL_BIN")
    if not path:
        pytest.fail("set MTURK_LOCAL_BIN to a built mturk-local (e.g. target/release/mturk-local)")
    return path
