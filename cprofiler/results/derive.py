"""Figures derived from measured results: per-image statistics, warnings, the load summary and
the highest rate within the SLO.

The results model holds only what was measured; what follows from it is computed here, on
reading as on writing, so a results file's ``summary``, ``warnings`` and load ``summary`` are
always those of its runs (a file's own copies are ignored when it is read).
"""

from __future__ import annotations

from typing import Any

from cprofiler.results import capacity, stats
from cprofiler.results.kinds import RunStatus
from cprofiler.results.load import Ceiling, LoadResult, LoadSummary, generator_bound
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
    """The capacity rate (:func:`cprofiler.results.capacity.capacity_rate`): the highest rate
    served within the SLO, every repeat, with every lower rate too; None without an SLO or when
    none was."""
    return capacity.capacity_rate(load)


def _interval(values: list[float | int | None]) -> dict[str, Any] | None:
    """``{median, ci95, n, min, max, ci_coverage, ci_label}`` of the repeats (the interval rule of
    :mod:`cprofiler.results.intervals`: the range of fewer than 6 repeats, with its coverage)."""
    s = stats.summarize(values)
    if s is None:
        return None
    return {
        "median": s.median,
        "ci95": list(s.ci95),
        "n": s.n,
        "min": s.min,
        "max": s.max,
        "ci_coverage": s.ci_coverage,
        "ci_label": s.ci_label,
    }


def summary_generator_bound(load: LoadResult, ceiling: Ceiling | None = None) -> bool:
    """Whether the summarised QPS (``load_summary``) measured the generator, not the image: its
    median is above the share of the generator's ceiling (the phase's own, else ``ceiling``) that
    the load phase calls generator-bound, or a step at that rate was marked so. Such a QPS is a
    lower bound of what the image serves: the table, the charts, the HTML and ``recommend`` say so."""
    s = load_summary(load)
    qps = float(s.qps["median"]) if s.qps and s.qps.get("median") is not None else None
    return generator_bound(qps, load.ceiling or ceiling) or any(x.generator_bound for x in load.ok_steps_at(s.rate))


def load_summary(load: LoadResult) -> LoadSummary:
    """Headline figures over the repeats of one rate: the capacity rate, else the highest rate
    offered, whatever the order the rates were listed in (closed loop: its only one); with the
    phase's verdict (:mod:`cprofiler.results.capacity`)."""
    offered = [r for r in load.rates() if r is not None]
    cap = capacity.capacity_rate(load)
    chosen = cap if cap is not None else (max(offered) if offered else None)
    steps = load.ok_steps_at(chosen)
    per_core = [s.qps / s.cpu_cores if s.qps is not None and s.cpu_cores else None for s in steps]
    failures = capacity.failures(load)
    return LoadSummary(
        qps=_interval([s.qps for s in steps]),
        latency_p99_ms=_interval([s.latency_ms.p99 for s in steps]),
        cpu_cores=_interval([s.cpu_cores for s in steps]),
        working_set_peak_bytes=_interval([s.working_set_peak_bytes for s in steps]),
        qps_per_core=_interval(per_core),
        rate=chosen,
        error_share=_interval([capacity.error_share(s) for s in steps]),
        capacity_rate=cap,
        capacity_qps=capacity.achieved_qps(load, cap) if cap is not None else None,
        failed=bool(failures),
        reasons=failures + capacity.not_served(load),
    )
