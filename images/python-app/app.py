"""Sample Python HTTP service: GET /healthz answers 200; one line is logged when it is ready.

The ready line carries CLOCK_MONOTONIC in nanoseconds (``time.monotonic_ns``), which containers
share with the host, so cprofiler can tell the exact instant the service became ready.
"""

import os
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        ok = self.path == "/healthz"
        body = b"ok\n" if ok else b"not found\n"
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass  # one line per probe request would drown the ready line


def main() -> None:
    server = HTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Handler)  # noqa: S104 - a container service
    print(f"ready monotonic_ns={time.monotonic_ns()}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
