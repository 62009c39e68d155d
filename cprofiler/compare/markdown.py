"""A comparison as GitHub-flavoured Markdown (a pull request comment, a CI summary)."""

from __future__ import annotations

from tabulate import tabulate

from cprofiler.compare.registry import FORMATS
from cprofiler.compare.rows import HEADERS, footnote, notes, rows
from cprofiler.compare.verdict import Comparison
from cprofiler.text import markdown_cell


@FORMATS.register("markdown")
def render_markdown(c: Comparison) -> str:
    cells = [[markdown_cell(cell) for cell in row] for row in rows(c)]
    text = tabulate(cells, headers=HEADERS, tablefmt="github", disable_numparse=True)
    below = "".join(f"- {markdown_cell(line)}\n" for line in notes(c))
    return f"{text}\n\n{below}{'' if not below else chr(10)}> {markdown_cell(footnote(c))}\n"
