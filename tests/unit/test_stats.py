"""Statistics on fixed inputs, checked against values computed by hand (or by exhaustive count)."""

from __future__ import annotations

import itertools
import json
import math
import random
from collections import Counter

import pytest

from cprofiler.results import stats

# Sorted: 1 1 2 3 4 5 6 9. Median (3 + 4) / 2, mean 31 / 8, squared deviations sum to 52.875.
EIGHT = [3, 1, 4, 1, 5, 9, 2, 6]
# Median 100 and MAD 1, so a value is an outlier when |x − 100| > 3.5 / 0.6745 ≈ 5.19.
STEADY = [100, 101, 99, 100, 102, 98, 100]


def _spread(n: int, seed: int = 1) -> list[float]:
    """n distinct-ish values around 300 with standard deviation 30 (like ready_ms of one image)."""
    rng = random.Random(seed)
    return [rng.gauss(300, 30) for _ in range(n)]


# --- percentile ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([15, 20, 35, 40, 50], 40, 29.0),  # rank 1.6: 20 + 0.6 · 15
        ([15, 20, 35, 40, 50], 50, 35.0),
        ([1, 2, 3, 4], 50, 2.5),
        ([1, 2, 3, 4], 95, 3.85),  # rank 2.85: 3 + 0.85 · 1
        ([4, 3, 2, 1], 95, 3.85),  # input order does not matter
        (list(range(10, 101, 10)), 95, 95.5),  # rank 8.55: 90 + 0.55 · 10
        ([7], 95, 7.0),
        ([2, 9], 0, 2.0),
        ([2, 9], 100, 9.0),
    ],
)
def test_percentile_interpolates_linearly_between_ranks(values: list[float], q: float, expected: float) -> None:
    assert stats.percentile(values, q) == pytest.approx(expected, rel=1e-12)


def test_percentile_rejects_empty_input_and_q_out_of_range() -> None:
    with pytest.raises(ValueError):
        stats.percentile([], 50)
    with pytest.raises(ValueError):
        stats.percentile([1, 2], 101)
    with pytest.raises(ValueError):
        stats.percentile([1, 2], -1)


# --- summarize ----------------------------------------------------------------------------------


def test_summarize_fixed_values() -> None:
    s = stats.summarize(EIGHT)
    assert s is not None
    assert s.n == 8
    assert s.min == 1.0
    assert s.median == 3.5
    assert s.mean == pytest.approx(3.875)
    assert s.p95 == pytest.approx(7.95)  # rank 6.65: 6 + 0.65 · 3
    assert s.max == 9.0
    assert s.stdev == pytest.approx(math.sqrt(52.875 / 7))
    assert s.outliers == []  # 9 scores 0.6745 · 5.5 / 2 ≈ 1.85


def test_summarize_ignores_none_and_indexes_outliers_among_the_rest() -> None:
    s = stats.summarize([None, *STEADY, None, 150])
    assert s is not None
    assert s.n == 8
    assert s.max == 150.0
    assert s.outliers == [7]  # 150 is the 8th non-None value


def test_summarize_returns_none_without_values() -> None:
    assert stats.summarize([]) is None
    assert stats.summarize([None, None]) is None


def test_summarize_single_value() -> None:
    s = stats.summarize([42])
    assert s is not None
    assert (s.n, s.min, s.median, s.mean, s.p95, s.max) == (1, 42, 42, 42, 42, 42)
    assert s.stdev == 0.0
    assert s.ci95 == (42.0, 42.0)
    assert s.outliers == []


def test_summarize_rejects_nan_and_infinity() -> None:
    with pytest.raises(ValueError, match="finite"):
        stats.summarize([1.0, math.nan])
    with pytest.raises(ValueError, match="finite"):
        stats.summarize([1.0, math.inf])


def test_to_dict_is_json_ready_with_every_key() -> None:
    s = stats.summarize([*STEADY, 150])
    assert s is not None
    d = json.loads(json.dumps(s.to_dict()))
    assert set(d) == {
        "n",
        "min",
        "median",
        "mean",
        "p95",
        "max",
        "stdev",
        "ci95",
        "outliers",
        "ci_coverage",
        "ci_method",
        "ci_label",
    }
    assert d["ci95"] == [s.ci95[0], s.ci95[1]]
    # 8 values: [x₍₁₎, x₍₈₎] is the widest that reaches 95 % (x₍₂₎…x₍₇₎ covers 1 − 2·9/256 = 93.0 %).
    assert (d["ci_method"], d["ci_label"]) == ("order-statistic", "99.2 % CI")
    assert d["ci_coverage"] == pytest.approx(1 - 2 / 256)
    assert d["outliers"] == [7]
    assert d["median"] == 100.0


# --- confidence interval of the median ----------------------------------------------------------


@pytest.mark.parametrize("n", [5, 10, 31, 200])
def test_ci95_contains_the_median(n: int) -> None:
    s = stats.summarize(_spread(n))
    assert s is not None
    low, high = s.ci95
    assert low <= s.median <= high
    assert low < high  # distinct values: the interval has a width
    assert s.min <= low and high <= s.max


def test_ci95_is_two_of_the_values_whatever_the_seed() -> None:
    # The order-statistic interval resamples nothing: any seed gives the same ends, both measured values.
    values = _spread(50)
    first = stats.summarize(values, seed=3)
    other = stats.summarize(values, seed=4)
    assert first is not None and other is not None
    assert first.ci95 == other.ci95
    assert set(first.ci95) <= set(values)
    assert first.ci_coverage >= 0.95 and first.ci_method == "order-statistic"


def test_ci95_of_constant_values_is_a_point() -> None:
    s = stats.summarize([5.0] * 10)
    assert s is not None
    assert s.ci95 == (5.0, 5.0)


@pytest.mark.parametrize("n", [1000, 1001])
def test_ci95_width_matches_the_normal_theory(n: int) -> None:
    # For normal data the median's standard error is about 1.2533 · σ / √n, so the 95 % interval
    # is about ± 1.96 times that: ± 2.33 for σ = 30 and n = 1000. A wrong order statistic would
    # shift or shrink it far more than the 20 % allowed here.
    values = _spread(n)
    s = stats.summarize(values)
    assert s is not None
    half_width = (s.ci95[1] - s.ci95[0]) / 2
    assert half_width == pytest.approx(1.96 * 1.2533 * 30 / math.sqrt(n), rel=0.2)
    middle = (s.ci95[0] + s.ci95[1]) / 2
    assert middle == pytest.approx(s.median, abs=half_width / 4)


@pytest.mark.parametrize("xs", [[1.0, 2.0, 4.0, 8.0, 16.0], [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]])
def test_bootstrap_medians_follow_the_exact_bootstrap_distribution(xs: list[float]) -> None:
    # _bootstrap_medians draws the median's order statistics instead of whole resamples; the
    # oracle here is every one of the n^n equally likely resamples, enumerated. Each median's
    # frequency over 40 000 draws has a standard error below 0.0025; 0.012 is about five of them.
    n = len(xs)
    exact = Counter(stats.percentile(list(r), 50) for r in itertools.product(xs, repeat=n))
    total = n**n
    draws = 40_000
    drawn = Counter(stats._bootstrap_medians(xs, draws, random.Random(0)))
    assert set(drawn) <= set(exact)
    for median, count in exact.items():
        assert drawn[median] / draws == pytest.approx(count / total, abs=0.012), median


# --- outliers -----------------------------------------------------------------------------------


def test_outliers_use_the_modified_z_score_threshold() -> None:
    # 105 scores 0.6745 · 5 = 3.37 and is kept; 106 scores 4.05 and is flagged. Without the
    # 0.6745 factor both would be flagged.
    at_105 = stats.summarize([*STEADY, 105])
    at_106 = stats.summarize([*STEADY, 106])
    assert at_105 is not None and at_106 is not None
    assert at_105.outliers == []
    assert at_106.outliers == [7]


def test_outliers_flag_low_values_too() -> None:
    s = stats.summarize([*STEADY, 50])
    assert s is not None
    assert s.outliers == [7]


def test_no_outliers_when_the_mad_is_zero() -> None:
    constant = stats.summarize([5.0] * 10)
    mostly_equal = stats.summarize([10, 10, 10, 10, 10, 10, 10, 100])  # MAD 0
    assert constant is not None and mostly_equal is not None
    assert constant.outliers == []
    assert mostly_equal.outliers == []


def test_outlier_warning_slow_first_run_asks_for_warmup() -> None:
    warning = stats.outlier_warning([150, *STEADY])
    assert warning is not None
    assert "first run" in warning and "--warmup" in warning


def test_outlier_warning_first_run_found_after_leading_nones() -> None:
    warning = stats.outlier_warning([None, 150, *STEADY])
    assert warning is not None and "--warmup" in warning


def test_outlier_warning_scattered_outliers_blame_the_machine() -> None:
    one = stats.outlier_warning([100, 101, 150, 99, 100, 102, 98, 100])
    two = stats.outlier_warning([100, 101, 150, 99, 100, 102, 98, 100, 160])
    noisy = "the machine is noisy; close other programs or add --runs"
    assert one == f"1 of 8 runs is an outlier: {noisy}"
    assert two is not None and two.startswith("2 of 9 runs are outliers:") and "--runs" in two


def test_outlier_warning_fast_first_run_is_noise_not_cold_caches() -> None:
    warning = stats.outlier_warning([50, *STEADY])
    assert warning is not None
    assert "--warmup" not in warning and "1 of 8 runs" in warning


def test_outlier_warning_none_without_outliers() -> None:
    assert stats.outlier_warning(STEADY) is None
    assert stats.outlier_warning([5.0] * 10) is None
    assert stats.outlier_warning([]) is None


# --- ratio --------------------------------------------------------------------------------------


def test_ratio_of_known_samples() -> None:
    # Denominator constant: only the numerator's bootstrap median varies, over 140, 142 and 144.
    # Each extreme has probability 7/27 > 2.5 %, so the interval is exactly [1.40, 1.44].
    r = stats.ratio([140, 142, 144], [100, 100, 100])
    assert r.value == pytest.approx(1.42)
    assert r.uncertainty == pytest.approx(0.02)
    assert (r.low, r.high) == (pytest.approx(1.40), pytest.approx(1.44))
    assert r.format() == "1.42× (1.40…1.44)"
    assert r.format(digits=1) == "1.4× (1.4…1.4)"
    assert r.to_dict() == {"value": r.value, "low": r.low, "high": r.high}
    # And the other way round: the denominator's median is resampled too, over 99, 100 and 101.
    r = stats.ratio([142, 142, 142], [99, 100, 101])
    assert r.value == pytest.approx(1.42)
    assert r.uncertainty == pytest.approx((142 / 99 - 142 / 101) / 2)


def test_ratio_is_exact_without_spread() -> None:
    r = stats.ratio([330.0] * 5, [300.0] * 7)
    assert r.value == pytest.approx(1.1)
    assert r.uncertainty == 0.0


def test_ratio_uncertainty_grows_with_noise_and_is_reproducible() -> None:
    base = _spread(30, seed=1)
    quiet = [x / 10 + 270 for x in _spread(30, seed=2)]  # same median scale, a tenth the spread
    noisy = [x * 1.5 for x in _spread(30, seed=2)]
    calm = stats.ratio(quiet, base, seed=5)
    loud = stats.ratio(noisy, base, seed=5)
    assert loud.uncertainty > calm.uncertainty > 0
    assert stats.ratio(noisy, base, seed=5) == loud
    assert stats.ratio(noisy, base, seed=6).uncertainty != loud.uncertainty


def test_ratio_ignores_none_and_rejects_bad_denominators() -> None:
    assert stats.ratio([None, 2.0], [1.0, None]).value == 2.0
    with pytest.raises(ValueError):
        stats.ratio([1.0], [])
    with pytest.raises(ValueError):
        stats.ratio([None], [1.0])
    with pytest.raises(ValueError, match="positive"):
        stats.ratio([1.0], [0.0, 1.0])


def test_difference_of_medians_and_its_interval() -> None:
    # As above: only the first median varies, over 140, 142 and 144; the second is exactly 100.
    d = stats.difference([140, 142, 144], [100, 100, 100])
    assert (d.value, d.low, d.high) == (pytest.approx(42), pytest.approx(40), pytest.approx(44))
    assert not d.holds(0) and stats.difference([99, 100, 101], [100, 100, 100]).holds(0)
    assert stats.difference([1.0], [3.0]).value == -2.0
    with pytest.raises(ValueError):
        stats.difference([], [1.0])


def test_an_interval_is_kept_asymmetric() -> None:
    r = stats.ratio([100, 100, 101, 130, 131], [100, 100, 100], seed=1)
    assert r.high - r.value != pytest.approx(r.value - r.low)


# --- run order ----------------------------------------------------------------------------------

NAMES = ["alpine", "debian", "distroless", "ubuntu", "floor"]


def test_rounds_without_shuffle_interleave_in_given_order() -> None:
    assert stats.shuffled_rounds(["a", "b", "c"], 3, shuffle=False, seed=9) == [
        ["a", "b", "c"],
        ["a", "b", "c"],
        ["a", "b", "c"],
    ]


def test_shuffled_rounds_hold_each_name_once_and_repeat_per_seed() -> None:
    names = list(NAMES)
    order = stats.shuffled_rounds(names, 10, shuffle=True, seed=7)
    assert names == NAMES  # the caller's list is not shuffled in place
    assert len(order) == 10
    assert all(sorted(one) == sorted(NAMES) for one in order)
    assert stats.shuffled_rounds(names, 10, shuffle=True, seed=7) == order
    assert stats.shuffled_rounds(names, 10, shuffle=True, seed=8) != order
    # Rounds are shuffled independently, not one permutation repeated.
    assert len({tuple(one) for one in order}) > 1


def test_shuffled_rounds_edge_cases() -> None:
    assert stats.shuffled_rounds(NAMES, 0, shuffle=True, seed=1) == []
    unseeded = stats.shuffled_rounds(NAMES, 2, shuffle=True, seed=None)
    assert all(sorted(one) == sorted(NAMES) for one in unseeded)
    with pytest.raises(ValueError):
        stats.shuffled_rounds(NAMES, -1, shuffle=False, seed=None)
