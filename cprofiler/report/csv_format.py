"""The comparison rows as CSV with raw numbers: milliseconds and bytes, ratios as three columns (value, low, high)."""

from __future__ import annotations

import csv
import io
from typing import Any

from cprofiler.report.registry import FORMATS
from cprofiler.report.rows import COLUMNS, comparison_rows
from cprofiler.results.model import Measurement


@FORMATS.register("csv")
def render_csv(results: Measurement) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    header: list[str] = []
    for key in COLUMNS:
        header += [key, f"{key}_low", f"{key}_high"] if key.endswith("_ratio") else [key]
    writer.writerow([*header, "budgets_exceeded"])
    for row in comparison_rows(results):
        line: list[Any] = []
        for key in COLUMNS:
            v = row[key]
            if key.endswith("_ratio"):
                line += [f"{v.value:.4f}", f"{v.low:.4f}", f"{v.high:.4f}"] if v is not None else ["", "", ""]
            else:
                line.append("" if v is None else v)
        writer.writerow([*line, " ".join(row.get("budgets_exceeded") or [])])
    return buf.getvalue()
