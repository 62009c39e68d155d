"""The deployment comparison table for a terminal.

Plain text (tabulate) by default, for pipes, files, tests and CI. Inside :func:`terminal`, which
the CLI opens when the table goes to a person's terminal, the same rows are drawn by Rich instead
(``report/terminal.py``): best values marked, failures coloured, fitted to the width.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from cprofiler import tables
from cprofiler.report.human import report_tables
from cprofiler.report.registry import FORMATS
from cprofiler.results.model import Measurement

#: Set inside ``terminal()``: whether ``--wide`` asked for every column. None: plain text.
_TERMINAL_WIDE: ContextVar[bool | None] = ContextVar("terminal_wide", default=None)


@contextmanager
def terminal(*, wide: bool = False, enabled: bool = True) -> Iterator[None]:
    """Within the block, the table format draws for the terminal when stdout is one.

    The CLI decides, because only it knows where the text goes: ``enabled`` is False when the
    table is written to a file (``--output r.txt``), which must stay plain whatever stdout is.
    """
    token = _TERMINAL_WIDE.set(wide if enabled and sys.stdout.isatty() else None)
    try:
        yield
    finally:
        _TERMINAL_WIDE.reset(token)


@FORMATS.register("table")
def render_table(results: Measurement) -> str:
    wide = _TERMINAL_WIDE.get()
    if wide is not None:
        from cprofiler.report.terminal import no_color, render_rich

        return render_rich(results, shutil.get_terminal_size().columns, wide=wide, color=not no_color())
    return tables.text(*report_tables(results))
