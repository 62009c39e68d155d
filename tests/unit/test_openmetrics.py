"""``--format openmetrics``: a Prometheus textfile that the real parser reads back, in base units,
with every label value (image names come from user files) round-tripping through its escaping."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from cprofiler import report
from cprofiler.commands.output import format_for
from cprofiler.results import derive, runlog
from tests.unit.factories import image, measurement

DOCS = Path(__file__).resolve().parents[2] / "docs" / "results"


def _parser() -> Any:
    try:
        from prometheus_client import parser
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true and prometheus-client is missing: it is in the test extra", pytrace=False)
        pytest.skip("prometheus-client is not installed (pip install 'cprofiler[test]')")
    return parser


def families(text: str) -> dict[str, Any]:
    return {f.name: f for f in _parser().text_string_to_metric_families(text)}


def sample(fams: dict[str, Any], name: str, **labels: str) -> float:
    found = [s.value for s in fams[name].samples if all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(found) == 1, (name, labels, found)
    return float(found[0])


def test_default_results_parse_as_gauges_in_seconds_and_bytes():
    data = json.loads((DOCS / "default.json").read_text())
    fams = families(report.render(runlog.load(DOCS / "default.json"), "openmetrics"))
    assert {
        "cprofiler_cold_start_seconds",
        "cprofiler_app_start_seconds",
        "cprofiler_working_set_bytes",
        "cprofiler_peak_bytes",
        "cprofiler_image_size_bytes",
        "cprofiler_runs_ok",
        "cprofiler_runs_planned",
    } <= set(fams)
    assert all(f.type == "gauge" and f.documentation for f in fams.values())
    for entry in data["images"]:
        name, summary = entry["name"], entry["summary"]
        labels = {"image": name, "stand_in": entry["stand_in"]["recipe"]}
        # Seconds, not milliseconds: the JSON's median over 1000 (to the microsecond).
        p50 = sample(fams, "cprofiler_cold_start_seconds", quantile="0.5", **labels)
        assert p50 == pytest.approx(summary["ready_ms"]["median"] / 1000, abs=1e-6)
        assert sample(fams, "cprofiler_cold_start_seconds", quantile="0.95", **labels) > p50
        assert sample(fams, "cprofiler_working_set_bytes", **labels) == summary["working_set_bytes"]["median"]
        assert sample(fams, "cprofiler_peak_bytes", **labels) == summary["peak_bytes"]["max"]
        assert sample(fams, "cprofiler_image_size_bytes", **labels) == entry["image_size_bytes"]
        assert sample(fams, "cprofiler_runs_ok", **labels) == summary["status_counts"]["ok"]
        assert sample(fams, "cprofiler_runs_planned", **labels) == data["settings"]["runs"]
    # No CPU limits differ, so no cpus label; no load phase, so no load metrics; the floor is not an image.
    assert all("cpus" not in s.labels for f in fams.values() for s in f.samples)
    assert not {"cprofiler_load_qps", "cprofiler_load_latency_seconds"} & set(fams)
    assert "(floor)" not in {s.labels["image"] for f in fams.values() for s in f.samples}


def test_gateway_results_have_cpus_labels_and_the_load_summary():
    data = json.loads((DOCS / "gateway.json").read_text())
    m = runlog.load(DOCS / "gateway.json")
    fams = families(report.render(m, "openmetrics"))
    rows = {(s.labels["image"], s.labels["cpus"]) for s in fams["cprofiler_working_set_bytes"].samples}
    assert rows == {(e["scenario_image"], f"{e['cpus']:g}") for e in data["images"]}
    for entry in data["images"]:
        labels = {"image": entry["scenario_image"], "cpus": f"{entry['cpus']:g}"}
        load = entry["load"]["summary"]
        assert sample(fams, "cprofiler_load_qps", **labels) == pytest.approx(load["qps"]["median"])
        p99 = sample(fams, "cprofiler_load_latency_seconds", quantile="0.99", **labels)
        assert p99 == pytest.approx(load["latency_p99_ms"]["median"] / 1000, abs=1e-6)
        assert sample(fams, "cprofiler_rss_bytes", **labels) == entry["summary"]["rss_bytes"]["median"]
    # The lower-bound mark the table shows, as 0 or 1 per row.
    bound = {(s.labels["image"], s.labels["cpus"]): s.value for s in fams["cprofiler_load_generator_bound"].samples}
    assert bound == {
        (i.scenario_image, f"{i.cpus:g}"): float(derive.summary_generator_bound(i.load, m.ceiling)) for i in m.images if i.load
    }


def test_a_hostile_image_name_round_trips_through_the_label_escaping():
    hostile = 'we"ird\\name\nsecond line} 1\ncprofiler_fake 2'
    m = measurement(image(hostile, [300.0, 310.0, 320.0], stand_in='re"cipe\\'), floor_ms=[100.0, 101.0, 102.0])
    text = report.render(m, "openmetrics")
    # Every line is a comment or a sample of ours: the name's newlines did not start a line.
    assert all(line.startswith(("# HELP cprofiler_", "# TYPE cprofiler_", "cprofiler_")) for line in text.splitlines())
    fams = families(text)
    assert "cprofiler_fake" not in fams
    assert {s.labels["image"] for f in fams.values() for s in f.samples} == {hostile}
    assert {s.labels["stand_in"] for f in fams.values() for s in f.samples} == {'re"cipe\\'}
    assert sample(fams, "cprofiler_app_start_seconds", image=hostile) == pytest.approx(0.209)


def test_dot_prom_names_the_format():
    assert format_for(Path("r.prom")) == "openmetrics"
    assert "openmetrics" in report.names() and "benchmark-json" in report.names()


def test_compare_offers_no_openmetrics_so_dot_prom_is_its_table():
    from cprofiler.cli_choices import COMPARE_FORMATS

    assert format_for(Path("c.prom"), COMPARE_FORMATS) == "table"
    assert format_for(Path("c.csv"), COMPARE_FORMATS) == "csv"


def test_report_dash_o_dot_prom_writes_the_textfile(tmp_path):
    from typer.testing import CliRunner

    from cprofiler.cli import app

    out = tmp_path / "cprofiler.prom"
    result = CliRunner().invoke(app, ["report", str(DOCS / "default.json"), "-o", str(out)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "cprofiler_cold_start_seconds" in families(out.read_text())
    assert "cold start p50" in result.output  # the table still prints


def test_a_qps_at_the_generators_ceiling_is_marked_a_lower_bound():
    from cprofiler.results.load import Ceiling
    from tests.unit.factories import load_result, loaded, spread

    m = measurement(
        loaded(image("go", spread(250)), load_result(40_000, 2)),
        loaded(image("python", spread(400)), load_result(3_000, 20)),
    ).model_copy(update={"ceiling": Ceiling(qps=45_000, n=3)})  # go's 40k is near the generator's 45k
    fams = families(report.render(m, "openmetrics"))
    assert sample(fams, "cprofiler_load_generator_bound", image="go") == 1
    assert sample(fams, "cprofiler_load_generator_bound", image="python") == 0
    assert sample(fams, "cprofiler_load_qps", image="go") == pytest.approx(40_000, rel=0.01)
