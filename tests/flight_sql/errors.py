"""Bad SQL and refused file locations get clear statuses, allowed paths
work, and the server keeps serving."""

import os

from common import (FAILED_PRECONDITION, INVALID_ARGUMENT, PERMISSION_DENIED, check, connect, emit, error_of,
                    expect_error, query)

ALLOWED = os.environ["FIRN_ALLOWED_DIR"]
OUTSIDE = os.environ["FIRN_OUTSIDE_FILE"]

conn = connect()
syntax = expect_error(lambda: query(conn, "SELEC 1"), INVALID_ARGUMENT,
                      "syntax error: Expected: an SQL statement, found: SELEC")
check("ParserError(" not in syntax["message"], "no Debug dump: " + syntax["message"])
missing = expect_error(lambda: query(conn, "SELECT * FROM nope"), INVALID_ARGUMENT, "nope")
two = expect_error(lambda: query(conn, "SELECT 1; SELECT 2"), INVALID_ARGUMENT, "exactly one statement")
bad_cast = error_of(lambda: query(conn, "SELECT CAST(x AS INT) FROM (VALUES ('abc')) AS t(x)"))
check(bad_cast["code"] in (INVALID_ARGUMENT, FAILED_PRECONDITION), str(bad_cast))

refused = {
    "passwd": "CREATE EXTERNAL TABLE p STORED AS CSV LOCATION '/etc/passwd'",
    "url": "CREATE EXTERNAL TABLE p STORED AS CSV LOCATION 'file:///etc/passwd'",
    "dotdot": f"CREATE EXTERNAL TABLE p STORED AS CSV LOCATION '{ALLOWED}/../{os.path.basename(OUTSIDE)}'",
    "copy": f"COPY (SELECT 1 AS a) TO '{OUTSIDE}' STORED AS CSV",
    "s3": "CREATE EXTERNAL TABLE p STORED AS PARQUET LOCATION 's3://bucket/data.parquet'",
}
for name, sql in refused.items():
    err = expect_error(lambda: query(conn, sql), PERMISSION_DENIED, "is refused")
    check("Debug" not in err["message"], err["message"])

with conn.cursor() as cur:
    cur.execute(f"CREATE EXTERNAL TABLE ok STORED AS CSV LOCATION '{ALLOWED}/ok.csv' "
                "OPTIONS ('format.has_header' 'true')")
    cur.execute("SELECT sum(a) AS s FROM ok")
    allowed_sum = cur.fetchall()[0][0]
    cur.execute(f"COPY (SELECT 7 AS a) TO '{ALLOWED}/out.csv' STORED AS CSV")
    cur.fetchall()
check(allowed_sum == 6, f"sum over the allowed CSV: {allowed_sum}")
check(os.path.exists(f"{ALLOWED}/out.csv"), "COPY into an allowed directory writes")

alive = query(conn, "SELECT 1 AS still_serving").to_pylist()
check(alive == [{"still_serving": 1}], str(alive))
emit({"syntax": syntax["message"], "missing": missing["code"], "two": two["code"],
      "bad_cast": bad_cast["code"], "refused": len(refused)})
