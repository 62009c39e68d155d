"""Statistics over repeated runs: summaries, confidence intervals, outliers, ratios, run order.

Pure functions of numbers, no I/O and no third-party packages. Every figure keeps the unit of its
input: summarise ``ready_ms`` values and the summary is in milliseconds.

Conventions, chosen so that a reader can check our numbers with common tools:

- Percentiles interpolate linearly between closest ranks (numpy's default ``"linear"`` method,
  R's type 7), so ``percentile(xs, 50)`` is numpy's ``median(xs)``.
- The interval of one median (``Summary.ci95``) follows :mod:`cprofiler.results.intervals`: the
  range (min–max) below 6 values, labelled ``range of n`` with its true coverage (75 % at 3), and
  from 6 values the distribution-free order-statistic interval of at least 95 %, with the exact
  coverage it has (``Summary.ci_coverage``, ``Summary.ci_label``). No bootstrap: the bootstrap of
  a median of 3 is its range and would be called 95 %.
- Intervals of the ratio or difference of two independent medians are percentile bootstraps
  drawn from ``random.Random(seed)``: the same values and the same seed give the same interval on
  the same Python version (``random`` promises a stable sequence only for ``random()``;
  ``betavariate`` last changed in 3.7). Their level is nominal (``CI_LEVEL``): with few values per
  side they cover less, so verdicts are drawn from tests (:mod:`cprofiler.results.significance`), not from
  them. An interval is kept as its two ends (:class:`Interval`): it need not be symmetric.
- Outliers are judged by the modified z-score of Iglewicz and Hoaglin, ``0.6745·(x − median)/MAD``.
"""

from __future__ import annotations

import functools
import math
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cprofiler.results import intervals

#: Bootstrap resamples behind every confidence interval, ratio and difference.
BOOTSTRAP_RESAMPLES = 2000
#: Nominal confidence level of the bootstrap of an ``Interval`` (a ratio or difference of medians).
CI_LEVEL = 0.95
#: A value is an outlier when its modified z-score exceeds this in absolute value. 3.5 is the cut
#: Iglewicz and Hoaglin recommend. hyperfine scores the same way but only warns past the
#: equivalent of 10 (``|x − median| / MAD > 14.826``), so we warn on milder outliers than it does.
OUTLIER_Z_THRESHOLD = 3.5
#: Scales the MAD to the standard deviation of a normal distribution (0.6745 = Φ⁻¹(0.75)).
_MAD_TO_Z = 0.6745


@dataclass(frozen=True)
class Summary:
    """Statistics of one metric over the runs of one image, in the unit of the input values."""

    #: Number of values summarised (Nones excluded).
    n: int
    #: Smallest value.
    min: float
    #: Median (the 50th percentile).
    median: float
    #: Arithmetic mean.
    mean: float
    #: 95th percentile, linearly interpolated between closest ranks.
    p95: float
    #: Largest value.
    max: float
    #: Sample standard deviation (n − 1 in the denominator); 0.0 when n is 1.
    stdev: float
    #: Interval of the median, ``(low, high)``: the range below 6 values, else the order-statistic
    #: interval of at least 95 % (:mod:`cprofiler.results.intervals`); its coverage is ``ci_coverage``.
    ci95: tuple[float, float]
    #: Positions of outliers among the summarised values (Nones skipped, input order kept).
    outliers: list[int]
    #: Chance that ``ci95`` covers the true median, from 0 to 1 (0.75 for a range of 3; 0 for 1 value).
    ci_coverage: float = 0.0
    #: How ``ci95`` was built: ``range``, ``order-statistic`` or ``single-value``.
    ci_method: str = intervals.SINGLE

    @property
    def ci_label(self) -> str:
        """What ``ci95`` is, in words for a table: ``range of 3``, ``96.9 % CI``."""
        return intervals.label(self.ci_method, self.n, self.ci_coverage)

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as a JSON-ready dict; ``ci95`` becomes a two-element list, with its
        ``ci_coverage`` (a share, 0 to 1), ``ci_method`` and ``ci_label``."""
        return {
            "n": self.n,
            "min": self.min,
            "median": self.median,
            "mean": self.mean,
            "p95": self.p95,
            "max": self.max,
            "stdev": self.stdev,
            "ci95": [self.ci95[0], self.ci95[1]],
            "outliers": list(self.outliers),
            "ci_coverage": self.ci_coverage,
            "ci_method": self.ci_method,
            "ci_label": self.ci_label,
        }


@dataclass(frozen=True)
class Interval:
    """A figure and its percentile-bootstrap interval (nominal 95 %), ``low`` to ``high``, in the figure's unit.

    A percentile interval need not be symmetric about the figure (a ratio of medians rarely is), so
    it is kept and shown as its two ends, never as ``value ± half-width``.
    """

    #: The point estimate: a ratio of medians, or a difference of medians.
    value: float
    #: Lower end of the interval.
    low: float
    #: Upper end of the interval.
    high: float

    @property
    def uncertainty(self) -> float:
        """Half the interval's width: a summary for sorting and thresholds, not for display."""
        return (self.high - self.low) / 2

    def holds(self, x: float) -> bool:
        """True when ``x`` lies within the interval (both ends included)."""
        return self.low <= x <= self.high

    def format(self, digits: int = 2) -> str:
        """Return a ratio as text, e.g. ``"2.57× (2.38…2.83)"`` (:func:`intervals.notation`)."""
        return intervals.notation(f"{self.value:.{digits}f}×", f"{self.low:.{digits}f}", f"{self.high:.{digits}f}")

    def to_dict(self) -> dict[str, float]:
        """Return ``{"value": …, "low": …, "high": …}`` for JSON."""
        return {"value": self.value, "low": self.low, "high": self.high}


#: The interval of a ratio of medians (the name the report's columns use).
Ratio = Interval


def percentile(values: Sequence[float], q: float) -> float:
    """Return the ``q``-th percentile (0 ≤ q ≤ 100) of non-empty ``values``.

    Linear interpolation between closest ranks, as numpy's default method.
    Raises ``ValueError`` when ``values`` is empty or ``q`` is outside [0, 100].
    """
    if not values:
        raise ValueError("percentile of no values")
    return _percentile_sorted(sorted(values), q)


def summarize(values: Sequence[float | int | None], *, seed: int = 0, resamples: int = BOOTSTRAP_RESAMPLES) -> Summary | None:
    """Return the statistics of the non-None ``values``, or None when there are none.

    ``ci95`` is the interval of :func:`cprofiler.results.intervals.median_interval` (``seed`` and
    ``resamples`` are kept for callers and no longer used: the interval needs no resampling).
    ``outliers`` index the non-None values in their input order, so pass values in run order.
    Raises ``ValueError`` on NaN or infinite values: a run either measured a number or gave None.
    """
    xs = _finite([v for v in values if v is not None], "summarize")
    if not xs:
        return None
    xs_sorted = sorted(xs)
    n = len(xs)
    median = _percentile_sorted(xs_sorted, 50)
    interval = intervals.median_interval(xs_sorted)
    return Summary(
        n=n,
        min=xs_sorted[0],
        median=median,
        mean=statistics.fmean(xs),
        p95=_percentile_sorted(xs_sorted, 95),
        max=xs_sorted[-1],
        # statistics.stdev sums exactly, so large byte counts with small spread lose no precision.
        stdev=statistics.stdev(xs) if n > 1 else 0.0,
        ci95=(interval.low, interval.high),
        outliers=_outliers(xs, median),
        ci_coverage=interval.coverage,
        ci_method=interval.method,
    )


def outlier_warning(values: Sequence[float | int | None]) -> str | None:
    """Return one sentence saying what to do about outliers in ``values``, or None if none.

    ``values`` must be in run order: a slow first run (ignoring Nones) means caches were cold and
    asks for ``--warmup``; outliers elsewhere mean a noisy machine. Mirrors hyperfine's warnings.
    """
    xs = _finite([v for v in values if v is not None], "outlier_warning")
    if not xs:
        return None
    median = percentile(xs, 50)
    outliers = _outliers(xs, median)
    if not outliers:
        return None
    # Only a *slow* first run points at cold caches; a fast one is just noise.
    if outliers[0] == 0 and xs[0] > median:
        return "the first run is much slower than the rest: add --warmup runs"
    k, m = len(outliers), len(xs)
    are = "is an outlier" if k == 1 else "are outliers"
    return f"{k} of {m} runs {are}: the machine is noisy; close other programs or add --runs"


def ratio(
    numer: Sequence[float | int | None],
    denom: Sequence[float | int | None],
    *,
    seed: int = 0,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> Interval:
    """Return ``median(numer) / median(denom)`` with its nominal 95 % bootstrap interval, ignoring Nones.

    The interval is the percentile bootstrap of the ratio of medians, each median resampled
    independently (the two images ran in separate containers). hyperfine instead propagates the
    standard deviations of the means; the bootstrap keeps our ratio robust to the same outliers the
    median ignores. For the reference image itself use ``Interval(1, 1, 1)`` rather than calling
    this: resampling the same runs twice independently would give it a spurious width.

    Raises ``ValueError`` when either side has no values or ``denom`` has a value ≤ 0 (ratios are
    meant for durations and sizes, which are positive).
    """
    top, bottom = _two_sides(numer, denom, "ratio")
    if bottom[0] <= 0:
        raise ValueError(f"ratio needs positive denominators, got {bottom[0]}")
    top_medians, bottom_medians = _seeded_medians([top, bottom], resamples, seed)
    low, high = _central_interval([t / b for t, b in zip(top_medians, bottom_medians, strict=True)])
    return Interval(_percentile_sorted(top, 50) / _percentile_sorted(bottom, 50), low, high)


def difference(
    minuend: Sequence[float | int | None],
    subtrahend: Sequence[float | int | None],
    *,
    seed: int = 0,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> Interval:
    """Return ``median(minuend) − median(subtrahend)`` with its nominal 95 % bootstrap interval, ignoring Nones.

    The same percentile bootstrap as :func:`ratio`, of the difference: an image's cold start minus
    the runtime floor's is its own share of a start, and the interval says whether that share can
    be told from zero. Raises ``ValueError`` when either side has no values.
    """
    top, bottom = _two_sides(minuend, subtrahend, "difference")
    top_medians, bottom_medians = _seeded_medians([top, bottom], resamples, seed)
    low, high = _central_interval([t - b for t, b in zip(top_medians, bottom_medians, strict=True)])
    return Interval(_percentile_sorted(top, 50) - _percentile_sorted(bottom, 50), low, high)


def _two_sides(a: Sequence[float | int | None], b: Sequence[float | int | None], where: str) -> tuple[list[float], list[float]]:
    """Both samples sorted, Nones dropped; ValueError when one is empty or holds NaN or infinity."""
    top = sorted(_finite([v for v in a if v is not None], where))
    bottom = sorted(_finite([v for v in b if v is not None], where))
    if not top or not bottom:
        raise ValueError(f"{where} needs at least one value on each side")
    return top, bottom


def shuffled_rounds(names: list[str], rounds: int, *, shuffle: bool, seed: int | None) -> list[list[str]]:
    """Return the run order: ``rounds`` lists, each holding every name exactly once.

    Without ``shuffle`` every round is ``names`` in order (A B C, A B C, …), so slow drift of the
    machine spreads evenly over the images instead of landing on whichever ran last. With
    ``shuffle`` each round is permuted by one ``random.Random(seed)``, so the same seed gives the
    same order; ``seed=None`` draws a fresh order each time (record a seed to make it reproducible).
    ``seed`` is ignored without ``shuffle``. Raises ``ValueError`` when ``rounds`` is negative.
    """
    if rounds < 0:
        raise ValueError(f"rounds must be >= 0, got {rounds}")
    if not shuffle:
        return [list(names) for _ in range(rounds)]
    rng = random.Random(seed)
    order = []
    for _ in range(rounds):
        one = list(names)
        rng.shuffle(one)
        order.append(one)
    return order


def _finite(xs: list[float | int], where: str) -> list[float]:
    """Return ``xs`` as floats, raising ``ValueError`` on NaN or infinity."""
    out = [float(x) for x in xs]
    for x in out:
        if not math.isfinite(x):
            raise ValueError(f"{where}: values must be finite numbers, got {x}")
    return out


def _lerp(a: float, b: float, t: float) -> float:
    """Interpolate from ``a`` (t = 0) to ``b`` (t = 1) the way numpy does.

    Computing from the nearer end keeps the result within [a, b] and exact at both ends; it is
    the formula numpy's percentile uses.
    """
    if t < 0.5:
        return a + (b - a) * t
    return b - (b - a) * (1 - t)


def _percentile_sorted(xs_sorted: Sequence[float], q: float) -> float:
    """Return the ``q``-th percentile of already sorted, non-empty ``xs_sorted``."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile q must be within [0, 100], got {q}")
    h = (len(xs_sorted) - 1) * q / 100
    lo = math.floor(h)
    hi = min(lo + 1, len(xs_sorted) - 1)
    return _lerp(xs_sorted[lo], xs_sorted[hi], h - lo)


def _central_interval(samples: list[float]) -> tuple[float, float]:
    """Return the central ``CI_LEVEL`` interval of ``samples`` (the percentile bootstrap)."""
    samples.sort()
    tail = (1 - CI_LEVEL) / 2 * 100
    return _percentile_sorted(samples, tail), _percentile_sorted(samples, 100 - tail)


def _seeded_medians(samples: Sequence[Sequence[float]], resamples: int, seed: int) -> list[list[float]]:
    """The bootstrap medians of each sorted sample in turn, all drawn from one ``random.Random(seed)``:
    what ``_bootstrap_medians`` gives for each, called in that order on that generator.

    Which ranks a resample's median falls on depends on the sample sizes alone, never on the
    values, so the ranks are drawn once per seed, resample count and sizes (``_median_ranks``)
    and reused: the images of one results file mostly have equal run counts, and a file of
    thousands of images would otherwise draw millions of Beta variates for the same ranks.
    """
    ranks = _median_ranks(seed, resamples, tuple(len(xs) for xs in samples))
    return [_medians_at(xs, at) for xs, at in zip(samples, ranks, strict=True)]


@functools.lru_cache(maxsize=64)
def _median_ranks(seed: int, resamples: int, sizes: tuple[int, ...]) -> tuple[tuple[tuple[int, int], ...], ...]:
    rng = random.Random(seed)
    return tuple(tuple(_draw_median_ranks(n, resamples, rng)) for n in sizes)


def _bootstrap_medians(xs_sorted: Sequence[float], resamples: int, rng: random.Random) -> list[float]:
    """Return the medians of ``resamples`` bootstrap resamples of sorted ``xs_sorted``.

    A resample draws n indices ``floor(n·U)`` from n uniforms U, and since
    ``u ↦ xs_sorted[floor(n·u)]`` never decreases, the k-th smallest resampled value is
    ``xs_sorted[floor(n·U₍ₖ₎)]`` where U₍ₖ₎ is the k-th smallest uniform. U₍ₖ₎ follows
    Beta(k, n − k + 1); given U₍ₖ₎ = u, the other n − k uniforms above it are uniform on (u, 1),
    so P(U₍ₖ₊₁₎ > t) = ((1 − t)/(1 − u))^(n − k), which we invert with one more uniform V.
    Drawing these two order statistics instead of n indices gives exactly the distribution of
    the textbook bootstrap in O(1) per resample instead of O(n log n): for n = 1000 that is
    milliseconds instead of a third of a second.
    """
    return _medians_at(xs_sorted, _draw_median_ranks(len(xs_sorted), resamples, rng))


def _draw_median_ranks(n: int, resamples: int, rng: random.Random) -> list[tuple[int, int]]:
    """The 0-based ranks ``(lower, upper)`` of each resample's median among n sorted values
    (``lower == upper`` when n is odd); see ``_bootstrap_medians``."""
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")
    k = (n + 1) // 2  # 1-based rank of the median (the lower middle one when n is even)
    last = n - 1
    beta = rng.betavariate
    uniform = rng.random
    ranks = []
    for _ in range(resamples):
        u = beta(k, n - k + 1)
        # min() guards against u rounding up to 1.0, which would index past the end.
        lower = min(int(u * n), last)
        if n % 2:
            ranks.append((lower, lower))
            continue
        u_next = 1 - (1 - u) * uniform() ** (1 / (n - k))
        ranks.append((lower, min(int(u_next * n), last)))
    return ranks


def _medians_at(xs_sorted: Sequence[float], ranks: Sequence[tuple[int, int]]) -> list[float]:
    """The median of each resample, from its ranks: the value, or the midpoint of the two."""
    if len(xs_sorted) % 2:
        return [xs_sorted[lower] for lower, _ in ranks]
    # _lerp(a, b, 0.5) written out (b − (b − a)·0.5, the same float), once per resample.
    pairs = [(xs_sorted[lower], xs_sorted[upper]) for lower, upper in ranks]
    return [b - (b - a) * 0.5 for a, b in pairs]


def _outliers(xs: Sequence[float], median: float) -> list[int]:
    """Return the positions in ``xs`` whose modified z-score exceeds ``OUTLIER_Z_THRESHOLD``.

    With a MAD of zero (more than half the values equal, common for byte counts) every other
    value would score infinity; we report no outliers then rather than flag ordinary variation.
    """
    mad = percentile([abs(x - median) for x in xs], 50)
    if mad == 0:
        return []
    scale = _MAD_TO_Z / mad
    return [i for i, x in enumerate(xs) if abs((x - median) * scale) > OUTLIER_Z_THRESHOLD]
