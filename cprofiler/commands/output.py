"""Writing a command's ``-o/--output FILE``: one meaning across commands, one way to write it."""

from __future__ import annotations

from pathlib import Path

from cprofiler.results import files

#: ``-o r.json`` means JSON, ``r.md`` Markdown, ``r.csv`` CSV, ``r.prom`` a Prometheus textfile; anything else the table.
SUFFIX_FORMATS = {".json": "json", ".md": "markdown", ".csv": "csv", ".prom": "openmetrics"}


def format_for(output: Path | None) -> str:
    """The format an output file's suffix names (``table`` without a file or a known suffix)."""
    suffix = output.suffix.lower() if output is not None else ""
    return SUFFIX_FORMATS.get(suffix, "table")


def write_output(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a reader never sees half a file), replacing only a
    regular file and never through a planted name (``results.files.write_replacing``); UsageError
    naming the flag when it cannot be written."""
    files.write_replacing(path, text)
