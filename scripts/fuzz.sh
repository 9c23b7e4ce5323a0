#!/usr/bin/env bash
# Coverage-guided fuzzing of Firn's readers of untrusted bytes with cargo-fuzz
# (libFuzzer), on the stable toolchain (RUSTC_BOOTSTRAP lets it take the
# nightly flags cargo-fuzz passes). Installs cargo-fuzz when missing, seeds each
# corpus from tests/fuzz_smoke.rs, then runs each target for SECONDS.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     default: 600 s, every target
#
# A crash is saved under fuzz/artifacts/<target>/ and stops the run with exit 1.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(sql model_file manifest pointer_entry xgboost_json table_commit)
fi
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
FIRN_FUZZ_SECONDS=0 FIRN_FUZZ_WRITE_CORPUS="$PWD/fuzz/corpus" \
  cargo test --test fuzz_smoke -- --quiet
mkdir -p fuzz/artifacts
for target in "${targets[@]}"; do
  echo "== $target: $seconds s (log: fuzz/artifacts/$target.log)"
  # -s none: no sanitizer (safe Rust; we look for panics, aborts, hangs and memory).
  # libFuzzer has been seen to hang after reporting a timeout, leaving an empty
  # artifact: the outer timeout ends it, and the input is in the log as hex bytes
  # (the last line of 0x.. values before the report).
  timeout --signal=KILL "$((seconds + 300))" \
    cargo fuzz run -s none "$target" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=10 -print_final_stats=1 \
    >"fuzz/artifacts/$target.log" 2>&1 || status=$?
  grep -E '^(Done|SUMMARY|stat::number_of_executed_units|stat::peak_rss_mb)' \
    "fuzz/artifacts/$target.log" || true
  if [ "${status:-0}" -ne 0 ]; then
    echo "$target: stopped with status $status; see fuzz/artifacts/$target/ and its log" >&2
    exit 1
  fi
done
