"""Which cells of the comparison table people should notice: the best per column, and the bad ones.

Shared by the terminal's Rich table and the HTML report, so both mark the same cells; the plain
text, Markdown and CSV formats mark nothing (scripts and tests read them).
"""

from __future__ import annotations

from typing import Any, Literal

from cprofiler.results import stats
from cprofiler.results.model import Measurement

#: Columns where the lowest value is best (every other column has no "best").
LOWER_IS_BETTER = (
    "image_size_bytes",
    "ready_median_ms",
    "ready_p95_ms",
    "app_start_median_ms",
    "fetch_median_ms",
    "image_pull_median_ms",
    "ready_ratio",
    "working_set_median_bytes",
    "rss_median_bytes",
    "peak_max_bytes",
    "memory_ratio",
)
#: A peak this close to the memory limit (as a fraction of it) is flagged: the next run may be OOM-killed.
NEAR_LIMIT = 0.9

Alert = Literal["failed", "partial", "near-limit"]


def _number(value: Any) -> float | None:
    if value is None:
        return None
    return value.value if isinstance(value, stats.Ratio) else float(value)


def best_cells(rows: list[dict[str, Any]], m: Measurement) -> set[tuple[int, str]]:
    """``(row index, column)`` of the best value of each column among the scenario's images that
    have an ok run (never the floor, which is no candidate, nor an image that never started, however
    small), ties included; nothing when fewer than two images compare."""
    out: set[tuple[int, str]] = set()
    ran = [i for i, image in enumerate(m.images) if image.ok_runs()]
    for key in LOWER_IS_BETTER:
        values = {i: v for i in ran if (v := _number(rows[i].get(key))) is not None}
        if len(values) < 2:
            continue
        low = min(values.values())
        out |= {(i, key) for i, v in values.items() if v == low}
    return out


def alerts(rows: list[dict[str, Any]], m: Measurement) -> dict[tuple[int, str], Alert]:
    """``(row index, column)`` → what is wrong: every run failed, some failed, or the peak came
    within ``NEAR_LIMIT`` of the image's memory limit."""
    out: dict[tuple[int, str], Alert] = {}
    for i, entry in enumerate(m.entries()):
        ok, total = len(entry.ok_runs()), len(entry.runs)
        if ok < total:
            out[(i, "runs_ok")] = "failed" if ok == 0 else "partial"
        peak = _number(rows[i].get("peak_max_bytes"))
        if entry.memory_limit_bytes and peak is not None and peak >= NEAR_LIMIT * entry.memory_limit_bytes:
            out[(i, "peak_max_bytes")] = "near-limit"
    return out
