"""The interval of a median that says what it is: a range below 6 values, an order-statistic
interval of at least 95 % from 6 on, each with the coverage it actually has.

Why not the bootstrap: the percentile bootstrap of a median of 3 is the range of the 3 values, and
the median of a continuous distribution lies within the range of 3 draws only 75 % of the time
(it lies outside when all 3 fall on one side of it: 2 · 0.5³). Of 1 value it has zero width. So:

- **n < 6**: no 95 % interval exists among the values; the interval is the range, min–max, labelled
  ``range of n``, and its coverage of the median is recorded: ``1 − 2 · 0.5ⁿ`` (50 % at 2, 75 % at
  3, 93.75 % at 5). One value gives no interval: coverage 0, labelled ``1 value, no interval``.
- **n ≥ 6**: the distribution-free order-statistic interval ``[x₍ₖ₎, x₍ₙ₋ₖ₊₁₎]`` with the largest
  ``k`` whose coverage ``1 − 2 · P(Binomial(n, ½) ≤ k − 1)`` is still ≥ 95 % (at 6, k = 1: the
  range, 96.9 %). Its exact coverage is recorded and printed (``96.9 % CI``), never a rounded 95.

The coverages are exact for any continuous distribution (no assumption of normality) and at
least these for discrete values (ties only widen the chance of covering the median).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: Below this many values the interval is the range, labelled as such: no order statistics give 95 %.
MIN_VALUES_FOR_CI = 6
#: The least coverage an order-statistic interval is chosen for.
CI_TARGET = 0.95
#: ``MedianInterval.method`` of a range of fewer than MIN_VALUES_FOR_CI values.
RANGE = "range"
#: ``MedianInterval.method`` of the binomial order-statistic interval.
ORDER_STATISTIC = "order-statistic"
#: ``MedianInterval.method`` of a single value: no interval.
SINGLE = "single-value"


@dataclass(frozen=True)
class MedianInterval:
    """An interval of a median in the unit of the values, and what it is."""

    low: float
    high: float
    #: Chance that an interval built this way covers the true median, from 0 to 1 (exact for continuous values).
    coverage: float
    #: ``range`` (n < 6), ``order-statistic`` (n ≥ 6) or ``single-value`` (n = 1).
    method: str
    #: Values it was built from.
    n: int

    @property
    def label(self) -> str:
        """``range of 3``, ``96.9 % CI``, ``1 value, no interval``: what a table says it is."""
        return label(self.method, self.n, self.coverage)

    @property
    def is_ci(self) -> bool:
        """True for an interval of at least 95 % coverage (the order-statistic one)."""
        return self.method == ORDER_STATISTIC


def label(method: str, n: int, coverage: float) -> str:
    """The words for an interval of ``method`` over ``n`` values of ``coverage`` (0 to 1)."""
    if method == SINGLE:
        return "1 value, no interval"
    if method == RANGE:
        return f"range of {n}"
    return f"{percent(coverage)} CI"


def percent(coverage: float) -> str:
    """``0.96875`` → ``96.9 %``; rounded down so that a printed coverage is never more than the true one."""
    return f"{math.floor(coverage * 1000) / 10:.1f} %"


def range_coverage(n: int) -> float:
    """Chance that the range of ``n`` independent draws covers the median: ``1 − 2 · 0.5ⁿ`` (0 for n ≤ 1)."""
    return 0.0 if n <= 1 else 1.0 - 2.0 / (1 << n)


def order_statistic_coverage(n: int, k: int) -> float:
    """Coverage of ``[x₍ₖ₎, x₍ₙ₋ₖ₊₁₎]`` (1-based ranks) for the median: ``1 − 2 · P(Bin(n, ½) ≤ k − 1)``."""
    if not 1 <= k <= (n + 1) // 2:
        raise ValueError(f"rank k must be within [1, {(n + 1) // 2}] for n = {n}, got {k}")
    tail = sum(math.comb(n, i) for i in range(k)) / (1 << n)
    return max(0.0, 1 - 2 * tail)


def order_statistic_rank(n: int, target: float = CI_TARGET) -> int:
    """The largest 1-based rank ``k`` whose interval ``[x₍ₖ₎, x₍ₙ₋ₖ₊₁₎]`` still covers ``target``;
    ValueError when even the range does not (n < 6 for 95 %)."""
    if range_coverage(n) < target:
        raise ValueError(f"{n} values give no interval of {target:.0%} coverage")
    k = 1
    # The coverage falls as k grows; step while the next rank still reaches the target.
    while k + 1 <= (n + 1) // 2 and order_statistic_coverage(n, k + 1) >= target:
        k += 1
    return k


def median_interval(xs_sorted: Sequence[float]) -> MedianInterval:
    """The interval of the median of sorted, non-empty ``xs_sorted`` by the rule of this module."""
    n = len(xs_sorted)
    if n == 0:
        raise ValueError("median_interval of no values")
    if n == 1:
        return MedianInterval(xs_sorted[0], xs_sorted[0], 0.0, SINGLE, 1)
    if n < MIN_VALUES_FOR_CI:
        return MedianInterval(xs_sorted[0], xs_sorted[-1], range_coverage(n), RANGE, n)
    k = order_statistic_rank(n)
    return MedianInterval(xs_sorted[k - 1], xs_sorted[n - k], order_statistic_coverage(n, k), ORDER_STATISTIC, n)


def described(labelled: Iterable[tuple[str, float]]) -> str:
    """The distinct intervals among ``(label, coverage)`` pairs in words, for a caption or a
    footnote: ``range of 3 (covers the median 75.0 % of the time); 96.8 % CI``."""
    out: list[str] = []
    for text, coverage in labelled:
        words = text if text.endswith("CI") else f"{text} (covers the median {percent(coverage)} of the time)"
        if words not in out:
            out.append(words)
    return "; ".join(out) or "no interval"


def notation(value: str, low: str, high: str) -> str:
    """The one way every table writes a figure with its interval: ``390 ms (372…409)``,
    ``2.57× (2.38…2.83)``, ``≈0 ms (−13…21)``: the figure with its unit, then the interval's ends in
    that unit, joined by an ellipsis (a dash would read as a minus beside a negative end)."""
    return f"{value} ({low}…{high})"
