"""Find and remove containers left behind by cprofiler invocations that died (SIGKILL, power loss).

Each container carries the invocation's host, pid and the pid's start time. A container is stale
when its invocation ran on this host and that process no longer exists (or the pid now belongs to
a process that started at another time). Containers of a live invocation are never touched, and
containers from another host are left alone: their pids mean nothing here.
"""

from __future__ import annotations

import socket
from typing import Any

import psutil

from cprofiler.engine import LABEL, LABEL_HOST, LABEL_PID, LABEL_PID_STARTED, Engine


def own_labels(invocation: str) -> dict[str, str]:
    """Labels that tie a container to this process, for ``is_stale`` to judge later."""
    me = psutil.Process()
    return {
        LABEL: invocation,
        LABEL_PID: str(me.pid),
        LABEL_PID_STARTED: f"{me.create_time():.2f}",
        LABEL_HOST: socket.gethostname(),
    }


def is_stale(labels: dict[str, str]) -> bool:
    if labels.get(LABEL_HOST) not in (None, socket.gethostname()):
        return False
    try:
        pid = int(labels.get(LABEL_PID, ""))
    except ValueError:
        return True  # made without an owner: nothing can vouch for it
    try:
        proc = psutil.Process(pid)
        started = f"{proc.create_time():.2f}"
    except psutil.Error:
        return True
    return labels.get(LABEL_PID_STARTED) not in (None, started)


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
