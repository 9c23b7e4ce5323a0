"""A client that reads the first batch of a huge result, then waits to be
killed: the Rust side kills it mid-stream and checks the query stops."""

import sys

from common import connect

conn = connect()
cur = conn.cursor()
cur.execute("SELECT v, v * 2 AS w FROM generate_series(1, 100000000000) AS s(v)")
reader = cur.fetch_record_batch()
batch = reader.read_next_batch()
print(f"READY {batch.num_rows}", flush=True)
sys.stdin.read()
