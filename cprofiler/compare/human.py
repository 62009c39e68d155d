"""A comparison as a table of the kit (:mod:`cprofiler.tables`), built once for the table and
Markdown formats from the rows, notes and footnote of :mod:`cprofiler.compare.rows`."""

from __future__ import annotations

from cprofiler.compare.rows import HEADERS, footnote, notes, rows
from cprofiler.compare.verdict import Comparison
from cprofiler.tables import Note, Table


def comparison_table(c: Comparison) -> Table:
    """One row per image and shown metric; what differs, is missing or broke as notes; how, as the footnote."""
    return Table(HEADERS, rows(c), [Note(line) for line in notes(c)], [footnote(c)])
