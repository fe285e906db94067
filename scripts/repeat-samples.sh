#!/usr/bin/env bash
# The public samples suite (crates/reko/tests/it/samples.rs) N times in a row (default 10): issue 18's
# repeatability check. Prints one line per run and exits non-zero if any run failed; each run's
# output is kept in target/repeat-samples/run-K.log.
# Usage: scripts/repeat-samples.sh [N]   (MovieLens 100K from REKO_ML100K_DIR, default ../shared/data/ml-100k)
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
export REKO_ML100K_DIR="${REKO_ML100K_DIR:-$(cd .. && pwd)/shared/data/ml-100k}"
out=target/repeat-samples
mkdir -p "$out"
cargo test -p reko --test it --no-run --quiet || exit 1
failed=0
for k in $(seq 1 "$runs"); do
  start=$SECONDS
  if cargo test -p reko --test it -- samples:: >"$out/run-$k.log" 2>&1; then result=ok; else result=FAILED; failed=$((failed + 1)); fi
  echo "run $k: $result in $((SECONDS - start)) s: $(grep 'test result' "$out/run-$k.log" | tail -1)"
done
echo "$((runs - failed)) of $runs runs passed"
[ "$failed" -eq 0 ]
