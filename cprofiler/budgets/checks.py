"""The budget checks: cold start, memory and size, and the load phase's ``qps_min`` and ``p99_ms``.

The load budgets read the load summary (:func:`cprofiler.results.derive.load_summary`): the
capacity rate, else the highest rate offered; a failed load phase exceeds them (``evaluate``).

Each budget checks the figure the report's table shows in the column it marks, so a reader sees
the very number that broke it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cprofiler.budgets.registry import BUDGETS, BudgetCheck
from cprofiler.results import derive, stats

if TYPE_CHECKING:
    from cprofiler.results.model import ImageResult

MiB = 1 << 20


def _cold_start_p95_ms(image: ImageResult) -> float | None:
    values = image.values("ready_ms")
    return stats.percentile(values, 95) if values else None


def _working_set_mib(image: ImageResult) -> float | None:
    values = image.values("working_set_bytes")
    return stats.percentile(values, 50) / MiB if values else None


def _image_size_mib(image: ImageResult) -> float | None:
    return image.image_size_bytes / MiB


BUDGETS.add("cold_start_p95_ms", BudgetCheck("cold start p95", "ms", "max", _cold_start_p95_ms, column="ready_p95_ms"))
BUDGETS.add("working_set_mib", BudgetCheck("working set p50", "MiB", "max", _working_set_mib, column="working_set_median_bytes"))
BUDGETS.add("image_size_mib", BudgetCheck("image size", "MiB", "max", _image_size_mib, column="image_size_bytes"))


def _load_median(image: ImageResult, figure: str) -> float | None:
    """The median of a load summary figure (``qps``, ``latency_p99_ms``), as the under-load table shows it."""
    if image.load is None:
        return None
    summary = getattr(derive.load_summary(image.load), figure)
    return float(summary["median"]) if summary else None


def _qps(image: ImageResult) -> float | None:
    return _load_median(image, "qps")


def _p99_ms(image: ImageResult) -> float | None:
    return _load_median(image, "latency_p99_ms")


# ``qps`` is the 2xx rate: an answer outside 2xx, however fast, is not throughput.
BUDGETS.add("qps_min", BudgetCheck("QPS under load", "qps", "min", _qps, load=True))
BUDGETS.add("p99_ms", BudgetCheck("p99 latency under load", "ms", "max", _p99_ms, load=True))
