"""``cprofiler report``: render a saved results file (JSON, or the JSON Lines of a run) again."""

from __future__ import annotations

import sys
from pathlib import Path

from cprofiler import report
from cprofiler.results import runlog


def report_command(path: Path, fmt: str) -> int:
    sys.stdout.write(report.render(runlog.load(path), fmt))
    return 0
