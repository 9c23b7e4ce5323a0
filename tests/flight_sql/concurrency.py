"""Many clients at once: a long query in one session does not hold up quick
queries in others, and cancelling it frees the server."""

import threading
import time

from common import check, connect, emit, error_of, query

long_conn = connect()
long_cursor = long_conn.cursor()
outcome = {}


def long_query():
    outcome["error"] = error_of(lambda: (
        long_cursor.execute("SELECT count(*) FROM generate_series(1, 100000000000)"),
        long_cursor.fetchall(),
    ))


long_thread = threading.Thread(target=long_query)
long_thread.start()
time.sleep(1.0)

latencies = [None] * 16
errors = []


def quick(i):
    try:
        conn = connect()
        started = time.monotonic()
        total = query(conn, f"SELECT sum(v) AS s FROM generate_series(1, {1000 + i}) AS t(v)").to_pylist()[0]["s"]
        latencies[i] = time.monotonic() - started
        check(total == (1000 + i) * (1001 + i) // 2, f"client {i}: {total}")
        conn.close()
    except Exception as e:  # noqa: BLE001 - collected and reported
        errors.append(repr(e))


threads = [threading.Thread(target=quick, args=(i,)) for i in range(16)]
for t in threads:
    t.start()
for t in threads:
    t.join()
long_still_running = long_thread.is_alive()
long_cursor.adbc_cancel()
long_thread.join(timeout=30)
check(not long_thread.is_alive(), "the long query ends once cancelled")
check(not errors, f"quick clients failed: {errors}")
emit({"latencies": latencies, "long_still_running": long_still_running,
      "long_error": outcome.get("error")})
