"""Cold start against memory: the Pareto frontier drawn, dominated images greyed.

Dominance is ``recommend``'s: separably better (intervals of the medians of ≥ 95 % coverage apart;
fewer than 6 runs tell nothing apart) on one axis and separably worse on none, so a point that is
lower only by noise does not push another off.
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from cprofiler.plot import style
from cprofiler.plot.registry import ChartInput, chart
from cprofiler.recommend.criteria import Candidate, candidates
from cprofiler.recommend.decide import Domination, dominations
from cprofiler.results import intervals

AXES = ("start", "memory")


def _applies(data: ChartInput) -> bool:
    return sum(all(a in c.values for a in AXES) for c in candidates(data.measurement)) >= 1


@chart("pareto", "Cold start against memory", applies=_applies)
def draw(data: ChartInput) -> Figure:
    m = data.measurement
    cands = [c for c in candidates(m) if all(a in c.values for a in AXES)]
    dominated = dominations(cands, AXES)
    palette = style.colors(m)
    color_of = {i.label: palette[i.name] for i in m.images}
    fig = style.new_figure(8.5, 5.4)
    ax = fig.add_subplot()
    ax.grid(axis="x")
    front = sorted((c for c in cands if not dominated[c.label]), key=lambda c: c.values["start"].median)
    right = max(c.values["start"].high for c in cands) * 1.15
    top = max(c.values["memory"].high for c in cands) / style.MiB * 1.25
    _frontier(ax, front, right, top)
    for c in cands:
        _point(ax, c, dominated[c.label], color_of.get(c.label, "#333333"), right)
    ax.set_xlim(0, right)
    ax.set_ylim(0, top)
    ax.set_xlabel("cold start, median (ms)")
    ax.set_ylabel("working set, median (MiB)")
    handles = [
        Line2D([], [], color="#333333", ls="--", label="Pareto frontier: no image beats these on both"),
        Line2D([], [], ls="", marker="o", color="#1f77b4", label="on the frontier"),
        Line2D([], [], ls="", marker="o", color=style.DOMINATED_COLOR, label="dominated on these two axes (greyed)"),
    ]
    style.title(fig, "Cold start against memory", m)
    style.legend_above(ax, handles=handles)
    style.add_caption(
        fig,
        m,
        f"Lower left is better. Bars: interval of the median: {_labels(cands)}; dominated: separably worse on one axis "
        "(intervals of ≥ 95 % apart), better on none.",
    )
    return fig


def _labels(cands: Sequence[Candidate]) -> str:
    """What the error bars are: ``97.8 % CI`` or ``range of 3 (covers the median 75.0 % of the time)``."""
    return intervals.described((e.label, e.coverage or 0.0) for c in cands for e in (c.values[a] for a in AXES) if e.label)


def _frontier(ax: Axes, front: list[Candidate], right: float, top: float) -> None:
    """The frontier as a staircase: everything above and to the right of it is dominated."""
    xs, ys = [front[0].values["start"].median], [top]
    for c in front:
        y = c.values["memory"].median / style.MiB
        xs += [c.values["start"].median, c.values["start"].median]
        ys += [ys[-1], y]
    xs.append(right)
    ys.append(ys[-1])
    ax.plot(xs[1:], ys[1:], color="#333333", lw=1.2, ls="--", zorder=1)
    ax.fill_between(xs[1:], ys[1:], top, step=None, color="#f2f2f2", zorder=0)


def _point(ax: Axes, c: Candidate, dominated_by: Sequence[Domination], color: str, right: float) -> None:
    """One image: its medians with their intervals, and its label (greyed, naming who dominates it)."""
    start, mem = c.values["start"], c.values["memory"]
    grey = bool(dominated_by)
    ax.errorbar(
        start.median,
        mem.median / style.MiB,
        xerr=[[start.median - start.low], [start.high - start.median]],
        yerr=[[(mem.median - mem.low) / style.MiB], [(mem.high - mem.median) / style.MiB]],
        fmt="o",
        ms=8,
        color=style.DOMINATED_COLOR if grey else color,
        capsize=3,
        zorder=3,
    )
    note = c.label + (f"\ndominated by {', '.join(d.by.split(' (')[0] for d in dominated_by)}" if grey else "")
    # Labels of points on the right half go below and to their left, so that none runs off
    # the chart and two neighbours' labels do not meet.
    left = start.median > 0.55 * right
    ax.annotate(
        note,
        (start.median, mem.median / style.MiB),
        xytext=(-8, -10) if left else (8, 6),
        textcoords="offset points",
        ha="right" if left else "left",
        va="top" if left else "bottom",
        fontsize=8,
        color="#888888" if grey else "#222222",
    )
