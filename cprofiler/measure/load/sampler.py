"""What the kernel says about a container during one load step: CPU, throttling, memory, tasks.

CPU and throttling are counters, read once before and once after the step; their deltas over the
step's wall time give cores and throttled periods and time. Memory is a level, so a thread samples
the working set every ``INTERVAL_S`` (20 Hz) and keeps the highest. A spike shorter than an
interval would slip between two samples, so the kernel's own high-water mark is reset before the
step and read after it: the step's peak is the larger of the highest sample and that mark less the
least inactive file cache sampled (the mark counts usage; the working set excludes inactive cache).
Where the mark cannot be reset (cgroup v2), it also holds the start's peak and is left out, with a
note.

The sampling thread can be pinned to CPUs (the generator's), so that its reads take no time from
the container it measures; it sleeps between samples with ``time.sleep``, which costs about half
the CPU of an ``Event.wait`` with a timeout per wake-up, and keeps the two cgroup files it reads
open (:class:`cprofiler.measure.memory.WorkingSetReader`), looking up only the inactive-file line
of ``memory.stat``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from cprofiler.measure.memory import Cgroup, WorkingSetReader, from_figures

#: Seconds between two memory samples: 20 Hz, twice the 10 Hz the load phase promises.
INTERVAL_S = 0.05
#: Sampling stops by itself after this many seconds, should nobody stop it.
MAX_SAMPLING_S = 3600.0


@dataclass(frozen=True)
class StepFigures:
    """The container's figures over one step, from its cgroup."""

    #: Container CPU time over the step divided by its wall time, in cores.
    cpu_cores: float | None
    #: CFS periods throttled during the step, a count.
    throttled_periods: int | None
    #: Time throttled during the step, in milliseconds.
    throttled_ms: float | None
    #: Highest working set during the step, in bytes (see the module docstring).
    working_set_peak_bytes: int | None
    #: Working set when the step ended, in bytes.
    working_set_end_bytes: int | None
    #: RSS (anonymous + mapped file) when the step ended, in bytes.
    rss_end_bytes: int | None
    #: Tasks (processes and threads) when the step ended, a count.
    pids: int | None
    #: Memory samples taken, a count.
    samples: int
    #: Wall time between start and stop, in seconds.
    elapsed_s: float
    #: CPU time the sampling thread itself used, in seconds.
    sampler_cpu_s: float
    #: Why a figure is missing or how it was obtained.
    notes: list[str] = field(default_factory=list)


class StepSampler:
    """Samples one container's cgroup from ``start()`` to ``stop()`` in a thread of its own."""

    def __init__(self, cgroup: Cgroup, *, interval_s: float = INTERVAL_S, cpus: Sequence[int] | None = None) -> None:
        """Sample ``cgroup`` every ``interval_s``; the sampling thread runs on ``cpus`` when given."""
        self.cgroup = cgroup
        self.interval_s = interval_s
        self.cpus = list(cpus) if cpus else None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ws_max: int | None = None
        self._inactive_min: int | None = None
        self._samples = 0
        self._thread_cpu_s = 0.0
        self._peak_reset = False
        self._t0_ns = 0
        self._cpu0_ns: int | None = None
        self._throttle0: tuple[int, int] | None = None

    def start(self) -> None:
        """Reset the kernel's high-water mark, read the counters, and begin sampling."""
        self._peak_reset = self.cgroup.reset_peak()
        self._t0_ns = time.monotonic_ns()
        self._cpu0_ns = self.cgroup.cpu_ns()
        self._throttle0 = self.cgroup.throttling()
        self._thread = threading.Thread(target=self._loop, name="cprofiler-load-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> StepFigures:
        """Stop sampling and return the step's figures."""
        # The counters first: the thread may sleep up to an interval before it sees the stop.
        elapsed_s = (time.monotonic_ns() - self._t0_ns) / 1e9
        cpu1_ns = self.cgroup.cpu_ns()
        throttle1 = self.cgroup.throttling()
        usage, stat = self.cgroup.memory_usage()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval_s + 5)
        end = from_figures(usage, stat, None, v2=self.cgroup.version == 2)
        self._take(usage, stat)  # the end is a sample too
        notes: list[str] = []

        cpu_cores = None
        if self._cpu0_ns is not None and cpu1_ns is not None and elapsed_s > 0:
            cpu_cores = (cpu1_ns - self._cpu0_ns) / 1e9 / elapsed_s
        periods = throttled_ms = None
        if self._throttle0 is not None and throttle1 is not None:
            periods = throttle1[0] - self._throttle0[0]
            throttled_ms = (throttle1[1] - self._throttle0[1]) / 1e6
        else:
            notes.append("throttled_periods is null: the cgroup's cpu.stat is not visible")

        peak = self._ws_max
        kernel = self.cgroup.peak() if self._peak_reset else None
        if kernel is not None:
            # The mark counts usage; at its instant the inactive cache was at least the least sampled.
            candidate = max(kernel - (self._inactive_min or 0), 0)
            peak = candidate if peak is None else max(peak, candidate)
        else:
            notes.append(
                "working_set_peak_bytes is the highest of samples every "
                f"{self.interval_s * 1000:.0f} ms: the kernel's high-water mark could not be reset before the step"
            )
        return StepFigures(
            cpu_cores=cpu_cores,
            throttled_periods=periods,
            throttled_ms=throttled_ms,
            working_set_peak_bytes=peak,
            working_set_end_bytes=end.working_set_bytes,
            rss_end_bytes=end.rss_bytes,
            pids=self.cgroup.tasks(),
            samples=self._samples,
            elapsed_s=elapsed_s,
            sampler_cpu_s=self._thread_cpu_s,
            notes=notes,
        )

    def _loop(self) -> None:
        if self.cpus:
            try:
                os.sched_setaffinity(threading.get_native_id(), self.cpus)  # this thread only
            except OSError:
                pass  # CPUs not ours to use: sample from wherever the scheduler puts us
        # Each turn is scheduled from the start, so that slow reads do not stretch the interval.
        started = time.monotonic()
        turn = 0
        reader = WorkingSetReader(self.cgroup)
        try:
            while not self._stop.is_set() and time.monotonic() - started < MAX_SAMPLING_S:
                self._take(*reader.read())
                turn += 1
                delay = started + turn * self.interval_s - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
        finally:
            reader.close()
            self._thread_cpu_s = time.thread_time()

    def _take(self, usage: int | None, stat: dict[str, int]) -> None:
        if usage is None:
            return  # the cgroup is gone: the container stopped
        ws = from_figures(usage, stat, None, v2=self.cgroup.version == 2).working_set_bytes
        inactive = stat.get("inactive_file" if self.cgroup.version == 2 else "total_inactive_file", 0)
        self._samples += 1
        if ws is not None:
            self._ws_max = ws if self._ws_max is None else max(self._ws_max, ws)
        self._inactive_min = inactive if self._inactive_min is None else min(self._inactive_min, inactive)
