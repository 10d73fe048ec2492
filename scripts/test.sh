#!/usr/bin/env bash
# The one test command: dependencies, venv, the bot's build (build/), the crypto wrapper's cargo
# tests, the format check and the systemd unit, end-to-end tests (pytest) against that bot, and
# beside them the unit tests (ctest) under ASan + UBSan and a short fuzz run (build-san/).
# Runs every stage it can and exits non-zero if any failed; pytest's output comes last.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
stage() { echo "===== $(date +%T) (+$((SECONDS - started)) s) $*" >&2; }
stage "dependencies"
scripts/deps.sh

# The crypto library (Rust, the longest single build step) and its test binary start at once, in
# the one cargo folder both build trees use, while the venv is set up; the CMake builds below
# find them done or wait for cargo's lock.
cargo="$(command -v cargo || echo "$HOME/.cargo/bin/cargo")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/build-cargo}"
rust_manifest=bot/crypto/rust/Cargo.toml
cargo_log="$(mktemp "${TMPDIR:-/tmp}/reflexbot-cargo-XXXXXX.log")"
# The bot's libcurl first (half a minute): bot/net waits for it, and cargo builds one crate at a time
# in a target folder.
("$cargo" build --release --locked --lib --manifest-path bot/net/curl/Cargo.toml &&
  "$cargo" build --release --locked --lib --manifest-path "$rust_manifest" &&
  "$cargo" test --release --locked --no-run --manifest-path "$rust_manifest") >"$cargo_log" 2>&1 &
cargo_pid=$!

venv="$(scripts/venv.sh)"

# The unit tests under ASan + UBSan (any report fails the test), then each fuzz target for a short
# run over a copy of its seed corpus; both in build-san/ (clang, -O0 so it compiles fast;
# scripts/fuzz.sh). This stage starts at once and runs beside everything else at lower priority
# (most of the end-to-end tests' time is waiting for Synapse), so CI stays under 30 minutes on two
# cores. Its output follows pytest's. systemd_unit only checks the installed unit file (run on
# build/ below).
sanitized() {
  export REFLEXBOT_SAN_CXX_FLAGS="-O0 -gline-tables-only"
  echo "===== $(date +%T) sanitizer build"
  scripts/fuzz.sh --build-only || return 1
  echo "===== $(date +%T) sanitizer ctest"
  local rc=0
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0" \
    ctest --test-dir build-san --output-on-failure -j2 -E '^systemd_unit$' || rc=$?
  echo "===== $(date +%T) fuzzing"
  scripts/fuzz.sh "${REFLEXBOT_FUZZ_SECONDS:-10}" || rc=$?
  return "$rc"
}
san_log="$(mktemp "${TMPDIR:-/tmp}/reflexbot-sanitized-XXXXXX.log")"
nice -n 15 bash -c "$(declare -f sanitized); sanitized" >"$san_log" 2>&1 &
san_pid=$!

# build/ is the bot the end-to-end tests run, nothing else: the unit tests are built and run once,
# in build-san/ under ASan + UBSan (a second, unsanitized build of them cost CI about 5 CPU-minutes
# of its 30 minutes); benchmarks are bench/run.sh's, in Release. -O1 with line tables (-g1)
# instead of -O2 -g: half the compile time (one heavy file: 36 s -> 20 s, measured), and
# backtraces still name file and line.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREFLEXBOT_BENCH=OFF -DREFLEXBOT_E2E_HOOKS=ON \
  -DREFLEXBOT_TESTS=OFF "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=${REFLEXBOT_TEST_CXX_FLAGS:--O1 -g1 -DNDEBUG}"
stage "build (build/)"
cmake --build build
stage "build done"

status=0
# The Rust wrapper's own tests (two devices through the C ABI), in the release profile the build
# used, so its dependencies are not built a second time.
if ! wait "$cargo_pid"; then
  echo "cargo build of the bot's libcurl or the crypto library failed:" >&2
  tail -40 "$cargo_log" >&2
  status=1
fi
rm -f "$cargo_log"
stage "cargo test, format, the installed systemd unit"
"$cargo" test --release --locked --manifest-path "$rust_manifest" || status=$?
scripts/check-format.sh || status=$?
tests/ops/systemd_unit.sh build || status=$?

stage "end-to-end tests"
export REFLEXBOT_BIN="${REFLEXBOT_BIN:-build/reflexbot}"
# Two workers, each with its own Synapse, a test file per worker at a time: most of an
# end-to-end test's time is waiting, and CI has 30 minutes.
"$venv/bin/python" -m pytest tests/e2e -n "${REFLEXBOT_E2E_WORKERS:-2}" --dist loadfile \
  --durations=12 "$@" || status=$?

stage "waiting for the sanitizer stage"
san_status=0
wait "$san_pid" || san_status=$?
stage "sanitizer stage done"
echo "----- sanitizers and fuzzing (build-san/) -----"
grep -v -E '^\[[0-9]+/[0-9]+\] ' "$san_log" | tail -120
rm -f "$san_log"
if ((san_status != 0)); then
  echo "sanitizer or fuzz stage failed (exit $san_status)" >&2
  status=1
fi
exit "$status"
