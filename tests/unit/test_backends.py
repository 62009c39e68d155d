"""The backend seam without an engine or a cluster: what both backends share holds on both."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator

from cprofiler.backends.base import Invocation
from cprofiler.backends.kubernetes.manifest import Placement
from cprofiler.backends.kubernetes.starter import PodStarter
from cprofiler.backends.run import RunTiming
from cprofiler.measure.probes import Watch, make_probe
from cprofiler.measure.probes.bounded_regex import MATCH_TIMEOUT_S
from cprofiler.scenario.model import ReadySpec

EVIL = "^(a+)+$"
#: Some 2**32 ways to split the a's before the match fails: minutes for an unbounded ``re``.
EVIL_LINE = b"a" * 32 + b"!"


class LogOnly:
    """A stand-in for the cluster that only has a pod's log: the lines given."""

    def __init__(self, *lines: bytes) -> None:
        self.lines = lines

    def follow_log(self, name: str) -> Iterator[bytes]:
        yield from (line + b"\n" for line in self.lines)


def pod_starter(cluster: object) -> PodStarter:
    return PodStarter(
        cluster,  # type: ignore[arg-type]
        invocation=Invocation("abc", labels={"cprofiler": "abc"}),
        timing=RunTiming(timeout_s=5, settle_s=0),
        placement=Placement(),
    )


def test_the_kubernetes_log_probe_bounds_a_backtracking_regex():
    starter = pod_starter(LogOnly(b"starting", EVIL_LINE, b"aaaa"))
    watch = Watch()
    tail: deque[str] = deque(maxlen=20)
    t0 = time.monotonic()
    starter._follow("pod", watch, make_probe(ReadySpec(log=EVIL)), tail)
    took = time.monotonic() - t0
    assert watch.probe_error is not None and "backtracks catastrophically" in watch.probe_error, watch.probe_error
    assert watch.ready_ns is None  # the line after the failure is not matched
    assert took < MATCH_TIMEOUT_S + 1.0, took
    assert list(tail)[:2] == ["starting", EVIL_LINE.decode()]


def test_the_kubernetes_log_probe_sees_a_matching_line():
    starter = pod_starter(LogOnly(b"booting", b"listening on 8080", b"more"))
    watch = Watch()
    starter._follow("pod", watch, make_probe(ReadySpec(log="listening on \\d+")), deque(maxlen=20))
    assert watch.ready_ns is not None and watch.probe_error is None
