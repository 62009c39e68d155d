"""What every probe shares: the run's watch, the registry, and connect-polling in a netns.

No probe spins a core. The log and exit probes block on the engine's streams; the http and tcp
probes try to connect once every ``POLL_INTERVAL_S`` and sleep in between, so readiness is seen at
most one interval (plus one attempt) after it happens, at a cost of one loopback connect per
interval.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from cprofiler.scenario.model import ReadySpec

#: Pause between two connection attempts of the http and tcp probes, in seconds.
POLL_INTERVAL_S = 0.001
#: Nice value of a probe's polling thread (Linux sets it per thread; lowering it needs root). The
#: instant an app becomes ready is the busiest of the whole start (engine, runtime and app all run),
#: and on a loaded 2-core machine a normal thread's 1 ms wake-up then slips by several ms; at -10
#: the scheduler runs it first. It wakes 1000 times a second for ~40 µs, so it takes little.
PROBE_NICE: int | None = -10
#: A line of this form in the container's output says when the app was ready, on the host's
#: CLOCK_MONOTONIC (containers share it): ``ready monotonic_ns=123456789``.
STAMP_RE = re.compile(rb"monotonic_ns=(\d{1,20})")

#: How long a Python thread may hold the interpreter while another waits, while measuring, in
#: seconds. CPython's default is 5 ms: a probe thread that wakes while a sampler or the main thread
#: runs Python code waits up to that long for its turn, and the wait is read as start time (probe
#: lag p95 4–5 ms with the 20 Hz samplers). At 0.5 ms a probe's turn comes within its 1 ms poll.
SWITCH_INTERVAL_S = 0.0005

_CLONE_NEWNET = 0x40000000


@contextlib.contextmanager
def quick_thread_switches() -> Iterator[None]:
    """Run the block with ``SWITCH_INTERVAL_S`` as the interpreter's switch interval, then restore it."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, SWITCH_INTERVAL_S))
    try:
        yield
    finally:
        sys.setswitchinterval(before)


class Watch:
    """The shared state of one run while it waits: who saw what, when (monotonic ns)."""

    def __init__(self) -> None:
        #: Set at the first of: ready, exited, probe failure.
        self.done = threading.Event()
        #: Set when the container has exited.
        self.exited = threading.Event()
        #: Set when the run is over: probe threads stop.
        self.stop = threading.Event()
        #: Set when the app's ``monotonic_ns=`` stamp has arrived (it may come after a fast probe).
        self.stamped = threading.Event()
        self._lock = threading.Lock()
        self.ready_ns: int | None = None
        self.exit_ns: int | None = None
        self.exit_code: int | None = None
        self.app_ready_ns: int | None = None
        self.probe_error: str | None = None

    def mark_ready(self, t_ns: int) -> None:
        with self._lock:
            if self.ready_ns is None and self.exit_ns is None:
                self.ready_ns = t_ns
        self.done.set()

    def mark_exit(self, t_ns: int, code: int | None) -> None:
        with self._lock:
            if self.exit_ns is None:
                self.exit_ns, self.exit_code = t_ns, code
        self.exited.set()
        self.done.set()

    def mark_stamp(self, stamp_ns: int) -> None:
        with self._lock:
            if self.app_ready_ns is None:
                self.app_ready_ns = stamp_ns
        self.stamped.set()

    def fail(self, message: str) -> None:
        with self._lock:
            self.probe_error = self.probe_error or message
        self.done.set()


@dataclass(frozen=True)
class Target:
    """How to reach a container's ports: inside its network namespace, or at published host ports."""

    #: ``/proc/PID/ns/net`` of the container; when set, probes connect to 127.0.0.1 inside it.
    netns: str | None = None
    #: Container port → host port on 127.0.0.1 (used when ``netns`` is None).
    published: dict[int, int] | None = None

    def address(self, port: int) -> tuple[str, int]:
        if self.netns:
            return ("127.0.0.1", port)
        assert self.published is not None and port in self.published
        return ("127.0.0.1", self.published[port])


def _renice_this_thread(nice: int) -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except OSError:
        pass  # not permitted: the probe still works, only its wake-ups may be late on a busy machine


def _enter_netns(path: str) -> None:
    """Move the calling thread (only) into the network namespace at ``path``."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, _CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({path}): {os.strerror(err)}")
    finally:
        os.close(fd)


class Probe:
    """A way to tell that a container is ready; each kind registers in ``PROBES`` (registry.py)."""

    def __init__(self, spec: ReadySpec) -> None:
        self.spec = spec

    def ports(self) -> list[int]:
        """Container ports this probe connects to (published only without netns access)."""
        return []

    def on_line(self, watch: Watch, t_ns: int, line: bytes) -> None:
        """Called by the log reader for each output line, stamped when it arrived."""

    def on_exit(self, watch: Watch, t_ns: int, code: int | None) -> None:
        """Called when the container exits; by default an exit is never readiness."""
        watch.mark_exit(t_ns, code)

    def begin(self, watch: Watch, target: Target) -> None:
        """Called right after start; connect-based probes start polling here."""


def poll_connect(watch: Watch, target: Target, port: int, attempt: Callable[[socket.socket], bool]) -> None:
    """Start a thread that connects to ``port`` every POLL_INTERVAL_S until ``attempt`` says ready.

    ``attempt`` gets a connected socket and returns True when the container is ready; the ready
    instant is taken right after it returns. The thread enters the container's network namespace
    first when ``target.netns`` is set (a socket belongs to the namespace it was created in).
    """

    def loop() -> None:
        try:
            if target.netns:
                _enter_netns(target.netns)
            addr = target.address(port)
            if PROBE_NICE is not None:
                _renice_this_thread(PROBE_NICE)
        except Exception as exc:  # noqa: BLE001 - reported as the run's error
            watch.fail(f"probe could not reach the container: {exc}")
            return
        while not watch.stop.is_set() and not watch.done.is_set():
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                    s.settimeout(2.0)
                    s.connect(addr)
                    if attempt(s):
                        watch.mark_ready(time.monotonic_ns())
                        return
            except OSError:
                pass
            # A plain sleep: Event.wait with a timeout costs ~30 µs of CPU per call in CPython, a sleep
            # ~3 µs, and the loop checks stop and done on every turn anyway.
            time.sleep(POLL_INTERVAL_S)

    threading.Thread(target=loop, name="cprofiler-probe", daemon=True).start()
