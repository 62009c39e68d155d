"""Formats render the comparison from a results JSON alone."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path

import pytest

from cprofiler import report
from cprofiler.errors import UsageError
from cprofiler.report.rows import human_interval_ms
from cprofiler.results import runlog, stats, writer
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
        images.append(writer.image_json(img))
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
    assert "py (stand-in: musl-python)" in py and "602 ms" in py and "1.99× (1.98…2.01)" in py and "10.00× (10.00…10.00)" in py
    assert "604 ms (n=5)" in py  # a p95 of 5 runs says so
    assert "20.0 MiB" in py


def test_csv_has_raw_numbers():
    rows = list(csv.DictReader(io.StringIO(report.render(typed(results()), "csv"))))
    assert rows[0]["ready_median_ms"] == "302.0" and float(rows[1]["memory_ratio"]) == 10.0
    assert float(rows[1]["ready_ratio_low"]) <= float(rows[1]["ready_ratio"]) <= float(rows[1]["ready_ratio_high"])
    assert float(rows[1]["working_set_median_bytes"]) == 20 * MiB + 2


def test_json_round_trips_and_markdown_is_a_table():
    data = results()
    assert json.loads(report.render(typed(data), "json")) == writer.results_json(typed(data))
    assert report.render(typed(data), "markdown").splitlines()[1].startswith("|--")


def test_summary_counts_statuses_and_ignores_failed_runs():
    s = results()["images"][0]["summary"]
    assert s["status_counts"]["ok"] == 5 and s["status_counts"]["timeout"] == 1
    assert s["ready_ms"]["n"] == 5 and s["ready_ms"]["median"] == 302.0


# --- honest report: partial data, failed runs, warnings, malformed files -------------------------

DOCS = Path(__file__).resolve().parents[2] / "docs" / "results"


def cut_run_log(tmp_path: Path, rounds: int) -> Path:
    """The project's default run log cut after ``rounds`` rounds (4 runs each), as a kill leaves it."""
    lines = (DOCS / "default.jsonl").read_text().splitlines()
    header, runs = lines[0], [line for line in lines if json.loads(line)["type"] == "run"]
    path = tmp_path / "cut.jsonl"
    path.write_text("\n".join([header, *runs[: 4 * rounds]]) + "\n")
    return path


def test_a_run_log_cut_after_7_of_20_rounds_says_so(tmp_path):
    text = report.render(runlog.load(cut_run_log(tmp_path, 7)), "table")
    go = next(line for line in text.splitlines() if line.startswith("go-static"))
    assert "7/20" in go
    assert "partial: the measurement did not finish (no end record); 7 of 20 planned runs recorded per image" in text
    assert "medians over the ok runs of 20 planned" in text
    assert "partial:" in report.render(runlog.load(cut_run_log(tmp_path, 7)), "markdown")


def test_failed_runs_are_listed_with_status_error_and_log_tail():
    data = results()
    tail = [f"line {i}" for i in range(12)] + ["\x1b[31mboom"]
    data["images"][1]["runs"][5].update(error="never ready within 60 s", log_tail=tail)
    text = report.render(typed(data), "table")
    py = next(line for line in text.splitlines() if line.startswith("py"))
    assert "5/6" in py
    assert "failed: py: 1 of 6 recorded runs did not end ok (1 timeout)" in text
    assert "failed: py run 6: timeout: never ready within 60 s; its last 5 lines of output:" in text
    assert "    | line 11\n    | \\x1b[31mboom" in text and "line 7" not in text
    md = report.render(typed(data), "markdown")
    assert "- **failed:** py run 6: timeout" in md and "  ```" in md


def test_saved_warnings_are_printed():
    data = results()
    for i, run in enumerate(data["images"][0]["runs"][:5]):
        run["ready_ms"] = 900.0 if i == 0 else 300.0 + i
    assert "warning: go: ready_ms: the first run is much slower than the rest: add --warmup runs" in report.render(
        typed(data), "table"
    )


def test_a_complete_measurement_has_no_notices():
    text = report.render(runlog.load(DOCS / "default.json"), "table")
    assert "partial:" not in text and "failed:" not in text and "20/20" in text


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"schema": "cprofiler/results/v1"}', "settings: required key is missing"),
        ("[" + "1" * 5000 + "]", "a number beyond 64 bits"),
    ],
)
def test_files_that_are_no_results_are_one_line_exit_2(tmp_path, content, expected):
    path = tmp_path / "r.json"
    path.write_text(content)
    with pytest.raises(UsageError) as info:
        runlog.load(path)
    assert str(info.value).startswith(f"{path}: {expected}") and UsageError.exit_code == 2


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9Mi", "Input should be a valid integer (got '9Mi')"),
        ("9437184", "Input should be a valid integer (got '9437184')"),
        (math.nan, "Input should be a valid integer (got nan)"),
        (10**30, "a number beyond 64 bits"),
    ],
)
def test_a_number_that_is_not_one_names_its_path(tmp_path, value, expected):
    data = json.loads((DOCS / "default.json").read_text())
    data["images"][0]["runs"][3]["working_set_bytes"] = value
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UsageError, match=re.escape(expected)) as info:
        runlog.load(path)
    if "64 bits" not in expected:
        assert str(info.value).startswith(f"{path}: images[0].runs[3].working_set_bytes: ")


def test_a_non_positive_figure_of_the_best_image_gives_no_ratio_but_no_traceback():
    data = results()
    # Zero: a negative figure is refused on reading (test_results_model), zero is not.
    data["images"][0]["runs"][0]["working_set_bytes"] = 0
    go = next(line for line in report.render(typed(data), "table").splitlines() if line.startswith("go"))
    assert go.rstrip().endswith("-")


# --- intervals as intervals ------------------------------------------------------------------------


def test_ratios_show_both_ends_of_their_interval_as_the_issue_measured_them():
    text = report.render(runlog.load(DOCS / "default.json"), "table")
    alpine = next(line for line in text.splitlines() if line.startswith("python-alpine"))
    assert "2.57× (2.38…2.83)" in alpine and "6.47× (6.36…6.78)" in alpine
    assert "390 ms (350…425)" in alpine


def test_an_app_start_whose_interval_holds_zero_is_shown_as_about_zero_never_clamped():
    go = next(line for line in report.render(runlog.load(DOCS / "default.json"), "table").splitlines() if "go-static" in line)
    assert "≈0 ms (−13…21)" in go


@pytest.mark.parametrize(
    ("interval", "text"),
    [
        (stats.Interval(8.0, -13.4, 21.0), "≈0 ms (−13…21)"),
        (stats.Interval(-4.0, -20.0, 0.0), "≈0 ms (−20…0)"),
        (stats.Interval(-30.0, -45.0, -12.0), "−30 ms (−45…−12)"),
        (stats.Interval(390.0, 350.0, 425.0), "390 ms (350…425)"),
    ],
)
def test_interval_rendering(interval, text):
    assert human_interval_ms(interval) == text


def test_a_ratio_is_formatted_with_its_asymmetric_interval():
    assert stats.Interval(6.47, 6.36, 6.78).format() == "6.47× (6.36…6.78)"


def test_a_p95_of_20_runs_or_more_is_shown_plain():
    text = report.render(runlog.load(DOCS / "default.json"), "table")
    assert "(n=" not in text and "p95 over fewer than" not in text


def test_csv_columns_are_numbers_a_spreadsheet_can_sum():
    rows = list(csv.DictReader(io.StringIO(report.render(runlog.load(DOCS / "default.json"), "csv"))))
    alpine = rows[0]
    assert (alpine["runs_ok"], alpine["runs_planned"]) == ("20", "20")
    assert alpine["ready_median_ms"] == "625.43" and alpine["working_set_median_bytes"].isdigit()
    assert alpine["ready_ratio"] == "2.5677" and alpine["ready_ratio_low"] == "2.3829"
    assert float(alpine["app_start_low_ms"]) < float(alpine["app_start_median_ms"]) < float(alpine["app_start_high_ms"])
    for row in rows:
        for key, value in row.items():
            if key not in ("image", "budgets_exceeded") and value != "":
                float(value)  # every other cell is a number
                assert len(value.partition(".")[2]) <= 4, (key, value)
