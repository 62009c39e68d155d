"""Latency percentiles against the achieved rate, for a rate sweep: where each image saturates."""

from __future__ import annotations

import statistics
from collections import defaultdict

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from cprofiler.load_view import LoadStep
from cprofiler.plot import style
from cprofiler.plot.charts._load import describe
from cprofiler.plot.registry import ChartInput, chart

#: Percentile → line style and legend text.
PERCENTILES = (("p50", "-", "p50"), ("p99", "--", "p99"), ("p999", ":", "p99.9"))


def _sweeps(data: ChartInput) -> bool:
    return any(len({s.rate for s in e.load.steps}) > 1 for e in data.load)


def _by_rate(steps: list[LoadStep]) -> list[tuple[float, dict[str, float]]]:
    """Per offered rate: the median achieved rate and median percentiles over the step's repeats."""
    groups: dict[float | None, list[LoadStep]] = defaultdict(list)
    for s in steps:
        groups[s.rate].append(s)
    out = []
    for group in groups.values():
        lat = {p: statistics.median(getattr(s.latency_ms, p) for s in group) for p, _, _ in PERCENTILES}
        out.append((statistics.median(s.qps for s in group), lat))
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
        for p, ls, _ in PERCENTILES:
            ax.plot([q for q, _ in points], [lat[p] for _, lat in points], ls=ls, marker="o", ms=3, color=color)
        handles.append(Line2D([], [], color=color, lw=2, label=e.label))
    handles += [Line2D([], [], color="#333333", ls=ls, label=text) for _, ls, text in PERCENTILES]
    ax.set_yscale("log")
    ax.set_xlabel("achieved rate (requests/s)")
    ax.set_ylabel("latency (ms, log scale)")
    style.title(fig, "Latency against achieved rate", m)
    fig.legend(handles=handles, loc="outside right upper", fontsize=8)
    style.add_caption(fig, m, describe(data.load) + " Points: medians over each rate's repeats.")
    return fig
