"""Launching a load generator so that its own cost is measured: its pid while it runs, its rusage after.

The generator's CPU time (user + system, from ``os.wait4``) tells whether a step measured the
image or the generator: a generator that used its CPUs fully was the limit. ``wait4`` gives the
rusage of exactly that child (``nsenter`` and ``taskset`` execute it in place), which
``subprocess`` would discard. Output goes to files rather than pipes, so that nothing has to
drain them while this thread waits.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from typing import Protocol

from cprofiler.measure.children import spawn


class RunWatch(Protocol):
    """Told when a generator process starts and when it has exited (``measure/load/window.py``)."""

    def launched(self, pid: int) -> None:
        """The generator runs as ``pid``; called right after it was started."""

    def exited(self, cpu_s: float) -> None:
        """The generator has exited, having used ``cpu_s`` seconds of CPU (user + system)."""


@dataclass(frozen=True)
class Finished:
    """A generator process that ran to its end or was killed."""

    stdout: str
    stderr: str
    #: Exit code; negative: the signal that killed it.
    code: int
    #: CPU time it used, user + system, in seconds.
    cpu_s: float
    #: True when it outlived its hard timeout and was killed.
    timed_out: bool


def run_measured(cmd: list[str], *, timeout_s: float, pass_fds: tuple[int, ...] = (), watch: RunWatch | None = None) -> Finished:
    """Run ``cmd`` in a session of its own and wait for it with ``os.wait4``; kill its process group
    at ``timeout_s`` or when this thread is interrupted. Raises OSError when it cannot be started.

    Waited for in the calling thread, which must be the one that outlives it (see ``children``).
    """
    with tempfile.TemporaryFile("w+", errors="replace") as out, tempfile.TemporaryFile("w+", errors="replace") as err:
        proc = spawn(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, pass_fds=pass_fds, start_new_session=True)
        expired = threading.Event()

        def kill() -> None:
            expired.set()
            _kill_group(proc.pid)

        timer = threading.Timer(timeout_s, kill)
        timer.daemon = True
        timer.start()
        try:
            if watch is not None:
                watch.launched(proc.pid)
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            _kill_group(proc.pid)  # an interrupt must not leave a generator loading a container
            os.wait4(proc.pid, 0)
            proc.returncode = -signal.SIGKILL
            raise
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        cpu_s = usage.ru_utime + usage.ru_stime
        if watch is not None:
            watch.exited(cpu_s)
        out.seek(0)
        err.seek(0)
        return Finished(out.read(), err.read(), proc.returncode, cpu_s, expired.is_set())


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # already gone
