"""The pytest plugin: fixtures that run mturk-local for a test session.

- ``mturk_local_server`` (session): one server for the whole session, started on first use.
- ``mturk_local`` (function): that server, reset before the test (an empty store, the clock back
  at its start, a seeded id sequence restarted, fault rules cleared).
- ``mturk_client`` (function): a boto3 ``mturk`` client for it, as the development requester.

Options (command line, or the ini names in parentheses): ``--mturk-local-bin`` (``mturk_local_bin``),
``--mturk-local-checkout`` (``mturk_local_checkout``), ``--mturk-local-seed`` (``mturk_local_seed``),
``--mturk-local-clock-start`` (``mturk_local_clock_start``), ``--mturk-local-fixtures``
(``mturk_local_fixtures``) and ``--mturk-local-arg`` (``mturk_local_args``, repeated/linewise).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Iterator, List, Optional

import pytest

from ._server import MturkLocal, MturkLocalError

if TYPE_CHECKING:
    from mypy_boto3_mturk import MTurkClient

_OPTIONS = [
    # (command-line flag, ini name, help)
    ("--mturk-local-bin", "mturk_local_bin", "the mturk-local executable (default: $MTURK_LOCAL_BIN, then PATH)"),
    ("--mturk-local-checkout", "mturk_local_checkout", "an mturk-local checkout to build with cargo when no binary is found"),
    ("--mturk-local-seed", "mturk_local_seed", "id seed (--id-seed): the same ids in every run and after every reset"),
    ("--mturk-local-clock-start", "mturk_local_clock_start", "where the virtual clock starts (RFC 3339), and where a reset puts it"),
    ("--mturk-local-fixtures", "mturk_local_fixtures", "a fixtures file (YAML or JSON) the server loads at start-up"),
]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mturk-local", "mturk-local server for tests")
    for flag, ini, help_text in _OPTIONS:
        group.addoption(flag, dest=ini, default=None, help=f"{help_text} [ini: {ini}]")
        parser.addini(ini, help=help_text, default=None)
    group.addoption(
        "--mturk-local-arg",
        dest="mturk_local_args",
        action="append",
        default=[],
        help="one more argument for the server (repeatable) [ini: mturk_local_args, one per line]",
    )
    parser.addini("mturk_local_args", help="more arguments for the server, one per line", type="linelist", default=[])


def _option(config: pytest.Config, name: str) -> Optional[str]:
    value = config.getoption(name)
    if value is None:
        value = config.getini(name)
    if value is None or value == "":
        return None
    return str(value)


def server_from_config(config: pytest.Config) -> MturkLocal:
    """An (unstarted) :class:`MturkLocal` configured by the options above, relative paths in the
    ini file taken from the rootdir."""
    root = config.rootpath

    def path(name: str) -> Optional[str]:
        value = _option(config, name)
        if value is None:
            return None
        from_ini = config.getoption(name) is None
        # A path from the ini file is relative to the rootdir; a bare name is looked up on PATH.
        relative = from_ini and "/" in value and not os.path.isabs(value)
        return str(root / value) if relative else value

    seed = _option(config, "mturk_local_seed")
    try:
        seed_number = None if seed is None else int(seed)
    except ValueError:
        raise pytest.UsageError(f"mturk_local_seed must be an integer, not {seed!r}") from None
    args: List[str] = [*config.getini("mturk_local_args"), *config.getoption("mturk_local_args")]
    return MturkLocal(
        path("mturk_local_bin"),
        checkout=path("mturk_local_checkout"),
        seed=seed_number,
        clock_start=_option(config, "mturk_local_clock_start"),
        fixtures=path("mturk_local_fixtures"),
        args=args,
    )


@pytest.fixture(scope="session")
def mturk_local_server(pytestconfig: pytest.Config) -> Iterator[MturkLocal]:
    """One mturk-local for the session (in memory, on a free port); stopped when the session ends."""
    server = server_from_config(pytestconfig)
    try:
        server.start()
    except MturkLocalError as err:
        pytest.fail(f"cannot start mturk-local: {err}", pytrace=False)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def mturk_local(mturk_local_server: MturkLocal) -> MturkLocal:
    """The session's server, reset before this test."""
    mturk_local_server.reset()
    return mturk_local_server


@pytest.fixture
def mturk_client(mturk_local: MturkLocal) -> MTurkClient:
    """A boto3 ``mturk`` client for the (reset) server, as the development requester."""
    return mturk_local.client()
