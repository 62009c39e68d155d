"""Tests behind a verdict: a permutation test of two medians, and Holm's correction over many.

Pure functions of numbers, no third-party packages.

- :func:`permutation_p` is the two-sided permutation test of ``median(a) − median(b)``: under "no
  change" the two samples are exchangeable, so every split of the pooled values into groups of the
  two sizes is equally likely, and the p-value is the share of splits whose difference of medians
  is at least as far from zero as the observed one. It assumes no distribution. With at most
  ``EXACT_SPLITS`` splits (5 a side: 252) every split is counted, exactly; beyond, ``resamples``
  splits are drawn from ``random.Random(seed)`` and ``p = (k + 1) / (resamples + 1)``, which stays
  a valid p-value (never below the exact one in expectation) and is the same for the same values
  and seed. The median is a coarse statistic at few values: many splits share the observed
  medians, so at 5 a side the smallest p is 12/252 = 0.048 (two samples wholly apart). One cell
  can reach 5 %; a family of several, corrected, cannot: measure more runs (10 a side: ≈ 0.001).
- :func:`holm` is Holm's step-down adjustment: rejecting where the adjusted p ≤ α keeps the chance
  of any false verdict among the m tests at most α, whatever their dependence.
"""

from __future__ import annotations

import itertools
import math
import random
import statistics
from collections.abc import Sequence

#: Every split is counted when there are at most this many; beyond, splits are drawn.
EXACT_SPLITS = 20_000
#: Splits drawn when there are too many to count (the smallest p is then 1 / (resamples + 1)).
RESAMPLES = 1999
#: Two differences closer than this share of the observed one count as equal (float noise).
_TOLERANCE = 1e-9


def permutation_p(a: Sequence[float], b: Sequence[float], *, seed: int = 0, resamples: int = RESAMPLES) -> float:
    """Two-sided p-value of the permutation test of ``median(a) − median(b)``; ValueError when a
    side is empty."""
    if not a or not b:
        raise ValueError("permutation_p needs at least one value on each side")
    pooled = [float(x) for x in (*a, *b)]
    na, total = len(a), len(pooled)
    observed = abs(statistics.median(a) - statistics.median(b))
    if observed == 0:
        return 1.0  # every split is at least as far from zero as no difference at all
    threshold = observed - _TOLERANCE * max(observed, 1e-300)
    if math.comb(total, na) <= EXACT_SPLITS:
        hits = count = 0
        everyone = range(total)
        for chosen in itertools.combinations(everyone, na):
            picked = set(chosen)
            left = [pooled[i] for i in chosen]
            right = [pooled[i] for i in everyone if i not in picked]
            hits += abs(statistics.median(left) - statistics.median(right)) >= threshold
            count += 1
        return hits / count
    rng = random.Random(seed)
    hits = 0
    shuffled = list(pooled)
    for _ in range(resamples):
        rng.shuffle(shuffled)
        hits += abs(statistics.median(shuffled[:na]) - statistics.median(shuffled[na:])) >= threshold
    return (hits + 1) / (resamples + 1)


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
