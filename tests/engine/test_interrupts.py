"""Signals sent to a real ``cprofiler measure`` process, SIGKILL and reaping, and ``--resume``.

Every interruption must leave: no container of that invocation, a JSON Lines file whose every
line is whole JSON and holds every finished run, exit code 130 (SIGINT), 143 (SIGTERM) or 129
(SIGHUP: a dropped ssh session), and a line on stderr saying where the partial results are.
"""

from __future__ import annotations

import signal
import time
import uuid
from pathlib import Path

import psutil
import pytest
import yaml

from cprofiler.labels import LABEL_IMAGE
from cprofiler.measure.load.server import LOADSERVER_SOURCE
from cprofiler.reaper import is_stale, own_labels
from cprofiler.results import runlog as results
from cprofiler.results import writer
from tests.conftest import static_context
from tests.engine.procs import Cli, records, run_count, stop_all, wait_until
from tests.helpers import write_scenario

pytestmark = pytest.mark.engine


@pytest.fixture(autouse=True)
def _no_process_left(engine):
    """A failing test must not leave its cprofiler running, nor that process's containers."""
    yield
    stop_all(engine)


JOB = {"env": {"MODE": "exit"}, "ready": {"exit": True}}
HANG = {"env": {"MODE": "never"}, "ready": {"tcp": {"port": 8080}}}
A_JOB = "runs: 2\nimages:\n  a:\n    dockerfile: ctx/Dockerfile\n    env: {MODE: exit}\n    ready: {exit: true}\n"
SERVICE = {"env": {"MODE": "http"}, "ready": {"http": {"port": 8080, "path": "/healthz"}}}
EXIT_CODE = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}
WORDS = {signal.SIGINT: "interrupted by Ctrl-C", signal.SIGTERM: "interrupted by SIGTERM", signal.SIGHUP: "interrupted by SIGHUP"}


def start(tmp_path: Path, scenario: Path, *extra: str) -> tuple[Cli, Path]:
    out = tmp_path / "out" / "r.json"
    return Cli("measure", str(scenario), "--output", str(out), "--no-floor", *extra, cwd=tmp_path), out.with_suffix(".jsonl")


def running_container(cli: Cli, engine, image: str):
    def found():
        for c in cli.containers(engine):
            if c["labels"].get(LABEL_IMAGE) == image and c["state"] == "running":
                return c
        return None

    return wait_until(found, 60, f"a running container of {image}")


def assert_interrupted_cleanly(cli: Cli, engine, signum: int, jsonl: Path | None) -> list[dict]:
    """The common promise of every interruption; returns the run records kept."""
    code = cli.finish(timeout=60)
    err = cli.stderr
    assert code == EXIT_CODE[signum], (code, err)
    assert "Traceback" not in err, err
    assert err.rstrip().splitlines()[-1] == f"cprofiler: {WORDS[signum]}", err
    assert cli.containers(engine) == [], "containers of the interrupted invocation are left"
    if jsonl is None:
        assert "stopped before the first run; no results to keep" in err, err
        return []
    recs = records(jsonl)  # every line whole JSON
    assert recs[0]["type"] == "header" and recs[-1] == {**recs[-1], "type": "end", "interrupted": WORDS[signum]}
    runs = [r for r in recs if r["type"] == "run"]
    assert f"cprofiler: {len(runs)} finished runs kept in {jsonl}; go on with: " in err, err
    assert results.load(jsonl).interrupted == WORDS[signum]  # `cprofiler report` reads it
    return runs


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_during_a_build(engine, testapp_context, tmp_path, signum):
    marker = uuid.uuid4().hex[:12]
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "testapp").write_bytes((testapp_context / "testapp").read_bytes())
    (ctx / "testapp").chmod(0o755)
    # A RUN step that takes 60 s: the testapp in exit mode after a delay; the marker makes the
    # step unique (never cached) and lets us find its build container afterwards.
    (ctx / "Dockerfile").write_text(
        f'FROM scratch\nCOPY testapp /testapp\nENV MODE=exit DELAY_MS=60000\nRUN ["/testapp", "{marker}"]\n'
    )
    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"images:\n  slow-build:\n    dockerfile: {ctx / 'Dockerfile'}\n    ready: {{exit: true}}\n")
    cli, jsonl = start(tmp_path, scenario)
    cli.wait_for_stderr("RUN [")
    cli.send(signum)
    assert_interrupted_cleanly(cli, engine, signum, None)
    assert not jsonl.exists()

    def build_container_gone() -> bool:
        return not [c for c in engine.api.containers(all=True) if marker in (c.get("Command") or "")]

    # The engine stops the build when its client goes away, and removes the step's container.
    wait_until(build_container_gone, 30, "the engine to remove the interrupted build step's container")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_signal_while_waiting_for_ready(engine, testapp_context, tmp_path, signum):
    scenario = write_scenario(tmp_path, testapp_context, {"a-job": JOB, "b-hang": HANG}, runs=2, timeout=120)
    cli, jsonl = start(tmp_path, scenario)
    running_container(cli, engine, "b-hang")
    cli.send(signum)
    runs = assert_interrupted_cleanly(cli, engine, signum, jsonl)
    assert [(r["image"], r["status"]) for r in runs] == [("a-job", "ok")]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_while_sampling(engine, testapp_context, tmp_path, signum):
    scenario = write_scenario(tmp_path, testapp_context, {"a-job": JOB, "b-svc": SERVICE}, runs=2, settle=120)
    cli, jsonl = start(tmp_path, scenario)
    running_container(cli, engine, "b-svc")
    # The service is ready within milliseconds of its start; a second later it is settling.
    time.sleep(1.0)
    cli.send(signum)
    runs = assert_interrupted_cleanly(cli, engine, signum, jsonl)
    assert [r["image"] for r in runs] == ["a-job"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_signal_between_runs(engine, testapp_context, tmp_path, signum):
    scenario = write_scenario(tmp_path, testapp_context, {"job": JOB}, runs=50, settle=0)
    cli, jsonl = start(tmp_path, scenario)
    wait_until(lambda: run_count(jsonl) >= 2, 60, "two finished runs")
    cli.send(signum)  # just after a run was written: between two runs, or early in the next one
    runs = assert_interrupted_cleanly(cli, engine, signum, jsonl)
    assert 2 <= len(runs) < 50
    assert [r["index"] for r in runs] == list(range(len(runs)))


def test_sighup_under_load_stops_the_generator_and_removes_temporary_folders(engine, tmp_path):
    """A dropped ssh session during a load step: the generator goes with cprofiler, and so do its
    temporary folders and the containers; the run log ends with its end record."""
    (tmp_path / "loadserver").mkdir()
    ctx = static_context(tmp_path / "loadserver", LOADSERVER_SOURCE, "loadserver")
    load = {"connections": 4, "duration": 60, "warmup": 0, "after": 0, "repeat": 1}
    image = {"dockerfile": str(ctx / "Dockerfile"), "context": str(ctx), "ready": {"http": {"port": 8080, "path": "/"}}}
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        yaml.safe_dump({"runs": 1, "warmup": 0, "settle": 0.2, "timeout": 20, "load": load, "images": {"svc": image}})
    )
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = tmp_path / "out" / "r.json"
    cli = Cli("measure", str(scenario), "--output", str(out), "--no-floor", cwd=tmp_path, env={"TMPDIR": str(tmp)})
    # The step's generator, not the short `oha --version` cprofiler asks first: its folder is there.
    generator = wait_until(
        lambda: generator_of(cli.pid) if list(tmp.glob("cprofiler-oha-*")) else None, 180, "the load generator under cprofiler"
    )
    cli.send(signal.SIGHUP)
    assert_interrupted_cleanly(cli, engine, signal.SIGHUP, out.with_suffix(".jsonl"))
    wait_until(lambda: generator_gone(generator), 10, "the generator to end")
    assert list(tmp.iterdir()) == []


def generator_gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def generator_of(pid: int) -> int | None:
    """The pid of a load generator (oha) that ``pid`` started, once there is one."""
    try:
        steps = (c for c in psutil.Process(pid).children() if c.name() == "oha" and "--version" not in c.cmdline())
        return next((c.pid for c in steps), None)
    except psutil.Error:
        return None


def test_a_second_signal_during_clean_up_does_not_cut_it_short(engine, testapp_context, tmp_path):
    scenario = write_scenario(tmp_path, testapp_context, {"a-job": JOB, "b-hang": HANG}, runs=2, timeout=120)
    cli, jsonl = start(tmp_path, scenario)
    running_container(cli, engine, "b-hang")
    cli.send(signal.SIGTERM)
    time.sleep(0.1)  # handled: clean-up is under way (several signals at once arrive in number order)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGINT):
        cli.send(signum)
        time.sleep(0.02)
    runs = assert_interrupted_cleanly(cli, engine, signal.SIGTERM, jsonl)
    assert len(runs) == 1


def test_sigkill_leaves_containers_that_the_next_measure_reaps(engine, testapp_context, tmp_path):
    scenario = write_scenario(tmp_path, testapp_context, {"hang": HANG}, timeout=120)
    cli, _ = start(tmp_path, scenario)
    dead = running_container(cli, engine, "hang")
    cli.send(signal.SIGKILL)
    assert cli.finish() == -signal.SIGKILL
    assert [c["id"] for c in cli.containers(engine)] == [dead["id"]]  # nothing could clean up
    assert is_stale(dead["labels"])
    # A container of a live invocation (this test process) is never reaped.
    image = engine.api.inspect_container(dead["id"])["Image"]
    live = engine.create(
        image=image, command=None, env={"MODE": "never"}, labels=own_labels("live0live0"), memory_limit_bytes=None, cpus=None
    )
    try:
        job = tmp_path / "job"
        job.mkdir()
        nxt = Cli("measure", str(write_scenario(job, testapp_context, {"job": JOB})), "--no-floor", "-q", cwd=job)
        assert nxt.finish() == 0, nxt.stderr
        notice = [line for line in nxt.stderr.splitlines() if "left by killed cprofiler invocations" in line]
        assert len(notice) == 1 and dead["id"][:12] in notice[0], nxt.stderr
        left = {c["id"] for c in engine.labelled_containers()}
        assert dead["id"] not in left and live in left
    finally:
        engine.remove(live)
        engine.remove(dead["id"])


def test_resume_continues_without_repeating_a_run(engine, testapp_context, tmp_path):
    scenario = write_scenario(tmp_path, testapp_context, {"a": JOB, "b": JOB}, runs=6, settle=0)
    out = tmp_path / "out" / "r.json"
    jsonl = out.with_suffix(".jsonl")
    first = Cli("measure", str(scenario), "--output", str(out), cwd=tmp_path)  # with the floor
    wait_until(lambda: run_count(jsonl) >= 4, 90, "four finished runs")
    first.send(signal.SIGTERM)
    assert first.finish() == 143, first.stderr
    before = jsonl.read_bytes()
    done = [(r["image"], r["index"]) for r in records(jsonl) if r["type"] == "run"]
    assert 4 <= len(done) < 18
    # A process killed mid-write leaves a torn last line; resuming cuts it off.
    with jsonl.open("a") as fh:
        fh.write('{"type": "run", "image": "a", "ind')

    second = Cli("measure", str(scenario), "--output", str(out), "--resume", str(jsonl), cwd=tmp_path)
    assert second.finish(timeout=120) == 0, second.stderr
    after = jsonl.read_bytes()
    assert after.startswith(before)  # appended to the same file, nothing before it changed
    recs = records(jsonl)
    assert [r["type"] for r in recs if r["type"] != "run"] == ["header", "end", "resume", "end"]
    assert recs[-1]["interrupted"] is None
    runs = [(r["image"], r["index"]) for r in recs if r["type"] == "run"]
    assert runs[: len(done)] == done
    assert sorted(runs) == sorted((name, i) for name in ("(floor)", "a", "b") for i in range(6))  # each once
    final = writer.results_json(results.load(out))
    assert final["interrupted"] is None and final["settings"]["runs"] == 6
    assert [len(img["runs"]) for img in final["images"]] == [6, 6] and len(final["floor"]["runs"]) == 6


def test_resume_refuses_another_scenario_other_flags_and_changed_images(engine, testapp_context, tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "testapp").write_bytes((testapp_context / "testapp").read_bytes())
    (ctx / "testapp").chmod(0o755)
    (ctx / "Dockerfile").write_text((testapp_context / "Dockerfile").read_text())
    scenario = tmp_path / "s.yaml"
    scenario.write_text(A_JOB)
    out = tmp_path / "out" / "r.json"
    jsonl = out.with_suffix(".jsonl")
    first = Cli("measure", str(scenario), "--output", str(out), "--no-floor", "-q", cwd=tmp_path)
    assert first.finish() == 0, first.stderr

    def refused(*args: str, expect: str) -> None:
        cli = Cli("measure", *args, "--quiet", cwd=tmp_path)
        assert cli.finish() == 2, cli.stderr
        assert cli.stderr.count("\n") == 1 and expect in cli.stderr, cli.stderr

    other = tmp_path / "other.yaml"
    other.write_text(scenario.read_text())
    refused(str(other), "--resume", str(jsonl), expect=f"it was measured from {scenario}; expected that scenario file")
    refused(str(scenario), "--resume", str(jsonl), "--runs", "9", expect="--runs cannot be combined with --resume")
    refused(str(scenario), "--resume", str(tmp_path / "nope.jsonl"), expect="no such file")
    (ctx / "Dockerfile").write_text((testapp_context / "Dockerfile").read_text() + 'LABEL changed="yes"\n')
    refused(str(scenario), "--resume", str(jsonl), expect="image 'a' is now sha256:")
