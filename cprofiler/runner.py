"""The run loop: build every image, then start them round by round and measure each start.

One run: create (labelled) → attach to its output → start → wait for the probe → wait ``settle`` →
sample memory and CPU → remove. Images are interleaved run by run (A B C A B C …), so that drift
on a shared machine spreads over all of them instead of landing on whichever image ran last.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from cprofiler import __version__, stats
from cprofiler.engine import Engine
from cprofiler.environment import host_facts
from cprofiler.errors import CprofilerError, Interrupted, Signalled
from cprofiler.images.build import BuiltImage, build_with_fallback
from cprofiler.images.floor import FLOOR_NAME, build_floor, floor_mode
from cprofiler.labels import LABEL_IMAGE
from cprofiler.measure import cold as cold_levels
from cprofiler.measure.memory import Cgroup, MemorySample, from_engine_stats
from cprofiler.measure.netns import BeginOnce, NetnsFinder
from cprofiler.measure.probes import Probe, Target, Watch, make_probe
from cprofiler.measure.probes.base import STAMP_RE
from cprofiler.reaper import own_labels
from cprofiler.results import ImageResult, Measurement, RunLog, RunResult
from cprofiler.resume import Recorded
from cprofiler.schema import ImageSpec, LoadedScenario

#: Output lines kept per run for crash reports; older lines are dropped (a flood stays bounded).
LOG_TAIL_LINES = 20
#: How long a run waits after ready for the app's ``monotonic_ns=`` line, which travels through the
#: engine's attach stream and may arrive after a fast probe has seen the app ready, in seconds.
STAMP_GRACE_S = 0.25
#: Longest output line kept whole; a longer one is cut, so a line without newline cannot grow forever.
MAX_LINE_BYTES = 64 * 1024


class Reporter(Protocol):
    """What the runner tells the user while it works (the CLI draws it; tests may ignore it)."""

    def message(self, text: str) -> None: ...
    def building(self, name: str, line: str | None) -> None: ...
    def runs_planned(self, total: int) -> None: ...
    def run_done(self, run: RunResult, warmup: bool) -> None: ...


class SilentReporter:
    def message(self, text: str) -> None:
        pass

    def building(self, name: str, line: str | None) -> None:
        pass

    def runs_planned(self, total: int) -> None:
        pass

    def run_done(self, run: RunResult, warmup: bool) -> None:
        pass


@dataclass
class MeasureConfig:
    """Everything ``cprofiler measure`` needs, after the CLI has merged flags and file."""

    scenario: LoadedScenario
    runs: int
    warmup: int
    settle_s: float
    timeout_s: float
    #: Final JSON path; the JSON Lines file of finished runs sits beside it.
    output: Path | None = None
    offline: bool = False
    shuffle: bool = False
    seed: int | None = None
    only: list[str] = field(default_factory=list)
    #: Cold level (``cprofiler.measure.cold``): warm, cache or image.
    cold: str = "warm"
    #: Also run the runtime floor image each round (``--no-floor`` turns it off).
    floor: bool = True
    #: An interrupted measurement to continue (``--resume``): its runs are kept, not repeated.
    resume: Recorded | None = None


def new_invocation_id() -> str:
    return uuid.uuid4().hex[:12]


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class ContainerSet:
    """The containers this invocation has made and not yet removed; removed on every way out.

    It removes only its own: the ids it recorded, and (``remove_all``) containers labelled with its
    invocation id. Another invocation's containers on the same engine are never touched.
    """

    def __init__(self, engine: Engine, invocation: str | None = None) -> None:
        self.engine = engine
        self.invocation = invocation
        self._ids: set[str] = set()
        self._lock = threading.Lock()

    def add(self, cid: str) -> None:
        with self._lock:
            self._ids.add(cid)

    def remove(self, cid: str) -> None:
        self.engine.remove(cid)
        with self._lock:
            self._ids.discard(cid)

    def remove_all(self) -> None:
        """Remove every container of this invocation; safe to call again, and after any failure."""
        with self._lock:
            ids = list(self._ids)
        for cid in ids:
            try:
                self.remove(cid)
            except CprofilerError:
                pass  # the engine is gone; `cprofiler clean` reaps it later
        if self.invocation is None:
            return
        # A backstop for a container the engine made but whose id never reached us (the create
        # call cut short): it carries our invocation label, so ask the engine for those too.
        try:
            for c in self.engine.labelled_containers(self.invocation):
                self.remove(c["id"])
        except CprofilerError:
            pass  # as above: the engine is gone, and `cprofiler clean` reaps it later


@dataclass
class PreparedImage:
    name: str
    spec: ImageSpec
    built: BuiltImage


def _split_lines(chunks: Iterator[bytes]) -> Iterator[tuple[int, bytes]]:
    """Yield ``(arrival monotonic ns, line)`` from raw output chunks, lines capped in length."""
    pending = b""
    for chunk in chunks:
        t_ns = time.monotonic_ns()
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            yield t_ns, line[:MAX_LINE_BYTES]
        if len(pending) > MAX_LINE_BYTES:
            yield t_ns, pending[:MAX_LINE_BYTES]
            pending = b""
    if pending:
        yield time.monotonic_ns(), pending


class Runner:
    """Runs one measurement; construct, then call ``measure``."""

    def __init__(self, engine: Engine, config: MeasureConfig, reporter: Reporter | None = None) -> None:
        self.engine = engine
        self.config = config
        self.reporter: Reporter = reporter or SilentReporter()
        self.invocation = new_invocation_id()
        if config.shuffle and config.seed is None:
            # Record the seed we drew, so a shuffled order can always be replayed with --seed.
            config.seed = int.from_bytes(os.urandom(4), "little")
        self.containers = ContainerSet(engine, self.invocation)
        self.signals = _SignalGuard()
        # Probing inside the container's network namespace needs root and an engine on this host;
        # it avoids published ports (no collisions, no userland proxy answering for the app).
        self.use_netns = os.geteuid() == 0 and engine.is_local() and os.path.exists("/proc/self/ns/net")
        self.labels = own_labels(self.invocation)
        self.cold = cold_levels.make(config.cold, engine)
        self.netns = NetnsFinder()
        #: Image name → whether it has printed a ``monotonic_ns=`` stamp; images that never do are
        #: not waited for (see ``_late_stamp``).
        self._stamps: dict[str, bool] = {}

    # --- building -------------------------------------------------------------------------------

    def prepare(self) -> list[PreparedImage]:
        items = list(self.config.scenario.scenario.images.items())
        if self.config.only:
            items = [(n, s) for n, s in items if n in self.config.only]
        prepared = []
        for name, spec in items:
            self.reporter.building(name, None)
            built = self._build(name, spec)
            self.reporter.message(
                f"{name}: {'reused' if built.reused else 'built'} {built.info.tag}"
                + (f" (stand-in {built.stand_in['recipe']} for {built.stand_in['for']})" if built.stand_in else "")
            )
            prepared.append(PreparedImage(name, spec, built))
        return prepared

    def prepare_floor(self, prepared: list[PreparedImage]) -> PreparedImage:
        """Build (or reuse) the runtime floor image; it is then run exactly like a scenario image.

        It serves on a port when any image is a service and exits at once otherwise, because an exit
        probe's ready time also holds the engine's handling of the exit, which no service pays.
        """
        self.reporter.building(FLOOR_NAME, None)
        on_line: Callable[[str], None] = lambda line: self.reporter.building(FLOOR_NAME, line)  # noqa: E731
        mode = floor_mode([p.spec.ready.kind for p in prepared])
        spec, built = build_floor(self.engine, mode, invocation=self.invocation, on_line=on_line)
        self.reporter.message(f"{FLOOR_NAME}: {'reused' if built.reused else 'built'} {built.info.tag} ({mode})")
        return PreparedImage(FLOOR_NAME, spec, built)

    def _build(self, name: str, spec: ImageSpec) -> BuiltImage:
        on_line: Callable[[str], None] = lambda line: self.reporter.building(name, line)  # noqa: E731
        return build_with_fallback(
            self.engine, name, spec, invocation=self.invocation, offline=self.config.offline, on_line=on_line
        )

    # --- one run --------------------------------------------------------------------------------

    def run_cold(self, img: PreparedImage, index: int) -> RunResult:
        """One run at the configured cold level: make the start cold (outside the timing), then run it."""
        fetch_ms = self.cold.before_run(img.built.info)
        run = self.run_once(img, index)
        run.fetch_ms = fetch_ms
        note = self.cold.note(img.built.info)
        if note is not None:
            run.notes.append(note)
        return run

    def run_once(self, img: PreparedImage, index: int) -> RunResult:
        """Start one container of ``img`` and measure it; the container is gone when this returns."""
        spec = img.spec
        probe = make_probe(spec.ready)
        watch = Watch()
        res = RunResult(image=img.name, index=index, probe_via="netns" if self.use_netns else "published-port")
        tail: deque[str] = deque(maxlen=LOG_TAIL_LINES)
        publish = None if self.use_netns else probe.ports()
        labels = {**self.labels, LABEL_IMAGE: img.name}

        # A signal during create waits until the new id is recorded: else clean-up would miss it.
        with self.signals.held():
            t0 = time.monotonic_ns()
            cid = self.engine.create(
                image=img.built.info.id,
                command=spec.command,
                env=spec.env,
                labels=labels,
                memory_limit_bytes=spec.memory_limit,
                cpus=spec.cpus,
                publish_ports=publish,
            )
            t1 = time.monotonic_ns()
            self.containers.add(cid)
        try:
            res.create_ms = (t1 - t0) / 1e6
            output = self.engine.attach_output(cid)
            reader = threading.Thread(target=self._read_output, args=(output, probe, watch, tail), daemon=True)
            reader.start()
            begin = BeginOnce(lambda target: probe.begin(watch, target))
            if self.use_netns and probe.ports():
                # Probe from inside the namespace as soon as it exists, during start: see measure/netns.py.
                self.netns.watch(cid, watch.stop, begin)
            t2 = time.monotonic_ns()
            self.engine.start(cid)
            res.start_ms = (time.monotonic_ns() - t2) / 1e6
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
            remaining = self.config.timeout_s - (time.monotonic_ns() - t0) / 1e9
            watch.done.wait(max(remaining, 0))
            self._classify(res, watch, cid, t0)
            if res.status == "ok" and spec.ready.kind != "exit":
                self._sample(res, cid, watch)
            elif res.status == "ok":
                res.notes.append("memory not sampled: an exit-probe container is gone once it is ready")
            if res.status == "ok":
                self._late_stamp(res, watch, img.name, t0)
            if res.status != "ok":
                reader.join(timeout=1.0)  # let the last lines of a dying container arrive
                res.log_tail = list(tail)
        finally:
            failing = sys.exc_info()[1] is not None
            watch.stop.set()
            try:
                self.containers.remove(cid)
            except CprofilerError:
                if not failing:
                    raise
                # The run failed already, most likely because the engine went away: that error
                # says more than this one. The id stays recorded; remove_all tries again.
        return res

    def _late_stamp(self, res: RunResult, watch: Watch, name: str, t0: int) -> None:
        """Fill ``app_ready_ms`` and ``probe_lag_ms`` when the app's stamp arrived after ready.

        Waits up to STAMP_GRACE_S, but only for an image that has stamped before or not run yet, so
        an image that prints no stamp costs one wait at most.
        """
        if res.app_ready_ms is None and self._stamps.get(name, True) and res.ready_ms is not None:
            watch.stamped.wait(STAMP_GRACE_S)
            if watch.app_ready_ns is not None and watch.app_ready_ns >= t0:
                res.app_ready_ms = (watch.app_ready_ns - t0) / 1e6
                res.probe_lag_ms = res.ready_ms - res.app_ready_ms
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

    def _read_output(self, output: Iterator[bytes], probe: Probe, watch: Watch, tail: deque[str]) -> None:
        for t_ns, line in _split_lines(output):
            tail.append(line.decode("utf-8", "replace").rstrip("\r"))
            if watch.app_ready_ns is None:
                m = STAMP_RE.search(line)
                if m:
                    watch.mark_stamp(int(m.group(1)))
            if watch.ready_ns is None:
                probe.on_line(watch, t_ns, line)

    def _wait_exit(self, cid: str, probe: Probe, watch: Watch) -> None:
        code = self.engine.wait_exit(cid)
        if not watch.stop.is_set():
            probe.on_exit(watch, time.monotonic_ns(), code)

    def _classify(self, res: RunResult, watch: Watch, cid: str, t0: int) -> None:
        if watch.ready_ns is not None:
            res.ready_ms = (watch.ready_ns - t0) / 1e6
            if watch.app_ready_ns is not None and watch.app_ready_ns >= t0:
                res.app_ready_ms = (watch.app_ready_ns - t0) / 1e6
                res.probe_lag_ms = res.ready_ms - res.app_ready_ms
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
        if watch.exit_ns is not None or not state.running:
            res.exit_code = watch.exit_code if watch.exit_code is not None else state.exit_code
            if state.oom_killed:
                res.status, res.error = "oomkilled", "killed by its memory limit before it was ready"
            else:
                res.status, res.error = "crashed", f"exited with code {res.exit_code} before it was ready"
        elif watch.probe_error:
            res.status, res.error = "error", watch.probe_error
        else:
            res.status, res.error = "timeout", f"not ready within {self.config.timeout_s:g} s"

    def _sample(self, res: RunResult, cid: str, watch: Watch) -> None:
        """Wait ``settle`` seconds after ready, then read memory and the CPU used while settling."""
        state = self.engine.state(cid)
        cgroup = Cgroup.of_pid(state.pid) if state.running and self.engine.is_local() else None
        cpu0, c0 = (cgroup.cpu_ns(), time.monotonic_ns()) if cgroup else (None, 0)
        settle = self.config.settle_s
        if watch.exited.wait(settle):
            st = self.engine.state(cid)
            res.exit_code = watch.exit_code
            res.status = "oomkilled" if st.oom_killed else "crashed"
            res.error = f"exited with code {watch.exit_code} {settle:g} s or less after it was ready"
            return
        sample: MemorySample
        if cgroup is not None:
            sample = cgroup.sample()
            cpu1, c1 = cgroup.cpu_ns(), time.monotonic_ns()
            if cpu0 is not None and cpu1 is not None and c1 > c0 and settle > 0:
                res.settle_cpu_cores = (cpu1 - cpu0) / (c1 - c0)
        else:
            sample = from_engine_stats(self.engine.stats_once(cid))
        res.working_set_bytes = sample.working_set_bytes
        res.rss_bytes = sample.rss_bytes
        res.peak_bytes = sample.peak_bytes
        res.pss_bytes = sample.pss_bytes
        res.memory_source = sample.source
        res.notes.extend(sample.notes)

    # --- the whole measurement ------------------------------------------------------------------

    def measure(self) -> Measurement:
        """Build, run every round, and return the measurement; finished runs are on disk at once."""
        cfg = self.config
        started = _now_iso()
        with self.signals:
            self.signals.allow()  # a build may stop anywhere: nothing to clean up yet
            # A cold level that cannot work here fails before anything is built or run.
            self.cold.check()
            prepared = self.prepare()
            floor = self.prepare_floor(prepared) if cfg.floor else None
            self.signals.hold()
            measurement = Measurement(
                environment=self.environment(),
                settings=self.settings(),
                started_at=started,
                images=[_image_result(p) for p in prepared],
                floor=_image_result(floor) if floor is not None else None,
            )
            if cfg.resume is not None:
                # Same images, settings and machine, or the runs would not compare; then its runs.
                cfg.resume.adopt(measurement)
            by_name = {r.name: r for r in measurement.images}
            # The floor runs first in each round, interleaved like any image, so drift hits it too.
            runnable = ([floor] if floor is not None else []) + prepared
            if measurement.floor is not None:
                by_name[FLOOR_NAME] = measurement.floor
            names = [p.name for p in runnable]
            imgs = {p.name: p for p in runnable}
            if cfg.resume is not None:
                log = cfg.resume.open_log(self.invocation, started)
            else:
                log = RunLog(self.jsonl_path(started), {"invocation": self.invocation, **measurement.to_json()})
            self.log_path = log.path
            done = cfg.resume.done() if cfg.resume is not None else {}
            left = len(names) * cfg.runs - sum(min(done.get(n, 0), cfg.runs) for n in names)
            warmup = cfg.warmup if left else 0  # a resumed measurement with nothing left needs no warmup
            self.reporter.runs_planned(len(names) * warmup + left)
            try:
                self.signals.allow()
                self.cold.prepare([p.built.info for p in runnable], self.reporter.message)
                order = [(r, False) for r in stats.shuffled_rounds(names, warmup, shuffle=cfg.shuffle, seed=cfg.seed)]
                order += [(r, True) for r in stats.shuffled_rounds(names, cfg.runs, shuffle=cfg.shuffle, seed=cfg.seed)]
                counters = dict.fromkeys(names, 0)
                for round_names, measured in order:
                    for name in round_names:
                        if measured and counters[name] < done.get(name, 0):
                            counters[name] += 1  # finished before an interruption: never repeated
                            continue
                        index = counters[name] if measured else -1
                        run = self.run_cold(imgs[name], index)
                        if measured:
                            with self.signals.held():  # in memory and on disk, or in neither
                                counters[name] += 1
                                by_name[name].runs.append(run)
                                log.run(run)
                        self.reporter.run_done(run, warmup=not measured)
                self.signals.hold()
            except BaseException as exc:
                self.signals.hold()
                measurement.interrupted = _why(exc)
                raise
            finally:
                self.signals.hold()  # clean-up is never cut short by a second signal
                self.containers.remove_all()
                measurement.finished_at = _now_iso()
                log.write({"type": "end", "finished_at": measurement.finished_at, "interrupted": measurement.interrupted})
                log.close()
                self.measurement = measurement
                # Last: with --cold image it brings back an image an interruption left removed.
                self.cold.close()
        return measurement

    def jsonl_path(self, started: str) -> Path:
        from cprofiler.results import jsonl_path

        if self.config.output is not None:
            return jsonl_path(self.config.output)
        stamp = started.replace(":", "").replace("-", "").split("+")[0]
        return Path(".cprofiler") / f"run-{stamp}-{self.invocation}.jsonl"

    def settings(self) -> dict[str, Any]:
        cfg = self.config
        return {
            "scenario_file": str(cfg.scenario.path),
            "runs": cfg.runs,
            "warmup": cfg.warmup,
            "settle_s": cfg.settle_s,
            "timeout_s": cfg.timeout_s,
            "order": "interleaved-shuffled" if cfg.shuffle else "interleaved",
            "seed": cfg.seed,
            "cold": cfg.cold,
            "floor": cfg.floor,
            "probe_interval_ms": 1.0,
            "probe_via": "netns" if self.use_netns else "published-port",
            "invocation": self.invocation,
        }

    def environment(self) -> dict[str, Any]:
        return {**self.engine.describe(), **host_facts(), "cprofiler_version": __version__, "started_at": _now_iso()}


def _image_result(p: PreparedImage) -> ImageResult:
    return ImageResult(
        name=p.name,
        image={"tag": p.built.info.tag, "id": p.built.info.id},
        image_size_bytes=p.built.info.size_bytes,
        layers=p.built.info.layers,
        ready=p.spec.ready.to_json(),
        memory_limit_bytes=p.spec.memory_limit,
        cpus=p.spec.cpus,
        stand_in=p.built.stand_in,
    )


def _why(exc: BaseException) -> str:
    if isinstance(exc, Interrupted):
        return str(exc)
    if isinstance(exc, Signalled):
        return exc.describe()
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (SIGINT)"
    return str(exc) or type(exc).__name__


class _SignalGuard:
    """SIGINT and SIGTERM raise ``Signalled`` in the main thread, but only where that is safe.

    Python runs a signal handler in the main thread between two bytecodes, wherever it is: inside
    an engine call, or in the ``finally`` that removes containers. Raising there could cut the
    clean-up short, or lose a container the engine made before its id was recorded. So the runner
    says where a signal may raise (``allow``: building, the run loop) and where it waits (``hold``,
    ``held()``: creating a container, cleaning up); a signal that came while held is raised when
    raising is allowed again, or after clean-up. Only the first signal is ever raised: a second
    Ctrl-C during clean-up is ignored, since the clean-up it asks for is under way.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self._old: dict[int, Any] = {}
        self._may_raise = False
        #: A signal that came while held, not raised yet.
        self.pending: int | None = None
        #: True once a Signalled has been raised; later signals are ignored.
        self.raised = False

    def __enter__(self) -> _SignalGuard:
        self.pending, self.raised, self._may_raise = None, False, False
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                self._old[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        self._may_raise = False
        for signum, old in self._old.items():
            signal.signal(signum, old)
        self._old.clear()
        if exc_type is None and self.pending is not None and not self.raised:
            # It came during the last clean-up: everything is saved, now honour it.
            self.raised = True
            raise Signalled(self.pending)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.raised:
            return
        if self._may_raise:
            self.raised = True
            raise Signalled(signum)
        if self.pending is None:
            self.pending = signum

    def allow(self) -> None:
        """From here on a signal raises at once; one that came while held raises now."""
        self._may_raise = True
        if self.pending is not None and not self.raised:
            self.raised = True
            raise Signalled(self.pending)

    def hold(self) -> None:
        """From here on a signal waits (clean-up)."""
        self._may_raise = False

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """A signal that comes inside this block waits until its end (unless an error leaves it)."""
        was = self._may_raise
        self._may_raise = False
        try:
            yield
        finally:
            self._may_raise = was
        if was:
            self.allow()
