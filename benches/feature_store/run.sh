#!/usr/bin/env bash
# Firn's feature store beside DuckDB on the generated demo data (1,000,000 customers,
# ~6.7M orders by default): building feature set v2, the label training set, and a
# point-in-time training set of one spine row per customer over 12 monthly snapshots.
# Prints markdown tables of medians (see bench.py); append them to benches/RESULTS.md.
#
# Usage: benches/feature_store/run.sh [--customers N] [--reps N] [--threads N] [--quiet-wait S]
# Builds the release binary (20-40 minutes from scratch on 2 cores, minutes after),
# makes a venv with the duckdb package under $HOME/.cache/firn-bench-venv, and keeps
# the generated data under $HOME/.cache/firn-bench-data.
set -euo pipefail
cd "$(dirname "$0")/../.."
customers=1000000 reps=3 threads=$(nproc) quiet_wait=300
while [ $# -gt 0 ]; do
  case "$1" in
    --customers) customers="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --quiet-wait) quiet_wait="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/firn-target}"
cargo build --release --bin firn
# Other worktrees may share the target directory and replace release/firn at any time:
# take a private copy at once and make sure it is this tree's (it knows CREATE ENTITY).
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
firn="$work/firn"
cp "$CARGO_TARGET_DIR/release/firn" "$firn"
"$firn" -q -c "CREATE ENTITY e KEYS (k)" >/dev/null \
  || { echo "release/firn was replaced by another build; run again" >&2; exit 1; }

venv="$HOME/.cache/firn-bench-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import duckdb" 2>/dev/null || "$venv/bin/pip" install --quiet duckdb

data="$HOME/.cache/firn-bench-data/c$customers"
[ -f "$data/orders.csv" ] || "$firn" gen-data --customers "$customers" --seed 7 --out "$data"

echo "benches/feature_store/run.sh --customers $customers --reps $reps --threads $threads — $(date -u +%F), $(nproc) cores"
"$venv/bin/python" benches/feature_store/bench.py --firn "$firn" --data "$data" --reps "$reps" --threads "$threads" --quiet-wait "$quiet_wait"
