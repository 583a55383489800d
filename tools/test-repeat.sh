#!/usr/bin/env bash
# npm run test:repeat -- [N]   (default 5)
#
# Runs the whole suite N times in a row from a fresh clone of the committed HEAD (npm ci once),
# with a CPU hog on one core beside it, as a loaded CI machine would be, and prints each run's
# result and time, then the pass count. A suite that fails by chance shows here.
set -uo pipefail
runs=${1:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
data=${SKELEX_DATA:-$(cd "$root/../shared/data" 2>/dev/null && pwd)}
[ -d "$data" ] || { echo "no data folder: set SKELEX_DATA (see ../shared/data/README.md)" >&2; exit 1; }
work=$(mktemp -d /tmp/skelex-repeat-XXXXXX)
hog=""
cleanup() { [ -n "$hog" ] && kill "$hog" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

git clone -q "$root" "$work/clone" || exit 1
cd "$work/clone"
echo "fresh clone of $(git log -1 --format='%h %s' | cut -c1-72)" >&2
npm ci --silent || exit 1

# The hog: one busy process at normal priority for the whole repeat.
node -e 'for (;;) {}' &
hog=$!

passed=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  if SKELEX_DATA="$data" npm test >"$work/run-$i.log" 2>&1; then
    passed=$((passed + 1))
    verdict=passed
  else
    verdict="FAILED (log: $root/test-repeat-$i.log)"
    cp "$work/run-$i.log" "$root/test-repeat-$i.log"
  fi
  summary=$(sed 's/\x1b\[[0-9;]*m//g' "$work/run-$i.log" | grep -E '^\s+Tests\s' | tail -1 | xargs)
  echo "run $i of $runs: $verdict in $(($(date +%s) - start)) s ($summary)"
done
echo "test:repeat: $passed of $runs runs passed, with a CPU hog beside them"
[ "$passed" -eq "$runs" ]
