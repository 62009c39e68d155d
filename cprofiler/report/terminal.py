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
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cprofiler.report.load_rows import load_section
from cprofiler.report.marks import alerts, best_cells
from cprofiler.report.rows import columns, comparison_rows, footnote, human_row
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
    hidden: list[str] = []
    widths = _fit(keys, texts, width)
    if wide:
        # All columns, none squeezed: the lines may be longer than the terminal.
        widths = [max(cell_len(x) for x in (h, *col)) for h, col in zip(keys.values(), zip(*texts, strict=True), strict=True)]
        width = max(width, sum(widths) + _overhead(len(widths)))
    else:
        for key in DROP_ORDER:
            if widths is not None:
                break
            if key in keys:
                k = list(keys).index(key)
                hidden.append(keys.pop(key))
                texts = [row[:k] + row[k + 1 :] for row in texts]
                widths = _fit(keys, texts, width)
    if widths is None:
        # Not even the image, cold start, working set and size fit: draw them unsqueezed and let
        # the terminal wrap the lines, rather than cut values.
        widths = _least(keys, texts)
    console = _console(max(width, sum(widths) + _overhead(len(widths))), color)
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
    # The under-load table as the plain format draws it: its own width, its own notes.
    return out.getvalue() + load_section(m, "simple")


def _overhead(n: int) -> int:
    """Width that is not content: one space of padding on each side of a value and a one-column
    divider between columns, and the box's edge at both ends (``box.SIMPLE_HEAD``, no ``pad_edge``)."""
    return 3 * (n - 1) + 2


def _fit(keys: dict[str, str], texts: list[list[str]], width: int) -> list[int] | None:
    """Content width of each column so that the table fits ``width``, or None if it cannot.

    A value never wraps (a number cut in two misleads); a header wraps at spaces and the image
    label at spaces too. So each column needs at least its longest value (for the image: its
    longest word) and its header's longest word; what width is left goes to the image column
    first, then to headers, so they wrap as little as fits.
    """
    least = _least(keys, texts)
    natural = [max(cell_len(x) for x in (header, *(row[k] for row in texts))) for k, header in enumerate(keys.values())]
    room = width - _overhead(len(keys)) - sum(least)
    if room < 0:
        return None
    widths = list(least)
    # Headers on at most two lines first, then the image label whole, then headers on one line.
    wishes = [[max(least[k], min(natural[k], _two_lines(header))) for k, header in enumerate(keys.values())], natural]
    wishes[0][0] = least[0]
    for wish in wishes:
        for k in sorted(range(len(widths)), key=lambda k: k != 0):  # the image column first
            grow = max(0, min(room, wish[k] - widths[k]))
            widths[k] += grow
            room -= grow
    return widths


def _least(keys: dict[str, str], texts: list[list[str]]) -> list[int]:
    """Each column's narrowest width: its longest value (the image: its longest word) or header word."""
    least = []
    for k, (key, header) in enumerate(keys.items()):
        cells = [row[k] for row in texts]
        words = header.split() + ([w for c in cells for w in c.split()] if key == "image" else cells)
        least.append(max(cell_len(w) for w in words))
    return least


def _two_lines(header: str) -> int:
    """The width ``header`` needs when wrapped onto two lines at a space (one line if it has one word)."""
    words = header.split()
    return min(max(cell_len(" ".join(words[:i])), cell_len(" ".join(words[i:]))) for i in range(1, len(words) + 1))


def _console(width: int, color: bool) -> Console:
    return Console(file=io.StringIO(), width=width, force_terminal=True, no_color=not color, highlight=False, emoji=False)


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
