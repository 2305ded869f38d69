"""Fixtures of the notification delivery tests (issue 12).

They deliver to real components, each started here for the session:
  * `moto_server` (PyPI `moto[server]`) serves SQS and SNS;
  * `aiosmtpd` is the SMTP server of the Email transport;
  * mturk-local itself (`MTURK_LOCAL_BIN`, which tests/clients/run.sh sets),
    started by each test that needs it on a SQLite file of its own, with
    `[notifications]` pointed at the two, so a test can kill it (-9) and
    start it again on the same file.

A missing package fails the run under CI (CI=true): the tests must run there.
Elsewhere it skips them with the reason.
"""

import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest


def _need(module: str, package: str):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError:
        message = f"the notification tests need {package} (pip install -r tests/clients/requirements.txt)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def moto_url():
    server_module = _need("moto.server", "moto[server]")
    port = free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


class Mailbox:
    """What the SMTP server received: (envelope recipients, message text)."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 Message accepted for delivery"


@pytest.fixture(scope="session")
def smtp():
    controller_module = _need("aiosmtpd.controller", "aiosmtpd")
    mailbox = Mailbox()
    port = free_port()
    controller = controller_module.Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, f"smtp://127.0.0.1:{port}"
    controller.stop()


class Server:
    """One mturk-local process on a SQLite file that outlives it."""

    def __init__(self, binary: str, workdir: Path, settings: dict):
        self.binary = binary
        self.workdir = workdir
        self.settings = settings
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def config(self) -> str:
        lines = ["[notifications]"]
        for key, value in self.settings.items():
            lines.append(f"{key} = {value!r}" if isinstance(value, str) else f"{key} = {value}")
        lines.append('poll_interval_ms = 100')
        lines.append('lease_secs = 3')
        lines.append('timeout_secs = 2')
        lines.append('backoff_initial_ms = 100')
        lines.append('backoff_max_ms = 500')
        return "\n".join(lines).replace("'", '"') + "\n"

    def start(self, **changes):
        self.settings.update(changes)
        path = self.workdir / "config.toml"
        path.write_text(self.config())
        log = open(self.workdir / "server.log", "ab")
        self.proc = subprocess.Popen(
            [self.binary, "--listen", f"127.0.0.1:{self.port}", "--database",
             f"sqlite:{self.workdir / 'notify.db'}", "--config", str(path)],
            stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.endpoint + "/health", timeout=1).close()
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                if self.proc.poll() is not None:
                    raise RuntimeError("mturk-local exited: " + (self.workdir / "server.log").read_text()[-2000:])
                time.sleep(0.1)
        raise RuntimeError("mturk-local did not answer within 30 s")

    def kill(self):
        """kill -9: no shutdown, nothing flushed beyond what was committed."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def start_server(moto_url, smtp):
    binary = os.environ.get("MTURK_LOCAL_BIN")
    if not binary:
        pytest.fail("MTURK_LOCAL_BIN must name the server binary (tests/clients/run.sh sets it)", pytrace=False)
    servers = []
    folders = []

    def start(**settings) -> Server:
        folder = tempfile.TemporaryDirectory()
        folders.append(folder)
        base = {"sqs_endpoint": moto_url, "sns_endpoint": moto_url, "smtp_url": smtp[1]}
        base.update(settings)
        server = Server(binary, Path(folder.name), base)
        servers.append(server)
        return server.start()

    yield start
    for s in servers:
        s.stop()
    for f in folders:
        f.cleanup()
