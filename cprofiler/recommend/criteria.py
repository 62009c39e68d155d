"""The criteria images are compared on, and the candidates ``recommend`` and the charts compare.

Every figure is an :class:`Estimate`: a median and the interval of that median (``stats.summarize``:
the range below 6 values, an order-statistic interval of at least 95 % from 6), so that two images
are told apart only when the data tell them apart:

- **Too few values to tell.** An estimate over fewer than ``MIN_VALUES_TO_TELL`` values, or whose
  interval is a range that does not reach 95 % (fewer than 6 values: a range of 3 covers the median
  75 % of the time), tells nothing apart: its :attr:`Estimate.bounds` are unbounded, so it is never
  separable from another. Two repeats of one image are "too few runs to separate", never "apart".
- **Image size** is exact (one number per image), with a practical-equivalence margin: sizes within
  ``max(SIZE_EQUAL_BYTES, SIZE_EQUAL_SHARE)`` of each other are equal (a 1-byte difference never
  outvotes a faster start). The margin is split between the two estimates, half each side.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from cprofiler.load_view import FigureSpan, LoadedImage, loaded_images
from cprofiler.plugins import Registry
from cprofiler.report.rows import human_bytes, human_ms
from cprofiler.results import intervals, stats
from cprofiler.results.model import ImageResult, Measurement

#: Fewer values than this and an estimate tells nothing apart, whatever its interval.
MIN_VALUES_TO_TELL = 3
#: Image sizes closer than the larger of this (in bytes) and SIZE_EQUAL_SHARE of the size are equal.
SIZE_EQUAL_BYTES = 1 << 20
#: Image sizes closer than the larger of this share of the size and SIZE_EQUAL_BYTES are equal.
SIZE_EQUAL_SHARE = 0.02


@dataclass(frozen=True)
class Estimate:
    """A median and its interval ``[low, high]``, in the criterion's unit."""

    median: float
    low: float
    high: float
    #: Values the median is over; None for a figure given as is (exact, or an interval of ≥ 95 %).
    n: int | None = None
    #: Chance that ``[low, high]`` covers the true median, from 0 to 1; None with ``n``.
    coverage: float | None = None
    #: ``range of 3``, ``96.8 % CI``: what the interval is ("" for a figure given as is).
    label: str = ""
    #: Practical-equivalence half-margin, in the criterion's unit, added to each side of the interval.
    margin: float = 0.0
    #: A lower bound only: a generator-bound QPS, which measured the generator, not the image.
    at_least: bool = False

    @classmethod
    def exact(cls, value: float, margin: float = 0.0) -> Estimate:
        return cls(value, value, value, margin=margin)

    @classmethod
    def size(cls, size_bytes: float) -> Estimate:
        """An image size: exact, with half of ``max(SIZE_EQUAL_BYTES, SIZE_EQUAL_SHARE · size)`` as margin."""
        return cls.exact(size_bytes, max(SIZE_EQUAL_BYTES, SIZE_EQUAL_SHARE * size_bytes) / 2)

    @classmethod
    def of(cls, values: list[float]) -> Estimate | None:
        """The median of ``values`` and its interval; None without values."""
        s = stats.summarize(values)
        return cls(s.median, s.ci95[0], s.ci95[1], s.n, s.ci_coverage, s.ci_label) if s is not None else None

    @property
    def tells(self) -> bool:
        """Whether this estimate can tell images apart: enough values, and an interval of ≥ 95 %."""
        if self.n is None:
            return True
        return self.n >= MIN_VALUES_TO_TELL and (self.coverage or 0.0) >= intervals.CI_TARGET

    @property
    def bounds(self) -> tuple[float, float]:
        """The ends separability is judged on: the interval widened by the margin, or unbounded
        for an estimate that cannot tell (too few values, a range below 95 %)."""
        if not self.tells:
            return (-math.inf, math.inf)
        return (self.low - self.margin, math.inf if self.at_least else self.high + self.margin)


def separable(a: Estimate, b: Estimate) -> bool:
    """Whether the two medians' :attr:`~Estimate.bounds` do not overlap: only then do we call one
    better. An estimate that cannot tell (too few values) is separable from none."""
    (a_low, a_high), (b_low, b_high) = a.bounds, b.bounds
    return a_high < b_low or b_high < a_low


def too_few(a: Estimate, b: Estimate) -> bool:
    """Whether one of the two cannot tell: too few values, or a range short of 95 % coverage."""
    return not a.tells or not b.tells


@dataclass(frozen=True)
class Criterion:
    """One thing to prefer an image for; ``higher_is_better`` is False for times and sizes."""

    name: str
    #: Its key in ``recommend --format json``, with the unit: ``start_ms``.
    key: str
    #: What is compared, for sentences: ``cold start``.
    what: str
    higher_is_better: bool
    #: The flag of the hard limit on it (``--max-start``) and the unit its value is given in.
    limit_flag: str
    #: ``the fastest cold start``: the best candidate's distinction.
    best_words: str
    #: ``a faster cold start``: what being separably better gives.
    better_words: str
    #: ``a slower cold start``: what being separably worse costs.
    worse_words: str
    #: The figure in a sentence: 244 ms, 1.4 MiB.
    fmt: Callable[[float], str]

    def better(self, a: Estimate, b: Estimate) -> bool:
        """Whether ``a`` is separably better than ``b``."""
        if not separable(a, b):
            return False
        (a_low, a_high), (b_low, b_high) = a.bounds, b.bounds
        return a_low > b_high if self.higher_is_better else a_high < b_low

    def best_of(self, values: list[float]) -> float:
        return max(values) if self.higher_is_better else min(values)

    def within(self, value: float, limit: float) -> bool:
        return value >= limit if self.higher_is_better else value <= limit


#: The criteria by ``--prefer`` name, in the order tables show them.
CRITERIA: Registry[Criterion] = Registry("criterion", flag="--prefer")
for _c in (
    Criterion(
        name="start",
        key="start_ms",
        what="cold start",
        higher_is_better=False,
        limit_flag="--max-start",
        best_words="the fastest cold start",
        better_words="a faster cold start",
        worse_words="a slower cold start",
        fmt=human_ms,
    ),
    Criterion(
        name="memory",
        key="working_set_bytes",
        what="working set",
        higher_is_better=False,
        limit_flag="--max-memory",
        best_words="the least memory",
        better_words="less memory",
        worse_words="more memory",
        fmt=human_bytes,
    ),
    Criterion(
        name="size",
        key="image_size_bytes",
        what="image size",
        higher_is_better=False,
        limit_flag="--max-size",
        best_words="the smallest image",
        better_words="a smaller image",
        worse_words="a larger image",
        fmt=human_bytes,
    ),
    Criterion(
        name="qps",
        key="qps",
        what="throughput",
        higher_is_better=True,
        limit_flag="--min-qps",
        best_words="the highest throughput",
        better_words="higher throughput",
        worse_words="lower throughput",
        fmt=lambda v: f"{v:,.0f} req/s",
    ),
):
    CRITERIA.add(_c.name, _c)


@dataclass(frozen=True)
class Candidate:
    """One image entry as ``recommend`` compares it."""

    #: As tables show it: with the stand-in, and a ``cpus`` list's row with its limit (``web@cpus=0.5``).
    label: str
    #: ``go-builder for golang:1.22``; None for a real base.
    stand_in: str | None
    #: Measured runs that ended ok.
    runs_ok: int
    #: Criterion name → estimate; a criterion the image has no figure for is missing.
    values: dict[str, Estimate] = field(default_factory=dict)
    #: What the ``memory`` figure is: MEMORY_UNDER_LOAD or MEMORY_AFTER_SETTLE.
    memory_basis: str = "working set after settle"
    #: The row's CPU limit (a ``cpus`` list gives one row per value), in cores; None without one.
    #: Rows are compared only with rows of the same limit.
    cpus: float | None = None
    #: True when a load step of the image was disturbed (other work on its CPUs): its throughput is not its own.
    disturbed: bool = False


#: ``Candidate.memory_basis`` of the working-set peak under load (the load phase's summary).
MEMORY_UNDER_LOAD = "working-set peak under load"
#: ``Candidate.memory_basis`` of the working set read ``settle_s`` after ready (no load phase).
MEMORY_AFTER_SETTLE = "working set after settle"


def _span(f: FigureSpan) -> Estimate:
    return Estimate(f.median, f.ci95[0], f.ci95[1], f.n, f.coverage, f.label)


def _at_least(e: Estimate) -> Estimate:
    """A generator-bound QPS: it measured the generator, so the image serves at least its low end
    and nothing is known above: unbounded above (``Estimate.bounds``), it beats only a figure
    wholly below it and is never beaten, so ``recommend --prefer qps`` never calls it a win over
    another bound one."""
    return replace(e, at_least=True)


def candidates(m: Measurement, load_phases: list[LoadedImage] | None = None) -> list[Candidate]:
    """The scenario's images (never the floor) with ok runs, with every figure they have; the
    throughput comes from ``load_phases`` (default: ``load_view.loaded_images(m)``). A row of a
    ``cpus`` list is a candidate of its own (``web@cpus=0.5``), with its ``cpus``.

    ``memory`` is the working-set peak under load when every candidate has one (a load phase
    shows what a service holds when it works), else the working set after settle for all: one
    basis for every image, named in ``memory_basis``."""
    phases = loaded_images(m) if load_phases is None else load_phases
    qps = {id(li.image): li.load.summary.qps for li in phases}
    bound = {id(li.image) for li in phases if li.load.summary.generator_bound}
    peaks = {id(li.image): li.load.summary.working_set_peak_bytes for li in phases}
    eligible = [image for image in m.images if image.ok_runs()]
    under_load = bool(eligible) and all(peaks.get(id(image)) is not None for image in eligible)
    out = []
    for image in eligible:
        values: dict[str, Estimate] = {"size": Estimate.size(image.image_size_bytes)}
        for name, fld in (("start", "ready_ms"), ("memory", "working_set_bytes")):
            est = Estimate.of(image.values(fld))
            if est is not None:
                values[name] = est
        if under_load and (peak := peaks.get(id(image))) is not None:
            values["memory"] = _span(peak)
        if (q := qps.get(id(image))) is not None:
            values["qps"] = _at_least(_span(q)) if id(image) in bound else _span(q)
        disturbed = image.load is not None and any(step.disturbed for step in image.load.steps)
        basis = MEMORY_UNDER_LOAD if under_load else MEMORY_AFTER_SETTLE
        out.append(Candidate(image.label, _stand_in(image), len(image.ok_runs()), values, basis, image.cpus, disturbed))
    return out


def _stand_in(image: ImageResult) -> str | None:
    return f"{image.stand_in.recipe} for {image.stand_in.replaced}" if image.stand_in is not None else None
