"""The seed pipeline (sql/01 … 06: data, features, training with search and
CV, experiment tracking, the registry, production scoring and exports),
statement by statement over Flight SQL; every result is compared with the same
statement run in-process (the Rust side wrote those results as Arrow IPC
files)."""

import json
import math
import os

import pyarrow as pa

from common import check, connect, emit, query

statements = json.load(open(os.environ["FIRN_STATEMENTS"]))
expected_dir = os.environ["FIRN_EXPECTED"]


def same(a, b, approximate):
    if isinstance(a, float) and isinstance(b, float):
        # approx_median (a t-digest) depends on how partitions merge, in-process too.
        tolerance = 1e-2 if approximate else 1e-9
        return math.isclose(a, b, rel_tol=tolerance, abs_tol=1e-9)
    return a == b


conn = connect()
compared = 0
mismatches = []
for i, sql in enumerate(statements):
    remote = query(conn, sql)
    with pa.ipc.open_file(os.path.join(expected_dir, f"{i}.arrow")) as f:
        local = f.read_all()
    check(remote.schema.names == local.schema.names,
          f"statement {i}: columns {remote.schema.names} != {local.schema.names}\n{sql}")
    check(remote.num_rows == local.num_rows,
          f"statement {i}: {remote.num_rows} rows != {local.num_rows}\n{sql}")
    approximate = "approx_" in sql
    # Timestamps (created_at, started_at, …) are when each run happened, and durations (SHOW RUNS'
    # seconds) how long it took: only their presence matches.
    times = {f.name for f in local.schema
             if pa.types.is_timestamp(f.type) or f.name == "seconds" or f.name.endswith("_seconds")}
    for r, l in zip(remote.to_pylist(), local.to_pylist()):
        for name in local.schema.names:
            if name in times:
                if (r[name] is None) != (l[name] is None):
                    mismatches.append(f"statement {i}, {name}: {r[name]!r} vs {l[name]!r}")
            elif not same(r[name], l[name], approximate):
                mismatches.append(f"statement {i}, {name}: {r[name]!r} != {l[name]!r}\n{sql[:200]}")
    compared += 1
check(not mismatches, "\n".join(mismatches[:40]))

labels = query(conn, "SELECT count(*) AS labelled, sum(is_churned) AS churned FROM churn_labels").to_pylist()[0]
training = query(conn, "SELECT count(*) AS n FROM training_dataset").to_pylist()[0]
emit({"statements": compared, "labelled": labels["labelled"], "churned": labels["churned"],
      "training_rows": training["n"]})
