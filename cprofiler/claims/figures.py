"""A claim's measured figure, read from a results file: its median, interval, unit and caveats.

Every figure is a median over what was measured with the interval the results model gives it
(:func:`cprofiler.results.stats.summarize`: the range of fewer than 6 values, an order-statistic
interval of at least 95 % from 6), and says which. A ratio of two figures is the ratio of their
medians, bounded by the ratios of their intervals' opposite ends (low over high, high over low):
as wide as both intervals together, with no coverage claimed beyond theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from cprofiler.claims.model import Measured, Selector
from cprofiler.report.rows import app_start_interval
from cprofiler.results import capacity, stats
from cprofiler.results.load import LoadStep, generator_bound
from cprofiler.results.model import ImageResult, Measurement

MIB = 1024 * 1024

#: The unit each field is given in.
UNITS = {
    "qps": "req/s",
    "p99_ms": "ms",
    "cpu_cores": "cores",
    "working_set_peak_mib": "MiB",
    "capacity_rps": "req/s",
    "ready_ms": "ms",
    "app_start_ms": "ms",
    "image_size_mib": "MiB",
    "working_set_mib": "MiB",
}


class Missing(Exception):
    """The figure was not measured; ``str()`` says why, for the verdict."""


@dataclass(frozen=True)
class Figure:
    median: float
    low: float
    high: float
    #: Values the median is over (repeats, runs); a ratio: the fewer of its two.
    n: int
    #: What ``low…high`` is: ``range of 3``, ``96.8 % CI``, ``1 value``, ``bounds of both intervals``.
    label: str
    unit: str
    #: The figure measured the load generator, not the server: it says nothing of the server.
    generator_bound: bool = False
    #: The figure is a lower bound (a capacity at the top of the sweep): the server may do more.
    at_least: bool = False
    #: Measured on a stand-in base, not the image the text names.
    stand_in: bool = False
    #: What a reader must know: stand-ins, failing steps, the rate.
    caveats: tuple[str, ...] = field(default_factory=tuple)


def _entry(m: Measurement, sel: Selector, where: str) -> ImageResult:
    found = [i for i in m.images if (i.scenario_image or i.name) == sel.image and (sel.cpus is None or i.cpus == sel.cpus)]
    if not found:
        raise Missing(f"{where} holds no image {sel.image!r}" + (f" at cpus {sel.cpus:g}" if sel.cpus is not None else ""))
    if len(found) > 1:
        raise Missing(f"{where}: {sel.image!r} has {len(found)} entries: give cpus")
    return found[0]


def _of(values: list[float], unit: str, **extra: object) -> Figure:
    s = stats.summarize(values)
    if s is None:
        raise Missing("no value")
    label = s.ci_label if s.n > 1 else "1 value"
    return Figure(s.median, s.ci95[0], s.ci95[1], s.n, label, unit, **extra)  # type: ignore[arg-type]


def _app_start(image: ImageResult, m: Measurement, sel: Selector) -> Figure:
    """The image's own share of ``ready_ms``: its median minus the runtime floor's, measured in the
    same interleaved rounds, with the bootstrap interval (nominal 95 %) of that difference."""
    interval = app_start_interval(image, m)
    if interval is None:
        raise Missing(f"{sel.image} has no app start (no floor of its kind, or no ok run)")
    n = min(len(image.values("ready_ms")), len(m.floor.values("ready_ms")) if m.floor else 0)
    return Figure(interval.value, interval.low, interval.high, n, "bootstrap, nominal 95 %", "ms")


def _step_value(step: LoadStep, name: str) -> float | None:
    """One load step's ``name`` figure, in the unit of :data:`UNITS`."""
    if name == "qps":
        return step.qps
    if name == "p99_ms":
        return step.latency_ms.p99
    if name == "cpu_cores":
        return step.cpu_cores
    return step.working_set_peak_bytes / MIB if step.working_set_peak_bytes is not None else None


def _load_figure(image: ImageResult, m: Measurement, sel: Selector) -> Figure:
    load = image.load
    if load is None:
        raise Missing(f"{sel.image} has no load phase")
    unit = UNITS[sel.field]
    if sel.field == "capacity_rps":
        cap = capacity.capacity_rate(load)
        if cap is None:
            raise Missing("no rate of the sweep was served within the SLO")
        top = max(r for r in load.rates() if r is not None)
        return Figure(
            cap,
            cap,
            cap,
            1,
            "a rate of the sweep",
            unit,
            at_least=cap == top,
            caveats=("the sweep's top rate",) if cap == top else (),
        )
    steps = load.ok_steps_at(sel.rate)
    at = "closed loop" if sel.rate is None else f"at {sel.rate:,.0f} req/s"
    if not steps:
        raise Missing(f"no step of {sel.image} ended ok {at}")
    values = [v for v in (_step_value(s, sel.field) for s in steps) if v is not None]
    failing = [s for s in steps if s.failing]
    caveats = [at] + ([f"{len(failing)} of {len(steps)} steps failing (errors above the limit)"] if failing else [])
    qps = stats.summarize([s.qps for s in steps])
    bound = any(s.generator_bound for s in steps) or generator_bound(qps.median if qps else None, load.ceiling or m.ceiling)
    if not values:
        raise Missing(f"{sel.field} was not measured {at}")
    return _of(values, unit, generator_bound=bound, caveats=tuple(caveats))


def figure(m: Measurement, sel: Selector, where: str) -> Figure:
    """The figure ``sel`` names in ``m`` (read from ``where``); raise Missing when it was not measured."""
    image = _entry(m, sel, where)
    stand_in = (f"stand-in {image.stand_in.recipe}",) if image.stand_in is not None else ()
    if sel.field == "app_start_ms":
        got = _app_start(image, m, sel)
    elif sel.field in ("ready_ms", "working_set_mib"):
        name = "ready_ms" if sel.field == "ready_ms" else "working_set_bytes"
        scale = 1.0 if sel.field == "ready_ms" else 1 / MIB
        got = _of([v * scale for v in image.values(name)], UNITS[sel.field])
    elif sel.field == "image_size_mib":
        size = image.image_size_bytes / MIB
        got = Figure(size, size, size, 1, "1 value", "MiB")
    else:
        got = _load_figure(image, m, sel)
    return replace(got, caveats=got.caveats + stand_in, stand_in=bool(stand_in))


def ratio(a: Figure, b: Figure) -> Figure:
    """``a / b``: the medians' ratio, bounded by ``a.low / b.high`` and ``a.high / b.low``."""
    if b.median <= 0 or b.low <= 0:
        raise Missing("the denominator is zero")
    caveats = tuple(dict.fromkeys(a.caveats + b.caveats))
    return Figure(
        a.median / b.median,
        a.low / b.high,
        a.high / b.low,
        min(a.n, b.n),
        "bounds of both intervals",
        "×",
        generator_bound=a.generator_bound or b.generator_bound,
        at_least=a.at_least and not b.at_least,
        stand_in=a.stand_in or b.stand_in,
        caveats=caveats,
    )


def measured(m: dict[str, Measurement], files: dict[str, Path], spec: Measured) -> Figure:
    """The figure or ratio ``spec`` names, from the measurements by results name."""
    if spec.figure is not None:
        return figure(m[spec.figure.results], spec.figure, str(files[spec.figure.results]))
    assert spec.ratio is not None
    top, bottom = spec.ratio
    return ratio(
        figure(m[top.results], top, str(files[top.results])), figure(m[bottom.results], bottom, str(files[bottom.results]))
    )
