"""What every finished ``cprofiler measure`` ends with: where the results are, the verdict line,
and the commands that read them next.

Pure: the measurement and its paths in, lines out; ``measure`` prints them on stderr, after the
table and its notices (``--quiet`` prints none of them).
"""

from __future__ import annotations

import shlex
from pathlib import Path

from cprofiler.report.verdict_line import verdict_line
from cprofiler.results.model import Measurement


def results_file(output: Path | None, fmt: str, log_path: Path) -> Path:
    """The file the next commands read: ``--output`` when it is the results JSON, else the run log
    (every run; ``report``, ``recommend`` and ``k8s`` read it as they read a results JSON)."""
    return output if output is not None and fmt == "json" else log_path


def ending_lines(m: Measurement, *, output: Path | None, fmt: str, log_path: Path) -> list[str]:
    """The closing lines: the results line, ``verdict: …``, and, when an image has an ok run,
    the next commands on the results file (:func:`results_file`)."""
    results = results_file(output, fmt, log_path)
    if results == output:
        where = f"results: {output} (every run also in {log_path})"
    elif output is not None:
        where = f"{fmt} written to {output}; results: {log_path} (every run)"
    else:
        where = f"results: {log_path} (every run; -o FILE.json also writes the results JSON)"
    lines = [where, f"verdict: {verdict_line(m)}"]
    if any(i.ok_runs() for i in m.images):
        file = shlex.quote(str(results))
        lines += [
            "next:",
            f"  cprofiler report {file} --html {shlex.quote(str(results.with_suffix('.html')))}",
            f"  cprofiler recommend {file}",
            f"  cprofiler k8s {file} --summary table",
        ]
    return lines
