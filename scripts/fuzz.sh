#!/usr/bin/env bash
# Builds the sanitizer tree (build-san/: clang, ASan + UBSan, libFuzzer coverage) and fuzzes every
# target in fuzz/ for SECONDS each, starting from a copy of its seed corpus (fuzz/corpus/<target>/
# is never written). Prints per target: executions, executions per second, crashes, the corpus it
# ended with and coverage. Exits non-zero if a target crashed; the input that did it is kept in
# build-san/fuzz-artifacts/<target>/ (reproduce: build-san/fuzz/fuzz_<target> FILE).
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET (default 60)] [TARGET...]
#        scripts/fuzz.sh --build-only        (what scripts/test.sh uses before its ctest run)
# Environment: REFLEXBOT_SAN_BUILD (the tree, default build-san), REFLEXBOT_SAN_CXX_FLAGS.
set -euo pipefail
cd "$(dirname "$0")/.."

build="${REFLEXBOT_SAN_BUILD:-build-san}"
all_targets=(sync commands tags config digest)

# Line tables give sanitizer stacks with file:line at a fraction of the cost of -g. -O1 (default)
# fuzzes about twice as fast as -O0; -O0 compiles twice as fast, which is what CI's short run wants
# (scripts/test.sh). Changing the flags rebuilds the tree.
flags="${REFLEXBOT_SAN_CXX_FLAGS:--O1 -gline-tables-only}"
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$flags" \
  -DREFLEXBOT_FUZZ=ON -DREFLEXBOT_BENCH=OFF >/dev/null
cmake --build "$build"
[[ "${1:-}" == "--build-only" ]] && exit 0

seconds="${1:-60}"
shift || true
targets=("$@")
((${#targets[@]})) || targets=("${all_targets[@]}")

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

work="$(mktemp -d "${TMPDIR:-/tmp}/reflexbot-fuzz-XXXXXX")"
trap 'rm -rf "$work"' EXIT

status=0
printf '%-9s %12s %8s %8s %16s %8s %8s\n' target executions exec/s crashes 'corpus n/size' cov ft
for target in "${targets[@]}"; do
  binary="$build/fuzz/fuzz_$target"
  [[ -x "$binary" ]] || { echo "fuzz: no $binary" >&2; status=1; continue; }
  corpus="$work/$target/corpus"
  artifacts="$work/$target/artifacts"
  mkdir -p "$corpus" "$artifacts"
  cp fuzz/corpus/"$target"/* "$corpus"/
  log="$work/$target/log"
  rc=0
  # -timeout: one input may take this long (sanitizers and a 300-item digest included);
  # -rss_limit_mb: the whole process. Either one exceeded counts as a crash.
  # timeout(1): libFuzzer's out-of-memory report (a heap profile under ASan) can take minutes.
  timeout --signal=KILL $((seconds + 120)) \
    "$binary" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1 || rc=$?

  stat() { sed -n "s/^stat::$1: *\([0-9]*\).*/\1/p" "$log" | tail -1; }
  executions="$(stat number_of_executed_units)"
  per_second="$(stat average_exec_per_sec)"
  # A slow unit (libFuzzer writes it after 10 s) is no crash: on a loaded CI machine a seed
  # input that takes 1 s alone took 14 s; -timeout above is the bound that fails.
  crashes="$(find "$artifacts" -type f ! -name 'slow-unit-*' | wc -l)"
  # The last status line: "#1234 DONE cov: 812 ft: 2301 corp: 95/21Kb ...".
  last="$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")"
  corp="$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$last")"
  printf '%-9s %12s %8s %8s %16s %8s %8s\n' "$target" "${executions:-?}" "${per_second:-?}" \
    "$crashes" "${corp:-?}" "${cov:-?}" "${ft:-?}"
  if ((rc != 0 || crashes > 0)); then
    status=1
    kept="$build/fuzz-artifacts/$target"
    mkdir -p "$kept"
    cp "$artifacts"/* "$kept"/ 2>/dev/null || true
    echo "fuzz: $target failed (exit $rc); input(s) kept in $kept/; the report:" >&2
    grep -v -E '^#[0-9]+ ' "$log" | tail -60 >&2
  fi
done
exit "$status"
