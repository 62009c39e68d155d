"""Tests behind a verdict: a permutation test of two samples' ranks, and Holm's correction over many.

Pure functions of numbers, no third-party packages.

- :func:`permutation_p` is the two-sided permutation test of the rank sum (Wilcoxon–Mann–Whitney):
  the pooled values are ranked (ties share their mid-rank), and under "no change" the two samples
  are exchangeable, so every split of the ranks into groups of the two sizes is equally likely;
  the p-value is the share of splits whose mean rank of ``a`` minus that of ``b`` is at least as
  far from zero as the observed one. It assumes no distribution and, working on ranks, one slow
  outlier moves it no more than any other slower run. With at most ``EXACT_SPLITS`` splits (5 a
  side: 252) every split is counted, exactly; beyond, ``resamples`` splits are drawn from
  ``random.Random(seed)`` and ``p = (k + 1) / (resamples + 1)``, a valid p-value, the same for the
  same values and seed. At 5 a side the smallest p is 2/252 = 0.0079 (two samples wholly apart),
  so a family of up to 6 such cells can still give a verdict after Holm's correction; the
  difference of medians, tested the same way, could not go below 12/252 = 0.048 there.
- :func:`holm` is Holm's step-down adjustment: rejecting where the adjusted p ≤ α keeps the chance
  of any false verdict among the m tests at most α, whatever their dependence.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence

#: Fewer values than this on either side and no verdict is given (``compare``, and the verdict line
#: of ``measure``): the permutation test of 3 a side cannot give a p below 0.1, and a bootstrap of
#: 2 or 3 values cannot say how much a median moves.
MIN_RUNS = 5
#: The chance of any false verdict among the tests of one family (Holm's method keeps it at most this).
ALPHA = 0.05
#: Every split is counted when there are at most this many; beyond, splits are drawn.
EXACT_SPLITS = 20_000
#: Splits drawn when there are too many to count (the smallest p is then 1 / (resamples + 1)).
RESAMPLES = 1999
#: Two differences closer than this share of the observed one count as equal (float noise).
_TOLERANCE = 1e-9


def permutation_p(a: Sequence[float], b: Sequence[float], *, seed: int = 0, resamples: int = RESAMPLES) -> float:
    """Two-sided p-value of the permutation test of the rank sum of ``a`` against ``b``;
    ValueError when a side is empty."""
    if not a or not b:
        raise ValueError("permutation_p needs at least one value on each side")
    ranks = mid_ranks([float(x) for x in (*a, *b)])
    na, total = len(a), len(ranks)
    whole = sum(ranks)

    def distance(picked_sum: float) -> float:  # |mean rank of a − mean rank of b|
        return abs(picked_sum / na - (whole - picked_sum) / (total - na)) if total > na else 0.0

    observed = distance(sum(ranks[:na]))
    if observed == 0:
        return 1.0  # every split is at least as far from zero as no difference at all
    threshold = observed - _TOLERANCE * max(observed, 1e-300)
    if math.comb(total, na) <= EXACT_SPLITS:
        splits = list(itertools.combinations(ranks, na))
        return sum(distance(sum(chosen)) >= threshold for chosen in splits) / len(splits)
    rng = random.Random(seed)
    hits = 0
    shuffled = list(ranks)
    for _ in range(resamples):
        rng.shuffle(shuffled)
        hits += distance(sum(shuffled[:na])) >= threshold
    return (hits + 1) / (resamples + 1)


def smallest_p(na: int, nb: int, *, resamples: int = RESAMPLES) -> float:
    """The smallest p :func:`permutation_p` can give with ``na`` and ``nb`` values (two samples
    wholly apart): 2 of the splits when every split is counted, else ``1 / (resamples + 1)``."""
    splits = math.comb(na + nb, na)
    return min(1.0, 2 / splits) if splits <= EXACT_SPLITS else 1 / (resamples + 1)


def mid_ranks(values: Sequence[float]) -> list[float]:
    """The rank of each value from 1, in the order given; tied values share the mean of their ranks."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for k in range(start, end + 1):
            ranks[order[k]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's adjusted p-values, in the order given: the i-th smallest p times ``m − i + 1``, made
    non-decreasing, at most 1. Reject where the adjusted p ≤ α."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted
