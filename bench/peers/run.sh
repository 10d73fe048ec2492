#!/usr/bin/env bash
# The peers side by side (issue 17, item 4): Reflexbot (reflexbot-bench-sync: parse, collect,
# one committed transaction; once as after a start or ten idle minutes, when the batch's first
# contribution loads the text analysis's dictionaries, once with them loaded), matrix-nio
# (SyncResponse.from_dict) and matrix-js-sdk (SyncAccumulator + one MatrixEvent per event) on
# the same /sync body, in turns, ROUNDS rounds;
# prints each one's events/s (median and range over the rounds) and Reflexbot's ratio to each,
# round by round. What each tool measures: the header of nio_sync_bench.py and js/sync_bench.mjs.
#
#   bench/peers/run.sh                      # generated 10k body (50 rooms, seed 1), 5 rounds
#   bench/peers/run.sh --events 100000 --rounds 3
#   bench/peers/run.sh --body FILE
#   BENCH_SYNC=path/to/reflexbot-bench-sync bench/peers/run.sh   # default build-bench/bench/…
#
# Needs a Release build with benchmarks (bench/run.sh builds one, or: cmake -S . -B build-bench
# -G Ninja -DCMAKE_BUILD_TYPE=Release -DREFLEXBOT_BENCH=ON && cmake --build build-bench --target
# reflexbot-bench-sync), python3 and node >= 20 with npm. matrix-nio comes from the test harness's
# venv (~/.cache/reflexbot/venv) when it has it, else from a venv of its own (bench/peers/.venv,
# requirements.txt); matrix-js-sdk from npm (`npm ci`, package-lock.json). Not part of CI.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
events=10000
body=""
rounds=5
while [[ $# -gt 0 ]]; do
  case "$1" in
    --events) events=$2; shift 2 ;;
    --body) body=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    *) echo "usage: bench/peers/run.sh [--events N | --body FILE] [--rounds R]" >&2; exit 2 ;;
  esac
done
bench_sync=${BENCH_SYNC:-$root/build-bench/bench/reflexbot-bench-sync}
[[ -x "$bench_sync" ]] || { echo "no $bench_sync: build reflexbot-bench-sync first" >&2; exit 2; }

python=${NIO_PYTHON:-}
if [[ -z "$python" ]]; then
  if "$HOME/.cache/reflexbot/venv/bin/python" -c 'import nio' 2>/dev/null; then
    python=$HOME/.cache/reflexbot/venv/bin/python
  else
    [[ -x "$here/.venv/bin/python" ]] || python3 -m venv "$here/.venv"
    "$here/.venv/bin/pip" install -q -r "$here/requirements.txt"
    python=$here/.venv/bin/python
  fi
fi
(cd "$here/js" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

# The store goes to disk next to the build (fsync on commit is part of the path), not to a tmpfs.
work=$(mktemp -d "${TMPDIR:-/tmp}/reflexbot-peers.XXXXXX")
trap 'rm -rf "$work"' EXIT
export TMPDIR=$work
if [[ -z "$body" ]]; then
  body=$work/sync_$events.json
  python3 "$root/tests/fixtures/sync/generate_sync.py" --events "$events" --rooms 50 --seed 1 \
    --out "$body"
fi

exec python3 "$here/compare.py" --rounds "$rounds" --body "$body" \
  --tool "Reflexbot=$bench_sync {body} --repeat 3" \
  --tool "Reflexbot, dictionaries loaded=$bench_sync {body} --repeat 3 --warm" \
  --tool "matrix-nio=$python $here/nio_sync_bench.py {body} --repeat 3" \
  --tool "matrix-js-sdk=node $here/js/sync_bench.mjs {body} --repeat 3"
