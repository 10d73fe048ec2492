#!/usr/bin/env bash
# Builds the benchmarks in Release (build-bench/), generates 1k/10k/100k-event /sync bodies
# (50 rooms), runs reflexbot-bench-sync RUNS times per body (median reported), the nlohmann DOM
# reference and the Google Benchmark, and prints a markdown table.
#
#   bench/run.sh              # everything
#   RUNS=5 bench/run.sh       # more repetitions
#   SKIP_BUILD=1 bench/run.sh # reuse build-bench/
#   SKIP_GBENCH=1 bench/run.sh
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD_DIR:-build-bench}
RUNS=${RUNS:-3}
BODIES="$BUILD/bodies"

if [[ -z "${SKIP_BUILD:-}" ]]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DREFLEXBOT_TESTS=OFF -DREFLEXBOT_BENCH=ON >/dev/null
  cmake --build "$BUILD" --target reflexbot-bench-sync reflexbot-bench-dom reflexbot-bench reflexbot
fi

mkdir -p "$BODIES"
for n in 1000 10000 100000; do
  f="$BODIES/sync_$((n / 1000))k.json"
  [[ -s "$f" ]] || python3 tests/fixtures/sync/generate_sync.py --events "$n" --rooms 50 --seed 1 --out "$f"
done

# The store goes to disk next to the build (fsync on commit is part of the path), not to a tmpfs.
export TMPDIR="$PWD/$BUILD/tmp"
mkdir -p "$TMPDIR"

echo "# $(date -Is) on $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" >&2
echo "# $(g++ --version | head -1); load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

RESULTS="$BUILD/results.jsonl"
: >"$RESULTS"
for k in 1 10 100; do
  for ((i = 1; i <= RUNS; i++)); do
    line=$("$BUILD/bench/reflexbot-bench-sync" "$BODIES/sync_${k}k.json")
    echo "sync ${k}k run $i: $line" >&2
    echo "{\"kind\":\"sync\",\"size\":\"${k}k\",\"result\":$line}" >>"$RESULTS"
  done
done
for ((i = 1; i <= RUNS; i++)); do
  line=$("$BUILD/bench/reflexbot-bench-dom" "$BODIES/sync_100k.json")
  echo "dom 100k run $i: $line" >&2
  echo "{\"kind\":\"dom\",\"size\":\"100k\",\"result\":$line}" >>"$RESULTS"
done

python3 - "$RESULTS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
MiB = 1024 * 1024
def med(xs): return statistics.median(xs)
print("| body | events | body MiB | events/s wall (median) | events/s CPU (median) | peak RSS MiB (whole process) | peak above baseline MiB | whole / body | above baseline / body |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
peaks = {}
for kind, size in [("sync", "1k"), ("sync", "10k"), ("sync", "100k"), ("dom", "100k")]:
    rs = [r["result"] for r in rows if r["kind"] == kind and r["size"] == size]
    if not rs: continue
    body = rs[0]["body_bytes"]
    eps = med([r["events_per_second"] for r in rs])
    cpu = med([r["events"] / r["cpu_seconds"] for r in rs if r.get("cpu_seconds")]) if kind == "sync" else None
    peak = med([r["peak_rss_bytes"] for r in rs])
    above = med([r["peak_above_baseline_bytes"] for r in rs])
    peaks[(kind, size)] = (body, peak)
    name = size if kind == "sync" else size + " (nlohmann DOM, parse only)"
    cpu_text = f"{cpu:,.0f}" if cpu else "–"
    print(f"| {name} | {rs[0]['events']} | {body / MiB:.2f} | {eps:,.0f} | {cpu_text} | {peak / MiB:.1f} | {above / MiB:.1f} | {peak / body:.2f}× | {above / body:.2f}× |")
if ("sync", "10k") in peaks and ("sync", "100k") in peaks:
    (b1, p1), (b2, p2) = peaks[("sync", "10k")], peaks[("sync", "100k")]
    print(f"\nMarginal peak RSS per body byte, 10k -> 100k: {(p2 - p1) / (b2 - b1):.2f} (the body itself included)")
print(f"\n(median of {len(rs)} runs each; {sys.argv[1]})")
PY
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

if [[ -z "${SKIP_GBENCH:-}" ]]; then
  REFLEXBOT_BENCH_BODIES="$PWD/$BODIES" "$BUILD/bench/reflexbot-bench" --benchmark_repetitions="$RUNS" \
    --benchmark_report_aggregates_only=true --benchmark_out="$BUILD/gbench.json" --benchmark_out_format=json
fi
