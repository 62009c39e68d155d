"""Throughput and p99 latency under load, per image and per CPU limit (how each scales)."""

from __future__ import annotations

from matplotlib.figure import Figure

from cprofiler.plot import style
from cprofiler.plot.charts._load import BOUND_NOTE, caption, describe, grouped_bars
from cprofiler.plot.registry import ChartInput, chart


@chart("load-throughput", "Throughput and p99 latency under load", applies=lambda data: bool(data.load))
def draw(data: ChartInput) -> Figure:
    fig = style.new_figure(10.0, 5.0)
    qps, p99 = fig.subplots(1, 2)
    grouped_bars(qps, data.load, lambda e: e.load.summary.qps, bound=lambda e: e.load.summary.generator_bound)
    qps.set_ylabel("throughput (requests/s; higher is better)")
    grouped_bars(p99, data.load, lambda e: e.load.summary.latency_p99_ms)
    p99.set_ylabel("p99 latency (ms; lower is better)")
    style.title(fig, "Throughput and p99 latency under load", data.measurement)
    style.legend_above(qps, ncols=8)
    style.add_caption(
        fig,
        data.measurement,
        describe(data.load)
        + " Bars: median over repeats; "
        + caption(data.load, [lambda e: e.load.summary.qps, lambda e: e.load.summary.latency_p99_ms])
        + (" " + BOUND_NOTE if any(e.load.summary.generator_bound for e in data.load) else ""),
    )
    return fig
