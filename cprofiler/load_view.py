"""What charts and ``recommend`` read of a load phase: the typed seam to the load-phase model.

The load phase writes, per image entry, ``load: {generator, connections, duration_s, steps: […],
summary: {qps, latency_p99_ms, cpu_cores, working_set_peak_bytes, …}}`` (each summary figure
``{median, ci95: [low, high]}``); an image with a ``cpus`` list appears once per value, with its
``cpus``. Its typed model is being written elsewhere, so the readers here do not depend on it:
they read the protocols below, which list exactly the fields they use, with the contract's names.
A pydantic model with those names satisfies them as it is.

**The seam** is :func:`loaded_images`, the only place that gets load data out of a measurement.
Until :class:`~cprofiler.results.model.ImageResult` has a ``load`` field it returns ``[]`` and every
load chart and the ``qps`` criterion stay out of the way; the integrator replaces its ``getattr``
with the typed field (and adapts the names below, should the model spell them differently).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cprofiler.results.model import ImageResult, Measurement


class Interval(Protocol):
    """A median over repeats and its 95 % interval, in the unit of the field that holds it."""

    @property
    def median(self) -> float: ...

    #: ``[low, high]``.
    @property
    def ci95(self) -> Sequence[float]: ...


class Latencies(Protocol):
    """Latency percentiles of one load step, in milliseconds."""

    @property
    def p50(self) -> float: ...
    @property
    def p90(self) -> float: ...
    @property
    def p99(self) -> float: ...
    @property
    def p999(self) -> float: ...


class LoadStep(Protocol):
    """One step of the load phase: a rate offered for ``duration_s``, possibly repeated."""

    #: Offered rate, in requests per second; None when the generator ran flat out.
    @property
    def rate(self) -> float | None: ...
    #: Achieved rate, in requests per second.
    @property
    def qps(self) -> float: ...
    @property
    def latency_ms(self) -> Latencies: ...


class LoadSummary(Protocol):
    """The load phase of one image entry in four figures (medians over the steps' repeats)."""

    #: Requests per second.
    @property
    def qps(self) -> Interval: ...
    #: 99th percentile latency, in milliseconds.
    @property
    def latency_p99_ms(self) -> Interval: ...
    #: Container CPU use under load, in cores; None when it was not sampled.
    @property
    def cpu_cores(self) -> Interval | None: ...
    #: Highest working set under load, in bytes; None when it was not sampled.
    @property
    def working_set_peak_bytes(self) -> Interval | None: ...


class LoadPhase(Protocol):
    """An image entry's ``load`` object, as far as charts and ``recommend`` read it."""

    #: The load generator's name (``wrk2``).
    @property
    def generator(self) -> str: ...
    #: Open connections during the load.
    @property
    def connections(self) -> int: ...
    #: Length of each step, in seconds.
    @property
    def duration_s(self) -> float: ...
    @property
    def steps(self) -> Sequence[LoadStep]: ...
    @property
    def summary(self) -> LoadSummary: ...


@dataclass(frozen=True)
class LoadedImage:
    """An image entry (with its ``cpus``) and its load phase."""

    image: ImageResult
    load: LoadPhase

    @property
    def label(self) -> str:
        """The image's label, with its CPU limit when it has one (``go-static · 2 CPUs``)."""
        if self.image.cpus is None:
            return self.image.label
        return f"{self.image.label} · {self.image.cpus:g} CPU{'' if self.image.cpus == 1 else 's'}"


def loaded_images(m: Measurement) -> list[LoadedImage]:
    """Every scenario image entry of ``m`` that holds a load phase, in the results' order.

    THE SEAM: results carry no typed ``load`` yet, so this finds none; once ``ImageResult.load``
    exists, read it here (``image.load``) and nothing else changes.
    """
    out = []
    for image in m.images:
        load = getattr(image, "load", None)
        if load is not None:
            out.append(LoadedImage(image, load))
    return out
