"""Image size per image, as the engine reports it (uncompressed)."""

from __future__ import annotations

from matplotlib.figure import Figure

from cprofiler.plot import style
from cprofiler.plot.registry import ChartInput, chart
from cprofiler.report.rows import human_bytes


@chart("size", "Image size", applies=lambda data: bool(data.measurement.images))
def draw(data: ChartInput) -> Figure:
    m = data.measurement
    images = m.images
    fig = style.new_figure(8.5, 1.6 + 0.55 * len(images))
    ax = fig.add_subplot()
    palette = style.colors(m)
    ys = list(range(len(images)))[::-1]  # the first image on top, as in the table
    sizes = [i.image_size_bytes / style.MiB for i in images]
    bars = ax.barh(ys, sizes, 0.6, color=[palette[i.name] for i in images])
    ax.bar_label(
        bars,
        labels=[f"{human_bytes(i.image_size_bytes)}, {i.layers} layer{'' if i.layers == 1 else 's'}" for i in images],
        fontsize=8,
        padding=3,
    )
    ax.set_yticks(ys, [style.tick_label(i) for i in images])
    ax.set_xlabel("image size, uncompressed (MiB)")
    ax.grid(axis="x")
    ax.grid(axis="y", visible=False)
    ax.margins(x=0.22)
    style.title(fig, "Image size", m)
    style.add_caption(fig, m)
    return fig
