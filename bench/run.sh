#!/usr/bin/env bash
# Builds the benchmarks in Release (build-bench/), generates 1k/10k/100k-event /sync bodies
# (50 rooms), runs reflexbot-bench-sync RUNS times per body (median reported), the nlohmann DOM
# reference and the Google Benchmark, and prints a markdown table. Then the digests (issue 4):
# stores of 10k/100k/1M contributions (built once, kept in build-bench/digest-stores/), one
# process per run of reflexbot-bench-digest pinned to one core, DIGEST_RUNS runs per size (median),
# a per-phase run per size, a table with the growth check, and the digest Google Benchmark.
#
#   bench/run.sh              # everything
#   RUNS=5 bench/run.sh       # more repetitions
#   SKIP_BUILD=1 bench/run.sh # reuse build-bench/
#   SKIP_GBENCH=1 bench/run.sh
#   SKIP_SYNC=1 bench/run.sh  # digests only;  SKIP_DIGEST=1: /sync only
#   DIGEST_SIZES="10000 100000" DIGEST_RUNS=3 DIGEST_CPU=1 SKIP_SYNC=1 bench/run.sh
#   DIGEST_PREVIOUS=0 …                    # the store holds just the N of the period (default 1:
#                                          # N more in the previous period)
#   DIGEST_MAX_LOAD=1.0 DIGEST_WAIT=600 …  # before each digest run, wait (at most DIGEST_WAIT s)
#                                          # for a 1-minute load average below DIGEST_MAX_LOAD
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD_DIR:-build-bench}
RUNS=${RUNS:-3}
BODIES="$BUILD/bodies"

if [[ -z "${SKIP_BUILD:-}" ]]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DREFLEXBOT_TESTS=OFF -DREFLEXBOT_BENCH=ON >/dev/null
  cmake --build "$BUILD" --target reflexbot-bench-sync reflexbot-bench-dom reflexbot-bench \
    reflexbot-bench-digest reflexbot
fi

# The store goes to disk next to the build (fsync on commit is part of the path), not to a tmpfs.
export TMPDIR="$PWD/$BUILD/tmp"
mkdir -p "$TMPDIR"

echo "# $(date -Is) on $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" >&2
echo "# $(g++ --version | head -1); load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

if [[ -z "${SKIP_SYNC:-}" ]]; then
  mkdir -p "$BODIES"
  for n in 1000 10000 100000; do
    f="$BODIES/sync_$((n / 1000))k.json"
    [[ -s "$f" ]] || python3 tests/fixtures/sync/generate_sync.py --events "$n" --rooms 50 --seed 1 --out "$f"
  done

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
fi

# Digests (issue 4). The stores are built once per size (untimed); each measurement is its own
# process on one core. The load average is recorded with every run: compare runs at similar load.
if [[ -z "${SKIP_DIGEST:-}" ]]; then
  DIGEST_SIZES=${DIGEST_SIZES:-"10000 100000 1000000"}
  DIGEST_RUNS=${DIGEST_RUNS:-5}
  DIGEST_CPU=${DIGEST_CPU:-1}
  # The previous period holds DIGEST_PREVIOUS · N more contributions (0: the store holds just the
  # N of the period).
  DIGEST_PREVIOUS=${DIGEST_PREVIOUS:-1}
  DIGEST="$BUILD/bench/reflexbot-bench-digest"
  # On a shared machine: wait for a quiet moment (if asked to); the run records the load anyway.
  wait_for_quiet() {
    [[ -n "${DIGEST_MAX_LOAD:-}" ]] || return 0
    local waited=0
    while awk -v max="$DIGEST_MAX_LOAD" '{ exit !($1 >= max) }' /proc/loadavg &&
      ((waited < ${DIGEST_WAIT:-600})); do
      sleep 10
      waited=$((waited + 10))
    done
  }
  # shellcheck disable=SC2086
  "$DIGEST" prepare $DIGEST_SIZES --previous "$DIGEST_PREVIOUS" >"$BUILD/digest-stores.jsonl"
  DRESULTS="$BUILD/digest-results.jsonl"
  DPHASES="$BUILD/digest-phases.jsonl"
  : >"$DRESULTS"
  : >"$DPHASES"
  for n in $DIGEST_SIZES; do
    for ((i = 1; i <= DIGEST_RUNS; i++)); do
      wait_for_quiet
      line=$(taskset -c "$DIGEST_CPU" "$DIGEST" run "$n" --previous "$DIGEST_PREVIOUS")
      echo "digest $n run $i: $line" >&2
      echo "$line" >>"$DRESULTS"
    done
    wait_for_quiet
    # Each phase the fastest of 3 rounds (1 for the largest sizes, which take minutes).
    line=$(taskset -c "$DIGEST_CPU" "$DIGEST" phases "$n" --previous "$DIGEST_PREVIOUS" \
      --repeat $((n <= 100000 ? 3 : 1)))
    echo "digest $n phases: $line" >&2
    echo "$line" >>"$DPHASES"
  done

  python3 - "$DRESULTS" "$DPHASES" <<'PY'
import json, math, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
phases = {}
for l in open(sys.argv[2]):
    if l.strip():
        p = json.loads(l)
        phases[p["contributions"]] = p
MiB = 1024 * 1024
med = statistics.median
sizes = sorted({r["contributions"] for r in rows})
print("\n| N (period) | loaded (with previous week) | wall s (median) | CPU s (median) | CPU µs / contribution | peak RSS MiB (whole process) | above baseline MiB | groups (≥ 2 members) | largest group | load 1 min |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
cpu = {}
for n in sizes:
    rs = [r for r in rows if r["contributions"] == n]
    w, c = med([r["seconds"] for r in rs]), med([r["cpu_seconds"] for r in rs])
    cpu[n] = c
    peak, above = med([r["peak_rss_bytes"] for r in rs]), med([r["peak_above_baseline_bytes"] for r in rs])
    loads = [r["load1_before"] for r in rs]
    print(f"| {n:,} | {rs[0]['items']:,} | {w:.3f} | {c:.3f} | {c / n * 1e6:.1f} | {peak / MiB:.1f} | {above / MiB:.1f} | "
          f"{rs[0]['groups']:,} ({rs[0]['groups_2plus']:,}) | {rs[0]['largest_group']:,} | {min(loads):.2f}–{max(loads):.2f} |")
if len(sizes) > 1:
    base = sizes[0]
    print("\nGrowth (CPU time, relative to the smallest N):\n")
    print("| N | t / n | t / (n log n) | exponent to previous N |")
    print("|---:|---:|---:|---:|")
    prev = None
    for n in sizes:
        a = (cpu[n] / n) / (cpu[base] / base)
        b = (cpu[n] / (n * math.log(n))) / (cpu[base] / (base * math.log(base)))
        e = f"{math.log(cpu[n] / cpu[prev]) / math.log(n / prev):.2f}" if prev else "–"
        print(f"| {n:,} | {a:.2f} | {b:.2f} | {e} |")
        prev = n
if phases:
    names = ["load", "analyze", "tfidf", "group", "build_digest", "render"]
    print("\nPhases (CPU s, fastest of the rounds; terms = stored keys to term ids and tags; rank = build_digest − terms − tf-idf − group):\n")
    print("| N | rounds | load | terms | tf-idf | group | rank (derived) | render | load 1 min |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for n in sorted(phases):
        p = phases[n]
        c = {k: p[k]["cpu_seconds"] for k in names}
        rank = c["build_digest"] - c["analyze"] - c["tfidf"] - c["group"]
        print(f"| {n:,} | {p.get('repeat', 1)} | {c['load']:.2f} | {c['analyze']:.2f} | {c['tfidf']:.2f} | {c['group']:.2f} | {rank:.2f} | {c['render']:.2f} | {p['load1_before']:.2f} |")
print(f"\n(raw: {sys.argv[1]}, {sys.argv[2]})")
PY

  if [[ -z "${SKIP_GBENCH:-}" ]]; then
    wait_for_quiet
    taskset -c "$DIGEST_CPU" "$DIGEST" --benchmark_repetitions="$RUNS" \
      --benchmark_report_aggregates_only=true --benchmark_out="$BUILD/digest-gbench.json" \
      --benchmark_out_format=json
  fi
  echo "# load after digests: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
fi
