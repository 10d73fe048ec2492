#!/usr/bin/env bash
# The one test command: dependencies, venv, build, unit tests (ctest), end-to-end tests (pytest).
# Runs every stage it can and exits non-zero if any failed; pytest's output comes last.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
venv="$(scripts/venv.sh)"

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build

status=0
scripts/check-format.sh || status=$?
ctest --test-dir build --output-on-failure || status=$?

export REFLEXBOT_BIN="${REFLEXBOT_BIN:-build/reflexbot}"
"$venv/bin/python" -m pytest tests/e2e "$@" || status=$?
exit "$status"
