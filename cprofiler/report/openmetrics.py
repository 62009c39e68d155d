"""Per-image figures as a Prometheus textfile: ``--format openmetrics``, ``-o results.prom``.

The text is the Prometheus text exposition format 0.0.4, the one the node_exporter textfile
collector reads (``--collector.textfile.directory``) and ``prometheus_client.parser`` parses; not
OpenMetrics proper (no ``# EOF``, no ``# UNIT``), because the textfile collector reads only the
former. Every metric is a gauge named with its base unit (seconds, bytes; the results' ``_ms``
figures are divided by 1000), with a ``# HELP`` line that says how it was measured. No
timestamps: the collector refuses them.

Labels: ``image`` (the scenario's name, without ``@cpus=``), ``stand_in`` (the recipe that
replaced the real base, or ``""``) and, when the rows differ by CPU limit, ``cpus`` (``""``
without one). Label values are escaped as the format says (backslash, double quote, newline):
image names come from the user's scenario file. The runtime floor is not exported (it is the
engine's start, not an image's), and a figure that was not measured has no sample.

``cprofiler_load_generator_bound`` is 1 where the row's QPS is generator-bound (a lower bound:
the generator, not the image, was the limit), as the table marks it.

The run counts are ``cprofiler_runs_ok`` and ``cprofiler_runs_planned``: a ``_total`` suffix
is reserved for counters, and these are gauges of one measurement.
"""

from __future__ import annotations

from collections.abc import Callable

from cprofiler.report.registry import FORMATS
from cprofiler.report.rows import app_start_ms
from cprofiler.results import derive, stats
from cprofiler.results.model import ImageResult, Measurement

#: One sample: extra labels (``quantile``) and its value in the metric's base unit.
Sample = tuple[dict[str, str], float]
#: A metric: the samples of one image row.
Figure = Callable[[ImageResult, Measurement], list[Sample]]


def _quantiles(field: str, scale: float, qs: tuple[float, ...]) -> Figure:
    def figure(image: ImageResult, _m: Measurement) -> list[Sample]:
        values = image.values(field)
        return [({"quantile": f"{q:g}"}, stats.percentile(values, q * 100) * scale) for q in qs] if values else []

    return figure


def _one(get: Callable[[ImageResult, Measurement], float | None]) -> Figure:
    def figure(image: ImageResult, m: Measurement) -> list[Sample]:
        value = get(image, m)
        return [({}, float(value))] if value is not None else []

    return figure


def _median(field: str) -> Callable[[ImageResult, Measurement], float | None]:
    return lambda image, _m: stats.percentile(v, 50) if (v := image.values(field)) else None


def _load(key: str, scale: float, labels: dict[str, str]) -> Figure:
    def figure(image: ImageResult, _m: Measurement) -> list[Sample]:
        if image.load is None:
            return []
        summary = getattr(derive.load_summary(image.load), key)
        return [(labels, summary["median"] * scale)] if summary else []

    return figure


_AT_RATE = "at the highest rate served within the SLO (else the highest offered), median of its repeats"

#: Name → (HELP text, how the figure is taken from an image row), in output order.
METRICS: dict[str, tuple[str, Figure]] = {
    "cprofiler_cold_start_seconds": (
        "From just before container create until the readiness probe succeeded, quantile over ok runs.",
        _quantiles("ready_ms", 1e-3, (0.5, 0.95)),
    ),
    "cprofiler_app_start_seconds": (
        "Median cold start minus the runtime floor's median (an empty image of the same probe kind).",
        _one(lambda image, m: None if (ms := app_start_ms(image, m)) is None else ms / 1000),
    ),
    "cprofiler_working_set_bytes": (
        "Memory usage minus inactive file cache after settle (kubelet's working set), median over ok runs.",
        _one(_median("working_set_bytes")),
    ),
    "cprofiler_rss_bytes": (
        "Anonymous memory after settle (cAdvisor's container_memory_rss), median over ok runs.",
        _one(_median("rss_bytes")),
    ),
    "cprofiler_peak_bytes": (
        "Highest memory usage the cgroup recorded during a run, the largest over ok runs.",
        _one(lambda image, _m: max(v) if (v := image.values("peak_bytes")) else None),
    ),
    "cprofiler_image_size_bytes": (
        "Uncompressed image size as the engine reports it.",
        _one(lambda image, _m: image.image_size_bytes),
    ),
    "cprofiler_runs_ok": ("Measured runs whose container became ready (status ok).", _one(lambda i, _m: len(i.ok_runs()))),
    "cprofiler_runs_planned": ("Measured runs the settings asked for per image.", _one(lambda _i, m: m.settings.runs)),
    "cprofiler_load_qps": (f"Achieved requests per second under load, {_AT_RATE}.", _load("qps", 1.0, {})),
    "cprofiler_load_generator_bound": (
        "1 when cprofiler_load_qps measured the load generator, not the image (a lower bound of what it serves), else 0.",
        _one(lambda i, m: None if i.load is None else float(derive.summary_generator_bound(i.load, m.ceiling))),
    ),
    "cprofiler_load_latency_seconds": (
        f"Latency quantile over every request sent (one unanswered counts at the timeout), {_AT_RATE}.",
        _load("latency_p99_ms", 1e-3, {"quantile": "0.99"}),
    ),
}


def escape_label(value: str) -> str:
    """A label value as the text format writes it between quotes: ``\\``, ``"`` and newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _row_labels(m: Measurement) -> list[dict[str, str]]:
    by_cpus = len({image.cpus for image in m.images}) > 1
    out = []
    for image in m.images:
        labels = {"image": image.scenario_image or image.name, "stand_in": image.stand_in.recipe if image.stand_in else ""}
        if by_cpus:
            labels["cpus"] = f"{image.cpus:g}" if image.cpus is not None else ""
        out.append(labels)
    return out


def _value(v: float) -> str:
    # repr is the shortest text that reads back as the same float; whole numbers (bytes, counts) as integers.
    return str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(v)


@FORMATS.register("openmetrics")
def render_openmetrics(results: Measurement) -> str:
    rows = list(zip(results.images, _row_labels(results), strict=True))
    lines: list[str] = []
    for name, (help_text, figure) in METRICS.items():
        # Seconds to the microsecond: the probes resolve about a millisecond, more digits are noise.
        digits = 6 if name.endswith("_seconds") else None
        samples = [
            ({**labels, **extra}, round(v, digits) if digits else v)
            for image, labels in rows
            for extra, v in figure(image, results)
        ]
        if not samples:
            continue
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
        for labels, v in samples:
            text = ",".join(f'{k}="{escape_label(val)}"' for k, val in labels.items())
            lines.append(f"{name}{{{text}}} {_value(v)}")
    return "\n".join(lines) + "\n" if lines else ""
