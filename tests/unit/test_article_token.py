"""The article's gateway scenario carries a token its images accept: signed RS256 by the test key, by make-token.py.

The images' own answers to it (200), to a tampered copy and to none (401) are checked on the engine
(tests/engine/test_article_examples.py); here the token and key pair themselves, with openssl.
"""

from __future__ import annotations

import base64
import importlib.util
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ARTICLE = ROOT / "examples" / "article"


def _make_token():
    spec = importlib.util.spec_from_file_location("make_token", ARTICLE / "make-token.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _verifies(token: str, tmp_path: Path) -> bool:
    head, payload, signature = token.split(".")
    sig = tmp_path / "sig"
    sig.write_bytes(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    done = subprocess.run(
        ["openssl", "dgst", "-sha256", "-verify", str(ARTICLE / "keys" / "test-public.pem"), "-signature", str(sig)],
        input=f"{head}.{payload}".encode(),
        capture_output=True,
    )
    return done.returncode == 0


def test_the_scenarios_token_is_make_tokens_and_verifies_with_the_public_key(tmp_path):
    doc = yaml.safe_load((ROOT / "examples" / "article-gateway.yaml").read_text())
    token = doc["load"]["headers"]["Authorization"].removeprefix("Bearer ")
    module = _make_token()
    assert token == module.make_token()  # RSA PKCS#1 v1.5 is deterministic
    assert _verifies(token, tmp_path)
    assert not _verifies(module.tampered(token), tmp_path)


def test_every_gateway_image_gets_the_test_public_key():
    for name in ("article-gateway.yaml", "article-gateway-closed.yaml"):
        doc = yaml.safe_load((ROOT / "examples" / name).read_text())
        for image in doc["images"].values():
            assert image["env"]["JWT_PUBLIC_KEY"] == (ARTICLE / "keys" / "test-public.pem").read_text(), name


def test_the_closed_loop_file_measures_the_same_images_and_token_as_the_sweep():
    sweep = yaml.safe_load((ROOT / "examples" / "article-gateway.yaml").read_text())
    closed = yaml.safe_load((ROOT / "examples" / "article-gateway-closed.yaml").read_text())
    assert closed["images"] == sweep["images"] and closed["load"]["headers"] == sweep["load"]["headers"]
    assert "rates" not in closed["load"] and "rate" not in closed["load"]


def test_install_wheels_picks_what_the_interpreter_can_import():
    spec = importlib.util.spec_from_file_location("install_wheels", ARTICLE / "python" / "install-wheels.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    here = f"cp{sys.version_info.major}{sys.version_info.minor}"
    assert module.compatible("flask-3.1.3-py3-none-any.whl")
    assert module.compatible(f"cffi-2.1.1-{here}-{here}-manylinux2014_x86_64.whl")
    assert not module.compatible("cffi-2.1.1-cp39-cp39-manylinux2014_x86_64.whl")
    assert module.compatible("cryptography-50.0.2-cp311-abi3-manylinux_2_28_x86_64.whl")
    assert not module.compatible("cryptography-50.0.2-cp399-abi3-manylinux_2_28_x86_64.whl")
