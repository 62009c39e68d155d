"""The comparison table as GitHub-flavoured Markdown (for READMEs, PR comments, CI summaries)."""

from __future__ import annotations

from tabulate import tabulate

from cprofiler.report.load_rows import load_section
from cprofiler.report.notices import as_markdown
from cprofiler.report.registry import FORMATS
from cprofiler.report.rows import columns, comparison_rows, footnote, human_row
from cprofiler.results.model import Measurement
from cprofiler.text import markdown_cell


@FORMATS.register("markdown")
def render_markdown(results: Measurement) -> str:
    keys = columns(results)
    rows = [[markdown_cell(c) for c in human_row(r, keys)] for r in comparison_rows(results)]
    text = tabulate(rows, headers=list(keys.values()), tablefmt="github", disable_numparse=True)
    notes = "\n".join(f"> {markdown_cell(line)}" for line in footnote(results).splitlines())
    return f"{text}\n\n{as_markdown(results)}{notes}\n" + load_section(results, "github")
