"""cprofiler k8s as a platform engineer applies it: one workload per image with unique names, Jobs
for batch images, the basis of each figure, provenance, securityContext, kustomize and summaries.

Every file and stream goes through the ``kubernetes-validate --strict`` command line for the
target version and the newest it knows; the kustomize output is built by a real kustomize
(``kustomize build`` or ``kubectl kustomize``) when one is installed, and its shape is checked
either way.
"""

from __future__ import annotations

import json
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
from cprofiler.manifests.formats.registry import FORMATS
from cprofiler.manifests.options import JOB_BACKOFF_LIMIT, JOB_MIN_DEADLINE_S, K8sOptions, Source
from cprofiler.manifests.recommend import recommend
from cprofiler.manifests.render import Skipped, recommend_all, render, yaml_stream
from cprofiler.manifests.security import security_context
from cprofiler.manifests.summary.registry import SUMMARIES
from tests.unit.test_k8s import (
    MIB,
    VERSIONS,
    apply_patch,
    base_workload,
    image,
    kubernetes_validate_strict,
    lifetime_run,
    pod_spec,
    results,
    run,
)

OPTS = K8sOptions(results_file="results.json")
# A qualified name: an optional DNS-subdomain prefix and '/', then at most 63 characters.
ANNOTATION_KEY_RE = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")


def settle_run(index: int, ws: int, settle_peak: int, peak: int = 80 * MIB) -> dict[str, Any]:
    return {**run(index, ws=ws, peak=peak), "settle_peak_working_set_bytes": settle_peak}


def job(name: str = "etl", peaks: tuple[int, ...] = (60 * MIB, 64 * MIB, 70 * MIB), ready: float = 900.0) -> Any:
    return image(name, ready={"exit": True}, runs=[lifetime_run(i, peak=p, ready=ready) for i, p in enumerate(peaks)])


def everything() -> Any:
    """Services of every probe kind and a batch job, one measured under ``security: restricted``:
    what one scenario file may hold."""
    api = image("api", ready={"tcp": {"port": 9000}})
    api.security, api.run_as = "restricted", "65534:65534"
    return results(image("web"), api, image("worker", ready={"log": "started"}), job("etl"))


# --- basis --------------------------------------------------------------------------------------


def test_settle_peak_basis_sizes_the_request_from_the_per_run_peaks() -> None:
    # Snapshots of 40 MiB, but peaks while settling of 50..90 MiB: p95 of the peaks = 88 MiB.
    runs = [settle_run(i, ws=40 * MIB, settle_peak=(50 + 10 * i) * MIB, peak=100 * MIB) for i in range(5)]
    rec = recommend(image(runs=runs), OPTS)
    assert rec.basis == "settle-peak"
    assert rec.memory_request_bytes == 102 * MIB  # 88 MiB x 1.15 = 101.2 -> 102Mi
    assert "p95 settle peak working set 88.0MiB" in rec.formula[0]
    header = "\n".join(rec.explanation())
    assert "basis: settle-peak: each run's peak working set" in header
    assert "VPA recommender: p90 of a histogram of peaks decaying" in header
    assert not any("older rule" in n for n in rec.notes)


def test_older_results_fall_back_to_the_snapshot_rule_and_say_so() -> None:
    rec = recommend(image(), OPTS)
    assert rec.basis == "settle-snapshot"
    assert any("no settle_peak_working_set_bytes" in n and "older rule" in n for n in rec.notes)
    # A resumed measurement mixing old and new runs uses the rule every run can follow.
    mixed = recommend(image(runs=[run(0), settle_run(1, ws=40 * MIB, settle_peak=90 * MIB)]), OPTS)
    assert mixed.basis == "settle-snapshot"


def test_idle_figures_are_said_to_be_idle() -> None:
    header = "\n".join(recommend(image(), OPTS).explanation())
    assert "idle figures: no load was applied" in header


# --- batch jobs ---------------------------------------------------------------------------------


def test_exit_probed_image_becomes_a_job_sized_from_its_lifetime_peaks() -> None:
    rec = recommend(job(peaks=(60 * MIB, 64 * MIB, 70 * MIB), ready=30_000.0), OPTS)
    assert rec.kind == "Job" and rec.basis == "lifetime"
    # p95 of 60, 64, 70 MiB = 69.4 MiB; x 1.15 = 79.81 -> 80Mi; limit: 70 x 1.15 = 80.5 -> 81Mi.
    assert (rec.memory_request_bytes, rec.memory_limit_bytes) == (80 * MIB, 81 * MIB)
    assert rec.cpu_request_millicores == 460  # p90 of 0.4 cores x 1.15
    assert rec.job_deadline_s == 90 and rec.job_backoff_limit == JOB_BACKOFF_LIMIT
    assert rec.probes() == {}
    doc = yaml.safe_load(render(results(job()), "deployment", OPTS)["etl.job.yaml"])
    assert doc["kind"] == "Job"
    assert doc["spec"]["activeDeadlineSeconds"] == JOB_MIN_DEADLINE_S  # 3 x 0.9 s is under the minimum
    assert doc["spec"]["backoffLimit"] == JOB_BACKOFF_LIMIT
    pod = doc["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["containers"][0]["resources"]["limits"] == {"memory": "81Mi"}
    assert "startupProbe" not in pod["containers"][0]


def test_schedule_makes_a_cronjob_that_never_overlaps() -> None:
    files = render(results(job(), image("web")), "deployment", replace(OPTS, schedule="0 3 * * *"))
    assert list(files) == ["etl.cronjob.yaml", "web.deployment.yaml"]
    doc = yaml.safe_load(files["etl.cronjob.yaml"])
    assert doc["kind"] == "CronJob" and doc["spec"]["schedule"] == "0 3 * * *"
    assert doc["spec"]["concurrencyPolicy"] == "Forbid"
    assert doc["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"] == JOB_MIN_DEADLINE_S


@pytest.mark.parametrize("schedule", ["daily", "0 3 * *", ""])
def test_a_schedule_must_be_cron(schedule: str) -> None:
    with pytest.raises(UsageError, match="--schedule .* is not a cron schedule"):
        K8sOptions(schedule=schedule)


def test_cronjob_name_leaves_room_for_its_jobs() -> None:
    long = "a" * 60
    with pytest.raises(UsageError, match="longer than 52 characters"):
        render(results(job(long)), "deployment", K8sOptions(schedule="@daily"))


def test_job_without_a_lifetime_peak_is_skipped_and_said_so() -> None:
    old_job = image("etl", ready={"exit": True}, runs=[run(i, ws=None, peak=None, cpu=None) for i in range(2)])
    recs = recommend_all(results(old_job, image("web")), OPTS)
    assert isinstance(recs[0], Skipped) and "lifetime_peak_bytes" in recs[0].reason
    assert list(render(results(old_job, image("web")), "deployment", OPTS)) == ["web.deployment.yaml"]


def test_an_oom_killed_job_is_bumped_from_its_lifetime_peak() -> None:
    runs = [lifetime_run(0, peak=60 * MIB), {**lifetime_run(1, peak=128 * MIB), "status": "oomkilled", "ready_ms": None}]
    rec = recommend(image("etl", ready={"exit": True}, runs=runs, memory_limit_bytes=128 * MIB), OPTS)
    assert rec.oom_bumped and rec.memory_limit_bytes == 228 * MIB


# --- one workload per image ---------------------------------------------------------------------


def test_only_selects_images_and_name_needs_exactly_one() -> None:
    doc = everything()
    assert list(render(doc, "deployment", replace(OPTS, only=("api", "etl")))) == ["api.deployment.yaml", "etl.job.yaml"]
    with pytest.raises(UsageError, match=r"--name 'shop' names one workload, but 4 images are selected"):
        render(doc, "deployment", replace(OPTS, name="shop"))
    files = render(doc, "deployment", replace(OPTS, name="shop", only=("web",)))
    assert yaml.safe_load(files["web.deployment.yaml"])["metadata"]["name"] == "shop"
    with pytest.raises(UsageError, match=r"--only 'nope': no such image in results.json; expected one of: web, api, worker, etl"):
        render(doc, "deployment", replace(OPTS, only=("nope",)))


def test_name_must_fit_a_label_value() -> None:
    with pytest.raises(UsageError, match="--name 'a.*' is not a valid workload name"):
        K8sOptions(name="a" * 64)


def _kinds_and_names(stream: str) -> list[tuple[str, str]]:
    return [(d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(stream)]


def test_the_stream_applies_without_collisions() -> None:
    stream = yaml_stream(render(everything(), "deployment", OPTS))
    pairs = _kinds_and_names(stream)
    assert pairs == [("Deployment", "web"), ("Deployment", "api"), ("Deployment", "worker"), ("Job", "etl")]
    assert len(set(pairs)) == len(pairs)
    selectors = [
        json.dumps(d["spec"]["selector"], sort_keys=True) for d in yaml.safe_load_all(stream) if d["kind"] == "Deployment"
    ]
    assert len(set(selectors)) == len(selectors)


def test_labels_are_the_recommended_ones_and_pods_carry_the_selector() -> None:
    doc = yaml.safe_load(render(results(image("web")), "deployment", replace(OPTS, part_of="shop"))["web.deployment.yaml"])
    assert doc["metadata"]["labels"] == {
        "app.kubernetes.io/name": "web",
        "app.kubernetes.io/instance": "web",
        "app.kubernetes.io/component": "server",
        "app.kubernetes.io/part-of": "shop",
        "app.kubernetes.io/managed-by": "cprofiler",
    }
    assert doc["spec"]["template"]["metadata"]["labels"] == doc["spec"]["selector"]["matchLabels"]


def test_the_one_annotation_is_the_provenance_and_the_explanation_has_the_figures() -> None:
    m = results(image("web"))
    m.environment.engine_version, m.environment.cgroup_version, m.environment.cgroup_driver = "20.10", "1", "cgroupfs"
    options = replace(OPTS, results_sha256="ab" * 32, explain=True)
    text = render(m, "deployment", options)["web.deployment.yaml"]
    notes = yaml.safe_load(text)["metadata"]["annotations"]
    assert list(notes) == ["cprofiler.dev/provenance"]
    assert re.fullmatch(r"figures sha256:[0-9a-f]{16}, cprofiler \d+\.\d+\.\d+", notes["cprofiler.dev/provenance"])
    assert all(ANNOTATION_KEY_RE.match(k) and isinstance(v, str) for k, v in notes.items())
    # What changes on every measurement stays out of the file, explained or not.
    for changing in ("ab" * 32, "2025-01-01T00:00:00", "Docker 20.10"):
        assert changing not in text
    assert "# memory request = max(16Mi floor, p95 working set 40.0MiB x 1.15, up to Mi) = 46Mi" in text


# --- securityContext ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "context", "why"),
    [
        ("10001", {"allowPrivilegeEscalation": False, "runAsNonRoot": True}, "uid 10001"),
        ("1000:1000", {"allowPrivilegeEscalation": False, "runAsNonRoot": True}, "uid 1000"),
        ("", {"allowPrivilegeEscalation": False}, "runs as root"),
        ("0:0", {"allowPrivilegeEscalation": False}, "runs as root"),
        ("root", {"allowPrivilegeEscalation": False}, "runs as root"),
        ("app", {"allowPrivilegeEscalation": False}, "'app' is a name the kubelet cannot check"),
        (None, {"allowPrivilegeEscalation": False}, "do not record the image's user"),
    ],
)
def test_security_context_as_measured(user: str | None, context: dict[str, Any], why: str) -> None:
    got, line = security_context(user)
    assert got == context
    assert why in line and "no-new-privileges" in line


@pytest.mark.parametrize(
    ("user", "run_as", "extra", "why"),
    [
        ("", "65534:65534", {"runAsUser": 65534, "runAsGroup": 65534}, "runAsUser 65534:65534: the user the measured"),
        ("app", "65534:65534", {"runAsUser": 65534, "runAsGroup": 65534}, "runAsUser 65534:65534"),
        ("10001", None, {}, "the image's own user 10001"),
    ],
)
def test_security_context_under_the_restricted_profile(user: str, run_as: str | None, extra: dict, why: str) -> None:
    got, line = security_context(user, "restricted", run_as)
    assert got == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
        **extra,
    }
    assert line.startswith("measured under security: restricted") and why in line


def test_the_deployment_container_gets_the_security_context() -> None:
    web = image("web")
    web.user = "65532"
    doc = yaml.safe_load(render(results(web), "deployment", OPTS)["web.deployment.yaml"])
    assert doc["spec"]["template"]["spec"]["containers"][0]["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "runAsNonRoot": True,
    }


# --- kubernetes-validate, the command line ------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_every_file_and_the_stream_pass_kubernetes_validate_strict(tmp_path: Path, version: str) -> None:
    paths = []
    for schedule in (None, "*/5 * * * *"):
        files = render(everything(), "deployment", replace(OPTS, schedule=schedule))
        folder = tmp_path / f"schedule-{bool(schedule)}"
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
            paths.append(folder / name)
        stream = folder / "stream.yaml"
        stream.write_text(yaml_stream(files), encoding="utf-8")
        paths.append(stream)
    done = kubernetes_validate_strict(paths, version)
    assert done.returncode == 0, done.stdout + done.stderr


# --- kustomize ----------------------------------------------------------------------------------


def test_kustomize_patches_replace_probes_and_a_kustomization_lists_them() -> None:
    files = render(everything(), "kustomize", replace(OPTS, kustomize_resources=("../../base",)), index=True)
    assert list(files) == ["web.patch.yaml", "api.patch.yaml", "worker.patch.yaml", "etl.patch.yaml", "kustomization.yaml"]
    kustomization = yaml.safe_load(files["kustomization.yaml"])
    assert kustomization == {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": ["../../base"],
        "patches": [{"path": f} for f in list(files)[:-1]],
    }
    web = yaml.safe_load(files["web.patch.yaml"])
    (container,) = web["spec"]["template"]["spec"]["containers"]
    assert container["startupProbe"]["$patch"] == "replace"
    assert container["readinessProbe"]["$patch"] == "replace"
    assert "$patch" not in container["resources"]  # merged: other resources of the base stay
    etl = yaml.safe_load(files["etl.patch.yaml"])
    assert (etl["apiVersion"], etl["kind"]) == ("batch/v1", "Job")
    merged = apply_patch(base_workload("Deployment", "web", "web"), web)
    assert set(pod_spec(merged)["containers"][0]["startupProbe"]) == {"httpGet", "periodSeconds", "failureThreshold"}


def _kustomize() -> list[str] | None:
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


@pytest.mark.parametrize("version", VERSIONS)
def test_a_real_kustomize_build_gives_one_handler_per_probe(tmp_path: Path, version: str) -> None:
    tool = _kustomize()
    if tool is None:
        pytest.skip("no kustomize or kubectl here; the patch's shape is checked by the test above")
    base = tmp_path / "base"
    base.mkdir()
    workloads = [base_workload("Deployment", n, n) for n in ("web", "api", "worker")] + [base_workload("Job", "etl", "etl")]
    for w in workloads:
        w["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"ephemeral-storage": "1Gi"}}
    (base / "all.yaml").write_text(yaml.safe_dump_all(workloads), encoding="utf-8")
    (base / "kustomization.yaml").write_text("resources: [all.yaml]\n", encoding="utf-8")
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    for name, text in render(everything(), "kustomize", OPTS, index=True).items():
        (overlay / name).write_text(text, encoding="utf-8")
    done = subprocess.run([*tool, str(overlay)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    built = {d["metadata"]["name"]: d for d in yaml.safe_load_all(done.stdout)}
    assert set(built) == {"web", "api", "worker", "etl"}
    for name, doc in built.items():
        (container,) = pod_spec(doc)["containers"]
        for key in ("startupProbe", "readinessProbe"):
            if name in ("web", "api"):
                handlers = {"exec", "httpGet", "tcpSocket", "grpc"} & set(container[key])
                assert handlers == ({"httpGet"} if name == "web" else {"tcpSocket"}), (name, key, container[key])
        assert container["resources"]["requests"]["ephemeral-storage"] == "1Gi"  # the base's own stays
        assert list(doc["metadata"]["annotations"]) == ["cprofiler.dev/provenance"]
        kubernetes_validate.validate(doc, version, strict=True)
    assert built["web"]["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["memory"] == "46Mi"


# --- summaries ----------------------------------------------------------------------------------


def test_summaries_list_every_selected_image() -> None:
    old_job = image("old", ready={"exit": True}, runs=[run(0, ws=None, peak=None, cpu=None)])
    m = results(image("web"), job("etl"), old_job)
    recs = recommend_all(m, OPTS)
    source = Source.of(m, OPTS)
    assert list(SUMMARIES) == ["table", "json"]
    table = SUMMARIES.get("table")(recs, source)
    assert re.search(r"web\s+Deployment/web\s+10m\s+none\s+46Mi\s+58Mi\s+2s \(1s x 3\)\s+settle-snapshot \(idle\)", table)
    assert re.search(r"etl\s+Job/etl\s+460m\s+none\s+80Mi\s+81Mi\s+-\s+lifetime", table)
    assert re.search(r"old\s+skipped", table) and "lifetime_peak_bytes to size it" in table
    doc = json.loads(SUMMARIES.get("json")(recs, source))
    assert doc["schema"] == "cprofiler/k8s-summary/v1"
    web, etl = doc["recommendations"]
    assert web["startup_probe"] == {"period_s": 1, "failure_threshold": 3, "window_s": 2, "covers_p99_ready_ms": 200.0}
    assert web["resources"] == {"requests": {"cpu": "10m", "memory": "46Mi"}, "limits": {"memory": "58Mi"}}
    assert etl["job"] == {"active_deadline_s": JOB_MIN_DEADLINE_S, "backoff_limit": JOB_BACKOFF_LIMIT}
    assert doc["skipped"][0]["image"] == "old"


def test_unknown_summary_names_the_flag() -> None:
    with pytest.raises(UsageError, match="--summary yaml: unknown summary; expected one of: table, json"):
        SUMMARIES.get("yaml")


def test_every_format_renders_a_job() -> None:
    for fmt in FORMATS:
        ((name, text),) = render(results(job()), fmt, OPTS).items()
        doc = yaml.safe_load(text)
        assert pod_spec(doc)["containers"][0]["resources"] if "kind" in doc else doc["resources"]
        assert name == {"deployment": "etl.job.yaml"}.get(fmt, name)


def test_two_images_with_one_kubernetes_name_are_refused() -> None:
    with pytest.raises(CprofilerError, match=r"'go_a' and 'go\.a' both become 'go-a'"):
        recommend_all(results(image("go_a"), image("go.a")), OPTS)
