#!/usr/bin/env bash
# Tests the pytest plugin (clients/python) against a built mturk-local: makes a
# virtualenv, installs the package with its test extras (pinned by
# constraints.txt), runs mypy --strict on the package and its tests, then pytest.
#
# usage: clients/python/run-tests.sh BINARY [PYTEST ARGS...]
#   BINARY  the built server, e.g. target/release/mturk-local
#
# environment:
#   MTURK_LOCAL_PLUGIN_VENV  a virtualenv to use (created if missing) instead of a
#                            new one in a temporary folder
#   MTURK_LOCAL_PYTHON       the Python that creates the venv (default python3)
#
# Exits 0 only if mypy and pytest both pass; pytest's "no tests collected" fails.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -lt 1 ]]; then
    echo "usage: clients/python/run-tests.sh BINARY [PYTEST ARGS...]" >&2
    exit 2
fi
bin="$1"
shift
[[ "$bin" == /* ]] || bin="$PWD/$bin"
if [[ ! -x "$bin" ]]; then
    echo "run-tests.sh: server binary not found or not executable: $bin" >&2
    exit 2
fi

python="${MTURK_LOCAL_PYTHON:-python3}"
tmp=""
cleanup() { [[ -z "$tmp" ]] || rm -rf "$tmp"; }
trap cleanup EXIT
if [[ -n "${MTURK_LOCAL_PLUGIN_VENV:-}" ]]; then
    venv="$MTURK_LOCAL_PLUGIN_VENV"
else
    tmp="$(mktemp -d "${TMPDIR:-/tmp}/mturk-local-plugin.XXXXXX")"
    venv="$tmp/venv"
fi
if [[ ! -x "$venv/bin/python" ]]; then
    if ! "$python" -m venv "$venv"; then
        echo "run-tests.sh: FAILED: '$python -m venv' does not work (on Debian: apt-get install python3-venv)" >&2
        exit 1
    fi
fi

echo "== installing pytest-mturk-local[test] into $venv"
"$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q \
    -c "$here/constraints.txt" "$here[test]"
"$venv/bin/python" -m pip check

echo "== mypy --strict"
# From the package folder, so that [tool.mypy] in pyproject.toml applies; the
# installed package is what the tests import.
(cd "$here" && "$venv/bin/python" -m mypy --strict src/pytest_mturk_local tests)

echo "== pytest"
status=0
(cd "$here" && MTURK_LOCAL_BIN="$bin" "$venv/bin/python" -m pytest -q "$@") || status=$?
if [[ $status -eq 5 ]]; then
    echo "run-tests.sh: FAILED: pytest collected no tests" >&2
    exit 1
fi
exit $status
