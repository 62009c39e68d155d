"""Memory and CPU of a running container, read from its cgroup (v1 or v2) on this host.

The figures follow what Kubernetes and ``docker stats`` use, so that they can be compared:

* working set = usage − inactive file cache (kubelet's eviction signal; v1 ``total_inactive_file``,
  v2 ``inactive_file``);
* RSS = anonymous memory (v1 ``total_rss``, v2 ``anon``), as cAdvisor's ``container_memory_rss``;
* mapped file = file pages mapped by the processes (v1 ``total_mapped_file``, v2 ``file_mapped``);
* peak = v1 ``memory.max_usage_in_bytes``, v2 ``memory.peak`` (kernels ≥ 5.19), else null;
* PSS = sum of ``Pss`` over the container's processes (psutil; shared pages divided by sharers).

Where the cgroup files are not visible (an engine in a VM, as on Docker Desktop), the same formulas
are applied to the engine's stats API instead and ``memory_source`` says ``engine-stats``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from cprofiler.results.kinds import MemorySource

CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass
class MemorySample:
    working_set_bytes: int | None = None
    rss_bytes: int | None = None
    mapped_file_bytes: int | None = None
    peak_bytes: int | None = None
    pss_bytes: int | None = None
    source: MemorySource | None = None
    notes: list[str] = field(default_factory=list)


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _read_stat(path: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    try:
        for line in path.read_text().splitlines():
            key, _, value = line.partition(" ")
            if value.strip().lstrip("-").isdigit():
                out[key] = int(value)
    except OSError:
        pass
    return out


#: The ``memory.stat`` keys the working set and the least inactive cache are computed from
#: (:func:`from_figures`): v2, then v1 (``total_*`` first, the plain key where it is missing).
_INACTIVE_KEYS = {2: (b"inactive_file",), 1: (b"total_inactive_file", b"inactive_file")}


def stat_keys(data: bytes, keys: tuple[bytes, ...]) -> dict[str, int]:
    """The ``keys`` of a ``memory.stat`` text that :func:`_read_stat` would give, and only those.

    The same rule: a line ``key value`` whose value is an integer; of a key given twice, the last.
    Looking up a few keys instead of splitting every line is what a sampler ticking 20 times a
    second needs (v2's memory.stat has over 40 lines).
    """
    out: dict[str, int] = {}
    text = b"\n" + data
    for key in keys:
        at = text.rfind(b"\n" + key + b" ")
        if at < 0:
            continue
        start = at + len(key) + 2
        end = text.find(b"\n", start)
        value = text[start:] if end < 0 else text[start:end]
        if value.strip().lstrip(b"-").isdigit():
            out[key.decode()] = int(value)
    return out


class WorkingSetReader:
    """Reads a cgroup's memory usage and inactive file cache many times a second, cheaply.

    The two files stay open and are read again from offset 0 (``pread``): the kernel makes a
    cgroup file's text afresh on each read from the start, so this reads what opening it anew
    would, without resolving the path, opening and closing each time (about a sixth of the CPU:
    13 µs instead of 75 µs a sample on cgroup v1, ``benchmarks/tool_cpu.py``). Close it (or use
    it as a context manager) when sampling ends, so that no descriptor outlives the container.
    """

    def __init__(self, cgroup: Cgroup) -> None:
        self.version = cgroup.version
        self._keys = _INACTIVE_KEYS[2 if cgroup.version == 2 else 1]
        usage_file = "memory.usage_in_bytes" if cgroup.version == 1 else "memory.current"
        self._usage_fd = _open(cgroup.memory_dir / usage_file)
        self._stat_fd = _open(cgroup.memory_dir / "memory.stat")

    def read(self) -> tuple[int | None, dict[str, int]]:
        """``(usage in bytes, the inactive-file keys of memory.stat)``: what :meth:`Cgroup.memory_usage`
        gives, but of ``memory.stat`` only the keys :func:`from_figures` needs for the working set.
        Usage is None when it cannot be read (the cgroup is gone: the container stopped)."""
        usage, stat = self._read()
        return usage, stat if stat is not None else {}

    def working_set_bytes(self) -> int | None:
        """The working set now, in bytes (:func:`from_figures`); None when either file cannot be read."""
        usage, stat = self._read()
        if usage is None or stat is None:
            return None
        return from_figures(usage, stat, None, v2=self.version == 2).working_set_bytes

    def _read(self) -> tuple[int | None, dict[str, int] | None]:
        usage = None
        raw = _pread_all(self._usage_fd)
        if raw is not None:
            try:
                usage = int(raw.split()[0])
            except (ValueError, IndexError):
                usage = None
        stat = _pread_all(self._stat_fd)
        return usage, stat_keys(stat, self._keys) if stat is not None else None

    def close(self) -> None:
        for fd in (self._usage_fd, self._stat_fd):
            if fd is not None:
                os.close(fd)
        self._usage_fd = self._stat_fd = None

    def __enter__(self) -> WorkingSetReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _open(path: Path) -> int | None:
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None


#: Bytes asked for per ``pread``: more than a whole ``memory.stat``, so one call reads it all.
_CHUNK = 16384


def _pread_all(fd: int | None) -> bytes | None:
    """The whole content of the file open at ``fd``, read from offset 0; None when it cannot be read."""
    if fd is None:
        return None
    try:
        data = os.pread(fd, _CHUNK, 0)
        chunk = data
        while len(chunk) == _CHUNK:  # a longer file than ever seen: read on to its end
            chunk = os.pread(fd, _CHUNK, len(data))
            data += chunk
    except OSError:
        return None
    return data


@dataclass(frozen=True)
class Cgroup:
    """The cgroup directories of one container, as seen from this host."""

    version: int
    memory_dir: Path
    cpu_dir: Path

    @classmethod
    def of_pid(cls, pid: int) -> Cgroup | None:
        """Find the cgroup of host process ``pid`` from ``/proc/PID/cgroup``; None if not visible."""
        try:
            lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
        except OSError:
            return None
        v1: dict[str, str] = {}
        v2: str | None = None
        for line in lines:
            _, controllers, rel = line.split(":", 2)
            if controllers == "":
                v2 = rel
            for c in controllers.split(","):
                v1[c] = rel
        if "memory" in v1:
            mem = CGROUP_ROOT / "memory" / v1["memory"].lstrip("/")
            cpu_rel = v1.get("cpuacct", v1.get("cpu,cpuacct", ""))
            cpu = next(
                (CGROUP_ROOT / d / cpu_rel.lstrip("/") for d in ("cpuacct", "cpu,cpuacct", "cpu") if (CGROUP_ROOT / d).is_dir()),
                mem,
            )
            return cls(1, mem, cpu) if mem.is_dir() else None
        if v2 is not None:
            d = CGROUP_ROOT / v2.lstrip("/")
            return cls(2, d, d) if d.is_dir() else None
        return None

    def cpu_ns(self) -> int | None:
        """Total CPU time the cgroup's tasks have used, in nanoseconds."""
        if self.version == 1:
            return _read_int(self.cpu_dir / "cpuacct.usage")
        usec = _read_stat(self.cpu_dir / "cpu.stat").get("usage_usec")
        return None if usec is None else usec * 1000

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in (self.memory_dir / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            return []

    # --- for the load phase: cheap enough to call ten or more times a second ----------------------

    def v1_dir(self, *mounts: str) -> Path | None:
        """This cgroup's folder in the first v1 hierarchy of ``mounts`` that has it (``cpu``, ``pids``).

        Every v1 hierarchy holds a container at the same relative path, so it is found beside the
        memory folder; None on v2 or when it is not there.
        """
        if self.version != 1:
            return None
        try:
            rel = self.memory_dir.relative_to(CGROUP_ROOT / "memory")
        except ValueError:
            return None
        return next((CGROUP_ROOT / m / rel for m in mounts if (CGROUP_ROOT / m / rel).is_dir()), None)

    def memory_usage(self) -> tuple[int | None, dict[str, int]]:
        """``(usage in bytes, memory.stat)``: the inputs of ``from_figures``, without PSS (which reads
        every process's smaps and is far too slow to sample)."""
        usage_file = "memory.usage_in_bytes" if self.version == 1 else "memory.current"
        return _read_int(self.memory_dir / usage_file), _read_stat(self.memory_dir / "memory.stat")

    def peak(self) -> int | None:
        """The kernel's high-water mark of memory usage, in bytes (v1 since the last reset; v2 since
        the cgroup was made); None where the kernel keeps none (v2 before Linux 5.19)."""
        name = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        return _read_int(self.memory_dir / name)

    def reset_peak(self) -> bool:
        """Restart the kernel's high-water mark from the current usage; False where it cannot be
        reset (v2: ``memory.peak`` is reset only per open file, on Linux ≥ 6.12)."""
        if self.version != 1:
            return False
        try:
            (self.memory_dir / "memory.max_usage_in_bytes").write_text("0")
        except OSError:
            return False
        return True

    def throttling(self) -> tuple[int, int] | None:
        """``(periods throttled, time throttled in ns)`` since the cgroup was made, from ``cpu.stat``;
        None when the cpu controller's files are not visible."""
        folder = self.v1_dir("cpu", "cpu,cpuacct", "cpuacct,cpu") if self.version == 1 else self.cpu_dir
        if folder is None:
            return None
        stat = _read_stat(folder / "cpu.stat")
        if "nr_throttled" not in stat:
            return None
        if self.version == 1:
            return stat["nr_throttled"], stat.get("throttled_time", 0)
        return stat["nr_throttled"], stat.get("throttled_usec", 0) * 1000

    def tasks(self) -> int | None:
        """Tasks (processes and their threads) in the cgroup, as the pids controller counts them."""
        folder = self.v1_dir("pids") if self.version == 1 else self.memory_dir
        found = _read_int(folder / "pids.current") if folder is not None else None
        if found is not None:
            return found
        listing = "tasks" if self.version == 1 else "cgroup.threads"
        try:
            return len((self.memory_dir / listing).read_text().split())
        except OSError:
            return None

    def sample(self) -> MemorySample:
        if self.version == 1:
            usage = _read_int(self.memory_dir / "memory.usage_in_bytes")
            stat = _read_stat(self.memory_dir / "memory.stat")
            peak = _read_int(self.memory_dir / "memory.max_usage_in_bytes")
            s = from_figures(usage, stat, peak, v2=False)
        else:
            usage = _read_int(self.memory_dir / "memory.current")
            stat = _read_stat(self.memory_dir / "memory.stat")
            peak = _read_int(self.memory_dir / "memory.peak")
            s = from_figures(usage, stat, peak, v2=True)
            if peak is None:
                s.notes.append("peak_bytes is null: this kernel has no memory.peak (added in Linux 5.19)")
        s.source = MemorySource.CGROUP_V2 if self.version == 2 else MemorySource.CGROUP_V1
        s.pss_bytes = pss_of(self.pids())
        if s.pss_bytes is None:
            s.notes.append("pss_bytes is null: the container's processes' smaps could not be read")
        return s


def from_figures(usage: int | None, stat: dict[str, int], peak: int | None, *, v2: bool) -> MemorySample:
    """Apply the working-set, RSS and mapped-file formulas to a usage figure and a ``memory.stat`` mapping."""
    if v2:
        inactive = stat.get("inactive_file", 0)
        rss, mapped = stat.get("anon"), stat.get("file_mapped")
    else:
        inactive = stat.get("total_inactive_file", stat.get("inactive_file", 0))
        # total_* include child cgroups; the plain keys are what an engine's stats may carry alone.
        rss = stat.get("total_rss", stat.get("rss"))
        mapped = stat.get("total_mapped_file", stat.get("mapped_file"))
    ws = None if usage is None else max(usage - inactive, 0)
    return MemorySample(working_set_bytes=ws, rss_bytes=rss, mapped_file_bytes=mapped, peak_bytes=peak)


def from_engine_stats(data: dict[str, Any]) -> MemorySample:
    """The same figures from the engine's stats API (cgroup files not visible from here)."""
    mem = data.get("memory_stats") or {}
    stat = {k: int(v) for k, v in (mem.get("stats") or {}).items() if isinstance(v, (int, float))}
    v2 = "anon" in stat or "inactive_file" in stat and "total_inactive_file" not in stat
    s = from_figures(mem.get("usage"), stat, mem.get("max_usage"), v2=v2)
    s.source = MemorySource.ENGINE_STATS
    s.notes.append("pss_bytes is null: the engine runs elsewhere, its processes are not visible here")
    if s.peak_bytes is None:
        s.notes.append("peak_bytes is null: the engine's stats carry no peak on cgroup v2")
    return s


def pss_of(pids: list[int]) -> int | None:
    """Sum of PSS over ``pids`` in bytes; None when none could be read (needs root for others' pids)."""
    total = 0
    seen = 0
    for pid in pids:
        try:
            total += psutil.Process(pid).memory_full_info().pss
            seen += 1
        except (psutil.Error, AttributeError, OSError):
            continue
    return total if seen else None
