"""The gateway example's JWT check (examples/gateway), run in-process on both Python apps.

Both apps carry the same check (each image's build context is its own folder), so every case
runs against both; the token written in examples/gateway.yaml must be what make-token.py prints
and must pass. The Go app follows the same rules; it is checked by building its image.
"""

from __future__ import annotations

import base64
import hmac
import importlib.util
import json
import os
import re
import time
from pathlib import Path
from types import ModuleType

import pytest
import yaml

GATEWAY = Path(__file__).resolve().parents[2] / "examples" / "gateway"
SECRET = b"cprofiler-gateway-test-secret-not-for-production"
NOW = 1_700_000_000.0


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


APPS = {
    "python-stdlib": _load(GATEWAY / "python-stdlib" / "app.py", "gateway_python_stdlib_app"),
    "python-gunicorn": _load(GATEWAY / "python-gunicorn" / "app.py", "gateway_python_gunicorn_app"),
}
MAKE_TOKEN = _load(GATEWAY / "make-token.py", "gateway_make_token")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _sign(header: dict[str, object] | bytes, claims: dict[str, object] | bytes, secret: bytes = SECRET) -> str:
    h = _b64(header if isinstance(header, bytes) else json.dumps(header).encode())
    p = _b64(claims if isinstance(claims, bytes) else json.dumps(claims).encode())
    return f"{h}.{p}.{_b64(hmac.digest(secret, f'{h}.{p}'.encode(), 'sha256'))}"


HS256 = {"alg": "HS256", "typ": "JWT"}
GOOD = _sign(HS256, {"sub": "alice", "exp": NOW + 60})


@pytest.fixture(params=sorted(APPS))
def app(request: pytest.FixtureRequest) -> ModuleType:
    return APPS[request.param]


def test_a_good_token_answers_200_with_sub_and_time(app):
    status, body, challenge = app.check_request(f"Bearer {GOOD}", SECRET, NOW)
    assert (status, challenge) == (200, None)
    assert json.loads(body) == {"sub": "alice", "time_ms": int(NOW * 1000)}
    assert body == b'{"sub":"alice","time_ms":1700000000000}'  # compact, as Go's encoding/json writes it


def test_scheme_is_case_insensitive_and_spaces_around_the_token_are_ignored(app):
    assert app.check_request(f"  bearer   {GOOD}  ", SECRET, NOW)[0] == 200


def test_verify_returns_the_claims(app):
    assert app.verify_jwt(GOOD, SECRET, NOW) == {"sub": "alice", "exp": NOW + 60}


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer   ", f"Basic {GOOD}", GOOD, f"Token {GOOD}"])
def test_a_missing_token_answers_401_with_a_bare_challenge(app, authorization):
    assert app.check_request(authorization, SECRET, NOW) == (401, b'{"error":"missing token"}', "Bearer")


def _flip(segment: str) -> str:
    return segment[:-2] + ("A" if segment[-2] != "A" else "B") + segment[-1]


def _tampered_payload() -> str:
    h, _, s = GOOD.split(".")
    return f"{h}.{_b64(json.dumps({'sub': 'mallory', 'exp': NOW + 60}).encode())}.{s}"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        pytest.param(_tampered_payload(), "bad signature", id="payload-swapped"),
        pytest.param(GOOD[:-1] + ("A" if GOOD[-1] != "A" else "B"), "bad signature", id="signature-last-char"),
        pytest.param(".".join(GOOD.split(".")[:2] + [_flip(GOOD.split(".")[2])]), "bad signature", id="signature-flipped"),
        pytest.param(_sign(HS256, {"sub": "alice", "exp": NOW + 60}, b"another secret"), "bad signature", id="other-secret"),
        pytest.param(GOOD.rsplit(".", 1)[0] + ".", "malformed token", id="no-signature"),
        pytest.param(
            _sign({"alg": "none"}, {"exp": NOW + 60}).rsplit(".", 1)[0] + ".", "malformed token", id="alg-none-unsigned"
        ),
        pytest.param(_sign({"alg": "none"}, {"exp": NOW + 60}), "unsupported alg", id="alg-none-signed"),
        pytest.param(_sign({"alg": "HS512"}, {"exp": NOW + 60}), "unsupported alg", id="alg-hs512"),
        pytest.param(_sign({"typ": "JWT"}, {"exp": NOW + 60}), "unsupported alg", id="alg-missing"),
        pytest.param(_sign(HS256, {"sub": "alice", "exp": NOW - 1}), "expired", id="expired"),
        pytest.param(_sign(HS256, {"sub": "alice", "exp": NOW}), "expired", id="expires-now"),
        pytest.param(_sign(HS256, {"sub": "alice", "exp": NOW + 60, "nbf": NOW + 1}), "not yet valid", id="nbf-future"),
        pytest.param(_sign(HS256, {"sub": "alice"}), "bad claims", id="exp-missing"),
        pytest.param(_sign(HS256, {"exp": str(NOW + 60)}), "bad claims", id="exp-string"),
        pytest.param(_sign(HS256, {"exp": True}), "bad claims", id="exp-bool"),
        pytest.param(_sign(HS256, {"sub": 42, "exp": NOW + 60}), "bad claims", id="sub-number"),
        pytest.param(_sign(HS256, b'{"exp": Infinity}'), "malformed token", id="exp-infinity"),
        pytest.param(_sign(HS256, b"[1, 2]"), "malformed token", id="claims-not-object"),
        pytest.param(_sign(HS256, b"\xff\xfe"), "malformed token", id="claims-not-utf8"),
        pytest.param(_sign(b"not json", {"exp": NOW + 60}), "malformed token", id="header-not-json"),
        pytest.param("a.b", "malformed token", id="two-segments"),
        pytest.param(GOOD + ".x", "malformed token", id="four-segments"),
        pytest.param(GOOD.replace("e", "é", 1), "malformed token", id="non-ascii"),
        pytest.param(GOOD.replace(".", "=.", 1), "malformed token", id="padding"),
    ],
)
def test_a_bad_token_answers_401_saying_why(app, token, reason):
    with pytest.raises(app.InvalidToken, match=f"^{reason}$"):
        app.verify_jwt(token, SECRET, NOW)
    status, body, challenge = app.check_request(f"Bearer {token}", SECRET, NOW)
    assert (status, json.loads(body), challenge) == (401, {"error": reason}, 'Bearer error="invalid_token"')


def test_a_past_nbf_and_a_missing_or_null_sub_are_fine(app):
    token = _sign(HS256, {"exp": NOW + 60, "nbf": NOW - 60, "sub": None})
    assert app.check_request(f"Bearer {token}", SECRET, NOW)[:2] == (200, b'{"sub":null,"time_ms":1700000000000}')
    assert app.check_request(f"Bearer {_sign(HS256, {'exp': NOW + 1})}", SECRET, NOW)[0] == 200


def test_both_python_apps_carry_the_same_check():
    """The JWT part is a copy; a fix to one that misses the other fails here."""

    def jwt_part(path: Path) -> str:
        text = path.read_text()
        return text[text.index("API_PATH = ") : text.index("SECRET = os.environ")]

    assert jwt_part(GATEWAY / "python-stdlib" / "app.py") == jwt_part(GATEWAY / "python-gunicorn" / "app.py")


def test_the_scenario_token_is_make_tokens_output_and_every_app_accepts_it(app):
    scenario = yaml.safe_load((GATEWAY.parent / "gateway.yaml").read_text())
    authorization = scenario["load"]["headers"]["Authorization"]
    token = MAKE_TOKEN.make_token(SECRET, MAKE_TOKEN.DEFAULT_SUB, MAKE_TOKEN.DEFAULT_EXP)
    assert authorization == f"Bearer {token}"
    status, body, _ = app.check_request(authorization, SECRET, time.time())
    assert status == 200 and json.loads(body)["sub"] == "cprofiler-load"
    assert app.verify_jwt(token, SECRET, time.time())["exp"] == 4102444800  # 2100-01-01: far enough


def test_one_test_secret_everywhere():
    scenario = yaml.safe_load((GATEWAY.parent / "gateway.yaml").read_text())
    secrets = {image["env"]["JWT_SECRET"] for image in scenario["images"].values()}
    secrets |= {APPS[name].DEFAULT_SECRET for name in APPS} | {MAKE_TOKEN.DEFAULT_SECRET}
    go_default = re.search(r'defaultSecret = "([^"]+)"', (GATEWAY / "go" / "main.go").read_text())
    assert go_default is not None
    assert secrets | {go_default.group(1)} == {SECRET.decode()}


def test_gunicorn_workers_follow_the_container_cpus():
    conf = _load(GATEWAY / "python-gunicorn" / "gunicorn.conf.py", "gateway_gunicorn_conf")
    assert conf.worker_class == "gthread" and conf.threads >= 1
    assert 1 <= conf.container_cpus() <= len(os.sched_getaffinity(0))
