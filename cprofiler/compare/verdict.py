"""Before and after: per image and metric, both medians, the change with its interval, a verdict.

Pure: two results models in, a :class:`Comparison` out; no I/O. Images are matched by name (the
runtime floor too, as ``(floor)``); an image in only one file is named, not guessed at.

The change is ``median(after) / median(before) − 1`` with the percentile-bootstrap interval of
that ratio of medians (nominal 95 %, each side resampled independently, fixed seed:
:func:`cprofiler.results.stats.ratio`); a share (``error_share``) changes by a difference, in
percentage points. The interval is shown; the *verdict* comes from a test:

- each cell (an image and a metric, or an image, a load step's rate and a load figure) with at
  least ``MIN_RUNS`` values a side gets the p-value of the permutation test of the rank sum
  (:func:`cprofiler.results.significance.permutation_p`: exact at 5 a side, seeded beyond);
- the p-values of every cell tested in the comparison (every metric both files have, not only the
  rows the table shows) are adjusted by Holm's step-down method, and a verdict claims a change
  only where the adjusted p is at most ``ALPHA``: the chance of any false verdict among all the
  cells is at most 5 %. Otherwise it says ``no evidence of change``, which is not "equal": the runs
  could not tell. Every format says how many cells were tested.

The load phase is compared when both files have one: per image and offered rate (steps at the same
rate are the repeats), QPS, error share and the all-request p99. Fields kept in whole seconds
(``server_*_ms``, from the API server's timestamps) are never compared: a median of multiples of
1000 ms would be read as milliseconds it does not have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from cprofiler.compare.cells import (
    APP_START,
    SIZE,
    WHOLE_SECONDS,
    MetricChange,
    app_start_values,
    change,
    decided,
    load_changes,
)
from cprofiler.errors import UsageError
from cprofiler.results import significance
from cprofiler.results.kinds import RunStatus
from cprofiler.results.model import NUMERIC_FIELDS, ImageResult, Measurement
from cprofiler.results.significance import ALPHA

#: Metrics the human formats show, in this order (JSON and CSV carry every metric both files have).
MAIN_METRICS = ("ready_ms", APP_START, "working_set_bytes", "rss_bytes", "anon_and_mapped_file_bytes", "peak_bytes", SIZE)
#: Every metric a comparison or a ``--fail-on`` rule may name: each measured run field, and the size.
METRICS = (*(f for f in NUMERIC_FIELDS if f not in WHOLE_SECONDS), APP_START, SIZE)
#: Environment facts whose difference makes two measurements compare less well, with their names.
ENVIRONMENT_FACTS = {
    "engine_version": "engine",
    "kernel": "kernel",
    "cpu_model": "CPU",
    "cpu_count": "CPU count",
    "cgroup_version": "cgroup version",
    "cgroup_driver": "cgroup driver",
    "storage_driver": "storage driver",
}
#: Settings whose difference changes what a figure means (memory is read ``settle_s`` after ready).
SETTINGS_COMPARED = {"cold": "cold level", "settle_s": "settle (s)", "probe_via": "probe transport"}


@dataclass(frozen=True)
class ImageComparison:
    name: str
    metrics: list[MetricChange]
    #: What else differs for this image (a stand-in base on one side only, another image id).
    notes: list[str] = field(default_factory=list)
    #: The load phase, per offered rate and figure (QPS, error share, p99), when both files have one.
    load: list[MetricChange] = field(default_factory=list)

    def metric(self, name: str) -> MetricChange | None:
        return next((m for m in self.metrics if m.metric == name), None)


@dataclass(frozen=True)
class Rule:
    """``--fail-on METRIC:+N%``: fail when METRIC changed by more than N % (``-N%``: fell by more)."""

    text: str
    metric: str
    #: +1 for a rise, −1 for a fall.
    sign: int
    #: The allowed change, in percent (≥ 0).
    pct: float

    def broken_by(self, change: MetricChange) -> bool:
        """True when ``change`` is a real change (the verdict claims it) beyond the allowed percent."""
        pct = change.change_pct
        return change.direction == self.sign and pct is not None and pct.value * self.sign > self.pct


_RULE_RE = re.compile(r"^\s*([a-z0-9_]+)\s*:\s*([+-]?)\s*(\d+(?:\.\d+)?)\s*%\s*$")


def parse_rule(text: str) -> Rule:
    """A ``--fail-on`` rule from its text (no sign means ``+``); UsageError (exit 2) naming the flag
    when it is not one."""
    m = _RULE_RE.match(text)
    if m is None:
        raise UsageError(f"--fail-on {text!r}: expected METRIC:+N% or METRIC:-N%, e.g. ready_ms:+10%")
    metric, sign, pct = m.group(1), m.group(2), float(m.group(3))
    if metric in WHOLE_SECONDS:
        raise UsageError(f"--fail-on {text!r}: {metric} is kept in whole seconds (×1000), too coarse to compare; use ready_ms")
    if metric not in METRICS:
        raise UsageError(f"--fail-on {text!r}: unknown metric {metric!r}; expected one of: {', '.join(METRICS)}")
    return Rule(text=text.strip(), metric=metric, sign=-1 if sign == "-" else 1, pct=pct)


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    #: ``(image, change)`` for each image whose change breaks the rule.
    broken: list[tuple[str, MetricChange]]
    #: Images the rule could not be checked on (the metric is missing on a side, too few runs).
    unchecked: list[str]
    #: Images the rule was checked on: a verdict was given, broken or not.
    checked: list[str] = field(default_factory=list)
    #: Why the rule checked nothing (no image in both files, no image with a verdict on its
    #: metric), one sentence; None when it checked at least one image. A gate that checked
    #: nothing fails: a renamed image must not silently switch a CI gate off.
    nothing_to_check: str | None = None


@dataclass(frozen=True)
class Comparison:
    #: Where the two results came from, as given.
    before: str
    after: str
    images: list[ImageComparison]
    #: Images in one file only.
    only_before: list[str]
    only_after: list[str]
    #: ``kernel: 6.1.0 → 6.8.0``, one per differing environment fact or setting.
    differences: list[str]
    #: Partial or failed data in either file, one sentence each.
    caveats: list[str]
    rules: list[RuleResult]
    #: Cells given a p-value (both sides with MIN_RUNS values): the family Holm's method corrects over.
    cells_tested: int = 0

    @property
    def failed(self) -> bool:
        """True when any ``--fail-on`` rule is broken or had nothing to check: the command exits 1."""
        return any(r.broken or r.nothing_to_check for r in self.rules)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": "cprofiler/compare/v1",
            "before": self.before,
            "after": self.after,
            "images": [
                {
                    "name": i.name,
                    "notes": i.notes,
                    "metrics": [m.to_json() for m in i.metrics],
                    "load": [m.to_json() for m in i.load],
                }
                for i in self.images
            ],
            "cells_tested": self.cells_tested,
            "correction": {"method": "holm", "alpha": ALPHA, "test": "permutation test of the rank sum"},
            "only_before": self.only_before,
            "only_after": self.only_after,
            "differences": self.differences,
            "caveats": self.caveats,
            "rules": [
                {
                    "rule": r.rule.text,
                    "broken": [{"image": name, **c.to_json()} for name, c in r.broken],
                    "unchecked": r.unchecked,
                    "checked": r.checked,
                    "nothing_to_check": r.nothing_to_check,
                }
                for r in self.rules
            ],
            "failed": self.failed,
        }


def corrected(images: list[ImageComparison], gated: frozenset[str] = frozenset()) -> tuple[list[ImageComparison], int]:
    """Every tested cell's verdict decided on its Holm-adjusted p-value, and how many cells were
    tested (run metrics and load figures of every image). The run-metric cells of the metrics in
    ``gated`` (what ``--fail-on`` rules name) are a family of their own: a rule names its metric
    before the comparison, so it is corrected over the cells the rules check, not over every cell
    the table shows (at 5 runs a side no p-value survives a correction over a dozen cells); the
    other cells are corrected over themselves. Each family holds its false verdicts to 5 %."""
    cells = [c for i in images for c in (*i.metrics, *i.load) if c.p_value is not None]
    adjusted: dict[int, float] = {}
    for in_gate in (True, False):
        family = [c for c in cells if (c.step is None and c.metric in gated) == in_gate]
        adjusted.update(zip(map(id, family), significance.holm([c.p_value or 0.0 for c in family]), strict=True))

    def fix(cs: list[MetricChange]) -> list[MetricChange]:
        return [decided(c, adjusted[id(c)]) if id(c) in adjusted else c for c in cs]

    return [replace(i, metrics=fix(i.metrics), load=fix(i.load)) for i in images], len(cells)


def _values(entry: ImageResult, metric: str, floor: ImageResult | None) -> list[float]:
    if metric == SIZE:
        return [float(entry.image_size_bytes)]
    return app_start_values(entry, floor) if metric == APP_START else entry.values(metric)


def compare_images(
    before: ImageResult, after: ImageResult, floors: tuple[ImageResult | None, ImageResult | None] = (None, None)
) -> ImageComparison:
    """Every metric that both entries have a value for, main metrics first; ``floors`` (the
    runtime floor of each file) give the floor-corrected start, ``APP_START``, where both have one."""
    order = [*MAIN_METRICS, *(m for m in METRICS if m not in MAIN_METRICS)]
    metrics = []
    for metric in order:
        b, a = _values(before, metric, floors[0]), _values(after, metric, floors[1])
        if b or a:
            metrics.append(change(metric, b, a))
    notes = []
    was = before.stand_in.recipe if before.stand_in else None
    now = after.stand_in.recipe if after.stand_in else None
    if was != now:
        notes.append(
            f"base: {'stand-in ' + was if was else 'the real one'} before, {'stand-in ' + now if now else 'the real one'} after"
        )
    if before.ready.kind != after.ready.kind:
        notes.append(f"probe: {before.ready.kind} before, {after.ready.kind} after; cold starts compare less well")
    return ImageComparison(before.name, metrics, notes, load_changes(before, after))


def differences(before: Measurement, after: Measurement) -> list[str]:
    """Environment facts and settings that differ between the two measurements."""
    out = []
    for key, name in ENVIRONMENT_FACTS.items():
        b, a = getattr(before.environment, key), getattr(after.environment, key)
        if b is not None and a is not None and b != a:
            out.append(f"{name}: {b} → {a}")
    for key, name in SETTINGS_COMPARED.items():
        b, a = getattr(before.settings, key), getattr(after.settings, key)
        if b is not None and a is not None and b != a:
            out.append(f"{name}: {b} → {a}")
    return out


def floor_moved(images: list[ImageComparison], before: Measurement, after: Measurement) -> list[str]:
    """One sentence when the runtime floor's start changed between the files: the machine moved,
    not the images; start-up is then judged by ``APP_START``, which subtracts the floor."""
    if before.floor is None or after.floor is None:
        return []
    floor = next((i for i in images if i.name == before.floor.name), None)
    cell = floor.metric("ready_ms") if floor is not None else None
    if cell is None or cell.direction == 0 or cell.change_pct is None:
        return []
    return [
        f"the floor moved: {before.floor.name} ready_ms {cell.before:.0f} → {cell.after:.0f} ms "
        f"({cell.change_pct.value:+.0f} %, {cell.verdict}): the machine, not the images; judge start-up by "
        f"{APP_START} (ready minus the floor's run of the same round) and gate it with --fail-on {APP_START}:+N%"
    ]


def caveats(side: str, m: Measurement) -> list[str]:
    """What makes one side's figures weaker: an interruption, runs that did not end ok."""
    out = []
    if m.interrupted:
        out.append(f"{side}: {m.interrupted}")
    for entry in m.entries():
        bad = sum(r.status != RunStatus.OK for r in entry.runs)
        if bad:
            out.append(f"{side}: {entry.name}: {bad} of {len(entry.runs)} runs did not end ok")
    return out


def compare(before: Measurement, after: Measurement, rules: list[Rule], *, names: tuple[str, str]) -> Comparison:
    """Compare two measurements image by image and check ``rules``; ``names`` label the two sides."""
    b, a = before.by_name(), after.by_name()
    floors = (before.floor, after.floor) if before.floor is not None and after.floor is not None else (None, None)
    raw = [compare_images(b[name], a[name], floors) for name in b if name in a]
    images, tested = corrected(raw, frozenset(rule.metric for rule in rules))
    only_before, only_after = [n for n in b if n not in a], [n for n in a if n not in b]
    unmatched = f"only in before: {', '.join(only_before) or 'none'}; only in after: {', '.join(only_after) or 'none'}"
    # The runtime floor is in nearly every file: a gate that checked only the floor checked nothing.
    floor_names = {m.floor.name for m in (before, after) if m.floor is not None}
    return Comparison(
        before=names[0],
        after=names[1],
        images=images,
        only_before=only_before,
        only_after=only_after,
        differences=[*differences(before, after), *floor_moved(images, before, after)],
        caveats=[*caveats("before", before), *caveats("after", after)],
        rules=[check_rule(rule, images, unmatched, floor_names) for rule in rules],
        cells_tested=tested,
    )


def check_rule(rule: Rule, images: list[ImageComparison], unmatched: str, floors: set[str]) -> RuleResult:
    """Check ``rule`` on every image both files have; ``unmatched`` names the others, for the
    sentence saying why a rule checked nothing. The entries named ``floors`` (the runtime floor)
    are checked too, but a rule checked on them alone has checked none of the scenario's images."""
    broken, unchecked, checked = [], [], []
    for image in images:
        c = image.metric(rule.metric)
        if c is None or c.verdict in ("too few runs", "not comparable"):
            unchecked.append(f"{image.name} ({'not measured' if c is None else c.verdict})")
            continue
        checked.append(image.name)
        if rule.broken_by(c):
            broken.append((image.name, c))
    empty = None
    if not [i for i in images if i.name not in floors]:
        empty = f"no image is in both files ({unmatched})"
    elif not [n for n in checked if n not in floors]:
        empty = f"no image in both files has a verdict on {rule.metric} ({', '.join(unchecked)})"
    return RuleResult(rule, broken, unchecked, checked, empty)
