"""What every chart shares: figure set-up, one colour per image, labels, titles and captions.

Charts are drawn on :class:`matplotlib.figure.Figure` objects directly (never pyplot's global
state) with the Agg backend, so drawing needs no display and no network, and two threads or two
renders never share a figure.
"""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes  # noqa: E402 - after choosing the backend
from matplotlib.figure import Figure  # noqa: E402

from cprofiler.results.model import ImageResult, Measurement  # noqa: E402

MiB = float(1 << 20)
#: matplotlib's default cycle ("tab10"): distinguishable, and readable by most colour-blind readers.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
FLOOR_COLOR = "#555555"
DOMINATED_COLOR = "#b0b0b0"

matplotlib.rcParams.update(
    {
        # Text stays text in SVG: searchable, selectable, and small; the browser draws the font.
        "svg.fonttype": "none",
        "font.size": 9,
        "axes.titlesize": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "axes.grid.axis": "y",
        "grid.color": "#e4e4e4",
        "grid.linewidth": 0.8,
        "axes.axisbelow": True,
        "legend.frameon": False,
        "figure.dpi": 100,
    }
)


def new_figure(width_in: float = 8.0, height_in: float = 4.8) -> Figure:
    """An empty figure whose layout keeps titles, labels and outside legends from overlapping."""
    return Figure(figsize=(width_in, height_in), layout="constrained")


def colors(m: Measurement) -> dict[str, str]:
    """Image name → its colour, the same in every chart of one measurement."""
    names = list(dict.fromkeys(i.name for i in m.images))
    out = {n: PALETTE[k % len(PALETTE)] for k, n in enumerate(names)}
    if m.floor is not None:
        out[m.floor.name] = FLOOR_COLOR
    return out


def tick_label(image: ImageResult, *, name: str | None = None) -> str:
    """The image's label on two lines when it is a stand-in: ``python-alpine\\n(stand-in: musl-python)``;
    ``name`` replaces the image's own (a ``cpus`` list's rows grouped under the scenario's name)."""
    return (name or image.name) + (f"\n(stand-in: {image.stand_in.recipe})" if image.stand_in is not None else "")


def title(fig: Figure, what: str, m: Measurement) -> None:
    """The figure's title: what was measured and on what engine."""
    env = m.environment
    engine = f"Docker {env.engine_version}" if env.engine_version else "an unrecorded engine"
    details = ", ".join(x for x in (f"cgroup v{env.cgroup_version}" if env.cgroup_version else "", env.storage_driver or "") if x)
    fig.suptitle(f"{what} — {engine}" + (f" ({details})" if details else ""), fontsize=11, fontweight="bold")


def caption(m: Measurement, extra: str = "") -> str:
    """How the runs were made, in one or two lines under a chart."""
    s, env = m.settings, m.environment
    cpu = f"{env.cpu_count} × {env.cpu_model}" if env.cpu_model and env.cpu_count else env.cpu_model or ""
    parts = [f"{s.runs} runs per image after {s.warmup} warmup, cold level {s.cold or 'warm'}, settle {s.settle_s:g} s"]
    if cpu:
        parts.append(cpu)
    if m.interrupted:
        parts.append(f"interrupted: {m.interrupted}")
    text = "; ".join(parts) + "."
    if any(i.stand_in is not None for i in m.images):
        text += "\nstand-in: an offline stand-in base replaced the real one (cprofiler bases list)."
    return text + (f"\n{extra}" if extra else "")


def add_caption(fig: Figure, m: Measurement, extra: str = "") -> None:
    fig.supxlabel(caption(m, extra), fontsize=7.5, color="#555555", x=0.0, ha="left")


def jitter(n: int, width: float = 0.32) -> list[float]:
    """``n`` horizontal offsets spread evenly over ``width`` (a golden-ratio sequence: no randomness,
    so the same results give the same picture)."""
    return [((k * 0.6180339887) % 1 - 0.5) * width for k in range(n)]


def legend_above(ax: Axes, **kwargs: Any) -> None:
    """The legend in a band between the title and the axes: it never covers data, and the layout
    makes room for it (a figure legend "outside" would collide with the title)."""
    kwargs.setdefault("ncols", 3)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.01), fontsize=8, **kwargs)
