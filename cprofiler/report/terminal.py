"""The comparison table for a person at a terminal: Rich, best values marked, failures coloured,
fitted to the terminal's width.

Only the ``table`` format uses it, and only when stdout is a terminal (see ``report/table.py``):
pipes, files, tests and CI get the plain text table, unchanged. ``NO_COLOR`` (set and not empty)
turns colour off; the marks stay, as bold and underline.
"""

from __future__ import annotations

import io
import os
from typing import Literal

from rich import box
from rich.table import Table
from rich.text import Text

from cprofiler.report.fitting import fitted, make_console, overhead
from cprofiler.report.marks import alerts, best_cells
from cprofiler.report.rows import columns, comparison_rows, footnote, human_row
from cprofiler.report.terminal_load import render_load_rich
from cprofiler.results.model import Measurement
from cprofiler.text import plain

#: Columns left out first when the terminal is too narrow, least needed first; the image, cold
#: start, working set and size always stay.
DROP_ORDER = (
    "ready_p95_ms",
    "ready_ratio",
    "memory_ratio",
    "rss_median_bytes",
    "anon_and_mapped_file_median_bytes",
    "fetch_median_ms",
    "image_pull_median_ms",
    "peak_max_bytes",
    "app_start_median_ms",
    "runs_ok",
)


def no_color() -> bool:
    """Whether the ``NO_COLOR`` convention asks for no colour (set, and not empty)."""
    return bool(os.environ.get("NO_COLOR"))


def render_rich(m: Measurement, width: int, *, wide: bool = False, color: bool = True) -> str:
    """The table, its key and the footnotes as terminal text (with ANSI styles), ``width`` columns
    wide; columns in ``DROP_ORDER`` are left out until it fits, unless ``wide``."""
    keys = columns(m)
    # Cells quote the results file: control characters escaped, so a name starts no terminal sequence.
    texts = [[plain(c) for c in human_row(r, keys)] for r in comparison_rows(m)]
    keys, texts, widths, hidden, width = fitted(keys, texts, width, DROP_ORDER, wide=wide)
    console = make_console(max(width, sum(widths) + overhead(len(widths))), color)
    console.print(_table(m, keys, texts, widths, color))
    if color:
        key = "[bold green]green[/]: best of the column; [bold red]red[/]: every run failed; [yellow]yellow[/]: some runs failed"
    else:
        key = "[bold underline]underlined[/]: best of the column; [reverse]reversed[/]: every run failed"
        key += "; [bold]bold[/]: some runs failed"
    key += ", or peak within 10 % of the memory limit"
    if hidden:
        key += f". Hidden to fit {width} columns: {', '.join(hidden)} (--wide shows all)"
    console.print(key + ".", style="dim", highlight=False)
    console.print()
    console.print(plain(footnote(m)), style="dim", highlight=False, markup=False)
    out = console.file
    assert isinstance(out, io.StringIO)
    # The under-load table fitted the same way, with its own notes.
    return out.getvalue() + render_load_rich(m, width, wide=wide, color=color)


def _table(m: Measurement, keys: dict[str, str], texts: list[list[str]], widths: list[int] | None, color: bool) -> Table:
    rows = comparison_rows(m)
    # Marks are found on every column, then kept for those shown.
    best, bad = best_cells(rows, m), alerts(rows, m)
    best_style = "bold green" if color else "bold underline"
    bad_styles = {
        "failed": "bold red" if color else "bold reverse",
        "partial": "yellow" if color else "bold",
        "near-limit": "yellow" if color else "bold",
    }
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
    for k, (key, header) in enumerate(keys.items()):
        justify: Literal["left", "right"] = "left" if key == "image" else "right"
        table.add_column(header, justify=justify, width=widths[k] if widths else None, no_wrap=key != "image" and widths is None)
    for i, cells in enumerate(texts):
        styled = []
        for key, text in zip(keys, cells, strict=True):
            style = bad_styles[bad[(i, key)]] if (i, key) in bad else best_style if (i, key) in best else ""
            styled.append(Text(text, style=style))
        floor = m.floor is not None and i == len(rows) - 1
        table.add_row(*styled, style="dim italic" if floor else None)
    return table
