"""A comparison for a terminal."""

from __future__ import annotations

from cprofiler import tables
from cprofiler.compare.human import comparison_table
from cprofiler.compare.registry import FORMATS
from cprofiler.compare.verdict import Comparison


@FORMATS.register("table")
def render_table(c: Comparison) -> str:
    return tables.text(comparison_table(c))
