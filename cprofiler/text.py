"""Text from outside made inert in Markdown and CSV: image names, errors, notices, a container's output.

A results file carries text that no one at cprofiler wrote (a scenario's image names, an engine's
error, the last lines a container printed), and the Markdown and CSV formats end up in pull request
comments and spreadsheets. So every such text goes through one of these before it is written:

- :func:`plain` for a terminal or a text file: no control character but the line feed is written raw;
- :func:`markdown_cell` for a table cell or one line of Markdown prose: ``|`` cannot end a cell, a
  line break cannot end a row or a list item, ``[``, backticks and HTML stay characters;
- :func:`fence` for verbatim lines: a code fence longer than any backtick run inside, so no line
  of the text can close it;
- :func:`csv_text` for CSV: a cell that a spreadsheet would run as a formula (it starts with ``=``,
  ``+``, ``-``, ``@``, a tab or a CR) gets a leading ``'``, numbers stay numbers, and every field
  holding a CR or LF is quoted (Python's ``csv`` leaves a bare CR unquoted, which splits the row).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

#: Markdown's active characters in a cell or a line, and what each becomes.
_MARKDOWN = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "\\": "\\\\",
    "|": "\\|",
    "`": "\\`",
    "[": "\\[",
    "]": "\\]",
}
_MARKDOWN_RE = re.compile("|".join(re.escape(c) for c in _MARKDOWN))
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: Control characters other than the line breaks (C0, DEL and C1: ESC and CSI start terminal
#: sequences that recolour, retitle or plant links): shown as escapes, never written raw.
_CONTROL = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: The same, and a bare CR (it sends a terminal's cursor back over what the line said).
_CONTROL_OR_CR = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
_BACKTICKS = re.compile(r"`+")

#: A spreadsheet runs a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: A signed number: starts like a formula but is a figure, and stays one.
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
#: A CSV field holding one of these is quoted.
_CSV_QUOTED = re.compile(r'[,"\r\n]')


def _escape_control(text: str) -> str:
    return _CONTROL.sub(lambda c: repr(c.group())[1:-1], text)


def plain(text: object) -> str:
    """``text`` for a terminal or a plain text file: every control character but the line feed
    shown as its escape (``\\x1b``), so a name cannot move the cursor or start a terminal sequence."""
    return _CONTROL_OR_CR.sub(lambda c: repr(c.group())[1:-1], str(text))


def markdown_cell(text: object) -> str:
    """``text`` as one Markdown table cell, or one line of prose, that renders as the characters
    it holds: ``|``, backslash, backticks, brackets and ``< > &`` escaped, each line break ``<br>``."""
    escaped = _MARKDOWN_RE.sub(lambda c: _MARKDOWN[c.group()], str(text))
    return _escape_control(_LINE_BREAK.sub("<br>", escaped))


def fence(text: str, indent: str = "") -> str:
    """``text`` as a fenced code block, each line prefixed by ``indent``; the fence is a backtick
    run longer than any in ``text`` (at least three), so no line inside can close it."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    mark = "`" * max(3, longest + 1)
    lines = [_escape_control(line) for line in _LINE_BREAK.split(text)]
    return "\n".join(f"{indent}{line}" for line in [mark, *lines, mark])


def csv_cell(value: Any) -> Any:
    """``value`` safe for a spreadsheet: a text that would start a formula gets a leading ``'``;
    numbers, and texts that are a signed number (``-12.5``), are left as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def _csv_field(value: Any, alone: bool) -> str:
    text = "" if value is None else str(csv_cell(value))
    if _CSV_QUOTED.search(text) or (alone and not text):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_row(cells: Sequence[Any]) -> str:
    """One CSV line (``\\n``-terminated) of ``cells``; None is an empty cell, each text goes through
    :func:`csv_cell`, a field holding a comma, a quote, a CR or a LF is quoted."""
    return ",".join(_csv_field(c, len(cells) == 1) for c in cells) + "\n"


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A whole CSV document: the header line, then one line per row."""
    return csv_row(header) + "".join(csv_row(r) for r in rows)
