"""The client side of benches/serving.rs, with the Python ADBC Flight SQL driver.

    serving_clients.py stream URI SQL REPS
        runs SQL REPS times, reading the whole result into an Arrow table;
        prints {"seconds": [...], "cpu": [client CPU seconds...], "rows": N}
    serving_clients.py concurrent URI SQL CLIENTS ROUNDS
        CLIENTS threads, each with its own connection, start SQL together,
        ROUNDS times; prints {"latencies": [...], "errors": [...], "rows": [...]}
"""

import json
import resource
import sys
import threading
import time

import adbc_driver_flightsql.dbapi as flight_sql


def connect(uri):
    return flight_sql.connect(uri, autocommit=True)


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def stream(uri, sql, reps):
    conn = connect(uri)
    seconds, cpu, rows = [], [], None
    for _ in range(reps):
        started, cpu_started = time.perf_counter(), cpu_seconds()
        with conn.cursor() as cur:
            cur.execute(sql)
            table = cur.fetch_arrow_table()
        seconds.append(time.perf_counter() - started)
        cpu.append(cpu_seconds() - cpu_started)
        rows = table.num_rows
        del table
    return {"seconds": seconds, "cpu": cpu, "rows": rows}


def concurrent(uri, sql, clients, rounds):
    connections = [connect(uri) for _ in range(clients)]
    latencies, errors, rows = [], [], []
    lock = threading.Lock()
    for _ in range(rounds):
        barrier = threading.Barrier(clients)

        def client(conn):
            barrier.wait()
            started = time.perf_counter()
            try:
                with conn.cursor() as cur:
                    cur.execute(sql)
                    n = cur.fetch_arrow_table().num_rows
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    rows.append(n)
            except Exception as e:  # noqa: BLE001 - counted and reported
                with lock:
                    errors.append(repr(e))

        threads = [threading.Thread(target=client, args=(c,)) for c in connections]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return {"latencies": latencies, "errors": errors, "rows": rows}


def main():
    mode, uri, sql = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == "stream":
        result = stream(uri, sql, int(sys.argv[4]))
    elif mode == "concurrent":
        result = concurrent(uri, sql, int(sys.argv[4]), int(sys.argv[5]))
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(result))


main()
