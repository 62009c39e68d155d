"""Cold start per image: every run a point, the median and its interval (labelled what it is), the floor as a line."""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from cprofiler.plot import style
from cprofiler.plot.registry import ChartInput, chart
from cprofiler.report.rows import app_start_ms, floor_median_ms
from cprofiler.results import intervals, stats


@chart("cold-start", "Cold start per image")
def draw(data: ChartInput) -> Figure:
    m = data.measurement
    fig = style.new_figure(8.5, 5.2)
    ax = fig.add_subplot()
    palette = style.colors(m)
    floor_ms = floor_median_ms(m)
    top = 0.0
    handles: list[Line2D | Patch] = [
        Line2D([], [], ls="", marker="o", color="#666666", alpha=0.6, label="one run (ok)"),
        Line2D([], [], color="#333333", lw=2.5, label="median"),
    ]
    shown: list[tuple[str, float]] = []
    if floor_ms is not None and m.floor is not None:
        # Everything below the floor is the engine's own share of a start: shade it.
        ax.axhspan(0, floor_ms, color="#f0f0f0", zorder=0)
        ax.axhline(floor_ms, color=style.FLOOR_COLOR, ls="--", lw=1.3, zorder=1)
        handles.append(Line2D([], [], color=style.FLOOR_COLOR, ls="--", label=f"runtime floor: median {floor_ms:.0f} ms"))
        handles.append(Patch(facecolor="#f0f0f0", label="the engine's share (below the floor)"))
    labels = []
    apps: list[tuple[int, float, float, str]] = []  # x, median, app start, colour
    for x, image in enumerate(m.images):
        values = image.values("ready_ms")
        color = palette[image.name]
        labels.append(style.tick_label(image) + f"\n{len(values)}/{len(image.runs)} runs ok")
        if not values:
            continue
        top = max(top, *values)
        ax.scatter([x - 0.12 + d for d in style.jitter(len(values))], values, s=16, color=color, alpha=0.6, lw=0, zorder=3)
        summary = stats.summarize(values)
        assert summary is not None
        low, high = summary.ci95
        shown.append((summary.ci_label, summary.ci_coverage))
        ax.add_patch(Rectangle((x - 0.3, low), 0.36, high - low, facecolor=color, alpha=0.2, lw=0, zorder=2))
        ax.hlines(summary.median, x - 0.3, x + 0.06, color=color, lw=2.5, zorder=4)
        app = app_start_ms(image, m)
        if app is not None and floor_ms is not None:
            apps.append((x, summary.median, app, color))
    handles.insert(2, Patch(facecolor="#333333", alpha=0.2, label="interval of the median: " + intervals.described(shown)))
    top = max(top, floor_ms or 0) * 1.08 or 1
    for x, median, app, color in apps:
        ax.annotate("", xy=(x + 0.14, median), xytext=(x + 0.14, median - app), arrowprops={"arrowstyle": "<->", "color": color})
        if app > 0.08 * top:
            ax.text(x + 0.18, median - app / 2, f"app start\n{app:.0f} ms", va="center", fontsize=8, color=color)
        else:  # too short an arrow to sit beside: above it, clear of the floor line
            ax.text(
                x + 0.18, max(median, median - app) + 0.02 * top, f"app start {app:.0f} ms", va="bottom", fontsize=8, color=color
            )
    ax.set_xticks(range(len(m.images)), labels)
    ax.set_xlim(-0.6, len(m.images) - 0.1)  # room for the last image's app start label
    ax.set_ylim(0, top)
    ax.set_ylabel("cold start: just before create → ready (ms)")
    style.title(fig, "Cold start per image", m)
    style.legend_above(ax, handles=handles)
    style.add_caption(fig, m, "app start: the median above the floor's (an empty static binary FROM scratch).")
    return fig
