"""A scenario's log regex, matched where it cannot hold cprofiler up.

Why: Python's ``re`` holds the GIL for the whole of one match, and a regex that backtracks
catastrophically (``(a+)+$`` against thirty ``a`` and a ``!``) takes seconds to centuries; no other
thread of cprofiler runs meanwhile, so the readiness timeout and Ctrl-C waited for it (17 s late).
So the match runs in a small worker process, one per pattern, started once and reused by every
run: the output reader sends it a line and waits for the answer on a pipe, which releases the GIL,
for at most ``MATCH_TIMEOUT_S``. A worker that takes longer is killed and the line counts as no
match, and the caller is told (:class:`RegexTooSlow`). The worker also bounds itself: an alarm
interrupts its own match (``re`` checks for signals while it backtracks), and it exits when
cprofiler's end of the pipe closes, so it never outlives cprofiler by more than that.
"""

from __future__ import annotations

import atexit
import os
import select
import struct
import subprocess
import sys
import threading

#: Longest one line may take to match, in seconds; a regex that needs more backtracks
#: catastrophically (a sane one takes microseconds on a 64 KiB line).
MATCH_TIMEOUT_S = 1.0

# The worker: read the pattern, then lines (4-byte length, UTF-8); answer b"1", b"0", or b"T"
# when its own alarm cut a match short. -I -S: no site, no environment, a fast start.
_WORKER = r"""
import re, signal, struct, sys
class Slow(Exception): pass
def alarm(signum, frame): raise Slow()
signal.signal(signal.SIGALRM, alarm)
signal.signal(signal.SIGINT, signal.SIG_IGN)
inp, out = sys.stdin.buffer, sys.stdout.buffer
def read():
    head = inp.read(4)
    if len(head) < 4: sys.exit(0)
    return inp.read(struct.unpack(">I", head)[0]).decode("utf-8", "replace")
pattern = re.compile(read())
limit = float(sys.argv[1])
while True:
    line = read()
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        answer = b"1" if pattern.search(line) else b"0"
    except Slow:
        answer = b"T"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    out.write(answer); out.flush()
"""


class RegexTooSlow(Exception):
    """One line took longer than MATCH_TIMEOUT_S to match."""


class BoundedRegex:
    """``search(line)`` of one pattern, in a worker process, at most MATCH_TIMEOUT_S per line."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def _send(self, data: bytes) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(struct.pack(">I", len(data)) + data)
        self._proc.stdin.flush()

    def _worker(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _WORKER, str(MATCH_TIMEOUT_S)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                # Its own session: a Ctrl-C at the terminal is cprofiler's to handle, not the worker's.
                start_new_session=True,
            )
            self._send(self.pattern.encode("utf-8", "surrogatepass"))
        return self._proc

    def start(self) -> None:
        """Start the worker now (it takes ~10 ms of CPU), before a run's clock starts."""
        with self._lock:
            self._worker()

    def search(self, line: bytes) -> bool:
        """Whether the pattern matches somewhere in ``line`` (decoded as UTF-8, errors replaced).

        Raises RegexTooSlow when the match takes longer than MATCH_TIMEOUT_S; the worker is then
        gone, and the next call starts a fresh one.
        """
        with self._lock:
            proc = self._worker()
            assert proc.stdout is not None
            try:
                self._send(line)
                ready, _, _ = select.select([proc.stdout], [], [], MATCH_TIMEOUT_S + 0.5)
                answer = os.read(proc.stdout.fileno(), 1) if ready else b""
            except OSError:
                answer = b""
            if answer in (b"0", b"1"):
                return answer == b"1"
            self.close()
            raise RegexTooSlow(
                f"ready.log: matching {self.pattern[:60]!r} against one output line took over {MATCH_TIMEOUT_S:g} s; "
                "the regular expression backtracks catastrophically: simplify it (no nested repeats such as (a+)+)"
            )

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.kill()
            proc.wait()
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    try:
                        stream.close()
                    except OSError:
                        pass  # a write into a killed worker's pipe may still be pending


_workers: dict[str, BoundedRegex] = {}
_workers_lock = threading.Lock()


def bounded(pattern: str) -> BoundedRegex:
    """The one BoundedRegex of ``pattern`` in this process, its worker started on first use."""
    with _workers_lock:
        found = _workers.get(pattern)
        if found is None:
            found = _workers[pattern] = BoundedRegex(pattern)
        return found


@atexit.register
def _close_all() -> None:
    with _workers_lock:
        for worker in _workers.values():
            worker.close()
        _workers.clear()
