"""A comparison as GitHub-flavoured Markdown (a pull request comment, a CI summary)."""

from __future__ import annotations

from cprofiler import tables
from cprofiler.compare.human import comparison_table
from cprofiler.compare.registry import FORMATS
from cprofiler.compare.verdict import Comparison


@FORMATS.register("markdown")
def render_markdown(c: Comparison) -> str:
    return tables.markdown(comparison_table(c))
