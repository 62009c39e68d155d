"""The run loop: build every image, then start them round by round and measure each start.

One run: create (labelled) → attach to its output → start → wait for the probe → wait ``settle`` →
sample memory and CPU → remove. Images are interleaved run by run (A B C A B C …), so that drift
on a shared machine spreads over all of them instead of landing on whichever image ran last.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
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
from cprofiler.builder import BuiltImage, build_image
from cprofiler.engine import LABEL_IMAGE, Engine
from cprofiler.environment import host_facts
from cprofiler.errors import CprofilerError, Interrupted
from cprofiler.measure.memory import Cgroup, MemorySample, from_engine_stats
from cprofiler.measure.probes import Probe, Target, Watch, make_probe
from cprofiler.measure.probes.base import STAMP_RE
from cprofiler.reaper import own_labels
from cprofiler.results import ImageResult, Measurement, RunLog, RunResult
from cprofiler.schema import ImageSpec, LoadedScenario

#: Output lines kept per run for crash reports; older lines are dropped (a flood stays bounded).
LOG_TAIL_LINES = 20
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


def new_invocation_id() -> str:
    return uuid.uuid4().hex[:12]


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class ContainerSet:
    """The containers this invocation has made and not yet removed; removed on every way out."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
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
        with self._lock:
            ids = list(self._ids)
        for cid in ids:
            try:
                self.remove(cid)
            except CprofilerError:
                pass  # the engine is gone; `cprofiler clean` reaps it later


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
        self.containers = ContainerSet(engine)
        # Probing inside the container's network namespace needs root and an engine on this host;
        # it avoids published ports (no collisions, no userland proxy answering for the app).
        self.use_netns = os.geteuid() == 0 and engine.is_local() and os.path.exists("/proc/self/ns/net")
        self.labels = own_labels(self.invocation)

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

    def _build(self, name: str, spec: ImageSpec) -> BuiltImage:
        on_line: Callable[[str], None] = lambda line: self.reporter.building(name, line)  # noqa: E731
        return build_image(self.engine, name, spec, invocation=self.invocation, offline=self.config.offline, on_line=on_line)

    # --- one run --------------------------------------------------------------------------------

    def run_once(self, img: PreparedImage, index: int) -> RunResult:
        """Start one container of ``img`` and measure it; the container is gone when this returns."""
        spec = img.spec
        probe = make_probe(spec.ready)
        watch = Watch()
        res = RunResult(image=img.name, index=index, probe_via="netns" if self.use_netns else "published-port")
        tail: deque[str] = deque(maxlen=LOG_TAIL_LINES)
        publish = None if self.use_netns else probe.ports()
        labels = {**self.labels, LABEL_IMAGE: img.name}

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
            t2 = time.monotonic_ns()
            self.engine.start(cid)
            res.start_ms = (time.monotonic_ns() - t2) / 1e6
            waiter = threading.Thread(target=self._wait_exit, args=(cid, probe, watch), daemon=True)
            waiter.start()
            if probe.ports():
                state = self.engine.state(cid)
                if state.running:  # else it has exited already, and the waiter reports it
                    probe.begin(watch, self._target(cid, state.pid, probe))
            remaining = self.config.timeout_s - (time.monotonic_ns() - t0) / 1e9
            watch.done.wait(max(remaining, 0))
            self._classify(res, watch, cid, t0)
            if res.status == "ok" and spec.ready.kind != "exit":
                self._sample(res, cid, watch)
            elif res.status == "ok":
                res.notes.append("memory not sampled: an exit-probe container is gone once it is ready")
            if res.status != "ok":
                reader.join(timeout=1.0)  # let the last lines of a dying container arrive
                res.log_tail = list(tail)
        finally:
            watch.stop.set()
            self.containers.remove(cid)
        return res

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
        with _signals_raise():
            prepared = self.prepare()
            measurement = Measurement(
                environment=self.environment(),
                settings=self.settings(),
                started_at=started,
                images=[_image_result(p) for p in prepared],
            )
            by_name = {r.name: r for r in measurement.images}
            names = [p.name for p in prepared]
            imgs = {p.name: p for p in prepared}
            log = RunLog(self.jsonl_path(started), {"invocation": self.invocation, **measurement.to_json()})
            self.log_path = log.path
            self.reporter.runs_planned(len(names) * (cfg.runs + cfg.warmup))
            try:
                order = [(r, False) for r in stats.shuffled_rounds(names, cfg.warmup, shuffle=cfg.shuffle, seed=cfg.seed)]
                order += [(r, True) for r in stats.shuffled_rounds(names, cfg.runs, shuffle=cfg.shuffle, seed=cfg.seed)]
                counters = dict.fromkeys(names, 0)
                for round_names, measured in order:
                    for name in round_names:
                        index = counters[name] if measured else -1
                        run = self.run_once(imgs[name], index)
                        if measured:
                            counters[name] += 1
                            by_name[name].runs.append(run)
                            log.run(run)
                        self.reporter.run_done(run, warmup=not measured)
            except BaseException as exc:
                measurement.interrupted = _why(exc)
                raise
            finally:
                self.containers.remove_all()
                measurement.finished_at = _now_iso()
                log.write({"type": "end", "finished_at": measurement.finished_at, "interrupted": measurement.interrupted})
                log.close()
                self.measurement = measurement
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
            "cold": "warm",
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
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (SIGINT)"
    return str(exc) or type(exc).__name__


class _signals_raise:
    """Turn SIGTERM into an exception in the main thread, like Ctrl-C, so clean-up runs."""

    def __enter__(self) -> None:
        self._old: Any = None
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGTERM, self._raise)

    @staticmethod
    def _raise(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signum, "interrupted by SIGTERM")

    def __exit__(self, *exc: object) -> None:
        if self._old is not None:
            signal.signal(signal.SIGTERM, self._old)
