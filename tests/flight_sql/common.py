"""Shared helpers for the Flight SQL tests: tests/flight_sql.rs starts a Firn
server and runs these scripts with the Python ADBC driver. A script asserts
what it can see from the client side, prints one JSON object as its last line
for the Rust side to check, and exits non-zero on any failure."""

import json
import os
import re
import sys

import adbc_driver_flightsql.dbapi as flight_sql
import pyarrow as pa
from adbc_driver_flightsql import DatabaseOptions

URI = os.environ["FIRN_URI"]

# gRPC status codes, as the driver names them at the end of its messages,
# e.g. "… (InvalidArgument; Prepare)".
INVALID_ARGUMENT = "InvalidArgument"
NOT_FOUND = "NotFound"
ALREADY_EXISTS = "AlreadyExists"
PERMISSION_DENIED = "PermissionDenied"
RESOURCE_EXHAUSTED = "ResourceExhausted"
FAILED_PRECONDITION = "FailedPrecondition"
UNIMPLEMENTED = "Unimplemented"
UNAUTHENTICATED = "Unauthenticated"


def connect(token=None, user=None, password=None, uri=URI, **options):
    """An ADBC connection; credentials as a bearer header or user/password."""
    db_kwargs = {k: str(v) for k, v in options.items()}
    if token is not None:
        db_kwargs[DatabaseOptions.AUTHORIZATION_HEADER.value] = f"Bearer {token}"
    if user is not None:
        db_kwargs["username"] = user
        db_kwargs["password"] = password
    return flight_sql.connect(uri, db_kwargs=db_kwargs, autocommit=True)


def query(conn, sql, params=None) -> pa.Table:
    """Runs a statement and reads its whole result into Arrow."""
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetch_arrow_table()


def error_of(action):
    """Runs `action`, which must fail; returns the gRPC code and message."""
    try:
        action()
    except flight_sql.Error as e:
        message = str(e)
        codes = re.findall(r"\((\w+); ", message)
        return {"code": codes[-1] if codes else None, "message": message}
    raise AssertionError("expected an error, the call succeeded")


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def expect_error(action, code, fragment):
    """`action` fails with gRPC `code` and a message containing `fragment`."""
    err = error_of(action)
    check(err["code"] == code, f"expected code {code}, got {err}")
    check(fragment in err["message"], f"expected {fragment!r} in {err['message']!r}")
    return err


def emit(facts):
    """The script's result for the Rust side, as the last line of output."""
    print(json.dumps(facts, default=str))
    sys.stdout.flush()
