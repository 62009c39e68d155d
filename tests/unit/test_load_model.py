"""The load phase's scenario keys, result model and table, on constructed data (no engine)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from cprofiler.errors import ScenarioError
from cprofiler.report import render
from cprofiler.results import derive, writer
from cprofiler.results.load import Ceiling, LatencyMs, LoadResult, LoadStep, generator_bound
from cprofiler.results.model import ImageRef, ImageResult, Measurement
from cprofiler.scenario.reader import load as load_scenario
from cprofiler.settings import RunSettings

MIB = 1 << 20


def scenario(tmp_path: Path, doc: dict) -> Path:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def image(**extra) -> dict:
    return {"dockerfile": "Dockerfile", "ready": {"http": {"port": 8080, "path": "/healthz"}}, **extra}


def test_top_level_load_applies_to_http_images_and_an_image_may_replace_or_drop_it(tmp_path):
    doc = {
        "load": {"connections": 8, "duration": 3},
        "images": {
            "a": image(),
            "b": image(load={"rates": [100, 200], "slo": {"p99_ms": 50}}),
            "c": image(load=False),
            "d": {"dockerfile": "Dockerfile", "ready": {"exit": True}},
        },
    }
    sc = load_scenario(scenario(tmp_path, doc)).scenario
    a, b = sc.load_for("a"), sc.load_for("b")
    assert a is not None and a.connections == 8 and a.step_rates() == [None]
    assert b is not None and b.step_rates() == [100, 200] and b.slo is not None and b.slo.p99_ms == 50
    assert sc.load_for("c") is None and sc.load_for("d") is None


def test_a_cpus_list_makes_one_row_per_value(tmp_path):
    sc = load_scenario(scenario(tmp_path, {"images": {"web": image(cpus=[0.5, 1])}})).scenario
    assert [(row, name, spec.cpus) for row, name, spec in sc.variants()] == [
        ("web@cpus=0.5", "web", 0.5),
        ("web@cpus=1", "web", 1.0),
    ]


@pytest.mark.parametrize(
    ("load", "expected"),
    [
        ({"rate": 10, "rates": [1]}, "load: expected rate or rates, not both"),
        ({"slo": {"p99_ms": 10}}, "slo: expected only with rates"),
        ({"connections": 0}, "load.connections"),
        ({"rates": []}, "load.rates"),
        ({"method": "get it"}, "load.method"),
        ({"headers": {"X-A": "b\nInjected: 1"}}, "load.headers"),
        ({"server_cpus": "0;1"}, "load.server_cpus"),
        ({"colour": 1}, "load.colour: unknown key"),
    ],
)
def test_bad_load_values_are_one_line_naming_the_key(tmp_path, load, expected):
    path = scenario(tmp_path, {"load": load, "images": {"a": image()}})
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_load_on_an_image_without_an_http_probe_is_refused(tmp_path):
    path = scenario(tmp_path, {"images": {"a": {"dockerfile": "Dockerfile", "ready": {"exit": True}, "load": {}}}})
    with pytest.raises(ScenarioError, match="expected an image probed by http"):
        load_scenario(path)


def step(rate: float | None, repeat: int, qps: float, p99: float, status: str = "ok") -> LoadStep:
    return LoadStep(
        rate=rate,
        repeat=repeat,
        status=status,
        requests=int(qps * 10),
        errors_http=0,
        errors_socket=0,
        qps=qps,
        latency_ms=LatencyMs(p50=p99 / 3, p90=p99 / 2, p99=p99, p999=p99 * 2, max=p99 * 3),
        cpu_cores=qps / 5000,
        working_set_peak_bytes=20 * MIB,
    )


def loaded(name: str, steps: list[LoadStep], slo: float | None = None) -> ImageResult:
    load = LoadResult(generator="oha", connections=64, duration_s=10, warmup_s=2, slo_p99_ms=slo, steps=steps)
    return ImageResult(
        name=name,
        image=ImageRef(tag=f"t/{name}", id="sha256:x"),
        image_size_bytes=1,
        layers=1,
        ready={"http": {"port": 8080, "path": "/"}},
        load=load,
    )


def test_max_rate_within_slo_needs_every_repeat_ok_and_under_the_target():
    steps = [step(r, i, r * 0.99, p99) for i in range(2) for r, p99 in ((100, 10.0), (200, 40.0), (400, 90.0))]
    steps.append(step(200, 2, 150, 70.0))  # one repeat of 200/s over the SLO
    load = loaded("a", steps, slo=50).load
    assert load is not None and derive.max_rate_within_slo(load) == 100
    summary = derive.load_summary(load)
    assert summary.rate == 100 and summary.qps is not None and summary.qps["median"] == pytest.approx(99)


def test_summary_of_a_closed_loop_image_is_over_its_repeats():
    load = loaded("a", [step(None, 0, 1000, 5), step(None, 1, 1200, 6), step(None, 2, 1100, 7, status="crashed")]).load
    assert load is not None
    s = derive.load_summary(load)
    assert s.qps is not None and s.qps["median"] == 1100 and s.qps["n"] == 2  # the crashed step is not summarised
    assert s.qps_per_core is not None and s.qps_per_core["median"] == pytest.approx(5000)


def test_generator_bound_is_above_seventy_percent_of_the_ceiling():
    ceiling = Ceiling(qps=10_000)
    assert generator_bound(7_001, ceiling) and not generator_bound(7_000, ceiling) and not generator_bound(7_001, None)


def measurement() -> Measurement:
    settings = RunSettings(scenario_file="/s.yaml", runs=1, warmup=0, settle_s=0, timeout_s=1)
    images = [
        loaded("go", [step(None, i, 9000 + i, 5.0) for i in range(3)]),
        loaded("py", [step(None, i, 1500 + i, 40.0) for i in range(3)] + [step(None, 3, 0, 0, status="unresponsive")]),
    ]
    return Measurement(settings=settings, images=images, ceiling=Ceiling(qps=12_000, n=3))


def test_the_json_holds_the_contract_and_reads_back_the_same():
    data = writer.results_json(measurement())
    go = data["images"][0]["load"]
    assert set(go) >= {"generator", "connections", "duration_s", "warmup_s", "cpuset", "latency_method", "steps", "summary"}
    assert set(go["steps"][0]) >= {
        "rate", "repeat", "requests", "errors_http", "errors_socket", "qps", "latency_ms", "cpu_cores",
        "throttled_periods", "throttled_ms", "working_set_peak_bytes", "working_set_end_bytes", "rss_end_bytes",
        "working_set_after_bytes", "pids",
    }  # fmt: skip
    assert set(go["steps"][0]["latency_ms"]) == {"p50", "p90", "p99", "p999", "max"}
    assert set(go["summary"]) >= {"qps", "latency_p99_ms", "cpu_cores", "working_set_peak_bytes", "qps_per_core"}
    assert data["ceiling"]["qps"] == 12_000
    again = writer.results_json(Measurement.from_json(json.loads(json.dumps(data)), where="x"))
    assert again == data


def test_the_table_marks_generator_bound_rows_and_lists_failed_steps():
    text = render(measurement(), "table")
    under_load = text[text.index("image under load") :]
    go = next(line for line in under_load.splitlines() if line.startswith("go "))
    py = next(line for line in under_load.splitlines() if line.startswith("py "))
    assert "9,001" in go and "[generator-bound]" in go and "best" in go
    assert "3/4" in py and "[generator-bound]" not in py
    assert "failed under load: py: unresponsive at closed loop #4" in text
    assert "ceiling: the generator reaches 12,000 QPS" in text


def test_load_budgets_are_checked_on_the_summary_figures():
    from cprofiler import budgets
    from cprofiler.scenario.model import Budgets

    m = measurement()
    go, py = m.images
    go.budgets = Budgets(qps_min=5000, p99_ms=10)
    py.budgets = Budgets(qps_min=5000, p99_ms=10)
    assert [r.status for r in budgets.evaluate(go)] == [budgets.KEPT, budgets.KEPT]
    judged = {r.key: r for r in budgets.evaluate(py)}
    assert judged["qps_min"].status == budgets.EXCEEDED and judged["qps_min"].figure == 1501
    assert "falls below its budget of 5000 qps" in judged["qps_min"].describe()
    assert judged["p99_ms"].status == budgets.EXCEEDED and judged["p99_ms"].figure == 40
