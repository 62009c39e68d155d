"""Latency percentiles against the achieved rate, for a rate sweep: where each image saturates."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from cprofiler.load_view import Latencies, StepView
from cprofiler.plot import style
from cprofiler.plot.charts._load import describe
from cprofiler.plot.registry import ChartInput, chart

#: Colour of the cross over a failing rate's points.
FAILING = "#c0392b"
#: Percentile: how to read it, line style, legend text.
PERCENTILES: tuple[tuple[Callable[[Latencies], float], str, str], ...] = (
    (lambda lat: lat.p50, "-", "p50"),
    (lambda lat: lat.p99, "--", "p99"),
    (lambda lat: lat.p999, ":", "p99.9"),
)


def _sweeps(data: ChartInput) -> bool:
    return any(len({s.rate for s in e.load.steps}) > 1 for e in data.load)


def _by_rate(steps: list[StepView]) -> list[tuple[float, list[float], bool]]:
    """Per offered rate: the median achieved rate, each of ``PERCENTILES`` as the median over
    the step's repeats, in milliseconds, and whether a repeat was failing; sorted by achieved rate."""
    groups: dict[float | None, list[StepView]] = defaultdict(list)
    for s in steps:
        groups[s.rate].append(s)
    out = []
    for group in groups.values():
        lat = [statistics.median(read(s.latency_ms) for s in group) for read, _, _ in PERCENTILES]
        out.append((statistics.median(s.qps for s in group), lat, any(s.failing for s in group)))
    return sorted(out, key=lambda x: x[0])


@chart("load-latency", "Latency against achieved rate", applies=_sweeps)
def draw(data: ChartInput) -> Figure:
    m = data.measurement
    fig = style.new_figure(8.5, 5.4)
    ax = fig.add_subplot()
    ax.grid(axis="x")
    handles: list[Line2D] = []
    for k, e in enumerate(data.load):
        color = style.PALETTE[k % len(style.PALETTE)]
        points = _by_rate(list(e.load.steps))
        for j, (_, ls, _) in enumerate(PERCENTILES):
            ax.plot([q for q, _, _ in points], [lat[j] for _, lat, _ in points], ls=ls, marker="o", ms=3, color=color)
            failing = [(q, lat[j]) for q, lat, bad in points if bad]
            if failing:  # more errors than the limit: a cross over the point
                ax.plot(*zip(*failing, strict=True), ls="none", marker="x", ms=8, mew=2, color=FAILING)
        handles.append(Line2D([], [], color=color, lw=2, label=e.label))
    handles += [Line2D([], [], color="#333333", ls=ls, label=text) for _, ls, text in PERCENTILES]
    if any(bad for e in data.load for _, _, bad in _by_rate(list(e.load.steps))):
        handles.append(Line2D([], [], color=FAILING, ls="none", marker="x", mew=2, label="failing (errors over the limit)"))
    ax.set_yscale("log")
    ax.set_xlabel("achieved rate (requests/s)")
    ax.set_ylabel("latency (ms, log scale)")
    style.title(fig, "Latency against achieved rate", m)
    # Beside the axes, attached to them: the layout makes room, and no line is covered.
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8)
    caption = " Points: medians over each rate's repeats; latency over every request sent (no answer: at the timeout)."
    style.add_caption(fig, m, describe(data.load) + caption)
    return fig
