"""What charts and ``recommend`` read of a load phase: a small typed view of ``ImageResult.load``.

The load phase's model (:class:`cprofiler.results.load.LoadResult`) keeps every step as measured,
with a figure left null where it could not be had, and summarises on demand into dicts
(``{median, ci95, n}``). Charts want fewer and firmer things: the steps that ended ok with their
rate and latencies, and the four headline figures as intervals. This module is the one place that
turns the one into the other (:meth:`LoadView.of`); charts and ``recommend`` read only the view,
so a change in the load model is a change here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cprofiler.results.derive import load_summary, summary_generator_bound
from cprofiler.results.kinds import StepStatus
from cprofiler.results.load import Ceiling, LoadResult
from cprofiler.results.model import ImageResult, Measurement


@dataclass(frozen=True)
class FigureSpan:
    """A median over repeats and its interval, in the unit of the field that holds it: the range of
    fewer than 6 repeats, else an order-statistic interval of at least 95 % (``label`` says which)."""

    median: float
    ci95: tuple[float, float]
    #: Repeats the median is over.
    n: int = 1
    #: Chance that ``ci95`` covers the true median, from 0 to 1.
    coverage: float = 0.0
    #: ``range of 3``, ``96.8 % CI``: what ``ci95`` is.
    label: str = "1 value, no interval"
    #: Smallest and largest repeat, in the figure's unit.
    span: tuple[float, float] = (0.0, 0.0)

    @classmethod
    def of(cls, figure: Mapping[str, Any] | None) -> FigureSpan | None:
        """From a summary figure ``{median, ci95: [low, high], n, min, max, ci_coverage, ci_label}``;
        None for a missing one."""
        if not figure or figure.get("median") is None:
            return None
        median = float(figure["median"])
        low, high = figure.get("ci95") or (median, median)
        n = int(figure.get("n") or 1)
        span = (float(figure.get("min", low)), float(figure.get("max", high)))
        coverage = float(figure.get("ci_coverage") or 0.0)
        return cls(median, (float(low), float(high)), n, coverage, str(figure.get("ci_label") or ""), span)


@dataclass(frozen=True)
class Latencies:
    """Latency percentiles of one step, in milliseconds."""

    p50: float
    p90: float
    p99: float
    p999: float


@dataclass(frozen=True)
class StepView:
    """One step that ended ok with every figure a chart draws."""

    #: Offered rate, in requests per second; None for closed loop (as fast as it goes).
    rate: float | None
    #: Achieved rate (2xx answers), in requests per second.
    qps: float
    #: Percentiles over every request sent (no answer: at the request timeout).
    latency_ms: Latencies
    #: True when more than the phase's ``error_limit`` of its requests got no 2xx answer.
    failing: bool = False


@dataclass(frozen=True)
class SummaryView:
    """The headline figures at the summarised rate (:func:`cprofiler.results.derive.load_summary`); None where unmeasured."""

    #: Requests per second.
    qps: FigureSpan | None
    #: 99th percentile latency, in milliseconds.
    latency_p99_ms: FigureSpan | None
    #: Container CPU use under load, in cores.
    cpu_cores: FigureSpan | None
    #: Highest working set under load, in bytes.
    working_set_peak_bytes: FigureSpan | None
    #: True when ``qps`` measured the generator, not the image: a lower bound of what it serves
    #: (:func:`cprofiler.results.derive.summary_generator_bound`).
    generator_bound: bool = False


@dataclass(frozen=True)
class LoadView:
    """An image entry's load phase as charts and ``recommend`` read it."""

    #: The load generator's name (``oha``, ``wrk``).
    generator: str
    #: Open connections during the load.
    connections: int
    #: Measured seconds of each step.
    duration_s: float
    #: Steps that ended ok and have a QPS and every latency percentile, in the order run.
    steps: tuple[StepView, ...]
    summary: SummaryView

    @classmethod
    def of(cls, result: LoadResult, ceiling: Ceiling | None = None) -> LoadView:
        """The view of ``result``; ``ceiling`` is the measurement's generator ceiling, for a phase without its own."""
        steps = []
        for s in result.steps:
            lat = s.latency_ms
            if s.status != StepStatus.OK or s.qps is None or None in (lat.p50, lat.p90, lat.p99, lat.p999):
                continue
            assert lat.p50 is not None and lat.p90 is not None and lat.p99 is not None and lat.p999 is not None
            steps.append(StepView(s.rate, s.qps, Latencies(lat.p50, lat.p90, lat.p99, lat.p999), failing=s.failing))
        summary = load_summary(result)
        return cls(
            generator=result.generator,
            connections=result.connections,
            duration_s=result.duration_s,
            steps=tuple(steps),
            summary=SummaryView(
                qps=FigureSpan.of(summary.qps),
                latency_p99_ms=FigureSpan.of(summary.latency_p99_ms),
                cpu_cores=FigureSpan.of(summary.cpu_cores),
                working_set_peak_bytes=FigureSpan.of(summary.working_set_peak_bytes),
                generator_bound=summary_generator_bound(result, ceiling),
            ),
        )


@dataclass(frozen=True)
class LoadedImage:
    """An image entry (one row: one ``cpus`` value) and its load phase."""

    image: ImageResult
    load: LoadView

    @property
    def scenario_image(self) -> str:
        """The scenario's name for the image, the same for every row of a ``cpus`` list."""
        return self.image.scenario_image or self.image.name

    @property
    def label(self) -> str:
        """The image's label, with its CPU limit (``web@cpus=0.5 (stand-in: …)``, ``go · 2 CPUs``)."""
        if self.image.cpus is None or self.scenario_image != self.image.name:
            return self.image.label  # no limit, or the row's name says it already
        return f"{self.image.label} · {self.image.cpus:g} CPU{'' if self.image.cpus == 1 else 's'}"


def loaded_images(m: Measurement) -> list[LoadedImage]:
    """Every scenario image entry of ``m`` that holds a load phase, in the results' order."""
    return [LoadedImage(image, LoadView.of(image.load, m.ceiling)) for image in m.images if image.load is not None]
