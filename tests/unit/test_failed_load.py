"""A failed load phase fails the measurement: measure's exit status, notices, budgets, recommend, k8s.

The results are built in code (tests/unit/factories.py) and, for the commands, written to a file
and read back as a user's would be.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cprofiler import budgets, report
from cprofiler.cli import app
from cprofiler.commands.measure_checks import failures
from cprofiler.recommend import served
from cprofiler.recommend.criteria import candidates
from cprofiler.report import notices
from cprofiler.results.model import ImageResult, Measurement
from cprofiler.scenario.model import Budgets
from tests.unit.factories import image, loaded, measurement
from tests.unit.test_capacity import phase, step, sweep

#: What an image that answers every request with 500 records: fast, and not one request served.
ONLY_500 = {"answered_2xx": 0, "qps": 0.0, "errors_http": 4000, "non_2xx": {"5xx": 4000}, "error_share": 1.0, "failing": True}


def healthy(name: str = "good", slo: float | None = 50.0) -> ImageResult:
    return loaded(image(name, [100, 110, 120]), phase(sweep(), slo=slo))


def only_500(name: str = "five") -> ImageResult:
    # Faster than the healthy image at starting and in memory: it would win on everything else.
    return loaded(image(name, [50, 55, 60], ws_mib=5), phase([step(400, i, **ONLY_500) for i in range(3)]))


def crashed(name: str = "dies") -> ImageResult:
    steps = sweep(**{f"400:{i}": {"status": "crashed", "qps": None, "log_tail": ["panic: out of sockets"]} for i in range(3)})
    return loaded(image(name, [90, 95, 99]), phase(steps))


def write(tmp_path: Path, m: Measurement) -> Path:
    path = tmp_path / "r.json"
    path.write_text(report.render(m, "json"))
    return path


def cli(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


# --- measure: the exit status and the notices ---------------------------------------------------


def test_a_failed_load_phase_makes_measure_exit_1_and_is_a_notice() -> None:
    m = measurement(healthy(), crashed(), only_500())
    assert failures(m, allow_failed_runs=False) == [
        "the load phase failed for 2 images (dies, five; see the notices): exit status 1 (--allow-failed-runs accepts them)"
    ]
    assert failures(measurement(healthy()), allow_failed_runs=False) == []
    assert failures(m, allow_failed_runs=True) == []
    found = [n for n in notices.notices(m) if n.kind == "failed"]
    assert [n.text.split(":")[0] for n in found] == ["dies", "five"]
    assert found[0].text == (
        "dies: the load phase failed: 3 of 9 load steps crashed (at 400/s); nothing is sized or recommended from it"
    )
    assert found[0].details == [f"400/s repeat {i}: panic: out of sockets" for i in (1, 2, 3)]
    assert "five: the load phase failed: 3 of 3 load steps failing (100.00% errors)" in found[1].text


def test_the_table_carries_the_failed_load_notice() -> None:
    assert "dies: the load phase failed: 3 of 9 load steps crashed" in report.render(measurement(healthy(), crashed()), "table")


# --- budgets ------------------------------------------------------------------------------------


def test_a_failed_load_phase_exceeds_its_load_budgets_whatever_the_figures() -> None:
    img = only_500()
    img.budgets = Budgets(qps_min=0.5, p99_ms=50, working_set_mib=64)
    judged = {b.key: b for b in budgets.evaluate(img)}
    assert judged["qps_min"].status == judged["p99_ms"].status == budgets.EXCEEDED
    assert judged["working_set_mib"].status == budgets.KEPT
    assert (
        judged["p99_ms"]
        .describe()
        .startswith(
            "p99 latency under load: the load phase failed (3 of 3 load steps failing (100.00% errors) (at 400/s)), "
            "so its budget of 50 ms (p99_ms) is not kept"
        )
    )
    assert failures(measurement(img), allow_failed_runs=True) == ["2 budgets exceeded (five qps_min, five p99_ms): exit status 1"]


def test_qps_min_is_judged_on_the_2xx_rate_not_on_every_answer() -> None:
    # Every request answered, 30 % of them with 404 (under a 50 % limit): 280 2xx/s of 400 answers/s.
    img = loaded(image("half", [100]), phase([step(None, i, qps=280.0, answers_per_s=400.0, error_share=0.3) for i in range(2)]))
    assert img.load is not None
    img.load.error_limit = 0.5
    img.budgets = Budgets(qps_min=300)
    (qps,) = budgets.evaluate(img)
    assert (qps.figure, qps.status) == (280.0, budgets.EXCEEDED)


# --- recommend ----------------------------------------------------------------------------------


def test_recommend_excludes_an_image_whose_load_phase_failed_saying_why() -> None:
    m = measurement(healthy(), only_500(), crashed())
    kept, excluded = served.split(candidates(m), m)
    assert [c.label for c in kept] == ["good"]
    assert [(e.candidate.label, e.reason) for e in excluded] == [
        (
            "five",
            "its load phase failed (3 of 3 load steps failing (100.00% errors) (at 400/s)), so it has no throughput to weigh",
        ),
        ("dies", "its load phase failed (3 of 9 load steps crashed (at 400/s)), so it has no throughput to weigh"),
    ]


def test_recommend_never_drops_throughput_silently(tmp_path: Path) -> None:
    m = measurement(healthy(), image("idle", [40, 41, 42], ws_mib=4))
    code, out = cli("recommend", write(tmp_path, m), "--min-qps", "0")
    assert code == 0, out
    assert "Excluded: idle: no throughput figure (no load phase), while other images have one." in out
    assert "Recommendation: good." in out


def test_recommend_with_min_qps_0_does_not_choose_an_image_that_answered_only_500(tmp_path: Path) -> None:
    code, out = cli("recommend", write(tmp_path, measurement(healthy(), only_500())), "--min-qps", "0")
    assert code == 0, out
    assert "Recommendation: good." in out and "Excluded: five: its load phase failed" in out
    code, out = cli("recommend", write(tmp_path, measurement(only_500())), "--min-qps", "0")
    assert code == 1 and "no image is left to recommend: five: its load phase failed" in out


# --- k8s ----------------------------------------------------------------------------------------


def test_k8s_sizes_nothing_from_a_failed_load_phase(tmp_path: Path) -> None:
    code, out = cli("k8s", write(tmp_path, measurement(crashed())), "--format", "deployment")
    assert code == 1
    assert "image 'dies' skipped: its load phase failed (3 of 9 load steps crashed (at 400/s))" in out
    assert "no load was applied" not in out and "HorizontalPodAutoscaler" not in out


def test_k8s_from_idle_writes_idle_figures_with_a_warning_and_no_hpa(tmp_path: Path) -> None:
    code, out = cli("k8s", write(tmp_path, measurement(crashed())), "--format", "deployment", "--from-idle", "--explain")
    assert code == 0, out
    assert "cprofiler: WARNING: image 'dies': the load phase failed (3 of 9 load steps crashed (at 400/s)); --from-idle" in out
    assert "# WARNING: image 'dies': the load phase failed" in out and "# idle risk: under traffic" in out
    assert "kind: Deployment" in out and "HorizontalPodAutoscaler" not in out


def unwrapped(out: str) -> str:
    """``out`` with each comment line that --explain folded joined to the line it continues."""
    return re.sub(r"\n#   +", " ", out)


def test_k8s_sizes_a_healthy_image_next_to_a_failed_one_at_its_capacity(tmp_path: Path) -> None:
    code, out = cli("k8s", write(tmp_path, measurement(healthy(), crashed())), "--format", "deployment", "--explain")
    assert code == 0, out
    assert "image 'dies' skipped" in out
    out = unwrapped(out)
    assert "requests sized at 400 requests/s (the highest rate within the p99 <= 50ms SLO" in out
    assert "kind: HorizontalPodAutoscaler" in out and "400 requests/s capacity (the median 2xx rate achieved at 400/s" in out


@pytest.mark.parametrize(
    ("img", "message"),
    [
        (
            loaded(image("slow", [100]), phase(sweep(**{"400:1": {"qps": 300.0}}))),
            "--at-rate 400: image 'slow' did not serve that rate in every repeat (repeat 2 served 300 2xx/s, under 97% of 400/s)",
        ),
        (crashed(), "--at-rate 400: the load phase of image 'dies' failed (3 of 9 load steps crashed (at 400/s))"),
    ],
)
def test_at_rate_at_an_unserved_rate_exits_2(tmp_path: Path, img: ImageResult, message: str) -> None:
    code, out = cli("k8s", write(tmp_path, measurement(img)), "--at-rate", "400")
    assert code == 2 and message in out, out


def test_the_default_sizing_rate_is_the_capacity_not_the_highest_rate(tmp_path: Path) -> None:
    img = loaded(image("slow", [100]), phase(sweep(**{"400:1": {"qps": 300.0}})))
    code, out = cli("k8s", write(tmp_path, measurement(img)), "--format", "deployment", "--explain")
    assert code == 0, out
    out = unwrapped(out)
    assert "requests sized at 200 requests/s (the highest rate within the p99 <= 50ms SLO" in out
    assert "200 requests/s capacity (the median 2xx rate achieved at 200/s" in out


def test_the_results_json_carries_the_verdict(tmp_path: Path) -> None:
    doc = json.loads(write(tmp_path, measurement(healthy(), crashed())).read_text())
    good, dies = (i["load"]["summary"] for i in doc["images"])
    assert (good["capacity_rate"], good["capacity_qps"], good["failed"]) == (400, 400, False)
    assert (dies["capacity_rate"], dies["failed"]) == (200, True)
    assert dies["reasons"][0] == "3 of 9 load steps crashed (at 400/s)"
