#!/usr/bin/env bash
# A bounded soak of the Flight SQL server: benches/soak.py with CLIENTS ADBC
# clients for SECONDS (default 32 clients, 300 s) against `firn serve`.
# Prints errors, p50/p99 per kind of call and the server's memory at the start,
# middle and end; exits non-zero on any error. Uses the release build unless
# FIRN_PROFILE=debug.
#
#   benches/soak.sh [CLIENTS] [SECONDS] [all|read]
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${FIRN_PROFILE:-release}"
scripts/test-env.sh >/dev/null
if [ "$profile" = release ]; then
  cargo build --release --bin firn
else
  cargo build --bin firn
fi
target="${CARGO_TARGET_DIR:-target}"
"${FIRN_TEST_VENV:-$HOME/.cache/firn-test-venv}/bin/python" benches/soak.py \
  "$target/$profile/firn" "${1:-32}" "${2:-300}" "${3:-all}"
