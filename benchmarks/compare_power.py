"""How often ``cprofiler compare`` claims a change: with none (false verdicts) and with a real one.

Simulated cold starts (230 ms plus a gamma tail, CV about 10 %), ``--trials`` pairs of samples per
cell, judged by ``compare``'s own verdict for one cell (the permutation test of the medians) and, for the
README's comparison, by the distribution-free alternative: each median's order-statistic interval
at √0.95 coverage, combined into a ratio interval. Prints the README's Markdown table.
"""

from __future__ import annotations

import argparse
import math
import random
from math import comb

from cprofiler.compare.cells import change


def order_statistic_interval(xs: list[float], level: float) -> tuple[float, float] | None:
    """The narrowest ``[x_(k), x_(n−k+1)]`` that holds the median with probability ≥ ``level``."""
    xs = sorted(xs)
    n, best = len(xs), None
    for k in range(1, n // 2 + 1):
        if sum(comb(n, i) for i in range(k, n - k + 1)) / 2**n >= level:
            best = k
    return None if best is None else (xs[best - 1], xs[n - best])


def cold_starts(rng: random.Random, n: int, scale: float) -> list[float]:
    return [(230 + rng.gammavariate(2, 12)) * scale for _ in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    level = math.sqrt(0.95)
    print("| runs per side | shift | permutation-test verdicts | order-statistic verdicts |")
    print("|---|---|---|---|")
    for n in (10, 20):
        for shift in (0.0, 0.05, 0.10):
            boot = ordered = 0
            for _ in range(args.trials):
                a, b = cold_starts(rng, n, 1), cold_starts(rng, n, 1 + shift)
                boot += change("ready_ms", a, b).direction != 0
                ia, ib = order_statistic_interval(a, level), order_statistic_interval(b, level)
                ordered += ia is not None and ib is not None and (ib[0] / ia[1] > 1 or ib[1] / ia[0] < 1)
            print(f"| {n} | {shift:.0%} | {boot / args.trials:.1%} | {ordered / args.trials:.1%} |")


if __name__ == "__main__":
    main()
