"""The interval of a median says what it is: a range with its coverage below 6 values, an
order-statistic interval of at least 95 % from 6 on, its coverage computed exactly."""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest

from cprofiler.results import intervals, stats


def exact_coverage(n: int, k: int) -> Fraction:
    """P(x₍ₖ₎ ≤ median ≤ x₍ₙ₋ₖ₊₁₎) for n draws of a continuous distribution, counted exactly:
    the interval misses when fewer than k of the n draws fall below the median, or fewer than k above."""
    below_k = sum(math.comb(n, i) for i in range(k))
    return 1 - Fraction(2 * below_k, 2**n)


@pytest.mark.parametrize(
    ("n", "label", "coverage", "method"),
    [
        (1, "1 value, no interval", 0.0, "single-value"),
        (2, "range of 2", 0.5, "range"),
        (3, "range of 3", 0.75, "range"),
        (5, "range of 5", 0.9375, "range"),
        (6, "96.8 % CI", 1 - 2 / 64, "order-statistic"),  # 96.875 %, printed rounded down
        (10, "97.8 % CI", 1 - 2 * 11 / 1024, "order-statistic"),  # x₍₂₎…x₍₉₎
    ],
)
def test_labels_and_coverage_by_number_of_values(n: int, label: str, coverage: float, method: str) -> None:
    xs = [float(i) for i in range(1, n + 1)]
    s = stats.summarize(xs)
    assert s is not None
    assert (s.ci_label, s.ci_method) == (label, method)
    assert s.ci_coverage == pytest.approx(coverage)
    assert "95 %" not in s.ci_label


def test_below_six_values_the_interval_is_the_range() -> None:
    for n in (2, 3, 4, 5):
        xs = random.Random(n).sample(range(1000), n)
        s = stats.summarize(xs)
        assert s is not None
        assert s.ci95 == (min(xs), max(xs))
    one = stats.summarize([42])
    assert one is not None and one.ci95 == (42.0, 42.0) and one.ci_coverage == 0.0


def test_ten_values_drop_one_from_each_end() -> None:
    s = stats.summarize([10, 1, 9, 2, 8, 3, 7, 4, 6, 5])
    assert s is not None
    assert s.ci95 == (2.0, 9.0)


@pytest.mark.parametrize("n", range(6, 121))
def test_order_statistic_interval_covers_at_least_95_percent_exactly(n: int) -> None:
    k = intervals.order_statistic_rank(n)
    assert exact_coverage(n, k) >= Fraction(95, 100)
    assert intervals.order_statistic_coverage(n, k) == pytest.approx(float(exact_coverage(n, k)), abs=1e-12)
    # And it is the narrowest such interval: one rank further in falls below 95 %.
    if k + 1 <= (n + 1) // 2:
        assert exact_coverage(n, k + 1) < Fraction(95, 100)


def test_no_95_percent_interval_exists_below_six_values() -> None:
    for n in range(1, 6):
        assert intervals.range_coverage(n) < 0.95
        with pytest.raises(ValueError):
            intervals.order_statistic_rank(n)
    assert intervals.range_coverage(6) >= 0.95


def test_simulated_coverage_matches_the_recorded_one() -> None:
    # 4000 medians of 3 and of 10 skewed draws: the true median of Exp(1) is ln 2.
    rng = random.Random(7)
    for n in (3, 10):
        hits = 0
        for _ in range(4000):
            s = stats.summarize([rng.expovariate(1.0) for _ in range(n)])
            assert s is not None
            hits += s.ci95[0] <= math.log(2) <= s.ci95[1]
        # Binomial SE of a 4000-draw share near 0.8–0.98 is ≤ 0.0069: 4 SE of slack.
        assert abs(hits / 4000 - s.ci_coverage) < 0.028


def test_percent_never_prints_more_than_the_true_coverage() -> None:
    assert intervals.percent(0.96875) == "96.8 %"
    assert intervals.percent(0.75) == "75.0 %"
    assert intervals.described([("range of 3", 0.75), ("range of 3", 0.75), ("96.8 % CI", 0.96875)]) == (
        "range of 3 (covers the median 75.0 % of the time); 96.8 % CI"
    )


def test_the_under_load_table_names_its_interval_never_95_percent():
    from cprofiler import report
    from cprofiler.results import derive
    from tests.unit.factories import image, load_result, loaded, measurement, spread

    m = measurement(loaded(image("web", spread(300)), load_result(1000, 20)))  # two repeats per rate
    summary = derive.load_summary(m.images[0].load)  # type: ignore[arg-type]
    assert summary.qps is not None and summary.qps["ci_label"] == "range of 2" and summary.qps["ci_coverage"] == 0.5
    text = report.render(m, "table")
    assert "in parentheses: range of 2 (covers the median 50.0 % of the time)" in text
    assert "95 % interval" not in text
