"""Cold levels and the runtime floor on the real engine."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid

import pytest

from cprofiler.report.rows import comparison_rows
from cprofiler.results import derive, writer
from cprofiler.results import runlog as results
from tests.helpers import by_name, measure, typed, write_scenario
from tests.helpers import runner as make_runner

pytestmark = pytest.mark.engine

JOB = {"env": {"MODE": "exit"}, "ready": {"exit": True}}
SERVICE = {"env": {"MODE": "http"}, "ready": {"http": {"port": 8080, "path": "/healthz"}}}


def test_cold_cache_runs_and_is_recorded(engine, testapp_context, tmp_path):
    path = write_scenario(tmp_path, testapp_context, {"job": JOB, "svc": SERVICE}, runs=2, settle=0)
    m = measure(engine, path, cold="cache")
    assert m.settings.cold == "cache"
    for img in by_name(m).values():
        assert [r.status for r in img.runs] == ["ok", "ok"], [r.error for r in img.runs]
        assert all(r.fetch_ms is None for r in img.runs)


def test_cold_image_records_fetch_ms_and_puts_the_image_back(engine, testapp_context, tmp_path):
    # An image of its own (a unique label), so that removing it cannot touch anyone else's runs.
    ctx = tmp_path / "ctx"
    shutil.copytree(testapp_context, ctx)
    with (ctx / "Dockerfile").open("a") as fh:
        fh.write(f"LABEL cprofiler.test.nonce={uuid.uuid4().hex}\n")
    path = write_scenario(tmp_path, ctx, {"job": JOB}, runs=2, settle=0)
    runner = make_runner(engine, path, runs=2, warmup=0, settle_s=0, timeout_s=20, cold="image")
    image_id = None
    try:
        m = runner.measure()
        job = by_name(m)["job"]
        image_id = job.image.id
        assert m.settings.cold == "image"
        assert [r.status for r in job.runs] == ["ok", "ok"], [r.error for r in job.runs]
        for r in job.runs:
            assert r.fetch_ms is not None and r.fetch_ms > 0
            assert "fetch_ms: loaded from a tarball cprofiler saved" in r.notes
        assert derive.summary(job)["fetch_ms"]["n"] == 2
        # Back on the engine, under the same id and tag, and the saved tarball is gone.
        back = engine.image(job.image.tag)
        assert back is not None and back.id == image_id
        assert runner.cold._dir is None  # type: ignore[attr-defined]
    finally:
        if image_id is not None:
            engine.remove_image(image_id)


def cprofiler(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cprofiler", *args], capture_output=True, text=True, timeout=600)


def test_floor_row_and_app_start_on_the_real_json(engine, testapp_context, tmp_path):
    path = write_scenario(tmp_path, testapp_context, {"svc": SERVICE, "job": JOB}, runs=2, settle=0)
    out = tmp_path / "out" / "r.json"
    p = cprofiler("measure", str(path), "--warmup", "0", "--format", "json", "--output", str(out))
    assert p.returncode == 0, p.stderr
    data = json.loads(out.read_text())
    floor = data["floor"]
    svc = {i["name"]: i for i in data["images"]}["svc"]
    # Shaped like an image, serving (the scenario has a service), and measured the same way.
    assert set(floor) == set(svc)
    assert floor["name"] == "(floor)" and floor["ready"] == {"tcp": {"port": 8080}}
    assert floor["image"]["tag"].startswith("cprofiler/floor:") and floor["image_size_bytes"] < 1024
    assert [r["status"] for r in floor["runs"]] == ["ok", "ok"]
    assert data["settings"]["floor"] is True
    rows = {r["image"]: r for r in comparison_rows(typed(data))}
    expected = svc["summary"]["ready_ms"]["median"] - floor["summary"]["ready_ms"]["median"]
    assert rows["svc"]["app_start_median_ms"] == pytest.approx(expected)
    assert rows["job"]["app_start_median_ms"] is None  # an exit is not compared with a serving floor
    # The table printed at the end has the floor row and the column.
    assert "app start" in p.stdout and any(line.startswith("(floor)") for line in p.stdout.splitlines())
    # The JSON Lines file rebuilds the floor too.
    rebuilt = writer.results_json(results.load(out.with_suffix(".jsonl")))
    assert [r["ready_ms"] for r in rebuilt["floor"]["runs"]] == [r["ready_ms"] for r in floor["runs"]]


def test_no_floor_leaves_it_out(engine, testapp_context, tmp_path):
    path = write_scenario(tmp_path, testapp_context, {"job": JOB}, runs=1, settle=0)
    out = tmp_path / "out" / "r.json"
    p = cprofiler("measure", str(path), "--warmup", "0", "--no-floor", "--format", "json", "--output", str(out))
    assert p.returncode == 0, p.stderr
    data = json.loads(out.read_text())
    assert data["floor"] is None and data["settings"]["floor"] is False
    assert "(floor)" not in p.stdout
