"""What the load charts share: bars per image and per CPU limit, and the load's description."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from matplotlib.axes import Axes

from cprofiler.load_view import FigureSpan, LoadedImage
from cprofiler.plot import style
from cprofiler.results import intervals

CPU_COLORS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860")


def cpus_text(cpus: float | None) -> str:
    return "no CPU limit" if cpus is None else f"{cpus:g} CPU{'' if cpus == 1 else 's'}"


def grouped_bars(
    ax: Axes,
    load: list[LoadedImage],
    figure: Callable[[LoadedImage], FigureSpan | None],
    scale: float = 1.0,
    bound: Callable[[LoadedImage], bool] | None = None,
) -> None:
    """One group of bars per image, one bar per CPU limit (the scaling), each the median with its
    interval (the range of fewer than 6 repeats: :func:`caption` says which); ``figure`` picks the
    summary figure, ``scale`` divides it (bytes → MiB). A bar for which ``bound`` is true is hatched
    and its figure marked ``≥``: it measured the load generator, not the image (:data:`BOUND_NOTE`)."""
    names = list(dict.fromkeys(e.scenario_image for e in load))
    limits = sorted({e.image.cpus for e in load}, key=lambda c: (c is None, c or 0.0))
    width = 0.8 / len(limits)
    for k, cpus in enumerate(limits):
        xs, meds, below, above, marks = [], [], [], [], []
        for e in load:
            value = figure(e)
            if e.image.cpus != cpus or value is None:
                continue
            marks.append(bool(bound and bound(e)))
            xs.append(names.index(e.scenario_image) + (k - (len(limits) - 1) / 2) * width)
            meds.append(value.median / scale)
            below.append((value.median - value.ci95[0]) / scale)
            above.append((value.ci95[1] - value.median) / scale)
        bars = ax.bar(
            xs, meds, width * 0.9, yerr=[below, above], capsize=2, color=CPU_COLORS[k % len(CPU_COLORS)], label=cpus_text(cpus)
        )
        for bar, marked in zip(bars, marks, strict=True):
            if marked:
                bar.set_hatch("//")
        ax.bar_label(
            bars, labels=[("≥" if m else "") + short(v) for v, m in zip(meds, marks, strict=True)], fontsize=7, padding=2
        )
    # One group per scenario image: its rows of a cpus list are the group's bars.
    first = {e.scenario_image: e.image for e in reversed(load)}
    ax.set_xticks(range(len(names)), [style.tick_label(first[n], name=n) for n in names])
    ax.margins(y=0.12)


#: What a hatched bar is, for a caption.
BOUND_NOTE = (
    "Hatched, marked ≥: generator-bound, near the load generator's own ceiling: it measured the generator, "
    "not the image, which serves at least that; not a win."
)


def caption(load: list[LoadedImage], figures: Sequence[Callable[[LoadedImage], FigureSpan | None]]) -> str:
    """What the error bars of ``figures`` are: ``error bars: range of 3 (covers the median 75.0 % …)``."""
    shown = [(v.label, v.coverage) for e in load for f in figures if (v := f(e)) is not None and v.n > 1]
    return f"error bars: {intervals.described(shown)}."


def short(value: float) -> str:
    """A bar's figure in few characters: 17.0k, 340, 6.5, 0.82."""
    if value >= 10_000:
        return f"{value / 1000:.1f}k"
    return f"{value:.0f}" if value >= 10 else f"{value:.2g}"


def describe(load: list[LoadedImage]) -> str:
    """``wrk2, 64 connections, 30 s per step``: how the load was made (as the first image's)."""
    phase = load[0].load
    return f"Load: {phase.generator}, {phase.connections} connections, {phase.duration_s:g} s per step."
