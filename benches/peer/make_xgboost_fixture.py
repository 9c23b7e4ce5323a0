"""Writes the XGBoost fixture that `src/ml/xgboost_json.rs` tests its import with.

A dev tool, not run by CI. From the repository root:

    python3 -m venv /tmp/xgb && /tmp/xgb/bin/pip install xgboost-cpu numpy
    /tmp/xgb/bin/python benches/peer/make_xgboost_fixture.py

It trains a tiny seeded binary:logistic model (5 trees, depth 3, 3 features with
missing values) and writes
  tests/data/xgboost_small.json           the model, as `Booster.save_model` writes it
  tests/data/xgboost_small_expected.json  some rows (null = missing) with XGBoost's
                                          margins and pred_contribs for them.
Feature values are rounded to one or two decimals so that many rows sit exactly on a
split condition: XGBoost compares float32 values, and the import must route such rows
the way XGBoost does. The fixture was made with xgboost-cpu 3.2.0; rerunning it with
another version may change the files (the Rust test only needs them to agree).
"""

import json
import pathlib

import numpy as np
import xgboost as xgb

ROWS, KEPT = 400, 60
OUT = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data"


def data(rng):
    a = np.round(rng.normal(size=ROWS), 2)
    b = np.round(rng.uniform(0, 10, size=ROWS), 1)
    c = rng.integers(0, 4, size=ROWS).astype(float)
    margin = 1.5 * a - 0.4 * (b - 5) + 0.5 * c - 0.5 + rng.normal(scale=0.7, size=ROWS)
    a[rng.random(ROWS) < 0.10] = np.nan
    b[rng.random(ROWS) < 0.05] = np.nan
    return np.column_stack([a, b, c]), (margin > 0).astype(float)


def main():
    x, y = data(np.random.default_rng(20240611))
    names = ["tenure_z", "tickets", "plan"]
    train = xgb.DMatrix(x, label=y, feature_names=names)
    params = {"objective": "binary:logistic", "max_depth": 3, "eta": 0.3, "seed": 7, "nthread": 1, "tree_method": "hist"}
    booster = xgb.train(params, train, num_boost_round=5)
    booster.save_model(str(OUT / "xgboost_small.json"))

    rows = x[:KEPT]
    test = xgb.DMatrix(rows, feature_names=names)
    expected = {
        "xgboost_version": xgb.__version__,
        "feature_names": names,
        "rows": [[None if np.isnan(v) else float(v) for v in row] for row in rows],
        "margin": [float(v) for v in booster.predict(test, output_margin=True)],
        "contribs": [[float(v) for v in row] for row in booster.predict(test, pred_contribs=True)],
    }
    (OUT / "xgboost_small_expected.json").write_text(json.dumps(expected, indent=1) + "\n")


if __name__ == "__main__":
    main()
