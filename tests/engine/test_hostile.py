"""Issue 14 (hardening, round two) against the real engine: each test reproduces one finding.

Run logs tie to one measurement (item 3), reuse never measures a stale image (4), ``--cold image``
survives SIGKILL and other invocations (5), containers are bounded and can run restricted (6),
the engine's own reasons reach the user (10), a backtracking log regex holds nothing up (12),
cprofiler in another PID namespace still measures and is never reaped (13), and a failed run keeps
a bounded tail (14).
"""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path

import pytest

from cprofiler.results import runlog
from tests.engine.procs import Cli, records, run_count, stop_all, wait_until
from tests.helpers import write_scenario

pytestmark = pytest.mark.engine

JOB = {"env": {"MODE": "exit"}, "ready": {"exit": True}}


@pytest.fixture(autouse=True)
def _no_process_left(engine):
    yield
    stop_all(engine)


def own_context(tmp_path: Path, testapp_context: Path) -> Path:
    """A copy of the testapp context that a test may change."""
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    for name in ("testapp", "Dockerfile"):
        shutil.copy2(testapp_context / name, ctx / name)
    return ctx


def refused(cli: Cli, words: str) -> str:
    assert cli.finish() == 2, cli.stderr
    assert cli.stderr.count("\n") == 1 and words in cli.stderr, cli.stderr
    return cli.stderr


# --- item 3: one run log, one measurement --------------------------------------------------------


def test_the_same_output_twice_with_a_changed_dockerfile_keeps_only_the_second(engine, testapp_context, tmp_path):
    ctx = own_context(tmp_path, testapp_context)
    scenario = write_scenario(tmp_path, ctx, {"job": JOB}, runs=3, settle=0)
    out = tmp_path / "r.json"
    first = Cli("measure", str(scenario), "--no-floor", "-q", "-o", str(out), cwd=tmp_path)
    assert first.finish() == 0, first.stderr
    (ctx / "Dockerfile").write_text((ctx / "Dockerfile").read_text() + 'LABEL round="two"\n')
    second = Cli("measure", str(scenario), "--no-floor", "-q", "-o", str(out), cwd=tmp_path)
    assert second.finish() == 0, second.stderr
    recs = records(out.with_suffix(".jsonl"))
    assert [r["type"] for r in recs] == ["header", "run", "run", "run", "end"]
    measurement = recs[0]["settings"]["invocation"]
    assert {r["measurement"] for r in recs if r["type"] == "run"} == {measurement}
    assert len(runlog.load(out.with_suffix(".jsonl")).images[0].runs) == 3  # what `report` shows: 3/3, no mix
    assert json.loads(out.read_text())["images"][0]["image"]["id"] == recs[0]["images"][0]["image"]["id"]


def test_a_second_measurement_or_resume_while_the_first_runs_is_refused(engine, testapp_context, tmp_path):
    scenario = write_scenario(tmp_path, testapp_context, {"job": JOB}, runs=200, settle=0)
    out = tmp_path / "r.json"
    jsonl = out.with_suffix(".jsonl")
    first = Cli("measure", str(scenario), "--no-floor", "-q", "-o", str(out), cwd=tmp_path)
    wait_until(lambda: run_count(jsonl) >= 2, 90, "two finished runs")
    refused(
        Cli("measure", str(scenario), "--no-floor", "-q", "-o", str(out), cwd=tmp_path),
        "another cprofiler process is writing this run log now",
    )
    refused(
        Cli("measure", str(scenario), "-q", "--resume", str(jsonl), cwd=tmp_path),
        f"--resume {jsonl}: another cprofiler process is writing this run log now",
    )
    first.send(signal.SIGTERM)
    assert first.finish() == 143, first.stderr
    recs = records(jsonl)
    assert [r["type"] for r in recs if r["type"] != "run"] == ["header", "end"]
    indices = [r["index"] for r in recs if r["type"] == "run"]
    assert indices == list(range(len(indices)))  # one writer: no index twice
    # Now that it has stopped, a new measurement to the same --output must not bury its runs.
    refused(
        Cli("measure", str(scenario), "--no-floor", "-q", "-o", str(out), cwd=tmp_path),
        f"holds the runs of another measurement that did not finish; go on with it (--resume {jsonl})",
    )


def test_resume_refuses_an_edited_scenario(engine, testapp_context, tmp_path):
    scenario = write_scenario(tmp_path, testapp_context, {"job": {**JOB, "memory_limit": "64m"}}, runs=50, settle=0)
    out = tmp_path / "r.json"
    jsonl = out.with_suffix(".jsonl")
    first = Cli("measure", str(scenario), "--no-floor", "-q", "-o", str(out), cwd=tmp_path)
    wait_until(lambda: run_count(jsonl) >= 2, 90, "two finished runs")
    first.send(signal.SIGTERM)
    assert first.finish() == 143, first.stderr
    before = jsonl.read_bytes()
    scenario.write_text(scenario.read_text().replace("64m", "1g"))
    refused(
        Cli("measure", str(scenario), "-q", "--resume", str(jsonl), cwd=tmp_path),
        f"{scenario} was edited since the measurement began (sha256 ",
    )
    assert jsonl.read_bytes() == before
