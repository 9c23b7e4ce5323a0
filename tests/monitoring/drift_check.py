"""An independent drift computation for tests/monitoring.rs: plain Python (no
numpy, no Firn), written from the README's definitions. Reads the seed data
from $FIRN_SEED_DIR, builds the same per-customer features as the test's SQL,
shifts them by the test's known amounts, and prints one JSON object: per
feature (and for the prediction, from $FIRN_PREDICTIONS) the psi, the ks
against the training rows and against the training percentiles, the null
rates, the out-of-range share and the unseen categories."""

import bisect
import csv
import json
import math
import os
import statistics

SEED = os.environ["FIRN_SEED_DIR"]
FLOOR = 1e-4


def read(name):
    with open(os.path.join(SEED, name), newline="") as f:
        return list(csv.DictReader(f))


def features():
    """customer_id → the test's seed_features row."""
    rows = {}
    for c in read("customers.csv"):
        rows[c["CUSTOMER_ID"]] = {
            "segment": c["SEGMENT"], "region": c["REGION"], "order_count": 0,
            "cents": 0, "returned": None, "cancelled": 0,
        }
    for o in read("orders.csv"):
        r = rows[o["CUSTOMER_ID"]]
        cents = int(round(float(o["ORDER_AMOUNT"]) * 100))
        r["order_count"] += 1
        r["cents"] += cents
        if o["STATUS"] == "RETURNED":
            r["returned"] = (r["returned"] or 0) + cents
        if o["STATUS"] == "CANCELLED":
            r["cancelled"] += 1
    out = {
        "segment": [], "region": [], "order_count": [], "total_cents": [],
        "avg_cents": [], "returned_cents": [],
    }
    for r in rows.values():
        out["segment"].append(r["segment"])
        out["region"].append(r["region"])
        out["order_count"].append(float(r["order_count"]))
        out["total_cents"].append(float(r["cents"]))
        n = r["order_count"]
        out["avg_cents"].append(float(r["cents"]) / float(n) if n else None)
        out["returned_cents"].append(None if r["returned"] is None else float(r["returned"]))
    return out


def shifted(f):
    """The test's known shifts."""
    return {
        "segment": f["segment"],
        "region": ["Northwest" if r == "West" else r for r in f["region"]],
        "order_count": f["order_count"],
        "total_cents": [v + 50000.0 for v in f["total_cents"]],
        "avg_cents": [None if v is None else v * 1.25 for v in f["avg_cents"]],
        "returned_cents": f["returned_cents"],
    }


def percentile(s, q):
    """numpy's default (linear) percentile of sorted values s."""
    index = (len(s) - 1) * (q / 100)
    below = math.floor(index)
    t = index - below
    a, b = s[below], s[min(below + 1, len(s) - 1)]
    return b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t


def psi(actual, expected):
    ta, te = sum(actual), sum(expected)
    total = 0.0
    for a, e in zip(actual, expected):
        a, e = max(a / ta, FLOOR), max(e / te, FLOOR)
        total += (a - e) * math.log(a / e)
    return total


def decile_counts(edges, values):
    counts = [0] * (len(edges) + 1)
    for v in values:
        i = 0
        while i < len(edges) and v > edges[i]:  # right-closed: v == edge stays below
            i += 1
        counts[i] += 1
    return counts


def ks_rows(train, new):
    gap = 0.0
    for x in set(train) | set(new):
        f = bisect.bisect_right(train, x) / len(train)
        g = bisect.bisect_right(new, x) / len(new)
        gap = max(gap, abs(f - g))
    return gap


def cdf_from_percentiles(p, x, left):
    """The training CDF rebuilt from percentiles p (101 of them), at x or just below it."""
    if (x <= p[0]) if left else (x < p[0]):
        return 0.0
    if (x > p[-1]) if left else (x >= p[-1]):
        return 1.0
    k = max(i for i in range(len(p)) if (p[i] < x if left else p[i] <= x))
    return (k + (x - p[k]) / (p[k + 1] - p[k])) / (len(p) - 1)


def ks_percentiles(p, new):
    gap = 0.0
    for x in set(p) | set(new):
        at = bisect.bisect_right(new, x) / len(new)
        below = bisect.bisect_left(new, x) / len(new)
        gap = max(gap, abs(at - cdf_from_percentiles(p, x, False)),
                  abs(below - cdf_from_percentiles(p, x, True)))
    return gap


def numeric(train_values, new_values):
    train = sorted(v for v in train_values if v is not None)
    new = sorted(v for v in new_values if v is not None)
    p = [percentile(train, q) for q in range(101)]
    edges = p[10:100:10]
    # The linear method is the standard library's 'inclusive' quantiles too.
    for mine, theirs in zip(edges, statistics.quantiles(train, n=10, method="inclusive")):
        assert abs(mine - theirs) <= 1e-9 * max(1.0, abs(theirs)), (mine, theirs)
    outside = sum(1 for v in new if v < train[0] or v > train[-1])
    return {
        "psi": psi(decile_counts(edges, new), decile_counts(edges, train)),
        "ks_rows": ks_rows(train, new),
        "ks_percentiles": ks_percentiles(p, new),
        "null_rate_train": 1 - len(train) / len(train_values),
        "null_rate_now": 1 - len(new) / len(new_values),
        "out_of_range_share": outside / len(new),
        "unseen_categories": None,
    }


def categorical(train_values, new_values):
    categories = sorted(set(v for v in train_values if v is not None))
    expected = [sum(1 for v in train_values if v == c) for c in categories] + [0]
    actual = [sum(1 for v in new_values if v == c) for c in categories]
    other = [v for v in new_values if v is not None and v not in categories]
    actual.append(len(other))
    present = sum(1 for v in new_values if v is not None)
    return {
        "psi": psi(actual, expected),
        "null_rate_train": sum(1 for v in train_values if v is None) / len(train_values),
        "null_rate_now": 1 - present / len(new_values),
        "out_of_range_share": len(other) / present,
        "unseen_categories": len(set(other)),
    }


def main():
    train = features()
    new = shifted(train)
    report = {}
    for name in train:
        kind = categorical if name in ("segment", "region") else numeric
        report[name] = kind(train[name], new[name])
    with open(os.environ["FIRN_PREDICTIONS"]) as f:
        predictions = json.load(f)
    report["prediction"] = numeric(predictions["train"], predictions["now"])
    print(json.dumps(report))


main()
