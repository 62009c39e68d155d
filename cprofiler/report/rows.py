"""The comparison rows every tabular format shows, computed once from the results model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cprofiler.results import stats
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
    "ready_ratio": "start ×best",
    "working_set_median_bytes": "working set p50",
    "rss_median_bytes": "RSS p50",
    "peak_max_bytes": "peak max",
    "memory_ratio": "memory ×best",
}


#: Columns human tables show only when the results have figures for them (CSV keeps every column).
OPTIONAL_COLUMNS: dict[str, Callable[[Measurement], bool]] = {"fetch_median_ms": lambda m: m.settings.cold == "image"}


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


def _best(per_image: list[list[float]]) -> list[float] | None:
    candidates = [v for v in per_image if v]
    return min(candidates, key=lambda v: stats.percentile(v, 50)) if candidates else None


def _ratio(values: list[float], best: list[float] | None) -> stats.Ratio | None:
    if not values or not best:
        return None
    if values is best:
        # The best image against itself is exactly 1; a bootstrap would invent an uncertainty.
        return stats.Ratio(1.0, 0.0)
    return stats.ratio(values, best)


def comparison_rows(m: Measurement) -> list[dict[str, Any]]:
    """One dict per image, then the floor's, with raw numbers (ms, bytes) and ratio objects (or None).

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
                "runs_ok": f"{len(image.ok_runs())}/{len(image.runs)}",
                "ready_median_ms": _median(ready),
                "ready_p95_ms": stats.percentile(ready, 95) if ready else None,
                "app_start_median_ms": app_start_ms(image, m),
                "fetch_median_ms": _median(image.values("fetch_ms")),
                "ready_ratio": _ratio(ready, best_ready),
                "working_set_median_bytes": _median(ws),
                "rss_median_bytes": _median(image.values("rss_bytes")),
                "peak_max_bytes": max(peak) if peak else None,
                "memory_ratio": _ratio(ws, best_ws),
            }
        )
    if m.floor is not None:
        ready = m.floor.values("ready_ms")
        rows.append(
            {
                **dict.fromkeys(COLUMNS),
                "image": m.floor.label,
                "image_size_bytes": m.floor.image_size_bytes,
                "runs_ok": f"{len(ready)}/{len(m.floor.runs)}",
                "ready_median_ms": floor_median_ms(m),
                "ready_p95_ms": stats.percentile(ready, 95) if ready else None,
                "fetch_median_ms": _median(m.floor.values("fetch_ms")),
            }
        )
    return rows


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


def human_row(row: dict[str, Any], keys: dict[str, str] = COLUMNS) -> list[str]:
    out = []
    for key in keys:
        v = row[key]
        if key.endswith("_bytes"):
            out.append(human_bytes(v))
        elif key.endswith("_ms"):
            out.append(human_ms(v))
        elif key.endswith("_ratio"):
            out.append("-" if v is None else "best" if v.value == 1.0 and v.uncertainty == 0.0 else v.format())
        else:
            out.append(str(v))
    return out


def footnote(m: Measurement) -> str:
    """How the numbers were measured, in a few lines under every human table."""
    s, env = m.settings, m.environment
    polled = [i for i in m.images if i.ready.kind in ("http", "tcp")]
    kube = env.backend == "kubernetes"
    how = f"the {s.probe_via} probe" if polled else "the probe"
    if polled and s.probe_interval_ms is not None:
        how += f" (http and tcp polled every {s.probe_interval_ms:g} ms)"
    until = f"{how} saw ready"
    if kube:
        until = (
            "a watch event showed the pod Ready (the kubelet's readinessProbe, every 1 s) or its container exited, "
            "or its log line arrived"
        )
    lines = [
        f"cold start: from just before create until {until}; medians over {s.runs} interleaved runs "
        f"after {s.warmup} warmup, cold level {s.cold}."
    ]
    if m.floor is not None:
        lines.append(
            "app start: cold start p50 minus the floor's (a static binary of a few hundred bytes FROM scratch that "
            f"{'exits' if m.floor.kind == 'exit' else 'listens on a port'} at once: the "
            f"{'cluster (API server, kubelet, engine)' if kube else 'engine'}'s own share of a start); "
            "shown for images probed the same way (exit, or a service)."
        )
    if s.cold == "image":
        lines.append("fetch: time to load the removed image back before each run (not part of cold start).")
    if kube:
        facts = env.to_json()
        lines.append(
            "memory: the kubelet's /stats/summary working set and RSS (its rssBytes: anonymous memory only), its first "
            f"sample taken {s.settle_s} s or more "
            "after ready (it samples every ~10 s); ratios are medians over the best image's, ± half a bootstrap 95 % "
            f"interval. Kubernetes {facts.get('kubernetes_version')}, kubelet {facts.get('kubelet_version')} on node "
            f"{facts.get('node_name')} ({facts.get('container_runtime')})."
        )
        return "\n".join(lines)
    lines.append(
        f"memory: cgroup working set (usage − inactive file) and RSS (anon + mapped file) {s.settle_s} s after ready; "
        f"ratios are medians over the best image's, ± half a bootstrap 95 % interval. "
        f"Engine {env.engine_version}, cgroup v{env.cgroup_version}, {env.storage_driver}."
    )
    return "\n".join(lines)
