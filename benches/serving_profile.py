#!/usr/bin/env python3
"""Where the Flight SQL server's CPU goes, beside the in-process query's.

Reads `perf script -F comm,tid,time,ip,sym,dso` of a `benches/serving.rs` run
(`--reps N --rounds 1 --clients 1`, pinned) and splits the bench process's
samples into two phases, found from the samples themselves:

- in-process: from the first Parquet decompression sample to the last sample
  of the bench process before the Python client's first sample (the table's
  creation before it compresses and never decompresses);
- TCP: the bench process's first run of samples after the Python client's
  first sample, to its first pause of 0.1 s: the server streaming to the
  first client (over TCP); the client's own start is before it, idle here.

Each phase's samples are grouped by what they are (the query's own work, the
kernel's socket and TCP work, page faults, copies, h2/tonic) and printed as
CPU-seconds per repetition. Usage (benches/RESULTS.md gives the whole recipe):

    perf record -F 1999 -o serving.perf <serving bench> --reps 5 --rounds 1 --clients 1
    perf script -i serving.perf -F comm,tid,time,ip,sym,dso > serving.txt
    python3 benches/serving_profile.py serving.txt --reps 5 --frequency 1999
"""

import argparse
import collections
import re

LINE = re.compile(r"\s*(\S+)\s+\d+(?:/\d+)?\s+([\d.]+):\s+[0-9a-f]+\s*(.*)\((.*)\)\s*$")
PAGE_WORK = ("page_fault", "clear_page", "anonymous_page", "handle_mm", "alloc_pages", "get_page_from",
             "free_unref", "unmap", "memcg", "folio", "lru", "zap", "__alloc")


def category(symbol, dso):
    if "kernel" in dso:
        if any(word in symbol for word in PAGE_WORK):
            return "kernel: page faults and freeing pages"
        return "kernel: socket send, TCP on loopback, scheduling"
    if re.search(r"ZSTD|parquet|arrow_select|datafusion", symbol):
        return "the query: Parquet decoding, zstd, DataFusion"
    if "memmove" in symbol or "memcpy" in symbol:
        return "memmove / memcpy"
    if re.search(r"h2::|tonic|hyper|tokio|prost|bytes::", symbol):
        return "h2, tonic, tokio"
    if re.search(r"arrow_ipc|arrow_flight|flatbuffers", symbol):
        return "Arrow IPC / Flight encoding"
    return "other"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("script_output")
    parser.add_argument("--reps", type=int, required=True)
    parser.add_argument("--frequency", type=float, required=True)
    args = parser.parse_args()
    samples = []
    for line in open(args.script_output, errors="replace"):
        match = LINE.match(line)
        if match:
            comm, time, symbol, dso = match.groups()
            samples.append((float(time), comm == "python", symbol.strip(), dso))
    python_times = [t for t, is_python, _, _ in samples if is_python]
    if not python_times:
        raise SystemExit("no samples of the Python client: was the bench recorded with its children?")
    client_start = python_times[0]
    # The server's work for the first client: the bench process's first run of
    # samples after the client started, up to its first pause of 0.1 s (the
    # client's start before it and the next client's start after it are idle).
    server = sorted(t for t, is_python, _, _ in samples if not is_python and t >= client_start)
    if not server:
        raise SystemExit("no samples of the server while the client ran")
    server_start = server_end = server[0]
    for t in server:
        if t - server_end > 0.1:
            break
        server_end = t
    decompressing = [t for t, is_python, s, _ in samples
                     if not is_python and t < client_start and "ZSTD_decompress" in s]
    if not decompressing:
        raise SystemExit("no in-process decompression samples before the client started")
    in_process_start = decompressing[0]
    in_process_end = max(t for t, is_python, _, _ in samples if not is_python and t < client_start)
    phases = {"in-process": (in_process_start, in_process_end), "TCP (server)": (server_start, server_end)}
    counts = {}
    for name, (start, end) in phases.items():
        counts[name] = collections.Counter(category(s, d) for t, is_python, s, d in samples
                                           if not is_python and start <= t <= end)
    per_rep = args.reps * args.frequency
    print("| CPU-seconds per repetition | in-process | TCP (server) |")
    print("|---|---:|---:|")
    names = sorted({c for counter in counts.values() for c in counter}, key=lambda c: -counts["TCP (server)"][c])
    for name in names:
        print(f"| {name} | {counts['in-process'][name] / per_rep:.3f} | {counts['TCP (server)'][name] / per_rep:.3f} |")
    totals = [sum(counts[p].values()) / per_rep for p in phases]
    print(f"| **all** | **{totals[0]:.3f}** | **{totals[1]:.3f}** |")


if __name__ == "__main__":
    main()
