"""Memory per image: working set, RSS and peak, medians with their intervals (labelled what they are)."""

from __future__ import annotations

from matplotlib.figure import Figure

from cprofiler.plot import style
from cprofiler.plot.registry import ChartInput, chart
from cprofiler.results import intervals, stats

#: Run field → legend text and colour; peak is each run's highest usage, so its median is plotted too.
SERIES = (
    ("working_set_bytes", "working set (usage − inactive file)", "#4c72b0"),
    ("rss_bytes", "RSS (anonymous memory, as cAdvisor counts it)", "#55a868"),
    ("peak_bytes", "peak (highest usage during the run)", "#c44e52"),
)


@chart("memory", "Memory per image")
def draw(data: ChartInput) -> Figure:
    m = data.measurement
    fig = style.new_figure(8.5, 5.0)
    ax = fig.add_subplot()
    width = 0.26
    shown: list[tuple[str, float]] = []
    for k, (field, label, color) in enumerate(SERIES):
        xs, medians, below, above = [], [], [], []
        for x, image in enumerate(m.images):
            summary = stats.summarize(image.values(field))
            if summary is None:
                continue
            xs.append(x + (k - 1) * width)
            shown.append((summary.ci_label, summary.ci_coverage))
            medians.append(summary.median / style.MiB)
            below.append((summary.median - summary.ci95[0]) / style.MiB)
            above.append((summary.ci95[1] - summary.median) / style.MiB)
        bars = ax.bar(xs, medians, width * 0.92, color=color, label=f"{label}, median", yerr=[below, above], capsize=2)
        ax.bar_label(bars, labels=[f"{v:.1f}" for v in medians], fontsize=7, padding=2)
    for x, image in enumerate(m.images):
        if image.memory_limit_bytes:
            limit = image.memory_limit_bytes / style.MiB
            ax.hlines(limit, x - 1.5 * width, x + 1.5 * width, color="#333333", ls=":", lw=1.2)
            ax.text(x, limit, f"limit {limit:.0f} MiB", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(m.images)), [style.tick_label(i) for i in m.images])
    ax.set_ylabel(f"memory {m.settings.settle_s:g} s after ready (MiB)")
    ax.margins(y=0.12)
    style.title(fig, "Memory per image", m)
    style.legend_above(ax)
    style.add_caption(fig, m, f"Error bars: interval of the median: {intervals.described(shown)}.")
    return fig
