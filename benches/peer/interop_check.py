"""Scores rows with XGBoost from a Firn model exported by `firnml::ml::xgboost_json::export`.

A dev tool for the peer benchmark, not run by CI. Usage:

    python3 -m venv /tmp/xgb && /tmp/xgb/bin/pip install xgboost-cpu numpy
    /tmp/xgb/bin/python benches/peer/interop_check.py MODEL.json ROWS.csv > xgboost.json

ROWS.csv has a header of feature names (any order; extra columns are ignored) and one row
per line; an empty cell, NaN or NULL is a missing value. Categorical features must already
hold Firn's ordinal codes. Prints one JSON object: the XGBoost version, and per row the
margin (`output_margin=True`), the prediction, and `pred_contribs=True` (one column per
feature, then the bias).
"""

import csv
import json
import sys

import numpy as np
import xgboost as xgb


def read_rows(path, names):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [n for n in names if n not in (reader.fieldnames or [])]
        if missing:
            sys.exit(f"{path} has no column(s) {', '.join(missing)}")
        cell = lambda v: float("nan") if v.strip().upper() in ("", "NAN", "NULL") else float(v)
        return np.array([[cell(row[n]) for n in names] for row in reader], dtype=np.float64).reshape(-1, len(names))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    booster = xgb.Booster(model_file=sys.argv[1])
    names = booster.feature_names or [f"f{i}" for i in range(booster.num_features())]
    rows = xgb.DMatrix(read_rows(sys.argv[2], names), feature_names=booster.feature_names)
    print(json.dumps({
        "xgboost_version": xgb.__version__,
        "margin": booster.predict(rows, output_margin=True).tolist(),
        "prediction": booster.predict(rows).tolist(),
        "contribs": booster.predict(rows, pred_contribs=True).tolist(),
    }))


if __name__ == "__main__":
    main()
