"""The under-load table for a person at a terminal: fitted to its width like the comparison table.

Columns are left out, least needed first, until the table fits (``--wide`` shows all); a value
never wraps. A failing row's errors are red (reversed without colour) and a generator-bound QPS
is dim: it measured the generator, not the image. Pipes and files get the plain table instead.
"""

from __future__ import annotations

import io
from typing import Literal

from rich import box
from rich.table import Table
from rich.text import Text

from cprofiler.report.fitting import fitted, make_console, overhead
from cprofiler.report.load_rows import LOAD_COLUMNS, human_load_row, load_footnote_lines, load_rows
from cprofiler.results.model import Measurement
from cprofiler.text import plain

#: Columns left out first when the terminal is too narrow, least needed first; the image, rate,
#: QPS, errors and p99 always stay.
LOAD_DROP_ORDER = (
    "mib_per_kqps",
    "qps_per_core",
    "qps_ratio",
    "steps_ok",
    "max_rate_within_slo",
    "working_set_peak_bytes",
    "cpu_cores",
)


def render_load_rich(m: Measurement, width: int, *, wide: bool = False, color: bool = True) -> str:
    """The under-load table and its notes as terminal text, ``width`` columns wide, after a blank
    line; "" without a load phase."""
    rows = load_rows(m)
    if not rows:
        return ""
    texts = [[plain(c) for c in human_load_row(r)] for r in rows]
    keys, texts, widths, hidden, width = fitted(dict(LOAD_COLUMNS), texts, width, LOAD_DROP_ORDER, wide=wide)
    console = make_console(max(width, sum(widths) + overhead(len(widths))), color)
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
    for k, (key, header) in enumerate(keys.items()):
        justify: Literal["left", "right"] = "left" if key == "image" else "right"
        table.add_column(header, justify=justify, width=widths[k])
    fail = "bold red" if color else "bold reverse"
    for row, cells in zip(rows, texts, strict=True):
        styled = []
        for key, text in zip(keys, cells, strict=True):
            style = fail if key == "error_share" and text.endswith("FAIL") else ""
            style = "dim" if key == "qps" and row["generator_bound"] else style
            styled.append(Text(text, style=style))
        table.add_row(*styled)
    console.print()
    console.print(table)
    notes = load_footnote_lines(m)
    if hidden:
        notes = [f"Hidden to fit {width} columns: {', '.join(hidden)} (--wide shows all).", *notes]
    for line in notes:
        console.print(plain(line), style="dim", highlight=False, markup=False)
    out = console.file
    assert isinstance(out, io.StringIO)
    return out.getvalue()
