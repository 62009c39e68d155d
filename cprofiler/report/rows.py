"""The comparison rows every tabular format shows, computed once from the results model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cprofiler import budgets
from cprofiler.results import intervals, stats
from cprofiler.results.model import ImageResult, Measurement

#: Column key → header, in display order. Units are in the headers of the machine-readable forms.
COLUMNS = {
    "image": "image",
    "image_size_bytes": "size",
    "runs_ok": "ok runs",
    "ready_median_ms": "cold start p50",
    "ready_p95_ms": "cold start p95",
    "app_start_median_ms": "app start",
    "fetch_median_ms": "fetch p50",
    "image_pull_median_ms": "pull p50",
    "ready_ratio": "start ×best",
    "working_set_median_bytes": "working set p50",
    "rss_median_bytes": "RSS p50",
    "anon_and_mapped_file_median_bytes": "anon+mapped p50",
    "peak_max_bytes": "peak max",
    "memory_ratio": "memory ×best",
}


#: Columns human tables show only when the results have figures for them (CSV keeps every column).
OPTIONAL_COLUMNS: dict[str, Callable[[Measurement], bool]] = {
    "fetch_median_ms": lambda m: m.settings.cold == "image" and m.environment.backend != "kubernetes",
    # --backend kubernetes --registry: the kubelet's pulls, when it pulled.
    "image_pull_median_ms": lambda m: any(e.values("image_pull_ms") for e in m.entries()),
    # A schema v1 file's "RSS" held mapped file pages too: shown under that name, never as RSS.
    "rss_median_bytes": lambda m: not from_v1(m),
    "anon_and_mapped_file_median_bytes": lambda m: from_v1(m),
}


def from_v1(m: Measurement) -> bool:
    """True for a measurement read from a schema v1 file (its runs carry the old RSS figure)."""
    return any(e.values("anon_and_mapped_file_bytes") for e in m.entries())


def columns(m: Measurement) -> dict[str, str]:
    """The columns a human table of ``m`` shows: ``COLUMNS`` without optional ones that are empty."""
    return {k: v for k, v in COLUMNS.items() if k not in OPTIONAL_COLUMNS or OPTIONAL_COLUMNS[k](m)}


def floor_median_ms(m: Measurement) -> float | None:
    """Median ``ready_ms`` of the runtime floor's ok runs, or None without a floor."""
    return _median(m.floor.values("ready_ms")) if m.floor is not None else None


def app_start_ms(image: ImageResult, m: Measurement) -> float | None:
    """Median ``ready_ms`` of ``image`` minus the floor's, or None (no runs, no floor, or another kind).

    A batch job's ready time holds the engine's handling of its exit and a service's does not, so
    an image is compared only with a floor of its own kind.
    """
    ready = image.values("ready_ms")
    floor_ms = floor_median_ms(m)
    if m.floor is None or not ready or floor_ms is None or image.kind != m.floor.kind:
        return None
    return stats.percentile(ready, 50) - floor_ms


def app_start_interval(image: ImageResult, m: Measurement) -> stats.Interval | None:
    """``app_start_ms`` with the bootstrap interval (nominal 95 %) of that difference of medians, or None."""
    if app_start_ms(image, m) is None:
        return None
    assert m.floor is not None
    return stats.difference(image.values("ready_ms"), m.floor.values("ready_ms"))


def _best(per_image: list[list[float]]) -> list[float] | None:
    candidates = [v for v in per_image if v]
    return min(candidates, key=lambda v: stats.percentile(v, 50)) if candidates else None


def _ratio(values: list[float], best: list[float] | None) -> stats.Ratio | None:
    if not values or not best or min(best) <= 0:
        # No ratio to a figure of zero or below (only a hand-edited file holds one).
        return None
    if values is best:
        # The best image against itself is exactly 1; a bootstrap would invent a width.
        return BEST
    return stats.ratio(values, best)


def comparison_rows(m: Measurement) -> list[dict[str, Any]]:
    """One dict per image, then the floor's, with raw numbers (ms, bytes) and ratio objects (or None).

    ``runs_ok`` counts the ok runs and ``runs_planned`` the runs the settings asked for: a partial or
    failed measurement shows ``7/20``, never ``7/7``.

    ``app_start_median_ms`` is the image's median ``ready_ms`` minus the floor's: the part of the
    cold start that belongs to the image rather than to the engine. The floor takes no part in the
    ratios: "best" is among the scenario's images. Images of another kind than the floor (batch
    jobs beside services) get no app start: see ``app_start_ms``.
    """
    readies = [i.values("ready_ms") for i in m.images]
    wss = [i.values("working_set_bytes") for i in m.images]
    best_ready, best_ws = _best(readies), _best(wss)
    rows = []
    for image, ready, ws in zip(m.images, readies, wss, strict=True):
        peak = image.values("peak_bytes")
        rows.append(
            {
                "image": image.label,
                "image_size_bytes": image.image_size_bytes,
                "runs_ok": len(image.ok_runs()),
                "runs_planned": m.settings.runs,
                "ready_median_ms": _median(ready),
                "ready_p95_ms": stats.percentile(ready, 95) if ready else None,
                "app_start_median_ms": app_start_ms(image, m),
                "app_start_interval": app_start_interval(image, m),
                "ready_n": len(ready),
                "fetch_median_ms": _median(image.values("fetch_ms")),
                "image_pull_median_ms": _median(image.values("image_pull_ms")),
                "ready_ratio": _ratio(ready, best_ready),
                "working_set_median_bytes": _median(ws),
                "rss_median_bytes": _median(image.values("rss_bytes")),
                "anon_and_mapped_file_median_bytes": _median(image.values("anon_and_mapped_file_bytes")),
                "peak_max_bytes": max(peak) if peak else None,
                "memory_ratio": _ratio(ws, best_ws),
                "budget_marks": budget_marks(image),
                "budgets_exceeded": [b.key for b in budgets.evaluate(image) if b.status == budgets.EXCEEDED],
            }
        )
    if m.floor is not None:
        ready = m.floor.values("ready_ms")
        rows.append(
            {
                **dict.fromkeys(COLUMNS),
                "image": m.floor.label,
                "image_size_bytes": m.floor.image_size_bytes,
                "runs_ok": len(m.floor.ok_runs()),
                "runs_planned": m.settings.runs,
                "ready_median_ms": floor_median_ms(m),
                "ready_n": len(ready),
                "ready_p95_ms": stats.percentile(ready, 95) if ready else None,
                "fetch_median_ms": _median(m.floor.values("fetch_ms")),
                "image_pull_median_ms": _median(m.floor.values("image_pull_ms")),
            }
        )
    return rows


#: What a bootstrap interval of a ratio or difference of medians is worth, in the footnotes.
NOMINAL = "nominal 95 %: with fewer than 6 runs a side it spans about the values' range and covers less"
#: The ratio of the best image to itself: exactly 1, shown as ``best``.
BEST = stats.Interval(1.0, 1.0, 1.0)
#: Fewer ok runs than this and a p95 is shown with its n: it lies between the largest values.
P95_PRECISE_RUNS = 20


def _median(values: list[float]) -> float | None:
    return stats.percentile(values, 50) if values else None


def human_bytes(n: float | None) -> str:
    if n is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def human_ms(ms: float | None) -> str:
    if ms is None:
        return "-"
    return f"{ms:.0f} ms" if ms < 10_000 else f"{ms / 1000:.2f} s"


def human_interval_ms(iv: stats.Interval) -> str:
    """A difference in milliseconds with its interval: ``390 ms (372…409)``, or ``≈0 ms (−13…21)``
    when the interval holds zero (the figure cannot be told from nothing; never clamped)."""

    def n(x: float) -> str:
        return f"{x:.0f}".replace("-", "−")

    head = "≈0" if iv.holds(0.0) else n(iv.value)
    return intervals.notation(f"{head} ms", n(iv.low), n(iv.high))


def human_cell(row: dict[str, Any], key: str) -> str:
    """One cell of a human table; a figure that exceeds a budget is marked ``✗ (≤ 500 ms)``."""
    v = row[key]
    if key == "app_start_median_ms" and row.get("app_start_interval") is not None:
        text = human_interval_ms(row["app_start_interval"])
    elif key == "ready_p95_ms" and v is not None and row.get("ready_n", P95_PRECISE_RUNS) < P95_PRECISE_RUNS:
        text = f"{human_ms(v)} (n={row['ready_n']})"
    elif key.endswith("_bytes"):
        text = human_bytes(v)
    elif key.endswith("_ms"):
        text = human_ms(v)
    elif key == "runs_ok":
        text = f"{v}/{row['runs_planned']}"
    elif key.endswith("_ratio"):
        text = "-" if v is None else "best" if v == BEST else v.format()
    else:
        text = str(v)
    mark = row.get("budget_marks", {}).get(key)
    return f"{text} ✗ ({mark})" if mark else text


def human_row(row: dict[str, Any], keys: dict[str, str] = COLUMNS) -> list[str]:
    return [human_cell(row, key) for key in keys]


def budget_marks(image: ImageResult) -> dict[str, str]:
    """Column key → the budget its figure exceeds (``≤ 500 ms``), for each exceeded budget."""
    marks = {}
    for b in budgets.evaluate(image):
        if b.status == budgets.EXCEEDED and b.check is not None and b.check.column is not None:
            marks[b.check.column] = f"{'≤' if b.check.kind == 'max' else '≥'} {b.limit:g} {b.check.unit}"
    return marks


def footnote(m: Measurement) -> str:
    """How the numbers were measured, in a few lines under every human table."""
    return "\n".join(footnote_lines(m))


def footnote_lines(m: Measurement) -> list[str]:
    """The footnote's lines, each a sentence or two of cprofiler's own that may quote the results."""
    s, env = m.settings, m.environment
    polled = [i for i in m.images if i.ready.kind in ("http", "tcp")]
    kube = env.backend == "kubernetes"
    how = f"the {s.probe_via} probe" if polled else "the probe"
    if polled and s.probe_interval_ms is not None:
        how += f" (http and tcp polled every {s.probe_interval_ms:g} ms)"
    until = f"{how} saw ready"
    if kube:
        in_pod = any(r.probe_via == "netns" for i in polled for r in i.runs)
        until = (
            f"{how} inside the pod's network namespace saw ready (the pod ran on this machine; its Ready condition "
            "is ready_condition_ms),"
            if in_pod
            else "a watch event showed the pod Ready (the kubelet's readinessProbe, every 1 s)"
        ) + " or its container exited, or its log line arrived"
    lines = [
        f"cold start: from just before create until {until}; medians over the ok runs of {s.runs} planned "
        f"per image, interleaved, after {s.warmup} warmup; cold level {s.cold}."
    ]
    if any(0 < len(e.values("ready_ms")) < P95_PRECISE_RUNS for e in m.entries()):
        lines.append(
            f"p95 over fewer than {P95_PRECISE_RUNS} ok runs is shown with its n: it lies between the largest values, "
            "not a precise figure."
        )
    if m.floor is not None:
        lines.append(
            "app start: cold start p50 minus the floor's (a static binary of a few hundred bytes FROM scratch that "
            f"{'exits' if m.floor.kind == 'exit' else 'listens on a port'} at once: the "
            f"{'cluster (API server, kubelet, engine)' if kube else 'engine'}'s own share of a start), with the "
            f"percentile-bootstrap interval of that difference ({NOMINAL}); ≈0 when the interval holds zero. "
            "Shown for images probed the same "
            "way (exit, or a service)."
        )
    if s.cold == "image" and not kube:
        lines.append("fetch: time to load the removed image back before each run (not part of cold start).")
    if any(e.values("image_pull_ms") for e in m.entries()):
        removed = "removed from the node before each run and " if s.cold == "image" else ""
        lines.append(
            f"pull: the image was {removed}pulled by the kubelet from {s.kube_registry} by digest, as the kubelet's "
            "Pulled event timed it: the layers the node lacked (layers shared with other images on it stay); part of "
            "cold start."
        )
    lines.append(_memory_line(m))
    return lines


def _memory_line(m: Measurement) -> str:
    """How memory was read: the kubelet's summary on a cluster, the cgroup's files on an engine."""
    s, env = m.settings, m.environment
    if env.backend == "kubernetes":
        facts = env.to_json()
        return (
            "memory: the kubelet's /stats/summary working set and RSS (anonymous memory), its first sample taken "
            f"{s.settle_s} s or more after ready (it samples every ~10 s); ratios are medians over the best image's, "
            f"with the percentile-bootstrap interval of the ratio in parentheses ({NOMINAL}). "
            f"Kubernetes {facts.get('kubernetes_version')}, kubelet {facts.get('kubelet_version')} on node "
            f"{facts.get('node_name')} ({facts.get('container_runtime')})."
        )
    rss = (
        "anon+mapped (anonymous plus mapped file memory: what this schema v1 file calls RSS; cAdvisor's RSS is "
        "the anonymous part alone)"
        if from_v1(m)
        else "RSS (anonymous memory, as cAdvisor's container_memory_rss)"
    )
    return (
        f"memory: cgroup working set (usage − inactive file) and {rss} {s.settle_s} s after ready; "
        "ratios are medians over the best image's, with the percentile-bootstrap interval of the ratio "
        f"in parentheses ({NOMINAL}). "
        f"Engine {env.engine_version}, cgroup v{env.cgroup_version}, {env.storage_driver}."
    )
