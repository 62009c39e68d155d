"""Per-image figures for github-action-benchmark's ``customSmallerIsBetter`` tool: ``--format benchmark-json``.

A JSON list of ``{"name", "unit", "value", "range", "extra"}``, one entry per figure and image
row: ``<image> cold start p50`` and ``<image> app start`` in ``ms`` (0.01 ms), ``<image> working
set p50`` and ``<image> image size`` in ``MiB`` (2²⁰ bytes, to 0.001: the charts stay readable
and a KiB still shows). ``<image>`` is the row's label (with ``@cpus=`` and the stand-in recipe),
so a stand-in's series never continues a real base's.

``range`` is the interval of the figure as the results state it, its two ends and its label,
never a ± figure: the median's interval (``range of 3`` below 6 runs, else the order-statistic
``96.9 % CI``; :mod:`cprofiler.results.intervals`), or for the app start the bootstrap interval
of the difference of medians (nominal 95 %). ``extra`` says the ok runs and what the interval is
worth, in words, when it is a range of fewer than 6 runs. A figure without an interval (one run,
the image size) has no ``range``; a figure not measured has no entry.
"""

from __future__ import annotations

import json
from typing import Any

from cprofiler.report.registry import FORMATS
from cprofiler.report.rows import NOMINAL, app_start_interval
from cprofiler.results import intervals, stats
from cprofiler.results.model import ImageResult, Measurement

MIB = 1 << 20


def _ends(low: float, high: float, unit: str, digits: int) -> str:
    return f"{low:.{digits}f}…{high:.{digits}f} {unit}"


def _median_entry(name: str, s: stats.Summary, unit: str, scale: float, runs: str) -> dict[str, Any]:
    digits = 2 if unit == "ms" else 3
    entry: dict[str, Any] = {"name": name, "unit": unit, "value": round(s.median / scale, digits)}
    if s.ci_method == intervals.SINGLE:
        entry["extra"] = f"{runs}; 1 value, no interval"
        return entry
    entry["range"] = f"{_ends(s.ci95[0] / scale, s.ci95[1] / scale, unit, digits)} ({s.ci_label})"
    if s.ci_method == intervals.RANGE:
        covers = intervals.percent(s.ci_coverage)
        entry["extra"] = f"{runs}; the range of {s.n} runs, which covers the median {covers} of the time, not a 95 % interval"
    else:
        entry["extra"] = f"{runs}; order-statistic interval of the median, {s.ci_label}"
    return entry


def _app_interval_words(image: ImageResult, m: Measurement) -> str:
    assert m.floor is not None  # an app start has a floor
    fewest = min(len(image.values("ready_ms")), len(m.floor.values("ready_ms")))
    if fewest < intervals.MIN_VALUES_FOR_CI:
        return f"{fewest} runs on the smaller side; {NOMINAL}"
    return "bootstrap interval of the difference of medians, nominal 95 %"


def _image_entries(image: ImageResult, m: Measurement) -> list[dict[str, Any]]:
    runs = f"{len(image.ok_runs())} of {m.settings.runs} runs ok"
    out = []
    if (ready := stats.summarize(image.values("ready_ms"))) is not None:
        out.append(_median_entry(f"{image.label} cold start p50", ready, "ms", 1.0, runs))
    if (app := app_start_interval(image, m)) is not None:
        out.append(
            {
                "name": f"{image.label} app start",
                "unit": "ms",
                "value": round(app.value, 2),
                "range": f"{_ends(app.low, app.high, 'ms', 2)} (bootstrap, nominal 95 %)",
                "extra": f"{runs}; median cold start minus the runtime floor's; {_app_interval_words(image, m)}",
            }
        )
    if (ws := stats.summarize(image.values("working_set_bytes"))) is not None:
        out.append(_median_entry(f"{image.label} working set p50", ws, "MiB", MIB, runs))
    size = round(image.image_size_bytes / MIB, 3)
    out.append(
        {"name": f"{image.label} image size", "unit": "MiB", "value": size, "extra": "uncompressed, as the engine reports it"}
    )
    return out


@FORMATS.register("benchmark-json")
def render_benchmark_json(results: Measurement) -> str:
    entries = [entry for image in results.images for entry in _image_entries(image, results)]
    return json.dumps(entries, indent=2, ensure_ascii=False) + "\n"
