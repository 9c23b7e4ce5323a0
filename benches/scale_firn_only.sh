#!/usr/bin/env bash
# The seed pipeline at a scale where the Python peer cannot run (it held 5.1 GiB at 1M customers,
# so ~50 GiB at 10M): Firn only, each of sql/01 … 07 its own process on one database directory,
# with DataFusion's memory pool capped so that sorts and aggregates spill. Prints one line per step
# (wall, CPU, peak RSS from /usr/bin/time); each step's log, with every statement's time
# (`\timing on`, `--echo`), stays in the work directory.
#
# Usage: benches/scale_firn_only.sh [--customers 10000000] [--memory-limit 14G] [--firn PATH] [--work DIR]
# Needs the release `firn` (cargo build --release --bin firn) and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
customers=10000000 limit=14G work=/tmp/firn-scale-firn-only
firn="${CARGO_TARGET_DIR:-$HOME/.cache/firn-target}/release/firn"
while [ $# -gt 0 ]; do
  case "$1" in
    --customers) customers="$2"; shift 2 ;;
    --memory-limit) limit="$2"; shift 2 ;;
    --firn) firn="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -x "$firn" ] || { echo "no release firn at $firn: cargo build --release --bin firn" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed for the peak memory" >&2; exit 1; }
data="$work/data-$customers" db="$work/db-$customers" out="$work/out-$customers"
mkdir -p "$work" "$out"
if [ ! -f "$data/orders.csv" ]; then
  /usr/bin/time -f "gen-data %e s wall, peak %M KiB" \
    "$firn" gen-data --customers "$customers" --seed 11 --out "$data" >/dev/null
fi
rm -rf "$db"
for step in 01_data_exploration 02_features 03_model_training 04_experiment_tracking \
            05_model_registry 06_production 07_monitoring; do
  log="$work/$step-$customers.log"
  /usr/bin/time -f "$step %e s wall, %U s user, %S s sys, peak %M KiB" \
    "$firn" "$db" -q --echo -c '\timing on' -c "SET datafusion.runtime.memory_limit = '$limit'" \
    -f "sql/$step.sql" --set data_dir="$data" --set out_dir="$out" >"$log" 2>&1 \
    || { tail -30 "$log" >&2; exit 1; }
  tail -1 "$log"
done
echo "risk list rows: $(($(wc -l <"$out/churn_risk_list.csv") - 1)); logs in $work"
