#!/usr/bin/env python3
"""Print an HS256 JWT that the gateway samples accept, for a load generator's Authorization header.

    python3 examples/gateway/make-token.py                    # the token in examples/gateway.yaml
    python3 examples/gateway/make-token.py --secret S --sub alice --exp 1893456000

The secret is --secret, else $JWT_SECRET, else the samples' public test secret. The output is
deterministic (fixed header, claims in a fixed order, no iat), so the default run prints exactly
the token written in examples/gateway.yaml. The default exp, 2100-01-01, keeps it valid for runs.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import json
import os

DEFAULT_SECRET = "cprofiler-gateway-test-secret-not-for-production"  # noqa: S105 - public, for tests
DEFAULT_SUB = "cprofiler-load"
DEFAULT_EXP = 4102444800  # 2100-01-01T00:00:00Z


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_token(secret: bytes, sub: str, exp: int) -> str:
    """Return ``header.payload.signature`` for ``{"sub": sub, "exp": exp}``, signed with HMAC-SHA256."""
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": sub, "exp": exp}, separators=(",", ":")).encode())
    signature = b64url(hmac.digest(secret, f"{header}.{payload}".encode("ascii"), "sha256"))
    return f"{header}.{payload}.{signature}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--secret",
        default=os.environ.get("JWT_SECRET", DEFAULT_SECRET),
        help="HMAC key (default: $JWT_SECRET or the test secret)",
    )
    parser.add_argument("--sub", default=DEFAULT_SUB, help=f"subject claim (default: {DEFAULT_SUB})")
    parser.add_argument("--exp", type=int, default=DEFAULT_EXP, help="expiry, Unix seconds (default: 2100-01-01)")
    args = parser.parse_args()
    print(make_token(args.secret.encode(), args.sub, args.exp))


if __name__ == "__main__":
    main()
