"""One cell of a comparison: an image's metric (or load figure at one rate), before and after.

The definitions (the interval shown, the permutation test behind the verdict, Holm's correction
over the cells) are in :mod:`cprofiler.compare.verdict`; this module holds the cell and how one is
computed, so that the comparison itself stays about images, rules and set-ups.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from cprofiler.results import capacity, significance, stats
from cprofiler.results.kinds import RunStatus
from cprofiler.results.load import LoadStep
from cprofiler.results.model import ImageResult
from cprofiler.results.significance import ALPHA, MIN_RUNS

# MIN_RUNS (no verdict below 5 a side) and ALPHA are the test's own, shared with measure's verdict line.
#: Run fields kept in whole seconds (API server timestamps ×1000): never compared as milliseconds.
WHOLE_SECONDS = ("server_scheduled_ms", "server_running_ms", "server_ready_ms")
#: The image's size: one figure per file, compared exactly (no runs, no interval).
SIZE = "image_size_bytes"
#: The load figures compared per step, by their name in the comparison: what each reads of a step.
LOAD_FIGURES: dict[str, Callable[[LoadStep], float | None]] = {
    "qps": lambda s: s.qps,
    "error_share": capacity.error_share,
    "latency_p99_ms": lambda s: s.latency_ms.p99,
}
#: The floor-corrected start: per round, an image's ``ready_ms`` minus the runtime floor's run of
#: the same round. A machine that got slower between two files moves the floor and every image
#: with it; this figure moves only with the image's own share of its start.
APP_START = "app_start_ms"
#: A verdict that claims nothing.
NO_EVIDENCE = "no evidence of change"


def words(metric: str) -> tuple[str, str]:
    """The verdicts for a decrease and an increase of ``metric``: faster/slower for durations."""
    if metric.endswith("_ms"):
        return ("faster", "slower")
    if metric.endswith("_bytes"):
        return ("smaller", "larger")
    if metric == "qps":
        return ("less throughput", "more throughput")
    return ("lower", "higher")


@dataclass(frozen=True)
class MetricChange:
    """One metric of one image, before and after (medians over ok runs; the size itself)."""

    #: A results field name (``ready_ms``) or ``image_size_bytes``.
    metric: str
    #: Median before, in the metric's unit; None when the before file has no value.
    before: float | None
    #: Median after, in the metric's unit.
    after: float | None
    #: Values the medians rest on (ok runs with a value; 1 for the size).
    n_before: int
    n_after: int
    #: ``after / before`` with its bootstrap interval (nominal 95 %); None when there is nothing to divide.
    ratio: stats.Interval | None
    #: faster/slower, smaller/larger, lower/higher, no evidence of change, unchanged (the size),
    #: too few runs, not comparable (a side without values, or a figure of zero to divide by).
    verdict: str
    #: +1 when the verdict claims an increase, −1 a decrease, 0 when it claims nothing.
    direction: int
    #: Two-sided p-value of the permutation test of the rank sum; None when untested.
    p_value: float | None = None
    #: ``p_value`` adjusted by Holm's method over every cell tested in the comparison.
    p_adjusted: float | None = None
    #: The load step compared (``500/s``, ``closed loop``); None for a cold-start metric.
    step: str | None = None
    #: ``after − before`` with its bootstrap interval, for a share (in percentage points) where a
    #: ratio to zero means nothing; None otherwise.
    difference_pp: stats.Interval | None = None

    @property
    def change_pct(self) -> stats.Interval | None:
        """The change in percent with its interval: ``(ratio − 1) · 100``."""
        r = self.ratio
        return None if r is None else stats.Interval((r.value - 1) * 100, (r.low - 1) * 100, (r.high - 1) * 100)

    def to_json(self) -> dict[str, Any]:
        pct = self.change_pct
        return {
            "metric": self.metric,
            "before_median": self.before,
            "after_median": self.after,
            "n_before": self.n_before,
            "n_after": self.n_after,
            "change_pct": None if pct is None else pct.value,
            "change_pct_low": None if pct is None else pct.low,
            "change_pct_high": None if pct is None else pct.high,
            "verdict": self.verdict,
            "phase": "cold" if self.step is None else "load",
            "step": self.step,
            "change_pp": None if self.difference_pp is None else self.difference_pp.value,
            "p_value": self.p_value,
            "p_holm": self.p_adjusted,
        }


def app_start_values(image: ImageResult, floor: ImageResult | None) -> list[float]:
    """``APP_START`` of each round in which both ``image`` and ``floor`` ran ok, in run order; none
    without a floor, for the floor itself, or for an image of another kind than the floor (a batch
    job's ready time holds the engine's handling of its exit, a service's does not)."""
    if floor is None or image.name == floor.name or image.kind != floor.kind:
        return []
    floor_ms = {r.index: r.ready_ms for r in floor.runs if r.status == RunStatus.OK and r.ready_ms is not None}
    return [
        r.ready_ms - floor_ms[r.index]
        for r in image.runs
        if r.status == RunStatus.OK and r.ready_ms is not None and r.index in floor_ms
    ]


def change(metric: str, before: list[float], after: list[float], *, step: str | None = None) -> MetricChange:
    """Compare one metric's ok-run values (the size: one value a side) and give the verdict as if
    it were the only cell tested (:func:`compare` corrects it over all of them)."""
    med_b = stats.percentile(before, 50) if before else None
    med_a = stats.percentile(after, 50) if after else None
    nb, na = len(before), len(after)
    if med_b is None or med_a is None:
        return MetricChange(metric, med_b, med_a, nb, na, None, "not comparable", 0, step=step)
    if metric == SIZE:
        if med_b <= 0:
            return MetricChange(metric, med_b, med_a, nb, na, None, "not comparable", 0)
        exact = med_a / med_b
        direction = (med_a > med_b) - (med_a < med_b)
        verdict = {1: words(metric)[1], -1: words(metric)[0], 0: "unchanged"}[direction]
        return MetricChange(metric, med_b, med_a, nb, na, stats.Interval(exact, exact, exact), verdict, direction)
    share = metric.endswith("_share")
    if min(before) <= 0 and not share:
        # A ratio to zero means nothing (settle CPU of an idle service often is 0).
        return MetricChange(metric, med_b, med_a, nb, na, None, "not comparable", 0, step=step)
    ratio = stats.ratio(after, before) if min(before) > 0 else None
    pp = None
    if share:
        d = stats.difference(after, before)
        pp = stats.Interval(d.value * 100, d.low * 100, d.high * 100)
    base = MetricChange(metric, med_b, med_a, nb, na, ratio, "too few runs", 0, step=step, difference_pp=pp)
    if nb < MIN_RUNS or na < MIN_RUNS:
        return base
    p = significance.permutation_p(after, before)
    return decided(replace(base, p_value=p), p)


def decided(c: MetricChange, p_adjusted: float) -> MetricChange:
    """``c`` with the verdict its adjusted p-value gives: a change in the direction of the medians
    when ``p_adjusted`` ≤ ALPHA, else no evidence of change."""
    assert c.before is not None and c.after is not None
    direction = (c.after > c.before) - (c.after < c.before) if p_adjusted <= ALPHA else 0
    down, up = words(c.metric)
    return replace(c, p_adjusted=p_adjusted, direction=direction, verdict={1: up, -1: down, 0: NO_EVIDENCE}[direction])


def load_changes(before: ImageResult, after: ImageResult) -> list[MetricChange]:
    """The load phase compared, per offered rate both files ran (its ok steps are the repeats) and
    figure: QPS, error share and the all-request p99; none unless both files have a load phase."""
    if before.load is None or after.load is None:
        return []
    out = []
    rates = [r for r in before.load.rates() if r in after.load.rates()]
    for rate in sorted(rates, key=lambda r: (r is not None, r or 0.0)):
        step = "closed loop" if rate is None else f"{rate:g}/s"
        b, a = before.load.ok_steps_at(rate), after.load.ok_steps_at(rate)
        for metric, get in LOAD_FIGURES.items():
            vb = [v for v in map(get, b) if v is not None]
            va = [v for v in map(get, a) if v is not None]
            if vb or va:
                out.append(change(metric, vb, va, step=step))
    return out
