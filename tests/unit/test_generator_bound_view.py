"""A QPS near the generator's ceiling measured the generator: every reader says so, none calls it a win."""

from __future__ import annotations

import dataclasses

from cprofiler.load_view import loaded_images
from cprofiler.plot.html import _warnings
from cprofiler.recommend.criteria import Estimate, candidates
from cprofiler.report.load_rows import load_rows
from cprofiler.results.derive import summary_generator_bound
from cprofiler.results.load import Ceiling
from tests.unit.factories import image, load_result, loaded, measurement, spread


def _two(ceiling_qps: float):
    m = measurement(
        loaded(image("go", spread(250)), load_result(40_000, 2)),
        loaded(image("python", spread(400)), load_result(3_000, 20)),
    )
    return m.model_copy(update={"ceiling": Ceiling(qps=ceiling_qps, n=3)})


def test_the_rule_is_one_and_every_reader_uses_it():
    m = _two(45_000)  # go's 40k is near the generator's 45k ceiling; python's 3k is not
    go, python = m.images
    assert go.load is not None and python.load is not None
    assert summary_generator_bound(go.load, m.ceiling) and not summary_generator_bound(python.load, m.ceiling)
    assert [r["generator_bound"] for r in load_rows(m)] == [True, False]
    assert [li.load.summary.generator_bound for li in loaded_images(m)] == [True, False]
    assert "generator-bound" in _warnings(m) and "go" in _warnings(m)
    assert "generator-bound" not in _warnings(_two(1_000_000))


def test_recommend_takes_a_bound_qps_as_a_lower_bound():
    go, python = candidates(_two(45_000))
    assert go.values["qps"].at_least and not python.values["qps"].at_least
    # Unbounded above: it can beat a figure wholly below it, and nothing can beat it.
    told = dataclasses.replace(go.values["qps"], n=None)
    assert told.bounds[1] == float("inf")
    assert Estimate(5.0, 4.0, 6.0).bounds == (4.0, 6.0)
