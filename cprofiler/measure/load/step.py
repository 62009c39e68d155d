"""One load step against one running container, and the generator's ceiling.

A step is: warmup load (not recorded; in the same generator run when the generator can, so that the
measured window keeps the warmed-up connections), the measured load with the container's cgroup sampled, then
a quiet wait (``AFTER_S``) and one more memory reading, to see what the container gives back once
the load is gone. The generator runs inside the container's network namespace on CPUs of its own
(``cpus.CpuSplit``); the container is pinned to the others when it is created (``Engine.create``'s
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
from cprofiler.measure.load.cpus import CpuSplit
from cprofiler.measure.load.generators import (
    Generator,
    GeneratorResult,
    GeneratorTimeout,
    LoadRequest,
    LoadShape,
    cpuset_cpus,
)
from cprofiler.measure.load.interference import disturbed
from cprofiler.measure.load.sampler import StepSampler
from cprofiler.measure.load.server import LOADSERVER_PORT, ServerLimits, build_loadserver, started
from cprofiler.measure.load.window import LoadWindow, WindowFigures, is_generator_bound
from cprofiler.measure.memory import Cgroup, from_figures
from cprofiler.results.kinds import StepStatus
from cprofiler.results.load import DEFAULT_ERROR_LIMIT, Ceiling, LoadStep

#: Seconds of quiet after a step before ``working_set_after_bytes`` is read.
AFTER_S = 5.0


class LoadStepFailed(CprofilerError):
    """The container crashed, was OOM-killed or stopped answering during a step; ``step`` records it."""

    def __init__(self, step: LoadStep) -> None:
        super().__init__(f"load step at {_rate_text(step.rate)}, repeat {step.repeat}: {step.error}")
        self.step = step


@dataclass(frozen=True)
class StepPlan:
    """What one step sends and how: the request, the load's shape, where the generator runs, and
    the quiet times around the measured window."""

    request: LoadRequest
    #: ``shape.rate`` None is closed loop.
    shape: LoadShape
    #: CPUs of the load generator (``taskset -c``).
    generator_cpuset: str
    #: Seconds of load before the measured window, not recorded (0: none).
    warmup_s: float
    #: Which repetition of its rate this step is.
    repeat: int = 0
    #: Seconds of quiet after the step before ``working_set_after_bytes`` is read.
    after_s: float = AFTER_S
    #: CPUs of the container (its cpuset), watched for other work; empty: the generator's only.
    server_cpuset: str = ""
    #: Most share of requests that may go without a 2xx answer before the step is failing.
    error_limit: float = DEFAULT_ERROR_LIMIT

    @property
    def server_cpus(self) -> list[int]:
        return cpuset_cpus(self.server_cpuset) if self.server_cpuset else []


@dataclass(frozen=True)
class _Loaded:
    """The container one step loads, and how a failure of it is told."""

    engine: Engine
    container_id: str
    plan: StepPlan
    log_tail: Callable[[], list[str]]

    def failed(self, status: StepStatus, error: str, exit_code: int | None = None) -> LoadStepFailed:
        plan = self.plan
        step = LoadStep(
            rate=plan.shape.rate, repeat=plan.repeat, status=status, error=error, exit_code=exit_code, log_tail=self.log_tail()
        )
        return LoadStepFailed(step)

    def running_pid(self) -> int:
        """Its host pid; LoadStepFailed when it is not running."""
        state = self.engine.state(self.container_id)
        if not state.running or state.pid <= 0:
            raise self.failed(StepStatus.CRASHED, "the container was not running when the step began", state.exit_code)
        return state.pid

    def check_alive(self, when: str) -> None:
        state = self.engine.state(self.container_id)
        if not state.running:
            status = StepStatus.OOMKILLED if state.oom_killed else StepStatus.CRASHED
            raise self.failed(status, f"the container exited with {state.exit_code} {when}", state.exit_code)


def run_step(
    engine: Engine,
    container_id: str,
    generator: Generator,
    plan: StepPlan,
    *,
    log_tail: Callable[[], list[str]] | None = None,
    notes: list[str] | None = None,
) -> LoadStep:
    """Load the running container ``container_id`` once as ``plan`` says and return the measured step.

    ``log_tail`` gives the container's last output lines for a failure; sentences on how a figure
    was obtained (or why it is null) are added to ``notes`` (each once), meant for
    ``LoadRun.notes``. Raises LoadStepFailed when the container exits or answers nothing,
    GeneratorError when the generator itself fails, UsageError when the container shares the
    host's network namespace.
    """
    loaded = _Loaded(engine, container_id, plan, log_tail or (lambda: []))
    pid = loaded.running_pid()
    cgroup = Cgroup.of_pid(pid)
    netns_fd = open_container_netns(pid, container_id)
    try:
        result, measured = _load(loaded, generator, cgroup, netns_fd)
    finally:
        os.close(netns_fd)
    after = None
    if cgroup is not None:
        usage, stat = cgroup.memory_usage()
        after = from_figures(usage, stat, None, v2=cgroup.version == 2).working_set_bytes
    if notes is not None:
        figures = measured.figures
        found = figures.notes if figures is not None else ["cgroup figures are null: the container's cgroup is not visible here"]
        notes.extend(n for n in found if n not in notes)
    return _measured(plan, result, measured, after)


def _load(loaded: _Loaded, generator: Generator, cgroup: Cgroup | None, netns_fd: int) -> tuple[GeneratorResult, WindowFigures]:
    """Warmup, the measured window with the cgroup sampled, then the quiet ``after_s``; the
    container must be alive after each and have answered something."""
    plan = loaded.plan

    def load(shape: LoadShape, watch: LoadWindow | None = None) -> GeneratorResult:
        try:
            return generator.run(plan.request, shape, netns_fd=netns_fd, cpuset=plan.generator_cpuset, watch=watch)
        except GeneratorTimeout as exc:
            raise loaded.failed(StepStatus.TIMEOUT, str(exc)) from None

    # A generator that warms up in its measured run keeps its connections across both, and its
    # window opens when the warm-up ends; another gets a warm-up run of its own first.
    in_run = generator.warms_up_in_run and plan.warmup_s > 0
    if plan.warmup_s > 0 and not in_run:
        load(replace(plan.shape, duration_s=plan.warmup_s, warmup_s=0.0))
        loaded.check_alive("during the warmup")
    generator_cpus = cpuset_cpus(plan.generator_cpuset)
    sampler = StepSampler(cgroup, cpus=generator_cpus) if cgroup is not None else None
    window = LoadWindow(
        sampler,
        offset_s=plan.warmup_s if in_run else 0.0,
        duration_s=plan.shape.duration_s,
        server_cpus=plan.server_cpus,
        generator_cpus=generator_cpus,
    )
    try:
        result = load(replace(plan.shape, warmup_s=plan.warmup_s if in_run else 0.0), window)
    finally:
        measured = window.result()
    loaded.check_alive("during the step")
    counts = result.counts
    # A container that answered during the warm-up but none of the requests due in the window is
    # far behind the rate, not hung: a failing step (every request an error), not an unresponsive one.
    if result.answered_in_run <= 0:
        raise loaded.failed(
            StepStatus.UNRESPONSIVE,
            "the container answered no request during the step "
            f"({counts.timeouts} timeouts, {counts.connection_errors} connection errors in the window)",
        )
    time.sleep(plan.after_s)
    loaded.check_alive(f"in the {plan.after_s:.0f} s after the step")
    return result, measured


def _measured(plan: StepPlan, result: GeneratorResult, measured: WindowFigures, after: int | None) -> LoadStep:
    """The step's record: the generator's figures, the cgroup's over the window (None where not
    visible), the generator's cost, the other work on its CPUs, the working set after."""
    figures = measured.figures
    counts = result.counts
    return LoadStep(
        rate=plan.shape.rate,
        repeat=plan.repeat,
        requests=counts.requests,
        answered_2xx=counts.answered_2xx,
        errors_http=counts.errors_http,
        non_2xx=dict(counts.non_2xx),
        errors_socket=counts.errors_socket,
        timeouts=counts.timeouts,
        connection_errors=counts.connection_errors,
        error_kinds=dict(counts.error_kinds),
        error_share=counts.error_share,
        failing=counts.error_share is not None and counts.error_share > plan.error_limit,
        qps=counts.qps,
        answers_per_s=counts.answers_per_s,
        latency_ms=counts.latency_ms,
        latency_answered_ms=counts.latency_answered_ms,
        window_s=counts.window_s,
        cpu_cores=figures.cpu_cores if figures else None,
        throttled_periods=figures.throttled_periods if figures else None,
        throttled_ms=figures.throttled_ms if figures else None,
        working_set_peak_bytes=figures.working_set_peak_bytes if figures else None,
        working_set_end_bytes=figures.working_set_end_bytes if figures else None,
        rss_end_bytes=figures.rss_end_bytes if figures else None,
        working_set_after_bytes=after,
        pids=figures.pids if figures else None,
        cpu_window_s=measured.cpu_window_s,
        generator_cpu_s=measured.generator_cpu_s,
        generator_cpu_share=measured.generator_cpu_share,
        generator_bound=is_generator_bound(measured.generator_cpu_share, None, None),
        other_cpu_share=measured.other_cpu_share,
        disturbed=disturbed(measured.other_cpu_share),
    )


@dataclass(frozen=True)
class CeilingPlan:
    """How the generator's ceiling is measured: the request and shape of the steps it stands for
    (run closed loop whatever their rate), the CPU split, and how many times."""

    request: LoadRequest
    shape: LoadShape
    cpus: CpuSplit
    #: Seconds of load before the first measured run, not recorded.
    warmup_s: float
    #: Measured runs; the ceiling is their median by QPS.
    repeats: int = 1


def ceiling(
    engine: Engine,
    generator: Generator,
    plan: CeilingPlan,
    *,
    invocation: str | None = None,
    image: str | None = None,
) -> Ceiling:
    """What ``generator`` reaches against the trivial load server (``COST_US=0``) with the same
    connections, duration, method, path, headers and body, closed loop (a rate would cap it); the
    median of ``plan.repeats`` runs by QPS. The server runs on the container's CPUs, the generator on its own.
    """
    image = image or build_loadserver(engine, invocation=invocation or "load-ceiling").info.id
    port = plan.request.port or LOADSERVER_PORT
    env = {"PORT": str(port), "COST_US": "0"}
    request, closed = replace(plan.request, port=port), replace(plan.shape, rate=None)
    runs: list[LoadStep] = []
    limits = ServerLimits(cpuset_cpus=plan.cpus.container)
    with started(engine, image, env=env, limits=limits, invocation=invocation) as server:
        for i in range(max(1, plan.repeats)):
            warmup_s = plan.warmup_s if i == 0 else 0
            step_plan = StepPlan(
                request, closed, plan.cpus.generator, warmup_s, repeat=i, after_s=0, server_cpuset=plan.cpus.container
            )
            runs.append(run_step(engine, server.container_id, generator, step_plan, log_tail=server.log_tail))
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
