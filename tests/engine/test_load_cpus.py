"""`cpus:` under load and the CPU window, on the real engine with the load server of known cost.

A row's ``cpus`` is honoured (the server gets ``ceil(cpus)`` CPUs of its own beside the
generator's) or refused before anything is built. The container's CPU is read over the
generator's measured requests only: the old reading, around the generator's whole process, is
printed beside it.
"""

from __future__ import annotations

import json
import os
import time

import pytest
import yaml

from cprofiler.measure.load import make_generator
from cprofiler.measure.load.cpus import split_cpus
from cprofiler.measure.load.generators import Generator, LoadRequest, LoadShape
from cprofiler.measure.load.server import LOADSERVER_SOURCE, ServerLimits, build_loadserver, started
from cprofiler.measure.load.step import StepPlan, run_step
from cprofiler.measure.memory import Cgroup
from tests.conftest import static_context
from tests.engine.test_load_phase import cprofiler

pytestmark = pytest.mark.engine


def _oha() -> Generator:
    gen = make_generator("oha")
    if gen.version() is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and oha is not installed: {gen.install_hint}", pytrace=False)
        pytest.skip("oha is not installed")
    return gen


def test_cpus_one_and_two_is_refused_before_building_or_gives_the_row_its_cores(engine, tmp_path):
    have = int(engine.describe()["engine_cpus"])
    ctx = static_context(tmp_path, LOADSERVER_SOURCE, "loadserver")
    if have < 3:
        # A build of this would fail (exit 1): the refusal (exit 2) shows nothing was built.
        (ctx / "Dockerfile").write_text("FROM scratch\nCOPY missing-on-purpose /x\n")
    load = {"connections": 8, "duration": 1, "warmup": 0.3, "after": 0, "repeat": 1, "rate": 200}
    doc = {
        "runs": 1,
        "warmup": 0,
        "settle": 0.2,
        "timeout": 20,
        "load": load,
        "images": {
            "svc": {
                "dockerfile": str(ctx / "Dockerfile"),
                "context": str(ctx),
                "ready": {"http": {"port": 8080, "path": "/"}},
                "env": {"COST_US": "100"},
                "cpus": [1, 2],
            }
        },
    }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    out = tmp_path / "r.json"
    p = cprofiler("measure", str(path), "--no-floor", "--output", str(out), "-q", cwd=tmp_path)
    if have < 3:
        assert p.returncode == 2, p.stderr
        line = p.stderr.strip()
        assert "\n" not in line and "images.svc.cpus: 2 needs 2 CPUs" in line, line
        assert f"the engine has {have} CPUs" in line and "load generator needs 1 more" in line, line
        assert not out.exists()
        return
    assert p.returncode == 0, p.stderr
    rows = {i["name"]: i for i in json.loads(out.read_text())["images"]}
    assert rows["svc@cpus=2"]["load"]["cpuset"]["server"] == "0-1"
    assert rows["svc@cpus=1"]["load"]["cpuset"]["server"] == "0"


class AroundTheProcess:
    """The old reading: the container's cgroup CPU read before the generator starts and after it exits."""

    #: The warm-up is a run of its own, so that the run watched here is the measured one alone.
    warms_up_in_run = False

    def __init__(self, gen: Generator, cgroup: Cgroup) -> None:
        self.gen, self.cgroup = gen, cgroup
        self.cores = 0.0
        self.wall_s = 0.0

    def run(self, *args, **kwargs):
        c0, t0 = self.cgroup.cpu_ns() or 0, time.monotonic()
        try:
            return self.gen.run(*args, **kwargs)
        finally:
            c1, self.wall_s = self.cgroup.cpu_ns() or 0, time.monotonic() - t0
            self.cores = (c1 - c0) / 1e9 / self.wall_s


def test_cpu_is_read_over_the_window_of_the_requests(engine):
    gen = _oha()
    image = build_loadserver(engine, invocation="tests").info.id
    cpus = split_cpus(int(engine.describe()["engine_cpus"]))
    duration = 2.0
    # 500 µs of CPU per request, closed loop: the server's one core is busy while requests come.
    with started(engine, image, env={"COST_US": "500"}, limits=ServerLimits(cpuset_cpus=cpus.container)) as s:
        cgroup = Cgroup.of_pid(engine.state(s.container_id).pid)
        if cgroup is None:
            pytest.skip("the container's cgroup is not visible here")
        around = AroundTheProcess(gen, cgroup)
        plan = StepPlan(
            LoadRequest(port=8080),
            LoadShape(connections=16, duration_s=duration, request_timeout_s=2),
            cpus.generator,
            0.0,
            after_s=0,
            server_cpuset=cpus.container,
        )
        step = run_step(engine, s.container_id, around, plan, log_tail=s.log_tail)
    print(
        f"COST_US=500 closed loop: window {step.cpu_window_s:.3f} s -> {step.cpu_cores:.3f} cores; "
        f"around the process {around.wall_s:.3f} s -> {around.cores:.3f} cores; {step.qps:.0f} QPS; "
        f"generator {step.generator_cpu_s:.3f} s CPU, {step.generator_cpu_share:.0%} of its CPUs; "
        f"other work {step.other_cpu_share:.1%} (disturbed: {step.disturbed})"
    )
    assert step.cpu_window_s is not None and step.cpu_cores is not None
    # The window is the generator's measured requests: its duration, not its process's life.
    assert step.cpu_window_s <= duration + 0.1 and step.cpu_window_s < around.wall_s
    # The idle start-up and crunching around the requests no longer dilute the figure.
    assert step.cpu_cores > around.cores
    assert step.generator_cpu_s is not None and step.generator_cpu_s > 0
    assert step.generator_cpu_share is not None and 0 < step.generator_cpu_share <= 1
    assert step.other_cpu_share is not None and step.disturbed == (step.other_cpu_share > 0.10)


def test_each_image_gets_the_ceiling_of_its_own_request_shape(engine, tmp_path):
    _oha()
    ctx = static_context(tmp_path, LOADSERVER_SOURCE, "loadserver")
    load = {"connections": 4, "duration": 1, "warmup": 0.2, "after": 0, "repeat": 1, "rate": 100}

    def image(**extra) -> dict:
        return {
            "dockerfile": str(ctx / "Dockerfile"),
            "context": str(ctx),
            "ready": {"http": {"port": 8080, "path": "/"}},
            "env": {"COST_US": "50"},
            **extra,
        }

    doc = {
        "runs": 1,
        "warmup": 0,
        "settle": 0.2,
        "timeout": 20,
        "load": load,
        "images": {
            "get": image(),
            "also-get": image(),
            "post": image(load={**load, "method": "POST", "body": "x" * 2000, "connections": 8}),
        },
    }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    out = tmp_path / "r.json"
    p = cprofiler("measure", str(path), "--no-floor", "--output", str(out), "-q", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    data = json.loads(out.read_text())
    ceilings = {i["name"]: i["load"]["ceiling"] for i in data["images"]}
    assert all(c is not None and c["qps"] > 0 and c["n"] >= 1 for c in ceilings.values()), ceilings
    # One ceiling per distinct shape: the two GET images share theirs; the POST has its own.
    assert ceilings["get"] == ceilings["also-get"] and ceilings["post"] != ceilings["get"]
    records = [json.loads(line) for line in out.with_suffix(".jsonl").read_text().splitlines()]
    per_image = {r["image"]: r["qps"] for r in records if r["type"] == "ceiling" and "image" in r}
    assert per_image == {name: c["qps"] for name, c in ceilings.items()}
    for row in data["images"]:
        step = row["load"]["steps"][0]
        assert step["cpu_window_s"] is not None and step["generator_cpu_s"] > 0
        assert step["other_cpu_share"] is not None and isinstance(step["disturbed"], bool)
