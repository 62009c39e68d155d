"""One run: start one container of an image, time it to ready, sample its memory, remove it.

create (labelled) → attach to its output → start → wait for the probe → wait ``settle`` → sample
memory and CPU → (optionally hand the running container to a caller, e.g. a load step) → remove.
The container is gone when :meth:`Starter.run` returns, whatever happened.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from cprofiler.backends.run import (
    LOG_TAIL_LINES,
    STAMP_GRACE_S,
    Invocation,
    NotReady,
    RunTiming,
    Subject,
    end_run,
    kept_tail,
    mark_not_ready,
    read_output,
)
from cprofiler.engine import Engine
from cprofiler.labels import LABEL_IMAGE
from cprofiler.measure.containers import ContainerSet
from cprofiler.measure.lifetime import LifetimeCgroup, LifetimeCgroups
from cprofiler.measure.memory import Cgroup, MemorySample, from_engine_stats
from cprofiler.measure.netns import BeginOnce, NetnsFinder
from cprofiler.measure.probes import Probe, Target, Watch, make_probe
from cprofiler.measure.security import confinement
from cprofiler.measure.settle_peak import wait_settle
from cprofiler.results.kinds import ProbeVia, RunStatus
from cprofiler.results.model import RunResult


def probe_via(engine: Engine) -> str:
    """``netns`` where http and tcp probes can enter a container's network namespace, else
    ``published-port``.

    Probing inside the namespace needs root and an engine on this host; it avoids published ports
    (no collisions, no userland proxy answering for the app).
    """
    inside = os.geteuid() == 0 and engine.is_local() and os.path.exists("/proc/self/ns/net")
    return "netns" if inside else "published-port"


@dataclass(frozen=True)
class StartedRun:
    """A container that is ready and sampled, handed to ``Starter.run``'s ``while_running``."""

    container_id: str
    #: Host pid of its init process.
    pid: int
    #: Set when it has exited.
    exited: threading.Event
    #: The last lines it wrote so far.
    log_tail: Callable[[], list[str]]


@dataclass
class _OneRun:
    """The state of one run while :meth:`Starter.run` goes through its phases."""

    img: Subject
    probe: Probe
    res: RunResult
    #: A batch job's cgroup parent, which keeps its peak once it has exited; None for a service.
    lifetime: LifetimeCgroup | None
    watch: Watch = field(default_factory=Watch)
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=LOG_TAIL_LINES))
    cid: str = ""
    #: Monotonic ns just before the create call: every figure of the run counts from here.
    t0: int = 0


class Starter:
    """Runs single starts of images, one at a time, for one invocation."""

    def __init__(self, engine: Engine, *, invocation: Invocation, containers: ContainerSet, via: str, timing: RunTiming) -> None:
        self.engine = engine
        self.labels = invocation.labels
        self.containers = containers
        self.signals = invocation.signals
        self.use_netns = via == "netns"
        self.timeout_s = timing.timeout_s
        self.settle_s = timing.settle_s
        self.netns = NetnsFinder()
        self.lifetimes = LifetimeCgroups(engine)
        #: Image name → whether it has printed a ``monotonic_ns=`` stamp; images that never do are
        #: not waited for (see ``_late_stamp``).
        self._stamps: dict[str, bool] = {}

    def run(self, img: Subject, index: int, while_running: Callable[[StartedRun], None] | None = None) -> RunResult:
        """Start one container of ``img`` and measure it; the container is gone when this returns."""
        res = RunResult(image=img.name, index=index, probe_via=ProbeVia.NETNS if self.use_netns else ProbeVia.PUBLISHED_PORT)
        # A batch job's cgroup is gone once it is ready (exited): a parent cgroup keeps its peak.
        lifetime = self.lifetimes.for_run(res) if img.spec.ready.kind == "exit" else None
        run = _OneRun(img, make_probe(img.spec.ready), res, lifetime)
        self._create(run)
        try:
            reader = self._start(run)
            remaining = self.timeout_s - (time.monotonic_ns() - run.t0) / 1e9
            run.watch.done.wait(max(remaining, 0))
            self._classify(res, run.watch, run.cid, run.t0)
            self._after_ready(run, while_running)
            if res.status != RunStatus.OK:
                reader.join(timeout=1.0)  # let the last lines of a dying container arrive
                res.log_tail = kept_tail(list(run.tail))
        finally:
            try:
                end_run(run.watch, lambda: self.containers.remove(run.cid))
            finally:
                if lifetime is not None:
                    lifetime.close(res)
        return res

    def _create(self, run: _OneRun) -> None:
        """Create the container, labelled and confined; its id is recorded before any signal acts."""
        img, spec = run.img, run.img.spec
        confined = confinement(spec, img.built.info.user)
        # A signal during create waits until the new id is recorded: else clean-up would miss it.
        with self.signals.held():
            run.t0 = time.monotonic_ns()
            run.cid = self.engine.create(
                image=img.built.info.id,
                command=spec.command,
                env=spec.env,
                labels={**self.labels, LABEL_IMAGE: img.name},
                memory_limit_bytes=spec.memory_limit,
                cpus=img.cpus,
                publish_ports=None if self.use_netns else run.probe.ports(),
                pids_limit=confined.pids_limit,
                cap_drop=confined.cap_drop,
                user=confined.user,
                cpuset_cpus=img.cpuset,
                cgroup_parent=run.lifetime.parent if run.lifetime is not None else None,
            )
            t1 = time.monotonic_ns()
            self.containers.add(run.cid)
        run.res.create_ms = (t1 - run.t0) / 1e6

    def _start(self, run: _OneRun) -> threading.Thread:
        """Attach to its output, start it, and begin probing; return the output's reader thread."""
        cid, probe, watch = run.cid, run.probe, run.watch
        output = self.engine.attach_output(cid)
        reader = threading.Thread(target=read_output, args=(output, probe, watch, run.tail), daemon=True)
        reader.start()
        begin = BeginOnce(lambda target: probe.begin(watch, target))
        if self.use_netns and probe.ports():
            # Probe from inside the namespace as soon as it exists, during start: see measure/netns.py.
            self.netns.watch(cid, watch.stop, begin)
        t2 = time.monotonic_ns()
        self.engine.start(cid)
        run.res.start_ms = (time.monotonic_ns() - t2) / 1e6
        waiter = threading.Thread(target=self._wait_exit, args=(cid, probe, watch), daemon=True)
        waiter.start()
        # Begun during start already: no inspect now, when its Python work would hold the GIL
        # just as the app becomes ready and delay the probe thread.
        if probe.ports() and not begin.begun:
            state = self.engine.state(cid)
            if self.use_netns:
                self.netns.learn(cid, state.pid)
            if state.running:  # else it has exited already, and the waiter reports it
                begin(self._target(cid, state.pid, probe))
        return reader

    def _after_ready(self, run: _OneRun, while_running: Callable[[StartedRun], None] | None) -> None:
        """A ready run: sample it after ``settle``, read the app's stamp, hand it to ``while_running``."""
        res, watch = run.res, run.watch
        pid = 0
        if res.status == RunStatus.OK and run.img.spec.ready.kind != "exit":
            pid = self._sample(res, run.cid, watch)
        elif res.status == RunStatus.OK:
            res.notes.append("working set not sampled: an exit-probe container is gone once ready (see lifetime_peak_bytes)")
        if res.status == RunStatus.OK:
            self._late_stamp(res, watch, run.img.name, run.t0)
        if res.status == RunStatus.OK and while_running is not None and pid:
            tail = run.tail
            while_running(StartedRun(container_id=run.cid, pid=pid, exited=watch.exited, log_tail=lambda: list(tail)))

    @staticmethod
    def _app_stamp(res: RunResult, watch: Watch, t0: int) -> None:
        """``app_ready_ms`` and ``probe_lag_ms`` from the app's own stamp, when it came during this run."""
        if res.ready_ms is not None and watch.app_ready_ns is not None and watch.app_ready_ns >= t0:
            res.app_ready_ms = (watch.app_ready_ns - t0) / 1e6
            res.probe_lag_ms = res.ready_ms - res.app_ready_ms

    def _late_stamp(self, res: RunResult, watch: Watch, name: str, t0: int) -> None:
        """Fill ``app_ready_ms`` and ``probe_lag_ms`` when the app's stamp arrived after ready.

        Waits up to STAMP_GRACE_S, but only for an image that has stamped before or not run yet, so
        an image that prints no stamp costs one wait at most.
        """
        if res.app_ready_ms is None and self._stamps.get(name, True) and res.ready_ms is not None:
            watch.stamped.wait(STAMP_GRACE_S)
            self._app_stamp(res, watch, t0)
        self._stamps[name] = self._stamps.get(name, False) or watch.stamped.is_set()

    def _target(self, cid: str, pid: int, probe: Probe) -> Target:
        if self.use_netns:
            return Target(netns=f"/proc/{pid}/ns/net")
        ports = {}
        for p in probe.ports():
            host_port = self.engine.published_port(cid, p)
            if host_port is not None:
                ports[p] = host_port
        return Target(published=ports)

    def _wait_exit(self, cid: str, probe: Probe, watch: Watch) -> None:
        wait_exit(self.engine, cid, probe, watch)

    def _classify(self, res: RunResult, watch: Watch, cid: str, t0: int) -> None:
        if watch.ready_ns is not None:
            res.ready_ms = (watch.ready_ns - t0) / 1e6
            self._app_stamp(res, watch, t0)
            if watch.exit_ns is not None:
                res.exit_code = watch.exit_code
            return
        # Not ready: an exit explains it best, even when a probe failed first (a probe cannot
        # enter the namespace of a container that has just died).
        if watch.probe_error and watch.exit_ns is None:
            # The probe may see the death (its /proc/PID gone) before the engine reports the exit
            # and the OOM flag; give the waiter a moment, or an OOM kill would read as a probe error.
            watch.exited.wait(1.0)
        state = self.engine.state(cid)
        seen = NotReady(
            exited=watch.exit_ns is not None or not state.running,
            exit_code=watch.exit_code if watch.exit_code is not None else state.exit_code,
            oom_killed=state.oom_killed,
            probe_error=watch.probe_error,
            timeout=f"not ready within {self.timeout_s:g} s",
        )
        mark_not_ready(res, seen)

    def _sample(self, res: RunResult, cid: str, watch: Watch) -> int:
        """Wait ``settle`` seconds after ready, then read memory and the CPU used while settling.

        Return the container's host pid (0 when it is not running or not on this host).
        """
        state = self.engine.state(cid)
        cgroup = Cgroup.of_pid(state.pid) if state.running and self.engine.is_local() else None
        cpu0, c0 = (cgroup.cpu_ns(), time.monotonic_ns()) if cgroup else (None, 0)
        settle = self.settle_s
        exited, settle_peak = wait_settle(cgroup, watch.exited, settle)
        if exited:
            st = self.engine.state(cid)
            res.exit_code = watch.exit_code
            res.status = RunStatus.OOMKILLED if st.oom_killed else RunStatus.CRASHED
            res.error = f"exited with code {watch.exit_code} {settle:g} s or less after it was ready"
            return 0
        sample: MemorySample
        if cgroup is not None:
            sample = cgroup.sample()
            cpu1, c1 = cgroup.cpu_ns(), time.monotonic_ns()
            if cpu0 is not None and cpu1 is not None and c1 > c0 and settle > 0:
                res.settle_cpu_cores = (cpu1 - cpu0) / (c1 - c0)
        else:
            sample = from_engine_stats(self.engine.stats_once(cid))
        res.working_set_bytes = sample.working_set_bytes
        if settle_peak is not None:  # sampled from the cgroup; the snapshot ends the window
            res.settle_peak_working_set_bytes = max(settle_peak, sample.working_set_bytes or 0)
        res.rss_bytes = sample.rss_bytes
        res.mapped_file_bytes = sample.mapped_file_bytes
        res.peak_bytes = sample.peak_bytes
        res.pss_bytes = sample.pss_bytes
        res.memory_source = sample.source
        res.notes.extend(sample.notes)
        return state.pid if state.running and self.engine.is_local() else 0


def wait_exit(engine: Engine, cid: str, probe: Probe, watch: Watch) -> None:
    """Block until container ``cid`` exits and tell ``probe``, unless the run is over by then."""
    code = engine.wait_exit(cid)
    if not watch.stop.is_set():
        probe.on_exit(watch, time.monotonic_ns(), code)
