"""``helm``: a values snippet with ``resources``, ``startupProbe`` and ``readinessProbe`` keys, and
for an image sized under load ``autoscaling``, with the keys charts made by ``helm create`` read
(``enabled``, ``minReplicas``, ``maxReplicas``, ``targetCPUUtilizationPercentage``)."""

from __future__ import annotations

from typing import Any

from cprofiler.manifests.formats.registry import Formatter, register
from cprofiler.manifests.options import K8sOptions
from cprofiler.manifests.sizing import Sizing


@register("helm")
class Helm(Formatter):
    summary = "a Helm values snippet (resources, startupProbe, readinessProbe keys; autoscaling when sized under load)"
    file_suffix = "values.yaml"

    def build(self, rec: Sizing, options: K8sOptions) -> dict[str, Any]:
        values: dict[str, Any] = {"resources": rec.resources(), **rec.probes()}
        hpa = rec.autoscaling
        if hpa is not None:
            values["autoscaling"] = {
                "enabled": True,
                "minReplicas": hpa.min_replicas,
                "maxReplicas": hpa.max_replicas,
                "targetCPUUtilizationPercentage": hpa.target_percent,
            }
        return values

    def usage(self, rec: Sizing, options: K8sOptions) -> list[str]:
        lines = [f"helm upgrade --install RELEASE CHART -f {rec.name}.{self.file_suffix}"]
        if rec.probes():
            # `helm create`'s chart renders resources, livenessProbe and readinessProbe, not startupProbe.
            lines.append("the chart's container template must render each key, e.g. with")
            lines.append("  {{- with .Values.startupProbe }}startupProbe: {{- toYaml . | nindent 12 }}{{- end }}")
            lines.append("(charts made by `helm create` render resources and readinessProbe, not startupProbe)")
        if rec.autoscaling is not None:
            lines.append("autoscaling: as `helm create` names it: its chart then writes an autoscaling/v2 HPA and no replicas:")
        return lines
