"""The rows and notes every human format of a comparison shows, computed once."""

from __future__ import annotations

from cprofiler.compare.cells import MetricChange
from cprofiler.compare.verdict import MAIN_METRICS, Comparison
from cprofiler.report.rows import human_bytes, human_ms
from cprofiler.results import intervals
from cprofiler.results.significance import ALPHA

#: Column headers of the human formats.
HEADERS = ["image", "metric", "before", "after", "change (bootstrap interval)", "runs", "verdict"]
#: How the human formats name a metric (any other by its field name).
LABELS = {
    "ready_ms": "cold start p50",
    "app_start_ms": "app start p50 (minus floor)",
    "working_set_bytes": "working set p50",
    "rss_bytes": "RSS p50",
    "anon_and_mapped_file_bytes": "anon+mapped p50",
    "peak_bytes": "peak p50",
    "image_size_bytes": "image size",
    "qps": "QPS",
    "error_share": "error share",
    "latency_p99_ms": "p99 (all requests)",
}


def shown_metrics(c: Comparison) -> list[str]:
    """The main metrics, and any other that a ``--fail-on`` rule names."""
    return [*MAIN_METRICS, *(r.rule.metric for r in c.rules if r.rule.metric not in MAIN_METRICS)]


def human_change(c: MetricChange) -> str:
    """``+14.2 % (+8.0…+20.1)``; an exact change (the size) without an interval; a share's change
    in percentage points (``+1.20 pp (+0.80…+1.60)``)."""
    pct, unit, digits = c.change_pct, "%", 1
    if pct is None and c.difference_pp is not None:
        pct, unit, digits = c.difference_pp, "pp", 2
    if pct is None:
        return "-"

    def p(x: float) -> str:
        return f"{x:+.{digits}f}".replace("-", "−")

    if pct.low == pct.high:
        return f"{p(pct.value)} {unit}"
    return intervals.notation(f"{p(pct.value)} {unit}", p(pct.low), p(pct.high))


def human_value(metric: str, v: float | None) -> str:
    if v is None:
        return "-"
    if metric.endswith("_bytes"):
        return human_bytes(v)
    if metric == "latency_p99_ms" and v < 100:
        return f"{v:.1f} ms"
    if metric.endswith("_ms"):
        return human_ms(v)
    if metric.endswith("_share"):
        return f"{v:.2%}"
    if metric == "qps":
        return f"{v:,.0f}/s"
    return f"{v:.4g}"


def rows(c: Comparison) -> list[list[str]]:
    broken = {(name, r.rule.metric): r.rule.text for r in c.rules for name, _ in r.broken}
    out = []
    for image in c.images:
        for metric in shown_metrics(c):
            m = image.metric(metric)
            if m is None:
                continue
            verdict = m.verdict
            if (image.name, metric) in broken:
                verdict += f" ✗ {broken[(image.name, metric)]}"
            out.append(_row(image.name, LABELS.get(metric, metric), m, verdict))
        out += [_row(image.name, f"{LABELS.get(m.metric, m.metric)} at {m.step}", m, m.verdict) for m in image.load]
    return out


def _row(image: str, label: str, m: MetricChange, verdict: str) -> list[str]:
    runs = "-" if m.metric == "image_size_bytes" else f"{m.n_before}/{m.n_after}"
    return [image, label, human_value(m.metric, m.before), human_value(m.metric, m.after), human_change(m), runs, verdict]


def tested_line(c: Comparison) -> str:
    """``12 cells tested; verdicts Holm-corrected at 5 %``: the family the verdicts are corrected over."""
    return f"{c.cells_tested} cell{'' if c.cells_tested == 1 else 's'} tested; verdicts Holm-corrected at {ALPHA * 100:.0f} %"


def notes(c: Comparison) -> list[str]:
    """Lines under the table: what differs, what is missing, which rules broke."""
    out = []
    if c.differences:
        out.append("warning: the two measurements ran on different set-ups: " + "; ".join(c.differences))
    out += [f"warning: {line}" for line in c.caveats]
    for image in c.images:
        out += [f"note: {image.name}: {n}" for n in image.notes]
    if c.only_before:
        out.append(f"unmatched: only in before ({c.before}): {', '.join(c.only_before)}")
    if c.only_after:
        out.append(f"unmatched: only in after ({c.after}): {', '.join(c.only_after)}")
    for r in c.rules:
        for name, m in r.broken:
            out.append(f"fail: --fail-on {r.rule.text}: {name}: {human_change(m)}, {m.verdict}")
        if r.nothing_to_check:
            out.append(f"fail: --fail-on {r.rule.text} checked nothing: {r.nothing_to_check}")
        elif not r.broken:
            out.append(f"pass: --fail-on {r.rule.text}")
        if r.unchecked:
            out.append(f"warning: --fail-on {r.rule.text} could not be checked on: {', '.join(r.unchecked)}")
    return out


def footnote(c: Comparison) -> str:
    return (
        f"before: {c.before}; after: {c.after}. Medians over each side's ok runs (load: over the repeats of a rate); "
        "change = after ÷ before − 1 with the percentile-bootstrap interval of that ratio of medians (nominal 95 %; "
        "a share: the difference in percentage points). The verdict is a permutation test of the rank sum, at least "
        f"5 values a side: {tested_line(c)} (every cell tested, in every format, counts; the cells a --fail-on rule "
        "checks are a family of their own), so the chance of any false verdict is at most 5 %; 'no evidence of "
        "change' means the runs could not tell, not that nothing changed."
    )
