#!/usr/bin/env python3
"""Print an RS256 JWT that the article's gateways accept, for the load phase's Authorization header.

    python3 examples/article/make-token.py               # the token in examples/article-gateway.yaml
    python3 examples/article/make-token.py --tamper      # the same token with its signature altered

Signed by ``openssl dgst -sha256 -sign`` with keys/test-private.pem, a key pair made for these tests
and public (never use it for anything else); the images verify with keys/test-public.pem, which the
scenario passes in JWT_PUBLIC_KEY. RSA PKCS#1 v1.5 signatures are deterministic, so the default run
prints exactly the token written in the scenario. Claims: sub cprofiler-load, exp 2100-01-01.
"""

from __future__ import annotations

import argparse
import base64
import json
import subprocess
from pathlib import Path

KEY = Path(__file__).resolve().parent / "keys" / "test-private.pem"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_token(sub: str = "cprofiler-load", exp: int = 4102444800, key: Path = KEY) -> str:
    """Return ``header.payload.signature`` for ``{"sub": sub, "exp": exp}``, signed RS256."""
    header = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"sub": sub, "exp": exp}, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode("ascii")
    signature = subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", str(key)], input=signing_input, capture_output=True, check=True
    ).stdout
    return f"{header}.{payload}.{b64url(signature)}"


def tampered(token: str) -> str:
    """The token with the first signature character changed: well-formed, wrongly signed."""
    header, payload, signature = token.split(".")
    return f"{header}.{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sub", default="cprofiler-load")
    parser.add_argument("--exp", type=int, default=4102444800, help="expiry, Unix seconds (default: 2100-01-01)")
    parser.add_argument("--tamper", action="store_true", help="alter the signature")
    args = parser.parse_args()
    token = make_token(args.sub, args.exp)
    print(tampered(token) if args.tamper else token)


if __name__ == "__main__":
    main()
