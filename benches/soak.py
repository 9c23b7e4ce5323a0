"""A bounded soak of `firn serve`: CLIENTS ADBC clients for SECONDS seconds, each
looping over a mix of queries, prepared statements with parameters, predict(),
CREATE MODEL, tracking calls, and cancellations (a long query abandoned
mid-stream). Reports every error, p50/p99 per kind, and the server's resident
memory at the start, middle and end. Run by benches/soak.sh, which builds
`firn` and installs the ADBC driver.

    python benches/soak.py FIRN_BINARY [CLIENTS] [SECONDS] [MIX]

MIX `all` (default) or `read` (no CREATE MODEL or tracking writes: the database
does not grow, so the server's memory should stay flat after warming up).
"""

import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import adbc_driver_flightsql.dbapi as flight_sql

firn = sys.argv[1]
clients = int(sys.argv[2]) if len(sys.argv) > 2 else 32
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 300
mix = sys.argv[4] if len(sys.argv) > 4 else "all"
weights = [40, 20, 20, 3, 10, 7] if mix == "all" else [40, 20, 20, 0, 0, 7]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


work = tempfile.mkdtemp(prefix="firn-soak-")
db = os.path.join(work, "db")
setup = """
CREATE TABLE train AS SELECT value AS id, CAST(value % 23 AS DOUBLE) AS x,
  CAST(value % 7 AS DOUBLE) AS z, CASE WHEN value % 23 >= 11 THEN 1 ELSE 0 END AS y
  FROM generate_series(1, 5000);
CREATE MODEL base OPTIONS (type 'gbdt_classifier', label 'y', exclude 'id', n_estimators 20)
  AS SELECT * FROM train;
"""
subprocess.run([firn, db, "-c", setup], check=True, stdout=subprocess.DEVNULL)
port = free_port()
server = subprocess.Popen([firn, db, "serve", "--port", str(port)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
uri = f"grpc://127.0.0.1:{port}"
for _ in range(100):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            break
    except OSError:
        time.sleep(0.1)

latencies = {}
errors = []
lock = threading.Lock()
stop_at = time.monotonic() + seconds


def record(kind, started, error=None):
    elapsed = time.monotonic() - started
    with lock:
        latencies.setdefault(kind, []).append(elapsed)
        if error is not None:
            errors.append(f"{kind}: {error}")


def client(number):
    rng = random.Random(number)
    conn = flight_sql.connect(uri, autocommit=True)
    trained = 0
    while time.monotonic() < stop_at:
        kind = rng.choices(
            ["query", "prepared", "predict", "create_model", "tracking", "cancel"],
            weights=weights)[0]
        started = time.monotonic()
        try:
            with conn.cursor() as cur:
                if kind == "query":
                    cur.execute("SELECT y, count(*) AS n, avg(x) AS ax FROM train GROUP BY y ORDER BY y")
                    assert cur.fetch_arrow_table().num_rows == 2
                elif kind == "prepared":
                    cur.execute("SELECT count(*) AS n FROM train WHERE id <= ?", (rng.randint(1, 5000),))
                    cur.fetch_arrow_table()
                elif kind == "predict":
                    cur.execute("SELECT avg(predict('base', x, z)) AS p FROM train WHERE id % 10 = ?",
                                (rng.randint(0, 9),))
                    cur.fetch_arrow_table()
                elif kind == "create_model":
                    trained += 1
                    cur.execute(f"CREATE MODEL c{number} OPTIONS (type 'gbdt_classifier', label 'y', "
                                "exclude 'id', n_estimators 5) AS SELECT * FROM train WHERE id <= 1000")
                    cur.fetch_arrow_table()
                elif kind == "tracking":
                    cur.execute(f"SELECT * FROM log_metric('soak', 'client{number}', 'm', {rng.random()})")
                    cur.fetch_arrow_table()
                else:
                    # A long query abandoned after its first batch: the server must stop it.
                    cur.execute("SELECT value FROM generate_series(1, 100000000)")
                    reader = cur.fetch_record_batch()
                    reader.read_next_batch()
                    reader.close()
            record(kind, started)
        except Exception as e:  # noqa: BLE001 — every error is reported
            record(kind, started, repr(e)[:300])
    conn.close()


memory = [("start", rss_mib(server.pid))]
threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
for t in threads:
    t.start()
time.sleep(seconds / 2)
memory.append(("middle", rss_mib(server.pid)))
for t in threads:
    t.join()
time.sleep(1)
memory.append(("end", rss_mib(server.pid)))
server.terminate()
server.wait(timeout=30)

summary = {
    "mix": mix,
    "clients": clients,
    "seconds": seconds,
    "errors": len(errors),
    "first_errors": errors[:10],
    "memory_mib": {k: round(v, 1) for k, v in memory},
    "kinds": {
        kind: {
            "count": len(values),
            "p50_ms": round(statistics.median(values) * 1000, 1),
            "p99_ms": round(sorted(values)[max(0, int(len(values) * 0.99) - 1)] * 1000, 1),
        }
        for kind, values in sorted(latencies.items())
    },
}
print(json.dumps(summary, indent=2))
sys.exit(1 if errors else 0)
