"""Kubernetes probes from the scenario's readiness probe, and startupProbe timing by kubelet rules.

How the kubelet runs a startupProbe (``pkg/kubelet/prober/worker.go``): the first probe comes at
the first tick of its period after the container runs, which may be at once, and the container is
killed at the ``failureThreshold``-th failure in a row. Probes land at t0, t0 + P, …, and failure
number F comes at t0 + (F − 1) × P; with t0 as early as 0, the start-up time that is *guaranteed*
to pass is ``(F − 1) × P`` (:func:`guaranteed_window_s`), not ``F × P``.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from cprofiler.scenario.model import ReadySpec

#: The startupProbe's guaranteed window covers this many times the p99 time to ready.
STARTUP_COVER = 2
#: Kubernetes' own default failureThreshold; fewer would kill a container for one slow probe.
STARTUP_MIN_FAILURES = 3
#: Windows up to this long probe every second; longer ones every STARTUP_SLOW_PERIOD_S seconds,
#: so a slow starter is not polled hundreds of times.
STARTUP_FAST_WINDOW_S = 60
STARTUP_SLOW_PERIOD_S = 5
#: readinessProbe timing: Kubernetes' default failureThreshold, twice as often as its default period.
READINESS_PERIOD_S = 5
READINESS_FAILURES = 3


def guaranteed_window_s(period_s: int, failure_threshold: int) -> int:
    """Seconds of start-up a startupProbe always allows: ``(F − 1) × P`` (see the module doc)."""
    return (failure_threshold - 1) * period_s


def startup_timing(p99_ready_ms: Fraction | float) -> tuple[int, int]:
    """``(periodSeconds, failureThreshold)`` whose guaranteed window covers STARTUP_COVER × p99.

    The smallest F with ``(F − 1) × P ≥ STARTUP_COVER × p99``, and never below
    STARTUP_MIN_FAILURES. P is 1 s, or STARTUP_SLOW_PERIOD_S for windows over a minute.
    """
    need_s = STARTUP_COVER * Fraction(p99_ready_ms) / 1000
    period = 1 if need_s <= STARTUP_FAST_WINDOW_S else STARTUP_SLOW_PERIOD_S
    failures = max(STARTUP_MIN_FAILURES, math.ceil(need_s / period) + 1)
    return period, failures


def probe_handler(ready: ReadySpec) -> tuple[dict[str, Any] | None, int | None, str | None]:
    """The Kubernetes probe handler for the scenario's probe, its port, and a note when none."""
    if ready.http is not None:
        return {"httpGet": {"path": ready.http.path, "port": ready.http.port}}, ready.http.port, None
    if ready.tcp is not None:
        return {"tcpSocket": {"port": ready.tcp.port}}, ready.tcp.port, None
    if ready.log is not None:
        return (
            None,
            None,
            "no startupProbe or readinessProbe: the scenario waits for a log line, which a kubelet "
            "cannot watch; add an httpGet, tcpSocket or exec probe if the service has one",
        )
    return (
        None,
        None,
        "no probes: the scenario waits for the container to exit, so it is a batch job; "
        "run it as a Job (a Deployment would restart it forever)",
    )
