"""Engine faults, misbehaving containers, and isolation between invocations on one engine."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

import psutil
import pytest

from cprofiler.labels import LABEL_IMAGE
from cprofiler.measure.containers import ContainerSet
from cprofiler.reaper import is_stale, own_labels, stale_containers
from tests.engine.procs import ROOT, Cli, records, run_count, stop_all, wait_until
from tests.helpers import by_name, measure, write_scenario

pytestmark = pytest.mark.engine
MiB = 1 << 20

JOB = {"env": {"MODE": "exit"}, "ready": {"exit": True}}
SERVICE = {"env": {"MODE": "http"}, "ready": {"http": {"port": 8080, "path": "/healthz"}}}


@pytest.fixture(autouse=True)
def _no_process_left(engine):
    yield
    stop_all(engine)


def one_error_line(stderr: str) -> str:
    """The last stderr line, checked to be cprofiler's one-line error (no traceback anywhere)."""
    assert "Traceback" not in stderr, stderr
    last = stderr.rstrip("\n").splitlines()[-1]
    assert last.startswith("cprofiler: "), stderr
    return last


# --- the engine ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["no socket", "nobody listening"])
def test_engine_not_running_is_one_line(testapp_context, tmp_path, kind):
    sock = tmp_path / "docker.sock"
    if kind == "nobody listening":  # a socket file left by an engine that has stopped
        import socket

        s = socket.socket(socket.AF_UNIX)
        s.bind(str(sock))
        s.close()
    scenario = write_scenario(tmp_path, testapp_context, {"job": JOB})
    cli = Cli("measure", str(scenario), cwd=tmp_path, env={"DOCKER_HOST": f"unix://{sock}"})
    assert cli.finish() == 1
    reason = "No such file or directory" if kind == "no socket" else "Connection refused"
    assert cli.stderr == (
        f"cprofiler: Docker engine: not reachable while trying to connect to unix://{sock} ({reason}); "
        "is the Docker engine running, and may this user use it (docker info)?\n"
    )


def as_nobody(argv: list[str], stash: Path) -> list[str]:
    """``argv`` run as user nobody (uid 65534), who has no access to the engine's socket.

    Where this interpreter lives under /root (pyenv; /root is 0700) nobody could not even start
    it. Then, inside a private mount namespace (nothing changes for other processes), /root is
    covered by a readable tmpfs holding only the interpreter's tree, bound in via ``stash`` (an
    empty directory).
    """
    drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *argv]
    prefix = Path(sys.base_prefix).resolve()
    if not prefix.is_relative_to("/root"):
        return drop
    top = "/root/" + prefix.relative_to("/root").parts[0]  # e.g. /root/.pyenv
    script = (
        f'set -e; mount --bind {top} "$0"; mount -t tmpfs -o mode=755 tmpfs /root; '
        f'mkdir {top}; mount --bind "$0" {top}; exec "$@"'
    )
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, str(stash), *drop]


def test_socket_not_permitted_is_one_line(engine, testapp_context):
    if os.geteuid() != 0 or not shutil.which("setpriv") or not shutil.which("unshare"):
        pytest.skip("needs root, setpriv and unshare to run cprofiler as user nobody")
    folder = Path(tempfile.mkdtemp(prefix="cprofiler-nobody-"))  # pytest's tmp_path is 0700
    try:
        for name in ("Dockerfile", "testapp"):
            shutil.copy(testapp_context / name, folder / name)
        scenario = folder / "s.yaml"
        scenario.write_text("images:\n  job:\n    dockerfile: Dockerfile\n    env: {MODE: exit}\n    ready: {exit: true}\n")
        (folder / "stash").mkdir()
        for path in [folder, *folder.iterdir()]:
            path.chmod(0o755)
        # nobody may write its run log here: the unwritable run log would be refused (exit 2) before
        # the engine is asked, and this test is about the engine refusing nobody.
        folder.chmod(0o777)
        argv = as_nobody([sys.executable, "-m", "cprofiler", "measure", str(scenario)], folder / "stash")
        env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
        p = subprocess.run(argv, capture_output=True, text=True, cwd=folder, env={**env, "PYTHONPATH": str(ROOT)}, timeout=60)
        assert p.returncode == 1, p.stderr
        assert p.stderr == (
            "cprofiler: Docker engine: permission denied while trying to connect to unix:///var/run/docker.sock; "
            "is the Docker engine running, and may this user use it (docker info)?\n"
        )
        assert not (folder / ".cprofiler").exists()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_engine_gone_mid_run_keeps_finished_runs(engine, testapp_context, tmp_path):
    sock = tmp_path / "engine.sock"
    proxy = subprocess.Popen(
        [sys.executable, "-m", "tests.engine.socket_proxy", str(sock), "/var/run/docker.sock"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proxy.stdout is not None and proxy.stdout.readline().strip() == "ready"
        scenario = write_scenario(tmp_path, testapp_context, {"job": JOB}, runs=100, settle=0)
        out = tmp_path / "out" / "r.json"
        jsonl = out.with_suffix(".jsonl")
        cli = Cli("measure", str(scenario), "--no-floor", "-o", str(out), cwd=tmp_path, env={"DOCKER_HOST": f"unix://{sock}"})
        wait_until(lambda: run_count(jsonl) >= 3, 60, "three finished runs")
        proxy.send_signal(signal.SIGKILL)  # the engine is gone: connections drop, new ones are refused
        proxy.wait()
        assert cli.finish(timeout=60) == 1
        last = one_error_line(cli.stderr)
        assert last.startswith("cprofiler: Docker engine: not reachable while trying to "), cli.stderr
        recs = records(jsonl)
        runs = [r for r in recs if r["type"] == "run"]
        assert len(runs) >= 3 and all(r["status"] == "ok" for r in runs)
        assert recs[-1]["type"] == "end" and recs[-1]["interrupted"].startswith("Docker engine: not reachable")
        assert f"cprofiler: {len(runs)} finished runs kept in {jsonl}; go on with: " in cli.stderr
    finally:
        proxy.kill()
        proxy.wait()
    # The container of the run the engine vanished in may be left; its owner is dead, so the next
    # measure or `cprofiler clean` reaps it. (Removed here directly: other sessions share the engine.)
    for c in cli.containers(engine):
        assert is_stale(c["labels"])
        engine.remove(c["id"])


# --- containers that misbehave -------------------------------------------------------------------


def test_silent_and_flooding_containers_are_rows_and_the_harness_stays_small(engine, testapp_context, tmp_path):
    images = {
        "a-quiet": {"env": {"MODE": "quiet"}, "ready": {"log": "^ready "}},
        "b-flood": {"env": {"MODE": "flood"}, "ready": {"log": "^ready "}},
        "c-crash": {"env": {"MODE": "crash"}, "ready": {"exit": True}},
        "d-job": JOB,
    }
    path = write_scenario(tmp_path, testapp_context, images, timeout=4)
    me = psutil.Process()
    before = me.memory_info().rss
    peak = [before]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            peak[0] = max(peak[0], me.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        m = by_name(measure(engine, path))
    finally:
        stop.set()
        sampler.join()
    after = me.memory_info().rss
    quiet, flood = m["a-quiet"].runs[0], m["b-flood"].runs[0]
    lines = int(flood.log_tail[-1].split()[2].rstrip(":")) if flood.log_tail else 0
    print(
        f"\nflood: {lines} lines (~{lines * 62 / MiB:.0f} MiB) in 4 s; harness RSS before {before / MiB:.1f} MiB, "
        f"peak {peak[0] / MiB:.1f} MiB, after {after / MiB:.1f} MiB"
    )
    assert quiet.status == "timeout" and quiet.log_tail == []
    assert flood.status == "timeout" and len(flood.log_tail) == 20
    assert all(line.startswith("flood line ") for line in flood.log_tail)
    assert m["c-crash"].runs[0].status == "crashed" and m["d-job"].runs[0].status == "ok"  # the others went on
    # Seconds of flood went through the harness; it keeps only the last lines.
    assert peak[0] - before < 32 * MiB, (before, peak[0])


# --- isolation ------------------------------------------------------------------------------------


def test_two_invocations_at_once_share_port_8080_and_keep_to_their_own_containers(engine, testapp_context, tmp_path):
    scenario = write_scenario(tmp_path, testapp_context, {"web": SERVICE}, runs=8, settle=0.3)
    clis = [Cli("measure", str(scenario), "--no-floor", "-o", str(tmp_path / f"r{i}.json"), cwd=tmp_path) for i in (1, 2)]
    overlap: list[dict] = []

    def both_running() -> bool:
        mine = [c for c in engine.labelled_containers() if c["labels"].get("cprofiler.pid") in {str(c.pid) for c in clis}]
        pids = {c["labels"]["cprofiler.pid"] for c in mine}
        if len(pids) == 2:
            overlap.extend(mine)
            return True
        return False

    wait_until(both_running, 60, "both invocations to have a container at once")
    # Neither live invocation's containers count as stale: clean and the start-up reaping leave them.
    stale = {c["id"] for c in stale_containers(engine)}
    assert not stale & {c["id"] for c in overlap}
    for cli in clis:
        assert cli.finish(timeout=120) == 0, cli.stderr
    for i in (1, 2):
        runs = [r for r in records(tmp_path / f"r{i}.jsonl") if r["type"] == "run"]
        assert len(runs) == 8 and all(r["status"] == "ok" and r["probe_via"] == "netns" for r in runs), runs


def test_containers_run_unprivileged_without_host_mounts_network_or_socket(engine, testapp_context, tmp_path):
    scenario = write_scenario(tmp_path, testapp_context, {"hang": {"env": {"MODE": "never"}, "ready": {"tcp": {"port": 8080}}}})
    cli = Cli("measure", str(scenario), "--no-floor", "-o", str(tmp_path / "r.json"), cwd=tmp_path)

    def container():
        return next((c for c in cli.containers(engine) if c["labels"].get(LABEL_IMAGE) == "hang"), None)

    found = wait_until(container, 60, "the container")
    try:
        data = engine.api.inspect_container(found["id"])
    except Exception as exc:  # noqa: BLE001 - say what the measurement saw
        cli.send(signal.SIGTERM)
        raise AssertionError(f"the container went away before inspection ({exc}); cprofiler said:\n{cli.stderr}") from exc
    host = data["HostConfig"]
    cli.send(signal.SIGTERM)
    assert cli.finish() == 143, cli.stderr
    assert host["Privileged"] is False
    assert not host.get("Binds") and not data.get("Mounts") and not host.get("Mounts")
    assert host["NetworkMode"] in ("default", "bridge")
    assert host.get("PidMode", "") == "" and host.get("IpcMode") != "host" and host.get("UsernsMode", "") == ""
    assert "no-new-privileges" in (host.get("SecurityOpt") or [])
    assert not host.get("CapAdd") and not host.get("Devices")
    assert not (host.get("PortBindings") or {})  # probed inside its namespace: nothing published
    assert "docker.sock" not in str(data)


def test_remove_all_is_idempotent_and_finds_a_container_whose_id_never_came_back(engine, testapp_context, tmp_path):
    image = measure(engine, write_scenario(tmp_path, testapp_context, {"job": JOB})).images[0].image.id
    containers = ContainerSet(engine, "sweep" + uuid.uuid4().hex[:7])
    labels = own_labels(containers.invocation or "")

    def create() -> str:
        return engine.create(image=image, command=None, env={"MODE": "never"}, labels=labels, memory_limit_bytes=None, cpus=None)

    recorded = create()
    containers.add(recorded)
    create()  # as if a signal had cut the create call short: made, but its id never recorded
    try:
        containers.remove_all()
        containers.remove_all()  # again, as a second clean-up after an interrupted one would
        containers.remove(recorded)  # gone already: fine
        assert engine.labelled_containers(containers.invocation) == []
    finally:
        for c in engine.labelled_containers(containers.invocation):
            engine.remove(c["id"])
