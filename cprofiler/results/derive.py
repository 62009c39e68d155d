"""Figures derived from measured results: per-image statistics, warnings, the load summary and
the highest rate within the SLO.

The results model holds only what was measured; what follows from it is computed here, on
reading as on writing, so a results file's ``summary``, ``warnings`` and load ``summary`` are
always those of its runs (a file's own copies are ignored when it is read).
"""

from __future__ import annotations

from typing import Any

from cprofiler.results import stats
from cprofiler.results.kinds import RunStatus, StepStatus
from cprofiler.results.load import LoadResult, LoadStep, LoadSummary
from cprofiler.results.model import NUMERIC_FIELDS, ImageResult


def summary(image: ImageResult) -> dict[str, Any]:
    """Statistics of each numeric field over ``image``'s ok runs, plus a count of runs by status."""
    out: dict[str, Any] = {"status_counts": image.status_counts()}
    for name in NUMERIC_FIELDS:
        s = stats.summarize(image.values(name))
        out[name] = s.to_dict() if s is not None else None
    return out


def warnings(image: ImageResult) -> list[str]:
    """What a reader should do about ``image``'s numbers: outliers in ``ready_ms``, in run order."""
    warning = stats.outlier_warning([r.ready_ms if r.status == RunStatus.OK else None for r in image.runs])
    return [f"ready_ms: {warning}"] if warning else []


def max_rate_within_slo(load: LoadResult) -> float | None:
    """The highest rate whose every repeat ended ok with p99 at or under the SLO; None without
    an SLO or when no rate met it."""
    slo = load.slo_p99_ms
    if slo is None:
        return None
    best: float | None = None
    for rate in load.rates():
        steps = [s for s in load.steps if s.rate == rate]
        if rate is not None and steps and all(_within(s, slo) for s in steps):
            best = rate if best is None else max(best, rate)
    return best


def _within(step: LoadStep, p99_ms: float) -> bool:
    return step.status == StepStatus.OK and step.latency_ms.p99 is not None and step.latency_ms.p99 <= p99_ms


def _interval(values: list[float | int | None]) -> dict[str, Any] | None:
    s = stats.summarize(values)
    return {"median": s.median, "ci95": list(s.ci95), "n": s.n} if s is not None else None


def load_summary(load: LoadResult) -> LoadSummary:
    """Headline figures over the repeats of one rate: the highest rate that met the SLO, else
    the highest rate (closed loop: its only one)."""
    rates = load.rates()
    chosen = max_rate_within_slo(load)
    if chosen is None and rates:
        chosen = rates[-1] if None not in rates else None
    steps = load.ok_steps_at(chosen)
    per_core = [s.qps / s.cpu_cores if s.qps is not None and s.cpu_cores else None for s in steps]
    return LoadSummary(
        qps=_interval([s.qps for s in steps]),
        latency_p99_ms=_interval([s.latency_ms.p99 for s in steps]),
        cpu_cores=_interval([s.cpu_cores for s in steps]),
        working_set_peak_bytes=_interval([s.working_set_peak_bytes for s in steps]),
        qps_per_core=_interval(per_core),
        rate=chosen,
    )
