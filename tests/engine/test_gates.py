"""Exit statuses a CI job can act on, from a real ``cprofiler`` process on the real engine:
budgets, runs that did not end ok, and what ``report`` and ``compare`` return."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from tests.helpers import write_scenario

pytestmark = pytest.mark.engine

JOB = {"env": {"MODE": "exit"}, "ready": {"exit": True}}


def cprofiler(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout, whatever the working directory
    return subprocess.run(
        [sys.executable, "-m", "cprofiler", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600
    )


def with_budgets(path: Path, top: dict | None = None, **per_image: dict) -> Path:
    doc = yaml.safe_load(path.read_text())
    if top:
        doc["budgets"] = top
    for name, b in per_image.items():
        doc["images"][name]["budgets"] = b
    path.write_text(yaml.safe_dump(doc))
    return path


def test_an_exceeded_budget_is_marked_and_exits_1_and_a_kept_one_exits_0(engine, testapp_context, tmp_path):
    path = write_scenario(tmp_path, testapp_context, {"job": JOB, "roomy": JOB}, settle=0)
    # The testapp image is hundreds of KiB: 0.01 MiB is exceeded, 100 MiB and a minute are kept.
    with_budgets(path, {"cold_start_p95_ms": 60_000, "image_size_mib": 100}, job={"image_size_mib": 0.01})
    out = tmp_path / "r.json"
    p = cprofiler("measure", str(path), "--runs", "2", "--no-floor", "-o", str(out), cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    job = next(line for line in p.stdout.splitlines() if line.startswith("job"))
    roomy = next(line for line in p.stdout.splitlines() if line.startswith("roomy"))
    assert "✗ (≤ 0.01 MiB)" in job and "✗" not in roomy
    assert "budget: job: image size" in p.stdout and "exceeds its budget of 0.01 MiB (image_size_mib)" in p.stdout
    assert "1 budgets exceeded (job image_size_mib): exit status 1" in p.stderr
    checks = {i["name"]: i["budget_checks"] for i in json.loads(out.read_text())["images"]}
    assert {c["budget"]: c["status"] for c in checks["job"]} == {"cold_start_p95_ms": "kept", "image_size_mib": "exceeded"}
    assert {c["status"] for c in checks["roomy"]} == {"kept"}
    # report renders, and marks, but never judges: exit 0.
    again = cprofiler("report", str(out), cwd=tmp_path)
    assert again.returncode == 0 and "✗ (≤ 0.01 MiB)" in again.stdout

    with_budgets(path, job={"image_size_mib": 100})
    p = cprofiler("measure", str(path), "--runs", "1", "--no-floor", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "✗" not in p.stdout


def test_runs_that_did_not_end_ok_exit_1_unless_allowed(engine, testapp_context, tmp_path):
    crash = {"env": {"MODE": "crash", "EXIT_CODE": "7"}, "ready": {"exit": True}}
    path = write_scenario(tmp_path, testapp_context, {"ok": JOB, "boom": crash}, settle=0)
    p = cprofiler("measure", str(path), "--runs", "2", "--no-floor", cwd=tmp_path)
    assert p.returncode == 1
    assert "2 runs did not end ok: exit status 1 (--allow-failed-runs accepts them)" in p.stderr
    # The table says which runs failed and shows what they printed.
    # Fail fast: the first run crashed, so the second was skipped (and said so), the other image ran on.
    assert "failed: boom: 2 of 2 recorded runs did not end ok (1 crashed, 1 skipped)" in p.stdout
    assert "boom: first run failed (crashed" in p.stderr and "skipping its 1 other run; --keep-going runs them all" in p.stderr
    assert "verdict: ok: " in p.stderr and "failed (no run ended ok): boom" in p.stderr
    assert "    | testapp: crashing on purpose" in p.stdout and "(exit code 7)" in p.stdout
    allowed = cprofiler("measure", str(path), "--runs", "1", "--no-floor", "--allow-failed-runs", cwd=tmp_path)
    assert allowed.returncode == 0 and "failed: boom" in allowed.stdout


def test_json_on_stdout_leaves_the_notices_to_stderr(engine, testapp_context, tmp_path):
    crash = {"env": {"MODE": "crash"}, "ready": {"exit": True}}
    path = write_scenario(tmp_path, testapp_context, {"boom": crash}, settle=0)
    p = cprofiler("measure", str(path), "--runs", "1", "--no-floor", "--format", "json", "--allow-failed-runs", cwd=tmp_path)
    assert p.returncode == 0 and json.loads(p.stdout)["images"][0]["runs"][0]["status"] == "crashed"
    assert "failed: boom: 1 of 1 recorded runs did not end ok" in p.stderr


def test_compare_exits_1_on_a_broken_rule_and_2_on_a_bad_one(engine, testapp_context, tmp_path):
    # 1.5 s of delay: well outside what a noisy shared machine does to a job that exits at once (CI once
    # saw its median cold start go from 686 to 859 ms between two sets of runs with nothing changed).
    slow = {"env": {"MODE": "exit", "DELAY_MS": "1500"}, "ready": {"exit": True}}
    before = write_scenario(tmp_path, testapp_context, {"job": JOB}, settle=0)
    assert cprofiler("measure", str(before), "--runs", "5", "--no-floor", "-o", "before.json", cwd=tmp_path).returncode == 0
    write_scenario(tmp_path, testapp_context, {"job": slow}, settle=0)
    assert cprofiler("measure", str(before), "--runs", "5", "--no-floor", "-o", "after.json", cwd=tmp_path).returncode == 0
    p = cprofiler("compare", "before.json", "after.json", "--fail-on", "ready_ms:+10%", cwd=tmp_path)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "slower ✗ ready_ms:+10%" in p.stdout and "--fail-on ready_ms:+10%: job +" in p.stderr
    same = cprofiler("compare", "before.json", "before.jsonl", "--fail-on", "ready_ms:+10%", cwd=tmp_path)
    assert same.returncode == 0, same.stdout + same.stderr
    bad = cprofiler("compare", "before.json", "after.json", "--fail-on", "ready_ms:+ten%", cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.startswith("cprofiler: --fail-on 'ready_ms:+ten%'")


def test_an_image_never_ready_on_a_port_it_does_not_expose_fails_fast(engine, testapp_context, tmp_path):
    """Its first run times out, the line says the probe's port is not EXPOSEd, its other runs are
    recorded as skipped; the other image runs in full, and measure ends with the next commands."""
    ctx = tmp_path / "ctx"
    shutil.copytree(testapp_context, ctx)
    (ctx / "Dockerfile").write_text((testapp_context / "Dockerfile").read_text() + "EXPOSE 9000\n")
    svc = {"env": {"MODE": "tcp", "PORT": "9000"}, "ready": {"tcp": {"port": 9001}}}
    path = write_scenario(tmp_path, ctx, {"svc": svc, "ok": JOB}, timeout=2, settle=0)
    out = tmp_path / "r.json"
    p = cprofiler("measure", str(path), "--runs", "3", "--no-floor", "-o", str(out), cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    assert "svc: first run failed (timeout: " in p.stderr, p.stderr
    assert (
        "the probe's port 9001 is not one the image EXPOSEs (9000/tcp)), skipping its 2 other runs; --keep-going runs them all"
    ) in p.stderr, p.stderr
    runs = {i["name"]: [r["status"] for r in i["runs"]] for i in json.loads(out.read_text())["images"]}
    assert runs == {"svc": ["timeout", "skipped", "skipped"], "ok": ["ok", "ok", "ok"]}
    assert "verdict: ok: " in p.stderr and "failed (no run ended ok): svc" in p.stderr
    assert f"  cprofiler recommend {out}" in p.stderr
    kept = cprofiler("measure", str(path), "--runs", "2", "--no-floor", "--only", "svc", "--keep-going", cwd=tmp_path)
    assert kept.returncode == 1 and "skipping" not in kept.stderr, kept.stderr
    assert "svc: the probe's port 9001 is not one the image EXPOSEs (9000/tcp)" in kept.stderr
