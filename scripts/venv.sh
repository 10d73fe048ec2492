#!/usr/bin/env bash
# Creates the Python venv with Synapse, pytest and matrix-nio (the independent E2EE participant
# client of tests/e2e/e2ee.py) used by the e2e tests and the demo.
# Prints nothing but progress on stderr; the venv path on stdout.
# Location: ${XDG_CACHE_HOME:-$HOME/.cache}/reflexbot/venv (override with REFLEXBOT_VENV).
set -euo pipefail

SYNAPSE_VERSION=1.163.2
PYTEST_VERSION=">=7,<10"
# Two workers, each with a Synapse of its own (the session fixtures are per worker).
XDIST_VERSION=3.8.0
# Its e2e extra brings vodozemac's Python bindings, not libolm and not our matrix-sdk-crypto.
NIO_VERSION=0.26.0
venv="${REFLEXBOT_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/reflexbot/venv}"
stamp="$venv/.reflexbot-stamp"
want="matrix-synapse==$SYNAPSE_VERSION pytest$PYTEST_VERSION pytest-xdist==$XDIST_VERSION matrix-nio[e2e]==$NIO_VERSION"

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "venv: $venv is up to date" >&2
  echo "$venv"
  exit 0
fi

echo "venv: creating $venv (matrix-synapse==$SYNAPSE_VERSION, pytest, matrix-nio $NIO_VERSION)" >&2
mkdir -p "$(dirname "$venv")"
[[ -x "$venv/bin/python" ]] || /usr/bin/python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >&2
"$venv/bin/python" -m pip install -q --disable-pip-version-check \
  "matrix-synapse==$SYNAPSE_VERSION" "pytest$PYTEST_VERSION" "pytest-xdist==$XDIST_VERSION" "matrix-nio[e2e]==$NIO_VERSION" >&2
"$venv/bin/python" -c "import synapse, pytest, xdist, nio, vodozemac" >&2
echo "$want" > "$stamp"
echo "$venv"
