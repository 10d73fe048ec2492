#!/usr/bin/env bash
# Whether two builds of reflexbot-bench-digest give the same digests: every group (members,
# counts, title, keywords, quotes), the sections and the rendered text, for the four labelled
# fixtures (file order, without hashtags, three shuffles) and the benchmark's stores. Made for
# speed work on the digest (issue 15), where the result must not change.
#
#   bench/digest_identical.sh OLD_BINARY NEW_BINARY [DUMP_DIR]
#   DIGEST_SIZES="10000:1 100000:0 100000:1" bench/digest_identical.sh …   # N:previous ratio
#
# OLD_BINARY is a build of the code before the change (e.g. main's build-bench/bench/
# reflexbot-bench-digest copied aside with its .so files); its dumps are kept in
# DUMP_DIR/old (default /tmp/digest-identical) and made again only if missing. Both binaries
# read the same stores (REFLEXBOT_BENCH_DIGEST_DIR, default NEW_BINARY's build dir/digest-stores).
# Exit status 0 if every dump is byte-identical.
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1
new=$2
dir=${3:-/tmp/digest-identical}
sizes=${DIGEST_SIZES:-"10000:1 100000:0 100000:1"}
mkdir -p "$dir/old" "$dir/new"
export REFLEXBOT_BENCH_DIGEST_DIR=${REFLEXBOT_BENCH_DIGEST_DIR:-$(dirname "$(dirname "$new")")/digest-stores}

dump() {  # binary side name args…
  local binary=$1 side=$2 name=$3
  shift 3
  if [[ $side == old && -s "$dir/old/$name" ]]; then return; fi
  "$binary" "$@" >"$dir/$side/$name.tmp"
  mv "$dir/$side/$name.tmp" "$dir/$side/$name"
}

status=0
compare() {  # name args…
  local name=$1
  shift
  dump "$old" old "$name" "$@"
  dump "$new" new "$name" "$@"
  if cmp -s "$dir/old/$name" "$dir/new/$name"; then
    echo "same      $name ($(wc -c <"$dir/new/$name") bytes)"
  else
    echo "DIFFERENT $name:"
    diff "$dir/old/$name" "$dir/new/$name" | head -c 2000 || true
    echo
    status=1
  fi
}

for f in tests/fixtures/digest/grouping_*.tsv; do
  compare "$(basename "$f" .tsv).txt" dump-fixture "$f"
done
for spec in $sizes; do
  compare "store-${spec%%:*}-p${spec##*:}.txt" dump "${spec%%:*}" --previous "${spec##*:}"
done
exit $status
