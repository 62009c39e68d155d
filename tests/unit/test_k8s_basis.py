"""What the manifests say they are sized from, and no more precision than the evidence has.

* ``--backend kubernetes``: one kubelet sample per run, seconds after ready, with no start-up peak:
  a memory request and no memory limit (a peak the runs do hold gives one);
* a closed loop (a ``load:`` without ``rates:``) is a saturation figure: a WARNING in the header,
  the summary table and the summary JSON;
* throttling counts from 1 % of the CFS periods or of the window;
* QPS, capacity and the scale-out rate to 3 significant figures.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from cprofiler.manifests.coverage import THROTTLED_SHARE, throttled
from cprofiler.manifests.options import K8sOptions, Source
from cprofiler.manifests.quantities import significant
from cprofiler.manifests.recommend import recommend
from cprofiler.manifests.render import TARGET_KUBERNETES_VERSION, recommend_all, render
from cprofiler.manifests.sizing import Sizing
from cprofiler.manifests.summary.registry import SUMMARIES
from cprofiler.results import runlog
from cprofiler.results.load import LoadStep
from cprofiler.results.model import ImageResult
from tests.unit.test_k8s import MIB, VERSIONS, image, kubernetes_validate_strict, loaded, results, run, step

OPTS = K8sOptions(results_file="results.json")
RESULTS = Path(__file__).resolve().parents[2] / "docs" / "results"


def kubelet_run(index: int, ws: int = 10 * MIB, peak: int | None = None, after_ms: float = 12000.0) -> dict[str, Any]:
    """A run as ``--backend kubernetes`` records it: one kubelet sample, no cgroup peak, no settle CPU."""
    return {
        **run(index, ws=ws, peak=peak, cpu=None),
        "settle_peak_working_set_bytes": ws,
        "memory_source": "kubelet-summary",
        "memory_sample_after_ready_ms": after_ms,
    }


def on_kubelet(peak: int | None = None) -> ImageResult:
    return image("python-ubuntu", runs=[kubelet_run(i, peak=peak, after_ms=11000.0 + 1500 * i) for i in range(5)])


def header(rec: Sizing) -> str:
    return "\n".join(rec.explanation())


# --- the kubelet basis --------------------------------------------------------------------------


def test_kubelet_samples_give_a_request_and_no_memory_limit() -> None:
    rec = recommend(on_kubelet(), OPTS)
    assert rec.basis == "kubelet-sample"
    # p95 of five 10 MiB samples x 1.15 = 11.5 MiB: under the 16Mi floor.
    assert rec.memory_request_bytes == 16 * MIB
    assert rec.memory_limit_bytes is None
    assert rec.resources() == {"requests": {"cpu": "10m", "memory": "16Mi"}}
    assert any(n.startswith("no memory limit: the kubelet's samples miss the start-up peak") for n in rec.notes)


def test_the_kubelet_header_names_its_basis_not_a_50ms_sampler() -> None:
    text = header(recommend(on_kubelet(), OPTS))
    assert "basis: kubelet-sample: one kubelet /stats/summary working-set sample per run, 11-17s after ready" in text
    assert "the start-up peak is unknown" in text
    assert "sampled every 50ms" not in text
    assert "memory limit   = none: no start-up peak was measured (kubelet samples only)" in text


def test_the_docker_header_still_says_50ms() -> None:
    assert "sampled every 50ms" in header(
        recommend(image(runs=[{**run(i), "settle_peak_working_set_bytes": 40 * MIB} for i in range(3)]), OPTS)
    )


def test_with_a_start_up_peak_the_limit_comes_from_the_peak() -> None:
    # python-ubuntu's Docker peak: 24.5 MiB x 1.15 = 28.175 MiB -> 29Mi (the kubelet sample alone gave 16Mi).
    rec = recommend(on_kubelet(peak=int(24.5 * MIB)), OPTS)
    assert rec.basis == "kubelet-sample"
    assert rec.memory_limit_bytes == 29 * MIB
    assert rec.resources()["limits"] == {"memory": "29Mi"}
    assert "limit from the largest start-up peak" in header(rec)
    docker = recommend(
        image(runs=[{**run(i, ws=10 * MIB, peak=int(24.5 * MIB)), "settle_peak_working_set_bytes": 10 * MIB} for i in range(3)]),
        OPTS,
    )
    assert (docker.basis, docker.memory_limit_bytes) == ("settle-peak", 29 * MIB)


def test_a_cpu_limit_alone_is_written_when_memory_has_none() -> None:
    rec = recommend(on_kubelet(), replace(OPTS, cpu_limit="500m"))
    assert rec.resources()["limits"] == {"cpu": "500m"}


def test_an_oom_kill_on_the_kubelet_basis_still_bumps_request_and_limit() -> None:
    runs = [kubelet_run(i) for i in range(3)] + [{**kubelet_run(3), "status": "oomkilled", "working_set_bytes": None}]
    rec = recommend(image("k", runs=runs), OPTS)
    # No peak recorded: the bump starts from the samples' 10 MiB: max(110, 12) -> 110Mi for both.
    assert rec.oom_bumped and rec.memory_request_bytes == rec.memory_limit_bytes == 110 * MIB


def test_the_real_kubernetes_results_get_no_memory_limit() -> None:
    m = runlog.load(RESULTS / "kubernetes.json")
    recs = [r for r in recommend_all(m, replace(OPTS, results_file="kubernetes.json")) if isinstance(r, Sizing)]
    assert recs and all(r.basis == "kubelet-sample" and r.memory_limit_bytes is None for r in recs)
    ubuntu = next(r for r in recs if r.image_name == "python-ubuntu")
    assert "limits" not in ubuntu.resources()


def test_summaries_show_no_memory_limit_as_none() -> None:
    m = results(on_kubelet())
    recs = recommend_all(m, OPTS)
    table = SUMMARIES.get("table")(recs, Source.of(m, OPTS))
    assert re.search(r"python-ubuntu\s+Deployment/python-ubuntu\s+10m\s+none\s+16Mi\s+none\s", table)
    entry = json.loads(SUMMARIES.get("json")(recs, Source.of(m, OPTS)))["recommendations"][0]
    assert entry["memory_limit_bytes"] is None and entry["resources"] == {"requests": {"cpu": "10m", "memory": "16Mi"}}


@pytest.mark.parametrize("version", VERSIONS)
def test_request_only_manifests_pass_kubernetes_validate_strict(tmp_path: Path, version: str) -> None:
    m = results(on_kubelet(), on_kubelet(peak=int(24.5 * MIB)).model_copy(update={"name": "with-peak"}))
    paths = []
    for name, text in render(m, "deployment", OPTS).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        paths.append(tmp_path / name)
        for doc in yaml.safe_load_all(text):
            kubernetes_validate.validate(doc, TARGET_KUBERNETES_VERSION, strict=True)
    done = kubernetes_validate_strict(paths, version)
    assert done.returncode == 0, done.stdout + done.stderr


# --- closed loop: a saturation figure -----------------------------------------------------------


def closed() -> ImageResult:
    return loaded("api", [step(None, i, cpu=0.5, qps=2400.0 + 100 * i) for i in range(3)], cpus=0.5)


def swept() -> ImageResult:
    return loaded("web", [step(r, 0, qps=r) for r in (100.0, 200.0)], slo=50.0)


def test_a_closed_loop_is_a_warning_in_the_header() -> None:
    lines = recommend(closed(), OPTS).explanation()
    warning = next(line for line in lines if line.startswith("WARNING: "))
    assert "sized from a closed loop (a load: without rates:), a saturation figure" in warning
    assert "its cpus: 0.5 cap plus the margin" in warning and "add rates: and slo:" in warning
    assert not [line for line in recommend(swept(), OPTS).explanation() if line.startswith("WARNING")]


def test_a_closed_loop_is_a_warning_in_the_summary_table_and_json() -> None:
    m = results(closed(), swept())
    recs = recommend_all(m, OPTS)
    table = SUMMARIES.get("table")(recs, Source.of(m, OPTS))
    assert "- WARNING: api: sized from a closed loop" in table and "WARNING: web" not in table
    assert re.search(r"api\s+.*load \(closed loop\)\s+\S+ cpu, 1-10\s+\d+ \+ WARNING", table)
    api, web = json.loads(SUMMARIES.get("json")(recs, Source.of(m, OPTS)))["recommendations"]
    assert api["warnings"][0].startswith("WARNING: sized from a closed loop") and "rates: and slo:" in api["warnings"][0]
    assert not any(w.startswith("WARNING") for w in web["warnings"])


# --- throttling ---------------------------------------------------------------------------------


def load_step(periods: int, ms: float, window_s: float | None = 20.0) -> LoadStep:
    return LoadStep.model_validate({"rate": None, "throttled_periods": periods, "throttled_ms": ms, "cpu_window_s": window_s})


@pytest.mark.parametrize(
    ("periods", "ms", "expected"),
    [
        (0, 0.0, False),
        (1, 0.018, False),  # one period of 200, 0.018 ms of 20 s: a blip
        (1, 0.085, False),
        (2, 1.0, False),  # 1 % of the 200 periods in 20 s: not more
        (3, 1.0, True),
        (30, 55.5, True),
        (1, 250.0, True),  # 1.25 % of the window's time
        (201, 10111.0, True),
    ],
)
def test_throttled_needs_one_percent_of_periods_or_time(periods: int, ms: float, expected: bool) -> None:
    assert THROTTLED_SHARE == 0.01
    assert throttled(load_step(periods, ms), 20.0) is expected


def test_without_a_recorded_window_the_phase_duration_is_the_window() -> None:
    assert throttled(load_step(1, 0.018, None), 20.0) is False  # 1 of 200 periods
    assert throttled(load_step(1, 0.018, None), 2.0) is True  # 1 of 20 periods: 5 %


def test_the_throttling_note_skips_a_blip() -> None:
    # Steps of 10 s: 100 CFS periods, one of them throttled for 0.018 ms.
    blips = [{**step(None, i, cpu=0.99, qps=5000.0), "throttled_periods": 1, "throttled_ms": 0.018} for i in range(3)]
    rec = recommend(loaded("g", blips, cpus=1.0), OPTS)
    assert not any("throttled" in n for n in rec.notes)
    held = [{**s, "throttled_periods": 30, "throttled_ms": 55.5} for s in blips]
    note = next(n for n in recommend(loaded("g", held, cpus=1.0), OPTS).notes if "throttled" in n)
    assert note.startswith("throttled by the cpus: cap in 3 of 3 steps sized from (in more than 1% of their CFS periods or time)")


# --- precision to the evidence ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (25532, "25500"),
        (25550.4, "25600"),
        (31622.017, "31600"),
        (4428.5, "4430"),
        (200, "200"),
        (158.3, "158"),
        (999.6, "1000"),
        (4.8234, "4.82"),
        (1.1, "1.1"),
        (0.030812, "0.0308"),
        (0, "0"),
    ],
)
def test_three_significant_figures(value: float, text: str) -> None:
    assert significant(value) == text


def test_the_hpa_sentence_has_three_significant_figures() -> None:
    m = runlog.load(RESULTS / "gateway-closed-loop.json")
    recs = [r for r in recommend_all(m, replace(OPTS, results_file="gateway-closed-loop.json")) if isinstance(r, Sizing)]
    lines = [f for r in recs for f in r.formula if f.startswith("HPA target")]
    assert len(lines) == len(recs) == 6
    for line in lines:
        for number in re.findall(r"([\d.]+) requests/s", line):
            digits = number.replace(".", "").strip("0")
            assert len(digits) <= 3, line
    go = next(r for r in recs if r.image_name == "go@cpus=1")
    assert go.autoscaling is not None and round(go.autoscaling.scale_out_qps) == 25532
    assert "pods scale out above about 25500 requests/s each" in go.autoscaling.formula
