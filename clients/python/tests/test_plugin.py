"""The pytest plugin as a test suite uses it: fixtures and options, run in a fresh pytest process."""

from __future__ import annotations

import pytest

# What an inner test suite writes: the first test creates a type, the second must not see it.
SUITE = '''
import pathlib

def test_first(mturk_local, mturk_client):
    created = mturk_client.create_qualification_type(
        Name="Careful", Description="d", QualificationTypeStatus="Active")
    pathlib.Path("first.txt").write_text(
        mturk_local.endpoint_url + " " + created["QualificationType"]["QualificationTypeId"])

def test_second(mturk_local, mturk_client, mturk_local_server):
    assert mturk_local is mturk_local_server
    endpoint, type_id = pathlib.Path("first.txt").read_text().split()
    assert mturk_local.endpoint_url == endpoint   # one server per session
    # The same calls as test_first, in the same order (a seeded server then gives the same ids).
    created = mturk_client.create_qualification_type(
        Name="Careful", Description="d", QualificationTypeStatus="Active")
    pathlib.Path("second.txt").write_text(created["QualificationType"]["QualificationTypeId"])
    owned = mturk_client.list_qualification_types(MustBeRequestable=False, MustBeOwnedByCaller=True)
    assert owned["NumResults"] == 1               # reset before this test: only the new type
'''


def test_one_server_per_session_reset_before_each_test(pytester: pytest.Pytester, binary: str) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.runpytest_subprocess("--mturk-local-bin", binary, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    # Without a seed, the two types got different ids.
    first = (pytester.path / "first.txt").read_text().split()[1]
    assert (pytester.path / "second.txt").read_text() != first


def test_ini_options_set_the_binary_seed_and_clock_start(
    pytester: pytest.Pytester, binary: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MTURK_LOCAL_BIN", raising=False)
    pytester.makeini(
        f"""
        [pytest]
        mturk_local_bin = {binary}
        mturk_local_seed = 11
        mturk_local_clock_start = 2024-01-01T00:00:00Z
        """
    )
    pytester.makepyfile(
        SUITE
        + '''
def test_clock(mturk_local):
    assert mturk_local.clock.now().year == 2024
'''
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    # With a seed, each test after its reset got the same id.
    first = (pytester.path / "first.txt").read_text().split()[1]
    assert (pytester.path / "second.txt").read_text() == first


def test_a_missing_binary_fails_the_fixture_with_a_clear_message(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_needs_server(mturk_local):\n    pass\n")
    result = pytester.runpytest_subprocess("--mturk-local-bin", "/nonexistent/mturk-local", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*cannot start mturk-local*not an executable file*"])


def test_the_options_are_listed_in_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["*mturk-local*", "*--mturk-local-bin*", "*--mturk-local-seed*"])
