"""Budgets: read from the scenario, judged on the results, marked in the table and the JSON."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from cprofiler import budgets, report
from cprofiler.budgets.registry import BUDGETS, BudgetCheck
from cprofiler.commands.measure import failures
from cprofiler.errors import ScenarioError
from cprofiler.results.model import SCHEMA, Measurement
from cprofiler.scenario.reader import load as load_scenario

MiB = 1 << 20

SCENARIO = """\
budgets: {cold_start_p95_ms: 500, working_set_mib: 16}
images:
  small:
    dockerfile: Dockerfile
    ready: {exit: true}
  big:
    dockerfile: Dockerfile
    ready: {exit: true}
    budgets: {working_set_mib: 64, image_size_mib: 100, qps_min: 50}
"""


def scenario(tmp_path: Path, text: str = SCENARIO):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "s.yaml").write_text(text)
    return load_scenario(tmp_path / "s.yaml").scenario


def test_an_image_budget_overrides_the_top_level_one_key_by_key(tmp_path):
    sc = scenario(tmp_path)
    assert sc.budgets_for("small").set() == {"cold_start_p95_ms": 500, "working_set_mib": 16}  # type: ignore[union-attr]
    assert sc.budgets_for("big").set() == {  # type: ignore[union-attr]
        "cold_start_p95_ms": 500,
        "working_set_mib": 64,
        "image_size_mib": 100,
        "qps_min": 50,
    }


def test_without_budgets_there_are_none(tmp_path):
    sc = scenario(tmp_path, "images:\n  a:\n    dockerfile: Dockerfile\n    ready: {exit: true}\n")
    assert sc.budgets_for("a") is None


@pytest.mark.parametrize(
    ("budgets_yaml", "expected"),
    [
        ("{cold_start_p95: 500}", "budgets.cold_start_p95: unknown key; expected one of: cold_start_p95_ms"),
        ("{working_set_mib: 16Mi}", "budgets.working_set_mib: "),
        ("{image_size_mib: 0}", "budgets.image_size_mib: "),
        ("{qps_min: true}", "budgets.qps_min: "),
    ],
)
def test_a_bad_budget_is_one_line_naming_the_key(tmp_path, budgets_yaml, expected):
    text = f"budgets: {budgets_yaml}\nimages:\n  a:\n    dockerfile: Dockerfile\n    ready: {{exit: true}}\n"
    with pytest.raises(ScenarioError) as info:
        scenario(tmp_path, text)
    assert expected in str(info.value) and "s.yaml:1" in str(info.value)


def measurement(ready: list[float], ws_mib: float, size_mib: float, limits: dict[str, float]) -> Measurement:
    runs = [{"image": "app", "index": i, "ready_ms": r, "working_set_bytes": int(ws_mib * MiB)} for i, r in enumerate(ready)]
    data = {
        "schema": SCHEMA,
        "settings": {"scenario_file": "/s.yaml", "runs": max(len(ready), 1), "warmup": 0, "settle_s": 1.0, "timeout_s": 60},
        "images": [
            {
                "name": "app",
                "image": {"tag": "t/app", "id": "sha256:x"},
                "image_size_bytes": int(size_mib * MiB),
                "layers": 1,
                "ready": {"http": {"port": 8080}},
                "budgets": limits,
                "runs": runs,
            }
        ],
    }
    return Measurement.from_json(data, where="test")


def test_budgets_are_judged_on_the_figures_the_table_shows():
    m = measurement([300.0] * 18 + [900.0, 900.0], 20, 4, {"cold_start_p95_ms": 500, "working_set_mib": 16, "image_size_mib": 10})
    results = {b.key: b for b in budgets.evaluate(m.images[0])}
    assert results["cold_start_p95_ms"].status == budgets.EXCEEDED and results["cold_start_p95_ms"].figure == pytest.approx(900)
    assert results["working_set_mib"].status == budgets.EXCEEDED and results["working_set_mib"].figure == 20
    assert results["image_size_mib"].status == budgets.KEPT
    assert "working set p50 20.0 MiB exceeds its budget of 16 MiB (working_set_mib)" == results["working_set_mib"].describe()


def test_exceeded_budgets_are_marked_in_the_table_and_the_json_and_fail_the_measurement():
    m = measurement([300.0] * 5, 20, 4, {"working_set_mib": 16, "cold_start_p95_ms": 500, "qps_min": 100})
    text = report.render(m, "table")
    app = next(line for line in text.splitlines() if line.startswith("app"))
    assert "20.0 MiB ✗ (≤ 16 MiB)" in app and "300 ms (n=5)" in app and "✗ (≤ 500" not in app
    assert "budget: app: working set p50 20.0 MiB exceeds its budget of 16 MiB (working_set_mib)" in text
    # A load-phase budget of an image without a load phase: nothing to judge, said so, never "kept".
    assert "budget: app: QPS under load: not measured, so its budget of 100 qps (qps_min) is not checked" in text
    checks = json.loads(report.render(m, "json"))["images"][0]["budget_checks"]
    assert {c["budget"]: c["status"] for c in checks} == {
        "working_set_mib": "exceeded",
        "cold_start_p95_ms": "kept",
        "qps_min": "not measured",
    }
    row = next(csv.DictReader(io.StringIO(report.render(m, "csv"))))
    assert row["budgets_exceeded"] == "working_set_mib"
    assert failures(m, allow_failed_runs=False) == ["1 budgets exceeded (app working_set_mib): exit status 1"]


def test_failed_runs_fail_the_measurement_unless_allowed():
    m = measurement([300.0] * 5, 1, 1, {})
    m.images[0].runs[2].status = "timeout"
    assert failures(m, allow_failed_runs=False) == ["1 runs did not end ok: exit status 1 (--allow-failed-runs accepts them)"]
    assert failures(m, allow_failed_runs=True) == []


def test_a_budget_without_ok_runs_is_not_measured_not_kept():
    m = measurement([], 1, 1, {"cold_start_p95_ms": 100})
    assert [b.status for b in budgets.evaluate(m.images[0])] == [budgets.NOT_MEASURED]


def test_a_load_phase_check_plugs_in_by_registering(monkeypatch):
    m = measurement([300.0] * 5, 1, 1, {"qps_min": 100})
    assert budgets.evaluate(m.images[0])[0].status == budgets.NOT_MEASURED  # no load phase here
    monkeypatch.setitem(BUDGETS._items, "qps_min", BudgetCheck("throughput", "qps", "min", lambda image: 80.0))
    result = budgets.evaluate(m.images[0])[0]
    assert (
        result.status == budgets.EXCEEDED
        and result.describe() == "throughput 80.0 qps falls below its budget of 100 qps (qps_min)"
    )
