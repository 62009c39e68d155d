"""Which containers count as left by a dead invocation (no engine needed: labels in, verdict out)."""

from __future__ import annotations

import subprocess

from cprofiler.labels import LABEL, LABEL_HOST, LABEL_PID, LABEL_PID_STARTED, LABEL_PIDNS
from cprofiler.reaper import is_stale, own_labels


def test_a_live_invocation_is_never_stale():
    assert not is_stale(own_labels("live"))


def test_a_dead_invocation_is_stale():
    dead = subprocess.Popen(["true"])
    dead.wait()
    assert is_stale({**own_labels("dead"), LABEL_PID: str(dead.pid)})


def test_a_reused_pid_is_told_apart_by_its_start_time():
    labels = own_labels("x")
    started = float(labels[LABEL_PID_STARTED])
    assert is_stale({**labels, LABEL_PID_STARTED: f"{started - 60:.2f}"})
    # Within a second is the same process: boot-time-based start times move when the clock does.
    assert not is_stale({**labels, LABEL_PID_STARTED: f"{started - 0.5:.2f}"})


def test_unknown_owners_and_other_hosts_are_left_alone():
    assert not is_stale({LABEL: "base"})  # no owner pid: only `clean --all` removes it
    assert not is_stale({**own_labels("x"), LABEL_HOST: "another-host", LABEL_PID: "999999999"})
    assert not is_stale({**own_labels("x"), LABEL_PID_STARTED: "yesterday"})


def test_another_pid_namespace_is_left_alone():
    labels = own_labels("x")
    assert labels[LABEL_PIDNS].startswith("pid:[")
    # Pid 1 here is init, started long before: in its own namespace it was a live cprofiler.
    elsewhere = {**labels, LABEL_PIDNS: "pid:[1]", LABEL_PID: "1", LABEL_PID_STARTED: "1.00"}
    assert not is_stale(elsewhere)
    assert is_stale({**elsewhere, LABEL_PIDNS: labels[LABEL_PIDNS]})
