"""Find and remove containers left behind by cprofiler invocations that died (SIGKILL, power loss).

Each container carries the invocation's host, PID namespace, pid and the pid's start time. A
container is stale when its invocation ran on this host, in this PID namespace, and that process
no longer exists (or the pid now belongs to a process that started at another time). Containers
of a live invocation are never touched, and neither are those of another host or another PID
namespace (cprofiler in a container, or this one seen from there): their pids mean nothing here,
so whether their invocation lives cannot be judged.
"""

from __future__ import annotations

import os
import socket
from typing import Any

import psutil

from cprofiler.engine import Engine
from cprofiler.labels import LABEL, LABEL_HOST, LABEL_PID, LABEL_PID_STARTED, LABEL_PIDNS


def pid_namespace() -> str:
    """This process's PID namespace (``pid:[4026531836]``), or "" where it cannot be read."""
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""


def own_labels(invocation: str) -> dict[str, str]:
    """Labels that tie a container to this process, for ``is_stale`` to judge later."""
    me = psutil.Process()
    labels = {
        LABEL: invocation,
        LABEL_PID: str(me.pid),
        LABEL_PID_STARTED: f"{me.create_time():.2f}",
        LABEL_HOST: socket.gethostname(),
    }
    if pid_namespace():
        labels[LABEL_PIDNS] = pid_namespace()
    return labels


def is_stale(labels: dict[str, str]) -> bool:
    """True when the invocation that made a container is dead; False when alive, or unknown.

    A container labelled ``cprofiler`` without an owner pid (a helper of some other cprofiler
    command, a hand-made one) is not judged: nothing says whether it is in use, so only
    ``cprofiler clean --all`` removes it.
    """
    if labels.get(LABEL_HOST) not in (None, socket.gethostname()):
        return False
    if LABEL_PIDNS in labels and labels[LABEL_PIDNS] != pid_namespace():
        return False  # its pid is another namespace's: whether it lives cannot be judged from here
    try:
        pid = int(labels.get(LABEL_PID, ""))
    except ValueError:
        return False
    try:
        started = psutil.Process(pid).create_time()
    except psutil.Error:
        return True
    try:
        recorded = float(labels.get(LABEL_PID_STARTED) or started)
    except ValueError:
        return False  # a label we cannot read: leave the container alone
    # A pid reused by a later process shows another start time. Allow a second of difference:
    # psutil derives start times from the boot time, which moves when the clock is adjusted.
    return abs(recorded - started) > 1.0


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
