"""XGBoost's side of the peer benchmark: the same three measurements as
`benches/peer_ml.rs`, on the files it wrote, printing the same JSON.

Run by benches/peer/run.sh after the Rust side of each measurement:

    python xgboost_peer.py seed      --dir DIR --threads N   # DIR/train.csv, DIR/test.csv
    python xgboost_peer.py search    --dir DIR --threads N   # DIR/dataset.csv, DIR/search.json
    python xgboost_peer.py synthetic --dir DIR --threads N [--fit-only]   # DIR/{x,y}_{train,test}.f64, DIR/meta.json

Settings: tree_method="hist", max_bin=256, min_child_weight=1, reg_lambda=1,
base_score left to XGBoost's own estimate, nthread = the Rust side's threads.
"""

import argparse
import json
import pathlib
import time

import numpy as np
import xgboost as xgb
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

SEED = 42
SEED_RUNS = [("baseline", 5, 0.1, 100, 2.0), ("deeper", 10, 0.1, 100, 2.0), ("balanced", 5, 0.1, 150, 3.0)]


def base_params(threads):
    return {
        "objective": "binary:logistic",
        "tree_method": "hist",
        "max_bin": 256,
        "min_child_weight": 1,
        "reg_lambda": 1,
        "nthread": threads,
        "seed": SEED,
    }


def read_csv(path):
    table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    return table[:, :-1], table[:, -1]


def threshold_metrics(labels, probabilities):
    predicted = (probabilities >= 0.5).astype(int)
    return {
        "auc": roc_auc_score(labels, probabilities),
        "f1": f1_score(labels, predicted, zero_division=0),
        "accuracy": accuracy_score(labels, predicted),
        "precision": precision_score(labels, predicted, zero_division=0),
        "recall": recall_score(labels, predicted, zero_division=0),
    }


def peak_rss_mib():
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def seed(directory, threads):
    x_train, y_train = read_csv(directory / "train.csv")
    x_test, y_test = read_csv(directory / "test.csv")
    runs = []
    for name, depth, eta, trees, spw in SEED_RUNS:
        params = dict(base_params(threads), max_depth=depth, eta=eta, scale_pos_weight=spw)
        started = time.perf_counter()
        booster = xgb.train(params, xgb.DMatrix(x_train, label=y_train, nthread=threads), num_boost_round=trees)
        fit_seconds = time.perf_counter() - started
        probabilities = booster.predict(xgb.DMatrix(x_test, nthread=threads))
        runs.append(
            dict(
                name=name,
                max_depth=depth,
                learning_rate=eta,
                n_estimators=trees,
                scale_pos_weight=spw,
                fit_seconds=fit_seconds,
                **threshold_metrics(y_test, probabilities),
            )
        )
    return {"side": "xgboost", "command": "seed", "threads": threads, "train_rows": len(y_train), "test_rows": len(y_test), "runs": runs}


XGB_NAMES = {"learning_rate": "eta"}
SEARCHED = ["max_depth", "learning_rate", "min_child_weight", "subsample", "colsample_bytree", "scale_pos_weight"]


def search(directory, threads):
    x, y = read_csv(directory / "dataset.csv")
    plan = json.loads((directory / "search.json").read_text())
    folds = [np.asarray(f, dtype=np.int64) for f in plan["folds"]]
    started = time.perf_counter()
    fit_seconds, means = 0.0, []
    for candidate in plan["candidates"]:
        given = candidate["params"]
        params = dict(base_params(threads))
        for name in SEARCHED:
            params[XGB_NAMES.get(name, name)] = float(given[name]) if name != "max_depth" else int(given[name])
        trees = int(given["n_estimators"])
        scores = []
        for held_out in folds:
            keep = np.ones(len(y), dtype=bool)
            keep[held_out] = False
            fit_started = time.perf_counter()
            booster = xgb.train(params, xgb.DMatrix(x[keep], label=y[keep], nthread=threads), num_boost_round=trees)
            fit_seconds += time.perf_counter() - fit_started
            probabilities = booster.predict(xgb.DMatrix(x[held_out], nthread=threads))
            scores.append(f1_score(y[held_out], (probabilities >= 0.5).astype(int), zero_division=0))
        means.append(float(np.mean(scores)))
    wall_seconds = time.perf_counter() - started
    return {
        "side": "xgboost",
        "command": "search",
        "threads": threads,
        "rows": len(y),
        "candidates": len(plan["candidates"]),
        "folds": len(folds),
        "wall_seconds": wall_seconds,
        "fit_seconds": fit_seconds,
        "best_mean_f1": max(means),
        "mean_f1": means,
    }


def read_matrix(directory, part):
    features = json.loads((directory / "meta.json").read_text())["features"]
    x = np.fromfile(directory / f"x_{part}.f64", dtype="<f8").reshape(-1, features)
    y = np.fromfile(directory / f"y_{part}.f64", dtype="<f8")
    return x, y


def synthetic(directory, threads, shap_rows, fit_only=False):
    x_train, y_train = read_matrix(directory, "train")
    x_test, y_test = read_matrix(directory, "test")
    params = dict(base_params(threads), max_depth=6, eta=0.3)

    started = time.perf_counter()
    train = xgb.DMatrix(x_train, label=y_train, nthread=threads)
    dmatrix_seconds = time.perf_counter() - started
    booster = xgb.train(params, train, num_boost_round=100)
    fit_seconds = time.perf_counter() - started
    del train
    if fit_only:
        return {
            "side": "xgboost",
            "command": "synthetic",
            "threads": threads,
            "xgboost_version": xgb.__version__,
            "rows": len(y_train),
            "test_rows": len(y_test),
            "features": x_train.shape[1],
            "trees": booster.num_boosted_rounds(),
            "fit_seconds": fit_seconds,
            "dmatrix_seconds": dmatrix_seconds,
            "auc": roc_auc_score(y_test, booster.inplace_predict(x_test)),
            "peak_rss_mib": peak_rss_mib(),
        }

    # inplace_predict: XGBoost's fastest path for a numpy array (no DMatrix, no prediction cache).
    started = time.perf_counter()
    probabilities = booster.inplace_predict(x_train)
    predict_seconds = time.perf_counter() - started
    train_auc = roc_auc_score(y_train, probabilities)

    shap_rows = min(shap_rows, len(y_train))
    explained = xgb.DMatrix(x_train[:shap_rows], nthread=threads)
    started = time.perf_counter()
    contributions = booster.predict(explained, pred_contribs=True)
    shap_seconds = time.perf_counter() - started
    margin = booster.predict(explained, output_margin=True)

    auc = roc_auc_score(y_test, booster.inplace_predict(x_test))
    return {
        "side": "xgboost",
        "command": "synthetic",
        "threads": threads,
        "xgboost_version": xgb.__version__,
        "rows": len(y_train),
        "test_rows": len(y_test),
        "features": x_train.shape[1],
        "trees": booster.num_boosted_rounds(),
        "nodes": sum(len(tree.strip().splitlines()) for tree in booster.get_dump()),
        "fit_seconds": fit_seconds,
        "dmatrix_seconds": dmatrix_seconds,
        "predict_seconds": predict_seconds,
        "predict_rows_per_second": len(y_train) / predict_seconds,
        "shap_rows": shap_rows,
        "shap_seconds": shap_seconds,
        "shap_additivity_error": float(abs(contributions[0].sum() - margin[0])),
        "auc": auc,
        "train_auc": train_auc,
        "peak_rss_mib": peak_rss_mib(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["seed", "search", "synthetic"])
    parser.add_argument("--dir", type=pathlib.Path, required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--shap-rows", type=int, default=20_000)
    parser.add_argument("--fit-only", action="store_true", help="synthetic: the fit and the test AUC only")
    args = parser.parse_args()
    if args.command == "seed":
        report = seed(args.dir, args.threads)
    elif args.command == "search":
        report = search(args.dir, args.threads)
    else:
        report = synthetic(args.dir, args.threads, args.shap_rows, args.fit_only)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
