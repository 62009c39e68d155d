"""The charts by ``--chart`` name; each chart module adds itself on import (``plot/charts/``).

This module does not import matplotlib, so that listing the charts, and the message that it is
missing, need nothing but cprofiler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cprofiler.load_view import LoadedImage, loaded_images
from cprofiler.plugins import Registry
from cprofiler.results.model import Measurement

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class ChartInput:
    """What every chart draws from: the results, and the load phases found in them."""

    measurement: Measurement
    #: Image entries with a load phase (``cprofiler.load_view``); empty when there was none.
    load: list[LoadedImage]

    @classmethod
    def of(cls, measurement: Measurement) -> ChartInput:
        return cls(measurement, loaded_images(measurement))


#: A chart: the input in, one matplotlib figure out.
DrawFunc = Callable[[ChartInput], "Figure"]


@dataclass(frozen=True)
class Chart:
    name: str
    #: What the chart shows, for the HTML report's headings: ``Cold start per image``.
    title: str
    draw: DrawFunc
    #: Whether the input has what the chart needs (load charts need a load phase).
    applies: Callable[[ChartInput], bool]


CHARTS: Registry[Chart] = Registry("chart", flag="--chart")


def has_runs(data: ChartInput) -> bool:
    return any(image.ok_runs() for image in data.measurement.images)


def chart(name: str, title: str, applies: Callable[[ChartInput], bool] = has_runs) -> Callable[[DrawFunc], DrawFunc]:
    """Decorator: register the decorated drawing function as chart ``name``."""

    def deco(draw: DrawFunc) -> DrawFunc:
        CHARTS.add(name, Chart(name, title, draw, applies))
        return draw

    return deco
