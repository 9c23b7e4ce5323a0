#!/usr/bin/env bash
# The same queries locally and on a Ballista cluster of 1 and 2 executors on this machine
# (issue 13, "Numbers"): wall time per query (median of --reps runs after one warm-up), and
# the cluster path's added latency on a point query.
#
#   data:    firn gen-data --customers N (default 1,000,000: ≈ 6.7 M orders), loaded with
#            sql/01_data_exploration.sql and sql/02_features.sql into a database directory,
#            and a model trained on 50,000 rows of training_dataset (all of this locally, untimed)
#   modes:   local (one `firn` process)
#            cluster-1: `firn cluster scheduler` + 1 executor with 2 task slots
#            cluster-2: scheduler + 2 executors with 1 task slot each (the same 2 cores)
#   queries: point      SELECT … FROM customers WHERE customer_id = <one id>
#            orders     GROUP BY over the orders table (a scan and an aggregate)
#            score      predict(…) over training_dataset, averaged by segment
#            features   feature_view('customer_features', 'v2') aggregated
#            train_set  training_set('churn_labels', 'customer_features:v2', …) aggregated
# Every mode runs in one client process with `\timing on`, so the times are the statements'
# own (no process start, no database open). Prints a markdown table of medians and ratios to
# local, and appends it with the date and this command to benches/RESULTS.md unless --no-append.
#
# Usage: benches/cluster.sh [--customers N] [--reps N] [--firn PATH] [--no-append]
# Needs the release `firn` (default $CARGO_TARGET_DIR/release/firn, CARGO_TARGET_DIR defaulting
# to $HOME/.cache/firn-target): cargo build --release --bin firn
set -euo pipefail
cd "$(dirname "$0")/.."
command_line="benches/cluster.sh${*:+ $*}"
customers=1000000 reps=5 append=1
firn="${CARGO_TARGET_DIR:-$HOME/.cache/firn-target}/release/firn"
while [ $# -gt 0 ]; do
  case "$1" in
    --customers) customers="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --firn) firn="$2"; shift 2 ;;
    --no-append) append=0; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -x "$firn" ] || { echo "no release firn at $firn (cargo build --release --bin firn)" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/firn-cluster-bench.XXXXXX")"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

echo "== data: $customers customers in $work" >&2
"$firn" gen-data --customers "$customers" --out "$work/data" >&2
db="$work/db"
"$firn" "$db" -q -f sql/01_data_exploration.sql --set "data_dir=$work/data" > /dev/null
"$firn" "$db" -q -f sql/02_features.sql --set "data_dir=$work/data" > /dev/null
"$firn" "$db" -q -c "CREATE MODEL churn OPTIONS (type 'gbdt_classifier', label 'is_churned', exclude 'customer_id',
    n_estimators 100, max_depth 6, seed 42) AS SELECT * FROM training_dataset ORDER BY customer_id LIMIT 50000" > /dev/null
one_id=$("$firn" "$db" -q --format csv -c "SELECT customer_id FROM customers ORDER BY customer_id LIMIT 1 OFFSET 4242" | tail -1)

declare -A sql
sql[point]="SELECT customer_id, segment, region FROM customers WHERE customer_id = '$one_id'"
sql[orders]="SELECT status, count(*) AS n, round(sum(order_amount), 2) AS amount FROM orders GROUP BY status ORDER BY status"
sql[score]="SELECT segment, count(*) AS n, round(avg(predict('churn', days_since_last_order, total_order_count, order_count_2024,
  total_order_amount, avg_order_amount, total_amount_2024, return_rate, segment)), 6) AS p FROM training_dataset GROUP BY segment ORDER BY segment"
sql[features]="SELECT segment, count(*) AS n, round(avg(total_amount_2024), 4) AS a FROM feature_view('customer_features', 'v2') GROUP BY segment ORDER BY segment"
sql[train_set]="SELECT count(*) AS n, sum(is_churned) AS churned FROM training_set('churn_labels', 'customer_features:v2', 'fill=0', 'fill_text=unknown')"
queries=(point orders score features train_set)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_cluster EXECUTORS SLOTS: prints the scheduler address once every executor registered.
start_cluster() {
  local executors="$1" slots="$2" port log="$work/scheduler-$1.log"
  "$firn" cluster scheduler --port 0 --min-executors "$executors" > "$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do port=$(sed -n 's/^firn scheduler listening on .*:\([0-9]*\)$/\1/p' "$log"); [ -n "$port" ] && break; sleep 0.1; done
  [ -n "$port" ] || { cat "$log" >&2; exit 1; }
  for i in $(seq "$executors"); do
    "$firn" cluster executor --scheduler "127.0.0.1:$port" --port "$(free_port)" --grpc-port "$(free_port)" \
      --vcores "$slots" --work-dir "$work/exec-$executors-$i" > "$work/executor-$executors-$i.log" 2>&1 &
    pids+=($!)
  done
  for _ in $(seq 300); do
    if curl -sf "http://127.0.0.1:$port/readyz" > /dev/null 2>&1; then echo "df://127.0.0.1:$port"; return; fi
    sleep 0.1
  done
  echo "cluster did not become ready" >&2; exit 1
}

stop_cluster() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; pids=(); }

# run_mode NAME [--cluster ADDRESS]: one client process; prints "query ms" per timed run.
run_mode() {
  local name="$1"; shift
  local args=(-q -c '\timing on')
  for q in "${queries[@]}"; do
    for r in $(seq 0 "$reps"); do args+=(-c "${sql[$q]}"); done
  done
  "$firn" "$db" "$@" "${args[@]}" > "$work/$name.out" 2>&1 || { tail -20 "$work/$name.out" >&2; exit 1; }
  grep -E '^[0-9]+ rows? in ' "$work/$name.out" | sed -E 's/.* in ([0-9.]+) (ms|s)$/\1 \2/' |
    awk -v reps="$reps" -v qs="${queries[*]}" 'BEGIN { n = split(qs, q, " ") }
      { ms = ($2 == "s") ? $1 * 1000 : $1; i = int((NR - 1) / (reps + 1)) + 1; r = (NR - 1) % (reps + 1);
        if (r > 0) print q[i], ms }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "== local" >&2
run_mode local > "$work/times-local"
echo "== cluster, 1 executor (2 slots)" >&2
address=$(start_cluster 1 2)
run_mode cluster-1 --cluster "$address" > "$work/times-cluster-1"
stop_cluster
echo "== cluster, 2 executors (1 slot each)" >&2
address=$(start_cluster 2 1)
run_mode cluster-2 --cluster "$address" > "$work/times-cluster-2"
stop_cluster
for mode in local cluster-1 cluster-2; do
  for q in "${queries[@]}"; do
    printf '%s %s %s\n' "$mode" "$q" "$(awk -v q="$q" '$1 == q { print $2 }' "$work/times-$mode" | median)"
  done
done > "$work/medians"

table=$(awk -v customers="$customers" -v reps="$reps" '
  { t[$1, $2] = $3; if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } }
  END {
    printf "| query (%d customers, median of %d) | local ms | cluster-1 ms | cluster-2 ms | cluster-1 / local | cluster-2 / local |\n", customers, reps
    print "|---|---:|---:|---:|---:|---:|"
    for (i = 1; i <= n; i++) { q = order[i]; l = t["local", q]; a = t["cluster-1", q]; b = t["cluster-2", q]
      printf "| %s | %.1f | %.1f | %.1f | %.2f | %.2f |\n", q, l, a, b, a / l, b / l }
    printf "\nAdded latency of the cluster path on the point query: %.1f ms (1 executor), %.1f ms (2 executors).\n",
      t["cluster-1", "point"] - t["local", "point"], t["cluster-2", "point"] - t["local", "point"]
  }' "$work/medians")
echo "$table"
if [ "$append" = 1 ]; then
  {
    echo
    echo "### Cluster: local vs Ballista ($(date -u +%Y-%m-%d), $(nproc) cores)"
    echo
    echo "\`$command_line\`"
    echo
    echo "$table"
  } >> benches/RESULTS.md
fi
