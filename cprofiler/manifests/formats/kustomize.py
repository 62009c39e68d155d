"""``kustomize``: a strategic-merge patch per image that sets resources and replaces the probes of
an existing workload, and a ``kustomization.yaml`` that lists the patches.

Each probe carries ``$patch: replace``: merged field by field, an ``httpGet`` from us beside an
``exec`` already in the base would give a probe with two handlers, which the API server rejects.
Resources merge, so requests of other resources (``ephemeral-storage``) in the base stay.

An image sized under load also gets its HorizontalPodAutoscaler, ``<image>.hpa.yaml``: a new object,
so it is listed under ``resources:``, not ``patches:``; and the patch removes the Deployment's
``replicas`` (``replicas: null``), which would otherwise reset the HPA's count on every apply.
"""

from __future__ import annotations

from typing import Any

from cprofiler.manifests import header
from cprofiler.manifests.formats.registry import Formatter, register
from cprofiler.manifests.options import K8sOptions
from cprofiler.manifests.render import comment, dump_yaml
from cprofiler.manifests.sizing import Sizing

_API = {"Deployment": "apps/v1", "Job": "batch/v1", "CronJob": "batch/v1"}


def patch(rec: Sizing, options: K8sOptions) -> dict[str, Any]:
    """The patch document: the target's kind and name, its annotations, and the container's
    resources and probes (each probe replaced whole)."""
    # Only the fields we measured: the patch must not touch image, ports or env of the target.
    container: dict[str, Any] = {"name": options.container or rec.name, "resources": rec.resources()}
    for key, probe in rec.probes().items():
        container[key] = {"$patch": "replace", **probe}
    pod_spec: dict[str, Any] = {"template": {"spec": {"containers": [container]}}}
    if rec.autoscaling is not None:
        pod_spec = {"replicas": None, **pod_spec}
    spec = {"jobTemplate": {"spec": pod_spec}} if rec.kind == "CronJob" else pod_spec
    return {
        "apiVersion": _API[rec.kind],
        "kind": rec.kind,
        "metadata": {"name": rec.workload_name, "annotations": rec.annotations()},
        "spec": spec,
    }


@register("kustomize")
class Kustomize(Formatter):
    summary = (
        "a strategic-merge patch per image for an existing workload (--name NAME --container NAME; "
        "probes replaced whole), and a kustomization.yaml listing them"
    )
    file_suffix = "patch.yaml"

    def build(self, rec: Sizing, options: K8sOptions) -> dict[str, Any]:
        return patch(rec, options)

    def usage(self, rec: Sizing, options: K8sOptions) -> list[str]:
        lines = [
            "listed in the kustomization.yaml written beside it, or add to yours:",
            "  patches:",
            f"    - path: {self.file_name(rec)}",
        ]
        if options.name is None or options.container is None:
            lines.append(
                f"{rec.kind} and container are named {rec.name!r} after the image; "
                "give --only IMAGE --name NAME --container NAME to patch yours"
            )
        if rec.probes():
            lines.append("each probe has $patch: replace: it replaces the workload's probe whole (handler included)")
        if rec.autoscaling is not None:
            lines.append(f"replicas: null removes the Deployment's count: its HorizontalPodAutoscaler, {_hpa_file(rec)}, owns it")
        return lines

    def hint(self, rec: Sizing, options: K8sOptions) -> str:
        return "a patch listed in the kustomization.yaml beside it; each probe in it is replaced whole ($patch: replace)"

    def index(self, recs: list[Sizing], files: list[str], options: K8sOptions) -> dict[str, str]:
        out: dict[str, str] = {}
        for rec in recs:
            hpa = rec.horizontal_pod_autoscaler()
            if hpa is not None:
                name = _hpa_file(rec)
                hint = (
                    f"the HorizontalPodAutoscaler of Deployment {rec.workload_name!r}, listed under resources: "
                    "in the kustomization.yaml; it needs the metrics server"
                )
                lines = header.short(rec, name, "kustomize", hint, None, explain=options.explain)
                if options.explain:
                    lines += header.explanation(rec, None, [])
                out[name] = comment(lines) + dump_yaml(hpa)
        doc = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": [*options.kustomize_resources, *out],
            "patches": [{"path": f} for f in files],
        }
        lines = [
            "kustomization.yaml: cprofiler k8s --format kustomize",
            header.fit(f"from: {recs[0].results_file}; patches for {', '.join(r.image_name for r in recs)}"),
            "resources: the workloads these patches change (--kustomize-base; ../base is the usual overlay layout)",
            "kubectl kustomize . (or kustomize build .) shows the result",
        ]
        return {**out, "kustomization.yaml": comment(lines) + dump_yaml(doc)}


def _hpa_file(rec: Sizing) -> str:
    return f"{rec.name}.hpa.yaml"
