"""How busy the load phase's CPUs were with other work: ``/proc/stat`` per CPU, less what is ours.

A server pinned to CPU 0 is not alone there: nothing keeps other processes off it, and a busy
machine then serves fewer requests on the same image. Per step, the time the server's and the
generator's CPUs spent busy is read from ``/proc/stat`` at both ends of the window; less the
container's CPU time (its cgroup), the generator's and the sampler's, the rest is other work.

Busy is user + nice + system + steal (steal: a hypervisor ran someone else). Interrupt and softirq
time is left out: the loopback traffic of the load itself is processed there, and the kernel
charges it to no cgroup, so counting it would call every fast step disturbed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cprofiler.results.load import DISTURBED_SHARE

#: Clock ticks per second of ``/proc/stat``.
USER_HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class CpuTicks:
    """One CPU's line of ``/proc/stat``, in clock ticks."""

    #: user + nice + system + steal.
    busy: int
    #: Every field but guest time (already inside user and nice).
    total: int


def parse_proc_stat(text: str) -> dict[int, CpuTicks]:
    """The ``cpuN`` lines of a ``/proc/stat`` text, by CPU number."""
    cpus: dict[int, CpuTicks] = {}
    for line in text.splitlines():
        name, _, rest = line.partition(" ")
        if not name.startswith("cpu") or not name[3:].isdigit():
            continue
        f = [int(x) for x in rest.split()] + [0] * 10
        user, nice, system, idle, iowait, irq, softirq, steal = f[:8]
        cpus[int(name[3:])] = CpuTicks(
            busy=user + nice + system + steal, total=user + nice + system + idle + iowait + irq + softirq + steal
        )
    return cpus


def read_proc_stat(path: Path = Path("/proc/stat")) -> dict[int, CpuTicks] | None:
    """This host's CPUs now; None when ``/proc/stat`` cannot be read."""
    try:
        return parse_proc_stat(path.read_text())
    except OSError:
        return None


def other_cpu_share(
    before: Mapping[int, CpuTicks], after: Mapping[int, CpuTicks], cpus: Iterable[int], own_cpu_s: float
) -> float | None:
    """Share of the time of ``cpus`` between two snapshots that other work kept busy: their busy
    time less ``own_cpu_s`` (the container's, the generator's and the sampler's CPU seconds), over
    their whole time; from 0 to 1. None when a CPU is missing or no time passed."""
    busy = total = 0
    for cpu in cpus:
        if cpu not in before or cpu not in after:
            return None
        busy += after[cpu].busy - before[cpu].busy
        total += after[cpu].total - before[cpu].total
    if total <= 0:
        return None
    other = busy / USER_HZ - own_cpu_s
    return min(max(other / (total / USER_HZ), 0.0), 1.0)


def disturbed(share: float | None) -> bool:
    """True when other work took more than DISTURBED_SHARE of the CPUs: the figures are not the image's alone."""
    return share is not None and share > DISTURBED_SHARE


def process_cpu_s(pid: int) -> float | None:
    """CPU time (user + system) process ``pid`` has used so far, in seconds; None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the name in parentheses may hold spaces
    return (int(fields[11]) + int(fields[12])) / USER_HZ
