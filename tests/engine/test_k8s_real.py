"""Kubernetes output from a real measurement: schema-valid, and never below what was measured."""

from __future__ import annotations

import kubernetes_validate
import pytest
import yaml

from cprofiler.manifests.formats.registry import FORMATS
from cprofiler.manifests.options import K8sOptions
from cprofiler.manifests.quantities import parse_cpu_quantity
from cprofiler.manifests.recommend import recommend
from cprofiler.manifests.render import TARGET_KUBERNETES_VERSION, render
from tests.helpers import measure, write_scenario

pytestmark = pytest.mark.engine


def _bytes(q: str) -> int:
    assert q.endswith("Mi"), q
    return int(q[:-2]) << 20


def test_manifests_from_real_runs_cover_what_was_measured(engine, testapp_context, tmp_path):
    images = {
        "web": {"env": {"MODE": "http", "ALLOC_MB": "48"}, "ready": {"http": {"port": 8080, "path": "/healthz"}}},
        "raw": {"env": {"MODE": "tcp", "ALLOC_MB": "20"}, "ready": {"tcp": {"port": 8080}}},
    }
    results = measure(engine, write_scenario(tmp_path, testapp_context, images, runs=3, settle=0.3))
    opts = K8sOptions(results_file="r.json")
    for image in results.images:
        rec = recommend(image, opts)
        ws = sorted(image.values("working_set_bytes"))
        assert rec.memory_request_bytes >= ws[-1]  # ≥ p95 of three values, which is near the max
        assert rec.memory_limit_bytes >= max(image.values("peak_bytes"))
        assert rec.memory_limit_bytes >= rec.memory_request_bytes
        res = rec.resources()
        assert _bytes(res["requests"]["memory"]) == rec.memory_request_bytes
        assert parse_cpu_quantity(res["requests"]["cpu"]) >= 10
    for fmt in FORMATS:
        for text in render(results, fmt, opts).values():
            doc = yaml.safe_load(text)
            if fmt == "deployment":
                kubernetes_validate.validate(doc, TARGET_KUBERNETES_VERSION, strict=True)
                container = doc["spec"]["template"]["spec"]["containers"][0]
                assert container["startupProbe"]["periodSeconds"] * container["startupProbe"]["failureThreshold"] >= 1
            else:
                assert doc, fmt
