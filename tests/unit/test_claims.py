"""Claims files: the verdict rules, figures read from a real results file, and the file's errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cprofiler.claims import check, figures, model, render
from cprofiler.claims.figures import Figure, Missing
from cprofiler.claims.model import Claim, Selector
from cprofiler.claims.verdict import judge
from cprofiler.errors import UsageError
from cprofiler.results import runlog

ROOT = Path(__file__).resolve().parents[2]
GATEWAY = ROOT / "docs" / "results" / "gateway.json"  # rate sweep: python-stdlib, python-gunicorn, go at cpus 0.5 and 1


def ratio(median: float, low: float, high: float, **kw) -> Figure:
    return Figure(median, low, high, 3, "bounds of both intervals", "×", **kw)


@pytest.mark.parametrize(
    ("article", "fig", "kind"),
    [
        (2.96, ratio(3.5, 3.0, 4.0), "confirmed"),  # meets 2.96 within ×1.5
        (2.96, ratio(6.7, 6.0, 7.5), "refuted"),  # above 2.96 × 1.5 = 4.44
        (2.96, ratio(0.5, 0.4, 0.6), "refuted"),  # the other way round
        (2.96, ratio(1.0, 0.8, 1.3), "refuted"),  # holds 1, but far below the band (1.97…4.44)
        (1.0, ratio(1.02, 0.95, 1.1), "confirmed"),
    ],
)
def test_a_size_claim_is_confirmed_only_within_its_tolerance(article, fig, kind):
    assert judge(Claim(claim="c", article=article), fig).kind == kind


@pytest.mark.parametrize(
    ("fig", "kind"),
    [(ratio(1.5, 1.2, 1.8), "confirmed"), (ratio(0.7, 0.6, 0.8), "refuted"), (ratio(1.1, 0.9, 1.3), "not comparable")],
)
def test_a_direction_claim_needs_the_whole_interval_on_one_side_of_1(fig, kind):
    assert judge(Claim(claim="c", article=1.35, claims="direction"), fig).kind == kind
    assert judge(Claim(claim="c", claims="direction", expects="above"), fig).kind == kind


def test_what_cannot_be_compared_says_why():
    fig = ratio(3.0, 2.5, 3.5)
    assert judge(Claim(claim="c", article=3, claims="none", note="another machine"), fig).why == "another machine"
    assert "not measured: no step" in judge(Claim(claim="c", article=3), None, "no step ended ok").why
    bound = judge(Claim(claim="c", article=3), ratio(3.0, 2.5, 3.5, generator_bound=True))
    assert bound.kind == "not comparable" and "generator" in bound.why
    stand_in = Figure(23.6, 23.6, 23.6, 1, "1 value", "MiB", stand_in=True)
    assert judge(Claim(claim="c", article=15, claims="value", stand_in_judged=False), stand_in).kind == "not comparable"
    assert judge(Claim(claim="c", article=15, claims="value"), stand_in).kind == "refuted"


def test_a_lower_bound_refutes_only_above_the_band():
    low = ratio(5.0, 5.0, 5.0, at_least=True)
    assert judge(Claim(claim="c", article=2.0), low).kind == "refuted"  # ≥ 5 > 2 × 1.5
    assert judge(Claim(claim="c", article=4.0), low).kind == "not comparable"


def test_a_ratio_is_bounded_by_the_opposite_ends_of_both_intervals():
    a = Figure(100, 90, 110, 3, "range of 3", "req/s")
    b = Figure(50, 40, 55, 5, "range of 5", "req/s", stand_in=True)
    r = figures.ratio(a, b)
    assert (r.median, r.low, r.high, r.n) == (2.0, 90 / 55, 110 / 40, 3) and r.stand_in and r.unit == "×"


def test_figures_of_a_rate_sweep_come_from_its_steps():
    m = runlog.load(GATEWAY)
    where = str(GATEWAY)
    p99 = figures.figure(m, Selector(results="g", image="go", cpus=1, field="p99_ms", rate=4800), where)
    steps = [s for i in m.images if i.name == "go@cpus=1" for s in i.load.steps if s.rate == 4800 and s.status == "ok"]
    assert p99.n == len(steps) == 3 and p99.low == min(s.latency_ms.p99 for s in steps) and p99.label == "range of 3"
    assert "stand-in go-builder" in p99.caveats and p99.stand_in
    # go at 1 CPU was served at the sweep's top rate: its capacity is a lower bound.
    cap = figures.figure(m, Selector(results="g", image="go", cpus=1, field="capacity_rps"), where)
    assert (cap.median, cap.at_least) == (32000, True)
    cap_py = figures.figure(m, Selector(results="g", image="python-stdlib", cpus=1, field="capacity_rps"), where)
    assert (cap_py.median, cap_py.at_least) == (8000, False)
    with pytest.raises(Missing, match="give cpus"):
        figures.figure(m, Selector(results="g", image="go", field="qps"), where)
    with pytest.raises(Missing, match="no step of go ended ok at 999"):
        figures.figure(m, Selector(results="g", image="go", cpus=1, field="qps", rate=999), where)


def _claims_file(tmp_path: Path, claims: list[dict]) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"title": "t", "results": {"g": str(GATEWAY)}, "tables": [{"title": "T", "claims": claims}]}))
    return path


def test_the_claims_command_prints_each_claim_with_its_verdict(tmp_path):
    path = _claims_file(
        tmp_path,
        [
            {
                "claim": "Go serves 2.96x Python",
                "article": 2.96,
                "measured": {
                    "ratio": [
                        {"results": "g", "image": "go", "cpus": 1, "field": "qps", "rate": 4800},
                        {"results": "g", "image": "python-gunicorn", "cpus": 1, "field": "qps", "rate": 4800},
                    ]
                },
            },
            {"claim": "unmeasurable", "claims": "none", "note": "why not"},
        ],
    )
    rows = check.check(model.load(path))
    # At an offered 4,800/s both served it: the QPS ratio is about 1, far from 2.96.
    assert rows[0].verdict.kind == "refuted" and rows[0].figure is not None and 0.9 < rows[0].figure.median < 1.1
    text = render.markdown(rows)
    assert "| Go serves 2.96x Python | 2.96× |" in text and "**refuted**" in text and "why not" in text
    data = json.loads(render.as_json(rows))
    assert [d["verdict"] for d in data] == ["refuted", "not comparable"]
    done = subprocess.run(
        [sys.executable, "-m", "cprofiler", "claims", str(path), "--format", "json"], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0 and json.loads(done.stdout) == data


@pytest.mark.parametrize(
    ("claim", "message"),
    [
        ({"claim": "c", "claims": "maybe"}, "tables.0.claims.0.claims"),
        (
            {"claim": "c", "measured": {"figure": {"results": "nope", "image": "go", "field": "qps"}}},
            "results 'nope' is not one of",
        ),
        ({"claim": "c", "measured": {"figure": {"results": "g", "image": "go", "field": "speed"}}}, "field"),
    ],
)
def test_a_bad_claims_file_is_exit_2_naming_the_key(tmp_path, claim, message):
    path = _claims_file(tmp_path, [claim])
    with pytest.raises(UsageError, match=message):
        model.load(path)
    done = subprocess.run([sys.executable, "-m", "cprofiler", "claims", str(path)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and str(path) in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_the_articles_claims_file_names_results_that_exist():
    claims = model.load(ROOT / "docs" / "claims" / "article.yaml")
    assert all(p.is_file() for p in claims.results.values()), claims.results
