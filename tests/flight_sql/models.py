"""Firn's own statements over Flight SQL — CREATE MODEL, predict(...), SHOW,
ALTER and DROP MODEL, model table functions, experiment tracking — with the
shell's results and errors. The Rust side then checks the registry and that
the predictions equal in-process ones."""

from common import ALREADY_EXISTS, INVALID_ARGUMENT, NOT_FOUND, check, connect, emit, expect_error, query

FEATURES = "x, z, seg"

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
second = query(conn, "CREATE MODEL churn OPTIONS (type 'gbdt_classifier', label 'y', n_estimators 30, "
                     "max_depth 4, seed 7, experiment 'remote_exp', run 'deeper') "
                     "AS SELECT x, z, seg, y FROM training").to_pylist()
check(second[0]["version"] == "v2", str(second))

models = query(conn, "SHOW MODELS").to_pylist()
check(len(models) == 1 and models[0]["model"] == "churn", str(models))
check(models[0]["default_version"] == "v1" and models[0]["versions"] == 2, str(models))
query(conn, "ALTER MODEL churn SET DEFAULT VERSION v2")
query(conn, "ALTER MODEL churn VERSION v2 SET ALIAS champion")
versions = query(conn, "SHOW VERSIONS IN MODEL churn").to_pylist()
check(sorted(v["version"] for v in versions) == ["v1", "v2"], str(versions))

scored = query(conn, f"SELECT x, predict('churn@champion', {FEATURES}) AS p FROM training ORDER BY x")
check(scored.num_rows == 600, f"600 predictions, got {scored.num_rows}")
probabilities = scored["p"].to_pylist()
check(all(0.0 <= p <= 1.0 for p in probabilities), "probabilities in [0, 1]")

evaluated = query(conn, "SELECT * FROM evaluate('churn', 'training')").to_pylist()
check(len(evaluated) == 1 and evaluated[0]["rows"] == 600, str(evaluated))
runs = query(conn, "SELECT * FROM compare_runs('remote_exp')").to_pylist()
check([r["run"] for r in runs] == ["deeper"], str(runs))
commented = query(conn, "SELECT * FROM set_model_comment('churn', 'v2', 'set remotely')")
check(commented.num_rows == 1, str(commented))
query(conn, "DROP MODEL churn VERSION v1")

expect_error(lambda: query(conn, "SELECT predict('churn', x) FROM training"),
             INVALID_ARGUMENT, "expected predict('churn@v2', x DOUBLE, z DOUBLE, seg VARCHAR)")
expect_error(lambda: query(conn, "SELECT predict('nope', x) FROM training"), NOT_FOUND,
             "unknown model 'nope'")
expect_error(lambda: query(conn, "ALTER MODEL nope SET DEFAULT VERSION v1"), NOT_FOUND, "nope")
expect_error(lambda: query(conn, "SELECT * FROM evaluate('churn@v9', 'training')"), NOT_FOUND,
             "model 'churn' has no version or alias 'v9'")
expect_error(lambda: query(conn, "SELECT * FROM feature_view('nope')"), NOT_FOUND,
             "feature view 'nope' does not exist")
expect_error(lambda: query(conn, "CREATE MODEL churn VERSION v2 OPTIONS (type 'gbdt_classifier', "
                                 "label 'y') AS SELECT x, y FROM training"),
             ALREADY_EXISTS, "model 'churn' version 'v2' already exists")

emit({"created": created[0], "predictions": probabilities})
