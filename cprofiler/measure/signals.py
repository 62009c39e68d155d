"""Where SIGINT, SIGTERM and SIGHUP may interrupt a measurement, and what an interruption is called."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

from cprofiler.errors import Interrupted, Signalled


def why_stopped(exc: BaseException) -> str:
    if isinstance(exc, Interrupted):
        return str(exc)
    if isinstance(exc, Signalled):
        return exc.describe()
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (SIGINT)"
    return str(exc) or type(exc).__name__


class SignalGuard:
    """SIGINT, SIGTERM and SIGHUP raise ``Signalled`` in the main thread, but only where that is safe.

    SIGHUP is what a dropped ssh session or a closed terminal sends: its default action kills the
    process at once, leaving its containers, its load generator and temporary folders behind and
    its run log without an end record, so it is handled as SIGTERM is (exit 129).

    Python runs a signal handler in the main thread between two bytecodes, wherever it is: inside
    an engine call, or in the ``finally`` that removes containers. Raising there could cut the
    clean-up short, or lose a container the engine made before its id was recorded. So the runner
    says where a signal may raise (``allow``: building, the run loop) and where it waits (``hold``,
    ``held()``: creating a container, cleaning up); a signal that came while held is raised when
    raising is allowed again, or after clean-up. Only the first signal is ever raised: a second
    Ctrl-C during clean-up is ignored, since the clean-up it asks for is under way.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self._old: dict[int, Any] = {}
        self._may_raise = False
        #: A signal that came while held, not raised yet.
        self.pending: int | None = None
        #: True once a Signalled has been raised; later signals are ignored.
        self.raised = False

    def __enter__(self) -> SignalGuard:
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
