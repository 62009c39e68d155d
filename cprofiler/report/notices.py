"""What a reader must know before trusting a table: budgets, partial data, failed runs, warnings.

The human formats (table, markdown) print these between the table and its footnote, as the notes of
the report's table (:mod:`cprofiler.report.human`); ``measure`` prints them on stderr when its
standard output carries a machine format instead. Each notice is a
sentence, with detail lines (a failed run's last lines of output) that formats indent or quote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cprofiler import budgets
from cprofiler.results import capacity, derive
from cprofiler.results.kinds import RunStatus
from cprofiler.results.model import ImageResult, Measurement, RunResult

#: Failed runs listed per image; the rest are counted (every one is in the results JSON).
FAILED_RUNS_SHOWN = 3
#: Lines of a failed run's output shown (of the up to 20 the results keep).
LOG_LINES_SHOWN = 5
#: Longest output line shown, in characters (a container may print anything).
LINE_CHARS = 200

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Notice:
    """One thing to know about the numbers: ``text`` is one sentence, ``details`` lines under it."""

    #: budget, partial, failed, warning: what kind of notice, for formats that style them.
    kind: str
    text: str
    details: list[str] = field(default_factory=list)


def notices(m: Measurement) -> list[Notice]:
    """Every notice about ``m``, most important first."""
    return [*_budgets(m), *_partial(m), *_failed(m), *_load_failed(m), *_warnings(m)]


def _load_failed(m: Measurement) -> list[Notice]:
    """A failed load phase (:func:`cprofiler.results.capacity.failures`): it fails the measurement,
    and nothing is sized or recommended from it. The details: the last line each failed step wrote."""
    out = []
    for e in m.images:
        if e.load is None or not (why := capacity.failures(e.load)):
            continue
        text = f"{e.name}: the load phase failed: {'; '.join(why)}; nothing is sized or recommended from it"
        last = [f"{_at(s.rate)} repeat {s.repeat + 1}: {s.log_tail[-1]}" for s in e.load.steps if s.log_tail]
        out.append(Notice("failed", text, [_printable(line) for line in last[:LOG_LINES_SHOWN]]))
    return out


def _at(rate: float | None) -> str:
    return "closed loop" if rate is None else f"{rate:g}/s"


def _partial(m: Measurement) -> list[Notice]:
    """Fewer runs recorded than planned: the medians rest on what is there."""
    planned = m.settings.runs
    counts = {e.name: len(e.runs) for e in m.entries()}
    short = {name: n for name, n in counts.items() if n < planned}
    if not short and m.interrupted is None:
        return []
    if not counts:
        recorded = "no image recorded"
    elif len(set(counts.values())) == 1:
        recorded = f"{next(iter(counts.values()))} of {planned} planned runs recorded per image"
    else:
        recorded = "runs recorded of " + str(planned) + " planned: " + ", ".join(f"{k} {v}" for k, v in counts.items())
    why = f"{m.interrupted}; " if m.interrupted else ""
    return [Notice("partial", f"{why}{recorded}; every figure is over the runs recorded")]


def _failed(m: Measurement) -> list[Notice]:
    out = []
    for entry in m.entries():
        bad = [r for r in entry.runs if r.status != RunStatus.OK]
        if not bad:
            continue
        kinds = ", ".join(f"{n} {s}" for s, n in entry.status_counts().items() if n and s != RunStatus.OK)
        out.append(Notice("failed", f"{entry.name}: {len(bad)} of {len(entry.runs)} recorded runs did not end ok ({kinds})"))
        # A skipped run never started: the failure it was skipped for is the one to show.
        shown = [r for r in bad if r.status != RunStatus.SKIPPED]
        for run in shown[:FAILED_RUNS_SHOWN]:
            out.append(_failed_run(entry, run))
        if len(shown) > FAILED_RUNS_SHOWN:
            out.append(Notice("failed", f"{entry.name}: {len(shown) - FAILED_RUNS_SHOWN} more failed runs, each in the results"))
        skipped = len(bad) - len(shown)
        if skipped:
            why = next(r.error for r in bad if r.status == RunStatus.SKIPPED)
            out.append(Notice("failed", f"{entry.name}: {skipped} run{'s' if skipped != 1 else ''} {why or 'skipped'}"))
    return out


def _failed_run(entry: ImageResult, run: RunResult) -> Notice:
    what = f"{entry.name} run {run.index + 1}: {run.status}"
    if run.error:
        what += f": {run.error}"
    if run.exit_code is not None:
        what += f" (exit code {run.exit_code})"
    tail = run.log_tail[-LOG_LINES_SHOWN:]
    if tail:
        what += f"; its last {len(tail)} lines of output:"
    return Notice("failed", what, [_printable(line) for line in tail])


def _printable(line: str) -> str:
    """A container's output line as one safe line: control characters escaped, cut at LINE_CHARS."""
    text = _CONTROL.sub(lambda c: repr(c.group())[1:-1], line)
    return text if len(text) <= LINE_CHARS else text[: LINE_CHARS - 1] + "…"


def _budgets(m: Measurement) -> list[Notice]:
    """Exceeded budgets first (they fail the measurement), then those that could not be judged."""
    results = [(e.name, b) for e in m.images for b in budgets.evaluate(e)]
    exceeded = [Notice("budget", f"{name}: {b.describe()}") for name, b in results if b.status == budgets.EXCEEDED]
    unjudged = [
        Notice("budget", f"{name}: {b.describe()}")
        for name, b in results
        if b.status in (budgets.NOT_MEASURED, budgets.NOT_CHECKED)
    ]
    return exceeded + unjudged


def _warnings(m: Measurement) -> list[Notice]:
    return [Notice("warning", f"{e.name}: {w}") for e in m.entries() for w in derive.warnings(e)]
