"""API-gateway sample as a WSGI app for gunicorn's gthread worker: check an HS256 JWT, answer JSON.

The same endpoints and answers as ../python-stdlib/app.py: GET /api/check with
``Authorization: Bearer <token>`` answers 200 ``{"sub":…,"time_ms":…}`` for a token signed with
HMAC-SHA256 under ``$JWT_SECRET`` that has not expired, else 401 with ``{"error":…}``; GET
/healthz answers 200. gunicorn.conf.py sets the workers and threads and prints the ready line.

The JWT code is a copy of python-stdlib's (each image's build context is its own folder);
tests/unit/test_gateway_jwt.py runs both against the same tokens.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
import re
import time
from collections.abc import Callable, Iterable

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


_JSON = ("Content-Type", "application/json")
_REASONS = {200: "200 OK", 401: "401 Unauthorized", 404: "404 Not Found", 405: "405 Method Not Allowed"}


def application(environ: dict[str, object], start_response: Callable[..., object]) -> Iterable[bytes]:
    """The WSGI entry point (``app:application``)."""
    path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
    challenge = None
    if path == API_PATH and method == "GET":
        authorization = environ.get("HTTP_AUTHORIZATION")
        status, body, challenge = check_request(authorization if isinstance(authorization, str) else None, SECRET, time.time())
    elif path == "/healthz" and method == "GET":
        status, body = 200, b'{"status":"ok"}'
    elif path in (API_PATH, "/healthz"):
        status, body = 405, b'{"error":"method not allowed"}'
    else:
        status, body = 404, b'{"error":"not found"}'
    headers = [_JSON, ("Content-Length", str(len(body)))]
    if challenge:
        headers.append(("WWW-Authenticate", challenge))
    start_response(_REASONS[status], headers)
    return [body]
