"""A batch job's memory over its whole life: a per-run parent cgroup that outlives the container.

An exit-probed container is ready when it exits, and by then the engine has removed its cgroup
with every counter in it. So each such run gets a parent cgroup of its own, given to the engine as
``cgroup_parent``: the kernel charges the container's memory and CPU to the parent too, and the
parent keeps its high-water mark (cgroup v1 ``memory.max_usage_in_bytes``, v2 ``memory.peak``) and
its CPU time after the child is gone. cprofiler reads them once the container is removed, then
removes the parent cgroup (one directory per mounted hierarchy).

Only with the cgroupfs driver on a local engine, as root (a systemd driver wants a slice unit
instead). Elsewhere the run says why in its notes and ``lifetime_peak_bytes`` stays null.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import psutil

from cprofiler.engine import Engine
from cprofiler.errors import CprofilerError
from cprofiler.measure.memory import CGROUP_ROOT
from cprofiler.results.model import RunResult

#: Names of the parent cgroups: the prefix, then the pid of the cprofiler process that made it (a
#: later one removes those of dead processes), then a random part.
PREFIX = "cprofiler-lifetime-"


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _hierarchies() -> list[Path]:
    """Where a cgroup of a given name has a directory: the root on a pure v2 host, else one per
    mounted v1 hierarchy (and the v2 one of a hybrid host)."""
    if (CGROUP_ROOT / "cgroup.controllers").exists():
        return [CGROUP_ROOT]
    try:
        return sorted(d for d in CGROUP_ROOT.iterdir() if d.is_dir() and not d.is_symlink())
    except OSError:
        return []


class LifetimeCgroup:
    """The parent cgroup of one run."""

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def parent(self) -> str:
        """The ``cgroup_parent`` to give the engine."""
        return f"/{self.name}"

    def peak_bytes(self) -> int | None:
        """The parent's memory high-water mark, in bytes; None when not readable."""
        if (CGROUP_ROOT / "cgroup.controllers").exists():
            return _read_int(CGROUP_ROOT / self.name / "memory.peak")
        return _read_int(CGROUP_ROOT / "memory" / self.name / "memory.max_usage_in_bytes")

    def cpu_ns(self) -> int | None:
        """CPU time charged to the parent, in nanoseconds; None when not readable."""
        if (CGROUP_ROOT / "cgroup.controllers").exists():
            try:
                for line in (CGROUP_ROOT / self.name / "cpu.stat").read_text().splitlines():
                    key, _, value = line.partition(" ")
                    if key == "usage_usec":
                        return int(value) * 1000
            except (OSError, ValueError):
                return None
            return None
        for hierarchy in ("cpuacct", "cpu,cpuacct", "cpu"):
            usage = _read_int(CGROUP_ROOT / hierarchy / self.name / "cpuacct.usage")
            if usage is not None:
                return usage
        return None

    def close(self, res: RunResult) -> None:
        """Record the lifetime figures into ``res`` (after the container is removed), then remove
        the parent cgroup. Never raises: a missing figure is a note, not a failed run."""
        peak = self.peak_bytes()
        cpu = self.cpu_ns()
        if peak:
            res.lifetime_peak_bytes = peak
        else:
            res.notes.append("lifetime_peak_bytes is null: the run's parent cgroup had no memory peak to read")
        if cpu is not None and res.ready_ms:
            res.lifetime_cpu_cores = cpu / (res.ready_ms * 1e6)
        remove(self.name)


def remove(name: str) -> bool:
    """Remove the cgroup ``name`` from every hierarchy; True when none is left."""
    left = False
    for hierarchy in _hierarchies():
        try:
            (hierarchy / name).rmdir()
        except FileNotFoundError:
            pass
        except OSError:
            left = True  # still has a child (a container being removed) or tasks
    return not left


class LifetimeCgroups:
    """Hands out per-run parent cgroups, when this host and engine allow them."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._why_not: str | None = None
        self._checked = False

    def _check(self) -> str | None:
        """Why per-run parent cgroups cannot be used here, or None (asked of the engine once)."""
        if self._checked:
            return self._why_not
        self._checked = True
        if not self.engine.is_local() or os.geteuid() != 0 or not CGROUP_ROOT.is_dir():
            self._why_not = "lifetime_peak_bytes is null: per-run cgroups need root and a local engine"
            return self._why_not
        try:
            driver = self.engine.describe().get("cgroup_driver")
        except CprofilerError:
            driver = None
        if driver != "cgroupfs":
            self._why_not = f"lifetime_peak_bytes is null: per-run cgroups need the cgroupfs driver (the engine uses {driver})"
            return self._why_not
        _remove_stale()
        return None

    def for_run(self, res: RunResult) -> LifetimeCgroup | None:
        """A fresh parent cgroup for one run, or None (with a note in ``res`` saying why)."""
        why_not = self._check()
        if why_not is not None:
            res.notes.append(why_not)
            return None
        return LifetimeCgroup(f"{PREFIX}{os.getpid()}-{uuid.uuid4().hex[:12]}")


def _remove_stale() -> None:
    """Remove the parent cgroups that cprofiler processes killed mid-run left behind."""
    names: set[str] = set()
    for hierarchy in _hierarchies():
        try:
            names.update(d.name for d in hierarchy.iterdir() if d.name.startswith(PREFIX))
        except OSError:
            continue
    for name in names:
        pid = name[len(PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not psutil.pid_exists(int(pid)):
            remove(name)
