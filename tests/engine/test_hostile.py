"""Hostile conditions against the real engine: each test reproduces one way a run went wrong.

Run logs tie to one measurement, reuse never measures a stale image, ``--cold image`` survives
SIGKILL and other invocations, containers are bounded and can run restricted, the engine's own
reasons reach the user, a backtracking log regex holds nothing up, cprofiler in another PID
namespace still measures and is never reaped, and a failed run keeps a bounded tail.
"""

from __future__ import annotations

import json
import shutil
import signal
import time
import uuid
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


# --- one run log, one measurement --------------------------------------------------------


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


# --- reuse never measures a stale image ------------------------------------------------------


#: Label value of the images these tests build; removed after each test (their content is unique).
OWN_IMAGES = "test-hostile"


@pytest.fixture
def own_images(engine):
    """Remove the images a test built (labelled ``cprofiler=OWN_IMAGES`` by ``built``, or
    ``cprofiler.test.owner=OWN_IMAGES`` by their Dockerfile), children first."""
    yield OWN_IMAGES
    found = {}
    for label in (f"cprofiler={OWN_IMAGES}", f"cprofiler.test.owner={OWN_IMAGES}"):
        found.update({i["Id"]: i for i in engine.api.images(all=True, filters={"label": label})})
    for image in sorted(found.values(), key=lambda i: i["Created"], reverse=True):
        engine.remove_image(image["Id"])


def built(engine, tmp_path: Path, ctx: Path, name: str = "app"):
    from cprofiler.images.build import build_image
    from cprofiler.scenario.reader import load as load_scenario

    scenario = write_scenario(tmp_path, ctx, {name: JOB})
    spec = load_scenario(scenario).scenario.images[name]
    return build_image(engine, name, spec, invocation=OWN_IMAGES)


def test_a_change_inside_node_modules_is_rebuilt(engine, own_images, testapp_context, tmp_path):
    ctx = own_context(tmp_path, testapp_context)
    (ctx / "node_modules").mkdir()
    unique = uuid.uuid4().hex  # equal inputs from an earlier session would be reused, rightly
    (ctx / "node_modules" / "app").write_text(unique)
    (ctx / "Dockerfile").write_text((ctx / "Dockerfile").read_text() + "COPY node_modules /node_modules\n")
    first = built(engine, tmp_path, ctx)
    assert built(engine, tmp_path, ctx).reused
    (ctx / "node_modules" / "app").write_text(unique + "2")
    second = built(engine, tmp_path, ctx)
    assert not second.reused and second.info.id != first.info.id


def test_a_retagged_base_is_noticed(engine, own_images, testapp_context, tmp_path):
    base = f"cprofiler-test/base-{uuid.uuid4().hex[:8]}:v"
    for version in ("1", "2"):
        bctx = tmp_path / f"base{version}"
        bctx.mkdir()
        shutil.copy2(testapp_context / "testapp", bctx / "testapp")
        unique = f"{uuid.uuid4().hex}-{version}"  # content no earlier session built
        (bctx / "Dockerfile").write_text(f'FROM scratch\nCOPY testapp /testapp\nLABEL version="{unique}"\n')
        labels = {"cprofiler": own_images}
        engine.build(name="base", context=bctx, dockerfile=bctx / "Dockerfile", tag=base, buildargs={}, labels=labels)
        ctx = tmp_path / "app"
        ctx.mkdir(exist_ok=True)
        (ctx / "Dockerfile").write_text(f'FROM {base}\nENTRYPOINT ["/testapp"]\n')
        # The first build is new; after the base moved to other content, so is the second.
        assert not built(engine, tmp_path, ctx).reused, version
        assert built(engine, tmp_path, ctx).reused


def test_add_of_a_url_is_built_every_time_and_says_so(engine, own_images, testapp_context, tmp_path):
    import http.server
    import threading

    served = tmp_path / "www"
    served.mkdir()
    (served / "payload").write_text("one")
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(served))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        ctx = own_context(tmp_path, testapp_context)
        url = f"http://127.0.0.1:{server.server_address[1]}/payload"
        (ctx / "Dockerfile").write_text((ctx / "Dockerfile").read_text() + f"ADD {url} /payload\n")
        first = built(engine, tmp_path, ctx)
        (served / "payload").write_text("two")  # the engine fetches it: no hash of ours sees this
        second = built(engine, tmp_path, ctx)
    finally:
        server.shutdown()
    for image in (first, second):
        assert (
            not image.reused
            and image.note == f"ADD {url} is fetched by the engine and not hashed, so this image is built every time"
        )
    assert second.info.id != first.info.id


# --- the engine's own reasons, and what can be checked before it is asked ----------------


@pytest.fixture(scope="module")
def job_image(engine, testapp_context, tmp_path_factory) -> str:
    from tests.helpers import measure

    folder = tmp_path_factory.mktemp("job")
    return measure(engine, write_scenario(folder, testapp_context, {"job": JOB})).images[0].image.id


@pytest.mark.parametrize(
    ("limits", "reason"),
    [
        ({"memory_limit_bytes": 1, "cpus": None}, "Minimum memory limit allowed is 6MB"),
        ({"memory_limit_bytes": None, "cpus": 4096.0}, "Range of CPUs is from 0.01 to "),
    ],
)
def test_the_engine_s_own_reason_reaches_the_user(engine, job_image, limits, reason):
    from cprofiler.errors import EngineError

    with pytest.raises(EngineError) as info:
        engine.create(image=job_image, command=None, env={}, labels={"cprofiler": "test-hostile"}, **limits)
    text = str(info.value)
    assert reason in text and "Client Error" not in text and "\n" not in text, text


def test_more_cpus_than_the_engine_has_is_refused_before_building(engine, testapp_context, tmp_path):
    from cprofiler.errors import UsageError
    from tests.helpers import runner

    scenario = write_scenario(tmp_path, testapp_context, {"job": {**JOB, "cpus": 512.0}})
    r = runner(engine, scenario)
    with pytest.raises(UsageError) as info:
        r.measure()
    cpus = engine.describe()["engine_cpus"]
    assert str(info.value) == (f"{scenario}: images.job.cpus: 512 is more than the engine's {cpus} CPUs; expected at most {cpus}")
    assert r.measurement is None and not (tmp_path / "r.jsonl").exists()


# --- what a measured container gets ----------------------------------------------------------

SERVICE = {"env": {"MODE": "http"}, "ready": {"http": {"port": 8080, "path": "/healthz"}}}


def inspected_while_running(engine, path: Path) -> dict:
    """``docker inspect`` of a container of the scenario's first image, taken while it runs."""
    from tests.helpers import runner

    r = runner(engine, path)
    subject = r.prepare()[0]
    seen: dict = {}
    run = r.backend.starter.run(subject, 0, while_running=lambda c: seen.update(engine.api.inspect_container(c.container_id)))
    assert run.status == "ok" and seen, run
    return seen


@pytest.mark.parametrize("profile", ["default", "restricted", "restricted, overridden"])
def test_what_a_container_gets_under_each_profile(engine, testapp_context, tmp_path, profile):
    image = dict(SERVICE)
    top = {"security": "restricted"} if profile.startswith("restricted") else {}
    if profile == "restricted, overridden":
        image["security"] = "default"
    data = inspected_while_running(engine, write_scenario(tmp_path, testapp_context, {"svc": image}, **top))
    host = data["HostConfig"]
    assert host["PidsLimit"] == 1024 and host["Privileged"] is False
    assert host["SecurityOpt"] == ["no-new-privileges"] and not host.get("CapAdd")
    assert not host.get("Memory")  # no memory limit unless the scenario sets one
    if profile == "restricted":
        assert host["CapDrop"] == ["ALL"] and data["Config"]["User"] == "65534:65534"
    else:
        assert not host.get("CapDrop") and data["Config"]["User"] == ""


def test_restricted_refuses_what_the_default_allows(engine, testapp_context, tmp_path):
    from tests.helpers import by_name, measure

    caps = {"env": {"MODE": "caps"}, "ready": {"exit": True}}
    images = {"default": caps, "restricted": {**caps, "security": "restricted"}}
    m = by_name(measure(engine, write_scenario(tmp_path, testapp_context, images)))
    default, restricted = m["default"].runs[0], m["restricted"].runs[0]
    # Docker's defaults: root, and mknod, chroot and raw sockets all work (exit code = how many did).
    assert default.status == "crashed" and default.exit_code == 3, default
    assert default.log_tail == ["caps: uid=0 mknod=ok chroot=ok raw=ok"]
    assert restricted.status == "ok" and restricted.exit_code == 0, restricted  # all three refused
    # The results say how each was confined, and what it ran as when the profile chose.
    assert (m["default"].security, m["default"].run_as) == ("default", None)
    assert (m["restricted"].security, m["restricted"].run_as) == ("restricted", "65534:65534")


def test_a_fork_bomb_stops_at_the_pids_limit(engine, testapp_context, tmp_path):
    from tests.helpers import measure

    # Bounded three ways: the limit under test, the testapp's own cap, and a 20 s life per child.
    bomb = {"env": {"MODE": "forks", "FORKS": "200"}, "pids_limit": 32, "ready": {"exit": True}}
    run = measure(engine, write_scenario(tmp_path, testapp_context, {"bomb": bomb}, timeout=20)).images[0].runs[0]
    assert run.status == "crashed" and run.exit_code == 4, run
    made = int(run.log_tail[-1].split()[1])
    assert 0 < made < 32 and run.log_tail[-1].endswith("of 200 (Resource temporarily unavailable)"), run.log_tail


# --- a failed run keeps a bounded tail ---------------------------------------------------------


def test_a_flood_of_long_lines_keeps_a_bounded_tail(engine, testapp_context, tmp_path):
    from cprofiler.backends.run import LOG_TAIL_BYTES
    from tests.helpers import measure

    flood = {"env": {"MODE": "flood", "LINE_BYTES": "60000"}, "ready": {"log": "^never$"}}
    run = measure(engine, write_scenario(tmp_path, testapp_context, {"flood": flood}, timeout=2)).images[0].runs[0]
    assert run.status == "timeout" and run.log_tail, run
    kept = sum(len(line.encode()) + 1 for line in run.log_tail)
    assert kept <= LOG_TAIL_BYTES, kept  # was 20 lines of 64 KiB: 1.25 MiB in one run's record
    assert all(line.startswith("flood line ") and line.endswith(" more bytes]") for line in run.log_tail)


# --- a backtracking log regex ------------------------------------------------------------------

EVIL = {"env": {"MODE": "never", "SAY": "a" * 40 + "!"}, "ready": {"log": "^(a+)+$"}}


def test_a_backtracking_log_regex_fails_the_run_at_once(engine, testapp_context, tmp_path):
    from tests.helpers import measure

    t0 = time.monotonic()
    run = measure(engine, write_scenario(tmp_path, testapp_context, {"evil": EVIL}, timeout=30)).images[0].runs[0]
    took = time.monotonic() - t0
    assert run.status == "error" and "backtracks catastrophically" in (run.error or ""), run
    assert took < 15, took  # the old in-process match: stuck for far longer than the 30 s timeout


def test_ctrl_c_does_not_wait_for_a_backtracking_regex(engine, testapp_context, tmp_path):
    scenario = write_scenario(tmp_path, testapp_context, {"evil": EVIL}, runs=50, timeout=30)
    cli = Cli("measure", str(scenario), "--no-floor", "-o", str(tmp_path / "r.json"), cwd=tmp_path)
    wait_until(lambda: cli.containers(engine), 60, "a container")
    time.sleep(0.3)  # the line is out, and being matched
    t0 = time.monotonic()
    cli.send(signal.SIGINT)
    assert cli.finish(timeout=30) == 130, cli.stderr
    assert time.monotonic() - t0 < 5 and cli.containers(engine) == []


# --- cprofiler in another PID namespace than the engine's containers ------------------------


def in_own_pid_namespace(tmp_path: Path, *args: str):
    """``cprofiler ARGS`` as pid 1 of a new PID namespace, sharing this host's network: as in a
    container with the engine's socket and ``--network host``."""
    import os
    import subprocess
    import sys

    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare for a new PID namespace")
    from tests.engine.procs import ROOT

    argv = ["unshare", "--pid", "--mount-proc", "--kill-child", sys.executable, "-m", "cprofiler", *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env)


def test_in_another_pid_namespace_probes_use_published_ports_and_say_so(engine, testapp_context, tmp_path):
    images = {"http": SERVICE, "tcp": {"env": {"MODE": "tcp"}, "ready": {"tcp": {"port": 8080}}}}
    scenario = write_scenario(tmp_path, testapp_context, images, runs=2, settle=0.2)
    proc = in_own_pid_namespace(tmp_path, "measure", str(scenario), "-q", "-o", str(tmp_path / "r.json"))
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err
    assert "the engine's containers run in another PID namespace than cprofiler" in err and "Traceback" not in err
    data = json.loads((tmp_path / "r.json").read_text())
    runs = [r for image in data["images"] for r in image["runs"]]
    assert len(runs) == 4 and all(r["status"] == "ok" and r["probe_via"] == "published-port" for r in runs), runs
    assert {r["memory_source"] for r in runs} == {"engine-stats"}  # not some other process's /proc/PID
    assert data["settings"]["probe_via"] == "published-port"


def test_containers_of_another_pid_namespace_are_never_reaped(engine, testapp_context, tmp_path):
    from cprofiler.labels import LABEL_PID, LABEL_PIDNS
    from cprofiler.reaper import is_stale, pid_namespace, stale_containers

    hang = {"env": {"MODE": "never"}, "ready": {"tcp": {"port": 8080}}}
    scenario = write_scenario(tmp_path, testapp_context, {"hang": hang}, timeout=10)
    proc = in_own_pid_namespace(tmp_path, "measure", str(scenario), "-q", "--no-floor", "-o", str(tmp_path / "r.json"))
    try:

        def inner() -> list[dict]:
            ours = pid_namespace()
            return [c for c in engine.labelled_containers() if c["labels"].get(LABEL_PIDNS) not in (None, ours)]

        found = wait_until(inner, 60, "the inner invocation's container")
        labels = found[0]["labels"]
        # Its pid is 1 of its own namespace; here pid 1 is init, started long before: it looked dead.
        assert labels[LABEL_PID] == "1" and not is_stale(labels)
        assert found[0]["id"] not in {c["id"] for c in stale_containers(engine)}
        proc.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    assert not [c for c in engine.labelled_containers() if c["id"] == found[0]["id"]]


# --- --cold image, killed, and beside other invocations -------------------------------------


def unique_job_scenario(tmp_path: Path, testapp_context: Path, **settings) -> Path:
    """A job image no one else has (its own label), so that removing it touches nobody's runs."""
    ctx = own_context(tmp_path, testapp_context)
    with (ctx / "Dockerfile").open("a") as fh:
        fh.write(f'LABEL cprofiler.test.owner="{OWN_IMAGES}" cprofiler.test.nonce="{uuid.uuid4().hex}"\n')
    return write_scenario(tmp_path, ctx, {"job": JOB}, **settings)


def test_a_killed_cold_image_run_is_put_back_and_resumes(engine, own_images, testapp_context, tmp_path):
    import tempfile

    from cprofiler.measure.cold import TARBALLS_PREFIX

    scenario = unique_job_scenario(tmp_path, testapp_context, runs=12, settle=0)
    out = tmp_path / "out" / "r.json"
    jsonl = out.with_suffix(".jsonl")
    before = set(Path(tempfile.gettempdir()).glob(TARBALLS_PREFIX + "*"))
    first = Cli("measure", str(scenario), "--cold", "image", "--no-floor", "-q", "-o", str(out), cwd=tmp_path)
    wait_until(lambda: run_count(jsonl) >= 2, 120, "two finished runs")
    first.send(signal.SIGKILL)
    assert first.finish() == -signal.SIGKILL
    image = records(jsonl)[0]["images"][0]["image"]
    # Killed between removing the image and loading it back: the image is gone, its tarball left.
    # (The engine may still be finishing a load the killed process asked for: try until it is gone.)
    from cprofiler.errors import EngineError

    def removed() -> bool:
        try:
            engine.remove_image(image["id"])
        except EngineError:
            return False
        return engine.image(image["id"]) is None

    wait_until(removed, 30, "the image to be removed", interval=0.5)
    left = set(Path(tempfile.gettempdir()).glob(TARBALLS_PREFIX + "*")) - before
    assert len(left) == 1 and list(next(iter(left)).glob("*.tar"))
    second = Cli("measure", str(scenario), "-q", "--resume", str(jsonl), cwd=tmp_path)
    assert second.finish(timeout=240) == 0, second.stderr
    assert f"cprofiler: --cold image: brought back {image['tag']}, which a killed cprofiler had removed" in second.stderr
    back = engine.image(image["tag"])
    assert back is not None and back.id == image["id"]
    assert not any(path.exists() for path in left)  # the tarball folder is gone
    runs = sorted(r["index"] for r in records(jsonl) if r["type"] == "run")
    assert runs == list(range(12))


def test_cold_image_waits_for_another_invocation_s_container(engine, own_images, testapp_context, tmp_path):
    from cprofiler.reaper import own_labels
    from tests.helpers import measure

    scenario = unique_job_scenario(tmp_path, testapp_context, runs=2, settle=0)
    image_id = measure(engine, scenario).images[0].image.id
    # A live invocation (this test process) runs a container of the very same image.
    other = engine.create(
        image=image_id, command=None, env={"MODE": "never"}, labels=own_labels("other"), memory_limit_bytes=None, cpus=None
    )
    try:
        engine.start(other)
        cli = Cli("measure", str(scenario), "--cold", "image", "--no-floor", "-o", str(tmp_path / "c.json"), cwd=tmp_path)
        cli.wait_for_stderr("is in use by another container; waiting until it is free")
        time.sleep(1.0)
        assert engine.state(other).running  # not removed from under it (it was: 409 Conflict, abort)
    finally:
        engine.remove(other)
    assert cli.finish(timeout=120) == 0, cli.stderr
    data = json.loads((tmp_path / "c.json").read_text())
    assert [r["status"] for r in data["images"][0]["runs"]] == ["ok", "ok"]


def test_an_image_removed_by_someone_else_is_waited_for(engine, own_images, testapp_context, tmp_path):
    import threading

    from cprofiler.measure.cold import ColdLevel
    from tests.helpers import runner

    scenario = unique_job_scenario(tmp_path, testapp_context, runs=2, settle=0)

    class OtherInvocationRemoves(ColdLevel):
        """What another invocation's --cold image does to a shared image: remove, load it back later."""

        def prepare(self, images, say):
            self.tarball = tmp_path / "image.tar"
            self.engine.save_image(images[0].id, self.tarball)

        def before_run(self, image):
            self.engine.remove_image(image.id)

            def put_back() -> None:
                time.sleep(1.0)
                self.engine.load_image(self.tarball)
                self.engine.tag(image.id, image.tag)

            threading.Thread(target=put_back, daemon=True).start()
            return None

    r = runner(engine, scenario)
    r.cold = OtherInvocationRemoves(engine)
    m = r.measure()  # was: EngineError "No such image" at the first create
    assert [run.status for run in m.images[0].runs] == ["ok", "ok"]
