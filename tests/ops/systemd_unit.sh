#!/usr/bin/env bash
# The installed systemd unit: `cmake --install` into a temporary DESTDIR (prefix /usr) must put
# the binary, unit, example config, templates and docs in place; `systemd-analyze security`
# must rate the unit at most 1.1 and `systemd-analyze verify` must accept it without a word; the
# unit must forbid core dumps and cap the memory.
# Usage: tests/ops/systemd_unit.sh BUILD_DIR   (registered with ctest as systemd_unit)
set -euo pipefail

build="${1:?usage: systemd_unit.sh BUILD_DIR}"
max_exposure=1.1

fail() { echo "FAIL: $*" >&2; exit 1; }

command -v systemd-analyze >/dev/null ||
  fail "systemd-analyze not found; scripts/deps.sh installs the systemd package"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/reflexbot-unit-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
root="$tmp/root"

DESTDIR="$root" cmake --install "$build" --prefix /usr >"$tmp/install.log" ||
  { cat "$tmp/install.log" >&2; fail "cmake --install failed"; }

# What an admin finds after the install.
[[ -x "$root/usr/bin/reflexbot" ]] || fail "no executable /usr/bin/reflexbot"
[[ -f "$root/usr/share/doc/reflexbot/examples/reflexbot.yaml" ]] || fail "no example config"
[[ -f "$root/usr/share/doc/reflexbot/operations.md" ]] || fail "no docs/operations.md"
ls "$root"/usr/share/reflexbot/templates/*.yaml >/dev/null 2>&1 || fail "no templates"
# The crypto library and the chart renderer, which the program loads (dlopen) only when it needs
# them, from ../lib/…/reflexbot relative to itself. Under MemoryDenyWriteExecute= the loader may
# never make memory executable after mapping it: no text relocations, no executable stack.
for file in libreflexbot_crypto.so libreflexbot_render.so; do
  lib="$(find "$root/usr/lib" -path "*/reflexbot/$file" | head -n 1)"
  [[ -n "$lib" ]] || fail "no $file under /usr/lib/…/reflexbot"
  echo "installed: ${lib#"$root"}"
  if command -v readelf >/dev/null; then
    ! readelf -dW "$lib" | grep -q TEXTREL || fail "$file has text relocations"
    readelf -lW "$lib" | grep GNU_STACK | grep -qv RWE || fail "$file wants an executable stack"
  fi
done
# The installed program finds its crypto library there (recovery-key needs nothing else).
key="$("$root/usr/bin/reflexbot" recovery-key 2>"$tmp/recovery.log")" ||
  { cat "$tmp/recovery.log" >&2; fail "the installed program cannot use its crypto library"; }
[[ "$key" =~ ^[1-9A-HJ-NP-Za-km-z]{4}( [1-9A-HJ-NP-Za-km-z]{1,4})+$ ]] ||
  fail "recovery-key printed no recovery key: $key"

unit=""
for dir in "$root/usr/lib/systemd/system" "$root/lib/systemd/system"; do
  [[ -f "$dir/reflexbot.service" ]] && unit="$dir/reflexbot.service"
done
[[ -n "$unit" ]] || fail "no reflexbot.service under lib/systemd/system"
echo "installed unit: ${unit#"$root"}"
grep -qx 'ExecStart=/usr/bin/reflexbot --config /etc/reflexbot/reflexbot.yaml' "$unit" ||
  fail "ExecStart does not name the installed binary: $(grep ExecStart "$unit")"

grep -qx 'LimitCORE=0' "$unit" || fail "the unit allows core dumps: no LimitCORE=0"
grep -qE '^MemoryMax=[0-9]+[KMGT]?$' "$unit" || fail "the unit has no MemoryMax="

# "→ Overall exposure level for reflexbot.service: 1.1 OK 🙂" → 1.1
exposure_of() {
  systemd-analyze security --offline=yes --no-pager "$1" 2>&1 |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9.]*\).*/\1/p'
}
above() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }

# The check itself must be able to fail: an unhardened unit rates far above the limit.
printf '[Service]\nExecStart=/usr/bin/true\n' >"$tmp/plain.service"
plain="$(exposure_of "$tmp/plain.service")"
[[ -n "$plain" ]] || fail "no exposure level in the output for an unhardened unit"
above "$plain" "$max_exposure" || fail "an unhardened unit rated $plain; the check is broken"

exposure="$(exposure_of "$unit")"
[[ -n "$exposure" ]] || {
  systemd-analyze security --offline=yes --no-pager "$unit" >&2 || true
  fail "no exposure level in the output of systemd-analyze security"
}
echo "systemd-analyze security: overall exposure $exposure (limit $max_exposure)"
if above "$exposure" "$max_exposure"; then
  systemd-analyze security --offline=yes --no-pager "$unit" | grep -v '✓' >&2 || true
  fail "exposure $exposure is above $max_exposure"
fi

# verify checks that ExecStart's binary exists; with systemd 252 --root needs a whole unit tree
# (sysinit.target …), so verify a copy whose ExecStart points into the DESTDIR instead.
# verify warns about unparsable lines but still exits 0: any line about the unit fails the test.
mkdir "$tmp/verify"
sed "s|/usr/bin/reflexbot|$root/usr/bin/reflexbot|g" "$unit" >"$tmp/verify/reflexbot.service"
status=0
output="$(systemd-analyze verify --man=no "$tmp/verify/reflexbot.service" 2>&1)" || status=$?
if ((status != 0)) || grep -q 'reflexbot' <<<"$output"; then
  echo "$output" >&2
  fail "systemd-analyze verify rejected the unit (exit $status)"
fi
[[ -z "$output" ]] && echo "systemd-analyze verify: ok" ||
  echo "systemd-analyze verify: ok (notes about other units: $output)"
echo "PASS"
