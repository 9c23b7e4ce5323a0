#!/usr/bin/env bash
# Firn beside Python XGBoost in one run: the seed's three experiment runs on the
# 80/20 split, the seed's random search, and a synthetic 1,000,000 × 8 problem.
# Both sides read identical inputs (the Rust side writes them) and use the same
# thread count. Prints a markdown table of medians and appends it, with the date
# and this command, to benches/RESULTS.md.
#
# The machine is shared: before each measurement the script waits (up to
# --quiet-wait seconds, default 300) for the CPUs to be >= 90 % idle, and says
# how many measurements had to start on a busy machine.
#
# With --training it measures training instead (issue 15, issue 17): on the synthetic
# 1M × 8 and 1M × 50 problems, at 1 thread (the process pinned to one CPU with taskset)
# and 2 threads, Firn's trainer, forust and XGBoost hist training alone (the same rows,
# test AUC on the same test rows), and CREATE MODEL end to end through SQL on a Parquet
# table of the same rows (plus its step-by-step breakdown); then the seed's search
# (5 candidates × 3 folds) with each backend and XGBoost, and the seed's three runs'
# quality with Firn's trainer. Every measurement of a repetition is interleaved.
#
# Usage: benches/peer/run.sh [--training] [--reps N] [--rows N] [--threads N] [--quiet-wait S] [--no-append]
# Needs python3 (a venv with xgboost-cpu, numpy and scikit-learn is made under
# $HOME/.cache/firn-peer-venv) and the seed CSVs in ../shared/seed-data.
# The first build of the bench-ml profile takes 10-25 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
command_line="benches/peer/run.sh${*:+ $*}"
reps=3 rows=1000000 threads=$(nproc) append=1 quiet_wait=300 training=0
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --rows) rows="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --quiet-wait) quiet_wait="$2"; shift 2 ;;
    --no-append) append=0; shift ;;
    --training) training=1; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/firn-target}"
seed_data=../shared/seed-data
[ -d "$seed_data" ] || { echo "$seed_data is missing: the seed CSVs must be beside the project" >&2; exit 1; }

venv="$HOME/.cache/firn-peer-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import xgboost, numpy, sklearn" 2>/dev/null \
  || "$venv/bin/pip" install --quiet xgboost-cpu numpy scikit-learn
py="$venv/bin/python"

# Build once; the second call only reports where the executable is.
cargo bench --profile bench-ml --bench peer_ml --no-run
firn=$(cargo bench --profile bench-ml --bench peer_ml --no-run --message-format=json 2>/dev/null \
  | "$py" -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "peer_ml" and m.get("executable"):
        print(m["executable"])')
[ -x "$firn" ] || { echo "could not find the peer_ml executable" >&2; exit 1; }

# Percent of CPU time idle over the next 3 seconds, from /proc/stat.
cpu_idle_pct() {
  local u1 n1 s1 i1 w1 q1 sq1 st1 u2 n2 s2 i2 w2 q2 sq2 st2
  read -r _ u1 n1 s1 i1 w1 q1 sq1 st1 _ </proc/stat
  sleep 3
  read -r _ u2 n2 s2 i2 w2 q2 sq2 st2 _ </proc/stat
  local busy=$(((u2 + n2 + s2 + q2 + sq2 + st2) - (u1 + n1 + s1 + q1 + sq1 + st1)))
  local idle=$(((i2 + w2) - (i1 + w1)))
  echo $((100 * idle / (busy + idle > 0 ? busy + idle : 1)))
}
measurements=0 busy_starts=0
# Runs a measurement once the machine is quiet (or the wait is over), appending its JSON to $1.
measure() {
  local log="$1" waited=0 idle
  shift
  while idle=$(cpu_idle_pct) && [ "$idle" -lt 90 ] && [ "$waited" -lt "$quiet_wait" ]; do
    waited=$((waited + 3))
  done
  measurements=$((measurements + 1))
  if [ "$idle" -lt 90 ]; then
    busy_starts=$((busy_starts + 1))
    echo "  machine still busy ($idle % idle) after ${waited} s; measuring anyway: $*" >&2
  else
    echo "  ($idle % idle after ${waited} s) $*" >&2
  fi
  "$@" >>"$log"
}

work="${PEER_WORK_DIR:-$HOME/.cache/firn-peer-work}"
mkdir -p "$work"

if [ "$training" = 1 ]; then
  : >"$work/train-firn.jsonl"
  : >"$work/train-xgboost.jsonl"
  for rep in $(seq "$reps"); do
    echo "repetition $rep of $reps" >&2
    for features in 8 50; do
      dir="$work/synthetic-$features"
      for t in 1 2; do
        pin=()
        [ "$t" = 1 ] && pin=(taskset -c 0)
        measure "$work/train-firn.jsonl" "${pin[@]}" "$firn" --threads "$t" --trainer firn synthetic --rows "$rows" --features "$features" --fit-only --out "$dir"
        measure "$work/train-xgboost.jsonl" "${pin[@]}" "$py" benches/peer/xgboost_peer.py synthetic --dir "$dir" --threads "$t" --fit-only
        measure "$work/train-firn.jsonl" "${pin[@]}" "$firn" --threads "$t" --trainer forust synthetic --rows "$rows" --features "$features" --fit-only --out "$dir"
        measure "$work/train-firn.jsonl" "${pin[@]}" "$firn" --threads "$t" --trainer firn create-model --dir "$dir"
      done
    done
    for trainer in firn forust; do
      measure "$work/train-firn.jsonl" "$firn" --threads "$threads" --trainer "$trainer" search --data "$seed_data" --out "$work/search-$trainer"
    done
    measure "$work/train-xgboost.jsonl" "$py" benches/peer/xgboost_peer.py search --dir "$work/search-firn" --threads "$threads"
    measure "$work/train-firn.jsonl" "$firn" --threads "$threads" --trainer firn seed --data "$seed_data" --out "$work/seed"
    measure "$work/train-xgboost.jsonl" "$py" benches/peer/xgboost_peer.py seed --dir "$work/seed" --threads "$threads"
  done
  quiet="$((measurements - busy_starts)) of $measurements measurements started on a quiet machine (>= 90 % CPU idle)."
  table=$("$py" benches/peer/train_report.py "$work/train-firn.jsonl" "$work/train-xgboost.jsonl")
  echo "$table"
  echo
  echo "$quiet"
  echo "raw JSON lines: $work/train-firn.jsonl, $work/train-xgboost.jsonl" >&2
  if [ "$append" = 1 ]; then
    {
      echo
      echo "## Training: Firn's trainer vs forust vs XGBoost hist (issues 15 and 17)"
      echo
      echo "\`$command_line\` — $(date -u +%Y-%m-%d), $(nproc) cores (shared), profile bench-ml:"
      echo
      echo "$table"
      echo
      echo "$quiet"
    } >>benches/RESULTS.md
    echo "appended to benches/RESULTS.md" >&2
  fi
  exit 0
fi

: >"$work/firn.jsonl"
: >"$work/xgboost.jsonl"
for rep in $(seq "$reps"); do
  echo "repetition $rep of $reps" >&2
  measure "$work/firn.jsonl" "$firn" --threads "$threads" seed --data "$seed_data" --out "$work/seed"
  measure "$work/xgboost.jsonl" "$py" benches/peer/xgboost_peer.py seed --dir "$work/seed" --threads "$threads"
  measure "$work/firn.jsonl" "$firn" --threads "$threads" search --data "$seed_data" --out "$work/search"
  measure "$work/xgboost.jsonl" "$py" benches/peer/xgboost_peer.py search --dir "$work/search" --threads "$threads"
  measure "$work/firn.jsonl" "$firn" --threads "$threads" synthetic --rows "$rows" --out "$work/synthetic"
  measure "$work/xgboost.jsonl" "$py" benches/peer/xgboost_peer.py synthetic --dir "$work/synthetic" --threads "$threads"
done
quiet="$((measurements - busy_starts)) of $measurements measurements started on a quiet machine (>= 90 % CPU idle)."

table=$("$py" benches/peer/report.py "$work/firn.jsonl" "$work/xgboost.jsonl")
echo "$table"
echo
echo "$quiet"
echo "raw JSON lines: $work/firn.jsonl, $work/xgboost.jsonl" >&2
if [ "$append" = 1 ]; then
  {
    echo
    echo "## ML: Firn vs Python XGBoost (issue: peer benchmark)"
    echo
    echo "\`$command_line\` — $(date -u +%Y-%m-%d), $(nproc) cores, profile bench-ml:"
    echo
    echo "$table"
    echo
    echo "$quiet"
  } >>benches/RESULTS.md
  echo "appended to benches/RESULTS.md" >&2
fi
