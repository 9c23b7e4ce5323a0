#!/usr/bin/env bash
# The Python client the Flight SQL tests drive the server with: a virtual
# environment with the ADBC Flight SQL driver and pyarrow. tests/flight_sql.rs
# uses $FIRN_TEST_PYTHON, by default $HOME/.cache/firn-test-venv/bin/python,
# and fails (never skips) when it is missing. Safe to run repeatedly.
set -euo pipefail
venv="${FIRN_TEST_VENV:-$HOME/.cache/firn-test-venv}"
if ! "$venv/bin/python" -c "import adbc_driver_flightsql.dbapi, pyarrow" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "adbc-driver-flightsql>=1.13" "pyarrow>=26"
fi
"$venv/bin/python" -c "import adbc_driver_flightsql, pyarrow; print('test client: adbc-driver-flightsql', adbc_driver_flightsql.__version__, '/ pyarrow', pyarrow.__version__)"
