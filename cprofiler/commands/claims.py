"""``cprofiler claims``: judge a claims file's figures against the results files it names."""

from __future__ import annotations

import sys
from pathlib import Path

from cprofiler.claims import check, model, render
from cprofiler.results.files import check_output, write_replacing


def claims_command(path: Path, fmt: str, output: Path | None) -> int:
    """Print (or write to ``output``) every claim of ``path`` with its measured figure and verdict; return 0.

    The verdicts judge the claims, not the measurement, so a refuted claim is not a failure.
    """
    formatter = render.FORMATS.get(fmt)
    if output is not None:
        check_output(output)
    text = formatter(check.check(model.load(path)))
    if output is None:
        sys.stdout.write(text)
    else:
        write_replacing(output, text)
    return 0
