"""TLS: a client trusting the server's certificate connects; one speaking
plain gRPC to the TLS port does not."""

import os

from common import check, connect, emit, error_of, query

cert = open(os.environ["FIRN_TLS_CERT"]).read()
host_port = os.environ["FIRN_URI"].split("://", 1)[1]

secure = connect(uri=f"grpc+tls://{host_port}", **{"adbc.flight.sql.client_option.tls_root_certs": cert})
rows = query(secure, "SELECT 'over tls' AS how").to_pylist()
check(rows == [{"how": "over tls"}], str(rows))
other = connect(uri=f"grpc+tls://{host_port}", **{"adbc.flight.sql.client_option.tls_root_certs": cert})
query(secure, "SET datafusion.execution.batch_size = 4321")
mine = query(secure, "SHOW datafusion.execution.batch_size").to_pylist()[0]["value"]
theirs = query(other, "SHOW datafusion.execution.batch_size").to_pylist()[0]["value"]
check(mine == "4321" and theirs != "4321", f"TLS connections have their own sessions: {mine} / {theirs}")
plain = error_of(lambda: query(connect(uri=f"grpc://{host_port}"), "SELECT 1"))
emit({"tls": rows[0]["how"], "plain_error": plain})
