"""Find a container's network namespace while the engine is still starting it.

Why: the http and tcp probes connect from inside the container's network namespace, which they
find through the container's pid. Waiting for the engine's start call to return and then asking
for the pid cost 3–13 ms on a 2-core machine, and a fast app is listening by then: that wait was
nearly all of the probes' lag. The container runtime moves the container's first process into the
container's cgroup before the app runs, so polling that cgroup's ``cgroup.procs`` during the start
call finds a process in the new namespace early. The runtime makes the namespace long before it
executes the app (100–300 ms on a 2-core machine), so the finder then waits, cheaply, until a
process of the container runs another program than the runtime's (``/proc/PID/exe`` changed):
only then is the app there to connect to, and the probe begins.

No cgroup driver or parent folder is assumed: the path pattern is learnt from the first container
whose pid the engine reported (its ``/proc/PID/cgroup``). Until then, and whenever nothing is found,
the runner begins the probe the old way, with the pid from inspect.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

from cprofiler.measure.memory import Cgroup
from cprofiler.measure.probes.base import POLL_INTERVAL_S, Target


class BeginOnce:
    """Calls ``begin(target)`` exactly once, for whichever finds the namespace first."""

    def __init__(self, begin: Callable[[Target], None]) -> None:
        self._begin = begin
        self._lock = threading.Lock()
        self.begun = False

    def __call__(self, target: Target) -> bool:
        """Begin with ``target`` unless already begun; return whether this call began it."""
        with self._lock:
            if self.begun:
                return False
            self.begun = True
            self._begin(target)
            return True


def _netns_id(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


class NetnsFinder:
    """Watches a container's cgroup during start and begins its probe in its namespace."""

    def __init__(self) -> None:
        #: Path of a container's ``cgroup.procs`` with ``{id}`` for its id; None until learnt.
        self.pattern: str | None = None
        self._own = _netns_id("/proc/self/ns/net")

    def learn(self, container_id: str, pid: int) -> None:
        """Learn where containers' cgroups are from one whose ``pid`` is known."""
        if self.pattern is not None or pid <= 0:
            return
        cgroup = Cgroup.of_pid(pid)
        procs = str(cgroup.memory_dir / "cgroup.procs") if cgroup is not None else ""
        if container_id in procs:
            self.pattern = procs.replace(container_id, "{id}")

    def watch(self, container_id: str, stop: threading.Event, begin: BeginOnce) -> None:
        """Poll for the container's first process in a new network namespace; on finding it, ``begin``.

        Runs in a thread until it begins the probe, ``begin`` is called by someone else, or ``stop``
        is set. The namespace is held open by a file descriptor until ``stop``: the process found may
        be a short-lived helper of the runtime, but the namespace it made is the container's.
        """
        if self.pattern is None or self._own is None:
            return
        procs = self.pattern.format(id=container_id)
        threading.Thread(target=self._poll, args=(procs, stop, begin), name="cprofiler-netns", daemon=True).start()

    def _poll(self, procs: str, stop: threading.Event, begin: BeginOnce) -> None:
        # time.sleep, not stop.wait(timeout): ~3 µs of CPU per turn instead of ~30 µs.
        found = None
        while found is None:
            if begin.begun or stop.is_set():
                return
            found = self._open_new_netns(procs)
            if found is None:
                time.sleep(POLL_INTERVAL_S)
        fd, runtime_exe = found
        try:
            pids: list[str] = []
            while True:
                exes = [self._exe(pid) for pid in pids]
                if runtime_exe is None or any(exe not in (None, runtime_exe) for exe in exes):
                    break  # the app runs (or there is nothing to compare with): begin
                if begin.begun or stop.is_set():
                    return
                if not exes or None in exes:
                    # The runtime's helper stages exit within ms; then its init is left, and only
                    # its program is read each turn (a readlink, cheaper than reading the cgroup).
                    fresh = self._pids(procs)
                    if fresh != pids:
                        pids = fresh
                        continue  # look at the new ones at once
                time.sleep(POLL_INTERVAL_S)
            if begin(Target(netns=f"/proc/self/fd/{fd}")):
                stop.wait()  # the probe thread opens the path itself; keep it valid meanwhile
        finally:
            os.close(fd)

    @staticmethod
    def _pids(procs: str) -> list[str]:
        try:
            with open(procs, encoding="ascii") as fh:
                return fh.read().split()
        except OSError:
            return []  # the runtime has not made the cgroup yet, or it is gone

    @staticmethod
    def _exe(pid: str) -> str | None:
        try:
            return os.readlink(f"/proc/{pid}/exe")
        except OSError:
            return None

    def _open_new_netns(self, procs: str) -> tuple[int, str | None] | None:
        """``(descriptor of its namespace, its program)`` for a process in ``procs`` not in ours, or None.

        Such a process is the runtime's, on its way to executing the app; its program is what the
        app's will differ from.
        """
        for pid in self._pids(procs):
            path = f"/proc/{pid}/ns/net"
            if _netns_id(path) in (None, self._own):
                continue  # gone, or still in the host's namespace (before the runtime unshared it)
            exe = self._exe(pid)
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                continue
            # The process may have moved on between stat and open: check the descriptor itself.
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino) != self._own:
                return fd, exe
            os.close(fd)
        return None
