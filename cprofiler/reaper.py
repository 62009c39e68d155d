"""Find and remove containers left behind by cprofiler invocations that died (SIGKILL, power loss).

Each container carries the invocation's host, PID namespace, pid and the pid's start time. A
container is stale when its invocation ran on this host, in this PID namespace, and that process
no longer exists (or the pid now belongs to a process that started at another time). Containers
of a live invocation are never touched, and neither are those of another host or another PID
namespace (cprofiler in a container, or this one seen from there): their pids mean nothing here,
so whether their invocation lives cannot be judged. Where it cannot be judged for any other
reason (a process of another user hidden by ``hidepid``, a label that does not parse), the
container is left alone too: removing a live measurement's container is worse than keeping a
dead one's until ``cprofiler clean --all``.

The start time compared is the one the kernel keeps, in clock ticks since boot: epoch seconds
are derived from the boot time, which moves whenever the wall clock is stepped (NTP, ``date -s``,
a restored VM snapshot), and a live owner would then look like a reused pid.
"""

from __future__ import annotations

import os
import socket
from typing import Any

import psutil

from cprofiler.engine import Engine
from cprofiler.labels import LABEL, LABEL_HOST, LABEL_PID, LABEL_PID_STARTED, LABEL_PID_TICKS, LABEL_PIDNS

#: Process states of ``/proc/PID/stat`` that mean the process has exited (not yet waited for).
_EXITED = ("Z", "X", "x")


def pid_namespace() -> str:
    """This process's PID namespace (``pid:[4026531836]``), or "" where it cannot be read."""
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""


def pid_ticks(stat: str) -> int | None:
    """The start time in the text of a ``/proc/PID/stat``, in clock ticks since boot (field 22);
    None when the text is not such a line.

    The second field is the command name in parentheses, and a process may name itself anything,
    spaces and parentheses included (``a) (b``): fields are counted from the last ``)``, after
    which the third field (the state) begins.
    """
    _, paren, rest = stat.rpartition(")")
    fields = rest.split()
    if not paren or len(fields) < 20:
        return None
    try:
        ticks = int(fields[19])
    except ValueError:
        return None
    return ticks if ticks >= 0 else None


def _proc_stat(pid: int) -> str:
    """The text of ``/proc/PID/stat`` (OSError when it cannot be read: no such pid, ``hidepid``)."""
    with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as fh:
        return fh.read(4096)


def own_labels(invocation: str) -> dict[str, str]:
    """Labels that tie a container to this process, for ``is_stale`` to judge later."""
    me = psutil.Process()
    labels = {
        LABEL: invocation,
        LABEL_PID: str(me.pid),
        LABEL_PID_STARTED: f"{me.create_time():.2f}",
        LABEL_HOST: socket.gethostname(),
    }
    try:
        ticks = pid_ticks(_proc_stat(me.pid))
    except OSError:
        ticks = None  # no /proc: judged by the epoch start time, as older versions were
    if ticks is not None:
        labels[LABEL_PID_TICKS] = str(ticks)
    if pid_namespace():
        labels[LABEL_PIDNS] = pid_namespace()
    return labels


def is_stale(labels: dict[str, str]) -> bool:
    """True when the invocation that made a container is dead; False when alive, or unknown.

    Dead: no process has its pid (or it has exited and waits to be reaped), or the pid's process
    started at another tick (a reused pid). A container labelled ``cprofiler`` without an owner
    pid (a helper of some other cprofiler command, a hand-made one) is not judged: nothing says
    whether it is in use, so only ``cprofiler clean --all`` removes it.
    """
    pid = _owner_pid(labels)
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it exists, as another user's process
    except OSError:
        return False
    if LABEL_PID_TICKS not in labels:
        return _stale_by_epoch(pid, labels.get(LABEL_PID_STARTED))
    try:
        stat = _proc_stat(pid)
    except OSError:
        return False  # it exists but cannot be inspected (hidepid, or it ended just now: judged next time)
    ticks = pid_ticks(stat)
    try:
        recorded = int(labels[LABEL_PID_TICKS])
    except ValueError:
        return False  # a label we cannot read: leave the container alone
    if ticks is None:
        return False
    if ticks != recorded:
        return True  # the pid was reused by a later process
    return stat.rpartition(")")[2].split()[0] in _EXITED


def _owner_pid(labels: dict[str, str]) -> int | None:
    """The owner's pid when this machine and PID namespace can judge it; None when they cannot."""
    if labels.get(LABEL_HOST) not in (None, socket.gethostname()):
        return None
    if LABEL_PIDNS in labels and labels[LABEL_PIDNS] != pid_namespace():
        return None  # its pid is another namespace's: whether it lives cannot be judged from here
    try:
        pid = int(labels.get(LABEL_PID, ""))
    except ValueError:
        return None
    return pid if pid > 0 else None  # 0 and below are not processes (they would signal process groups)


def _stale_by_epoch(pid: int, started: str | None) -> bool:
    """Judge an owner recorded without start ticks (by a version before them, or without /proc):
    by its start in epoch seconds, within a second, as those versions did. The boot time these are
    derived from moves with the wall clock, so only such records still risk a stepped clock."""
    try:
        now = psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:
        return False  # AccessDenied: it exists, and cannot be inspected
    try:
        recorded = float(started) if started else now
    except ValueError:
        return False  # a label we cannot read: leave the container alone
    return abs(recorded - now) > 1.0


def stale_containers(engine: Engine) -> list[dict[str, Any]]:
    return [c for c in engine.labelled_containers() if is_stale(c["labels"])]


def reap(engine: Engine, *, everything: bool = False) -> list[str]:
    """Remove stale containers (all labelled ones with ``everything``); return their short ids."""
    found = engine.labelled_containers() if everything else stale_containers(engine)
    removed = []
    for c in found:
        engine.remove(c["id"])
        removed.append(c["id"][:12])
    return removed
