"""A short soak (benchmarks/soak.py runs the long one): the harness's RSS and open files stay flat."""

from __future__ import annotations

import pytest

from benchmarks.soak import soak

pytestmark = pytest.mark.engine
MiB = 1 << 20


def test_sixty_runs_leave_the_harness_flat_and_no_container(engine, testapp_context):
    result = soak(engine, testapp_context, runs=60, every=20)
    assert result.statuses == {"ok": 60}
    assert result.leftover_containers == 0
    # From the first sample on nothing may grow by the run: a socket or thread per run would show
    # as +40 here, a buffer per run as megabytes. The engine client's connection pool keeps up to
    # 16 idle sockets, more or fewer as threads overlapped, so open files move within that.
    growth = result.growth(since=1)
    assert growth["open_fds"] <= 16, result.samples
    assert growth["threads"] <= 2, result.samples
    assert growth["rss_bytes"] < 4 * MiB, result.samples
