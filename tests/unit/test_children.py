"""A child cprofiler starts dies with it, even when cprofiler is SIGKILLed (no engine needed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]

#: A parent process that starts ``sleep 60`` as the given code says, prints its pid, and waits.
PARENT = """
import subprocess, sys, time
from cprofiler.measure.children import spawn
how = sys.argv[1]
if how == "spawn":
    child = spawn(["sleep", "60"], stdout=subprocess.DEVNULL)
elif how == "popen":
    child = subprocess.Popen(["sleep", "60"], stdout=subprocess.DEVNULL)
print(child.pid, flush=True)
time.sleep(60)
"""

#: The same through the generators' launcher, which waits in the thread that started the child.
GENERATOR_PARENT = """
import sys
from cprofiler.measure.load.generators import run_bounded
run_bounded(["sh", "-c", 'echo $$ > "$0"; exec sleep 60', sys.argv[1]], what="test", timeout_s=60)
"""


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (an exited child no one has reaped yet counts as gone)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def start_parent(code: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def kill_parent(parent: subprocess.Popen[str]) -> None:
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=10)
    for stream in (parent.stdout, parent.stderr):
        if stream is not None:
            stream.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_child_started_through_spawn_dies_with_a_sigkilled_parent():
    parent = start_parent(PARENT, "spawn")
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert alive(child)
    kill_parent(parent)
    try:
        assert gone_within(child, 5), "the child outlived its SIGKILLed parent"
    finally:
        if alive(child):
            os.kill(child, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_without_it_the_child_is_orphaned():
    # What spawn prevents: a plain Popen child goes on after its parent is SIGKILLed.
    parent = start_parent(PARENT, "popen")
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    try:
        kill_parent(parent)
        assert not gone_within(child, 1)
    finally:
        os.kill(child, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_load_generator_dies_with_a_sigkilled_cprofiler(tmp_path):
    pid_file = tmp_path / "pid"
    parent = start_parent(GENERATOR_PARENT, str(pid_file))
    deadline = time.monotonic() + 20
    while not (pid_file.exists() and pid_file.read_text().strip()):
        assert time.monotonic() < deadline, "the generator did not start"
        time.sleep(0.02)
    child = int(pid_file.read_text())  # the shell's pid, which becomes sleep 60 by exec
    while psutil.Process(child).name() != "sleep" and time.monotonic() < deadline:
        time.sleep(0.02)
    kill_parent(parent)
    try:
        assert gone_within(child, 5), "the generator outlived its SIGKILLed parent"
    finally:
        if alive(child):
            os.kill(child, signal.SIGKILL)


def test_spawn_runs_the_command_as_popen_does():
    from cprofiler.measure.children import spawn

    proc = spawn([sys.executable, "-c", "print('hello')"], stdout=subprocess.PIPE, text=True)
    out, _ = proc.communicate(timeout=30)
    assert (out, proc.returncode) == ("hello\n", 0)
    with pytest.raises(OSError):
        spawn(["/nonexistent/program"])
