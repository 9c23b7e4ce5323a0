#!/usr/bin/env bash
# Foundation figures: `firn` start-up time and demo-data generation at 1,000,000 customers.
# Usage: benches/foundation.sh [debug|release]   (default: release; builds the binary if needed)
# Prints medians; copy them into benches/RESULTS.md with the date and build profile.
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-release}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/firn-target}"
if [ "$profile" = release ]; then cargo build --release --bin firn; else cargo build --bin firn; fi
firn="$CARGO_TARGET_DIR/$profile/firn"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo $(((e - s) / 1000000)); }

echo "firn -c 'SELECT 1' (in-memory), 21 runs: median $(for _ in $(seq 21); do ms "$firn" -q -c "SELECT 1"; done | median) ms"
db=$(mktemp -d)/db
"$firn" "$db" -q -c "CREATE TABLE t AS SELECT 1 AS x"
echo "firn DB -c 'SELECT * FROM t' (reopen a database), 21 runs: median $(for _ in $(seq 21); do ms "$firn" "$db" -q -c "SELECT * FROM t"; done | median) ms"
out=$(mktemp -d)
echo "gen-data 1,000,000 customers, 3 runs: median $(for _ in 1 2 3; do ms "$firn" gen-data --customers 1000000 --seed 7 --out "$out"; done | median) ms"
wc -l "$out"/*.csv
