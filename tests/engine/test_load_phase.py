"""The load phase through `cprofiler measure`: scenario keys in, the contract's JSON and table out.

The load server (cprofiler/measure/load/loadserver.c) has a known cost per request, so the figures can be checked
against arithmetic; steps are 2 s so the file stays short in CI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cprofiler.measure.load.server import LOADSERVER_SOURCE
from cprofiler.results import runlog
from tests.conftest import static_context

pytestmark = pytest.mark.engine
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server_context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return static_context(tmp_path_factory.mktemp("loadserver"), LOADSERVER_SOURCE, "loadserver")


def cprofiler(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # The checkout under test first on the path, whatever is installed and wherever it runs.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "cprofiler", *args], capture_output=True, text=True, timeout=900, cwd=cwd, env=env
    )


def scenario(tmp_path: Path, ctx: Path, images: dict, load: dict) -> Path:
    doc = {"runs": 1, "warmup": 0, "settle": 0.2, "timeout": 20, "load": load, "images": {}}
    for name, extra in images.items():
        doc["images"][name] = {
            "dockerfile": str(ctx / "Dockerfile"),
            "context": str(ctx),
            "ready": {"http": {"port": 8080, "path": "/"}},
            **extra,
        }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_a_rate_sweep_with_an_slo_and_a_cpus_list(engine, server_context, tmp_path):
    load = {
        "connections": 8,
        "duration": 2,
        "warmup": 0.5,
        "after": 0.5,
        "repeat": 1,
        "rates": [100, 400],
        "slo": {"p99_ms": 500},
    }
    images = {"svc": {"env": {"COST_US": "300"}, "cpus": [0.5, 1]}}
    path = scenario(tmp_path, server_context, images, load)
    out = tmp_path / "r.json"
    p = cprofiler("measure", str(path), "--no-floor", "--output", str(out), "-q", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    data = json.loads(out.read_text())
    rows = {i["name"]: i for i in data["images"]}
    assert set(rows) == {"svc@cpus=0.5", "svc@cpus=1"} and rows["svc@cpus=0.5"]["cpus"] == 0.5
    assert data["ceiling"]["qps"] > 1000
    for row in rows.values():
        steps = row["load"]["steps"]
        assert [(s["rate"], s["status"]) for s in steps] == [(100, "ok"), (400, "ok")], [s.get("error") for s in steps]
        for s in steps:
            # An open-loop rate the server can serve is served: within 10 % of what was asked.
            assert s["qps"] == pytest.approx(s["rate"], rel=0.1)
            assert s["errors_http"] == 0 and s["errors_socket"] == 0
            assert s["cpu_cores"] is not None and s["working_set_peak_bytes"] > 0 and s["pids"] >= 1
        assert row["load"]["cpuset"] == {"server": "0", "generator": "1"}
        assert "intended send time" in row["load"]["latency_method"]
        assert row["max_rate_within_slo"] == 400
    # The table shows the under-load rows and says how they were measured.
    assert "image under load" in p.stdout and "ceiling: the generator reaches" in p.stdout
    # The run log rebuilds the same load figures (report and --resume read it).
    rebuilt = runlog.load(out.with_suffix(".jsonl"))
    assert [len(i.load.steps) for i in rebuilt.images if i.load] == [2, 2]
    assert rebuilt.ceiling is not None and rebuilt.ceiling.qps == data["ceiling"]["qps"]


def test_a_server_that_dies_under_load_is_a_failed_step_and_the_others_go_on(engine, server_context, tmp_path):
    load = {"connections": 8, "duration": 2, "warmup": 0.5, "after": 0.5, "repeat": 1}
    # 256 KiB kept per request under a 24 MiB limit: OOM-killed within the first hundred requests.
    images = {
        "leaky": {"env": {"HOLD_KB": "256", "HOLD_MAX_MB": "1024"}, "memory_limit": "24m"},
        "fine": {"env": {"COST_US": "50"}},
    }
    path = scenario(tmp_path, server_context, images, load)
    out = tmp_path / "r.json"
    p = cprofiler("measure", str(path), "--no-floor", "--output", str(out), "-q", cwd=tmp_path)
    data = json.loads(out.read_text())
    rows = {i["name"]: i for i in data["images"]}
    leaky, fine = rows["leaky"]["load"]["steps"], rows["fine"]["load"]["steps"]
    assert leaky[0]["status"] in ("oomkilled", "crashed", "unresponsive"), leaky
    assert leaky[0]["error"]
    assert fine[0]["status"] == "ok" and fine[0]["qps"] > 100
    assert "failed under load: leaky" in p.stdout
