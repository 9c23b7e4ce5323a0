"""Tabulates the peer benchmark: medians over the repetitions of each side's JSON
lines (one object per measurement and repetition) as a markdown table with Firn,
XGBoost, their ratio or difference, the issue's target and whether it is met.

    python report.py FIRN.jsonl XGBOOST.jsonl
"""

import json
import statistics
import sys


def load(path):
    by_command = {}
    with open(path) as lines:
        for line in lines:
            line = line.strip()
            if line:
                report = json.loads(line)
                by_command.setdefault(report["command"], []).append(report)
    return by_command


def median(reports, get):
    values = [get(r) for r in reports]
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def run_value(name, key):
    return lambda report: next(r[key] for r in report["runs"] if r["name"] == name)


def fmt(value, digits):
    if value is None:
        return "—"
    if digits == "int":
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def main():
    firn, xgb = load(sys.argv[1]), load(sys.argv[2])
    rows = []

    def add(figure, target, get_f, get_x, digits, compare):
        f = median(firn.get(compare[0], []), get_f) if compare[0] in firn else None
        x = median(xgb.get(compare[0], []), get_x) if compare[0] in xgb else None
        kind, check = compare[1], compare[2]
        if f is None or x is None:
            relation, met = "—", "—"
        else:
            relation = f"{f - x:+.4f}" if kind == "diff" else (f"{f / x:.2f}×" if x else "—")
            met = "—" if check is None else ("yes" if check(f, x) else "**no**")
        rows.append(f"| {figure} | {target} | {fmt(f, digits)} | {fmt(x, digits)} | {relation} | {met} |")

    within = lambda tol: (lambda f, x: abs(f - x) <= tol)  # noqa: E731
    for name in ["baseline", "deeper", "balanced"]:
        add(f"seed `{name}`: test AUC", "±0.01", run_value(name, "auc"), run_value(name, "auc"), 4, ("seed", "diff", within(0.01)))
        add(f"seed `{name}`: test F1", "±0.01", run_value(name, "f1"), run_value(name, "f1"), 4, ("seed", "diff", within(0.01)))
        for metric in ["accuracy", "precision", "recall"]:
            add(f"seed `{name}`: test {metric}", "—", run_value(name, metric), run_value(name, metric), 4, ("seed", "diff", None))
        add(f"seed `{name}`: fit s", "—", run_value(name, "fit_seconds"), run_value(name, "fit_seconds"), 3, ("seed", "ratio", None))
    wall = lambda r: r["wall_seconds"]  # noqa: E731
    add("seed search, 5 × 3-fold CV, wall s", "Firn < 1 s", wall, wall, 3, ("search", "ratio", lambda f, x: f < 1.0))
    best = lambda r: r["best_mean_f1"]  # noqa: E731
    add("seed search: best mean CV F1", "—", best, best, 4, ("search", "diff", None))
    get = lambda key: (lambda r: r[key])  # noqa: E731
    add("synthetic 1M × 8: fit s (100 trees, depth 6)", "≤ 0.8× XGBoost", get("fit_seconds"), get("fit_seconds"), 2, ("synthetic", "ratio", lambda f, x: f <= 0.8 * x))
    add("synthetic: prediction rows/s (all 1M rows)", "≥ XGBoost", get("predict_rows_per_second"), get("predict_rows_per_second"), "int", ("synthetic", "ratio", lambda f, x: f >= x))
    add("synthetic: TreeSHAP s, 20,000 rows", "≤ XGBoost `pred_contribs`", get("shap_seconds"), get("shap_seconds"), 3, ("synthetic", "ratio", lambda f, x: f <= x))
    add("synthetic: test AUC", "±0.002", get("auc"), get("auc"), 4, ("synthetic", "diff", within(0.002)))
    add("synthetic: peak RSS MiB (VmHWM)", "recorded", get("peak_rss_mib"), get("peak_rss_mib"), 0, ("synthetic", "ratio", None))

    print("| figure | target | Firn | XGBoost | Firn vs XGBoost | met |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    reps = max((len(v) for v in firn.values()), default=0)
    threads = next((r["threads"] for v in firn.values() for r in v), None)
    version = next((r.get("xgboost_version") for r in xgb.get("synthetic", []) if r.get("xgboost_version")), "?")
    dmatrix = median(xgb.get("synthetic", []), lambda r: r.get("dmatrix_seconds"))
    print()
    print(f"Medians of {reps} repetitions, {threads} threads on both sides, XGBoost {version}. ", end="")
    if dmatrix is not None:
        print(f"XGBoost's fit time includes building its DMatrix from the numpy array ({dmatrix:.2f} s), as Firn's includes its own binning copy.")
    else:
        print()


if __name__ == "__main__":
    main()
