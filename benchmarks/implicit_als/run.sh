#!/usr/bin/env bash
# Peer benchmark: implicit's CPU ALS (Python) on the 25M-interaction reko-synth dataset.
# Not run by CI. Usage: benchmarks/implicit_als/run.sh   (from anywhere; BENCH_THREADS=2 default)
#
# Creates benchmarks/.venv (gitignored), installs implicit + scipy/numpy/pandas from PyPI
# wheels, generates benchmarks/data/25m/ (gitignored) with reko-synth's `generate` example if it
# is missing (1M users, 100k items, 25M interactions, seed 42), then runs bench.py on it.
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are left exactly as the environment sets them.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/benchmarks/.venv"
data="$root/benchmarks/data/25m"
threads="${BENCH_THREADS:-2}"

if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import implicit, scipy, numpy, pandas, threadpoolctl' 2>/dev/null; then
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet --only-binary=:all: implicit scipy numpy pandas threadpoolctl
fi

if [[ ! -s "$data/interactions.csv" || ! -s "$data/users.csv" ]]; then
    (cd "$root" && cargo run --release -p reko-synth --example generate -- \
        --users 1000000 --items 100000 --interactions 25000000 --seed 42 --out "$data")
fi

# implicit parallelises over rows itself (num_threads); a threaded BLAS underneath is much slower.
export OPENBLAS_NUM_THREADS=1
export MKL_NUM_THREADS=1

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$venv/bin/python" "$here/bench.py" "$data" --threads "$threads"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
