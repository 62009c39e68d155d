"""The one table kit behind every tabular output: ``report``, ``compare`` and ``k8s --summary``.

A family builds :class:`Table` objects (headers, rows, the notes a reader must see, a footnote saying
how the figures were measured) and its format modules only pick a renderer:

- :func:`text`: the table (tabulate's ``simple``), a blank line, the notes (a note's details
  indented under it), a blank line when there are notes, the footnote; control characters escaped;
- :func:`markdown`: the same as GitHub-flavoured Markdown: a table, the notes as a list (details
  in a code fence), the footnote quoted;
- :func:`csv`: the header and the rows, numbers as numbers (a spreadsheet reads cells, not notes);
- :func:`json`: ``{"columns", "rows" (one object per row), "notes", "footnote"}``.

Several tables in one output (the report's comparison, then its under-load table) are separated by a
blank line. Markdown and CSV write every cell, note and footnote through :mod:`cprofiler.text`, so
names, errors and a container's output stay text whatever they hold.
"""

from __future__ import annotations

import json as _json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tabulate import tabulate

from cprofiler.text import csv_text, fence, markdown_cell, plain


@dataclass(frozen=True)
class Note:
    """One thing to know about a table's figures: one sentence, and detail lines quoted verbatim."""

    text: str
    #: What kind of note (``failed``, ``budget``…), written before the text; None: the text says it.
    kind: str | None = None
    details: Sequence[str] = ()


@dataclass(frozen=True)
class Table:
    """Headers, rows of cells (text for people, numbers for CSV), notes under it and a footnote."""

    headers: Sequence[str]
    #: One sequence of cells per row; None is an empty cell (``null`` in JSON).
    rows: Sequence[Sequence[Any]]
    notes: Sequence[Note] = field(default=())
    #: How the figures were measured, one sentence or two a line: each line is quoted on its own in
    #: Markdown, and a line break inside one (from a quoted name) cannot start a block.
    footnote: list[str] | tuple[str, ...] = ()
    #: What each note starts with in the text form (``"- "``: a list); Markdown always lists them.
    note_mark: str = ""


def _layout(body: str, notes: list[str], footnote: list[str]) -> str:
    below = "\n".join(notes) + "\n\n" if notes else ""
    end = "\n".join(footnote)
    return f"{body}\n\n{below}{end}\n"


def _text(t: Table) -> str:
    rows = [["" if c is None else plain(c) for c in row] for row in t.rows]
    body = tabulate(rows, headers=[plain(h) for h in t.headers], tablefmt="simple", disable_numparse=True)
    lines = []
    for n in t.notes:
        lines.append(t.note_mark + plain(f"{n.kind}: {n.text}" if n.kind else n.text))
        lines += [f"    | {plain(d)}" for d in n.details]
    return _layout(body, lines, [plain(line) for line in t.footnote])


def _markdown(t: Table) -> str:
    rows = [["" if c is None else markdown_cell(c) for c in row] for row in t.rows]
    body = tabulate(rows, headers=[markdown_cell(h) for h in t.headers], tablefmt="github", disable_numparse=True)
    items = []
    for n in t.notes:
        items.append(f"- **{n.kind}:** {markdown_cell(n.text)}" if n.kind else f"- {markdown_cell(n.text)}")
        if n.details:
            items += ["", fence("\n".join(n.details), indent="  ")]
    quoted = [f"> {markdown_cell(line)}" for line in t.footnote]
    return _layout(body, items, quoted)


def text(*tables: Table) -> str:
    """The tables as plain text, for a terminal, a pipe or a file."""
    return "\n".join(_text(t) for t in tables)


def markdown(*tables: Table) -> str:
    """The tables as GitHub-flavoured Markdown, every outside text escaped or fenced."""
    return "\n".join(_markdown(t) for t in tables)


def csv(table: Table) -> str:
    """The header and the rows as CSV: formula starts neutralised, every CR and LF quoted."""
    return csv_text(table.headers, table.rows)


def json(table: Table) -> str:
    """The table as one JSON document: each row an object keyed by the headers."""
    doc = {
        "columns": list(table.headers),
        "rows": [dict(zip(table.headers, row, strict=True)) for row in table.rows],
        "notes": [{"kind": n.kind, "text": n.text, "details": list(n.details)} for n in table.notes],
        "footnote": list(table.footnote),
    }
    return _json.dumps(doc, indent=2) + "\n"
