"""``resources``: only the container's ``resources:`` block, to paste into an existing manifest."""

from __future__ import annotations

from typing import Any

from cprofiler.manifests.formats.registry import Formatter, register
from cprofiler.manifests.options import K8sOptions
from cprofiler.manifests.render import dump_yaml
from cprofiler.manifests.sizing import Sizing


@register("resources")
class Resources(Formatter):
    summary = "the container resources: block alone, to paste under a container"
    file_suffix = "resources.yaml"

    def build(self, rec: Sizing, options: K8sOptions) -> dict[str, Any]:
        return {"resources": rec.resources()}

    def usage(self, rec: Sizing, options: K8sOptions) -> list[str]:
        lines = ["paste under the container (spec.template.spec.containers[]) of your manifest"]
        probes = rec.probes()
        if probes:
            # Probes are not resources, but they are numbers we measured: offer them beside.
            lines.append("probes measured for this image (not part of resources:):")
            for key, value in probes.items():
                lines.append(f"  {key}: {dump_yaml(value, flow=True).strip()}")
        if rec.autoscaling is not None:
            lines.append("the HPA target above is written as a HorizontalPodAutoscaler by --format deployment, kustomize or helm")
        return lines
