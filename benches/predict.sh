#!/usr/bin/env bash
# Batch scoring through SQL: `predict(...)` over 1,000,000 rows with the seed's
# registered model, per core (target_partitions = 1) and on every core, beside the
# same rows merely scanned, and beside XGBoost scoring the same trees (exported with
# Firn's XGBoost JSON export) on the same rows.
#
# Usage: benches/predict.sh [--firn PATH] [--reps N] [--no-append]
# Needs a release firn (default $HOME/.cache/firn-target-release/release/firn; build it with
#   CARGO_TARGET_DIR=$HOME/.cache/firn-target-release cargo build --release --bin firn),
# the seed data in ../shared/seed-data (the model is trained on it), and python3 (a venv
# with xgboost-cpu, pyarrow and numpy is made under $HOME/.cache/firn-peer-venv).
# Prints a markdown table of medians and appends it with this command to benches/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
command_line="benches/predict.sh${*:+ $*}"
firn="$HOME/.cache/firn-target-release/release/firn" reps=5 append=1
while [ $# -gt 0 ]; do
  case "$1" in
    --firn) firn="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --no-append) append=0; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -x "$firn" ] || { echo "no release firn at $firn; build it with: CARGO_TARGET_DIR=\$HOME/.cache/firn-target-release cargo build --release --bin firn" >&2; exit 1; }
[ -d ../shared/seed-data ] || { echo "../shared/seed-data is missing" >&2; exit 1; }
venv="$HOME/.cache/firn-peer-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import xgboost, numpy, pyarrow" 2>/dev/null || "$venv/bin/pip" install --quiet xgboost-cpu numpy pyarrow
py="$venv/bin/python"

work="$HOME/.cache/firn-bench-predict"
mkdir -p "$work"
if [ ! -f "$work/data/orders.csv" ]; then
  "$firn" gen-data --customers 1000000 --seed 7 --out "$work/data" >/dev/null
fi
db="$work/db"
rm -rf "$db"
# 1,000,000 customers' v2 features, then the seed's model trained on the seed data.
"$firn" "$db" -q --set data_dir="$work/data" -f sql/01_data_exploration.sql -f sql/02_features.sql \
  -c "CREATE TABLE features_1m AS SELECT days_since_last_order, total_order_count, order_count_2024, total_order_amount, avg_order_amount, total_amount_2024, return_rate, segment FROM feature_view('customer_features', 'v2') LIMIT 1000000" >/dev/null
"$firn" "$db" -q --set data_dir=../shared/seed-data -f sql/01_data_exploration.sql -f sql/02_features.sql \
  -f sql/05_model_registry.sql >/dev/null
rows=$("$firn" "$db" -q --format csv -c "SELECT count(*) FROM features_1m" | tail -1)
"$firn" "$db" -q --format csv -c "COPY features_1m TO '$work/features_1m.parquet' STORED AS PARQUET" >/dev/null
trees=$("$firn" "$db" -q --format csv -c "SELECT count(DISTINCT tree_id) || ' trees of depth <= 6, ' || count(*) || ' nodes' FROM model_nodes('customer_churn_predictor@v2')" | tail -1)
export_json="$work/model.json"
"$firn" "$db" export model customer_churn_predictor@v2 --out "$export_json" >/dev/null

args="days_since_last_order, total_order_count, order_count_2024, total_order_amount, avg_order_amount, total_amount_2024, return_rate, segment"
# Seconds of the last statement, from \timing ("… (0.123 s)" or ms).
seconds() {
  "$firn" "$db" -q -c "SET datafusion.execution.target_partitions = $1" -c '\timing on' -c "$2" 2>&1 \
    | grep -Eo 'in [0-9.]+ ?(ms|s)\b|\([0-9.]+ ?(ms|s)\)|[0-9.]+ ?(ms|s)$' | tail -1 \
    | awk '{ gsub(/[()in ]/, ""); if ($0 ~ /ms$/) { sub(/ms$/, ""); print $0 / 1000 } else { sub(/s$/, ""); print $0 } }'
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A t
for partitions in 1 2; do
  for what in scan predict; do
    case "$what" in
      scan) sql="SELECT sum(days_since_last_order + total_order_count + order_count_2024 + total_order_amount + avg_order_amount + total_amount_2024 + return_rate + length(segment)) FROM features_1m" ;;
      predict) sql="SELECT sum(predict('customer_churn_predictor@v2', $args)) FROM features_1m" ;;
    esac
    seconds "$partitions" "$sql" >/dev/null   # warm the model cache and the page cache
    t[$what$partitions]=$(for _ in $(seq "$reps"); do seconds "$partitions" "$sql"; done | median)
  done
done

# XGBoost scores the same trees (Firn's export) on the same rows, one thread and two.
cat > "$work/xgb_predict.py" <<'PY'
import json, sys, time
import numpy as np, pyarrow.parquet as pq, xgboost as xgb
model_path, data_path, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
table = pq.read_table(data_path)
cats = sorted(set(table.column("segment").to_pylist()))
cols = [np.asarray(table.column(c).to_numpy(zero_copy_only=False), dtype=np.float64)
        for c in table.column_names if c != "segment"]
cols.append(np.asarray([cats.index(v) for v in table.column("segment").to_pylist()], dtype=np.float64))
x = np.column_stack(cols)
booster = xgb.Booster()
booster.load_model(model_path)
out = {}
for threads in (1, 2):
    booster.set_param({"nthread": threads})
    booster.inplace_predict(x[:1000])
    times = []
    for _ in range(reps):
        start = time.perf_counter(); booster.inplace_predict(x); times.append(time.perf_counter() - start)
    out[threads] = sorted(times)[len(times) // 2]
print(json.dumps(out))
PY
read -r xgb1 xgb2 < <("$py" "$work/xgb_predict.py" "$export_json" "$work/features_1m.parquet" "$reps" \
  | "$py" -c 'import json,sys; d=json.load(sys.stdin); print(round(d["1"], 4), round(d["2"], 4))')

rate() { awk -v r="$rows" -v s="$1" 'BEGIN { if (s > 0) printf "%.2f M rows/s", r / s / 1e6; else print "n/a" }'; }
net() { awk -v r="$rows" -v a="$1" -v b="$2" 'BEGIN { if (a > b) printf "%.2f M rows/s", r / (a - b) / 1e6; else print "n/a" }'; }
met=$(awk -v r="$rows" -v s="${t[predict1]}" 'BEGIN { print (r / s >= 2e6) ? "yes" : "no" }')
table=$(cat <<MD
| figure | target | measured |
|---|---|---|
| rows scored | — | $rows (customer_churn_predictor@v2, $trees) |
| scan only, 1 partition | — | ${t[scan1]} s |
| \`predict\` through SQL, 1 partition (one core) | ≥ 2 M rows/s per core | ${t[predict1]} s = $(rate "${t[predict1]}") — met: $met |
| … net of the scan | — | $(net "${t[predict1]}" "${t[scan1]}") |
| scan only, 2 partitions | — | ${t[scan2]} s |
| \`predict\` through SQL, 2 partitions (both cores) | — | ${t[predict2]} s = $(rate "${t[predict2]}") |
| XGBoost \`inplace_predict\`, 1 thread (same trees, same rows; no SQL) | — | ${xgb1} s = $(rate "$xgb1") |
| XGBoost \`inplace_predict\`, 2 threads | — | ${xgb2} s = $(rate "$xgb2") |
MD
)
echo "$table"
if [ "$append" = 1 ]; then
  {
    echo
    echo "## Batch scoring through SQL (issue: models in SQL)"
    echo
    echo "\`$command_line\` — $(date -u +%Y-%m-%d), release build, medians of $reps runs."
    echo
    echo "$table"
  } >> benches/RESULTS.md
fi
