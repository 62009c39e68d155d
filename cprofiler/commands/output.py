"""Writing a command's ``-o/--output FILE``: one meaning across commands, one way to write it."""

from __future__ import annotations

from pathlib import Path

from cprofiler.errors import UsageError

#: ``-o r.json`` means JSON, ``r.md`` Markdown, ``r.csv`` CSV; anything else the table.
SUFFIX_FORMATS = {".json": "json", ".md": "markdown", ".csv": "csv"}


def format_for(output: Path | None) -> str:
    """The format an output file's suffix names (``table`` without a file or a known suffix)."""
    suffix = output.suffix.lower() if output is not None else ""
    return SUFFIX_FORMATS.get(suffix, "table")


def write_output(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a reader never sees half a file); UsageError naming
    the flag when it cannot be written."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass  # no folder to hold it, so nothing was left there
        raise UsageError(f"--output {path}: cannot write ({exc.strerror or exc})") from None
