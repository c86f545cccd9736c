"""The HTTP benchmark's baseline: the least a WSGI app can do for a page of the same size.

It answers every request with 200 and a body of exactly BENCH_BODY_BYTES bytes, built once
at import, so what is left is the cost of the server (gunicorn), the load generator (wrk) and
the network stack. bench/http.py serves it with the same gunicorn settings as Newsroom:

    BENCH_BODY_BYTES=18000 .venv/bin/gunicorn bench.minimal_wsgi:application
"""

import os

BODY_BYTES = int(os.environ.get("BENCH_BODY_BYTES", "0"))
BODY = b"x" * BODY_BYTES
HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Content-Length", str(BODY_BYTES)),
]


def application(environ, start_response):
    start_response("200 OK", list(HEADERS))
    return [BODY]
