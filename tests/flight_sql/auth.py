"""Authentication: no or wrong credentials are refused with UNAUTHENTICATED;
a bearer token on every call and a user/password handshake both work, and
each connection keeps its own session."""

import os

from common import UNAUTHENTICATED, check, connect, emit, error_of, query

TOKEN = os.environ["FIRN_TOKEN_FOR_TEST"]
USER, PASSWORD = os.environ["FIRN_USER_FOR_TEST"].split(":", 1)

refusals = {}
refusals["none"] = error_of(lambda: query(connect(), "SELECT 1"))
refusals["wrong_token"] = error_of(lambda: query(connect(token=TOKEN + "x"), "SELECT 1"))
refusals["wrong_password"] = error_of(lambda: query(connect(user=USER, password="nope"), "SELECT 1"))
refusals["unknown_user"] = error_of(lambda: query(connect(user="mallory", password=PASSWORD), "SELECT 1"))
for name, err in refusals.items():
    check(err["code"] == UNAUTHENTICATED, f"{name}: {err}")

by_token = query(connect(token=TOKEN), "SELECT 41 + 1 AS answer").to_pylist()
check(by_token == [{"answer": 42}], str(by_token))

first = connect(user=USER, password=PASSWORD)
second = connect(user=USER, password=PASSWORD)
query(first, "SET datafusion.execution.batch_size = 1234")
mine = query(first, "SHOW datafusion.execution.batch_size").to_pylist()[0]["value"]
theirs = query(second, "SHOW datafusion.execution.batch_size").to_pylist()[0]["value"]
check(mine == "1234" and theirs != "1234", f"sessions are separate: {mine} / {theirs}")

emit({"refusals": {k: v["code"] for k, v in refusals.items()}, "none_message": refusals["none"]["message"]})
