"""The seed pipeline at growing customer counts, Firn beside its Python peer (issue 17).

Run through benches/scale.sh, which makes the Python environment. For each scale:

  data     3,000 customers: the seed CSVs themselves (../shared/seed-data); larger scales:
           `firn gen-data --customers N --seed 11` (made once, untimed)
  Firn     sql/01 … sql/06 each as its own `firn DB -q -f …` process on one database
           directory (how a user with a million customers runs them: the database on disk),
           so every step's wall time, CPU time and peak RSS are the process's own (os.wait4);
           the whole pipeline is their sum (peak: their maximum). sql/07 (monitoring) runs
           after them and is reported apart: the peer has no monitoring step.
  Python   benches/peer/pipeline_peer.py in one process (DuckDB + scikit-learn + XGBoost,
           the point-in-time example included), its own per-step wall, CPU and peak-so-far
           figures, and the whole process's from os.wait4.
  Both use --threads threads (default 2). Repetitions are interleaved (Firn, Python, Firn, …);
  medians are reported. Before each measurement the script waits (up to --quiet-wait s) for
  the CPUs to be >= 90 % idle and counts the measurements that started on a busy machine.

At the smallest scale one more Firn run on a single core (taskset) checks that the metrics
and the risk list do not depend on the number of threads.

Prints markdown tables and writes benches/scale.svg (seconds and GiB against customers, log
scales); appends the tables with the date and the command to benches/RESULTS.md unless
--no-append.
"""

import argparse
import csv
import datetime
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEED_DATA = ROOT.parent / "shared" / "seed-data"
STEPS = [
    "01_data_exploration",
    "02_features",
    "03_model_training",
    "04_experiment_tracking",
    "05_model_registry",
    "06_production",
]
PEER_STEPS = dict(
    zip(
        STEPS,
        ["01 load and labels", "02 features", "03 training", "04 experiments", "05 registry", "06 production"],
    )
)


def cpu_idle_pct(seconds=2.0):
    def sample():
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:9]]
        idle = fields[3] + fields[4]
        return idle, sum(fields)

    i1, t1 = sample()
    time.sleep(seconds)
    i2, t2 = sample()
    return 100 * (i2 - i1) / max(t2 - t1, 1)


class Quiet:
    """Waits for a quiet machine before a measurement and counts the busy starts."""

    def __init__(self, max_wait):
        self.max_wait, self.measurements, self.busy = max_wait, 0, 0

    def wait(self):
        waited, idle = 0.0, cpu_idle_pct()
        while idle < 90 and waited < self.max_wait:
            waited += 2
            idle = cpu_idle_pct()
        self.measurements += 1
        if idle < 90:
            self.busy += 1
            print(f"    machine still busy ({idle:.0f} % idle) after {waited:.0f} s; measuring anyway", file=sys.stderr)


def run_measured(command, log_path, env=None):
    """Runs COMMAND with its output in LOG_PATH; returns wall s, CPU s, peak RSS MiB."""
    with open(log_path, "w") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        tail = pathlib.Path(log_path).read_text(errors="replace").splitlines()[-30:]
        sys.exit(f"{' '.join(map(str, command))} failed (exit {process.returncode}):\n" + "\n".join(tail))
    # ru_maxrss is in KiB on Linux.
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024}


def firn_run(args, data_dir, work, label, pin=None):
    """sql/01 … 06 as separate processes on one database directory, then sql/07."""
    db, out = work / f"{label}-db", work / f"{label}-out"
    out.mkdir(parents=True)
    prefix = ["taskset", "-c", pin] if pin else []
    steps = {}
    for step in STEPS + ["07_monitoring"]:
        command = prefix + [
            args.firn, str(db), "-q", "-f", f"sql/{step}.sql",
            "--set", f"data_dir={data_dir}", "--set", f"out_dir={out}",
        ]
        steps[step] = run_measured(command, work / f"{label}-{step}.log")
    quality = subprocess.run(
        [args.firn, str(db), "-q", "--format", "csv", "-c",
         "SELECT f1, roc_auc FROM evaluate('churn_search', 'test_set')"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip().splitlines()[-1]
    f1, auc = (float(v) for v in quality.split(","))
    risk = (out / "churn_risk_list.csv").read_bytes()
    shutil.rmtree(db)
    return {"steps": steps, "f1": f1, "auc": auc, "risk_rows": risk.count(b"\n") - 1, "risk": risk}


def python_run(args, data_dir, work, label):
    out = work / f"{label}-out"
    command = [
        sys.executable, "benches/peer/pipeline_peer.py",
        "--data-dir", str(data_dir), "--out-dir", str(out), "--threads", str(args.threads),
    ]
    whole = run_measured(command, work / f"{label}.log")
    report = json.loads((work / f"{label}.log").read_text().strip().splitlines()[-1])
    with open(out / "churn_risk_list.csv") as f:
        risk_rows = sum(1 for _ in csv.reader(f)) - 1
    shutil.rmtree(out)
    steps = {
        step: {
            "wall": report["stage_seconds"][name],
            "cpu": report["stage_cpu_seconds"][name],
            "peak_mib": report["stage_peak_mib"][name],
        }
        for step, name in PEER_STEPS.items()
    }
    return {"whole": whole, "steps": steps, "f1": report["test_f1"], "auc": report["test_auc"],
            "risk_rows": risk_rows, "report": report}


def firn_whole(run):
    steps = [run["steps"][s] for s in STEPS]
    return {
        "wall": sum(s["wall"] for s in steps),
        "cpu": sum(s["cpu"] for s in steps),
        "peak_mib": max(s["peak_mib"] for s in steps),
    }


def data_for(args, customers, work):
    if customers == 3000 and (SEED_DATA / "customers.csv").exists():
        return SEED_DATA
    data = work / f"data-{customers}"
    print(f"  firn gen-data --customers {customers} --seed 11", file=sys.stderr)
    subprocess.run(
        [args.firn, "gen-data", "--customers", str(customers), "--seed", "11", "--out", str(data)],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
    )
    return data


def med(values):
    return statistics.median(values)


def scale_table(customers, firn_runs, python_runs):
    """Markdown rows for one scale: whole pipeline and per step."""
    rows = []

    def row(name, f, p):
        fw, pw = med([x["wall"] for x in f]), med([x["wall"] for x in p])
        fc, pc = med([x["cpu"] for x in f]), med([x["cpu"] for x in p])
        fm, pm = med([x["peak_mib"] for x in f]), med([x["peak_mib"] for x in p])
        rows.append(
            f"| {customers:,} | {name} | {fw:.2f} | {pw:.2f} | {fw / pw:.2f}× | {fc:.2f} | {pc:.2f} "
            f"| {fm:.0f} | {pm:.0f} | {fm / pm:.2f}× |"
        )
        return fw, pw, fm, pm

    whole = row("**whole (01–06)**", [firn_whole(r) for r in firn_runs], [r["whole"] for r in python_runs])
    for step in STEPS:
        row(step, [r["steps"][step] for r in firn_runs], [r["steps"][step] for r in python_runs])
    monitoring = [r["steps"]["07_monitoring"] for r in firn_runs]
    rows.append(
        f"| {customers:,} | 07_monitoring (Firn only) | {med([x['wall'] for x in monitoring]):.2f} | — | — "
        f"| {med([x['cpu'] for x in monitoring]):.2f} | — | {med([x['peak_mib'] for x in monitoring]):.0f} | — | — |"
    )
    return rows, whole


def chart(curve, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    plain = FuncFormatter(lambda value, _: f"{value:g}")
    # Minor ticks: label only 2× and 5× a power of ten, or the axis is a wall of digits.
    some = FuncFormatter(
        lambda value, _: f"{value:g}" if f"{value:.0e}"[0] in "25" else ""
    )
    customers = FuncFormatter(
        lambda value, _: f"{value / 1e6:g}M" if value >= 1e6 else f"{value / 1e3:g}k"
    )

    xs = [c["customers"] for c in curve]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for axis, key, scale, title in (
        (left, "wall", 1, "whole pipeline, wall seconds (median)"),
        (right, "peak", 1 / 1024, "peak resident memory, GiB (median)"),
    ):
        axis.plot(xs, [c["firn_" + key] * scale for c in curve], "o-", label="Firn", color="#1f77b4")
        axis.plot(xs, [c["python_" + key] * scale for c in curve], "s--", label="DuckDB + scikit-learn + XGBoost",
                  color="#d62728")
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.yaxis.set_major_formatter(plain)
        axis.yaxis.set_minor_formatter(some)
        axis.xaxis.set_major_formatter(customers)
        axis.set_xticks(xs)
        axis.tick_params(axis="y", which="minor", labelsize=7)
        axis.set_xlabel("customers")
        axis.set_title(title, fontsize=10)
        axis.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=8)
    fig.suptitle("The seed pipeline (sql/01–06) against customers, 2 threads each", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, metadata={"Date": None})
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firn", required=True)
    parser.add_argument("--scales", default="3000,100000,1000000", help="customer counts, comma-separated")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quiet-wait", type=float, default=300)
    parser.add_argument("--no-append", action="store_true")
    parser.add_argument("--command-line", default="benches/scale.sh")
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    quiet = Quiet(args.quiet_wait)
    work = pathlib.Path(tempfile.mkdtemp(prefix="firn-scale."))
    table = [
        "| customers | step | Firn s | Python s | Firn/Python | Firn CPU s | Python CPU s | Firn peak MiB "
        "| Python peak MiB | Firn/Python memory |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    curve, notes = [], []
    try:
        for customers in scales:
            print(f"== {customers:,} customers", file=sys.stderr)
            data = data_for(args, customers, work)
            firn_runs, python_runs = [], []
            for rep in range(1, args.reps + 1):
                quiet.wait()
                firn_runs.append(firn_run(args, data, work, f"firn-{customers}-{rep}"))
                print(f"  firn {rep}: {firn_whole(firn_runs[-1])['wall']:.2f} s", file=sys.stderr)
                quiet.wait()
                python_runs.append(python_run(args, data, work, f"python-{customers}-{rep}"))
                print(f"  python {rep}: {python_runs[-1]['whole']['wall']:.2f} s", file=sys.stderr)
            rows, (fw, pw, fm, pm) = scale_table(customers, firn_runs, python_runs)
            table += rows
            curve.append({"customers": customers, "firn_wall": fw, "python_wall": pw, "firn_peak": fm,
                          "python_peak": pm})
            f, p = firn_runs[0], python_runs[0]
            same_risk = len({r["risk"] for r in firn_runs}) == 1
            notes.append(
                f"{customers:,} customers: searched model test F1 Firn {f['f1']:.4f} / Python {p['f1']:.4f}, "
                f"ROC-AUC {f['auc']:.4f} / {p['auc']:.4f}; high-risk customers {f['risk_rows']:,} / "
                f"{p['risk_rows']:,}; Firn's risk list identical in all {args.reps} runs: "
                f"{'yes' if same_risk else '**no**'}."
            )
            if customers == scales[0]:
                one_core = firn_run(args, data, work, f"firn-{customers}-one-core", pin="0")
                same = one_core["risk"] == f["risk"] and (one_core["f1"], one_core["auc"]) == (f["f1"], f["auc"])
                notes.append(
                    f"{customers:,} customers on one core (taskset -c 0) against two: test F1, ROC-AUC and the "
                    f"risk list {'identical' if same else '**different**'}."
                )
            for path in work.glob(f"firn-{customers}-*-out"):
                shutil.rmtree(path, ignore_errors=True)
            if data != SEED_DATA:
                shutil.rmtree(data)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    chart(curve, ROOT / "benches" / "scale.svg")
    ver = python_runs[0]["report"]["versions"]
    summary = [
        f"Medians of {args.reps} interleaved runs, {args.threads} threads each side; "
        f"{quiet.measurements - quiet.busy} of {quiet.measurements} measurements started on a quiet machine "
        f"(>= 90 % CPU idle). Python {ver['python']}, DuckDB {ver['duckdb']}, XGBoost {ver['xgboost']}, "
        f"scikit-learn {ver['scikit-learn']}, pandas {ver['pandas']}. Firn's steps are separate processes on a "
        "database directory (wall, CPU and peak RSS per process; whole = sum, peak = max); Python's are one "
        "process (whole from the process, steps from its own clocks, peak = peak so far at the step's end). "
        "Chart: benches/scale.svg.",
        "",
    ] + [f"- {n}" for n in notes]
    text = "\n".join(table) + "\n\n" + "\n".join(summary) + "\n"
    print(text)
    if not args.no_append:
        with open(ROOT / "benches" / "RESULTS.md", "a") as results:
            results.write(
                f"\n### Scale curve, {datetime.date.today().isoformat()}: the seed pipeline against customers "
                f"(issue 17)\n\n`{args.command_line}`\n\n![seconds and GiB against customers](scale.svg)\n\n"
                + text
            )


if __name__ == "__main__":
    main()
