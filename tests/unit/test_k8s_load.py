"""cprofiler k8s from a load phase: the sizing rate, the arithmetic of the load basis, --at-rate
refusals, the HorizontalPodAutoscaler rule, and every new document through kubernetes-validate.

A sweep of 100, 200 and 400 requests/s, three repeats each, with a p99 SLO of 50 ms that 400/s
misses: by default the requests are sized at 200/s.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from cprofiler.errors import CprofilerError, UsageError
from cprofiler.manifests.autoscale import HPA_TOLERANCE, MAX_TARGET_PERCENT, MIN_TARGET_PERCENT, autoscaling
from cprofiler.manifests.formats.registry import FORMATS
from cprofiler.manifests.options import K8sOptions, Source
from cprofiler.manifests.quantities import exact
from cprofiler.manifests.rates import Capacity
from cprofiler.manifests.recommend import recommend
from cprofiler.manifests.render import TARGET_KUBERNETES_VERSION, recommend_all, render, yaml_stream
from cprofiler.manifests.sizing import Sizing
from cprofiler.manifests.summary.registry import SUMMARIES
from cprofiler.results import runlog
from cprofiler.results.load import Ceiling
from cprofiler.results.model import ImageResult
from tests.unit.test_k8s import (
    MIB,
    VERSIONS,
    apply_patch,
    base_workload,
    image,
    kubernetes_validate_strict,
    lifetime_run,
    loaded,
    results,
    step,
)

OPTS = K8sOptions(results_file="results.json")
REAL = Path(__file__).resolve().parents[1] / "data" / "load" / "results-closed-loop.json"

#: rate -> (p99 ms, working-set peaks, cores, qps) of its three repeats.
SWEEP = {
    100.0: (10.0, (50, 50, 50), (0.1, 0.1, 0.1), 100.0),
    200.0: (30.0, (60, 64, 70), (0.2, 0.22, 0.24), 200.0),
    400.0: (80.0, (90, 95, 120), (0.4, 0.4, 0.4), 390.0),
}


def sweep_steps(**override: dict[str, Any]) -> list[dict[str, Any]]:
    """The sweep's steps, interleaved as cprofiler runs them; ``override["400.0:2"]`` changes one."""
    out = []
    for i in range(3):
        for rate, (p99, peaks, cores, qps) in SWEEP.items():
            s = step(rate, i, peak=peaks[i] * MIB, cpu=cores[i], qps=qps, p99=p99)
            out.append({**s, **override.get(f"{rate}:{i}", {})})
    return out


def web(slo: float | None = 50.0, **kwargs: Any) -> ImageResult:
    return loaded("web", sweep_steps(), slo=slo, **kwargs)


def closed() -> ImageResult:
    return loaded("api", [step(None, 0, peak=10 * MIB, cpu=0.5, qps=2400.0), step(None, 1, peak=12 * MIB, cpu=0.6, qps=2600.0)])


def header(rec: Any) -> str:
    return "\n".join(rec.explanation())


# --- the sizing rate and the load basis ---------------------------------------------------------


def test_by_default_requests_come_from_the_highest_rate_within_the_slo() -> None:
    rec = recommend(web(), OPTS)
    assert rec.basis == "load" and not rec.idle
    assert rec.sized_at is not None and rec.sized_at.rate == 200.0
    # p95 of 60, 64, 70 MiB = 69.4 MiB; x 1.15 = 79.81 -> 80Mi.
    assert rec.memory_request_bytes == 80 * MIB
    # p90 of 0.2, 0.22, 0.24 cores = 0.236; x 1.15 = 0.2714 -> 272m.
    assert rec.cpu_request_millicores == 272
    # The limit covers the largest peak of every step, at any rate: 120 MiB at 400/s; x 1.15 = 138Mi.
    assert rec.memory_limit_bytes == 138 * MIB
    assert rec.formula[0] == (
        "memory request = max(16Mi floor, p95 working-set peak under load at 200 requests/s 69.4MiB x 1.15, up to Mi) = 80Mi"
    )
    assert rec.formula[1] == "memory limit   = max(request, max peak under load or at start-up 120.0MiB x 1.15, up to Mi) = 138Mi"
    assert (
        rec.formula[2] == "cpu request    = max(10m floor, p90 CPU under load at 200 requests/s 236.0m x 1.15, up to 1m) = 272m"
    )


def test_the_header_names_the_rate_and_statistic_of_every_figure() -> None:
    text = header(recommend(web(), OPTS))
    assert "basis: load: 3 ok load steps at 200 requests/s (the highest rate within the p99 <= 50ms SLO)" in text
    assert (
        "load figures: requests sized at 200 requests/s (the highest rate within the p99 <= 50ms SLO; --at-rate to choose), "
        "from 3 ok steps of 10s, 16 connections, oha 1.16.0, GET /" in text
    )
    assert "percentiles over the ok load steps at 200 requests/s (memory and CPU requests) and the ok runs (startupProbe)" in text
    assert "idle figures" not in text and "idle risk" not in text


def test_at_rate_sizes_at_that_rate() -> None:
    rec = recommend(web(), replace(OPTS, at_rate=400))
    assert rec.sized_at is not None and rec.sized_at.rate == 400.0 and rec.sized_at.why == "chosen with --at-rate"
    # p95 of 90, 95, 120 MiB = 117.5 MiB; x 1.15 = 135.125 -> 136Mi; 0.4 cores x 1.15 = 460m.
    assert (rec.memory_request_bytes, rec.cpu_request_millicores) == (136 * MIB, 460)


def test_without_an_slo_the_highest_measured_rate_is_used() -> None:
    rec = recommend(web(slo=None), OPTS)
    assert rec.sized_at is not None and rec.sized_at.rate == 400.0
    assert rec.sized_at.why == "the highest rate served, every lower rate too (no slo:)"


def test_when_no_rate_met_the_slo_the_highest_measured_rate_is_used_and_said() -> None:
    rec = recommend(web(slo=5.0), OPTS)
    assert rec.sized_at is not None and rec.sized_at.rate == 400.0
    assert "no rate met the p99 <= 5ms SLO" in header(rec)


def test_a_failed_load_phase_sizes_nothing_and_idle_figures_need_from_idle() -> None:
    dead = {"status": "unresponsive", "peak": None}
    steps = sweep_steps(**{f"400.0:{i}": {**dead, "status": "unresponsive", "qps": None, "cpu_cores": None} for i in range(3)})
    with pytest.raises(CprofilerError, match=r"image 'web' skipped: its load phase failed \(3 of 9 load steps unresponsive"):
        recommend(loaded("web", steps), OPTS)
    rec = recommend(loaded("web", steps), replace(OPTS, from_idle=True))
    assert rec.sized_at is None and rec.idle and rec.autoscaling is None
    assert "WARNING: image 'web': the load phase failed (3 of 9 load steps unresponsive (at 400/s))" in header(rec)


def test_closed_loop_is_a_saturation_figure_and_says_so() -> None:
    rec = recommend(closed(), OPTS)
    assert rec.sized_at is not None and rec.sized_at.rate is None
    # p90 of 0.5 and 0.6 cores = 0.59; x 1.15 = 0.6785 -> 679m; peaks of 10-12 MiB stay under the 16Mi floor.
    assert (rec.cpu_request_millicores, rec.memory_request_bytes) == (679, 16 * MIB)
    text = header(rec)
    assert "load figures: closed loop, as fast as it goes" in text and "a saturation figure" in text
    assert "p90 CPU under load in the closed loop 590.0m" in text


# --- --at-rate refusals -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("img", "at_rate", "message"),
    [
        (web(), 150, "--at-rate 150: image 'web' was not measured at that rate; measured rates: 100, 200, 400"),
        (closed(), 100, "--at-rate 100: image 'api' was measured closed loop only (as fast as it goes), at no rate"),
        (image("idle"), 100, "--at-rate 100: image 'idle' has no load phase; select the images measured under load with --only"),
        (
            loaded("web", sweep_steps(**{f"200.0:{i}": {"status": "oomkilled", "qps": None} for i in range(3)})),
            200,
            "--at-rate 200: the load phase of image 'web' failed (3 of 9 load steps oomkilled (at 200/s)), so no rate "
            "of it was served to size at",
        ),
    ],
)
def test_an_unmeasured_at_rate_is_one_line_naming_the_measured_rates(img: ImageResult, at_rate: float, message: str) -> None:
    with pytest.raises(UsageError) as info:
        recommend(img, replace(OPTS, at_rate=at_rate))
    assert str(info.value).startswith(message) and "\n" not in str(info.value)
    assert info.value.exit_code == 2


def test_the_command_line_refuses_an_unmeasured_rate_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cprofiler", "k8s", str(REAL), "--only", "cheap", "--at-rate", "300"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("cprofiler: --at-rate 300: image 'cheap' was measured closed loop only")
    assert done.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("kwargs", "flag"),
    [
        ({"at_rate": -5}, "--at-rate -5"),
        ({"min_replicas": 0}, "--min-replicas 0"),
        ({"min_replicas": 3, "max_replicas": 2}, "--max-replicas 2 is below --min-replicas 3"),
        ({"hpa_headroom": 0}, "--hpa-headroom 0"),
        ({"hpa_headroom": 1.5}, "--hpa-headroom 1.5"),
    ],
)
def test_bad_load_options_name_the_flag(kwargs: dict[str, Any], flag: str) -> None:
    with pytest.raises(UsageError, match=flag):
        K8sOptions(**kwargs)


# --- failures, OOM kills, generator-bound steps -------------------------------------------------


def test_an_oom_kill_under_load_bumps_memory_by_the_vpa_rule() -> None:
    steps = sweep_steps(**{"400.0:2": {"status": "oomkilled", "qps": None, "cpu_cores": None}})
    rec = recommend(loaded("web", steps, slo=50.0, memory_limit_bytes=128 * MIB), replace(OPTS, from_idle=True))
    # Killed at the 128 MiB engine limit (above its last 120 MiB reading): max(128 + 100, 128 x 1.2) = 228Mi.
    assert rec.oom_bumped and rec.memory_request_bytes == rec.memory_limit_bytes == 228 * MIB
    assert any(n.startswith("1 load step(s) were OOM-killed at about 128.0MiB") for n in rec.notes)
    assert rec.idle and "WARNING: image 'web': the load phase failed (1 of 9 load steps oomkilled (at 400/s))" in header(rec)


def test_generator_bound_steps_are_noted() -> None:
    m = results(web())
    m.ceiling = Ceiling(qps=500.0, n=3)  # 400/s steps served 390 QPS: above 70 % of 500
    (rec,) = recommend_all(m, OPTS)
    assert isinstance(rec, Sizing)
    assert any(
        n.startswith("3 load step(s) (400 requests/s) ran above 70% of the load generator's ceiling (500 QPS here)")
        for n in rec.notes
    )


def test_a_load_phase_without_an_ok_step_gives_idle_figures_only_with_from_idle_and_says_so() -> None:
    rec = recommend(loaded("web", [step(100.0, i, status="crashed", peak=None) for i in range(2)]), replace(OPTS, from_idle=True))
    assert rec.basis == "settle-snapshot" and rec.idle and rec.autoscaling is None
    assert "the load phase failed (2 of 2 load steps crashed (at 100/s))" in header(rec) and "idle risk" in header(rec)


def test_idle_headers_say_the_figures_are_idle_and_what_that_risks() -> None:
    text = header(recommend(image(), OPTS))
    assert "idle figures: no load was applied; they cover start-up and an idle service, not traffic" in text
    assert "idle risk: under traffic the pod is under-provisioned: memory grows with concurrency" in text
    assert "the CPU request covers idle only" in text and "add a load: block" in text


# --- the HorizontalPodAutoscaler rule -----------------------------------------------------------


def _rule(c: Fraction, q: Fraction, request_m: int, headroom: Fraction) -> tuple[int, Fraction]:
    raw = 100 * headroom * c * q / (1 + HPA_TOLERANCE) / Fraction(request_m, 1000)
    target = min(MAX_TARGET_PERCENT, max(MIN_TARGET_PERCENT, math.floor(raw)))
    return target, Fraction(target, 100) * (1 + HPA_TOLERANCE) * Fraction(request_m, 1000) / c


def test_hpa_target_follows_from_the_cpu_per_request_at_capacity() -> None:
    rec = recommend(web(), OPTS)
    hpa = rec.autoscaling
    assert hpa is not None
    # c = median(0.2, 0.22, 0.24) / 200 = 1.1m per request/s; Q = 200/s (the SLO's); request 272m:
    # 100 x 0.8 x 0.0011 x 200 / 1.1 / 0.272 = 58.8 -> 58 %.
    assert hpa.target_percent == 58
    assert hpa.capacity_qps == 200.0 and hpa.cores_per_qps == pytest.approx(0.0011)
    target, scale_out = _rule(exact(0.22) / 200, Fraction(200), 272, Fraction(4, 5))
    assert (hpa.target_percent, hpa.scale_out_qps) == (target, pytest.approx(float(scale_out)))
    assert round(hpa.scale_out_qps) == 158  # 0.58 x 1.1 x 0.272 / 0.0011: below 0.8 x 200
    line = next(f for f in rec.formula if f.startswith("HPA target     = "))
    assert line == (
        "HPA target     = clamp(20%, 0.8 headroom x 1.1m per request/s x 200 requests/s capacity (the median 2xx rate achieved "
        "at 200/s, the highest rate within the p99 <= 50ms SLO) / 1.1 HPA tolerance / 272m request, 90%) = 58% CPU: "
        "pods scale out above about 158 requests/s each; 1 to 10 replicas"
    )


def test_hpa_capacity_stays_the_slo_rate_when_sized_lower_and_the_target_is_held_at_90() -> None:
    rec = recommend(web(), replace(OPTS, at_rate=100))
    hpa = rec.autoscaling
    assert hpa is not None and rec.cpu_request_millicores == 115
    # 0.22 cores at capacity on a 115m request: 100 x 0.8 x 0.22 / 1.1 / 0.115 = 139 % -> held at 90 %.
    assert hpa.capacity_qps == 200.0 and hpa.target_percent == MAX_TARGET_PERCENT
    assert round(hpa.scale_out_qps) == 104  # 0.9 x 1.1 x 0.115 / 0.0011 = 103.5
    assert any("more than its 115m request allows: the HPA target is held at 90%" in n for n in rec.notes)


def test_hpa_target_is_held_at_20_when_the_request_dwarfs_the_cpu_at_capacity() -> None:
    rec = recommend(web(), replace(OPTS, at_rate=400, hpa_headroom=0.2))
    assert rec.autoscaling is not None and rec.autoscaling.target_percent == MIN_TARGET_PERCENT
    assert any("the HPA target is held at 20%" in n and "size at a lower --at-rate" in n for n in rec.notes)


def test_closed_loop_capacity_is_the_median_qps_reached() -> None:
    hpa = recommend(closed(), OPTS).autoscaling
    assert hpa is not None and hpa.capacity_qps == 2500.0
    target, _ = _rule(exact((0.5 / 2400 + 0.6 / 2600) / 2), Fraction(2500), 679, Fraction(4, 5))
    assert hpa.target_percent == target == 58
    assert "saturation, with no latency bound" in hpa.capacity_why


@pytest.mark.parametrize(("request_m", "expected"), [(100, 90), (300, 48), (1000, 20)])
def test_the_rule_on_round_figures(request_m: int, expected: int) -> None:
    # 1m per request/s x 200/s = 0.2 cores at capacity; 0.8 x 0.2 / 1.1 = 0.1454 cores at the target.
    cap = Capacity(qps=Fraction(200), why="test", cores_per_qps=[0.001, 0.001])
    hpa = autoscaling(cap, request_m, headroom=0.8, min_replicas=2, max_replicas=5)
    assert hpa.target_percent == expected
    assert (hpa.min_replicas, hpa.max_replicas) == (2, 5)
    assert (hpa.note is None) == (expected not in (MIN_TARGET_PERCENT, MAX_TARGET_PERCENT))


def test_no_hpa_for_idle_images_jobs_or_with_no_hpa() -> None:
    assert recommend(image(), OPTS).autoscaling is None
    job = image("etl", ready={"exit": True}, runs=[lifetime_run(i) for i in range(3)])
    assert recommend(job, OPTS).autoscaling is None
    rec = recommend(web(), replace(OPTS, hpa=False))
    assert rec.autoscaling is None and not any(f.startswith("HPA") for f in rec.formula)
    doc = yaml.safe_load(render(results(web()), "deployment", replace(OPTS, hpa=False))["web.deployment.yaml"])
    assert doc["spec"]["replicas"] == 1


def test_no_hpa_without_cpu_at_capacity_and_the_note_says_why() -> None:
    rec = recommend(loaded("web", [step(100.0, i, cpu=None) for i in range(2)]), OPTS)
    assert rec.autoscaling is None and rec.cpu_request_millicores == 10
    assert any(n.startswith("no HPA: no ok load step at the capacity rate has both CPU and QPS") for n in rec.notes)
    assert "cpu request    = 10m floor (no CPU under load at 100 requests/s measured)" in rec.formula


# --- documents ----------------------------------------------------------------------------------


def mixed() -> Any:
    """A sweep, a closed-loop image, an idle service and a batch job in one results file."""
    return results(web(), closed(), image("worker"), image("etl", ready={"exit": True}, runs=[lifetime_run(i) for i in range(3)]))


def test_the_deployment_file_holds_the_deployment_and_its_hpa() -> None:
    text = render(results(web()), "deployment", replace(OPTS, max_replicas=20, explain=True))["web.deployment.yaml"]
    deployment, hpa = yaml.safe_load_all(text)
    assert "replicas" not in deployment["spec"]  # the HPA owns the count
    assert hpa == {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web", "labels": deployment["metadata"]["labels"], "annotations": hpa["metadata"]["annotations"]},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 1,
            "maxReplicas": 20,
            "metrics": [
                {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 58}}}
            ],
        },
    }
    # One provenance annotation, the Deployment's: the two are sized from the same figures.
    assert hpa["metadata"]["annotations"] == deployment["metadata"]["annotations"]
    assert list(hpa["metadata"]["annotations"]) == ["cprofiler.dev/provenance"]
    assert "= 58% CPU: pods scale out above about 158 requests/s each; 1 to 20 replicas" in re.sub(r"\n#   +", " ", text)
    assert "# the HorizontalPodAutoscaler below owns the replica count" in text


def test_a_stream_of_deployments_and_hpas_has_unique_kind_name_pairs() -> None:
    stream = yaml_stream(render(mixed(), "deployment", OPTS))
    docs = list(yaml.safe_load_all(stream))
    pairs = [(d["kind"], d["metadata"]["name"]) for d in docs]
    assert pairs == [
        ("Deployment", "web"),
        ("HorizontalPodAutoscaler", "web"),
        ("Deployment", "api"),
        ("HorizontalPodAutoscaler", "api"),
        ("Deployment", "worker"),
        ("Job", "etl"),
    ]
    assert len(set(pairs)) == len(pairs)
    deployments = {d["metadata"]["name"] for d in docs if d["kind"] == "Deployment"}
    assert {d["spec"]["scaleTargetRef"]["name"] for d in docs if d["kind"] == "HorizontalPodAutoscaler"} <= deployments
    worker = next(d for d in docs if d["metadata"]["name"] == "worker")
    assert worker["spec"]["replicas"] == 1  # no HPA: idle figures


@pytest.mark.parametrize("version", VERSIONS)
def test_every_load_file_and_the_stream_pass_kubernetes_validate_strict(tmp_path: Path, version: str) -> None:
    paths = []
    for fmt in ("deployment", "kustomize"):
        files = render(mixed(), fmt, OPTS, index=True)
        folder = tmp_path / fmt
        folder.mkdir()
        for name, text in files.items():
            # kustomize's patches are partial objects (checked merged, in test_k8s) and the
            # kustomization is not a Kubernetes object: its HPA files are.
            if fmt == "deployment" or name.endswith(".hpa.yaml"):
                (folder / name).write_text(text, encoding="utf-8")
                paths.append(folder / name)
        if fmt == "deployment":
            (folder / "stream.yaml").write_text(yaml_stream(files), encoding="utf-8")
            paths.append(folder / "stream.yaml")
    assert len(paths) == 4 + 1 + 2  # four workload files, the stream, two kustomize HPAs
    done = kubernetes_validate_strict(paths, version)
    assert done.returncode == 0, done.stdout + done.stderr


def test_kustomize_lists_the_hpa_as_a_resource_and_removes_the_replicas() -> None:
    files = render(results(web(), image("worker")), "kustomize", OPTS, index=True)
    assert list(files) == ["web.patch.yaml", "worker.patch.yaml", "web.hpa.yaml", "kustomization.yaml"]
    kustomization = yaml.safe_load(files["kustomization.yaml"])
    assert kustomization["resources"] == ["../base", "web.hpa.yaml"]
    assert kustomization["patches"] == [{"path": "web.patch.yaml"}, {"path": "worker.patch.yaml"}]
    patch = yaml.safe_load(files["web.patch.yaml"])
    assert patch["spec"]["replicas"] is None
    assert "replicas" not in yaml.safe_load(files["worker.patch.yaml"])["spec"]
    base = base_workload("Deployment", "web", "web")
    base["spec"]["replicas"] = 3
    assert "replicas" not in apply_patch(base, patch)["spec"]
    hpa = yaml.safe_load(files["web.hpa.yaml"])
    assert hpa["kind"] == "HorizontalPodAutoscaler" and hpa["spec"]["scaleTargetRef"]["name"] == "web"
    assert files["web.hpa.yaml"].startswith("# web.hpa.yaml: cprofiler k8s results.json --format kustomize\n")


def test_a_real_kustomize_build_takes_the_hpa_and_drops_the_replicas(tmp_path: Path) -> None:
    tool = ["kustomize", "build"] if shutil.which("kustomize") else ["kubectl", "kustomize"] if shutil.which("kubectl") else None
    if tool is None:
        pytest.skip("no kustomize or kubectl here; the patch's shape is checked by the test above")
    base = tmp_path / "base"
    base.mkdir()
    workload = base_workload("Deployment", "web", "web")
    workload["spec"]["replicas"] = 3
    (base / "all.yaml").write_text(yaml.safe_dump(workload), encoding="utf-8")
    (base / "kustomization.yaml").write_text("resources: [all.yaml]\n", encoding="utf-8")
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    for name, text in render(results(web()), "kustomize", OPTS, index=True).items():
        (overlay / name).write_text(text, encoding="utf-8")
    done = subprocess.run([*tool, str(overlay)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    built = {d["kind"]: d for d in yaml.safe_load_all(done.stdout)}
    assert set(built) == {"Deployment", "HorizontalPodAutoscaler"}
    assert "replicas" not in built["Deployment"]["spec"]
    assert built["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]["name"] == built["Deployment"]["metadata"]["name"]
    for doc in built.values():
        kubernetes_validate.validate(doc, TARGET_KUBERNETES_VERSION, strict=True)


def test_helm_values_carry_autoscaling_as_helm_create_names_it() -> None:
    values = yaml.safe_load(render(results(web()), "helm", OPTS)["web.values.yaml"])
    assert values["autoscaling"] == {"enabled": True, "minReplicas": 1, "maxReplicas": 10, "targetCPUUtilizationPercentage": 58}
    assert "autoscaling" not in yaml.safe_load(render(results(image("worker")), "helm", OPTS)["worker.values.yaml"])


def test_resources_format_stays_the_block_alone_with_the_hpa_rule_explained() -> None:
    text = render(results(web()), "resources", replace(OPTS, explain=True))["web.resources.yaml"]
    assert list(yaml.safe_load(text)) == ["resources"]
    assert "# HPA target     = clamp(" in text


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_renders_a_load_sized_image(fmt: str) -> None:
    for text in render(results(web(), closed()), fmt, OPTS, index=True).values():
        assert list(yaml.safe_load_all(text))


# --- summaries ----------------------------------------------------------------------------------


def test_summaries_show_the_load_basis_rate_and_hpa() -> None:
    m = mixed()
    recs = recommend_all(m, OPTS)
    source = Source.of(m, OPTS)
    table = SUMMARIES.get("table")(recs, source)
    assert re.search(r"web\s+Deployment/web\s+272m\s+none\s+80Mi\s+138Mi\s+2s \(1s x 3\)\s+load at 200/s\s+58% cpu, 1-10", table)
    assert re.search(
        r"api\s+Deployment/api\s+679m\s+none\s+16Mi\s+\S+\s+\S+ \(1s x 3\)\s+load \(closed loop\)\s+58% cpu, 1-10", table
    )
    assert re.search(r"worker\s+Deployment/worker\s+.*settle-snapshot \(idle\)\s+-\s", table)
    doc = json.loads(SUMMARIES.get("json")(recs, source))
    web_entry, api_entry, worker_entry, etl_entry = doc["recommendations"]
    assert web_entry["basis"] == "load" and web_entry["idle"] is False
    assert web_entry["load"] == {
        "rate": 200.0,
        "closed_loop": False,
        "why": "the highest rate within the p99 <= 50ms SLO",
        "steps": 3,
    }
    assert web_entry["hpa"]["target_cpu_utilization_percent"] == 58
    assert (web_entry["hpa"]["min_replicas"], web_entry["hpa"]["max_replicas"], web_entry["hpa"]["capacity_qps"]) == (
        1,
        10,
        200.0,
    )
    assert api_entry["load"]["closed_loop"] is True
    assert worker_entry["load"] is None and worker_entry["hpa"] is None and etl_entry["hpa"] is None


# --- the real results file ----------------------------------------------------------------------


def test_the_real_closed_loop_file_is_sized_under_load(tmp_path: Path) -> None:
    m = runlog.load(REAL)
    options = replace(OPTS, results_file="load-results.json")
    recs = {r.image_name: r for r in recommend_all(m, options) if isinstance(r, Sizing)}
    assert set(recs) == {"cheap", "costly@cpus=0.5", "costly@cpus=1"}
    cheap = recs["cheap"]
    assert cheap.basis == "load" and cheap.sized_at is not None and cheap.sized_at.rate is None
    # p90 of 0.5406 and 0.5180 cores = 0.5384 x 1.15 = 619.2m -> 620m; 2388 QPS at capacity.
    assert cheap.cpu_request_millicores == 620
    assert cheap.autoscaling is not None and cheap.autoscaling.target_percent == 62
    assert any("throttled by the cpus: cap" in n for n in recs["costly@cpus=0.5"].notes)
    for name, text in render(m, "deployment", replace(options, explain=True)).items():
        assert "# load figures: closed loop, as fast as it goes" in text, name
        for doc in yaml.safe_load_all(text):
            kubernetes_validate.validate(doc, TARGET_KUBERNETES_VERSION, strict=True)
