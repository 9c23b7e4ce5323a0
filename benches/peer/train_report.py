"""Tabulates `benches/peer/run.sh --training`: medians over repetitions of each
measurement's JSON lines, as markdown tables (training alone, CREATE MODEL end to
end with its breakdown, the seed's search and the seed's quality).

    python train_report.py FIRN.jsonl XGBOOST.jsonl
"""

import json
import statistics
import sys


def load(path):
    with open(path) as lines:
        return [json.loads(line) for line in lines if line.strip()]


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def pick(reports, **where):
    return [r for r in reports if all(r.get(k) == v for k, v in where.items())]


def fmt(value, digits=2):
    return "—" if value is None else f"{value:.{digits}f}"


def ratio(a, b):
    return "—" if a is None or not b else f"{a / b:.2f}×"


def yes(ok):
    return "—" if ok is None else ("yes" if ok else "**no**")


def main():
    firn, xgb = load(sys.argv[1]), load(sys.argv[2])
    lines = []
    out = lines.append

    out("| problem | threads | Firn fit s | forust fit s | XGBoost fit s | Firn / XGBoost | forust / XGBoost | Firn / forust | AUC Firn | AUC XGBoost | AUC Δ (±0.002) |")
    out("|---|---|---|---|---|---|---|---|---|---|---|")
    combos = sorted({(r["features"], r["threads"]) for r in firn if r["command"] == "synthetic"})
    for features, threads in combos:
        f = pick(firn, command="synthetic", trainer="firn", features=features, threads=threads)
        fo = pick(firn, command="synthetic", trainer="forust", features=features, threads=threads)
        x = pick(xgb, command="synthetic", features=features, threads=threads)
        ff, fof, xf = (median([r["fit_seconds"] for r in s]) for s in (f, fo, x))
        fa, xa = median([r["auc"] for r in f]), median([r["auc"] for r in x])
        delta = None if fa is None or xa is None else fa - xa
        rows = f[0]["rows"] if f else 0
        out(
            f"| {rows / 1e6:g}M × {features} | {threads} | {fmt(ff)} | {fmt(fof)} | {fmt(xf)} | {ratio(ff, xf)} | {ratio(fof, xf)} | {ratio(ff, fof)} "
            f"| {fmt(fa, 4)} | {fmt(xa, 4)} | {'—' if delta is None else f'{delta:+.4f}'} {yes(None if delta is None else abs(delta) <= 0.002)} |"
        )
    out("")
    out("`CREATE MODEL` end to end (scan of the Parquet table, canonical order, split, fit, held-out metrics, publish), against XGBoost's training alone on as many rows (target ≤ 0.67×):")
    out("")
    out("| problem | threads | CREATE MODEL s | XGBoost fit s | ratio | met | held-out AUC | scan | canonical order | dataset | fingerprint | split | fit | held-out metrics | rest (plan, publish, log) |")
    out("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for features, threads in sorted({(r["features"], r["threads"]) for r in firn if r["command"] == "create_model"}):
        c = pick(firn, command="create_model", features=features, threads=threads)
        x = pick(xgb, command="synthetic", features=features, threads=threads)
        cs, xf = median([r["statement_seconds"] for r in c]), median([r["fit_seconds"] for r in x])
        steps = ["scan", "canonical_rows", "dataset", "fingerprint", "split", "fit", "held_out_metrics", "rest_of_statement"]
        parts = [fmt(median([r.get("breakdown", {}).get(s) for r in c])) for s in steps]
        met = None if cs is None or not xf else cs <= 0.67 * xf
        out(
            f"| {c[0]['rows_train'] / 1e6:g}M × {features} | {threads} | {fmt(cs)} | {fmt(xf)} | {ratio(cs, xf)} | {yes(met)} | {fmt(median([r['auc'] for r in c]), 4)} | "
            + " | ".join(parts)
            + " |"
        )
    out("")
    out("The seed's random search (5 candidates × 3-fold CV by F1, 3,000 customers), wall seconds (target: ≥ 2× faster than the 1.14 s before this change, i.e. ≤ 0.57 s):")
    out("")
    out("| backend | threads | wall s | fits' own s | best mean CV F1 | met |")
    out("|---|---|---|---|---|---|")
    for trainer in ["firn", "forust"]:
        s = pick(firn, command="search", trainer=trainer)
        if s:
            w = median([r["wall_seconds"] for r in s])
            out(f"| Firn, trainer '{trainer}' | {s[0]['threads']} | {fmt(w, 3)} | {fmt(median([r['fit_seconds'] for r in s]), 3)} | {fmt(median([r['best_mean_f1'] for r in s]), 4)} | {yes(w <= 0.57) if trainer == 'firn' else '—'} |")
    s = pick(xgb, command="search")
    if s:
        out(f"| XGBoost (same 15 fits, one after another) | {s[0]['threads']} | {fmt(median([r['wall_seconds'] for r in s]), 3)} | {fmt(median([r['fit_seconds'] for r in s]), 3)} | {fmt(median([r['best_mean_f1'] for r in s]), 4)} | — |")
    out("")
    out("The seed's three runs with Firn's trainer (test AUC and F1 within ±0.01 of XGBoost):")
    out("")
    out("| run | AUC Firn | AUC XGBoost | Δ | F1 Firn | F1 XGBoost | Δ | met |")
    out("|---|---|---|---|---|---|---|---|")
    fs, xs = pick(firn, command="seed"), pick(xgb, command="seed")
    for name in ["baseline", "deeper", "balanced"]:
        def get(reports, key):
            return median([next(run[key] for run in r["runs"] if run["name"] == name) for r in reports])
        fa, xa, ff, xf = get(fs, "auc"), get(xs, "auc"), get(fs, "f1"), get(xs, "f1")
        if None in (fa, xa, ff, xf):
            continue
        out(f"| {name} | {fa:.4f} | {xa:.4f} | {fa - xa:+.4f} | {ff:.4f} | {xf:.4f} | {ff - xf:+.4f} | {yes(abs(fa - xa) <= 0.01 and abs(ff - xf) <= 0.01)} |")
    reps = max((len(pick(firn, command="search", trainer="firn"))), 1)
    version = next((r.get("xgboost_version") for r in xgb if r.get("xgboost_version")), "?")
    out("")
    out(f"Medians of {reps} repetitions; XGBoost {version} (`tree_method=\"hist\"`, `max_bin=256`); XGBoost's fit time includes building its DMatrix. One thread = the process pinned to one CPU (`taskset -c 0`) with 1 training thread on both sides.")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
