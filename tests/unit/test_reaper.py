"""Which containers count as left by a dead invocation (no engine needed: labels in, verdict out)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psutil
import pytest

from cprofiler import reaper
from cprofiler.labels import LABEL, LABEL_HOST, LABEL_PID, LABEL_PID_STARTED, LABEL_PID_TICKS, LABEL_PIDNS
from cprofiler.reaper import is_stale, own_labels, pid_ticks

#: A /proc/PID/stat line of a process that named itself "a) (b c": its start ticks are 4242.
STAT = "123 (a) (b c) S 1 123 123 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 4242 1000 100 " + " ".join(["0"] * 30)


def old_record(labels: dict[str, str]) -> dict[str, str]:
    """The same owner as a version before start ticks labelled it."""
    return {k: v for k, v in labels.items() if k != LABEL_PID_TICKS}


def test_a_live_invocation_is_never_stale():
    assert not is_stale(own_labels("live"))


def test_a_dead_invocation_is_stale():
    dead = subprocess.Popen(["true"])
    dead.wait()
    assert is_stale({**own_labels("dead"), LABEL_PID: str(dead.pid)})


def test_an_exited_owner_not_yet_waited_for_is_stale():
    zombie = subprocess.Popen(["true"])
    deadline = time.monotonic() + 10
    while psutil.Process(zombie.pid).status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        assert is_stale({**own_labels("z"), LABEL_PID: str(zombie.pid)})
    finally:
        zombie.wait()


def test_start_ticks_are_field_22_counted_from_the_last_parenthesis():
    assert pid_ticks(STAT) == 4242
    assert pid_ticks("1 (sleep) S 0 1") is None  # cut short
    assert pid_ticks(STAT.replace(" 4242 ", " soon ")) is None
    assert pid_ticks(STAT.replace("(a) (b c)", "a b c")) is None  # no command name
    assert pid_ticks("") is None
    with open("/proc/self/stat") as fh:
        assert own_labels("x")[LABEL_PID_TICKS] == str(pid_ticks(fh.read()))


def test_a_clock_step_leaves_a_live_owner_live(monkeypatch):
    # A wall-clock step moves the boot time /proc/stat reports, and every epoch start time with it.
    labels = own_labels("live")
    booted = psutil.boot_time()
    for step_s in (2.0, -2.0, 3600.0):
        monkeypatch.setattr(psutil._pslinux, "boot_time", lambda step_s=step_s: booted + step_s)
        assert abs(psutil.Process().create_time() - float(labels[LABEL_PID_STARTED])) > 1.0  # the step is seen
        assert not is_stale(labels)


def test_a_reused_pid_is_told_apart_by_its_start_ticks():
    labels = own_labels("x")
    ticks = int(labels[LABEL_PID_TICKS])
    assert not is_stale(labels)
    assert is_stale({**labels, LABEL_PID_TICKS: str(ticks + 1)})
    assert is_stale({**labels, LABEL_PID_TICKS: str(ticks - 100)})
    assert not is_stale({**labels, LABEL_PID_TICKS: "soon"})  # a label we cannot read: left alone


def test_an_owner_that_cannot_be_inspected_is_not_stale(monkeypatch):
    labels = own_labels("x")

    def denied(*args: object) -> None:
        raise PermissionError(13, "Permission denied")

    def hidden(pid: int) -> str:
        raise FileNotFoundError(2, "No such file or directory")  # hidepid=2 hides another user's /proc/PID

    monkeypatch.setattr(os, "kill", denied)  # another user's process: signal 0 is refused, so it exists
    monkeypatch.setattr(reaper, "_proc_stat", hidden)
    assert not is_stale(labels)
    monkeypatch.setattr(reaper, "_proc_stat", denied)
    assert not is_stale(labels)

    def access_denied(self: psutil.Process, *args: object) -> float:
        raise psutil.AccessDenied(self.pid)

    monkeypatch.setattr(psutil.Process, "create_time", access_denied)
    assert not is_stale(old_record(labels))


def test_a_dead_pid_is_stale_whatever_its_record():
    dead = subprocess.Popen(["true"])
    dead.wait()
    labels = {**own_labels("dead"), LABEL_PID: str(dead.pid)}
    assert is_stale(labels) and is_stale(old_record(labels))
    assert not is_stale({**labels, LABEL_PID: "0"}) and not is_stale({**labels, LABEL_PID: "-1"})


def test_an_old_record_without_ticks_is_judged_by_its_epoch_start_time():
    labels = old_record(own_labels("x"))
    started = float(labels[LABEL_PID_STARTED])
    assert is_stale({**labels, LABEL_PID_STARTED: f"{started - 60:.2f}"})
    # Within a second is the same process: boot-time-based start times move when the clock does.
    assert not is_stale({**labels, LABEL_PID_STARTED: f"{started - 0.5:.2f}"})


def test_unknown_owners_and_other_hosts_are_left_alone():
    assert not is_stale({LABEL: "base"})  # no owner pid: only `clean --all` removes it
    assert not is_stale({**own_labels("x"), LABEL_HOST: "another-host", LABEL_PID: "999999999"})
    assert not is_stale(old_record({**own_labels("x"), LABEL_PID_STARTED: "yesterday"}))


def test_another_pid_namespace_is_left_alone():
    labels = own_labels("x")
    assert labels[LABEL_PIDNS].startswith("pid:[")
    # Pid 1 here is init, started long before: in its own namespace it was a live cprofiler.
    elsewhere = {**labels, LABEL_PIDNS: "pid:[1]", LABEL_PID: "1", LABEL_PID_STARTED: "1.00", LABEL_PID_TICKS: "1"}
    assert not is_stale(elsewhere)
    assert is_stale({**elsewhere, LABEL_PIDNS: labels[LABEL_PIDNS]})


def test_the_pod_reaper_judges_by_the_same_ticks():
    from cprofiler.backends.kubernetes.manifest import label_value
    from cprofiler.backends.kubernetes.pods import _as_written

    def on_a_pod(labels: dict[str, str]) -> dict[str, str]:
        return _as_written({k: label_value(v) for k, v in labels.items()})  # as the manifest stores them

    labels = own_labels("abc")
    assert on_a_pod(labels)[LABEL_PID_TICKS] == labels[LABEL_PID_TICKS]
    assert not is_stale(on_a_pod(labels))
    assert is_stale(on_a_pod({**labels, LABEL_PID_TICKS: str(int(labels[LABEL_PID_TICKS]) + 1)}))


@pytest.mark.parametrize("name", ["sleep", "a) (b", "x y) 9 9 9"])
def test_ticks_of_a_process_with_an_awkward_name(name):
    # A real process that renamed itself (/proc/self/comm, as prctl's PR_SET_NAME), read back from /proc.
    rename = "import sys, time; open('/proc/self/comm', 'w').write(sys.argv[1]); print(flush=True); time.sleep(30)"
    child = subprocess.Popen([sys.executable, "-c", rename, name], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None and child.stdout.readline() == b"\n"
        with open(f"/proc/{child.pid}/stat") as fh:
            stat = fh.read()
        assert f"({name})" in stat
        since_boot_s = psutil.Process(child.pid).create_time() - psutil.boot_time()
        assert pid_ticks(stat) == round(since_boot_s * os.sysconf("SC_CLK_TCK"))
    finally:
        child.kill()
        child.wait()
