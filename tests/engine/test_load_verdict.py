"""The load phase's verdict through `cprofiler measure`: rates listed high-to-low summarise the highest.

Steps are 1 s, one repeat, one image, so the test stays short on a shared machine.
"""

from __future__ import annotations

import json

import pytest

from cprofiler.measure.load.server import LOADSERVER_SOURCE
from cprofiler.results import derive, runlog
from tests.conftest import static_context
from tests.engine.test_load_phase import cprofiler, scenario

pytestmark = pytest.mark.engine


def test_rates_listed_high_to_low_summarise_the_highest_and_it_is_the_capacity(engine, tmp_path_factory, tmp_path):
    ctx = static_context(tmp_path_factory.mktemp("loadserver"), LOADSERVER_SOURCE, "loadserver")
    load = {"connections": 4, "duration": 1, "warmup": 0.5, "after": 0.2, "repeat": 1, "rates": [400, 100]}
    load["slo"] = {"p99_ms": 500}
    path = scenario(tmp_path, ctx, {"svc": {"env": {"COST_US": "100"}}}, load)
    out = tmp_path / "r.json"
    p = cprofiler("measure", str(path), "--no-floor", "--output", str(out), "-q", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    (row,) = json.loads(out.read_text())["images"]
    steps = row["load"]["steps"]
    assert [(s["rate"], s["status"]) for s in steps] == [(400, "ok"), (100, "ok")], [s.get("error") for s in steps]
    summary = row["load"]["summary"]
    # Listed last, 100/s used to be summarised while the manifests were sized at 400/s.
    assert (summary["rate"], summary["capacity_rate"], summary["failed"]) == (400, 400, False), summary["reasons"]
    assert summary["capacity_qps"] == pytest.approx(400, rel=0.05)
    assert row["max_rate_within_slo"] == 400
    # Without an SLO there is no capacity, and the summary is still of the highest rate, not the last listed.
    (image,) = runlog.load(out).images
    assert image.load is not None
    image.load.slo_p99_ms = None
    unbounded = derive.load_summary(image.load)
    assert (unbounded.rate, unbounded.capacity_rate) == (400, None)
