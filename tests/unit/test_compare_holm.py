"""``compare``'s verdicts: a permutation test per cell, Holm's correction over the cells, the load
phase compared, whole-second fields left out; and simulated A/A comparisons that keep false
verdicts at most 5 % per comparison."""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import random

import pytest

from cprofiler import compare as formats
from cprofiler.compare.cells import NO_EVIDENCE, change
from cprofiler.compare.verdict import METRICS, compare, parse_rule
from cprofiler.errors import UsageError
from cprofiler.results import significance
from cprofiler.results.load import LatencyMs, LoadResult, LoadStep
from tests.unit import factories

#: Simulated A/A comparisons per test: the binomial SE of a 5 % share over 600 is 0.89 %.
TRIALS = 600
#: A false-verdict share above 5 % + 2.5 SE (binomial, TRIALS draws) fails: a true 5 % passes with
#: chance > 99 %, an anti-conservative test at 10 % fails with chance > 99 %.
BOUND = 0.05 + 2.5 * math.sqrt(0.05 * 0.95 / TRIALS)


def test_holm_matches_the_textbook_example():
    # Holm (1979) as R's p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") gives it: 0.03 0.06 0.06 0.02.
    assert significance.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # Step-down: the largest p is adjusted by 1 only, but never below a smaller one's adjustment.
    assert significance.holm([0.001, 0.5, 0.02]) == pytest.approx([0.003, 0.5, 0.04])
    assert significance.holm([0.9, 0.8]) == pytest.approx([1.0, 1.0])  # 2 · 0.8, capped at 1
    assert significance.holm([]) == []


def test_the_exact_permutation_p_is_the_share_of_splits_counted_by_hand():
    a, b = [1.0, 2.0, 3.0, 4.0, 5.0], [6.0, 7.0, 8.0, 9.0, 10.0]
    # Wholly apart, 5 against 5: only this split of the ranks and its mirror are as extreme, 2 of
    # C(10, 5) = 252. The smallest p of 5 a side is 0.0079 (the medians' difference could reach 0.048 only).
    assert significance.permutation_p(a, b) == pytest.approx(2 / 252)
    assert significance.mid_ranks([3.0, 1.0, 3.0, 2.0]) == [3.5, 1.0, 3.5, 2.0]
    # The definition, enumerated independently, on tied and untied data.
    for x, y in (([3.0, 1.0, 4.0, 1.0, 5.0], [9.0, 2.0, 6.0, 5.0, 3.0]), ([1.0, 1.0, 2.0], [1.0, 2.0, 2.0, 3.0])):
        ranks = significance.mid_ranks(x + y)
        n, m = len(x), len(y)

        def gap(picked: list[float], ranks: list[float] = ranks, n: int = n, m: int = m) -> float:
            return abs(sum(picked) / n - (sum(ranks) - sum(picked)) / m)

        obs = gap(ranks[:n])
        splits = list(itertools.combinations(range(n + m), n))
        extreme = sum(gap([ranks[i] for i in s]) >= obs - 1e-12 for s in splits)
        assert significance.permutation_p(x, y) == pytest.approx(extreme / len(splits))


def test_the_monte_carlo_p_is_seeded_and_close_to_the_exact_one():
    rng = random.Random(3)
    a = [rng.gauss(0, 1) for _ in range(12)]
    b = [rng.gauss(0.8, 1) for _ in range(12)]
    drawn = significance.permutation_p(a, b, seed=1)
    assert drawn == significance.permutation_p(a, b, seed=1)
    assert 1 / (significance.RESAMPLES + 1) <= drawn <= 1


def test_a_single_cell_a_a_false_verdict_rate_is_at_most_5_percent():
    # Five runs a side from one skewed distribution, as cold starts are: any verdict is false.
    rng = random.Random(11)
    false = 0
    for _ in range(TRIALS):
        before = [230 + rng.gammavariate(2, 12) for _ in range(5)]
        after = [230 + rng.gammavariate(2, 12) for _ in range(5)]
        false += change("ready_ms", before, after).direction != 0
    assert false / TRIALS <= BOUND, f"{false} false verdicts in {TRIALS}"


def test_a_a_comparisons_of_many_cells_give_any_false_verdict_at_most_5_percent():
    # Four images a comparison, five runs a side each: uncorrected, about 18 % of comparisons
    # would hold a false cold-start verdict somewhere; Holm's correction keeps any false verdict
    # at most 5 % (at 5 a side, over 16 cells, it leaves none: the price of few runs).
    rng = random.Random(5)
    names = ("a", "b", "c", "d")
    any_false = 0
    for _ in range(TRIALS // 2):
        sides = [
            factories.measurement(*(factories.image(n, [230 + rng.gammavariate(2, 12) for _ in range(5)]) for n in names))
            for _ in range(2)
        ]
        c = compare(sides[0], sides[1], [], names=("b", "a"))
        assert c.cells_tested == 4 * 4  # ready_ms, working set, RSS and peak of each image
        any_false += any(m.direction != 0 for i in c.images for m in i.metrics if m.p_value is not None)
    assert any_false / (TRIALS // 2) <= 0.05 + 2.5 * math.sqrt(0.05 * 0.95 / (TRIALS // 2))


def test_a_real_change_still_survives_the_correction():
    before = factories.measurement(factories.image("a", factories.spread(300, n=10)), factories.image("b", factories.spread(300)))
    after = factories.measurement(factories.image("a", factories.spread(360, n=10)), factories.image("b", factories.spread(300)))
    c = compare(before, after, [], names=("b", "a"))
    ready = {i.name: i.metric("ready_ms") for i in c.images}
    assert ready["a"] is not None and ready["a"].verdict == "slower" and ready["a"].p_adjusted is not None
    assert ready["b"] is not None and ready["b"].verdict == NO_EVIDENCE


def test_a_fail_on_rule_is_its_own_family_so_5_runs_a_side_can_break_it():
    # A job 6x slower, 5 runs a side, beside a second image: over the table's cells Holm leaves
    # no verdict, but the rule named ready_ms before the comparison, so it is tested over the
    # cells it checks.
    other = factories.image("b", factories.spread(300, n=5))
    before = factories.measurement(factories.image("job", factories.spread(290, n=5)), other)
    after = factories.measurement(factories.image("job", factories.spread(1800, n=5)), other)
    shown = compare(before, after, [], names=("b", "a"))
    assert shown.cells_tested > 1
    assert shown.images[0].metric("ready_ms").verdict == NO_EVIDENCE  # type: ignore[union-attr]
    gated = compare(before, after, [parse_rule("ready_ms:+10%")], names=("b", "a"))
    assert [i.name for i in gated.images] == ["job", "b"]
    ready = gated.images[0].metric("ready_ms")
    assert ready is not None and ready.verdict == "slower" and gated.rules[0].broken
    assert gated.cells_tested == shown.cells_tested


def test_every_format_says_how_many_cells_were_tested():
    before = factories.measurement(factories.image("a", factories.spread(300)), factories.image("b", factories.spread(300)))
    after = factories.measurement(factories.image("a", factories.spread(330)), factories.image("b", factories.spread(300)))
    c = compare(before, after, [], names=("b", "a"))
    line = f"{c.cells_tested} cells tested; verdicts Holm-corrected at 5 %"
    assert c.cells_tested > 0
    assert line in formats.render(c, "table") and line in formats.render(c, "markdown")
    doc = json.loads(formats.render(c, "json"))
    assert doc["cells_tested"] == c.cells_tested and doc["correction"]["method"] == "holm"
    assert all("p_holm" in m for i in doc["images"] for m in i["metrics"])
    rows = list(csv.DictReader(io.StringIO(formats.render(c, "csv"))))
    assert {r["cells_tested"] for r in rows} == {str(c.cells_tested)}


def _load(qps: list[float], errors: list[float], rate: float = 500.0) -> LoadResult:
    steps = [
        LoadStep(
            rate=rate,
            repeat=k,
            qps=q,
            error_share=e,
            requests=10_000,
            latency_ms=LatencyMs(p50=1.0, p90=2.0, p99=4.0 + 0.1 * k, p999=8.0, max=9.0),
        )
        for k, (q, e) in enumerate(zip(qps, errors, strict=True))
    ]
    return LoadResult(generator="oha", connections=8, duration_s=5.0, warmup_s=1.0, steps=steps)


def test_the_load_phase_is_compared_per_rate_with_the_same_machinery():
    before = factories.image("web", factories.spread(300))
    # Ten repeats a side: over 7 cells Holm asks for p ≤ 0.007, which 5 a side can never give.
    before.load = _load([500.0 - k for k in range(10)], [0.0001 * k for k in range(10)])
    after = factories.image("web", factories.spread(300))
    after.load = _load([400.0 - k for k in range(10)], [0.02 + 0.001 * k for k in range(10)])
    c = compare(factories.measurement(before), factories.measurement(after), [], names=("b", "a"))
    load = {m.metric: m for m in c.images[0].load}
    assert set(load) == {"qps", "error_share", "latency_p99_ms"} and {m.step for m in load.values()} == {"500/s"}
    assert load["qps"].verdict == "less throughput" and load["qps"].p_value is not None
    # A share from zero has no ratio: its change is in percentage points, and it is still tested.
    assert load["error_share"].change_pct is None and load["error_share"].difference_pp is not None
    assert load["error_share"].verdict == "higher" and load["error_share"].difference_pp.value == pytest.approx(2.405)
    assert c.cells_tested == 4 + 3  # the four run metrics and the three load figures
    table = formats.render(c, "table")
    assert "QPS at 500/s" in table and "error share at 500/s" in table and "+2.4" in table and " pp (" in table
    assert json.loads(formats.render(c, "json"))["images"][0]["load"][0]["phase"] == "load"


def test_three_repeats_of_a_load_step_are_too_few_for_a_verdict():
    before = factories.image("web", factories.spread(300))
    before.load = _load([500, 499, 498], [0.0] * 3)
    after = factories.image("web", factories.spread(300))
    after.load = _load([100, 99, 98], [0.0] * 3)
    c = compare(factories.measurement(before), factories.measurement(after), [], names=("b", "a"))
    assert {m.verdict for m in c.images[0].load} <= {"too few runs", "not comparable"}


def test_whole_second_server_fields_are_never_compared_as_milliseconds():
    assert not [m for m in METRICS if m.startswith("server_")]
    before = factories.image("web", factories.spread(300))
    after = factories.image("web", factories.spread(300))
    for img, seconds in ((before, 1000.0), (after, 2000.0)):
        img.runs = [r.model_copy(update={"server_ready_ms": seconds, "server_running_ms": seconds}) for r in img.runs]
    c = compare(factories.measurement(before), factories.measurement(after), [], names=("b", "a"))
    assert not [m for m in c.images[0].metrics if m.metric.startswith("server_")]
    assert "server_" not in formats.render(c, "json") and "server_" not in formats.render(c, "csv")
    with pytest.raises(UsageError, match="whole seconds"):
        parse_rule("server_ready_ms:+10%")
