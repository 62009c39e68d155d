"""The measured window of one load step, anchored to the generator's requests.

The container's CPU and working-set peak are read over the time the generator sends measured
requests, not over the generator's whole life: its start-up and warm-up come before (the window
opens ``offset_s`` after it starts) and its result crunching after (the window closes
``duration_s`` later, or when it exits if that comes first). Reading them around the process
diluted the CPU figure by that idle time (Go read 0.986 cores where Python read 0.999).

At both ends the window also reads ``/proc/stat`` and the generator's own CPU time, for the
generator's share of its CPUs and for the share other work took (``interference``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from cprofiler.measure.load.interference import CpuTicks, other_cpu_share, process_cpu_s, read_proc_stat
from cprofiler.measure.load.sampler import StepFigures, StepSampler
from cprofiler.results.load import GENERATOR_CPU_BOUND_SHARE, Ceiling, generator_bound


@dataclass(frozen=True)
class WindowFigures:
    """What was read over one window, and what the generator cost."""

    #: The container's figures over the window (None: its cgroup is not visible, or the window never opened).
    figures: StepFigures | None
    #: Length of the window the container's figures were read over, in seconds.
    cpu_window_s: float | None
    #: CPU time of the generator over its whole run (rusage, user + system), in seconds.
    generator_cpu_s: float | None
    #: The generator's CPU time within the window over its CPUs' time in it, from 0 to 1.
    generator_cpu_share: float | None
    #: Share of the server's and generator's CPUs' time other work took in the window, from 0 to 1.
    other_cpu_share: float | None


@dataclass
class _End:
    t_ns: int
    ticks: dict[int, CpuTicks] | None
    generator_cpu_s: float | None


class LoadWindow:
    """A ``RunWatch`` that opens the sampler ``offset_s`` after the generator starts and closes it
    ``duration_s`` later (or when the generator exits)."""

    def __init__(
        self,
        sampler: StepSampler | None,
        *,
        offset_s: float,
        duration_s: float,
        server_cpus: Sequence[int],
        generator_cpus: Sequence[int],
    ) -> None:
        self.sampler = sampler
        self.offset_s = offset_s
        self.duration_s = duration_s
        self.server_cpus = list(server_cpus)
        self.generator_cpus = list(generator_cpus)
        self._lock = threading.Lock()
        self._exited = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._start: _End | None = None
        self._stop: _End | None = None
        self._figures: StepFigures | None = None
        self._rusage_cpu_s: float | None = None

    def launched(self, pid: int) -> None:
        self._pid = pid
        self._thread = threading.Thread(target=self._run, name="cprofiler-load-window", daemon=True)
        self._thread.start()

    def exited(self, cpu_s: float) -> None:
        self._rusage_cpu_s = cpu_s
        self._exited.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._close()  # the generator ended before its window did: close it now

    def result(self) -> WindowFigures:
        """The window's figures; call after the generator has exited."""
        self._close()
        start, stop = self._start, self._stop
        window_s = (stop.t_ns - start.t_ns) / 1e9 if start and stop else None
        if self._figures is not None:
            window_s = self._figures.elapsed_s  # what the container's CPU was divided by
        gen_share = other = None
        if start and stop and window_s:
            gen_s = None
            if start.generator_cpu_s is not None and stop.generator_cpu_s is not None:
                gen_s = stop.generator_cpu_s - start.generator_cpu_s
                gen_share = min(max(gen_s / (len(self.generator_cpus) * window_s), 0.0), 1.0)
            if start.ticks and stop.ticks and gen_s is not None and self._figures is not None:
                own = (self._figures.cpu_cores or 0.0) * self._figures.elapsed_s + gen_s + self._figures.sampler_cpu_s
                cpus = sorted(set(self.server_cpus) | set(self.generator_cpus))
                other = other_cpu_share(start.ticks, stop.ticks, cpus, own)
        return WindowFigures(self._figures, window_s, self._rusage_cpu_s, gen_share, other)

    def _run(self) -> None:
        if self._exited.wait(self.offset_s):
            return  # it exited before its measured requests began
        with self._lock:
            self._start = self._mark()
            if self.sampler is not None:
                self.sampler.start()
        self._exited.wait(self.duration_s)
        self._close()

    def _close(self) -> None:
        with self._lock:
            if self._start is None or self._stop is not None:
                return
            self._stop = self._mark()  # before the sampler's stop, which waits for its thread
            if self.sampler is not None:
                self._figures = self.sampler.stop()

    def _mark(self) -> _End:
        # Once reaped, the generator's /proc entry is gone: its rusage is its CPU time at the end.
        gen = process_cpu_s(self._pid) if self._pid else None
        return _End(time.monotonic_ns(), read_proc_stat(), gen if gen is not None else self._rusage_cpu_s)


def is_generator_bound(cpu_share: float | None, qps: float | None, ceiling: Ceiling | None) -> bool:
    """True when a step measured the generator: it used at least GENERATOR_CPU_BOUND_SHARE of its
    CPUs in the window, or ``qps`` is above GENERATOR_BOUND_SHARE of the ceiling."""
    return (cpu_share is not None and cpu_share >= GENERATOR_CPU_BOUND_SHARE) or generator_bound(qps, ceiling)
