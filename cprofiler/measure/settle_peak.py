"""The working set's peak over the settle window, sampled fast enough to see short bursts.

One snapshot at the end of settle misses what a runtime allocates and frees while it settles (a
JIT warming up, a cache filled then trimmed). The VPA recommender sizes memory from peaks, so
cprofiler samples the working set (usage − inactive file, as the kubelet computes it) every
``SETTLE_SAMPLE_INTERVAL_S`` from ready until settle ends and keeps the highest value. A burst
shorter than the interval can still fall between two samples; the cgroup's own peak
(``peak_bytes``) counts every page ever charged, page cache included, so it is the limit's basis.
"""

from __future__ import annotations

import threading
import time

from cprofiler.measure.memory import Cgroup, WorkingSetReader

#: Pause between two working-set samples while settling, in seconds (20 Hz: a burst that lasts longer
#: than this is always sampled, and a sample is two small file reads, so the sampling costs little).
SETTLE_SAMPLE_INTERVAL_S = 0.05


def working_set_bytes(cgroup: Cgroup) -> int | None:
    """The cgroup's working set now, in bytes (two small file reads; no PSS)."""
    with WorkingSetReader(cgroup) as reader:
        return reader.working_set_bytes()


def wait_settle(cgroup: Cgroup | None, exited: threading.Event, settle_s: float) -> tuple[bool, int | None]:
    """Wait ``settle_s`` seconds, or until ``exited`` is set, sampling the working set meanwhile.

    Return ``(exited, peak working set in bytes)``; the peak is None without a cgroup to read.
    The two files are kept open over the window (:class:`cprofiler.measure.memory.WorkingSetReader`).
    """
    if cgroup is None:
        return exited.wait(settle_s), None
    with WorkingSetReader(cgroup) as reader:
        return _sample_until(reader, exited, time.monotonic() + settle_s)


def _sample_until(reader: WorkingSetReader, exited: threading.Event, deadline: float) -> tuple[bool, int | None]:
    peak = reader.working_set_bytes()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False, peak
        if exited.wait(min(SETTLE_SAMPLE_INTERVAL_S, remaining)):
            return True, peak
        ws = reader.working_set_bytes()
        if ws is not None:
            peak = ws if peak is None else max(peak, ws)
