"""``cprofiler report``: render a saved results file (JSON, or the JSON Lines of a run) again."""

from __future__ import annotations

import sys
from pathlib import Path

from cprofiler import report
from cprofiler.commands.output import write_output
from cprofiler.results import runlog


def report_command(path: Path, fmt: str, output: Path | None = None) -> int:
    """Render ``path`` as ``fmt`` to stdout, or to ``output`` (then the table goes to stdout).

    Exit 0 whatever the figures say: ``report`` renders, ``measure`` and ``compare`` judge.
    """
    measurement = runlog.load(path)
    text = report.render(measurement, fmt)
    if output is None:
        sys.stdout.write(text)
        return 0
    write_output(output, text)
    if fmt != "table":
        sys.stdout.write(report.render(measurement, "table"))
    return 0
