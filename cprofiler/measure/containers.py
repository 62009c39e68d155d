"""The containers one invocation has made: recorded the moment they exist, removed on every way out."""

from __future__ import annotations

import threading

from cprofiler.engine import Engine
from cprofiler.errors import CprofilerError


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
