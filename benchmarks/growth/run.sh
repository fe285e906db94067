#!/usr/bin/env bash
# Issue 19's growth curves (benchmarks/growth/growth.py): Reko and implicit side by side, training
# over 1M-50M interactions and serving over 10k-2M items, tables printed and the plot drawn into
# docs/images/growth.png. Not run by CI; takes about an hour on 2 cores and wants ~30 GB of disk.
# Usage: benchmarks/growth/run.sh [--quick] [--only train|serve] [--train-sizes N,..] [--serve-items N,..]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/benchmarks/.venv"

if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import implicit, scipy, numpy, pandas, threadpoolctl, matplotlib' 2>/dev/null; then
    "$venv/bin/pip" install --quiet --only-binary=:all: implicit scipy numpy pandas threadpoolctl matplotlib
fi
exec "$venv/bin/python" "$here/growth.py" --python "$venv/bin/python" "$@"
