"""What one run is on every backend: the invocation it belongs to, its subject, how its output is captured and read by its
probe, how a run that never became ready is classified, and how it ends.

Docker's ``Starter`` and Kubernetes' ``PodStarter`` both use these, so a bound set here (on a line's
length, on the kept tail, on a log regex's backtracking through ``measure.probes``) holds for both.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from cprofiler import reaper
from cprofiler.errors import CprofilerError
from cprofiler.images.build import BuiltImage
from cprofiler.measure.probes import Probe, Watch
from cprofiler.measure.probes.base import STAMP_RE
from cprofiler.measure.signals import SignalGuard
from cprofiler.results.kinds import RunStatus
from cprofiler.results.model import RunResult
from cprofiler.scenario.loadspec import LoadSpec
from cprofiler.scenario.model import ImageSpec

#: Output lines kept per run for crash reports; older lines are dropped (a flood stays bounded).
LOG_TAIL_LINES = 20
#: Longest output line kept in a run's ``log_tail``, in bytes; the rest of it is counted, not kept.
LOG_LINE_KEEP_BYTES = 2048
#: Most bytes of output kept in a run's ``log_tail`` in all: the newest lines that fit. Twenty lines
#: of up to LOG_LINE_KEEP_BYTES each would still be 40 KiB in every failed run of the results.
LOG_TAIL_BYTES = 16 * 1024
#: How long a run waits after ready for the app's ``monotonic_ns=`` line, which travels through the
#: output stream and may arrive after a fast probe has seen the app ready, in seconds.
STAMP_GRACE_S = 0.25
#: Longest output line read whole; a longer one is cut, so a line without newline cannot grow forever.
MAX_LINE_BYTES = 64 * 1024


@dataclass(frozen=True)
class Invocation:
    """This process's measurement as a backend sees it: who owns what it starts, and how it talks."""

    #: Labels every container and pod of this process (``cprofiler.invocation``).
    id: str
    #: Holds signals while a run's container or pod is being recorded.
    signals: SignalGuard = field(default_factory=SignalGuard)
    #: Where a backend's progress lines go (the reporter's ``message``).
    say: Callable[[str], None] = lambda _text: None
    #: ``reaper.own_labels(id)``: what ties a container or pod to this process.
    labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.labels:
            object.__setattr__(self, "labels", reaper.own_labels(self.id))


@dataclass(frozen=True)
class Subject:
    """An image under measurement: its row name, its scenario spec, and the image that was built.

    An image with a list of ``cpus`` is one subject per value (``web@cpus=0.5``), each with that value.
    """

    name: str
    spec: ImageSpec
    built: BuiltImage
    #: The scenario's name for the image (equal to ``name`` unless the image has a ``cpus`` list).
    scenario_name: str = ""
    #: Its load phase, or None.
    load: LoadSpec | None = None
    #: CPUs its containers are pinned to (``0``, ``0-2``); None: any. Set for load steps.
    cpuset: str | None = None

    @property
    def cpus(self) -> float | None:
        """The CPU cap of this row, in cores (a ``cpus`` list is split into one subject per value)."""
        return self.spec.cpus if not isinstance(self.spec.cpus, list) else None


@dataclass(frozen=True)
class RunTiming:
    """How long one run may take to be ready, and waits once it is, on every backend."""

    #: Longest wait for ready, from just before the create call, in seconds.
    timeout_s: float
    #: Wait after ready before memory is read, in seconds.
    settle_s: float


@dataclass(frozen=True)
class NotReady:
    """What was seen of a run that never became ready, as either backend observed it."""

    exited: bool
    exit_code: int | None
    oom_killed: bool
    probe_error: str | None
    #: The error of a timeout (``not ready within 30 s``).
    timeout: str


def mark_not_ready(res: RunResult, seen: NotReady) -> None:
    """The status and error of a run that never became ready, on either backend: an exit explains
    it best (OOM-killed, else crashed), then a probe's error, else a timeout."""
    if seen.exited:
        res.exit_code = seen.exit_code
        if seen.oom_killed:
            res.status, res.error = RunStatus.OOMKILLED, "killed by its memory limit before it was ready"
        else:
            res.status, res.error = RunStatus.CRASHED, f"exited with code {seen.exit_code} before it was ready"
    elif seen.probe_error:
        res.status, res.error = RunStatus.ERROR, seen.probe_error
    else:
        res.status, res.error = RunStatus.TIMEOUT, seen.timeout


def end_run(watch: Watch, remove: Callable[[], None]) -> None:
    """The end of every run, on either backend, called from its ``finally``: stop the run's threads,
    then ``remove`` its container or pod. A fault while removing is raised only when the run itself
    did not fail; else the run's own error says more (most likely the engine or the API server went
    away), the id stays recorded, and the set's ``remove_all`` tries again."""
    failing = sys.exc_info()[1] is not None
    watch.stop.set()
    try:
        remove()
    except CprofilerError:
        if not failing:
            raise


def read_output(chunks: Iterator[bytes], probe: Probe, watch: Watch, tail: deque[str]) -> None:
    """Read a run's output to its end: keep its tail, note the app's
    ``monotonic_ns=`` stamp, and hand each line to the run's probe (the log probe matches it, with
    its time bound). It reads on after the run is over, until the stream ends: an engine whose
    attach stream is not drained cannot finish removing the container (a flood would stall it)."""
    for t_ns, line in split_lines(chunks):
        tail.append(kept_line(line))
        if watch.app_ready_ns is None:
            m = STAMP_RE.search(line)
            if m:
                watch.mark_stamp(int(m.group(1)))
        if watch.ready_ns is None:
            probe.on_line(watch, t_ns, line)


def kept_line(line: bytes) -> str:
    """One output line as a run keeps it: at most LOG_LINE_KEEP_BYTES, saying how much was cut."""
    line = line.rstrip(b"\r")
    if len(line) <= LOG_LINE_KEEP_BYTES:
        return line.decode("utf-8", "replace")
    return line[:LOG_LINE_KEEP_BYTES].decode("utf-8", "replace") + f" … [{len(line) - LOG_LINE_KEEP_BYTES} more bytes]"


def kept_tail(lines: list[str]) -> list[str]:
    """The newest of ``lines`` whose UTF-8 bytes add up to LOG_TAIL_BYTES at most, oldest first."""
    kept: list[str] = []
    total = 0
    for line in reversed(lines):
        total += len(line.encode("utf-8", "replace")) + 1
        if total > LOG_TAIL_BYTES:
            break
        kept.append(line)
    return kept[::-1]


def split_lines(chunks: Iterator[bytes]) -> Iterator[tuple[int, bytes]]:
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
