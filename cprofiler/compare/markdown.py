"""A comparison as GitHub-flavoured Markdown (a pull request comment, a CI summary)."""

from __future__ import annotations

from tabulate import tabulate

from cprofiler.compare.registry import FORMATS
from cprofiler.compare.rows import HEADERS, footnote, notes, rows
from cprofiler.compare.verdict import Comparison


@FORMATS.register("markdown")
def render_markdown(c: Comparison) -> str:
    text = tabulate(rows(c), headers=HEADERS, tablefmt="github", disable_numparse=True)
    below = "".join(f"- {line}\n" for line in notes(c))
    return f"{text}\n\n{below}{'' if not below else chr(10)}> {footnote(c)}\n"
