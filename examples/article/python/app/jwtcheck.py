"""The RS256 check every Python image of the article's gateway runs: PyJWT with cryptography.

``check(authorization)`` returns ``(status, body)`` for one Authorization header value: 200
``{"ok":true,"sub":…}`` for a bearer token signed RS256 by the private key of ``$JWT_PUBLIC_KEY``
(PEM) that carries an ``exp`` in the future, else 401 ``{"error":…}``. The Go image
(../../go/src/cprofiler.example/gateway-gin) answers the same; tests/engine/test_article_examples.py
sends both the same tokens.
"""

from __future__ import annotations

import json
import os

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key

# Parsed once: each check then costs one RSA verify (a modular exponentiation with e = 65537).
PUBLIC_KEY = load_pem_public_key(os.environ["JWT_PUBLIC_KEY"].encode())
_MISSING = json.dumps({"error": "missing token"}, separators=(",", ":")).encode()
_INVALID = json.dumps({"error": "invalid token"}, separators=(",", ":")).encode()


def check(authorization: str | None) -> tuple[int, bytes]:
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return 401, _MISSING
    try:
        claims = jwt.decode(token, PUBLIC_KEY, algorithms=["RS256"], options={"require": ["exp"]})
    except jwt.InvalidTokenError:
        return 401, _INVALID
    return 200, json.dumps({"ok": True, "sub": claims.get("sub")}, separators=(",", ":")).encode()
