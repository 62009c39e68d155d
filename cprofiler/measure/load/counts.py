"""What one step's requests came to: counted over every request sent, not only the answered ones.

A generator's own percentiles cover the requests that got an answer, so a server that stalls 2 %
of its requests shows a p99 of milliseconds. Here every request sent in the measured window
counts once:

* **answered 2xx**: a success, with its latency;
* **answered outside 2xx** (redirects too: they are not followed): an error however fast, counted
  by class (``"3xx"``, ``"4xx"``, ``"5xx"``), with its own latency in the percentiles;
* **no answer** (timeout, refused, reset, never sent before the deadline): an error, counted at the
  request timeout in the percentiles — a lower bound of its latency, so p99 over all requests is
  at least the timeout as soon as more than 1 % went unanswered.

``latency_answered_ms`` keeps the percentiles over the 2xx answers alone, labelled so. Conventions:
percentiles are nearest-rank (the value a share ``q`` of the requests is at or below), so no
figure is interpolated between a fast answer and a timeout.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from cprofiler.results.load import LatencyMs

#: The percentiles recorded, as (``LatencyMs`` field, share of requests at or below it).
PERCENTILES = (("p50", 0.50), ("p90", 0.90), ("p99", 0.99), ("p999", 0.999))
#: The kind named for requests due in the window that the generator never sent before it ended.
NOT_SENT = "not sent before the deadline (every connection was waiting for an answer)"


@dataclass(frozen=True)
class Counts:
    """Every request of one measured window, by outcome."""

    #: Requests sent in the window (due in it, for an open loop), a count.
    requests: int
    #: Answered with 2xx, a count.
    answered_2xx: int
    #: Answered outside 2xx, by class (``"3xx"``…), counts.
    non_2xx: Mapping[str, int]
    #: No answer within the request timeout (or never sent), a count.
    timeouts: int
    #: Failed on the connection (refused, reset, closed early), a count.
    connection_errors: int
    #: The generator's own words for each kind of request without an answer, with counts.
    error_kinds: Mapping[str, int]
    #: Percentiles over every request (no answer: at the timeout), in milliseconds.
    latency_ms: LatencyMs
    #: Percentiles over the 2xx answers only, in milliseconds.
    latency_answered_ms: LatencyMs
    #: Length of the window, in seconds.
    window_s: float

    @property
    def errors_http(self) -> int:
        return sum(self.non_2xx.values())

    @property
    def errors_socket(self) -> int:
        return self.timeouts + self.connection_errors

    @property
    def answered(self) -> int:
        return self.answered_2xx + self.errors_http

    @property
    def error_share(self) -> float | None:
        """Share of the requests sent that got no 2xx answer, from 0 to 1; None with no request."""
        return 1 - self.answered_2xx / self.requests if self.requests else None

    @property
    def qps(self) -> float:
        """2xx answers per second of the window."""
        return self.answered_2xx / self.window_s if self.window_s > 0 else 0.0

    @property
    def answers_per_s(self) -> float:
        """Answers of any status per second of the window."""
        return self.answered / self.window_s if self.window_s > 0 else 0.0


@dataclass(frozen=True)
class Answer:
    """One answered request: its latency and status."""

    latency_s: float
    status: int


@dataclass
class Unanswered:
    """The requests of a window that got no answer, by the generator's own word for why."""

    kinds: Counter[str] = field(default_factory=Counter)

    @property
    def timeouts(self) -> int:
        return sum(n for k, n in self.kinds.items() if is_timeout(k))

    @property
    def connection_errors(self) -> int:
        return sum(n for k, n in self.kinds.items() if not is_timeout(k))

    @property
    def total(self) -> int:
        return sum(self.kinds.values())


def is_timeout(kind: str) -> bool:
    """True for a kind of error that is a request left without an answer in time (or never sent)."""
    lowered = kind.lower()
    return "timeout" in lowered or "timed out" in lowered or "deadline" in lowered


def status_class(status: int) -> str:
    """``"2xx"``, ``"3xx"``… of an HTTP status."""
    return f"{status // 100}xx"


def count(answers: Sequence[Answer], unanswered: Unanswered, *, timeout_s: float, window_s: float) -> Counts:
    """The window's counts and percentiles from its answered requests and its unanswered ones."""
    classes = Counter(status_class(a.status) for a in answers)
    ok = classes.pop("2xx", 0)
    all_ms = [a.latency_s * 1000 for a in answers]
    ok_ms = [a.latency_s * 1000 for a in answers if 200 <= a.status < 300]
    return Counts(
        requests=len(answers) + unanswered.total,
        answered_2xx=ok,
        non_2xx=dict(sorted(classes.items())),
        timeouts=unanswered.timeouts,
        connection_errors=unanswered.connection_errors,
        error_kinds=dict(sorted(unanswered.kinds.items())),
        latency_ms=percentiles(all_ms, unanswered=unanswered.total, timeout_ms=timeout_s * 1000),
        latency_answered_ms=percentiles(ok_ms),
        window_s=window_s,
    )


def percentiles(values_ms: Iterable[float], *, unanswered: int = 0, timeout_ms: float = 0.0) -> LatencyMs:
    """Nearest-rank percentiles and the maximum of ``values_ms`` plus ``unanswered`` requests at
    ``timeout_ms``; all null when there is no request."""
    xs = sorted(values_ms)
    n = len(xs) + unanswered
    if n == 0:
        return LatencyMs()

    def at_rank(k: int) -> float:  # the k-th smallest, from 1; the unanswered sort last
        return xs[k - 1] if k <= len(xs) else max(timeout_ms, xs[-1] if xs else 0.0)

    figures = {name: at_rank(max(1, math.ceil(q * n - 1e-9))) for name, q in PERCENTILES}
    return LatencyMs(**figures, max=at_rank(n))


def share_of(kinds: Mapping[str, int], total: int) -> Counter[str]:
    """``total`` spread over ``kinds`` in proportion to their counts (largest remainder), so that
    the parts add up to ``total``; whatever has no kind to go to is ``NOT_SENT``."""
    out: Counter[str] = Counter()
    whole = sum(kinds.values())
    if total <= 0:
        return out
    if whole <= 0:
        out[NOT_SENT] = total
        return out
    scale = min(1.0, total / whole)
    exact = {k: v * scale for k, v in kinds.items() if v > 0}
    out.update({k: int(x) for k, x in exact.items()})
    left = min(total, round(sum(exact.values()))) - sum(out.values())
    for k in sorted(exact, key=lambda k: exact[k] - int(exact[k]), reverse=True)[: max(0, left)]:
        out[k] += 1
    if total > sum(out.values()):
        out[NOT_SENT] += total - sum(out.values())
    return +out
