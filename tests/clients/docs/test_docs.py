"""Every command in README.md and docs/*.md, run as a reader would run it.

Each fenced block of shell, Python or JavaScript in those files carries a
marker comment on the line before it, and this module holds every block to it:

    <!-- doctest: run -->     run here, against a fresh server on 127.0.0.1:8099
                              (the address the documents use), from the
                              repository root; it must exit 0
    <!-- doctest: output -->  the block after a `run` block: what it prints.
                              Compared line by line once ids, times and request
                              ids are masked (they differ on every run)
    <!-- doctest: ci -->      .ci/run runs each of these commands verbatim
                              (checked here: each line is in .ci/run)
    <!-- doctest: docker -->  needs a Docker engine, which the machines this
                              project is built on do not have; listed, not run
    <!-- doctest: same path=FILE -->
                              the block shows a file of the repository (an
                              example that a `run` block uses): it must be
                              that file's text, so the two cannot drift apart

A shell/Python/JavaScript block without a marker fails the suite, so a new
command cannot slip into the documents untested. Blocks in other languages
(toml, yaml, json, xml, text, rust) are not commands and need no marker.

tests/clients/run.sh runs this module after the other suites, with
MTURK_LOCAL_BIN set to the server binary; node blocks need tests/clients/js's
node_modules (installed by run.sh's JavaScript suite).
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parents[3]
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
COMMAND_LANGUAGES = {"sh", "bash", "console", "shell", "python", "py", "js", "javascript", "mjs"}
MARKER = re.compile(r"^<!--\s*doctest:\s*(?P<kind>[a-z]+)(?P<options>[^>]*?)\s*-->\s*$")
FENCE = re.compile(r"^```(?P<lang>[A-Za-z0-9_+-]*)\s*$")
ADDRESS = ("127.0.0.1", 8099)


@dataclasses.dataclass
class Block:
    path: Path
    line: int
    lang: str
    text: str
    kind: str | None
    options: dict[str, str]

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"


def parse(path: Path) -> list[Block]:
    """The fenced blocks of a Markdown file, each with the marker before it."""
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    pending: tuple[str, dict[str, str]] | None = None
    while i < len(lines):
        marker = MARKER.match(lines[i])
        if marker:
            options = dict(
                item.split("=", 1) for item in marker.group("options").split() if "=" in item
            )
            pending = (marker.group("kind"), options)
            i += 1
            continue
        fence = FENCE.match(lines[i])
        if fence:
            start = i + 1
            j = start
            while j < len(lines) and lines[j].rstrip() != "```":
                j += 1
            kind, options = pending if pending else (None, {})
            blocks.append(
                Block(path, start, fence.group("lang").lower(), "\n".join(lines[start:j]), kind, options)
            )
            pending = None
            i = j + 1
            continue
        if lines[i].strip():
            pending = None
        i += 1
    return blocks


ALL_BLOCKS = [block for path in DOCUMENTS for block in parse(path)]
KINDS = {"run", "output", "ci", "docker", "same"}


# --- masking: what differs between runs -----------------------------------

MASKS = [
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z"), "<TIME>"),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<UUID>"),
    (re.compile(r"\b[0-9A-Z]{30}\b"), "<ID>"),
    (re.compile(r"\(\d{13}\)"), "(<MS>)"),
]


def mask(text: str) -> list[str]:
    for pattern, replacement in MASKS:
        text = pattern.sub(replacement, text)
    return [line.rstrip() for line in text.strip("\n").splitlines()]


# --- the server the documents talk to -------------------------------------


def port_is_free() -> bool:
    with socket.socket() as s:
        # As the server does: connections of an earlier run in TIME_WAIT do not make the port busy.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(ADDRESS)
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    binary = os.environ.get("MTURK_LOCAL_BIN")
    if not binary:
        pytest.fail("MTURK_LOCAL_BIN must name the server binary (tests/clients/run.sh sets it)")
    if not port_is_free():
        pytest.fail(
            f"{ADDRESS[0]}:{ADDRESS[1]} is taken; the documents' commands use that address, "
            "so stop whatever listens there (another mturk-local?) and run again"
        )
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [binary, "--in-memory", "--listen", f"{ADDRESS[0]}:{ADDRESS[1]}"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if not k.startswith("MTURK_LOCAL_")},
    )
    url = f"http://{ADDRESS[0]}:{ADDRESS[1]}"
    deadline = time.monotonic() + 30
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while True:
        try:
            opener.open(url + "/health", timeout=1).close()
            break
        except Exception:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"the server did not come up on {url}:\n{log.read().decode(errors='replace')}")
            time.sleep(0.1)
    try:
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def environment() -> dict[str, str]:
    """What a reader's shell has: PATH with this venv's tools (aws, python), no proxies for loopback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MTURK_LOCAL_", "AWS_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["no_proxy"] = env["NO_PROXY"] = "127.0.0.1,localhost"
    env["BOTO_CONFIG"] = "/dev/null"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run(block: Block, workdir: Path) -> subprocess.CompletedProcess[str]:
    if block.lang in {"python", "py"}:
        script = workdir / "snippet.py"
        script.write_text(block.text, encoding="utf-8")
        argv, cwd = [sys.executable, str(script)], REPO
    elif block.lang in {"js", "javascript", "mjs"}:
        js = REPO / "tests" / "clients" / "js"
        if not (js / "node_modules" / "@aws-sdk" / "client-mturk").is_dir():
            pytest.skip("tests/clients/js has no node_modules (run.sh installs them unless MTURK_LOCAL_CLIENTS_JS=0)")
        node = shutil.which("node")
        if node is None:
            pytest.fail("node is not on PATH")
        # Beside package.json, so that the import resolves to the locked SDK.
        script = js / f".doctest-{os.getpid()}.mjs"
        script.write_text(block.text, encoding="utf-8")
        argv, cwd = [node, str(script)], js
    else:
        argv, cwd = ["bash", "-euo", "pipefail", "-c", block.text], REPO
    try:
        return subprocess.run(argv, cwd=cwd, env=environment(), capture_output=True, text=True, timeout=300)
    finally:
        if block.lang in {"js", "javascript", "mjs"}:
            script.unlink(missing_ok=True)


# --- the tests --------------------------------------------------------------


def test_every_command_block_is_marked() -> None:
    unmarked = [b.where for b in ALL_BLOCKS if b.lang in COMMAND_LANGUAGES and b.kind is None]
    assert not unmarked, f"command blocks without a doctest marker: {unmarked}"
    unknown = [f"{b.where} ({b.kind})" for b in ALL_BLOCKS if b.kind is not None and b.kind not in KINDS]
    assert not unknown, f"unknown doctest markers: {unknown}"


def test_output_blocks_follow_a_run_block() -> None:
    for previous, block in zip(ALL_BLOCKS, ALL_BLOCKS[1:]):
        if block.kind == "output":
            assert previous.kind == "run" and previous.path == block.path, f"{block.where}: no run block before it"


def test_the_ci_commands_are_in_ci_run() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    ci_lines = {line.strip() for line in ci.splitlines()}
    blocks = [b for b in ALL_BLOCKS if b.kind == "ci"]
    assert blocks, "the README's quick start is marked ci"
    for block in blocks:
        for line in block.text.splitlines():
            command = line.split("#", 1)[0].strip()
            # The command as written, perhaps with its output redirected or sent to the background.
            ran = any(re.fullmatch(re.escape(command) + r"(\s+[0-9]?[>&|].*)?", line) for line in ci_lines)
            if command:
                assert ran, f"{block.where}: .ci/run does not run `{command}`"


def test_docker_blocks_hold_only_docker_commands() -> None:
    for block in (b for b in ALL_BLOCKS if b.kind == "docker"):
        for line in block.text.splitlines():
            command = line.split("#", 1)[0].strip()
            if command and not command.startswith("docker "):
                pytest.fail(f"{block.where}: `{command}` is not a docker command; mark the block run")


def test_examples_shown_are_the_files_used() -> None:
    for block in (b for b in ALL_BLOCKS if b.kind == "same"):
        path = REPO / block.options.get("path", "")
        assert path.is_file(), f"{block.where}: no file {path.relative_to(REPO)}"
        assert block.text.strip() == path.read_text(encoding="utf-8").strip(), f"{block.where} differs from {path}"


RUN_BLOCKS = [
    (block, after if after is not None and after.kind == "output" else None)
    for block, after in zip(ALL_BLOCKS, [*ALL_BLOCKS[1:], None])
    if block.kind == "run"
]


@pytest.mark.parametrize(("block", "expected"), RUN_BLOCKS, ids=[b.where for b, _ in RUN_BLOCKS])
def test_document_command(block: Block, expected: Block | None, server: str, tmp_path: Path) -> None:
    result = run(block, tmp_path)
    shown = f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    assert result.returncode == 0, f"{block.where} exited {result.returncode}\n{shown}"
    if expected is not None:
        assert mask(result.stdout) == mask(expected.text), f"{block.where} printed something else\n{shown}"
