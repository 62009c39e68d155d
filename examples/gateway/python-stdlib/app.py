"""API-gateway sample on the Python standard library alone: check an HS256 JWT, answer JSON.

GET /api/check with ``Authorization: Bearer <token>`` answers 200 ``{"sub":…,"time_ms":…}`` when
the token is signed with HMAC-SHA256 under ``$JWT_SECRET`` and has not expired, else 401 with
``{"error":…}``; GET /healthz answers 200 for the readiness probe. One line
``ready monotonic_ns=<CLOCK_MONOTONIC ns>`` is printed once the socket listens.

One process, so one GIL: ThreadingHTTPServer runs a thread per connection, and whatever the
number of cores, the Python work of all requests takes turns on one of them. That is the
article's case; python-gunicorn is the same check behind several processes.

The JWT code is repeated in ../python-gunicorn/app.py on purpose (each image's build context is
its own folder); tests/unit/test_gateway_jwt.py runs both against the same tokens.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
import re
import socketserver
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_PATH = "/api/check"
#: A public test secret, stated in examples/gateway.yaml; set JWT_SECRET for anything real.
DEFAULT_SECRET = "cprofiler-gateway-test-secret-not-for-production"  # noqa: S105 - public, for tests
# Three base64url segments, ASCII only: anything else is rejected before any decoding.
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class InvalidToken(Exception):
    """The token is malformed, wrongly signed, expired or not yet valid; ``str()`` says which."""


def _b64url_decode(segment: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidToken("malformed token") from exc


def _b64url_encode(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _json_object(segment: str) -> dict[str, object]:
    def no_constants(name: str) -> object:  # NaN and Infinity are not JSON (nor accepted by Go)
        raise InvalidToken("malformed token")

    try:
        value = json.loads(_b64url_decode(segment).decode("utf-8"), parse_constant=no_constants)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidToken("malformed token") from exc
    if not isinstance(value, dict):
        raise InvalidToken("malformed token")
    return value


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def verify_jwt(token: str, secret: bytes, now_s: float) -> dict[str, object]:
    """Return the claims of an HS256 ``token`` signed with ``secret`` and valid at ``now_s`` (Unix seconds).

    The signature is checked first, in constant time, over the segments as sent, so nothing the
    sender wrote is parsed before it is authenticated. ``alg`` must be HS256 (no ``none``, no
    algorithm switching); ``exp`` is required and must lie after ``now_s``; ``nbf``, if given, not
    after it; ``sub``, if given, must be a string. Raise :class:`InvalidToken` otherwise.
    """
    if not _TOKEN_RE.fullmatch(token):
        raise InvalidToken("malformed token")
    header_b64, payload_b64, signature_b64 = token.split(".")
    # hmac.digest is the one-shot C path (OpenSSL's HMAC): the fastest the standard library has.
    mac = hmac.digest(secret, f"{header_b64}.{payload_b64}".encode("ascii"), "sha256")
    if not hmac.compare_digest(_b64url_encode(mac), signature_b64.encode("ascii")):
        raise InvalidToken("bad signature")
    if _json_object(header_b64).get("alg") != "HS256":
        raise InvalidToken("unsupported alg")
    claims = _json_object(payload_b64)
    exp, nbf, sub = claims.get("exp"), claims.get("nbf"), claims.get("sub")
    if not _number(exp) or (nbf is not None and not _number(nbf)) or (sub is not None and not isinstance(sub, str)):
        raise InvalidToken("bad claims")
    if now_s >= exp:  # type: ignore[operator]  # a number, checked above
        raise InvalidToken("expired")
    if nbf is not None and now_s < nbf:  # type: ignore[operator]
        raise InvalidToken("not yet valid")
    return claims


def check_request(authorization: str | None, secret: bytes, now_s: float) -> tuple[int, bytes, str | None]:
    """Answer one GET /api/check: ``(status, JSON body, WWW-Authenticate value or None)``."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return 401, b'{"error":"missing token"}', "Bearer"
    try:
        claims = verify_jwt(token.strip(), secret, now_s)
    except InvalidToken as exc:
        return 401, json.dumps({"error": str(exc)}, separators=(",", ":")).encode(), 'Bearer error="invalid_token"'
    body = {"sub": claims.get("sub"), "time_ms": int(now_s * 1000)}
    return 200, json.dumps(body, separators=(",", ":")).encode(), None


SECRET = os.environ.get("JWT_SECRET", DEFAULT_SECRET).encode()


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps a load generator's connections open between requests (Content-Length is
    # always set); HTTP/1.0, the class default, would close each one after its answer.
    protocol_version = "HTTP/1.1"
    # A buffered wfile sends status line, headers and body in one write when the handler returns,
    # and TCP_NODELAY keeps Nagle's algorithm from holding a small answer back for a delayed ACK.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True
    server_version = "gateway-python-stdlib"

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        path = self.path.split("?", 1)[0]
        challenge = None
        if path == API_PATH:
            status, body, challenge = check_request(self.headers.get("Authorization"), SECRET, time.time())
        elif path == "/healthz":
            status, body = 200, b'{"status":"ok"}'
        else:
            status, body = 404, b'{"error":"not found"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if challenge:
            self.send_header("WWW-Authenticate", challenge)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass  # a line per request would cost more than the request under load


class Server(ThreadingHTTPServer):
    # The listen backlog: socketserver's default of 5 makes most of 500 clients connecting at
    # once retry their SYN after a second; Go and gunicorn (2048) use the kernel's maximum.
    request_queue_size = 4096
    daemon_threads = True

    def server_bind(self) -> None:
        # HTTPServer.server_bind also resolves its own name (socket.getfqdn), a DNS lookup at
        # start-up that a cold start need not pay; the name is only used in CGI variables.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "localhost", self.server_address[1]


def main() -> None:
    server = Server(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Handler)  # noqa: S104 - a container service
    print(f"ready monotonic_ns={time.monotonic_ns()}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
