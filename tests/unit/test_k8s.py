"""cprofiler.manifests on fixed synthetic results: the arithmetic, the notes, and every format.

Every manifest is checked against the Kubernetes OpenAPI schema that kubernetes-validate ships
(offline, strict: unknown fields fail), for the version we target and the newest it knows.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from cprofiler.errors import CprofilerError, UsageError
from cprofiler.manifests.formats.registry import FORMATS, formats_help
from cprofiler.manifests.names import dns_label, is_dns_label
from cprofiler.manifests.options import K8sOptions
from cprofiler.manifests.probes import STARTUP_COVER, STARTUP_MIN_FAILURES, guaranteed_window_s, startup_timing
from cprofiler.manifests.quantities import ceil_mib, cpu_quantity, exact, memory_quantity, parse_cpu_quantity
from cprofiler.manifests.recommend import recommend
from cprofiler.manifests.render import TARGET_KUBERNETES_VERSION, render, skip_reason, yaml_stream
from cprofiler.results import writer
from cprofiler.results.load import LoadResult
from cprofiler.results.model import ImageResult, Measurement
from cprofiler.results.stats import percentile

MIB = 1 << 20
GIB = 1 << 30
OPTS = K8sOptions(results_file="results.json")
# Kubernetes' canonical quantities as cprofiler writes them: whole binary units, millicores, cores.
MEMORY_RE = re.compile(r"^[1-9][0-9]*(Ki|Mi|Gi|Ti|Pi|Ei)?$")
CPU_RE = re.compile(r"^[1-9][0-9]*m?$")
VERSIONS = sorted({TARGET_KUBERNETES_VERSION, kubernetes_validate.latest_version()})


def kubernetes_validate_strict(paths: list[Path], version: str) -> subprocess.CompletedProcess[str]:
    """The kubernetes-validate command, strict, on ``paths`` against ``version``'s schemas (skips the
    test where the command is not installed)."""
    tool = shutil.which("kubernetes-validate")
    if tool is None:
        pytest.skip("the kubernetes-validate command is not installed")
    return subprocess.run([tool, "--strict", "--quiet", "-k", version, *map(str, paths)], capture_output=True, text=True)


# --- synthetic results --------------------------------------------------------------------------


def run(
    index: int = 0,
    status: str = "ok",
    ws: int | None = 40 * MIB,
    peak: int | None = 50 * MIB,
    cpu: float | None = 0.002,
    ready: float | None = 200.0,
) -> dict[str, Any]:
    """One run record, shaped as ``cprofiler measure`` writes it."""
    return {
        "image": "x",
        "index": index,
        "status": status,
        "exit_code": 137 if status == "oomkilled" else None,
        "create_ms": 20.0,
        "start_ms": 40.0,
        "ready_ms": ready,
        "working_set_bytes": ws,
        "rss_bytes": ws,
        "peak_bytes": peak,
        "pss_bytes": None,
        "settle_cpu_cores": cpu,
        "error": None if status == "ok" else status,
    }


def image(
    name: str = "go",
    runs: list[dict[str, Any]] | None = None,
    ready: dict[str, Any] | None = None,
    memory_limit_bytes: int | None = None,
    cpus: float | None = None,
) -> ImageResult:
    """One image entry, typed; by default 5 identical ok runs of an http service."""
    return ImageResult.model_validate(
        {
            "name": name,
            "image": {"tag": f"cprofiler/{name}:1a2b3c", "id": "sha256:" + "0" * 64},
            "image_size_bytes": 10 * MIB,
            "layers": 2,
            "memory_limit_bytes": memory_limit_bytes,
            "cpus": cpus,
            "ready": ready if ready is not None else {"http": {"port": 8080, "path": "/healthz"}},
            "runs": runs if runs is not None else [run(i) for i in range(5)],
            "summary": {},
        }
    )


def results(*images: ImageResult, cold: str | None = "warm") -> Measurement:
    """A measurement of ``images`` (default: one), read back through the results model as a file would be."""
    return Measurement.from_json(results_doc(*images, cold=cold), where="test results")


def results_doc(*images: ImageResult, cold: str | None = "warm") -> dict[str, Any]:
    settings: dict[str, Any] = {"scenario_file": "/s.yaml", "runs": 5, "warmup": 1, "settle_s": 1.0, "timeout_s": 60}
    if cold is not None:
        settings["cold"] = cold
    return {
        "schema": "cprofiler/results/v2",
        "cprofiler_version": "0.1.0",
        "environment": {},
        "settings": settings,
        "started_at": "2025-01-01T00:00:00+00:00",
        "images": [writer.image_json(i) for i in images or [image()]],
    }


def spread(key: str, values: list[Any]) -> list[dict[str, Any]]:
    """Ok runs whose ``key`` takes each of ``values`` in turn (other fields at their defaults)."""
    return [run(i, **{key: v}) for i, v in enumerate(values)]


def step(
    rate: float | None,
    repeat: int = 0,
    *,
    peak: int | None = 60 * MIB,
    cpu: float | None = 0.2,
    qps: float | None = None,
    p99: float = 10.0,
    status: str = "ok",
) -> dict[str, Any]:
    """One load step, shaped as ``cprofiler measure`` writes it; ``qps`` defaults to the rate."""
    served = qps if qps is not None else rate
    return {
        "rate": rate,
        "repeat": repeat,
        "status": status,
        "qps": served if status == "ok" else None,
        "latency_ms": {"p50": p99 / 4, "p90": p99 / 2, "p99": p99, "p999": p99, "max": p99},
        "cpu_cores": cpu if status == "ok" else None,
        "working_set_peak_bytes": peak,
    }


def loaded(name: str, steps: list[dict[str, Any]], slo: float | None = None, **kwargs: Any) -> ImageResult:
    """An http service with a load phase of ``steps`` (oha, 16 connections, 10 s steps)."""
    img = image(name, **kwargs)
    load = {"generator": "oha", "generator_version": "1.16.0", "connections": 16, "duration_s": 10.0, "warmup_s": 2.0}
    return img.model_copy(
        update={"load": LoadResult.model_validate({**load, "request": "GET /", "slo_p99_ms": slo, "steps": steps})}
    )


# --- quantities and names -----------------------------------------------------------------------


def test_exact_takes_the_shortest_decimal() -> None:
    assert exact(0.15) == exact(15) / 100
    assert exact(0.1) + exact(0.2) == exact(0.3)


@pytest.mark.parametrize(("n_bytes", "rounded"), [(1, MIB), (MIB, MIB), (MIB + 1, 2 * MIB), (exact(96.5 * MIB), 97 * MIB)])
def test_ceil_mib_rounds_up_to_whole_mebibytes(n_bytes: Any, rounded: int) -> None:
    assert ceil_mib(n_bytes) == rounded


@pytest.mark.parametrize(
    ("n_bytes", "text"), [(96 * MIB, "96Mi"), (GIB, "1Gi"), (1536 * MIB, "1536Mi"), (3 * GIB, "3Gi"), (1000, "1000")]
)
def test_memory_quantity_is_canonical(n_bytes: int, text: str) -> None:
    assert memory_quantity(n_bytes) == text


@pytest.mark.parametrize(("millicores", "text"), [(10, "10m"), (250, "250m"), (1000, "1"), (1500, "1500m"), (4000, "4")])
def test_cpu_quantity_is_canonical(millicores: int, text: str) -> None:
    assert cpu_quantity(millicores) == text


@pytest.mark.parametrize(
    ("text", "millicores"), [("500m", 500), ("1", 1000), ("1.5", 1500), ("0.25", 250), (".5", 500), ("0.0001", 1)]
)
def test_parse_cpu_quantity(text: str, millicores: int) -> None:
    assert parse_cpu_quantity(text) == millicores


@pytest.mark.parametrize("text", ["", "abc", "-1", "0", "0m", "1Gi", "1.5.2"])
def test_parse_cpu_quantity_rejects_what_is_not_cpu(text: str) -> None:
    with pytest.raises(ValueError, match="CPU quantity"):
        parse_cpu_quantity(text)


@pytest.mark.parametrize(
    ("name", "label"),
    [("go", "go"), ("Go_Server.v2", "go-server-v2"), ("node--22", "node-22"), ("_py_", "py"), ("a" * 80, "a" * 63)],
)
def test_dns_label(name: str, label: str) -> None:
    assert dns_label(name) == label
    assert is_dns_label(label)


def test_dns_label_never_ends_in_a_dash_after_truncation() -> None:
    label = dns_label("a" * 62 + "_b")
    assert label == "a" * 62 and is_dns_label(label)


def test_dns_label_of_nothing_usable_names_the_image() -> None:
    with pytest.raises(CprofilerError, match="'___'"):
        dns_label("___")


# --- memory -------------------------------------------------------------------------------------


def test_memory_request_is_p95_working_set_plus_margin_rounded_up() -> None:
    # p95 of 10..100 MiB by linear interpolation: rank 8.55 -> 95.5 MiB; x 1.15 = 109.825 -> 110Mi.
    rec = recommend(image(runs=spread("ws", [i * 10 * MIB for i in range(1, 11)])), OPTS)
    assert rec.memory_request_bytes == 110 * MIB
    assert rec.resources()["requests"]["memory"] == "110Mi"


def test_margin_arithmetic_is_exact() -> None:
    # In floats 50Mi x 1.1 is a hair above 55Mi and would round up to 56Mi.
    rec = recommend(image(runs=spread("ws", [50 * MIB] * 3)), K8sOptions(margin=0.1))
    assert rec.memory_request_bytes == 55 * MIB


def test_memory_request_never_below_the_floor() -> None:
    rec = recommend(image(runs=[run(i, ws=MIB, peak=2 * MIB) for i in range(3)]), OPTS)
    assert rec.memory_request_bytes == 16 * MIB
    assert rec.memory_limit_bytes == 16 * MIB
    assert "16Mi floor" in rec.formula[0]


def test_memory_limit_is_max_peak_over_all_runs_plus_margin() -> None:
    # The timed-out run's 100 MiB peak was real memory use: the limit must cover it.
    runs = [run(0, peak=60 * MIB), run(1, peak=70 * MIB), run(2, status="timeout", ws=None, peak=100 * MIB, ready=None)]
    rec = recommend(image(runs=runs), OPTS)
    assert rec.memory_limit_bytes == 115 * MIB
    assert rec.ok_runs == 2 and rec.total_runs == 3


def test_memory_limit_never_below_request() -> None:
    # A peak read before settle can be below the working set read after it.
    rec = recommend(image(runs=[run(i, ws=200 * MIB, peak=100 * MIB) for i in range(3)]), OPTS)
    assert rec.memory_limit_bytes == rec.memory_request_bytes == 230 * MIB


def test_without_peaks_the_limit_uses_the_largest_working_set() -> None:
    rec = recommend(image(runs=[run(0, ws=80 * MIB, peak=None), run(1, ws=100 * MIB, peak=None)]), OPTS)
    assert rec.memory_limit_bytes == 115 * MIB
    assert any("no run recorded a memory peak" in n for n in rec.notes)


@pytest.mark.parametrize(
    ("at_oom", "bumped"),
    [
        (64 * MIB, 164 * MIB),  # +100Mi wins below 500Mi
        (GIB, 1229 * MIB),  # x1.2 wins above: 1228.8Mi, rounded up
    ],
)
def test_oom_kill_bumps_memory_by_the_vpa_rule(at_oom: int, bumped: int) -> None:
    runs = [run(i, ws=40 * MIB, peak=50 * MIB) for i in range(4)]
    runs.append(run(4, status="oomkilled", ws=None, peak=at_oom, ready=None))
    rec = recommend(image(runs=runs, memory_limit_bytes=at_oom), OPTS)
    assert rec.oom_bumped
    assert rec.memory_request_bytes == bumped
    assert rec.memory_limit_bytes == bumped
    assert any("OOM-killed" in n and "max(+100Mi, x1.2)" in n for n in rec.notes)
    assert any(line.startswith("OOM bump") for line in rec.formula)


def test_oom_without_a_recorded_peak_uses_the_engine_limit() -> None:
    runs = [run(0), run(1, status="oomkilled", ws=None, peak=None, ready=None)]
    rec = recommend(image(runs=runs, memory_limit_bytes=256 * MIB), OPTS)
    assert rec.memory_limit_bytes == 356 * MIB


def test_oom_is_said_in_the_header_of_every_file() -> None:
    runs = [run(0), run(1), run(2, status="oomkilled", ws=None, peak=64 * MIB, ready=None)]
    for fmt in FORMATS:
        doc = results(image(runs=runs, memory_limit_bytes=64 * MIB))
        header = [line for line in next(iter(render(doc, fmt, OPTS).values())).splitlines() if line.startswith("#")]
        assert any("1 oomkilled" in line for line in header)
        explained = next(iter(render(doc, fmt, replace(OPTS, explain=True)).values()))
        assert "were OOM-killed at about" in explained and "# OOM bump       = max(" in explained


def test_no_bump_without_oom() -> None:
    rec = recommend(image(), OPTS)
    assert not rec.oom_bumped
    assert not any("OOM" in line for line in rec.formula)


# --- cpu ----------------------------------------------------------------------------------------


def test_cpu_request_is_p90_settle_cpu_plus_margin() -> None:
    # p90 of 1..10 millicores: rank 8.1 -> 9.1m; x 1.15 = 10.465m -> 11m.
    rec = recommend(image(runs=spread("cpu", [i / 1000 for i in range(1, 11)])), OPTS)
    assert rec.cpu_request_millicores == 11
    assert rec.resources()["requests"]["cpu"] == "11m"


def test_cpu_request_never_below_10m() -> None:
    rec = recommend(image(runs=spread("cpu", [0.0, 0.0005])), OPTS)
    assert rec.cpu_request_millicores == 10


def test_cpu_request_in_whole_cores() -> None:
    rec = recommend(image(runs=spread("cpu", [0.8, 0.8])), K8sOptions(margin=0.25))
    assert rec.resources()["requests"]["cpu"] == "1"


def test_cpu_request_without_measurement_is_the_floor_and_says_so() -> None:
    rec = recommend(image(runs=spread("cpu", [None, None])), OPTS)
    assert rec.cpu_request_millicores == 10
    assert any("settle CPU" in n for n in rec.notes)


def test_no_cpu_limit_by_default() -> None:
    rec = recommend(image(), OPTS)
    assert rec.cpu_limit_millicores is None
    assert "cpu" not in rec.resources()["limits"]
    assert any(line.startswith("cpu limit      = none") for line in rec.formula)


def test_cpu_limit_from_a_quantity() -> None:
    rec = recommend(image(), K8sOptions(cpu_limit="500m"))
    assert rec.resources()["limits"] == {"cpu": "500m", "memory": "58Mi"}


def test_cpu_limit_measured_is_the_scenarios_cpus() -> None:
    rec = recommend(image(cpus=1.5), K8sOptions(cpu_limit="measured"))
    assert rec.resources()["limits"]["cpu"] == "1500m"
    assert any("1.5-CPU cap" in n for n in rec.notes)


def test_cpu_limit_measured_without_cpus_names_flag_and_image() -> None:
    with pytest.raises(UsageError, match=r"--cpu-limit measured: image 'go'.*e\.g\. --cpu-limit 500m"):
        recommend(image(), K8sOptions(cpu_limit="measured"))


def test_cpu_limit_below_request_is_refused() -> None:
    with pytest.raises(UsageError, match=r"--cpu-limit 5m is below the CPU request of image 'go' \(10m\)"):
        recommend(image(), K8sOptions(cpu_limit="5m"))


# --- probes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ready_ms", "period", "failures"),
    [
        ([100.0 * i for i in range(1, 11)], 1, 3),  # p99 991ms: 2s window, but never fewer than 3 probes
        ([1_400.0] * 3, 1, 4),  # p99 1400ms: 2.8s to cover, so (4 - 1) x 1s = 3s; 1s x 3 allows only 2s
        ([10_000.0, 10_200.0, 9_800.0], 1, 22),  # p99 10196ms: 20.4s to cover, 21s window
        ([40_000.0, 41_000.0], 5, 18),  # p99 40990ms: 82s to cover, probed every 5s: 85s window
    ],
)
def test_startup_probe_covers_twice_p99_ready(ready_ms: list[float], period: int, failures: int) -> None:
    rec = recommend(image(runs=spread("ready", ready_ms)), OPTS)
    assert (rec.startup_period_s, rec.startup_failure_threshold) == (period, failures)
    # The kubelet kills at failure F, (F - 1) periods after the first probe, which may come at once.
    assert (failures - 1) * period * 1000 >= 2 * percentile(ready_ms, 99)
    assert rec.startup_window_s == (failures - 1) * period
    probe = rec.startup_probe()
    assert probe is not None
    assert probe["periodSeconds"] * probe["failureThreshold"] == period * failures
    header = next(line for line in rec.formula if line.startswith("startupProbe"))
    assert f"= {(failures - 1) * period}s to start" in header
    assert "2 x p99 ready" in header and "measured without a CPU limit" in header


def _kubelet_kills(ready_s: float, period: int, failures: int, first_probe_s: float) -> bool:
    """The kubelet's startupProbe (prober worker): probes at first, first + P, …; a probe at or after
    ``ready_s`` succeeds; the F-th failure in a row kills the container."""
    return all(first_probe_s + k * period < ready_s for k in range(failures))


@pytest.mark.parametrize("p99_ms", [1.0, 250.0, 999.0, 1000.0, 1400.0, 1501.0, 9_999.0, 29_999.0, 30_001.0, 44_000.0, 200_000.0])
def test_startup_window_follows_kubelet_semantics(p99_ms: float) -> None:
    period, failures = startup_timing(p99_ms)
    window = guaranteed_window_s(period, failures)
    cover_s = STARTUP_COVER * p99_ms / 1000
    assert window >= cover_s
    # Whenever the first probe comes (within its first period), a start within the window survives…
    for first in (0.0, period / 3, period * 0.999):
        assert not _kubelet_kills(cover_s, period, failures, first)
        assert not _kubelet_kills(window, period, failures, first)
    # …and with the first probe at once, one a hair later does not: the window is exactly (F - 1) x P.
    assert _kubelet_kills(window + 0.001, period, failures, 0.0)
    # The smallest such F: one failure fewer would not cover, unless the minimum of 3 holds it up.
    assert failures == STARTUP_MIN_FAILURES or guaranteed_window_s(period, failures - 1) < cover_s


def test_startup_header_names_the_cpu_cap_it_was_measured_under() -> None:
    rec = recommend(image(cpus=0.5), OPTS)
    assert any("measured under a 0.5-CPU cap" in line for line in rec.formula if line.startswith("startupProbe"))


def test_cpu_limit_below_what_start_up_was_measured_with_is_noted() -> None:
    rec = recommend(image(), K8sOptions(cpu_limit="500m"))
    assert any("start-up was measured without a CPU limit" in n for n in rec.notes)
    rec = recommend(image(cpus=2.0), K8sOptions(cpu_limit="measured"))
    assert not any("start-up was measured" in n for n in rec.notes)


def test_http_probe_becomes_httpget() -> None:
    rec = recommend(image(), OPTS)
    assert rec.readiness_probe() == {
        "httpGet": {"path": "/healthz", "port": 8080},
        "periodSeconds": 5,
        "failureThreshold": 3,
    }
    assert rec.container()["ports"] == [{"containerPort": 8080}]


def test_tcp_probe_becomes_tcpsocket() -> None:
    rec = recommend(image(ready={"tcp": {"port": 6379}}), OPTS)
    assert rec.readiness_probe() == {"tcpSocket": {"port": 6379}, "periodSeconds": 5, "failureThreshold": 3}
    startup = rec.startup_probe()
    assert startup is not None and startup["tcpSocket"] == {"port": 6379}


@pytest.mark.parametrize(("ready", "why"), [({"log": "listening"}, "log line"), ({"exit": True}, "run it as a Job")])
def test_log_and_exit_probes_give_no_probe_and_say_why(ready: dict[str, Any], why: str) -> None:
    rec = recommend(image(ready=ready), OPTS)
    assert rec.probes() == {}
    assert "ports" not in rec.container()
    assert any(why in n for n in rec.notes)


def test_no_ready_ms_means_no_startup_probe() -> None:
    rec = recommend(image(runs=spread("ready", [None, None])), OPTS)
    assert rec.startup_probe() is None
    assert rec.readiness_probe() is not None
    assert any("ready_ms" in n for n in rec.notes)


# --- refusals -----------------------------------------------------------------------------------


def test_no_ok_run_names_the_image() -> None:
    runs = [run(i, status="timeout", ready=None) for i in range(3)]
    with pytest.raises(CprofilerError, match=r"results.json: image 'slow' has no ok run \(3 timeout\)"):
        recommend(image("slow", runs=runs), OPTS)


def test_no_ok_run_after_oom_suggests_a_higher_limit() -> None:
    runs = [run(i, status="oomkilled", ready=None) for i in range(2)]
    with pytest.raises(CprofilerError, match="raise its memory_limit"):
        recommend(image("fat", runs=runs), OPTS)


def test_no_working_set_names_the_field() -> None:
    with pytest.raises(CprofilerError, match="image 'go' has no working_set_bytes"):
        recommend(image(runs=spread("ws", [None, None])), OPTS)


@pytest.mark.parametrize(
    ("kwargs", "flag"),
    [
        ({"margin": -0.1}, "--margin"),
        ({"margin": 15}, "--margin"),
        ({"cpu_limit": "lots"}, "--cpu-limit"),
        ({"name": "My_App"}, "--name 'My_App'.*'my-app'"),
        ({"container": "a.b"}, "--container 'a.b'.*'a-b'"),
    ],
)
def test_bad_options_name_the_flag(kwargs: dict[str, Any], flag: str) -> None:
    with pytest.raises(UsageError, match=flag):
        K8sOptions(**kwargs)


def test_unknown_format_lists_the_known_ones() -> None:
    with pytest.raises(UsageError, match="--format 'json' is unknown; choose one of: resources, deployment"):
        render(results(), "json", OPTS)


def test_names_that_collide_as_kubernetes_names_are_refused() -> None:
    with pytest.raises(CprofilerError, match=r"'go_a' and 'go\.a' both become 'go-a'"):
        render(results(image("go_a"), image("go.a")), "resources", OPTS)


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        ([], "expected a cprofiler results object"),
        ({"schema": "cprofiler/results/v0", "images": []}, "schema is 'cprofiler/results/v0'"),
        ({**results_doc(), "images": []}, "has no images"),
    ],
)
def test_render_refuses_what_is_not_results(doc: Any, match: str) -> None:
    # The results model checks the document once, as every reader gets it; render the rest.
    with pytest.raises(UsageError, match=match):
        render(Measurement.from_json(doc, where="results.json"), "resources", OPTS)


# --- formats ------------------------------------------------------------------------------------


def test_registry_holds_the_four_formats_and_builds_the_help() -> None:
    assert list(FORMATS) == ["resources", "deployment", "kustomize", "helm"]
    help_text = formats_help()
    for name in FORMATS:
        assert f"{name}: " in help_text


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_one_file_per_image_with_a_short_header(fmt: str) -> None:
    doc = results(image("go"), image("py_app", ready={"tcp": {"port": 5000}}))
    doc.floor = image("floor")  # the empty-container baseline is not an image to deploy
    files = render(doc, fmt, OPTS)
    suffix = FORMATS[fmt].file_suffix
    assert list(files) == [f"go.{suffix}", f"py-app.{suffix}"]
    text = files[f"go.{suffix}"]
    assert text.startswith(f"# go.{suffix}: cprofiler k8s results.json --format {fmt}\n")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert header[1] == "# image cprofiler/go:1a2b3c: 5 ok of 5 runs, cold level warm, margin 15%, settle-snapshot (idle)"
    assert "formulas with their figures: add --explain" in header[-1]
    assert "memory request = " not in text
    assert yaml.safe_load(text) is not None


def test_header_says_when_cold_level_is_not_recorded() -> None:
    text = next(iter(render(results(cold=None), "resources", OPTS).values()))
    assert "cold level not recorded" in text


def test_header_says_the_measurement_was_interrupted() -> None:
    doc = results()
    doc.interrupted = "SIGINT"
    text = next(iter(render(doc, "helm", OPTS).values()))
    assert "note: the measurement stopped early, with fewer runs than planned: SIGINT" in text


def test_header_lists_runs_by_status() -> None:
    runs = [run(0), run(1), run(2, status="timeout", ready=None), run(3, status="crashed", ready=None)]
    text = next(iter(render(results(image(runs=runs)), "resources", OPTS).values()))
    assert "2 ok of 4 runs (1 crashed, 1 timeout)" in text


def test_resources_format_is_the_block_alone() -> None:
    doc = yaml.safe_load(render(results(), "resources", OPTS)["go.resources.yaml"])
    assert doc == {"resources": {"requests": {"cpu": "10m", "memory": "46Mi"}, "limits": {"memory": "58Mi"}}}


def test_deployment_format_is_complete() -> None:
    doc = yaml.safe_load(render(results(), "deployment", OPTS)["go.deployment.yaml"])
    assert doc["metadata"]["name"] == "go"
    assert doc["spec"]["selector"]["matchLabels"] == doc["spec"]["template"]["metadata"]["labels"]
    (container,) = doc["spec"]["template"]["spec"]["containers"]
    assert container["name"] == "go"
    assert container["image"] == "cprofiler/go:1a2b3c"
    assert set(container) == {"name", "image", "ports", "resources", "startupProbe", "readinessProbe", "securityContext"}


def test_deployment_takes_deployment_and_container_names() -> None:
    options = K8sOptions(name="web.prod", container="app")
    doc = yaml.safe_load(render(results(), "deployment", options)["go.deployment.yaml"])
    assert doc["metadata"]["name"] == "web.prod"
    assert doc["spec"]["template"]["spec"]["containers"][0]["name"] == "app"


def test_kustomize_patch_targets_the_named_deployment_and_container() -> None:
    files = render(results(), "kustomize", K8sOptions(name="web", container="app"))
    doc = yaml.safe_load(files["go.patch.yaml"])
    assert doc["metadata"]["name"] == "web"
    # Provenance as annotations: kubectl and kustomize drop comments, not annotations.
    assert list(doc["metadata"]["annotations"]) == ["cprofiler.dev/provenance"]
    (container,) = doc["spec"]["template"]["spec"]["containers"]
    assert container["name"] == "app"
    # A patch sets only what was measured: image, ports and env stay as the Deployment has them.
    assert set(container) == {"name", "resources", "startupProbe", "readinessProbe"}
    assert "- path: go.patch.yaml" in render(results(), "kustomize", K8sOptions(explain=True))["go.patch.yaml"]


def test_helm_values_have_the_chart_keys() -> None:
    doc = yaml.safe_load(render(results(), "helm", OPTS)["go.values.yaml"])
    assert list(doc) == ["resources", "startupProbe", "readinessProbe"]


def test_exit_probe_image_is_skipped_as_a_batch_job() -> None:
    job = image("job", ready={"exit": True})
    files = render(results(job, image("web")), "deployment", OPTS)
    assert list(files) == ["web.deployment.yaml"]
    assert "batch job" in (skip_reason(job) or "")


def test_yaml_stream_holds_one_document_per_image() -> None:
    files = render(results(image("a"), image("b"), image("c")), "deployment", OPTS)
    docs = list(yaml.safe_load_all(yaml_stream(files)))
    assert [d["metadata"]["name"] for d in docs] == ["a", "b", "c"]


def test_output_has_no_yaml_anchors() -> None:
    for fmt in FORMATS:
        for text in render(results(), fmt, OPTS).values():
            assert "&id" not in text and "*id" not in text


# --- schema validation --------------------------------------------------------------------------


def _quantities(resources: dict[str, Any]) -> None:
    for section in resources.values():
        for key, value in section.items():
            assert (MEMORY_RE if key == "memory" else CPU_RE).match(str(value)), f"{key}: {value!r} is not canonical"


def _pod(container: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "check"}, "spec": {"containers": [container]}}


def apply_patch(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Strategic merge as kustomize does it for these patches: containers merge by name, maps
    deeply, and a map with ``$patch: replace`` replaces the base's map whole."""

    def merge(into: dict[str, Any], other: dict[str, Any]) -> None:
        for key, value in other.items():
            if key == "containers":
                by_name = {c["name"]: c for c in into.setdefault(key, [])}
                for c in value:
                    if c["name"] in by_name:
                        merge(by_name[c["name"]], c)
                    else:
                        into[key].append(c)
            elif value is None:
                into.pop(key, None)  # a null in a strategic-merge patch removes the field
            elif isinstance(value, dict) and value.get("$patch") == "replace":
                into[key] = {k: v for k, v in value.items() if k != "$patch"}
            elif isinstance(value, dict) and isinstance(into.get(key), dict):
                merge(into[key], value)
            else:
                into[key] = value

    out = copy.deepcopy(base)
    merge(out, patch)
    return out


def base_workload(kind: str, name: str, container: str) -> dict[str, Any]:
    """A workload as a user's base might hold it: its own image and env, and exec probes, which a
    merged httpGet would sit beside (two handlers: rejected by the API server)."""
    exec_probe = {"exec": {"command": ["cat", "/ready"]}, "periodSeconds": 10}
    c: dict[str, Any] = {"name": container, "image": "web:1", "env": [{"name": "A", "value": "1"}]}
    if kind == "Deployment":
        c.update(startupProbe=dict(exec_probe), readinessProbe=dict(exec_probe))
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name},
            "spec": {
                "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [c]}},
            },
        }
    job = {"template": {"spec": {"restartPolicy": "Never", "containers": [c]}}}
    if kind == "Job":
        return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": job}
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name},
        "spec": {"schedule": "@daily", "jobTemplate": {"spec": job}},
    }


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    spec = doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc["spec"]
    return dict(spec["template"]["spec"])


def _checked(fmt: str, doc: dict[str, Any], options: K8sOptions) -> list[dict[str, Any]]:
    """The Kubernetes objects a format's document ends up in, to validate against the schema."""
    if fmt == "deployment":
        return [doc]
    if fmt == "kustomize":
        merged = apply_patch(base_workload(doc["kind"], doc["metadata"]["name"], options.container or "app"), doc)
        (container,) = pod_spec(merged)["containers"]
        assert container["image"] == "web:1"
        for key in ("startupProbe", "readinessProbe"):
            if key in container:
                handlers = {"exec", "httpGet", "tcpSocket", "grpc"} & set(container[key])
                assert len(handlers) == 1, f"{key} has handlers {handlers}"
        return [merged]
    # resources and helm are fragments of a container: check them inside one; helm's autoscaling
    # values become the HPA that `helm create`'s template writes from them.
    values = dict(doc)
    scaling = values.pop("autoscaling", None)
    container = {"name": "check", "image": "check:1", **values}
    checked = [_pod(container)]
    if scaling is not None:
        assert scaling["enabled"] is True
        target = {"type": "Utilization", "averageUtilization": scaling["targetCPUUtilizationPercentage"]}
        spec = {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "check"},
            "minReplicas": scaling["minReplicas"],
            "maxReplicas": scaling["maxReplicas"],
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": target}}],
        }
        checked.append(
            {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "check"}, "spec": spec}
        )
    return checked


def lifetime_run(index: int, peak: int = 70 * MIB, ready: float = 900.0) -> dict[str, Any]:
    """An ok run of a batch job: no working set (its cgroup is gone), a lifetime peak and CPU."""
    return {**run(index, ws=None, peak=None, cpu=None, ready=ready), "lifetime_peak_bytes": peak, "lifetime_cpu_cores": 0.4}


CASES = {
    "http": image("web_api"),
    "tcp": image("redis", ready={"tcp": {"port": 6379}}),
    "log": image("worker", ready={"log": "started"}),
    "oom": image(
        "fat",
        runs=[run(0), run(1, status="oomkilled", ws=None, peak=GIB, ready=None)],
        memory_limit_bytes=GIB,
    ),
    "slow": image("jvm", runs=spread("ready", [30_000.0, 45_000.0]), cpus=2.0),
    "job": image("etl", ready={"exit": True}, runs=[lifetime_run(i) for i in range(3)]),
    "load": loaded("shop", [step(r, i, cpu=r / 1000, p99=r / 5) for r in (100.0, 200.0, 400.0) for i in range(2)], slo=50),
    "closed": loaded("shop", [step(None, i, qps=2400.0 + i, cpu=0.5) for i in range(2)]),
}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("case", list(CASES))
def test_every_manifest_passes_the_kubernetes_schema(version: str, fmt: str, case: str) -> None:
    options = K8sOptions(name="web", container="app", cpu_limit="measured" if case == "slow" else None)
    for schedule in (None, "0 3 * * *") if case == "job" else (None,):
        options = replace(options, schedule=schedule)
        for text in render(results(CASES[case]), fmt, options, index=True).values():
            for doc in yaml.safe_load_all(text):
                if doc.get("kind") == "Kustomization":
                    continue  # not a Kubernetes object; checked by a kustomize build in test_k8s_workloads
                if doc.get("kind") == "HorizontalPodAutoscaler":
                    kubernetes_validate.validate(doc, version, strict=True)
                    continue
                _quantities(doc["resources"] if "resources" in doc else pod_spec(doc)["containers"][0]["resources"])
                for obj in _checked(fmt, doc, options):
                    kubernetes_validate.validate(obj, version, strict=True)


def test_the_schema_check_is_not_vacuous() -> None:
    doc = yaml.safe_load(render(results(), "deployment", OPTS)["go.deployment.yaml"])
    doc["spec"]["template"]["spec"]["containers"][0]["startupProbe"]["periodSecs"] = 1
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, TARGET_KUBERNETES_VERSION, strict=True)


def test_target_version_is_shipped_by_kubernetes_validate() -> None:
    assert TARGET_KUBERNETES_VERSION in {v.rsplit(".", 1)[0] for v in kubernetes_validate.utils.all_versions()}
