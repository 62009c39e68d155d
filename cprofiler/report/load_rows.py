"""The under-load comparison: one row per image with a load phase, computed once from the model.

Figures are medians over the repeats of the summarised rate (``LoadResult.summary``: the highest
rate that met the SLO, else the highest rate, else closed loop) with the interval of the median
of :mod:`cprofiler.results.intervals` (the range of fewer than 6 repeats, labelled ``range of 3``,
else an order-statistic interval with its true coverage); ratios are to the best image on that column.
"""

from __future__ import annotations

from typing import Any

from cprofiler import tables
from cprofiler.report.rows import human_bytes
from cprofiler.results import derive, intervals
from cprofiler.results.kinds import StepStatus
from cprofiler.results.load import (
    DISTURBED_SHARE,
    GENERATOR_BOUND_SHARE,
    GENERATOR_CPU_BOUND_SHARE,
    Ceiling,
)
from cprofiler.results.model import ImageResult, Measurement
from cprofiler.tables import Table

MIB = 1 << 20

#: Column key → header, in display order.
LOAD_COLUMNS = {
    "image": "image under load",
    "steps_ok": "ok steps",
    "rate": "rate",
    "qps": "QPS",
    "qps_ratio": "QPS ×best",
    "error_share": "errors",
    "latency_p99_ms": "p99",
    "cpu_cores": "CPU cores",
    "working_set_peak_bytes": "working set peak",
    "qps_per_core": "QPS/core",
    "mib_per_kqps": "MiB per 1k QPS",
    "max_rate_within_slo": "max rate in SLO",
}


def loaded(m: Measurement) -> list[ImageResult]:
    return [i for i in m.images if i.load is not None]


def _median(summary: dict[str, Any] | None) -> float | None:
    return float(summary["median"]) if summary else None


def _interval(summary: dict[str, Any] | None) -> tuple[float, float] | None:
    return (float(summary["ci95"][0]), float(summary["ci95"][1])) if summary and summary.get("ci95") else None


def _labels(*figures: dict[str, Any] | None) -> list[str]:
    """What the intervals shown are (``range of 3 (covers the median 75 % of the time)``), once each."""
    return [
        intervals.described([(f["ci_label"], f["ci_coverage"])]) for f in figures if f and f.get("ci_label") and f.get("n", 1) > 1
    ]


def load_rows(m: Measurement) -> list[dict[str, Any]]:
    """One dict per loaded image with raw numbers (QPS, ms, cores, bytes) and their intervals."""
    rows: list[dict[str, Any]] = []
    qps_of: list[float | None] = []
    for image in loaded(m):
        assert image.load is not None
        s = derive.load_summary(image.load)
        qps, ws = _median(s.qps), _median(s.working_set_peak_bytes)
        qps_of.append(qps)
        failed = [
            f"{x.status} at {_rate(x.rate)} #{x.repeat + 1}: {x.error}" for x in image.load.steps if x.status != StepStatus.OK
        ]
        ok = sum(step.status == StepStatus.OK for step in image.load.steps)
        rows.append(
            {
                "image": image.label,
                "steps_ok": f"{ok}/{len(image.load.steps)}",
                "rate": s.rate,
                "qps": qps,
                "qps_interval": _interval(s.qps),
                "latency_p99_ms": _median(s.latency_p99_ms),
                "latency_p99_interval": _interval(s.latency_p99_ms),
                "interval_labels": _labels(s.qps, s.latency_p99_ms),
                "cpu_cores": _median(s.cpu_cores),
                "working_set_peak_bytes": ws,
                "qps_per_core": _median(s.qps_per_core),
                "mib_per_kqps": ws / MIB / (qps / 1000) if ws is not None and qps else None,
                "max_rate_within_slo": derive.max_rate_within_slo(image.load),
                "error_share": _median(s.error_share),
                "failing": any(x.failing for x in image.load.ok_steps_at(s.rate)),
                "generator_bound": derive.summary_generator_bound(image.load, m.ceiling),
                "disturbed": any(x.disturbed for x in image.load.ok_steps_at(s.rate)),
                "failed": failed,
            }
        )
    best_qps = max((q for q in qps_of if q is not None), default=None)
    for r, q in zip(rows, qps_of, strict=True):
        r["qps_ratio"] = q / best_qps if q is not None and best_qps else None
    return rows


def _rate(rate: float | None) -> str:
    return "closed loop" if rate is None else f"{rate:g}/s"


def human_load_row(row: dict[str, Any]) -> list[str]:
    def num(v: float | None, fmt: str) -> str:
        return "-" if v is None else format(v, fmt)

    def with_interval(v: float | None, iv: tuple[float, float] | None, fmt: str, unit: str = "") -> str:
        if v is None:
            return "-"
        text = f"{format(v, fmt)}{unit}"
        if iv is None or iv[0] == iv[1]:
            return text
        return intervals.notation(text, format(iv[0], fmt), format(iv[1], fmt))

    qps = with_interval(row["qps"], row["qps_interval"], ",.0f")
    if row["generator_bound"]:
        qps += " [generator-bound]"
    if row.get("disturbed"):
        qps += " [disturbed]"
    return [
        row["image"],
        row["steps_ok"],
        _rate(row["rate"]),
        qps,
        "best" if row["qps_ratio"] == 1.0 else num(row["qps_ratio"], ".2f") + ("×" if row["qps_ratio"] is not None else ""),
        _errors(row.get("error_share"), failing=bool(row.get("failing"))),
        with_interval(row["latency_p99_ms"], row["latency_p99_interval"], ".1f", " ms"),
        num(row["cpu_cores"], ".2f"),
        human_bytes(row["working_set_peak_bytes"]),
        num(row["qps_per_core"], ",.0f"),
        num(row["mib_per_kqps"], ".2f"),
        "-" if row["max_rate_within_slo"] is None else f"{row['max_rate_within_slo']:g}/s",
    ]


def _errors(share: float | None, *, failing: bool) -> str:
    """The error share as a percentage, exact zero as 0 and a tiny share never rounded to it."""
    if share is None:
        return "-"
    text = "0" if share == 0 else f"{share:.2%}" if share >= 0.0001 else "<0.01%"
    return f"{text} FAIL" if failing else text


def load_footnote(m: Measurement) -> str:
    """How the load figures were measured, under every human table that shows them."""
    return "\n".join(load_footnote_lines(m))


def load_footnote_lines(m: Measurement) -> list[str]:
    """The load footnote's lines; none without a load phase."""
    images = loaded(m)
    if not images:
        return []
    first = images[0].load
    assert first is not None
    cpuset = ", ".join(f"{k} CPUs {v}" for k, v in first.cpuset.items())
    lines = [
        f"under load: {first.generator} {first.generator_version or ''}, {first.connections} connections, "
        f"{first.duration_s:g} s measured after {first.warmup_s:g} s warmup per step, {first.request or ''} to 127.0.0.1 "
        f"inside each container's network namespace; {cpuset}; latency {first.latency_method}.",
        "QPS, p99, CPU and working-set peak are medians over the repeats of the rate shown (in parentheses: "
        f"{_bracket_words(m)}); CPU is the container's cgroup CPU time over the window; MiB per 1k QPS is the peak "
        "over QPS/1000.",
        f"QPS counts 2xx answers; p99 is over every request sent, a request without an answer counted at the "
        f"{first.timeout_s:g} s timeout; errors is the share of requests without a 2xx answer (timeouts, "
        f"connection errors, any other status, redirects too), FAIL above the {first.error_limit:.2%} limit.",
    ]
    ceilings = sorted({c.qps for c in _ceilings(m) if c.qps is not None})
    if ceilings:
        reach = f"{ceilings[0]:,.0f} QPS" if len(ceilings) == 1 else f"{min(ceilings):,.0f}–{max(ceilings):,.0f} QPS"
        lines.append(
            f"ceiling: the generator reaches {reach} against a trivial static server here (with each row's own request "
            f"shape); rows above {GENERATOR_BOUND_SHARE:.0%} of theirs, or whose generator used "
            f"{GENERATOR_CPU_BOUND_SHARE:.0%} of its CPUs, are marked generator-bound (they measured the generator, "
            "not the image)."
        )
    if any(r["disturbed"] for r in load_rows(m)):
        lines.append(
            f"disturbed: other work took more than {DISTURBED_SHARE:.0%} of the server's and generator's CPUs during "
            "a step of that row (/proc/stat); its QPS is not the image's alone: measure again on a quiet machine."
        )
    failed = [f"{r['image']}: {f}" for r in load_rows(m) for f in r["failed"]]
    lines += [f"failed under load: {f}" for f in failed]
    return lines


def _ceilings(m: Measurement) -> list[Ceiling]:
    """Each row's own ceiling where it was measured, else the top-level one."""
    found = [i.load.ceiling for i in loaded(m) if i.load is not None and i.load.ceiling is not None]
    return found or ([m.ceiling] if m.ceiling is not None else [])


def _bracket_words(m: Measurement) -> str:
    """The labels of the intervals the table shows: ``range of 3 (covers the median 75 % of the time)``."""
    labels = list(dict.fromkeys(x for row in load_rows(m) for x in row["interval_labels"]))
    return "; ".join(labels) or "no interval: one repeat"


def load_table(m: Measurement) -> Table | None:
    """The under-load table with its footnote, or None without a load phase."""
    rows = load_rows(m)
    if not rows:
        return None
    return Table(list(LOAD_COLUMNS.values()), [human_load_row(r) for r in rows], footnote=load_footnote_lines(m))


def load_section(m: Measurement, tablefmt: str) -> str:
    """The under-load table as it follows another table: plain text (``simple``) or Markdown
    (``github``), after a blank line; "" without a load phase."""
    table = load_table(m)
    if table is None:
        return ""
    return "\n" + (tables.markdown(table) if tablefmt == "github" else tables.text(table))
