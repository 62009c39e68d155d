"""The comparison table as GitHub-flavoured Markdown (for READMEs, PR comments, CI summaries)."""

from __future__ import annotations

from cprofiler import tables
from cprofiler.report.human import report_tables
from cprofiler.report.registry import FORMATS
from cprofiler.results.model import Measurement


@FORMATS.register("markdown")
def render_markdown(results: Measurement) -> str:
    return tables.markdown(*report_tables(results))
