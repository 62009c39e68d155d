"""Formats render the comparison from a results JSON alone."""

from __future__ import annotations

import csv
import io
import json

from cprofiler import report
from cprofiler.results.model import SCHEMA, ImageResult, RunResult
from tests.helpers import typed

MiB = 1 << 20


def results() -> dict:
    images = []
    for name, ready, ws in (("go", 300.0, 2 * MiB), ("py", 600.0, 20 * MiB)):
        img = ImageResult(
            name=name, image={"tag": f"t/{name}", "id": "sha256:x"}, image_size_bytes=10 * MiB, layers=2, ready={"exit": True}
        )
        for i in range(5):
            img.runs.append(
                RunResult(image=name, index=i, ready_ms=ready + i, working_set_bytes=ws + i, rss_bytes=ws, peak_bytes=ws + MiB)
            )
        img.runs.append(RunResult(image=name, index=5, status="timeout"))
        images.append(img.to_json())
    images[1]["stand_in"] = {"for": "python:3.12-alpine", "recipe": "musl-python", "detail": "musl"}
    return {
        "schema": SCHEMA,
        "settings": {"scenario_file": "/s.yaml", "runs": 6, "warmup": 1, "settle_s": 1.0, "timeout_s": 60, "cold": "warm"},
        "environment": {},
        "images": images,
    }


def test_table_shows_medians_ratios_and_stand_ins():
    text = report.render(typed(results()), "table")
    go, py = [line for line in text.splitlines() if line.startswith(("go", "py"))]
    assert "302 ms" in go and "best" in go and "5/6" in go
    assert "py (stand-in: musl-python)" in py and "602 ms" in py and "1.99 ± " in py and "10.00 ± " in py
    assert "20.0 MiB" in py


def test_csv_has_raw_numbers():
    rows = list(csv.DictReader(io.StringIO(report.render(typed(results()), "csv"))))
    assert rows[0]["ready_median_ms"] == "302.0" and float(rows[1]["memory_ratio"]) == 10.0
    assert float(rows[1]["working_set_median_bytes"]) == 20 * MiB + 2


def test_json_round_trips_and_markdown_is_a_table():
    data = results()
    assert json.loads(report.render(typed(data), "json")) == typed(data).to_json()
    assert report.render(typed(data), "markdown").splitlines()[1].startswith("|--")


def test_summary_counts_statuses_and_ignores_failed_runs():
    s = results()["images"][0]["summary"]
    assert s["status_counts"]["ok"] == 5 and s["status_counts"]["timeout"] == 1
    assert s["ready_ms"]["n"] == 5 and s["ready_ms"]["median"] == 302.0
