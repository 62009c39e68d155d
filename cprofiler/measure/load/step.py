"""One load step against one running container, the generator's ceiling, and the CPU split.

A step is: warmup load (not recorded), the measured load with the container's cgroup sampled, then
a quiet wait (``AFTER_S``) and one more memory reading, to see what the container gives back once
the load is gone. The generator runs inside the container's network namespace on CPUs of its own
(``CpuSplit``); the container is pinned to the others when it is created (``Engine.create``'s
``cpuset_cpus``). A container that exits during a step, or answers nothing, raises ``LoadStepFailed``
carrying the step and the container's last lines, for the runner to record as a status.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from cprofiler.engine import Engine
from cprofiler.errors import CprofilerError, UsageError
from cprofiler.measure.load.generators import (
    Generator,
    GeneratorResult,
    GeneratorTimeout,
    LoadRequest,
    LoadShape,
    cpuset_cpus,
)
from cprofiler.measure.load.sampler import StepSampler
from cprofiler.measure.load.server import LOADSERVER_PORT, ServerLimits, build_loadserver, started
from cprofiler.measure.memory import Cgroup, from_figures
from cprofiler.results.load import Ceiling, LoadStep

#: Seconds of quiet after a step before ``working_set_after_bytes`` is read.
AFTER_S = 5.0


@dataclass(frozen=True)
class CpuSplit:
    """Which CPUs the container and the load generator may run on, in cpuset syntax (``0``, ``1-3``)."""

    #: CPUs of the container under load (``--cpuset-cpus``).
    container: str
    #: CPUs of the load generator (``taskset -c``).
    generator: str

    def to_json(self) -> dict[str, str]:
        return {"server": self.container, "generator": self.generator}


class LoadStepFailed(CprofilerError):
    """The container crashed, was OOM-killed or stopped answering during a step; ``step`` records it."""

    def __init__(self, step: LoadStep) -> None:
        super().__init__(f"load step at {_rate_text(step.rate)}, repeat {step.repeat}: {step.error}")
        self.step = step


def split_cpus(engine_cpus: int, *, container: str | None = None, generator: str | None = None) -> CpuSplit:
    """The CPUs of the container and of the generator: given ones checked, else CPU 0 for the
    container and every other CPU for the generator (on 2 CPUs: ``0`` and ``1``).

    UsageError naming ``load.cpuset`` when the engine has a single CPU (the generator would take
    the container's time and measure itself), a CPU does not exist, or the two share one.
    """
    if engine_cpus < 2:
        raise UsageError(
            f"load.cpuset: the engine has {engine_cpus} CPU; the container and the load generator need one each, "
            "or the generator competes with what it measures (run the load phase on a machine with 2 or more CPUs)"
        )
    container = container or "0"
    generator = generator or (f"1-{engine_cpus - 1}" if engine_cpus > 2 else "1")
    mine, theirs = cpuset_cpus(container), cpuset_cpus(generator)
    for cpus, what in ((mine, container), (theirs, generator)):
        if max(cpus) >= engine_cpus:
            raise UsageError(f"load.cpuset: CPU {max(cpus)} in {what!r} does not exist; the engine has CPUs 0-{engine_cpus - 1}")
    shared = sorted(set(mine) & set(theirs))
    if shared:
        raise UsageError(
            f"load.cpuset: container {container!r} and generator {generator!r} share CPU {shared[0]}; give each its own"
        )
    return CpuSplit(container=container, generator=generator)


def run_step(
    engine: Engine,
    container_id: str,
    request: LoadRequest,
    shape: LoadShape,
    generator: Generator,
    *,
    generator_cpuset: str,
    warmup_s: float,
    repeat: int = 0,
    after_s: float = AFTER_S,
    log_tail: Callable[[], list[str]] | None = None,
    notes: list[str] | None = None,
) -> LoadStep:
    """Load the running container ``container_id`` once and return the measured step.

    ``shape.rate`` None is closed loop. ``log_tail`` gives the container's last output lines for a
    failure; sentences on how a figure was obtained (or why it is null) are added to ``notes``
    (each once), meant for ``LoadRun.notes``. Raises LoadStepFailed when the container exits or
    answers nothing, GeneratorError when the generator itself fails, UsageError when the container
    shares the host's network namespace.
    """
    tail = log_tail or (lambda: [])

    def failed(status: str, error: str, exit_code: int | None = None) -> LoadStepFailed:
        step = LoadStep(rate=shape.rate, repeat=repeat, status=status, error=error, exit_code=exit_code, log_tail=tail())
        return LoadStepFailed(step)

    def check_alive(when: str) -> None:
        state = engine.state(container_id)
        if not state.running:
            status = "oomkilled" if state.oom_killed else "crashed"
            raise failed(status, f"the container exited with {state.exit_code} {when}", state.exit_code)

    state = engine.state(container_id)
    if not state.running or state.pid <= 0:
        raise failed("crashed", "the container was not running when the step began", state.exit_code)
    cgroup = Cgroup.of_pid(state.pid)
    netns_fd = open_container_netns(state.pid, container_id)
    try:

        def load(duration_s: float) -> GeneratorResult:
            try:
                return generator.run(request, replace(shape, duration_s=duration_s), netns_fd=netns_fd, cpuset=generator_cpuset)
            except GeneratorTimeout as exc:
                raise failed("timeout", str(exc)) from None

        if warmup_s > 0:
            load(warmup_s)
            check_alive("during the warmup")
        sampler = StepSampler(cgroup, cpus=cpuset_cpus(generator_cpuset)) if cgroup is not None else None
        if sampler is not None:
            sampler.start()
        try:
            result = load(shape.duration_s)
        finally:
            figures = sampler.stop() if sampler is not None else None
        check_alive("during the step")
        answered = result.requests - result.errors_socket
        if answered <= 0:
            raise failed(
                "unresponsive",
                f"the container answered no request in {shape.duration_s:g} s ({result.errors_socket} socket errors)",
            )
        time.sleep(after_s)
        check_alive(f"in the {after_s:.0f} s after the step")
    finally:
        os.close(netns_fd)

    after = None
    if cgroup is not None:
        usage, stat = cgroup.memory_usage()
        after = from_figures(usage, stat, None, v2=cgroup.version == 2).working_set_bytes
    if notes is not None:
        found = figures.notes if figures is not None else ["cgroup figures are null: the container's cgroup is not visible here"]
        notes.extend(n for n in found if n not in notes)
    return LoadStep(
        rate=shape.rate,
        repeat=repeat,
        requests=result.requests,
        errors_http=result.errors_http,
        errors_socket=result.errors_socket,
        qps=result.qps,
        latency_ms=result.latency_ms,
        cpu_cores=figures.cpu_cores if figures else None,
        throttled_periods=figures.throttled_periods if figures else None,
        throttled_ms=figures.throttled_ms if figures else None,
        working_set_peak_bytes=figures.working_set_peak_bytes if figures else None,
        working_set_end_bytes=figures.working_set_end_bytes if figures else None,
        rss_end_bytes=figures.rss_end_bytes if figures else None,
        working_set_after_bytes=after,
        pids=figures.pids if figures else None,
    )


def ceiling(
    engine: Engine,
    generator: Generator,
    request: LoadRequest,
    shape: LoadShape,
    cpus: CpuSplit,
    *,
    warmup_s: float,
    repeats: int = 1,
    invocation: str | None = None,
    image: str | None = None,
) -> Ceiling:
    """What ``generator`` reaches against the trivial load server (``COST_US=0``) with the same
    connections, duration, method, path, headers and body, closed loop (a rate would cap it); the
    median of ``repeats`` runs by QPS. The server runs on the container's CPUs, the generator on its own.
    """
    image = image or build_loadserver(engine, invocation=invocation or "load-ceiling").info.id
    port = request.port or LOADSERVER_PORT
    env = {"PORT": str(port), "COST_US": "0"}
    closed = replace(shape, rate=None)
    runs: list[LoadStep] = []
    with started(engine, image, env=env, limits=ServerLimits(cpuset_cpus=cpus.container), invocation=invocation) as server:
        for i in range(max(1, repeats)):
            step = run_step(
                engine,
                server.container_id,
                replace(request, port=port),
                closed,
                generator,
                generator_cpuset=cpus.generator,
                warmup_s=warmup_s if i == 0 else 0,
                repeat=i,
                after_s=0,
                log_tail=server.log_tail,
            )
            runs.append(step)
    middle = sorted(runs, key=lambda s: s.qps or 0.0)[(len(runs) - 1) // 2]
    return Ceiling(qps=statistics.median(s.qps or 0.0 for s in runs), latency_ms=middle.latency_ms, n=len(runs))


def open_container_netns(pid: int, container_id: str) -> int:
    """A descriptor of the network namespace of host process ``pid``, which must not be ours.

    Load goes to 127.0.0.1 of the container's own namespace only; a container on the host's
    network (``network_mode: host``) would have it sent to this host's loopback instead.
    """
    try:
        fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise CprofilerError(
            f"cannot enter the network namespace of container {container_id[:12]} (pid {pid}): {exc.strerror}; "
            "the load phase needs root on the engine's host"
        ) from exc
    theirs, ours = os.fstat(fd), os.stat("/proc/self/ns/net")
    if (theirs.st_dev, theirs.st_ino) == (ours.st_dev, ours.st_ino):
        os.close(fd)
        raise UsageError(
            f"load: container {container_id[:12]} shares this host's network namespace; "
            "load is only sent inside a container's own namespace"
        )
    return fd


def _rate_text(rate: float | None) -> str:
    return "closed loop" if rate is None else f"{rate:g} requests/s"
