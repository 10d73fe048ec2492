#!/usr/bin/env bash
# Prints the path of promtool (Prometheus' own checker, from Debian's `prometheus` package), which
# the end-to-end tests use to check the metrics endpoint's output and the example alert rules.
# Only the one binary is taken from the package (apt-get download + dpkg -x into the cache), so
# no Prometheus server is installed or started. Progress on stderr, the path on stdout.
set -euo pipefail
cache="${XDG_CACHE_HOME:-$HOME/.cache}/reflexbot/promtool"
if [[ -x "$cache/promtool" ]]; then
  echo "$cache/promtool"
  exit 0
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/reflexbot-promtool-XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "promtool: fetching Debian's prometheus package for its promtool" >&2
sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
# The package lists may be missing (a fresh image): read them once and try again.
(cd "$work" && apt-get download prometheus >&2) ||
  { "${sudo[@]}" apt-get update -q >&2 && (cd "$work" && apt-get download prometheus >&2); } || {
  echo "promtool: 'apt-get download prometheus' failed (is a Debian mirror reachable?)" >&2
  exit 1
}
dpkg -x "$work"/prometheus_*.deb "$work/root"
mkdir -p "$cache"
install -m 0755 "$work/root/usr/bin/promtool" "$cache/promtool"
"$cache/promtool" --version >&2
echo "$cache/promtool"
