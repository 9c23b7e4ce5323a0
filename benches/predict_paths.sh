#!/usr/bin/env bash
# Batch scoring through SQL by every scoring path this CPU has, beside XGBoost on the
# same trees and rows: `predict(...)` over 1,000,000 rows on one core (target_partitions
# = 1), each path forced by FIRN_PREDICT_PATH (scalar, avx2, avx512, neon), for
#   seed      the seed's registered customer_churn_predictor@v2 (200 trees up to depth 6,
#             7 numeric features and a categorical one) on 1M generated customers;
#   deeper    the seed's run_deeper model (churn_experiment@v2: 100 trees up to depth 10)
#             on the same customers;
#   d6w8      100 trees of depth 6 over 8 numeric features, trained on synthetic rows;
#   d10w8     100 trees of depth 10 over the same 8 features;
#   d6w30     100 trees of depth 6 over 30 numeric features.
# XGBoost scores each model (exported with Firn's XGBoost JSON export) with
# `inplace_predict` on one thread, on the same rows read from Parquet (no SQL).
# Runs are interleaved (repetition by repetition, every path and model in turn) and the
# medians of --reps taken, so that a machine shared with other work affects all alike.
#
# Usage: benches/predict_paths.sh [--firn PATH] [--reps N] [--paths "scalar avx2 avx512"] [--reuse] [--no-append]
# (--reuse: keep the database, models and exports of the previous run.)
# Needs a release firn (default $CARGO_TARGET_DIR/release/firn, else
#   $HOME/.cache/firn-target-release/release/firn; build it with cargo build --release --bin firn),
# the seed data in ../shared/seed-data, and python3 (a venv with xgboost-cpu, pyarrow and
# numpy is made under $HOME/.cache/firn-predict-venv). Prints a markdown table of medians
# and appends it with this command to benches/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
command_line="benches/predict_paths.sh${*:+ $*}"
firn="${CARGO_TARGET_DIR:-$HOME/.cache/firn-target-release}/release/firn" reps=5 append=1 reuse=0
paths="scalar avx2 avx512 neon"
while [ $# -gt 0 ]; do
  case "$1" in
    --firn) firn="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --paths) paths="$2"; shift 2 ;;
    --no-append) append=0; shift ;;
    --reuse) reuse=1; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -x "$firn" ] || { echo "no release firn at $firn; build it with: cargo build --release --bin firn" >&2; exit 1; }
[ -d ../shared/seed-data ] || { echo "../shared/seed-data is missing" >&2; exit 1; }
venv="$HOME/.cache/firn-predict-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import xgboost, numpy, pyarrow" 2>/dev/null || "$venv/bin/pip" install --quiet xgboost-cpu numpy pyarrow
py="$venv/bin/python"

load=$(cut -d' ' -f1-3 /proc/loadavg)
work="$HOME/.cache/firn-bench-predict-paths"
mkdir -p "$work"
if [ ! -f "$work/data/orders.csv" ]; then
  "$firn" gen-data --customers 1000000 --seed 7 --out "$work/data" >/dev/null
fi
db="$work/db"
f8="f0, f1, f2, f3, f4, f5, f6, f7"
f30=$(seq -s ', ' -f 'f%g' 0 29)
if [ "$reuse" = 0 ] || [ ! -f "$work/d6w30.json" ]; then
  rm -rf "$db"

  # 1,000,000 customers' v2 features; the seed's models trained on the seed data (05: the
  # registered v2; 04: run_deeper is churn_experiment@v2).
  "$firn" "$db" -q --set data_dir="$work/data" -f sql/01_data_exploration.sql -f sql/02_features.sql \
    -c "CREATE TABLE features_1m AS SELECT days_since_last_order, total_order_count, order_count_2024, total_order_amount, avg_order_amount, total_amount_2024, return_rate, segment FROM feature_view('customer_features', 'v2') LIMIT 1000000" >/dev/null
  "$firn" "$db" -q --set data_dir=../shared/seed-data -f sql/01_data_exploration.sql -f sql/02_features.sql \
    -f sql/05_model_registry.sql -f sql/04_experiment_tracking.sql >/dev/null

  # Synthetic rows: 30 features, each a deterministic pseudo-random sequence in [0, 1) to four
  # decimals (like measured values; unrounded random doubles make the scan alone cost more
  # than scoring), and
  # for 8 and for 30 of them a label that depends on all of them non-linearly (so that trees
  # grow to their full depth), split at its median.
  features30=""
  for f in $(seq 0 29); do
    a=$(( 2654435761 + 40503 * f )) p=$(( 1000003 + 2 * f ))
    features30="$features30, round(CAST(((value * $a + $(( 7919 * f ))) % $p) AS DOUBLE) / $p, 4) AS f$f"
  done
  score() {
    local width=$1 expr="(CAST(((n * 48271) % 2147483647) AS DOUBLE) / 2147483647 - 0.5) * 2.0"
    for f in $(seq 0 $(( width - 1 ))); do
      case $(( f % 3 )) in
        0) expr="$expr + sin(6.0 * f$f)" ;;
        1) expr="$expr + (f$f - 0.5) * (f$(( (f + 1) % width )) - 0.5) * 4.0" ;;
        2) expr="$expr + f$f * f$f" ;;
      esac
    done
    echo "$expr"
  }
  "$firn" "$db" -q \
    -c "CREATE TABLE synth_raw AS SELECT value AS n${features30} FROM generate_series(1, 1000000)" \
    -c "CREATE TABLE synth_scored AS SELECT *, $(score 8) AS score8, $(score 30) AS score30 FROM synth_raw" \
    -c "CREATE TABLE synth AS SELECT *, CASE WHEN score8 > (SELECT approx_median(score8) FROM synth_scored) THEN 1 ELSE 0 END AS label8,
          CASE WHEN score30 > (SELECT approx_median(score30) FROM synth_scored) THEN 1 ELSE 0 END AS label30 FROM synth_scored" >/dev/null
  # Trained on a quarter of the rows, scored on all of them.
  "$firn" "$db" -q \
    -c "CREATE MODEL synth_d6w8 OPTIONS (type 'gbdt_classifier', label 'label8', max_depth 6, n_estimators 100, learning_rate 0.1, seed 42) AS SELECT $f8, label8 FROM synth WHERE n % 4 = 0" \
    -c "CREATE MODEL synth_d10w8 OPTIONS (type 'gbdt_classifier', label 'label8', max_depth 10, n_estimators 100, learning_rate 0.1, seed 42) AS SELECT $f8, label8 FROM synth WHERE n % 4 = 0" \
    -c "CREATE MODEL synth_d6w30 OPTIONS (type 'gbdt_classifier', label 'label30', max_depth 6, n_estimators 100, learning_rate 0.1, seed 42) AS SELECT $f30, label30 FROM synth WHERE n % 4 = 0" >/dev/null

fi

# The paths this CPU runs: a path it cannot run falls back, with a warning when a model is
# first loaded.
runnable=""
for path in $paths; do
  if FIRN_PREDICT_PATH=$path "$firn" "$db" -q -c "SELECT predict('synth_d6w8', $f8) FROM synth LIMIT 1" 2>&1 \
      | grep -q "FIRN_PREDICT_PATH"; then
    echo "skipping $path: this CPU cannot run it" >&2
  else
    runnable="$runnable $path"
  fi
done

seed_args="days_since_last_order, total_order_count, order_count_2024, total_order_amount, avg_order_amount, total_amount_2024, return_rate, segment"
models="seed deeper d6w8 d10w8 d6w30"
declare -A model_ref table args
model_ref[seed]="customer_churn_predictor@v2" table[seed]=features_1m args[seed]="$seed_args"
model_ref[deeper]="churn_experiment@v2" table[deeper]=features_1m args[deeper]="$seed_args"
model_ref[d6w8]="synth_d6w8" table[d6w8]=synth args[d6w8]="$f8"
model_ref[d10w8]="synth_d10w8" table[d10w8]=synth args[d10w8]="$f8"
model_ref[d6w30]="synth_d6w30" table[d6w30]=synth args[d6w30]="$f30"

declare -A shape
for m in $models; do
  shape[$m]=$("$firn" "$db" -q --format csv -c "SELECT count(DISTINCT tree_id) || ' trees, ' || count(*) || ' nodes, ' || $( [ "$m" = d6w30 ] && echo 30 || echo 8 ) || ' features' FROM model_nodes('${model_ref[$m]}')" | tail -1)
  [ "$reuse" = 1 ] && [ -f "$work/$m.json" ] || "$firn" "$db" export model "${model_ref[$m]}" --out "$work/$m.json" >/dev/null
done
if [ "$reuse" = 0 ] || [ ! -f "$work/synth.parquet" ]; then
  "$firn" "$db" -q -c "COPY features_1m TO '$work/features_1m.parquet' STORED AS PARQUET" \
    -c "COPY (SELECT $f30 FROM synth) TO '$work/synth.parquet' STORED AS PARQUET" >/dev/null
fi
rows=$("$firn" "$db" -q --format csv -c "SELECT count(*) FROM synth" | tail -1)

# Seconds of the last statement, from \timing, with the path forced.
seconds() {
  FIRN_PREDICT_PATH=$1 "$firn" "$db" -q -c "SET datafusion.execution.target_partitions = 1" -c '\timing on' -c "$2" 2>&1 \
    | grep -Eo 'in [0-9.]+ ?(ms|s)\b|\([0-9.]+ ?(ms|s)\)|[0-9.]+ ?(ms|s)$' | tail -1 \
    | awk '{ gsub(/[()in ]/, ""); if ($0 ~ /ms$/) { sub(/ms$/, ""); print $0 / 1000 } else { sub(/s$/, ""); print $0 } }'
}
# CPU seconds of the whole firn process running the statement (all threads; perf stat,
# else GNU time at 10 ms resolution): beside the wall time, a measure that other work on a
# shared machine does not stretch. The same statement over no rows is subtracted.
cpu() {
  local out
  if perf stat -x, -e task-clock true >/dev/null 2>&1; then
    out=$(FIRN_PREDICT_PATH=$1 perf stat -x, -e task-clock "$firn" "$db" -q -c "SET datafusion.execution.target_partitions = 1" -c "$2" 2>&1 >/dev/null | grep task-clock)
    echo "$out" | awk -F, '{ print $1 / 1000 }'
  else
    out=$( { FIRN_PREDICT_PATH=$1 /usr/bin/time -f "%U %S" "$firn" "$db" -q -c "SET datafusion.execution.target_partitions = 1" -c "$2" >/dev/null; } 2>&1 | tail -1)
    echo "$out" | awk '{ print $1 + $2 }'
  fi
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
query() { echo "SELECT sum(predict('${model_ref[$1]}', ${args[$1]})) FROM ${table[$1]}"; }
# The same rows and columns merely scanned (a text feature by its length).
scan() { echo "SELECT sum($(echo "${args[$1]}" | sed -E 's/, /+/g; s/segment/length(segment)/')) FROM ${table[$1]}"; }
# The same over no rows: process start, catalog, plan and model load.
empty() { echo "SELECT sum(predict('${model_ref[$1]}', ${args[$1]})) FROM (SELECT * FROM ${table[$1]} LIMIT 0)"; }

# XGBoost: every model on its rows, one thread, medians of the repetitions.
cat > "$work/xgb_predict.py" <<'PY'
import json, sys, time
import numpy as np, pyarrow.parquet as pq, xgboost as xgb
reps = int(sys.argv[1])
def seed_matrix(path):
    table = pq.read_table(path)
    cats = sorted(set(table.column("segment").to_pylist()))
    cols = [np.asarray(table.column(c).to_numpy(zero_copy_only=False), dtype=np.float64)
            for c in table.column_names if c != "segment"]
    cols.append(np.asarray([cats.index(v) for v in table.column("segment").to_pylist()], dtype=np.float64))
    return np.column_stack(cols)
def synth_matrix(path, width):
    table = pq.read_table(path)
    return np.column_stack([np.asarray(table.column(f"f{i}").to_numpy(), dtype=np.float64) for i in range(width)])
out = {}
for spec in sys.argv[2:]:
    name, model, data, width = spec.split(":")
    x = seed_matrix(data) if width == "seed" else synth_matrix(data, int(width))
    booster = xgb.Booster()
    booster.load_model(model)
    booster.set_param({"nthread": 1})
    booster.inplace_predict(x[:1000])
    times = []
    for _ in range(reps):
        start = time.perf_counter(); booster.inplace_predict(x); times.append(time.perf_counter() - start)
    out[name] = sorted(times)[len(times) // 2]
print(json.dumps(out))
PY

declare -A runs cpus empties scans same
xgb_runs=""
# Every path must give the same margins bit for bit: their sums, and a hash of every
# row's score, over all rows, compared (this also warms the caches).
for m in $models; do
  sums=$(for path in $runnable; do
    FIRN_PREDICT_PATH=$path "$firn" "$db" -q --format csv -c "SELECT sum(p), sum(CAST(p * 1e15 AS BIGINT) % 1000003) FROM (SELECT predict('${model_ref[$m]}', ${args[$m]}) AS p FROM ${table[$m]})" | tail -1
  done | sort -u | wc -l)
  same[$m]=$([ "$sums" = 1 ] && echo yes || echo NO)
done
for _ in $(seq "$reps"); do
  for m in $models; do
    scans[$m]="${scans[$m]:-} $(seconds auto "$(scan "$m")")"
    for path in $runnable; do
      runs[$m.$path]="${runs[$m.$path]:-} $(seconds "$path" "$(query "$m")")"
      cpus[$m.$path]="${cpus[$m.$path]:-} $(cpu "$path" "$(query "$m")")"
      empties[$m.$path]="${empties[$m.$path]:-} $(cpu "$path" "$(empty "$m")")"
    done
  done
  xgb_runs="$xgb_runs $("$py" "$work/xgb_predict.py" 1 \
    "seed:$work/seed.json:$work/features_1m.parquet:seed" "deeper:$work/deeper.json:$work/features_1m.parquet:seed" \
    "d6w8:$work/d6w8.json:$work/synth.parquet:8" "d10w8:$work/d10w8.json:$work/synth.parquet:8" \
    "d6w30:$work/d6w30.json:$work/synth.parquet:30" | tr -d ' ')"
done

rate() { awk -v r="$rows" -v s="$1" 'BEGIN { if (s > 0) printf "%.2f", r / s / 1e6; else print "n/a" }'; }
values() { echo "$1" | tr ' ' '\n' | grep .; }
header="| model | shape | same scores on every path | scan only |"
rule="|---|---|---|---|"
for path in $runnable; do header="$header $path |"; rule="$rule---|"; done
header="$header XGBoost 1 thread |"; rule="$rule---|"
for path in $runnable; do header="$header $path ÷ XGBoost |"; rule="$rule---|"; done
for path in $runnable; do header="$header $path, CPU time |"; rule="$rule---|"; done
table="$header
$rule"
for m in $models; do
  xgb=$(for run in $xgb_runs; do echo "$run" | "$py" -c "import json,sys; print(json.load(sys.stdin)['$m'])"; done | median)
  line="| $m (\`${model_ref[$m]}\`) | ${shape[$m]} | ${same[$m]} | $(rate "$(values "${scans[$m]}" | median)") |"
  for path in $runnable; do
    line="$line $(rate "$(values "${runs[$m.$path]}" | median)") |"
  done
  line="$line $(rate "$xgb") |"
  for path in $runnable; do
    s=$(values "${runs[$m.$path]}" | median)
    line="$line $(awk -v a="$s" -v b="$xgb" 'BEGIN { printf "%.1f×", b / a }') |"
  done
  for path in $runnable; do
    c=$(values "${cpus[$m.$path]}" | median) e=$(values "${empties[$m.$path]}" | median)
    line="$line $(rate "$(awk -v c="$c" -v e="$e" 'BEGIN { print c - e }')") |"
  done
  table="$table
$line"
done
table="$table

M rows/s through SQL on one core (\`SELECT sum(predict(...)) FROM t\`, target_partitions = 1, $rows rows; the
scan of the stored table is included, and given alone as \`scan only\`: the same columns summed): medians of $reps interleaved runs of the statement's wall time
(\`\\timing\`), and of the firn process's CPU time less that of the same statement over no rows (\`CPU
time\`: process start, planning and model load taken out; unlike wall time, not stretched by other work
on a shared machine). XGBoost: \`inplace_predict\` on one thread on the same rows from memory (no SQL),
wall time, medians of runs interleaved with Firn's."
echo "$table"
if [ "$append" = 1 ]; then
  {
    echo
    echo "\`$command_line\` — $(date -u +%Y-%m-%d), release build, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores, load average before the run: $load."
    echo
    echo "$table"
  } >> benches/RESULTS.md
fi
