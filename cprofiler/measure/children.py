"""Starting cprofiler's long-running children (the load generator) so that they die with it.

A SIGKILLed cprofiler runs no clean-up: a child it started goes on, and a load generator would
keep loading a container until its own duration ends (up to an hour). So every such child asks
the kernel, between fork and exec, for SIGKILL when its parent dies (``PR_SET_PDEATHSIG``). The
kernel keeps that request across ``exec`` (``nsenter`` and ``taskset`` exec the generator in
place), but ties it to the parent *thread*: the child must be waited for by the thread that
started it, as ``generators.run_bounded`` does.

Linux only: elsewhere, or where libc's ``prctl`` cannot be found, children start without it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

#: ``PR_SET_PDEATHSIG`` from ``<linux/prctl.h>``.
PR_SET_PDEATHSIG = 1


def _find_prctl() -> Callable[..., int] | None:
    """libc's ``prctl``, resolved in the parent: after a fork, a threaded process's child must not
    load libraries or look up symbols (another thread may hold the loader's lock)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl


_PRCTL = _find_prctl()


def _die_with(parent: int) -> Callable[[], None] | None:
    """The ``preexec_fn`` that asks for SIGKILL when ``parent`` dies; None where it cannot."""
    prctl = _PRCTL
    if prctl is None:
        return None

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request was made: nobody would send it
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


def spawn(cmd: list[str], **popen: Any) -> subprocess.Popen[Any]:
    """``subprocess.Popen(cmd, **popen)`` whose child is SIGKILLed when this process dies.

    Raises what ``Popen`` raises (OSError when ``cmd`` cannot be run).
    """
    return subprocess.Popen(cmd, preexec_fn=_die_with(os.getpid()), **popen)  # noqa: PLW1509
