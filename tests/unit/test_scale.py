"""Many images cost each a small constant: no per-image redraw of the same bootstrap, no
comparison of every pair of images where the answer needs none (no engine needed)."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cprofiler import report
from cprofiler.recommend.criteria import CRITERIA, Candidate, Criterion, Estimate
from cprofiler.recommend.decide import Domination, dominations
from cprofiler.results import stats
from cprofiler.results.model import Measurement
from tests.unit.factories import image, measurement, spread

IMAGES = 120


def many(count: int) -> Measurement:
    """``count`` images of 10 runs each, every one with figures of its own."""
    images = [image(f"img-{i:03d}", spread(100.0 + i, 10), ws_mib=1.0 + i % 7) for i in range(count)]
    return measurement(*images, floor_ms=spread(50.0, 10))


@pytest.fixture
def beta_draws(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the Beta variates drawn from here on (the cost of a bootstrap resample)."""
    stats._median_ranks.cache_clear()
    drawn = [0]
    real = random.Random.betavariate

    def counted(self: random.Random, alpha: float, beta: float) -> float:
        drawn[0] += 1
        return real(self, alpha, beta)

    monkeypatch.setattr(random.Random, "betavariate", counted)
    return drawn


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_a_report_of_many_images_draws_the_bootstrap_of_each_run_count_once(beta_draws, fmt):
    report.render(many(IMAGES), fmt)
    # A handful of distinct sample-size pairs, each drawn once: not a bootstrap per image and figure.
    assert beta_draws[0] <= 8 * stats.BOOTSTRAP_RESAMPLES, beta_draws[0]


def test_recommend_of_many_images_draws_the_bootstrap_of_each_run_count_once(beta_draws):
    from cprofiler.recommend.criteria import candidates
    from cprofiler.recommend.decide import recommend

    recommend(candidates(many(IMAGES)))
    assert beta_draws[0] <= 4 * stats.BOOTSTRAP_RESAMPLES, beta_draws[0]


def drawn_medians(xs_sorted: list[float], resamples: int, rng: random.Random) -> list[float]:
    """The bootstrap medians as cprofiler drew them before it kept the ranks: values and ranks at once."""
    n = len(xs_sorted)
    k, last = (n + 1) // 2, n - 1
    medians = []
    for _ in range(resamples):
        u = rng.betavariate(k, n - k + 1)
        lower = xs_sorted[min(int(u * n), last)]
        if n % 2:
            medians.append(lower)
            continue
        u_next = 1 - (1 - u) * rng.random() ** (1 / (n - k))
        medians.append(stats._lerp(lower, xs_sorted[min(int(u_next * n), last)], 0.5))
    return medians


@given(st.lists(st.floats(1e-3, 1e12, allow_nan=False), min_size=1, max_size=12), st.integers(0, 3))
@settings(max_examples=80, deadline=None)
def test_reused_ranks_give_exactly_the_medians_drawn_with_the_values(xs: list[float], seed: int):
    xs = sorted(xs)
    other = sorted(x * 1.37 for x in xs[: max(1, len(xs) // 2)])
    rng = random.Random(seed)
    drawn = [drawn_medians(xs, 200, rng), drawn_medians(other, 200, rng)]
    assert stats._seeded_medians([xs, other], 200, seed) == drawn
    assert stats._seeded_medians([xs, other], 200, seed) == drawn  # from the cache, the same
    assert stats._bootstrap_medians(xs, 200, random.Random(seed)) == drawn_medians(xs, 200, random.Random(seed))


def pairwise(cands: Sequence[Candidate], names: Sequence[str]) -> dict[str, tuple[Domination, ...]]:
    """The definition, pair by pair: separably better on one criterion, separably worse on none."""
    crits = [CRITERIA[n] for n in names]
    out = {}
    for b in cands:
        found = []
        for a in cands:
            if a is b:
                continue
            better = tuple(c.name for c in crits if c.better(a.values[c.name], b.values[c.name]))
            if better and not any(c.better(b.values[c.name], a.values[c.name]) for c in crits):
                found.append(Domination(a.label, better))
        out[b.label] = tuple(found)
    return out


@st.composite
def estimates(draw: st.DrawFn) -> Estimate:
    low = draw(st.integers(0, 20))
    high = low + draw(st.integers(0, 6))
    return Estimate((low + high) / 2, float(low), float(high))


@given(st.data())
@settings(max_examples=200, deadline=None)
def test_the_pareto_set_is_the_pairwise_definition(data: st.DataObject):
    names = ("start", "memory", "size", "qps")  # qps: higher is better
    count = data.draw(st.integers(1, 12))
    cands = [Candidate(f"c{i}", None, 10, {n: data.draw(estimates()) for n in names}) for i in range(count)]
    expected = pairwise(cands, names)
    if count and all(expected.values()):
        return  # a cycle: the medians decide, as before
    assert dominations(cands, names) == expected


def test_the_pareto_set_of_many_images_compares_no_pair_one_by_one(monkeypatch):
    compared = [0]
    real = Criterion.better

    def counted(self: Criterion, a: Estimate, b: Estimate) -> bool:
        compared[0] += 1
        return real(self, a, b)

    monkeypatch.setattr(Criterion, "better", counted)
    rng = random.Random(1)
    cands = []
    for i in range(400):
        values = {}
        for n in ("start", "memory", "size"):
            low = rng.uniform(0, 100)
            values[n] = Estimate(low + 1, low, low + 2)
        cands.append(Candidate(f"c{i}", None, 10, values))
    dom = dominations(cands, ("start", "memory", "size"))
    assert compared[0] == 0
    assert sum(1 for by in dom.values() if not by) >= 1
