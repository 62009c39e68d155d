"""``cprofiler plot`` and ``cprofiler report --html``: charts and the one-file report, from a results file."""

from __future__ import annotations

import sys
from pathlib import Path

from cprofiler.errors import CprofilerError, UsageError
from cprofiler.plot.registry import ChartInput
from cprofiler.plot.render import FORMATS, chart_bytes, charts_for, require_matplotlib
from cprofiler.results import files, runlog

SUFFIXES = (*FORMATS, ".html")


def plot_command(results_path: Path, output: Path | None, charts: list[str]) -> int:
    """Write the charts of ``results_path``; return 0.

    ``output`` ending in ``.html`` gets the whole report (as ``report --html``); ``.png`` or
    ``.svg`` gets one chart, or, when several are drawn, one file per chart named
    ``<stem>-<chart><suffix>`` beside it. Without ``output``: ``<results stem>.html`` here.
    """
    target = output if output is not None else Path(results_path.stem + ".html")
    if target.suffix.lower() not in SUFFIXES:
        raise UsageError(f"-o {target}: expected a file ending in {', '.join(SUFFIXES)}")
    if target.suffix.lower() == ".html":
        return html_command(results_path, target, charts, flag="-o")
    require_matplotlib("cprofiler plot's charts")
    data = ChartInput.of(runlog.load(results_path))
    chosen = charts_for(data, charts)
    if not chosen:
        raise CprofilerError(f"{results_path}: no chart to draw (no image has an ok run)")
    paths = [target if len(chosen) == 1 else target.with_name(f"{target.stem}-{c.name}{target.suffix}") for c in chosen]
    for path in paths:
        files.check_output(path, "-o")  # every name before any chart is drawn: none written when one is refused
    written = []
    for path, chart in zip(paths, chosen, strict=True):
        files.write_replacing(path, chart_bytes(chart.draw(data), path, salt=chart.name), "-o")
        written.append(path)
    print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr)
    return 0


def html_command(results_path: Path, target: Path, charts: list[str] | None = None, *, flag: str = "--html") -> int:
    """Write the self-contained HTML report of ``results_path`` to ``target``; return 0."""
    require_matplotlib("the HTML report's charts")
    from cprofiler.plot.html import render_html

    files.check_output(target, flag)  # before the charts are drawn, which takes seconds
    text = render_html(runlog.load(results_path), str(results_path), charts or None)
    files.write_replacing(target, text, flag)
    print(f"wrote {target}", file=sys.stderr)
    return 0
