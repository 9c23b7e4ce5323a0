#!/usr/bin/env bash
# TreeSHAP in one run, on the same trees and rows everywhere: Firn's path walk (the algorithm
# before the leaf tables), Firn's leaf tables, SQL `explain_predict`, and XGBoost's
# `pred_contribs` (reading Firn's XGBoost JSON export of the same model), one thread and two.
# Models: the synthetic 8-feature problem (benches/peer/synthetic.rs) trained by `CREATE MODEL`
# with 100 trees of depth 6 and of depth 8 (lr 0.3), and the seed's customer_churn_predictor@v2
# (200 trees, depth 6, trained by sql/05 on the seed data).
#
# Usage: benches/shap.sh [--reps N] [--rows N] [--train-rows N] [--no-append]
# Builds a release `firn` and the `shap` bench program in $CARGO_TARGET_DIR (default
# $HOME/.cache/firn-target-release); needs the seed data in ../shared/seed-data and python3
# (a venv with xgboost-cpu and numpy is made under $HOME/.cache/firn-peer-venv).
# Repetitions are interleaved (each measures every model, thread count and side once). Prints a
# markdown table of medians and appends it with this command to benches/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
command_line="benches/shap.sh${*:+ $*}"
reps=3 rows=20000 train_rows=200000 append=1
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --rows) rows="$2"; shift 2 ;;
    --train-rows) train_rows="$2"; shift 2 ;;
    --no-append) append=0; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -d ../shared/seed-data ] || { echo "../shared/seed-data is missing" >&2; exit 1; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/firn-target-release}"
venv="$HOME/.cache/firn-peer-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import xgboost, numpy" 2>/dev/null || "$venv/bin/pip" install --quiet xgboost-cpu numpy
py="$venv/bin/python"

cargo build --release --bin firn --bench shap
firn="$CARGO_TARGET_DIR/release/firn"
kernel=$(cargo build --release --bench shap --message-format=json 2>/dev/null | "$py" -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "shap" and m.get("executable"):
        print(m["executable"])')
[ -x "$kernel" ] || { echo "could not find the shap bench executable" >&2; exit 1; }

work="$HOME/.cache/firn-bench-shap"
rm -rf "$work"
mkdir -p "$work"
db="$work/db"
"$kernel" data --out "$work" --train-rows "$train_rows" --rows "$rows" >/dev/null
csv() { echo "CREATE EXTERNAL TABLE $1 STORED AS CSV LOCATION '$2' OPTIONS ('format.has_header' 'true')"; }
model() { echo "CREATE MODEL $1 OPTIONS (type 'gbdt_classifier', label 'label', seed 42, max_depth $2, learning_rate 0.3, n_estimators 100) AS SELECT * FROM synth_train"; }
"$firn" "$db" -q -c "$(csv train_csv "$work/train.csv")" -c "$(csv explain_csv "$work/explain.csv")" \
  -c "CREATE TABLE synth_train AS SELECT * FROM train_csv" \
  -c "CREATE TABLE synth_explain AS SELECT * FROM explain_csv" \
  -c "$(model synth_d6 6)" -c "$(model synth_d8 8)" >/dev/null
# The seed's model, and its training rows five times over (segment coded as the export codes it).
seed_features="days_since_last_order, total_order_count, order_count_2024, total_order_amount, avg_order_amount, total_amount_2024, return_rate"
"$firn" "$db" -q --set data_dir=../shared/seed-data -f sql/01_data_exploration.sql -f sql/02_features.sql \
  -f sql/05_model_registry.sql \
  -c "CREATE TABLE seed_explain AS SELECT $seed_features, segment FROM training_dataset CROSS JOIN (SELECT * FROM generate_series(1, 5)) AS copies" \
  -c "COPY (SELECT $seed_features, CASE segment WHEN 'Basic' THEN 0 WHEN 'Premium' THEN 1 WHEN 'Standard' THEN 2 END AS segment FROM seed_explain) TO '$work/seed.csv' STORED AS CSV OPTIONS ('format.has_header' 'true')" \
  >/dev/null
declare -A model_of=([d6]=synth_d6 [d8]=synth_d8 [seed]=customer_churn_predictor@v2)
declare -A rows_of=([d6]="$work/explain.csv" [d8]="$work/explain.csv" [seed]="$work/seed.csv")
declare -A table_of=([d6]=synth_explain [d8]=synth_explain [seed]=seed_explain)
for m in d6 d8 seed; do
  "$firn" "$db" export model "${model_of[$m]}" --out "$work/$m.json" >/dev/null
done

# "wall cpu": seconds of the statement (from \timing) and CPU seconds of the whole firn
# process (user + system, from /usr/bin/time: startup and model loading included), on $1
# partitions and $1 rayon threads.
seconds() {
  local out wall
  out=$(RAYON_NUM_THREADS="$1" /usr/bin/time -f 'cpu %U %S' "$firn" "$db" -q \
    -c "SET datafusion.execution.target_partitions = $1" -c '\timing on' -c "$2" 2>&1)
  wall=$(echo "$out" | grep -Eo 'in [0-9.]+ ?(ms|s)\b|\([0-9.]+ ?(ms|s)\)|[0-9.]+ ?(ms|s)$' | tail -1 \
    | awk '{ gsub(/[()in ]/, ""); if ($0 ~ /ms$/) { sub(/ms$/, ""); print $0 / 1000 } else { sub(/s$/, ""); print $0 } }')
  echo "$wall $(echo "$out" | awk '/^cpu / { print $2 + $3 }' | tail -1)"
}
load() { cut -d' ' -f1 /proc/loadavg; }

# XGBoost on the same trees (Firn's export) and rows: one timed `pred_contribs` over all the rows
# after an untimed one over the first 100, and (when asked) its values against Firn's tables.
cat >"$work/xgb_shap.py" <<'PY'
import json, sys, time
import numpy as np, xgboost as xgb
work, m, threads, check = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
booster = xgb.Booster(model_file=f"{work}/{m}.json")
booster.set_param({"nthread": threads})
k = booster.num_features()
x = np.fromfile(f"{work}/{m}.x.f64", dtype="<f8").reshape(-1, k)
data = xgb.DMatrix(x, nthread=threads, feature_names=booster.feature_names)
booster.predict(data.slice(list(range(min(100, len(x))))), pred_contribs=True)
start, start_cpu = time.perf_counter(), time.process_time()
contributions = booster.predict(data, pred_contribs=True)
seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
report = {"version": xgb.__version__, "seconds": seconds, "cpu_seconds": cpu, "rows": len(x)}
if check:
    firn = np.fromfile(f"{work}/{m}.shap.f64", dtype="<f8").reshape(-1, k + 1)
    margin = booster.predict(data, output_margin=True)
    report["max_abs_difference_to_firn"] = float(np.abs(contributions - firn).max())
    report["max_additivity_error"] = float(np.abs(contributions.sum(axis=1) - margin).max())
print(json.dumps(report))
PY

# Interleaved: each repetition measures every model and thread count once on each side (the
# kernels, SQL, XGBoost), so a busy spell on the shared machine hits all of them alike.
: >"$work/results.jsonl"
for m in d6 d8 seed; do   # warm the page cache and the database's files
  seconds 1 "SELECT count(*), sum(shap) FROM explain_predict('${model_of[$m]}', '${table_of[$m]}')" >/dev/null
done
tag() { "$py" -c "import json, sys; r = json.load(sys.stdin); r.update(kind='$1', model='$2', threads=$3, rep=$4, load=$(load)); print(json.dumps(r))"; }
for rep in $(seq "$reps"); do
  for m in d6 d8 seed; do
    for threads in 1 2; do
      echo "rep $rep: $m, $threads thread(s), load $(load)" >&2
      RAYON_NUM_THREADS=$threads "$kernel" kernel --model "$work/$m.json" --rows "${rows_of[$m]}" --reps 1 \
        --out-x "$work/$m.x.f64" --out-shap "$work/$m.shap.f64" | tag kernel "$m" "$threads" "$rep" >>"$work/results.jsonl"
      read -r wall cpu < <(seconds "$threads" "SELECT count(*), sum(shap) FROM explain_predict('${model_of[$m]}', '${table_of[$m]}')")
      echo "{\"seconds\": $wall, \"cpu_seconds\": $cpu}" | tag sql "$m" "$threads" "$rep" >>"$work/results.jsonl"
      "$py" "$work/xgb_shap.py" "$work" "$m" "$threads" "$([ "$rep" = 1 ] && echo 1 || echo 0)" \
        | tag xgboost "$m" "$threads" "$rep" >>"$work/results.jsonl"
    done
  done
done

table=$("$py" - "$work/results.jsonl" <<'PY'
import json, statistics, sys
results = [json.loads(line) for line in open(sys.argv[1])]
def runs(kind, model, threads):
    return [r for r in results if r["kind"] == kind and r["model"] == model and r["threads"] == threads]
def med(kind, model, threads, *path):
    values = []
    for r in runs(kind, model, threads):
        for key in path:
            r = r[key]
        values.append(r)
    return statistics.median(values)
def first(kind, model, threads):
    return runs(kind, model, threads)[0]
def loads(kind, model, threads):
    return "/".join(f"{r['load']:.1f}" for r in runs(kind, model, threads))
names = {"d6": "synthetic, 100 trees depth 6", "d8": "synthetic, 100 trees depth 8", "seed": "seed `customer_churn_predictor@v2`"}
def cell(rows, wall, cpu):
    return f"{rows / wall:,.0f} / {rows / cpu:,.0f}"
print("Rows per second by wall time / per CPU-second (medians; CPU: all threads of the process; for")
print("SQL the whole `firn` process, startup and model loading included). Ratios are of the CPU figures.")
print()
print("| model | rows | threads | Firn path walk (before) | Firn tables (new) | SQL `explain_predict` | XGBoost `pred_contribs` | new ÷ before | new ÷ XGBoost | SQL ÷ XGBoost |")
print("|---|---|---|---|---|---|---|---|---|---|")
notes, checks = [], []
for m in ("d6", "d8", "seed"):
    for threads in (1, 2):
        rows = first("kernel", m, threads)["rows"]
        w = {"walk": med("kernel", m, threads, "path_walk", "explain_seconds"),
             "new": med("kernel", m, threads, "leaf_tables", "explain_seconds"),
             "sql": med("sql", m, threads, "seconds"), "xgb": med("xgboost", m, threads, "seconds")}
        c = {"walk": med("kernel", m, threads, "path_walk", "explain_cpu_seconds"),
             "new": med("kernel", m, threads, "leaf_tables", "explain_cpu_seconds"),
             "sql": med("sql", m, threads, "cpu_seconds"), "xgb": med("xgboost", m, threads, "cpu_seconds")}
        print(f"| {names[m]} | {rows:,} | {threads} | " + " | ".join(cell(rows, w[k], c[k]) for k in ("walk", "new", "sql", "xgb"))
              + f" | {c['walk'] / c['new']:.1f}× | {c['xgb'] / c['new']:.1f}× | {c['xgb'] / c['sql']:.1f}× |")
        if m == "d6" and threads == 1:
            sql_wall, sql_cpu = rows / w["sql"], rows / c["sql"]
            checks.append(f"| `explain_predict`, 100 trees depth 6, one core | ≥ 10,000 rows/s | {sql_wall:,.0f} rows/s by wall time, "
                          f"{sql_cpu:,.0f} per CPU-second | {'yes' if min(sql_wall, sql_cpu) >= 10_000 else '**no**'} |")
            by_cpu, by_wall = c["xgb"] / c["sql"], w["xgb"] / w["sql"]
            checks.append(f"| … against XGBoost `pred_contribs`, one thread | ≥ 6× | {by_cpu:.1f}× (CPU), {by_wall:.1f}× (wall) "
                          f"| {'yes' if min(by_cpu, by_wall) >= 6 else '**no**'} |")
    k, x = first("kernel", m, 1), first("xgboost", m, 1)
    scale = lambda kind, *path: med(kind, m, 1, *path) / med(kind, m, 2, *path)
    notes.append(f"- {names[m]}: {k['trees']} trees, {k['leaves']:,} leaves, {k['tabulated_trees']} tabulated "
                 f"({k['table_mib']:.1f} MiB), prepared in {med('kernel', m, 1, 'leaf_tables', 'prepare_seconds') * 1e3:.0f} ms "
                 f"(the walk: {med('kernel', m, 1, 'path_walk', 'prepare_seconds') * 1e3:.1f} ms). "
                 f"2 threads ÷ 1 by wall time: tables {scale('kernel', 'leaf_tables', 'explain_seconds'):.2f}×, "
                 f"SQL {scale('sql', 'seconds'):.2f}×, XGBoost {scale('xgboost', 'seconds'):.2f}×. "
                 f"Max \\|tables − walk\\| {k['max_abs_difference']:.1e}; max additivity error: tables "
                 f"{k['leaf_tables']['max_additivity_error']:.1e}, walk {k['path_walk']['max_additivity_error']:.1e}, "
                 f"XGBoost {x['version']} {x['max_additivity_error']:.1e}; max \\|Firn − XGBoost\\| {x['max_abs_difference_to_firn']:.1e}. "
                 f"1-min load average at each rep's 1-thread kernel / SQL / XGBoost run: "
                 f"{loads('kernel', m, 1)} / {loads('sql', m, 1)} / {loads('xgboost', m, 1)}.")
    checks.append(f"| {names[m]}: additivity, \\|Firn − XGBoost\\| | ≤ 1e-9, ≤ 1e-5 | {k['leaf_tables']['max_additivity_error']:.1e}, "
                  f"{x['max_abs_difference_to_firn']:.1e} | {'yes' if k['leaf_tables']['max_additivity_error'] <= 1e-9 and x['max_abs_difference_to_firn'] <= 1e-5 else '**no**'} |")
print()
print("| target | wanted | measured | met |")
print("|---|---|---|---|")
print("\n".join(checks))
print()
print("\n".join(notes))
PY
)
echo "$table"
if [ "$append" = 1 ]; then
  {
    echo
    echo "## TreeSHAP (issue 15, item 3)"
    echo
    echo "\`$command_line\` — $(date -u +%Y-%m-%d), release build, medians of $reps interleaved runs; 2-core"
    echo "machine shared with other sessions' builds (the load averages below say how busy it was)."
    echo
    echo "$table"
  } >>benches/RESULTS.md
fi
