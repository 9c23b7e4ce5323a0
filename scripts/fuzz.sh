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
for target in "${targets[@]}"; do
  echo "== $target: $seconds s"
  # -s none: no sanitizer (safe Rust; we look for panics, aborts and hangs).
  cargo fuzz run -s none "$target" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=10 2>&1 | tail -n 3
done
