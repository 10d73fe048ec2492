#!/usr/bin/env bash
# The one main-job command: builds Reflexbot, starts a local Synapse on 127.0.0.1, registers the
# bot and demo users, lets the bot join a room, run a round and post a digest, prints the
# transcript, stops all.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh >&2
venv="$(scripts/venv.sh)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
# Only the bot: the tests and benchmarks are scripts/test.sh's and bench/run.sh's business.
cmake --build build --target reflexbot >&2

export REFLEXBOT_BIN="${REFLEXBOT_BIN:-build/reflexbot}"
exec "$venv/bin/python" scripts/demo.py "$@"
