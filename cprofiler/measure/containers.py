"""What one invocation has made (containers; pods on Kubernetes): recorded the moment it exists,
removed on every way out."""

from __future__ import annotations

import threading

from cprofiler.engine import Engine
from cprofiler.errors import CprofilerError


class OwnedSet:
    """The things this invocation has made and not yet removed; removed on every way out.

    It removes only its own: the keys it recorded, and (``remove_all``) what carries its invocation
    label. Another invocation's containers or pods are never touched. A backend says how one is
    deleted (``_delete``) and how to list the labelled ones (``_labelled``).
    """

    def __init__(self, invocation: str | None) -> None:
        self.invocation = invocation
        self._keys: set[str] = set()
        self._lock = threading.Lock()

    def _delete(self, key: str) -> None:
        raise NotImplementedError

    def _labelled(self) -> list[str]:
        """The keys of everything labelled with this invocation (none without one)."""
        raise NotImplementedError

    def add(self, key: str) -> None:
        with self._lock:
            self._keys.add(key)

    def remove(self, key: str) -> None:
        self._delete(key)
        with self._lock:
            self._keys.discard(key)

    def remove_all(self) -> None:
        """Remove everything of this invocation; safe to call again, and after any failure."""
        with self._lock:
            keys = list(self._keys)
        for key in keys:
            try:
                self.remove(key)
            except CprofilerError:
                pass  # the engine or API server is gone; the next measure (or `cprofiler clean`) reaps it
        if self.invocation is None:
            return
        # A backstop for one made but whose id never reached us (the create call cut short): it
        # carries our invocation label, so ask for those too.
        try:
            for key in self._labelled():
                self.remove(key)
        except CprofilerError:
            pass  # as above


class ContainerSet(OwnedSet):
    """The containers of this invocation on the engine."""

    def __init__(self, engine: Engine, invocation: str | None = None) -> None:
        super().__init__(invocation)
        self.engine = engine

    def _delete(self, key: str) -> None:
        self.engine.remove(key)

    def _labelled(self) -> list[str]:
        return [c["id"] for c in self.engine.labelled_containers(self.invocation)] if self.invocation else []
