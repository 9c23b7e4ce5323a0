#!/usr/bin/env bash
# The whole seed pipeline end to end, Firn beside its Python equivalent (issue 4, "Numbers":
# sql/pipeline.sql on the 3,000-customer seed data in under 2 s wall on 2 cores, from a cold
# start of the `firn` binary).
#
#   Firn:   firn -q -f sql/pipeline.sql --set data_dir=../shared/seed-data --set out_dir=TMP
#           (a fresh process with an in-memory database each time)
#   Python: python benches/peer/pipeline_peer.py --data-dir ../shared/seed-data --out-dir TMP
#           (DuckDB + scikit-learn + XGBoost; a fresh process each time, interpreter start and
#           imports included; the script also reports its own time without the imports)
#
# Both read the same CSVs with 2 threads. The repetitions are interleaved (Firn, Python, Firn, …)
# after one untimed warm-up of each (it fills the file cache and gives Firn's test metrics).
# One more Firn run after them, of the six scripts with `\timing on`, gives Firn's seconds by
# step (Python's script times its steps itself).
# The machine is shared: before each measurement the script waits (up to --quiet-wait seconds,
# default 300) for the CPUs to be >= 90 % idle and says how many measurements started on a busy
# machine. Prints a markdown table of medians and appends it, with the date and this command,
# to benches/RESULTS.md unless --no-append.
#
# Usage: benches/pipeline.sh [--reps N] [--firn PATH] [--quiet-wait S] [--no-append]
# Needs the release `firn` (default $HOME/.cache/firn-target-release/release/firn), python3 (a
# venv with duckdb, xgboost-cpu, scikit-learn, pandas, pyarrow and numpy is made under
# $HOME/.cache/firn-pipeline-venv) and the seed CSVs in ../shared/seed-data.
set -euo pipefail
cd "$(dirname "$0")/.."
command_line="benches/pipeline.sh${*:+ $*}"
reps=5 append=1 quiet_wait=300 threads=2
firn="$HOME/.cache/firn-target-release/release/firn"
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --firn) firn="$2"; shift 2 ;;
    --quiet-wait) quiet_wait="$2"; shift 2 ;;
    --no-append) append=0; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
seed_data=../shared/seed-data
if [ ! -f "$seed_data/customers.csv" ] || [ ! -f "$seed_data/orders.csv" ]; then
  echo "$seed_data/{customers,orders}.csv are missing: the seed CSVs must be beside the project (never copied into it)" >&2
  exit 1
fi
if [ ! -x "$firn" ]; then
  echo "no firn binary at $firn; build the release binary with" >&2
  echo "  CARGO_TARGET_DIR=\$HOME/.cache/firn-target-release cargo build --release --bin firn" >&2
  echo "or pass another one with --firn PATH" >&2
  exit 1
fi

venv="$HOME/.cache/firn-pipeline-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import duckdb, xgboost, sklearn, pandas, pyarrow, numpy, scipy" 2>/dev/null \
  || "$venv/bin/pip" install --quiet duckdb xgboost-cpu scikit-learn pandas pyarrow numpy
py="$venv/bin/python"

work=$(mktemp -d "${TMPDIR:-/tmp}/firn-pipeline.XXXXXX")
trap 'rm -rf "$work"' EXIT

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

firn_pipeline() { # OUT_DIR [more firn arguments]
  local out="$1"
  shift
  "$firn" -q -f sql/pipeline.sql --set data_dir="$seed_data" --set out_dir="$out" "$@"
}
python_pipeline() { # OUT_DIR
  "$py" benches/peer/pipeline_peer.py --data-dir "$seed_data" --out-dir "$1" --threads "$threads"
}

measurements=0 busy_starts=0
# measure SIDE REP COMMAND…: once the machine is quiet (or the wait is over), runs COMMAND
# with its output in $work/SIDE-REP.log and appends a JSON line to $work/SIDE.jsonl:
# wall, user and system seconds, and the CPU idle % before the start.
measure() {
  local side="$1" rep="$2" waited=0 idle status=0 wall user sys
  shift 2
  while idle=$(cpu_idle_pct) && [ "$idle" -lt 90 ] && [ "$waited" -lt "$quiet_wait" ]; do
    waited=$((waited + 3))
  done
  measurements=$((measurements + 1))
  if [ "$idle" -lt 90 ]; then
    busy_starts=$((busy_starts + 1))
    echo "  $side $rep: machine still busy ($idle % idle) after ${waited} s; measuring anyway" >&2
  else
    echo "  $side $rep: ($idle % idle after ${waited} s)" >&2
  fi
  local log="$work/$side-$rep.log" timing="$work/$side-$rep.time"
  { TIMEFORMAT='%3R %3U %3S'; time "$@" >"$log" 2>&1; } 2>"$timing" || status=$?
  if [ "$status" != 0 ]; then
    echo "$side failed (exit $status); its output:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  read -r wall user sys <"$timing"
  echo "    wall $wall s (user $user s, sys $sys s)" >&2
  printf '{"rep": %s, "wall": %s, "user": %s, "sys": %s, "idle_pct": %s, "log": "%s"}\n' \
    "$rep" "$wall" "$user" "$sys" "$idle" "$log" >>"$work/$side.jsonl"
}

echo "warm-up (untimed): one run of each side" >&2
firn_pipeline "$work/firn-warmup" --format csv \
  -c "SELECT f1, roc_auc FROM evaluate('churn_search', 'test_set')" >"$work/firn-warmup.log" 2>&1 \
  || { tail -n 30 "$work/firn-warmup.log" >&2; echo "firn's pipeline failed in the warm-up" >&2; exit 1; }
# The last line of the CSV output is the extra query's row: f1,roc_auc of the searched model.
firn_quality=$(tail -n 1 "$work/firn-warmup.log")
python_pipeline "$work/python-warmup" >"$work/python-warmup.log" 2>&1 \
  || { tail -n 30 "$work/python-warmup.log" >&2; echo "the Python pipeline failed in the warm-up" >&2; exit 1; }

for rep in $(seq "$reps"); do
  echo "repetition $rep of $reps" >&2
  mkdir -p "$work/firn-out-$rep" "$work/python-out-$rep"
  measure firn "$rep" firn_pipeline "$work/firn-out-$rep"
  measure python "$rep" python_pipeline "$work/python-out-$rep"
done
# One more Firn run, outside the table's wall times: the six scripts that sql/pipeline.sql
# includes, each after a marker statement, with \timing on, for Firn's seconds by step.
steps=(-c '\timing on')
for script in sql/0[1-6]_*.sql; do
  steps+=(-c "SELECT '$(basename "$script" .sql)' AS step" -f "$script")
done
echo "Firn's seconds by step (one more run, statement timing on)" >&2
mkdir -p "$work/firn-steps-out-1"
measure firn-steps 1 "$firn" -q "${steps[@]}" --set data_dir="$seed_data" --set out_dir="$work/firn-steps-out-1"
quiet="$((measurements - busy_starts)) of $measurements measurements started on a quiet machine (>= 90 % CPU idle)."

table=$(FIRN_QUALITY="$firn_quality" WORK="$work" REPS="$reps" "$py" - <<'EOF'
import csv, json, os, re, statistics

work, reps = os.environ["WORK"], int(os.environ["REPS"])

def load(side):
    with open(f"{work}/{side}.jsonl") as lines:
        return [json.loads(line) for line in lines if line.strip()]

def risk_rows(side, rep):
    with open(f"{work}/{side}-out-{rep}/churn_risk_list.csv") as f:
        return sum(1 for _ in csv.reader(f)) - 1

firn, python = load("firn"), load("python")
# Each Python run ends with one JSON line of its own figures.
for m in python:
    with open(m["log"]) as f:
        m["report"] = json.loads(f.read().strip().splitlines()[-1])

med = lambda values: statistics.median(values)
spread = lambda values: f"{min(values):.2f}–{max(values):.2f}"
f_wall, p_wall = [m["wall"] for m in firn], [m["wall"] for m in python]
p_work = [m["report"]["work_seconds"] for m in python]
p_imports = [m["report"]["import_seconds"] for m in python]
f_cpu = [m["user"] + m["sys"] for m in firn]
p_cpu = [m["user"] + m["sys"] for m in python]
f_risk = sorted({risk_rows("firn", r) for r in range(1, reps + 1)})
p_risk = sorted({risk_rows("python", r) for r in range(1, reps + 1)})
f_f1, f_auc = (float(v) for v in os.environ["FIRN_QUALITY"].split(","))
p_f1 = med([m["report"]["test_f1"] for m in python])
p_auc = med([m["report"]["test_auc"] for m in python])
met = "yes" if med(f_wall) < 2.0 else "**no**"
ver = python[0]["report"]["versions"]

print("| figure | target | Firn | Python | Firn vs Python | met |")
print("|---|---|---|---|---|---|")
print(f"| whole pipeline, fresh process, wall s (median) | Firn < 2 s | {med(f_wall):.2f} | {med(p_wall):.2f} | {med(f_wall) / med(p_wall):.2f}× | {met} |")
print(f"| wall s, min–max of {reps} | — | {spread(f_wall)} | {spread(p_wall)} | — | — |")
print(f"| Python without interpreter start and imports, s (in-script) | — | — | {med(p_work):.2f} | {med(f_wall) / med(p_work):.2f}× | — |")
print(f"| Python imports, s (in-script) | — | — | {med(p_imports):.2f} | — | — |")
print(f"| CPU s (user + sys, median) | — | {med(f_cpu):.2f} | {med(p_cpu):.2f} | {med(f_cpu) / med(p_cpu):.2f}× | — |")
print(f"| searched model: test F1 | ≈ 0.8 (seed) | {f_f1:.4f} | {p_f1:.4f} | {f_f1 - p_f1:+.4f} | — |")
print(f"| searched model: test ROC-AUC | — | {f_auc:.4f} | {p_auc:.4f} | {f_auc - p_auc:+.4f} | — |")
print(f"| high-risk customers (v2, p ≥ 0.5) | — | {', '.join(map(str, f_risk))} | {', '.join(map(str, p_risk))} | — | — |")
print()
stages = {k: med([m["report"]["stage_seconds"][k] for m in python]) for k in python[0]["report"]["stage_seconds"]}
print(
    f"Python {ver['python']}, DuckDB {ver['duckdb']}, XGBoost {ver['xgboost']}, scikit-learn {ver['scikit-learn']}, "
    f"pandas {ver['pandas']}; 2 threads on both sides. Python's in-script seconds by step (medians): "
    + ", ".join(f"{k} {v:.2f}" for k, v in stages.items()) + "."
)
# Firn's statement times by step, from the run with timing on: "| 03_model_training |" starts a step,
# "OK in 4.5 ms" / "1 row in 1.2 s" closes a statement.
steps, step = {}, None
with open(f"{work}/firn-steps-1.log") as log:
    for line in log:
        if marker := re.match(r"^\| (0[1-6]_\w+)\s*\|", line):
            step = marker.group(1)
        elif (timing := re.match(r"^(?:OK|\d+ rows?) in ([\d.]+) (ms|s)$", line.strip())) and step:
            steps[step] = steps.get(step, 0.0) + float(timing.group(1)) / (1000 if timing.group(2) == "ms" else 1)
steps_run = load("firn-steps")[0]
print()
print(
    f"Firn's statement seconds by step (one more run with `\\timing on`, {steps_run['wall']:.2f} s wall): "
    + ", ".join(f"{k} {v:.2f}" for k, v in steps.items())
    + f"; the rest of the wall time (process start, parsing, printing, exit) {steps_run['wall'] - sum(steps.values()):.2f}."
)
print()
print("Per repetition, wall s (Firn / Python): " + "; ".join(f"{f['wall']:.2f} / {p['wall']:.2f}" for f, p in zip(firn, python)) + ".")
EOF
)
echo "$table"
echo
echo "$quiet"
if [ "$append" = 1 ]; then
  {
    echo
    echo "## Seed pipeline end to end (issue: models in SQL)"
    echo
    echo "\`$command_line\` — $(date -u +%Y-%m-%d), $(nproc) cores, release \`firn\`, $reps repetitions of each side, interleaved:"
    echo
    echo "$table"
    echo
    echo "$quiet"
  } >>benches/RESULTS.md
  echo "appended to benches/RESULTS.md" >&2
fi
