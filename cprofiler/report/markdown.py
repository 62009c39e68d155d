"""The comparison table as GitHub-flavoured Markdown (for READMEs, PR comments, CI summaries)."""

from __future__ import annotations

from typing import Any

from tabulate import tabulate

from cprofiler.report import register
from cprofiler.report.rows import columns, comparison_rows, footnote, human_row


@register("markdown")
def render_markdown(results: dict[str, Any]) -> str:
    keys = columns(results)
    rows = [human_row(r, keys) for r in comparison_rows(results)]
    text = tabulate(rows, headers=list(keys.values()), tablefmt="github", disable_numparse=True)
    notes = "\n".join(f"> {line}" for line in footnote(results).splitlines())
    return f"{text}\n\n{notes}\n"
