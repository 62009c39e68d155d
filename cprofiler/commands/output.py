"""Writing a command's ``-o/--output FILE``: one meaning across commands, one way to write it."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from cprofiler.results import files

#: ``-o r.json`` means JSON, ``r.md`` Markdown, ``r.csv`` CSV, ``r.prom`` a Prometheus textfile; anything else the table.
SUFFIX_FORMATS = {".json": "json", ".md": "markdown", ".csv": "csv", ".prom": "openmetrics"}


def format_for(output: Path | None, offered: Collection[str] | None = None) -> str:
    """The format an output file's suffix names (``table`` without a file or a known suffix, or
    when the command does not offer that format: ``compare -o c.prom`` is a table, as ``c.txt``)."""
    suffix = output.suffix.lower() if output is not None else ""
    fmt = SUFFIX_FORMATS.get(suffix, "table")
    return fmt if offered is None or fmt in offered else "table"


def write_output(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a reader never sees half a file), replacing only a
    regular file and never through a planted name (``results.files.write_replacing``); UsageError
    naming the flag when it cannot be written."""
    files.write_replacing(path, text)
