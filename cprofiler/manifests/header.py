"""The comment a manifest file starts with: at most :data:`MAX_HEADER_LINES` lines, none longer than
:data:`MAX_LINE` characters, and nothing in it that changes when only the time, the kernel or the
host of a measurement changed, so that measuring again is no GitOps diff unless a figure moved.

Where every number came from, the formulas with their figures, is what ``--explain`` adds (wrapped,
as comments) and what ``--summary`` prints; the header points there.
"""

from __future__ import annotations

import textwrap

from cprofiler.manifests import escape
from cprofiler.manifests.sizing import Sizing

#: Most comment lines a file starts with, without ``--explain``.
MAX_HEADER_LINES = 5
#: Longest line written into a file, ``# `` included.
MAX_LINE = 120
#: What a shortened line ends with: the rest is in ``--explain``.
_MORE = " … (--explain)"


def fit(line: str, width: int = MAX_LINE - 2) -> str:
    """``line`` shortened at a word to ``width`` characters, ending in ``… (--explain)`` when cut."""
    if len(line) <= width:
        return line
    return textwrap.shorten(line, width=width, placeholder=_MORE)


def short(rec: Sizing, filename: str, fmt: str, hint: str, interrupted: str | None, *, explain: bool = False) -> list[str]:
    """The header of ``rec``'s file: the command that writes it, the image and its runs, a WARNING and
    an early stop when there are, how to use the file, and where the formulas are (unless
    ``explain``: they follow); at most :data:`MAX_HEADER_LINES` lines of at most :data:`MAX_LINE`."""
    src = rec.source
    lines = [
        f"{filename}: cprofiler k8s {src.results_file} --format {fmt}",
        f"image {rec.image_ref}: {rec.runs_text()}, cold level {src.cold}, margin {rec.margin:.0%}, {rec.basis_label()}",
    ]
    warnings = [*(f"WARNING: {w}" for w in rec.warnings), *(c for c in rec.coverage if c.startswith("WARNING"))]
    if warnings:
        more = f" (+{len(warnings) - 1} more)" if len(warnings) > 1 else ""
        lines.append(fit(warnings[0], MAX_LINE - 2 - len(more)) + more)
    if interrupted:
        lines.append(f"note: the measurement stopped early, with fewer runs than planned: {interrupted}")
    if hint:
        lines.append(hint)
    if not explain and len(lines) < MAX_HEADER_LINES:
        lines.append("the formulas with their figures: add --explain; every image at once: --summary table")
    # Escaped before shortened: a line break quoted from the results is two characters, not a space.
    return [fit(escape.comment_text(line)) for line in lines]


def explanation(rec: Sizing, interrupted: str | None, usage: list[str]) -> list[str]:
    """What ``--explain`` adds under the header: the measurement, the basis, every formula with its
    figures, the notes and the format's usage lines (long lines; :func:`wrap` folds them)."""
    lines = ["", "explain:", *rec.explanation()]
    if interrupted:
        lines.append(f"note: the measurement stopped early, with fewer runs than planned: {interrupted}")
    return lines + usage


def wrap(lines: list[str], width: int = MAX_LINE - 2) -> list[str]:
    """Every line folded at words to ``width`` characters, continuation lines indented by two more
    spaces than the line; an empty line stays."""
    out: list[str] = []
    for line in lines:
        if len(line) <= width:
            out.append(line)
            continue
        indent = " " * (len(line) - len(line.lstrip(" ")) + 2)
        out += textwrap.wrap(line, width=width, subsequent_indent=indent, break_on_hyphens=False) or [line]
    return out
