"""Output formats, one module each, behind the ``FORMATS`` registry (``report/registry.py``).

Every format reads the typed results model (:class:`~cprofiler.results.model.Measurement`),
never the runner's objects, so a format renders a saved results file exactly as it rendered the
measurement (``cprofiler report r.json --format csv``).
"""

from __future__ import annotations

from cprofiler.report import benchmark_json, csv_format, json_format, markdown, openmetrics, table  # noqa: F401 - they register themselves
from cprofiler.report.registry import FORMATS
from cprofiler.results.model import Measurement


def render(measurement: Measurement, fmt: str) -> str:
    return FORMATS.get(fmt)(measurement)


def names() -> list[str]:
    return sorted(FORMATS)
