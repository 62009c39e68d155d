"""``--format benchmark-json``: github-action-benchmark's customSmallerIsBetter entries, each
range the interval the results state, labelled as they label it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cprofiler import report
from cprofiler.results import derive, runlog
from tests.unit.factories import MiB, image, measurement

DOCS = Path(__file__).resolve().parents[2] / "docs" / "results"


def entries(m) -> dict[str, dict]:
    out = json.loads(report.render(m, "benchmark-json"))
    assert isinstance(out, list)
    for e in out:
        # The tool's fields: a name, a unit and a number; range and extra are strings.
        assert isinstance(e["name"], str) and e["unit"] in ("ms", "MiB") and isinstance(e["value"], float | int)
        assert all(isinstance(e[k], str) for k in ("range", "extra") if k in e)
    return {e["name"]: e for e in out}


def test_default_results_give_four_figures_per_image_with_their_intervals():
    m = runlog.load(DOCS / "default.json")
    data = json.loads((DOCS / "default.json").read_text())
    got = entries(m)
    assert len(got) == 4 * len(m.images)
    for img, raw in zip(m.images, data["images"], strict=True):
        summary = derive.summary(img)
        cold = got[f"{img.label} cold start p50"]
        assert cold["unit"] == "ms" and cold["value"] == pytest.approx(raw["summary"]["ready_ms"]["median"], abs=0.01)
        low, high = summary["ready_ms"]["ci95"]
        assert cold["range"] == f"{low:.2f}…{high:.2f} ms ({summary['ready_ms']['ci_label']})"
        assert "20 of 20 runs ok" in cold["extra"]
        ws = got[f"{img.label} working set p50"]
        assert ws["unit"] == "MiB" and ws["value"] == pytest.approx(raw["summary"]["working_set_bytes"]["median"] / MiB, abs=1e-3)
        assert ws["range"].endswith(f"MiB ({summary['working_set_bytes']['ci_label']})")
        size = got[f"{img.label} image size"]
        assert size["value"] == pytest.approx(raw["image_size_bytes"] / MiB, abs=1e-3) and "range" not in size
        app = got[f"{img.label} app start"]
        assert app["range"].endswith("(bootstrap, nominal 95 %)") and "floor" in app["extra"]
    assert all("±" not in e.get("range", "") for e in got.values())


def test_a_range_of_few_runs_says_so():
    m = measurement(image("web", [300.0, 320.0, 310.0], stand_in="musl-python"), floor_ms=[100.0, 102.0, 101.0])
    got = entries(m)
    cold = got["web (stand-in: musl-python) cold start p50"]
    assert cold["range"] == "300.00…320.00 ms (range of 3)"
    assert "range of 3 runs" in cold["extra"] and "75.0 %" in cold["extra"] and "not a 95 % interval" in cold["extra"]
    assert "3 runs on the smaller side" in got["web (stand-in: musl-python) app start"]["extra"]


def test_one_run_has_no_range_and_no_floor_no_app_start():
    got = entries(measurement(image("one", [250.0])))
    cold = got["one cold start p50"]
    assert "range" not in cold and "no interval" in cold["extra"]
    assert "one app start" not in got
