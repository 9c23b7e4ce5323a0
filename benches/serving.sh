#!/usr/bin/env bash
# Serving figures (issue: Flight SQL server and embedding): a 10M-row result
# in-process vs streamed to the Python ADBC client, 32 concurrent clients each
# scoring 10,000 rows with predict(...), and embedded single-row scoring with a
# warm model. Builds benches/serving.rs with the release profile (the SQL engine
# and Arrow IPC fully optimised, sharing the `firn` release build's dependencies),
# prints a markdown table and appends it,
# with the date and this command, to benches/RESULTS.md.
#
# Usage: benches/serving.sh [--rows N] [--clients N] [--rounds N] [--reps N] [--pin yes|no] [--no-append]
# Needs the test client (scripts/test-env.sh makes it) and ../shared/seed-data.
set -euo pipefail
cd "$(dirname "$0")/.."
command_line="benches/serving.sh${*:+ $*}"
append=1 pass=()
for arg in "$@"; do
  if [ "$arg" = --no-append ]; then append=0; else pass+=("$arg"); fi
done
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/firn-target}"
scripts/test-env.sh >/dev/null
python="${FIRN_TEST_PYTHON:-$HOME/.cache/firn-test-venv/bin/python}"
cargo bench --bench serving --no-run
table=$(cargo bench --bench serving -- --python "$python" "${pass[@]}")
section="
## Serving: Flight SQL and embedded scoring (issue: Flight SQL server, library)

\`$command_line\` — $(date +%Y-%m-%d), release profile, 2-core machine; pinned unless
\`--pin no\` (see the table's first line).

$table
"
echo "$section"
if [ "$append" = 1 ]; then
  printf '%s\n' "$section" >> benches/RESULTS.md
  echo "appended to benches/RESULTS.md"
fi
