"""``--summary json``: the recommendations as one JSON document, for a script."""

from __future__ import annotations

import json
from typing import Any

from cprofiler.manifests.options import Source
from cprofiler.manifests.render import Skipped
from cprofiler.manifests.sizing import Sizing
from cprofiler.manifests.summary.registry import SUMMARIES

#: The document's schema name; a new key is compatible, a changed one gets a new version.
SCHEMA = "cprofiler/k8s-summary/v1"


def _entry(rec: Sizing) -> dict[str, Any]:
    return {
        "image": rec.image_name,
        "workload": {"kind": rec.kind, "name": rec.workload_name},
        "resources": rec.resources(),
        "memory_request_bytes": rec.memory_request_bytes,
        "memory_limit_bytes": rec.memory_limit_bytes,
        "cpu_request_millicores": rec.cpu_request_millicores,
        "cpu_limit_millicores": rec.cpu_limit_millicores,
        "startup_probe": None
        if rec.startup_window_s is None
        else {
            "period_s": rec.startup_period_s,
            "failure_threshold": rec.startup_failure_threshold,
            "window_s": rec.startup_window_s,
            "covers_p99_ready_ms": rec.startup_p99_ms,
        },
        "job": None if not rec.batch else {"active_deadline_s": rec.job_deadline_s, "backoff_limit": rec.job_backoff_limit},
        "basis": rec.basis,
        "idle": rec.idle,
        "load": None
        if rec.sized_at is None
        else {
            "rate": rec.sized_at.rate,
            "closed_loop": rec.sized_at.rate is None,
            "why": rec.sized_at.why,
            "steps": len(rec.sized_at.steps),
        },
        "hpa": None
        if rec.autoscaling is None
        else {
            "target_cpu_utilization_percent": rec.autoscaling.target_percent,
            "min_replicas": rec.autoscaling.min_replicas,
            "max_replicas": rec.autoscaling.max_replicas,
            "capacity_qps": rec.autoscaling.capacity_qps,
            "cores_per_qps": rec.autoscaling.cores_per_qps,
            "scale_out_qps": rec.autoscaling.scale_out_qps,
        },
        "warnings": [f"WARNING: {w}" for w in rec.warnings] + list(rec.notes),
        "formula": list(rec.formula),
        # The same as the manifests' cprofiler.dev/provenance annotation.
        "provenance": rec.provenance(),
    }


@SUMMARIES.register("json")
def render_json(recs: list[Sizing | Skipped], source: Source) -> str:
    doc = {
        "schema": SCHEMA,
        "results_file": source.results_file,
        "results_sha256": source.results_sha256,
        "measured_at": source.measured_at,
        "cold": source.cold,
        "recommendations": [_entry(r) for r in recs if isinstance(r, Sizing)],
        "skipped": [{"image": r.image_name, "reason": r.reason} for r in recs if isinstance(r, Skipped)],
    }
    return json.dumps(doc, indent=2) + "\n"
