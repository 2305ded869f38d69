#!/usr/bin/env bash
# Runs the third-party client tests against a freshly started, in-memory
# mturk-local: tests/clients/legacy (boto 2, raw REST and the Perl SDK's
# requests on the legacy API), tests/clients/modern (boto3, the AWS CLI,
# oTree's and psiTurk's requests on the JSON API), tests/clients/notifications
# (delivery to moto's SQS and SNS and to aiosmtpd, from servers of its own
# started from the same binary), tests/clients/browser (the web console in
# Debian's headless Chromium, driven by Selenium; it fails under CI=true when
# /usr/bin/chromium or /usr/bin/chromedriver is missing, and is skipped with
# the reason elsewhere), then tests/clients/js (the AWS SDK for JavaScript v3,
# and the mturk-api package over the SOAP face, with Node's test runner)
# against the same server,
# and last every command of README.md and docs/ (tests/clients/docs) against
# a server of their own on 127.0.0.1:8099.
# Builds nothing.
#
# usage: tests/clients/run.sh [BINARY] [PYTEST ARGS...]
#   BINARY       the built server (default: target/release/mturk-local in the repo)
#   PYTEST ARGS  passed on to pytest, e.g. -m "not lifecycle" or -k revoke
#                (both folders are always given to pytest; use -k to narrow)
#
# environment:
#   MTURK_LOCAL_CLIENTS_VENV  a virtualenv to use (created if missing) instead of
#                             a new one in a temporary folder
#   MTURK_LOCAL_PYTHON        the Python that creates the venv (default python3)
#   MTURK_LOCAL_CLIENTS_JS    0: leave out the JavaScript suite (default 1: run it;
#                             it needs node >= 20 and npm)
#   MTURK_LOCAL_CLIENTS_DOCS  0: leave out the documents' commands (default 1: run
#                             them; they need 127.0.0.1:8099 free and
#                             target/release/mturk-local built)
#
# Exits 0 only if both suites pass. pytest's "no tests collected" (its 5) and
# a JavaScript run that reports no tests count as failure.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

if [[ $# -ge 1 ]]; then
    bin="$1"
    shift
    # A relative path is taken from the caller's working directory.
    [[ "$bin" == /* ]] || bin="$PWD/$bin"
else
    bin="$repo/target/release/mturk-local"
fi
if [[ ! -x "$bin" ]]; then
    echo "run.sh: server binary not found or not executable: $bin" >&2
    echo "run.sh: build it first with: cargo build --release" >&2
    exit 2
fi

cd "$repo"
python="${MTURK_LOCAL_PYTHON:-python3}"

work="$(mktemp -d "${TMPDIR:-/tmp}/mturk-local-clients.XXXXXX")"
server_log="$work/server.log"
server_pid=""

# shellcheck disable=SC2317  # (called from the EXIT trap)
stop_server() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$server_pid" 2>/dev/null; then
            echo "run.sh: server did not stop on SIGTERM, sending SIGKILL" >&2
            kill -9 "$server_pid" 2>/dev/null || true
        fi
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}

# shellcheck disable=SC2317  # (the EXIT trap)
cleanup() {
    stop_server
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_server_log() {
    echo "----- server log ($server_log) -----" >&2
    if [[ -s "$server_log" ]]; then
        tail -n "${1:-200}" "$server_log" >&2
    else
        echo "(empty)" >&2
    fi
    echo "----- end of server log -----" >&2
}

# Installs tests/clients/js's locked dependencies (npm ci) and runs its tests
# with Node's built-in runner against $endpoint; a run with no tests fails.
run_js_suite() {
    local js="$repo/tests/clients/js"
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        echo "run.sh: FAILED: the JavaScript suite needs node (>= 20) and npm on PATH" \
            "(or set MTURK_LOCAL_CLIENTS_JS=0)" >&2
        return 1
    fi
    echo "run.sh: installing tests/clients/js (npm ci)"
    (cd "$js" && npm ci --no-audit --no-fund --loglevel=error) || {
        echo "run.sh: FAILED: npm ci in tests/clients/js" >&2
        return 1
    }
    echo "run.sh: running the JavaScript client tests"
    local out="$work/js-tests.tap" js_rc=0
    (
        cd "$js" &&
            env \
                MTURK_LOCAL_ENDPOINT="$endpoint" \
                MTURK_LOCAL_HIT_KEY="$hit_key" \
                MTURK_LOCAL_HIT_SECRET="$hit_secret" \
                no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}" \
                NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" \
                node --test --test-reporter=tap --test-concurrency=1 test/
    ) | tee "$out" || js_rc=$?
    if ! grep -Eq '^# tests [1-9]' "$out"; then
        echo "run.sh: FAILED: the JavaScript suite ran no tests" >&2
        return 1
    fi
    return "$js_rc"
}

# A free TCP port on the loopback interface.
port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
endpoint="http://127.0.0.1:$port"

# Three requesters: the built-in development one; a second for isolation
# tests, with a starting balance of its own that the balance tests expect; and
# a third who runs the HIT tests and pays for their approvals and bonuses (so
# the first two keep their starting balances however often the suite runs).
other_key="AKIAMTURKLOCALOTHER1"
other_secret="other-secret"
other_balance="25.00"
hit_key="AKIAMTURKLOCALHITS01"
hit_secret="hit-secret"
cat >"$work/config.toml" <<EOF
[[requesters]]
access_key_id = "AKIAMTURKLOCALDEV000"
secret_access_key = "mturk-local-dev-secret-do-not-use-in-production"

[[requesters]]
access_key_id = "$other_key"
secret_access_key = "$other_secret"
starting_balance = "$other_balance"

[[requesters]]
access_key_id = "$hit_key"
secret_access_key = "$hit_secret"
EOF

echo "run.sh: starting $bin on $endpoint"
"$bin" --in-memory --listen "127.0.0.1:$port" --config "$work/config.toml" >"$server_log" 2>&1 &
server_pid=$!

# Ready once the server answers HTTP at all (any status); give up after 30 s.
probe='import sys, urllib.error, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    opener.open(sys.argv[1] + "/", timeout=1).close()
except urllib.error.HTTPError:
    pass
except Exception:
    sys.exit(1)'
deadline=$((SECONDS + 30))
until "$python" -c "$probe" "$endpoint" 2>/dev/null; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
        status=0
        wait "$server_pid" || status=$?
        server_pid=""
        echo "run.sh: FAILED: the server exited (status $status) before it answered on $endpoint" >&2
        show_server_log
        exit 1
    fi
    if ((SECONDS >= deadline)); then
        echo "run.sh: FAILED: the server did not answer on $endpoint within 30 s" >&2
        show_server_log
        exit 1
    fi
    sleep 0.2
done
echo "run.sh: server is up (pid $server_pid)"

venv="${MTURK_LOCAL_CLIENTS_VENV:-$work/venv}"
if [[ ! -x "$venv/bin/python" ]]; then
    echo "run.sh: creating a virtualenv in $venv"
    if ! "$python" -m venv "$venv"; then
        echo "run.sh: FAILED: '$python -m venv' does not work (on Debian: apt-get install python3-venv)" >&2
        exit 1
    fi
fi
echo "run.sh: installing tests/clients/requirements.txt"
"$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q \
    -r tests/clients/requirements.txt

echo "run.sh: running the client tests"
status=0
env \
    MTURK_LOCAL_ENDPOINT="$endpoint" \
    MTURK_LOCAL_OTHER_KEY="$other_key" \
    MTURK_LOCAL_OTHER_SECRET="$other_secret" \
    MTURK_LOCAL_OTHER_BALANCE="$other_balance" \
    MTURK_LOCAL_HIT_KEY="$hit_key" \
    MTURK_LOCAL_HIT_SECRET="$hit_secret" \
    MTURK_LOCAL_BIN="$bin" \
    PYTHONDONTWRITEBYTECODE=1 \
    BOTO_CONFIG=/dev/null \
    no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}" \
    NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" \
    "$venv/bin/python" -m pytest -q tests/clients/legacy tests/clients/modern tests/clients/notifications \
        tests/clients/browser "$@" || status=$?

if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "run.sh: the server died during the tests" >&2
    show_server_log
    [[ $status -ne 0 ]] || status=1
elif [[ $status -ne 0 ]]; then
    show_server_log 100
fi

if [[ $status -eq 5 ]]; then
    echo "run.sh: FAILED: pytest collected no tests" >&2
    status=1
fi

# The JavaScript suite, against the same server (whatever pytest's outcome).
js_status=0
if [[ "${MTURK_LOCAL_CLIENTS_JS:-1}" != "0" ]]; then
    run_js_suite || js_status=$?
    if [[ $js_status -ne 0 ]] && kill -0 "$server_pid" 2>/dev/null; then
        show_server_log 100
    fi
else
    echo "run.sh: MTURK_LOCAL_CLIENTS_JS=0: the JavaScript suite is left out"
fi

# Every command in README.md and docs/, against a server of its own on
# 127.0.0.1:8099 (the address the documents use); see tests/clients/docs.
docs_status=0
if [[ "${MTURK_LOCAL_CLIENTS_DOCS:-1}" != "0" ]]; then
    stop_server
    echo "run.sh: running every command of README.md and docs/ (tests/clients/docs)"
    env \
        MTURK_LOCAL_BIN="$bin" \
        PYTHONDONTWRITEBYTECODE=1 \
        no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}" \
        NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" \
        "$venv/bin/python" -m pytest -q tests/clients/docs "$@" || docs_status=$?
    # Arguments that select other tests (-k faults) may leave none here.
    if [[ $docs_status -eq 5 && $# -gt 0 ]]; then
        docs_status=0
    fi
else
    echo "run.sh: MTURK_LOCAL_CLIENTS_DOCS=0: the documents' commands are left out"
fi

if [[ $status -eq 0 && $js_status -eq 0 && $docs_status -eq 0 ]]; then
    echo "run.sh: client tests passed"
    exit 0
fi
[[ $status -eq 0 ]] || echo "run.sh: client tests FAILED (pytest exit status $status)" >&2
[[ $js_status -eq 0 ]] || echo "run.sh: client tests FAILED (JavaScript suite status $js_status)" >&2
[[ $docs_status -eq 0 ]] || echo "run.sh: client tests FAILED (documents' commands status $docs_status)" >&2
[[ $status -ne 0 ]] || status=$js_status
[[ $status -ne 0 ]] || status=$docs_status
exit "$status"
