"""A batch job measured for real: its whole-life peak covers what it allocated, and it becomes a Job."""

from __future__ import annotations

import kubernetes_validate
import pytest
import yaml

from cprofiler.manifests.options import K8sOptions
from cprofiler.manifests.recommend import recommend
from cprofiler.manifests.render import TARGET_KUBERNETES_VERSION, render
from cprofiler.measure.lifetime import PREFIX, _hierarchies
from tests.helpers import measure, write_scenario

pytestmark = pytest.mark.engine

ALLOC_MB = 48


def test_a_job_that_touches_n_mib_gets_a_peak_and_a_job_covering_them(engine, testapp_context, tmp_path):
    if engine.describe().get("cgroup_driver") != "cgroupfs" or not engine.is_local():
        pytest.skip("per-run parent cgroups need a local engine with the cgroupfs driver")
    images = {
        "batch": {"env": {"MODE": "exit", "ALLOC_MB": str(ALLOC_MB)}, "ready": {"exit": True}},
        "web": {"env": {"MODE": "http", "ALLOC_MB": "24"}, "ready": {"http": {"port": 8080, "path": "/healthz"}}},
    }
    m = measure(engine, write_scenario(tmp_path, testapp_context, images, runs=3, settle=0.5))
    batch, web = m.images
    assert batch.user == ""  # FROM scratch, no USER: root
    assert [r.status for r in batch.runs] == ["ok"] * 3
    for r in batch.runs:
        assert r.lifetime_peak_bytes is not None and r.lifetime_peak_bytes >= ALLOC_MB << 20, r
        assert r.lifetime_cpu_cores is not None and r.lifetime_cpu_cores > 0
    for r in web.ok_runs():
        # Sampled while settling, and never below the snapshot that ends the window.
        assert r.settle_peak_working_set_bytes is not None and r.settle_peak_working_set_bytes >= 24 << 20
        assert r.working_set_bytes is not None and r.settle_peak_working_set_bytes >= r.working_set_bytes
    # Every per-run parent cgroup is gone again.
    assert not [d for h in _hierarchies() for d in h.glob(PREFIX + "*")]

    rec = recommend(batch, K8sOptions(results_file="r.json"))
    assert rec.kind == "Job" and rec.basis == "lifetime"
    assert rec.memory_request_bytes >= ALLOC_MB << 20 and rec.memory_limit_bytes >= max(batch.values("lifetime_peak_bytes"))
    assert recommend(web, K8sOptions(results_file="r.json")).basis == "settle-peak"
    files = render(m, "deployment", K8sOptions(results_file="r.json"))
    assert list(files) == ["batch.job.yaml", "web.deployment.yaml"]
    for text in files.values():
        kubernetes_validate.validate(yaml.safe_load(text), TARGET_KUBERNETES_VERSION, strict=True)
    job = yaml.safe_load(files["batch.job.yaml"])
    limits = job["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert int(limits["memory"].removesuffix("Mi")) >= ALLOC_MB
    print(
        f"\nALLOC_MB={ALLOC_MB}: lifetime peaks {[round(v / 2**20, 1) for v in batch.values('lifetime_peak_bytes')]} MiB; "
        f"Job request {rec.resources()['requests']['memory']}, limit {limits['memory']}, "
        f"deadline {job['spec']['activeDeadlineSeconds']}s"
    )
