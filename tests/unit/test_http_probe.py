"""The http probe counts 200–399 as ready, like the kubelet; checked against a real local server."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from cprofiler.measure.probes.base import Target, Watch
from cprofiler.measure.probes.http import HttpProbe, ready_status
from cprofiler.scenario.model import ReadySpec


@pytest.mark.parametrize(
    ("head", "ready"),
    [
        (b"HTTP/1.1 200 OK\r\n", True),
        (b"HTTP/1.0 204 No Content\r\n", True),
        (b"HTTP/1.1 301 Moved Permanently\r\n", True),
        (b"HTTP/1.1 302 Found\r\n", True),
        (b"HTTP/1.1 399 Whatever\r\n", True),
        (b"HTTP/1.1 199 Early\r\n", False),
        (b"HTTP/1.1 400 Bad Request\r\n", False),
        (b"HTTP/1.1 404 Not Found\r\n", False),
        (b"HTTP/1.1 503 Service Unavailable\r\n", False),
        (b"HTTP/1.1 2000 Odd\r\n", False),
        (b"SSH-2.0-OpenSSH\r\n", False),
        (b"", False),
    ],
)
def test_status_lines(head, ready):
    assert ready_status(head) is ready


@pytest.fixture
def server() -> Iterator[int]:
    """A local HTTP server: /healthz redirects to /ok, /ok answers 200, anything else 404."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            if self.path == "/healthz":
                self.send_response(302)
                self.send_header("Location", "/ok")
            else:
                self.send_response(200 if self.path == "/ok" else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def probe(port: int, path: str) -> Watch:
    watch = Watch()
    HttpProbe(ReadySpec(http={"port": 8080, "path": path})).begin(watch, Target(published={8080: port}))
    watch.done.wait(0.5)
    watch.stop.set()
    return watch


def test_a_redirecting_healthz_is_ready_as_in_a_cluster(server):
    assert probe(server, "/healthz").ready_ns is not None


def test_a_404_never_is(server):
    assert probe(server, "/missing").ready_ns is None
