"""CREATE MODEL and predict(...) over Flight SQL, with the same results and
errors as in the shell; the Rust side checks the model was trained once and
that the predictions equal in-process ones."""

from common import INVALID_ARGUMENT, check, connect, emit, expect_error, query

conn = connect()
with conn.cursor() as cur:
    cur.execute(
        "CREATE TABLE training AS SELECT CAST(v AS DOUBLE) AS x, CAST(v % 7 AS DOUBLE) AS z, "
        "CASE WHEN v % 3 = 0 THEN 'a' ELSE 'b' END AS seg, CAST(v % 7 > 3 AS INT) AS y "
        "FROM generate_series(1, 600) AS s(v)"
    )
    cur.execute(
        "CREATE MODEL churn OPTIONS (type 'gbdt_classifier', label 'y', n_estimators 20, "
        "max_depth 3, seed 7, comment 'over flight') AS SELECT x, z, seg, y FROM training"
    )
    created = cur.fetch_arrow_table().to_pylist()
check(len(created) == 1, f"CREATE MODEL returns one row: {created}")
check(created[0]["model"] == "churn" and created[0]["version"] == "v1", str(created))
check(created[0]["roc_auc"] is not None and created[0]["roc_auc"] > 0.9, str(created))

scored = query(conn, "SELECT x, predict('churn', x, z, seg) AS p FROM training ORDER BY x")
check(scored.num_rows == 600, f"600 predictions, got {scored.num_rows}")
probabilities = scored["p"].to_pylist()
check(all(0.0 <= p <= 1.0 for p in probabilities), "probabilities in [0, 1]")

expect_error(lambda: query(conn, "SELECT predict('churn', x) FROM training"),
             INVALID_ARGUMENT, "expected predict('churn@v1', x DOUBLE, z DOUBLE, seg VARCHAR)")
expect_error(lambda: query(conn, "SELECT predict('nope', x) FROM training"),
             INVALID_ARGUMENT, "nope")
expect_error(lambda: query(conn, "CREATE MODEL churn VERSION v1 OPTIONS (type 'gbdt_classifier', "
                                 "label 'y') AS SELECT x, y FROM training"),
             INVALID_ARGUMENT, "model 'churn' version 'v1' already exists")

emit({"created": created[0], "predictions": probabilities})
