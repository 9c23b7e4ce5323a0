"""Prepared statements with ? and $1 parameters: queries, updates run once
per row, reuse with new values, NULLs, dates, and wrong counts or types."""

import datetime

from common import INVALID_ARGUMENT, check, connect, emit, error_of, expect_error, query

conn = connect()
with conn.cursor() as cur:
    cur.execute(
        "CREATE TABLE people AS SELECT id, name, CASE WHEN id > 0 THEN score END AS score, born "
        "FROM (VALUES (1, 'ann', 1.5, DATE '2000-01-01')) AS t(id, name, score, born)"
    )
    cur.executemany(
        "INSERT INTO people VALUES (?, ?, ?, ?)",
        [(2, "bob", 2.5, datetime.date(2001, 2, 3)), (3, "o'neil", None, datetime.date(1999, 12, 31))],
    )
    inserted = cur.rowcount
check(inserted == 2, f"executemany inserts two rows, rowcount {inserted}")

rows = query(conn, "SELECT name FROM people WHERE id = ?", (3,)).to_pylist()
check(rows == [{"name": "o'neil"}], str(rows))

with conn.cursor() as cur:
    # The same statement again with other values reuses the prepared statement.
    found = []
    for wanted in (1, 2, 3):
        cur.execute("SELECT name, score FROM people WHERE id = $1", (wanted,))
        found.append(cur.fetchall()[0])
check(found == [("ann", 1.5), ("bob", 2.5), ("o'neil", None)], str(found))

born = query(conn, "SELECT id FROM people WHERE born > ? ORDER BY id", (datetime.date(2000, 6, 1),))
check(born["id"].to_pylist() == [2], str(born))
nulls = query(conn, "SELECT ? IS NULL AS missing, ? AS text", (None, "it's ?")).to_pylist()
check(nulls == [{"missing": True, "text": "it's ?"}], str(nulls))
when = query(conn, "SELECT ? AS at", (datetime.datetime(2024, 5, 6, 7, 8, 9),)).to_pylist()
check(when[0]["at"] == datetime.datetime(2024, 5, 6, 7, 8, 9), str(when))
mixed = query(conn, "SELECT $2 || $1 AS s", ("b", "a")).to_pylist()
check(mixed == [{"s": "ab"}], str(mixed))

count_error = expect_error(lambda: query(conn, "SELECT ? + ?", (1,)), INVALID_ARGUMENT,
                           "the statement has 2 parameters, 1 was bound")
type_error = expect_error(lambda: query(conn, "SELECT ? + 1", ("abc",)), INVALID_ARGUMENT, "Utf8")
style_error = expect_error(lambda: query(conn, "SELECT ?, $1", (1, 2)), INVALID_ARGUMENT,
                           "not both")

# An update through a prepared statement with parameters: the count is the rows changed.
with conn.cursor() as cur:
    cur.executemany("INSERT INTO people SELECT ? + 10, name, score, born FROM people WHERE id = ?",
                    [(1, 1), (2, 2)])
    copied = cur.rowcount
check(copied == 2, f"two copies, rowcount {copied}")
total = query(conn, "SELECT count(*) AS n FROM people").to_pylist()[0]["n"]
check(total == 5, f"5 people, got {total}")

emit({"inserted": inserted, "total": total, "count_error": count_error["message"],
      "type_error": type_error["code"], "style_error": style_error["code"]})
