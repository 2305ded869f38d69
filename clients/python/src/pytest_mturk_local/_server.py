"""``MturkLocal``: one mturk-local server process, and clients for its APIs and control plane."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple, Type, Union, cast
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from botocore.config import Config
    from mypy_boto3_mturk import MTurkClient

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

#: The built-in development requester of mturk-local's ``config/default.toml`` (public keys).
DEV_ACCESS_KEY_ID = "AKIAMTURKLOCALDEV000"
#: Its secret access key.
DEV_SECRET_ACCESS_KEY = "mturk-local-dev-secret-do-not-use-in-production"

#: A JSON object as the control plane sends it.
JsonObject = Dict[str, Any]
PathLike = Union[str, "os.PathLike[str]"]

QUESTION_FORM_ANSWERS_NS = (
    "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"
)

# The server's start-up line, pretty or JSON: "mturk-local listening on http://127.0.0.1:41234 (…".
_LISTENING = re.compile(r"mturk-local listening on http://(?P<address>[0-9A-Za-z.:\[\]]+)")

# Without a proxy: the server is on loopback, and an HTTP_PROXY in the environment must not catch it.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class MturkLocalError(Exception):
    """A control-plane error (``{"Code", "Message"}`` with a 4xx/5xx status), or a server that
    could not be found, started or reached.

    ``code`` is the wire code (e.g. ``AWS.ParameterOutOfRange``) or, for problems on this side,
    ``MturkLocal.Client``; ``status`` is the HTTP status (0 when there was no answer).
    """

    def __init__(self, message: str, *, code: str = "MturkLocal.Client", status: int = 0, body: Any = None) -> None:
        super().__init__(f"{code}: {message}" if status == 0 else f"{status} {code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.body = body


def free_text_answers(answers: Mapping[str, str]) -> str:
    """A ``QuestionFormAnswers`` document with one ``FreeText`` answer per item (question id -> text)."""
    body = "".join(
        f"<Answer><QuestionIdentifier>{escape(qid)}</QuestionIdentifier><FreeText>{escape(text)}</FreeText></Answer>"
        for qid, text in answers.items()
    )
    return f'<QuestionFormAnswers xmlns="{QUESTION_FORM_ANSWERS_NS}">{body}</QuestionFormAnswers>'


def _rfc3339(moment: Union[datetime, str]) -> str:
    if isinstance(moment, str):
        return moment
    if moment.tzinfo is None:
        raise MturkLocalError(f"{moment!r} has no time zone; use an aware datetime (e.g. tzinfo=timezone.utc)")
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _parse_time(text: str) -> datetime:
    # "2024-01-01T00:00:00.000Z"; fromisoformat takes "+00:00" but not "Z" before Python 3.11.
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _pascal(key: str) -> str:
    """``latency_ms`` -> ``LatencyMs``; PascalCase keys are kept as they are."""
    if key[:1].isupper():
        return key
    return "".join(part[:1].upper() + part[1:] for part in key.split("_"))


def find_binary(binary: Optional[PathLike] = None, *, checkout: Optional[PathLike] = None) -> Path:
    """The mturk-local executable to run.

    In order: ``binary`` if given; the environment variable ``MTURK_LOCAL_BIN``; ``mturk-local`` on
    ``PATH``; else, when ``checkout`` names a clone of the mturk-local repository, the release
    binary that ``cargo build --release`` builds there (run now; it takes minutes the first time).
    """
    candidates: List[Tuple[str, str]] = []
    if binary is not None:
        candidates.append(("the binary given", os.fspath(binary)))
    env = os.environ.get("MTURK_LOCAL_BIN")
    if env:
        candidates.append(("MTURK_LOCAL_BIN", env))
    for origin, path in candidates:
        found = shutil.which(path) if os.sep not in path else path
        if found is None or not os.access(found, os.X_OK) or not os.path.isfile(found):
            raise MturkLocalError(f"{origin} ({path}) is not an executable file")
        return Path(found).resolve()
    on_path = shutil.which("mturk-local")
    if on_path is not None:
        return Path(on_path).resolve()
    if checkout is not None:
        root = Path(checkout).expanduser().resolve()
        if not (root / "Cargo.toml").is_file():
            raise MturkLocalError(f"{root} is not an mturk-local checkout (it has no Cargo.toml)")
        cargo = shutil.which("cargo")
        if cargo is None:
            raise MturkLocalError("cargo is not on PATH, so the checkout cannot be built")
        built = subprocess.run([cargo, "build", "--release", "--bin", "mturk-local"], cwd=root)
        executable = root / "target" / "release" / "mturk-local"
        if built.returncode != 0 or not executable.is_file():
            raise MturkLocalError(f"cargo build --release failed in {root} (exit {built.returncode})")
        return executable
    raise MturkLocalError(
        "mturk-local was not found: set MTURK_LOCAL_BIN, put mturk-local on PATH, or name a checkout "
        "to build (MturkLocal(checkout=...), pytest --mturk-local-checkout)"
    )


class _Part:
    def __init__(self, server: MturkLocal) -> None:
        self._server = server

    def _call(self, method: str, path: str, body: Any = None) -> JsonObject:
        return self._server.control(method, path, body)


class Clock(_Part):
    """The virtual clock (``/_local/clock``). It runs at real rate from wherever it was put."""

    def now(self) -> datetime:
        """The virtual now, as an aware UTC datetime (millisecond precision)."""
        return _parse_time(self._call("GET", "/clock")["Now"])

    def offset_seconds(self) -> int:
        """How far the virtual clock is ahead of real time (negative: behind)."""
        return int(self._call("GET", "/clock")["OffsetSeconds"])

    def advance(self, seconds: Union[int, float, timedelta]) -> datetime:
        """Moves the clock forward by whole seconds (0 to 3153600000); returns the new now."""
        secs = seconds.total_seconds() if isinstance(seconds, timedelta) else seconds
        if secs != int(secs):
            raise MturkLocalError(f"the clock moves by whole seconds, not {secs}")
        return _parse_time(self._call("POST", "/clock", {"AdvanceSeconds": int(secs)})["Now"])

    def set(self, moment: Union[datetime, str]) -> datetime:
        """Puts the clock at ``moment`` (an aware datetime or RFC 3339 text), earlier ones too."""
        return _parse_time(self._call("POST", "/clock", {"Set": _rfc3339(moment)})["Now"])


class Workers(_Part):
    """The worker simulator (``/_local/workers/...`` and ``/_local/assignments/...``)."""

    def _worker(self, worker_id: str, rest: str = "") -> str:
        return f"/workers/{urllib.parse.quote(worker_id, safe='')}{rest}"

    def set_profile(
        self,
        worker_id: str,
        *,
        country: Optional[str] = None,
        subdivision: Optional[str] = None,
        adult: bool = False,
        masters: bool = False,
    ) -> JsonObject:
        """Describes a worker (locale, adult, Masters), for the system qualifications."""
        body: JsonObject = {"Adult": adult, "Masters": masters}
        if country is not None:
            body["Locale"] = {"Country": country, **({"Subdivision": subdivision} if subdivision else {})}
        return self._call("PUT", self._worker(worker_id), body)

    def profile(self, worker_id: str) -> JsonObject:
        """The worker's profile."""
        return self._call("GET", self._worker(worker_id))

    def request_qualification(
        self, worker_id: str, qualification_type_id: str, answer: Optional[str] = None
    ) -> JsonObject:
        """The worker asks for a qualification: ``{"QualificationRequestId", "Status", ...}``."""
        body: JsonObject = {"QualificationTypeId": qualification_type_id}
        if answer is not None:
            body["Answer"] = answer
        return self._call("POST", self._worker(worker_id, "/qualification-requests"), body)

    def answer_test(self, worker_id: str, qualification_request_id: str, answer: str) -> JsonObject:
        """The worker answers a qualification test it started."""
        path = self._worker(worker_id, f"/qualification-requests/{urllib.parse.quote(qualification_request_id, safe='')}/answer")
        return self._call("POST", path, {"Answer": answer})

    def qualifications(self, worker_id: str) -> List[JsonObject]:
        """Every qualification the worker holds or held."""
        return cast(List[JsonObject], self._call("GET", self._worker(worker_id, "/qualifications"))["Qualifications"])

    def notifications(self, worker_id: str) -> List[JsonObject]:
        """What the worker was told, oldest first."""
        return cast(List[JsonObject], self._call("GET", self._worker(worker_id, "/notifications"))["Notifications"])

    def hits(self, worker_id: str) -> List[JsonObject]:
        """The HITs the worker can find, with what it may do with each."""
        return cast(List[JsonObject], self._call("GET", self._worker(worker_id, "/hits"))["HITs"])

    def accept(self, worker_id: str, hit_id: str) -> JsonObject:
        """The worker accepts a HIT: the new assignment (``AssignmentId``, ``Deadline``, ...)."""
        return self._call("POST", self._worker(worker_id, "/assignments"), {"HITId": hit_id})

    def assignments(self, worker_id: str) -> List[JsonObject]:
        """The worker's assignments, newest first."""
        return cast(List[JsonObject], self._call("GET", self._worker(worker_id, "/assignments"))["Assignments"])

    def submit(self, assignment_id: str, answer: Union[str, Mapping[str, str]]) -> JsonObject:
        """Submits an assignment: ``answer`` is a QuestionFormAnswers document, or a mapping of
        question ids to free text that becomes one."""
        document = answer if isinstance(answer, str) else free_text_answers(answer)
        return self._call("POST", f"/assignments/{urllib.parse.quote(assignment_id, safe='')}/submit", {"Answer": document})

    def return_assignment(self, assignment_id: str) -> JsonObject:
        """The worker returns an assignment; its slot opens again."""
        return self._call("POST", f"/assignments/{urllib.parse.quote(assignment_id, safe='')}/return")

    def work(self, worker_id: str, hit_id: str, answer: Union[str, Mapping[str, str]]) -> str:
        """Accepts ``hit_id`` and submits ``answer``; returns the assignment id."""
        assignment_id = str(self.accept(worker_id, hit_id)["AssignmentId"])
        self.submit(assignment_id, answer)
        return assignment_id


class Faults(_Part):
    """Fault injection (``/_local/faults``): make matching API calls fail or slow down."""

    def add(self, **rule: Any) -> str:
        """Adds a rule and returns its ``FaultId``. Keys are the route's (``Operation``, ``Protocol``,
        ``Requester``, ``Error``, ``Message``, ``LatencyMs``, ``Count``, ``Probability``, ``Seed``),
        in PascalCase or snake_case: ``add(operation="CreateHIT", error="Throttling", count=2)``."""
        body = {_pascal(key): value for key, value in rule.items()}
        return str(self._call("POST", "/faults", body)["Fault"]["FaultId"])

    def list(self) -> List[JsonObject]:
        """Every rule, with how many times it ``Fired``."""
        return cast(List[JsonObject], self._call("GET", "/faults")["Faults"])

    def delete(self, fault_id: str) -> None:
        """Removes one rule."""
        self._call("DELETE", f"/faults/{urllib.parse.quote(fault_id, safe='')}")

    def clear(self) -> None:
        """Removes every rule (a reset does too)."""
        self._call("DELETE", "/faults")


class Snapshots(_Part):
    """Snapshots of the whole state (``/_local/snapshots``): take one, restore it in milliseconds."""

    def _named(self, name: str, rest: str = "") -> str:
        return f"/snapshots/{urllib.parse.quote(name, safe='')}{rest}"

    def take(self, name: str) -> JsonObject:
        """Takes a snapshot called ``name``: ``{"Name", "CreatedAt", ...}``."""
        return cast(JsonObject, self._call("POST", "/snapshots", {"Name": name})["Snapshot"])

    def restore(self, name: str) -> JsonObject:
        """Brings the state of snapshot ``name`` back."""
        return self._call("POST", self._named(name, "/restore"))

    def list(self) -> List[JsonObject]:
        """Every snapshot."""
        return cast(List[JsonObject], self._call("GET", "/snapshots")["Snapshots"])

    def delete(self, name: str) -> None:
        """Removes snapshot ``name``."""
        self._call("DELETE", self._named(name))


class MturkLocal:
    """One mturk-local server: started on a free loopback port with an in-memory database, stopped
    on :meth:`stop` (or when the ``with`` block ends).

    >>> with MturkLocal() as server:                      # doctest: +SKIP
    ...     mturk = server.client()
    ...     mturk.get_account_balance()["AvailableBalance"]
    '10000.00'

    ``binary``/``checkout``: where the executable comes from (see :func:`find_binary`).
    ``seed``: ``--id-seed``, so the same calls get the same ids in every run and after every reset.
    ``clock_start``: ``--clock-start``, where the virtual clock starts and where a reset puts it.
    ``fixtures``: ``--fixtures FILE``, loaded at start-up. ``config_file``: ``--config FILE``.
    ``settings``: more settings by name, e.g. ``{"service.dispose_delay_secs": 5}`` (passed as
    ``MTURK_LOCAL_SERVICE__DISPOSE_DELAY_SECS``). ``args``: more command-line arguments.
    The server gets the caller's environment minus every ``MTURK_LOCAL_*`` variable, so that a
    variable meant for something else cannot change it; ``env`` adds variables.
    """

    def __init__(
        self,
        binary: Optional[PathLike] = None,
        *,
        checkout: Optional[PathLike] = None,
        seed: Optional[int] = None,
        clock_start: Union[datetime, str, None] = None,
        fixtures: Optional[PathLike] = None,
        config_file: Optional[PathLike] = None,
        settings: Optional[Mapping[str, Union[str, int, bool]]] = None,
        args: Sequence[str] = (),
        env: Optional[Mapping[str, str]] = None,
        startup_timeout: float = 30.0,
    ) -> None:
        self._binary = binary
        self._checkout = checkout
        self.seed = seed
        self.clock_start = clock_start
        self._fixtures = fixtures
        self._config_file = config_file
        self._settings = dict(settings or {})
        self._args = list(args)
        self._env = dict(env or {})
        self._startup_timeout = startup_timeout
        self._process: Optional[subprocess.Popen[bytes]] = None
        self._log: Optional[IO[bytes]] = None
        self._address: Optional[str] = None
        #: The development requester's credentials, which every helper signs with.
        self.access_key_id = DEV_ACCESS_KEY_ID
        self.secret_access_key = DEV_SECRET_ACCESS_KEY
        self.clock = Clock(self)
        self.workers = Workers(self)
        self.faults = Faults(self)
        self.snapshots = Snapshots(self)

    # --- the process -----------------------------------------------------

    def command(self) -> List[str]:
        """The command line :meth:`start` runs."""
        cmd = [str(find_binary(self._binary, checkout=self._checkout)), "--in-memory", "--listen", "127.0.0.1:0"]
        if self.seed is not None:
            cmd += ["--id-seed", str(self.seed)]
        if self.clock_start is not None:
            cmd += ["--clock-start", _rfc3339(self.clock_start)]
        if self._config_file is not None:
            cmd += ["--config", os.fspath(self._config_file)]
        if self._fixtures is not None:
            cmd += ["--fixtures", os.fspath(self._fixtures)]
        return cmd + self._args

    def _environment(self) -> Dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MTURK_LOCAL_")}
        for name, value in self._settings.items():
            section, _, key = name.partition(".")
            if not section or not key:
                raise MturkLocalError(f"setting {name!r} is not SECTION.KEY (e.g. service.dispose_delay_secs)")
            text = str(value).lower() if isinstance(value, bool) else str(value)
            env[f"MTURK_LOCAL_{section.upper()}__{key.upper()}"] = text
        env.update(self._env)
        # The start-up line tells the port; keep it whatever RUST_LOG says.
        env["RUST_LOG"] = ",".join(filter(None, [env.get("RUST_LOG", "info,sqlx=warn"), "mturk_local::startup=info"]))
        return env

    def start(self) -> MturkLocal:
        """Starts the server and waits until ``GET /health`` answers 200; returns ``self``."""
        if self._process is not None:
            raise MturkLocalError("this server is already started")
        command = self.command()
        if self._log is not None:
            self._log.close()
        self._log = tempfile.TemporaryFile(prefix="mturk-local-", suffix=".log")
        self._process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, env=self._environment()
        )
        try:
            self._address = self._wait_for_address()
            self._wait_for_health()
        except BaseException:
            self.stop()
            raise
        return self

    def _fail(self, why: str) -> MturkLocalError:
        log = self.log_text()
        return MturkLocalError(f"{why}\n--- server log ---\n{log[-4000:] if log else '(empty)'}")

    def _wait_for_address(self) -> str:
        deadline = time.monotonic() + self._startup_timeout
        while True:
            match = _LISTENING.search(self.log_text())
            if match:
                return match.group("address")
            process = self._process
            if process is None or process.poll() is not None:
                status = None if process is None else process.returncode
                raise self._fail(f"mturk-local exited with status {status} before listening")
            if time.monotonic() > deadline:
                raise self._fail(f"mturk-local did not start listening within {self._startup_timeout} s")
            time.sleep(0.02)

    def _wait_for_health(self) -> None:
        deadline = time.monotonic() + self._startup_timeout
        while True:
            status, _ = self._request("GET", f"{self.endpoint_url}/health", None, {})
            if status == 200:
                return
            if time.monotonic() > deadline:
                raise self._fail(f"{self.endpoint_url}/health did not answer 200 within {self._startup_timeout} s")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stops the server (SIGTERM, then SIGKILL after 10 s). Calling it twice is harmless."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._address = None

    def log_text(self) -> str:
        """What the server has logged so far (its stdout and stderr)."""
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode("utf-8", errors="replace")

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> MturkLocal:
        return self.start()

    def close(self) -> None:
        """Stops the server and drops its log."""
        self.stop()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    # --- where it is -----------------------------------------------------

    @property
    def address(self) -> str:
        """``127.0.0.1:PORT``."""
        if self._address is None:
            raise MturkLocalError("the server is not started")
        return self._address

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self.address.rsplit(":", 1)[1])

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:PORT``: the ``endpoint_url`` of boto3, the AWS CLI and every SDK."""
        return f"http://{self.address}"

    @property
    def legacy_url(self) -> str:
        """The legacy REST/XML API's URL, ``http://127.0.0.1:PORT/onca/xml`` (``/`` works too)."""
        return f"{self.endpoint_url}/onca/xml"

    @property
    def credentials(self) -> Dict[str, str]:
        """``aws_access_key_id`` and ``aws_secret_access_key`` of the development requester."""
        return {"aws_access_key_id": self.access_key_id, "aws_secret_access_key": self.secret_access_key}

    def client(
        self,
        *,
        access_key_id: Optional[str] = None,
        secret_access_key: Optional[str] = None,
        config: Optional[Config] = None,
    ) -> MTurkClient:
        """A boto3 ``mturk`` client for this server (region us-east-1), as the development requester
        unless other keys are given. ``config`` is a ``botocore.config.Config`` (retries, timeouts)."""
        import boto3

        return boto3.client(
            "mturk",
            region_name="us-east-1",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=access_key_id or self.access_key_id,
            aws_secret_access_key=secret_access_key or self.secret_access_key,
            config=config,
        )

    # --- the control plane -----------------------------------------------

    def _request(self, method: str, url: str, data: Optional[bytes], headers: Mapping[str, str]) -> Tuple[int, bytes]:
        request = urllib.request.Request(url, data=data, method=method, headers=dict(headers))
        try:
            with _OPENER.open(request, timeout=30) as answer:
                return int(answer.status), bytes(answer.read())
        except urllib.error.HTTPError as err:
            return int(err.code), bytes(err.read())
        except (urllib.error.URLError, OSError):
            return 0, b""

    def control(self, method: str, path: str, body: Any = None, *, content_type: str = "application/json") -> JsonObject:
        """Calls ``/_local{path}`` and returns its JSON answer (``{}`` for an empty one).

        ``body`` is sent as JSON unless it is ``bytes``. Raises :class:`MturkLocalError` with the
        answer's ``Code`` and ``Message`` on any status but 2xx."""
        data = body if isinstance(body, bytes) else (None if body is None else json.dumps(body).encode("utf-8"))
        headers = {"Content-Type": content_type} if data is not None else {}
        status, raw = self._request(method, f"{self.endpoint_url}/_local{path}", data, headers)
        if status == 0:
            raise self._fail(f"{method} /_local{path}: no answer from {self.endpoint_url}")
        try:
            answer: Any = json.loads(raw) if raw.strip() else {}
        except ValueError:
            answer = raw.decode("utf-8", errors="replace")
        if not 200 <= status < 300:
            if isinstance(answer, dict) and "Code" in answer:
                raise MturkLocalError(str(answer.get("Message", "")), code=str(answer["Code"]), status=status, body=answer)
            raise MturkLocalError(f"{method} /_local{path} answered {status}", code="MturkLocal.Http", status=status, body=answer)
        return cast(JsonObject, answer) if isinstance(answer, dict) else {"Body": answer}

    def health(self) -> JsonObject:
        """``GET /health``: ``{"Status": "ok", "Storage": "sqlite"}`` while the server works."""
        status, raw = self._request("GET", f"{self.endpoint_url}/health", None, {})
        if status == 0:
            raise self._fail(f"no answer from {self.endpoint_url}/health")
        return cast(JsonObject, json.loads(raw))

    def reset(self) -> None:
        """Empties the store (requesters keep their starting balances), rewinds the clock (to
        ``clock_start`` if set), restarts a seeded id sequence and clears fault rules."""
        self.control("POST", "/reset")

    def load_fixtures(self, fixtures: Union[PathLike, Mapping[str, Any]]) -> JsonObject:
        """Loads fixtures (``POST /_local/fixtures``) from a YAML or JSON file, or from a mapping sent
        as JSON; all or nothing, and loading the same ones twice changes nothing. Returns
        ``{"Ids": {name: id}, "Created": n, "Existing": m}``."""
        if isinstance(fixtures, Mapping):
            return self.control("POST", "/fixtures", dict(fixtures))
        path = Path(fixtures)
        yaml = path.suffix.lower() in {".yaml", ".yml"}
        return self.control(
            "POST", "/fixtures", path.read_bytes(), content_type="application/yaml" if yaml else "application/json"
        )
