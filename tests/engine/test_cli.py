"""The command line as a user runs it: a real process against the real engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cprofiler.labels import LABEL, LABEL_HOST, LABEL_PID, LABEL_PID_STARTED
from tests.helpers import write_scenario

pytestmark = pytest.mark.engine


def cprofiler(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cprofiler", *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def test_measure_writes_results_json_and_prints_the_table(engine, testapp_context, tmp_path):
    path = write_scenario(
        tmp_path,
        testapp_context,
        {
            "svc": {"env": {"MODE": "http"}, "ready": {"http": {"port": 8080, "path": "/healthz"}}},
            "job": {"env": {"MODE": "exit"}, "ready": {"exit": True}},
        },
    )
    out = tmp_path / "r.json"
    p = cprofiler("measure", str(path), "--runs", "3", "--format", "json", "--output", str(out))
    assert p.returncode == 0, p.stderr
    data = json.loads(out.read_text())
    assert data["schema"] == "cprofiler/results/v2"
    env = data["environment"]
    for key in ("engine_version", "api_version", "kernel", "cgroup_version", "storage_driver", "cpu_model", "cpu_count"):
        assert env[key], key
    svc = {i["name"]: i for i in data["images"]}["svc"]
    assert svc["image"]["id"].startswith("sha256:") and svc["image_size_bytes"] > 0 and svc["layers"] >= 1
    assert len(svc["runs"]) == 3 and all(r["status"] == "ok" for r in svc["runs"])
    for field in ("ready_ms", "working_set_bytes", "rss_bytes", "mapped_file_bytes"):
        s = svc["summary"][field]
        assert s["min"] <= s["median"] <= s["p95"] <= s["max"]
    assert (tmp_path / "r.jsonl").exists()
    assert "cold start p50" in p.stdout and "svc" in p.stdout


def test_unchanged_image_is_not_rebuilt(engine, testapp_context, tmp_path):
    path = write_scenario(tmp_path, testapp_context, {"job": {"env": {"MODE": "exit"}, "ready": {"exit": True}}})
    cprofiler("measure", str(path), "--runs", "1")
    p = cprofiler("measure", str(path), "--runs", "1")
    assert p.returncode == 0 and "job: reused" in p.stderr


def test_failed_build_names_the_image_and_shows_the_log(engine, tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY no-such-file /x\n")
    (tmp_path / "s.yaml").write_text("images:\n  broken:\n    dockerfile: Dockerfile\n    ready: {exit: true}\n")
    p = cprofiler("measure", str(tmp_path / "s.yaml"))
    assert p.returncode == 1
    assert "image 'broken' did not build" in p.stderr and "no-such-file" in p.stderr
    assert "Traceback" not in p.stderr


def test_unpullable_base_is_one_clear_line(engine, tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM cprofiler-test/does-not-exist:1\n")
    (tmp_path / "s.yaml").write_text("images:\n  py:\n    dockerfile: Dockerfile\n    ready: {exit: true}\n")
    p = cprofiler("measure", str(tmp_path / "s.yaml"))
    assert p.returncode == 1
    lines = p.stderr.strip().splitlines()
    assert "base image cprofiler-test/does-not-exist:1" in lines[-1] and "could not be pulled" in lines[-1]


def test_bad_scenario_is_exit_2_with_one_line(tmp_path):
    (tmp_path / "s.yaml").write_text(
        "runs: 3\nimages:\n  a:\n    dockerfile: Dockerfile\n    ready: {exit: true}\n    colour: red\n"
    )
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    p = cprofiler("measure", str(tmp_path / "s.yaml"))
    assert p.returncode == 2
    assert p.stderr.strip().count("\n") == 0
    assert "s.yaml:6: images.a.colour: unknown key" in p.stderr


def test_clean_reaps_dead_invocations_only(engine, testapp_context, tmp_path):
    import socket

    from cprofiler.reaper import own_labels

    # Build the testapp image through a measurement so that it exists, then make two containers.
    path = write_scenario(tmp_path, testapp_context, {"job": {"env": {"MODE": "exit"}, "ready": {"exit": True}}})
    assert cprofiler("measure", str(path), "--runs", "1").returncode == 0
    image = [t for t in engine.client.images.list(filters={"label": "cprofiler.inputs"})][0].id
    dead = subprocess.Popen(["true"])
    dead.wait()
    dead_labels = {LABEL: "deadbeef", LABEL_PID: str(dead.pid), LABEL_PID_STARTED: "1.00", LABEL_HOST: socket.gethostname()}
    live_labels = own_labels("livelive")
    dead_id = engine.create(
        image=image, command=None, env={"MODE": "never"}, labels=dead_labels, memory_limit_bytes=None, cpus=None
    )
    live_id = engine.create(
        image=image, command=None, env={"MODE": "never"}, labels=live_labels, memory_limit_bytes=None, cpus=None
    )
    try:
        p = cprofiler("clean")
        # Every `cprofiler measure` reaps dead invocations at its start too, so on an engine shared
        # with other sessions one of those may have removed the dead container first: what counts
        # is that it is gone and the live one is not.
        assert p.returncode == 0 and p.stdout.startswith(("removed ", "nothing to clean"))
        left = {c["id"] for c in engine.labelled_containers()}
        assert dead_id not in left and live_id in left
    finally:
        engine.remove(live_id)
        engine.remove(dead_id)


def test_help_has_examples():
    p = cprofiler("measure", "--help")
    assert p.returncode == 0 and "cprofiler measure scenarios.yaml" in p.stdout
    env = dict(os.environ, COLUMNS="200")
    p = subprocess.run([sys.executable, "-m", "cprofiler", "--help"], capture_output=True, text=True, env=env)
    for cmd in ("measure", "report", "clean"):
        assert cmd in p.stdout
