"""Servers that fail on purpose, through `cprofiler measure`: the figures a user sizes from count
every request sent. The load server of known behaviour is built from local content
(``loadserver.c``, FROM scratch): one never answers every 50th request, one answers every 10th
with 500, one with a 302, one is healthy. One rate, one repeat, 1.5 s steps: short on a shared machine.
"""

from __future__ import annotations

import json

import pytest

from cprofiler.measure.load.server import LOADSERVER_SOURCE
from tests.conftest import static_context
from tests.engine.test_load_phase import cprofiler, scenario

pytestmark = pytest.mark.engine

RATE = 400
TIMEOUT_S = 0.5


@pytest.fixture(scope="module")
def measured(engine, tmp_path_factory):
    ctx = static_context(tmp_path_factory.mktemp("loadserver"), LOADSERVER_SOURCE, "loadserver")
    tmp = tmp_path_factory.mktemp("errors")
    images = {
        "healthy": {"env": {"COST_US": "100"}},
        "stalls": {"env": {"COST_US": "100", "STALL_EVERY": "50"}},
        "fails": {"env": {"COST_US": "100", "FAIL_EVERY": "10"}},
        "redirects": {"env": {"COST_US": "100", "FAIL_EVERY": "10", "FAIL_STATUS": "302"}},
    }
    load = {"connections": 16, "duration": 1.5, "warmup": 0.5, "after": 0.2, "repeat": 1, "rates": [RATE]}
    load |= {"timeout": TIMEOUT_S, "slo": {"p99_ms": 100}}
    path = scenario(tmp, ctx, images, load)
    out = tmp / "r.json"
    p = cprofiler("measure", str(path), "--no-floor", "--output", str(out), cwd=tmp)
    rows = {row["name"]: row for row in json.loads(out.read_text())["images"]}
    return p, rows


def step(rows: dict, name: str) -> dict:
    (only,) = rows[name]["load"]["steps"]
    assert only["status"] == "ok", only.get("error")
    return only


def test_a_server_that_stalls_2_percent_has_a_p99_at_the_timeout_and_fails(measured):
    _, rows = measured
    s = step(rows, "stalls")
    # 1.5 s at 400/s: 600 requests due; every 50th never answered.
    assert s["requests"] == pytest.approx(RATE * 1.5, abs=2)
    assert s["timeouts"] >= 0.01 * s["requests"] and s["error_share"] >= 0.01, s
    assert s["latency_ms"]["p99"] >= 1000 * TIMEOUT_S
    assert s["latency_answered_ms"]["p99"] < 1000 * TIMEOUT_S  # what the old figure showed
    assert s["failing"] is True
    assert rows["stalls"]["max_rate_within_slo"] is None
    assert rows["stalls"]["load"]["summary"]["failed"] is True


def test_ten_percent_500s_are_errors_and_the_rate_is_not_within_the_slo(measured):
    _, rows = measured
    s = step(rows, "fails")
    assert set(s["non_2xx"]) == {"5xx"} and s["error_share"] == pytest.approx(0.1, abs=0.01)
    assert s["qps"] == pytest.approx(0.9 * RATE, rel=0.05)  # QPS is the 2xx rate
    assert s["answers_per_s"] == pytest.approx(RATE, rel=0.05)
    assert s["failing"] is True and rows["fails"]["max_rate_within_slo"] is None


def test_a_redirect_is_an_error_not_a_success(measured):
    _, rows = measured
    s = step(rows, "redirects")
    assert set(s["non_2xx"]) == {"3xx"} and s["error_share"] == pytest.approx(0.1, abs=0.01)


def test_a_healthy_server_has_no_error_and_its_rate_is_the_capacity(measured):
    _, rows = measured
    s = step(rows, "healthy")
    assert (s["error_share"], s["failing"], s["timeouts"], s["non_2xx"]) == (0, False, 0, {})
    assert s["window_s"] == pytest.approx(1.5) and s["latency_ms"] == s["latency_answered_ms"]
    assert rows["healthy"]["load"]["summary"]["capacity_rate"] == RATE


def test_measure_fails_shows_the_errors_and_keeps_every_result(measured):
    p, rows = measured
    assert p.returncode == 1, p.stderr  # failed load phases fail the measurement
    assert len(rows) == 4  # and every finished row is kept
    table = p.stdout
    assert "errors" in table and "10.00% FAIL" in table
    assert "p99 is over every request sent" in table


def test_wrk_counts_a_redirect_as_oha_does(engine, tmp_path_factory, tmp_path):
    ctx = static_context(tmp_path_factory.mktemp("loadserver-wrk"), LOADSERVER_SOURCE, "loadserver")
    load = {"connections": 4, "duration": 1, "warmup": 0.5, "after": 0.2, "repeat": 1, "generator": "wrk"}
    path = scenario(tmp_path, ctx, {"redirects": {"env": {"COST_US": "200", "FAIL_EVERY": "10", "FAIL_STATUS": "302"}}}, load)
    out = tmp_path / "r.json"
    p = cprofiler("measure", str(path), "--no-floor", "--output", str(out), "-q", cwd=tmp_path)
    (row,) = json.loads(out.read_text())["images"]
    (s,) = row["load"]["steps"]
    assert s["status"] == "ok", s.get("error")
    assert set(s["non_2xx"]) == {"3xx"} and s["error_share"] == pytest.approx(0.1, abs=0.01)
    assert p.returncode == 1, p.stderr
