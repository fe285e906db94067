#!/usr/bin/env bash
# Issue 12's training-time figure, side by side in one run: implicit's bare 15-iteration ALS fit
# (benchmarks/implicit_als/bench.py) against Reko's whole training job (`train()`: self-tuning,
# offline evaluation with all metrics, final fit, artifact), on the same reko-synth data
# (5,000,000 interactions, 200,000 users, 100,000 items, seed 42) and the same 2 threads.
# Not run by CI. Usage: benchmarks/training_time/run.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/benchmarks/.venv"
data="$root/benchmarks/data/5m"

if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import implicit, scipy, numpy, pandas, threadpoolctl' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --only-binary=:all: implicit scipy numpy pandas threadpoolctl
fi
if [[ ! -s "$data/interactions.csv" ]]; then
    (cd "$root" && cargo run --release -p reko-synth --example generate -- \
        --users 200000 --items 100000 --interactions 5000000 --seed 42 --out "$data")
fi
echo "== implicit (bare fit, 15 iterations, 64 factors, 2 threads)"
OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 "$venv/bin/python" "$root/benchmarks/implicit_als/bench.py" "$data" --threads 2
echo "== Reko (fit, then the whole train() job)"
(cd "$root" && REKO_BENCH_CSV="$data/interactions.csv" cargo bench -p reko-engine --bench als)
