"""CPU and working set under load, per image and per CPU limit."""

from __future__ import annotations

from matplotlib.figure import Figure

from cprofiler.plot import style
from cprofiler.plot.charts._load import caption, describe, grouped_bars
from cprofiler.plot.registry import ChartInput, chart


def _applies(data: ChartInput) -> bool:
    return any(e.load.summary.cpu_cores is not None or e.load.summary.working_set_peak_bytes is not None for e in data.load)


@chart("load-resources", "CPU and memory under load", applies=_applies)
def draw(data: ChartInput) -> Figure:
    fig = style.new_figure(10.0, 5.0)
    cpu, mem = fig.subplots(1, 2)
    grouped_bars(cpu, data.load, lambda e: e.load.summary.cpu_cores)
    cpu.set_ylabel("CPU used under load (cores)")
    grouped_bars(mem, data.load, lambda e: e.load.summary.working_set_peak_bytes, scale=style.MiB)
    mem.set_ylabel("highest working set under load (MiB)")
    style.title(fig, "CPU and memory under load", data.measurement)
    style.legend_above(cpu, ncols=8)
    style.add_caption(
        fig,
        data.measurement,
        describe(data.load)
        + " Bars: median over repeats; "
        + caption(data.load, [lambda e: e.load.summary.cpu_cores, lambda e: e.load.summary.working_set_peak_bytes]),
    )
    return fig
