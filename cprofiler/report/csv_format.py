"""The comparison rows as CSV for spreadsheets and scripts: numbers only, units in the headers.

Counts are integers (``runs_ok`` and ``runs_planned`` in two columns, never ``20/20``), bytes whole
bytes, milliseconds rounded to 0.01 ms (the probes resolve about 1 ms), ratios to 4 decimals; an
interval is three columns (value, low, high). An empty cell is a figure that was not measured.
"""

from __future__ import annotations

from typing import Any

from cprofiler import tables
from cprofiler.report.registry import FORMATS
from cprofiler.report.rows import COLUMNS, comparison_rows
from cprofiler.results.model import Measurement
from cprofiler.tables import Table

#: Decimals kept per unit suffix.
_DIGITS = {"_ms": 2, "_ratio": 4}


def _number(key: str, v: Any) -> Any:
    if v is None:
        return ""
    if key.endswith("_bytes"):
        return round(v)
    for suffix, digits in _DIGITS.items():
        if key.endswith(suffix):
            return round(float(v), digits)
    return v


def _header() -> list[str]:
    out: list[str] = []
    for key in COLUMNS:
        if key.endswith("_ratio"):
            out += [key, f"{key}_low", f"{key}_high"]
        elif key == "runs_ok":
            out += [key, "runs_planned"]
        elif key == "app_start_median_ms":
            out += [key, "app_start_low_ms", "app_start_high_ms"]
        else:
            out.append(key)
    return [*out, "budgets_exceeded"]


@FORMATS.register("csv")
def render_csv(results: Measurement) -> str:
    lines: list[list[Any]] = []
    for row in comparison_rows(results):
        line: list[Any] = []
        for key in COLUMNS:
            v = row[key]
            if key.endswith("_ratio"):
                line += [_number(key, x) for x in ((v.value, v.low, v.high) if v is not None else (None, None, None))]
            elif key == "runs_ok":
                line += [v, row["runs_planned"]]
            elif key == "app_start_median_ms":
                iv = row.get("app_start_interval")
                line += [_number(key, x) for x in (v, iv.low if iv else None, iv.high if iv else None)]
            else:
                line.append(_number(key, v))
        lines.append([*line, " ".join(row.get("budgets_exceeded") or [])])
    return tables.csv(Table(_header(), lines))
