#!/usr/bin/env bash
# Peer models for the quality comparison: tuned EASE and tuned implicit ALS on splits written by
# `REKO_PEERS_DIR=DIR cargo bench -p reko-engine --bench self_tuning`. Not run by CI.
# Usage: benchmarks/peers/run.sh DIR [DIR ...] [peers.py options]   (BENCH_THREADS=2 default)
#
# Creates benchmarks/.venv (gitignored; shared with benchmarks/implicit_als/run.sh) with
# implicit + scipy/numpy/pandas/threadpoolctl from PyPI wheels, then runs peers.py.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/benchmarks/.venv"
threads="${BENCH_THREADS:-2}"

if [[ $# -eq 0 ]]; then
    echo "usage: $0 DIR [DIR ...] [peers.py options]" >&2
    exit 2
fi

if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import implicit, scipy, numpy, pandas, threadpoolctl' 2>/dev/null; then
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet --only-binary=:all: implicit scipy numpy pandas threadpoolctl
fi

# implicit parallelises over rows itself (num_threads); a threaded BLAS underneath is much slower.
# peers.py raises the BLAS pool back to $threads (threadpoolctl) only around EASE's inverses.
export OPENBLAS_NUM_THREADS=1
export MKL_NUM_THREADS=1

"$venv/bin/python" "$here/peers.py" --threads "$threads" "$@"
