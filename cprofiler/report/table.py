"""The deployment comparison table for a terminal."""

from __future__ import annotations

from tabulate import tabulate

from cprofiler.report import notices
from cprofiler.report.registry import FORMATS
from cprofiler.report.rows import columns, comparison_rows, footnote, human_row
from cprofiler.results.model import Measurement


@FORMATS.register("table")
def render_table(results: Measurement) -> str:
    keys = columns(results)
    rows = [human_row(r, keys) for r in comparison_rows(results)]
    text = tabulate(rows, headers=list(keys.values()), tablefmt="simple", disable_numparse=True)
    return f"{text}\n\n{notices.as_text(results)}{footnote(results)}\n"
