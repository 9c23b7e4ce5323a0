#!/usr/bin/env bash
# The seed pipeline at 3k, 100k and 1M customers (and more with --scales), Firn beside its
# Python peer (DuckDB + scikit-learn + XGBoost): wall, CPU and peak memory per scale and step,
# medians of --reps interleaved runs, a table appended to benches/RESULTS.md and a chart in
# benches/scale.svg. What is measured and how: benches/scale.py.
#
# Usage: benches/scale.sh [--scales 3000,100000,1000000] [--reps 3] [--threads 2]
#                         [--firn PATH] [--quiet-wait S] [--no-append]
# Needs the release `firn` (default $CARGO_TARGET_DIR/release/firn, CARGO_TARGET_DIR defaulting
# to $HOME/.cache/firn-target): cargo build --release --bin firn. The Python peer's packages go
# into a venv under $HOME/.cache/firn-pipeline-venv (made here when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
command_line="benches/scale.sh${*:+ $*}"
firn="${CARGO_TARGET_DIR:-$HOME/.cache/firn-target}/release/firn"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --firn) firn="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
if [ ! -x "$firn" ]; then
  echo "no release firn at $firn: cargo build --release --bin firn (or pass --firn PATH)" >&2
  exit 1
fi
command -v taskset >/dev/null || { echo "taskset (util-linux) is needed for the one-core run" >&2; exit 1; }

venv="$HOME/.cache/firn-pipeline-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import duckdb, xgboost, sklearn, pandas, pyarrow, numpy, scipy, matplotlib" 2>/dev/null \
  || "$venv/bin/pip" install --quiet duckdb xgboost-cpu scikit-learn pandas pyarrow numpy matplotlib
exec "$venv/bin/python" benches/scale.py --firn "$firn" --command-line "$command_line" ${args[@]+"${args[@]}"}
