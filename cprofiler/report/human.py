"""The report as tables of the kit (:mod:`cprofiler.tables`), built once for the table and Markdown
formats: the comparison with its notices and footnote, then the under-load table when there is one."""

from __future__ import annotations

from cprofiler.report.load_rows import load_table
from cprofiler.report.notices import notices
from cprofiler.report.rows import columns, comparison_rows, footnote_lines, human_row
from cprofiler.results.model import Measurement
from cprofiler.tables import Note, Table


def report_tables(m: Measurement) -> list[Table]:
    """The comparison table (the columns ``m`` has figures for) and, with a load phase, the under-load one."""
    keys = columns(m)
    notes = [Note(n.text, n.kind, n.details) for n in notices(m)]
    main = Table(list(keys.values()), [human_row(r, keys) for r in comparison_rows(m)], notes, footnote_lines(m))
    load = load_table(m)
    return [main] if load is None else [main, load]
