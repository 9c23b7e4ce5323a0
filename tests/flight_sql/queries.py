"""Queries read into Arrow with their types, a larger streamed result,
Firn's statements, and the metadata calls clients make on connect."""

import pyarrow as pa

from common import check, connect, emit, query

conn = connect()

types = query(
    conn,
    "SELECT 1 AS i, 2.5 AS d, 'x' AS s, DATE '2024-01-02' AS day, "
    "TIMESTAMP '2024-01-02 03:04:05' AS ts, true AS b, CAST(NULL AS BIGINT) AS n",
)
check(types.num_rows == 1, f"one row, got {types.num_rows}")
check(types.schema.field("i").type == pa.int64(), str(types.schema))
check(types.schema.field("d").type == pa.float64(), str(types.schema))
check(types.schema.field("day").type == pa.date32(), str(types.schema))
check(pa.types.is_timestamp(types.schema.field("ts").type), str(types.schema))
check(types.schema.field("b").type == pa.bool_(), str(types.schema))
row = types.to_pylist()[0]
check(row["s"] == "x" and row["n"] is None and row["d"] == 2.5, str(row))

big = query(conn, "SELECT value AS v, value * 2 AS w FROM generate_series(1, 200000) ORDER BY v")
check(big.num_rows == 200000, f"200000 rows, got {big.num_rows}")
total = pa.compute.sum(big["v"]).as_py()
check(total == 200000 * 200001 // 2, f"sum {total}")

with conn.cursor() as cur:
    cur.execute("CREATE TABLE scores AS SELECT value AS id, value * 1.5 AS score FROM generate_series(1, 10)")
    cur.execute("INSERT INTO scores VALUES (11, 0.5)")
    inserted = cur.fetchall()
    check(inserted == [(1,)], f"INSERT reports its count: {inserted}")
    cur.execute("SELECT id, score FROM scores WHERE id > 8 ORDER BY id")
    check(cur.description[0][0] == "id", str(cur.description))
    rows = cur.fetchall()
    check(rows == [(9, 13.5), (10, 15.0), (11, 0.5)], str(rows))
    cur.execute("CREATE VIEW top_scores AS SELECT * FROM scores WHERE score > 10")
    cur.execute("SHOW TABLES")
    shown = {r[2] for r in cur.fetchall()}
    check({"scores", "top_scores"} <= shown, f"SHOW TABLES: {shown}")
    cur.execute("EXPLAIN SELECT * FROM scores")
    check(len(cur.fetchall()) >= 1, "EXPLAIN returns the plan")

info = conn.adbc_get_info()
check(info["vendor_name"] == "Firn", str(info))
table_types = conn.adbc_get_table_types()
check(sorted(table_types) == ["LOCAL TEMPORARY", "TABLE", "VIEW"], str(table_types))
objects = conn.adbc_get_objects(depth="all", catalog_filter="firn").read_all().to_pylist()
catalogs = [c["catalog_name"] for c in objects]
check(catalogs == ["firn"], str(catalogs))
schemas = {s["db_schema_name"]: s for s in objects[0]["catalog_db_schemas"]}
check({"public", "information_schema"} <= set(schemas), str(schemas.keys()))
tables = {t["table_name"]: t for t in schemas["public"]["db_schema_tables"]}
check(tables["scores"]["table_type"] == "TABLE", str(tables["scores"]["table_type"]))
check(tables["top_scores"]["table_type"] == "VIEW", str(tables["top_scores"]["table_type"]))
columns = [c["column_name"] for c in tables["scores"]["table_columns"]]
check(columns == ["id", "score"], str(columns))
views_only = conn.adbc_get_objects(depth="tables", table_types_filter=["VIEW"], db_schema_filter="public")
names = [t["table_name"] for c in views_only.read_all().to_pylist()
         for s in c["catalog_db_schemas"] for t in s["db_schema_tables"]]
check(names == ["top_scores"], str(names))
schema = conn.adbc_get_table_schema("scores")
check(schema.names == ["id", "score"], str(schema))

emit({"rows": big.num_rows, "sum": total, "vendor": info["vendor_name"], "tables": sorted(tables)})
