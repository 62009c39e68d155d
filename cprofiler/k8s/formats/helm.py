"""``helm``: a values snippet with ``resources``, ``startupProbe`` and ``readinessProbe`` keys."""

from __future__ import annotations

from typing import Any

from cprofiler.k8s.formats.registry import Formatter, register
from cprofiler.k8s.recommend import K8sOptions, Recommendation


@register("helm")
class Helm(Formatter):
    summary = "a Helm values snippet (resources, startupProbe, readinessProbe keys)"
    file_suffix = "values.yaml"

    def build(self, rec: Recommendation, options: K8sOptions) -> dict[str, Any]:
        return {"resources": rec.resources(), **rec.probes()}

    def usage(self, rec: Recommendation, options: K8sOptions) -> list[str]:
        lines = [f"helm upgrade --install RELEASE CHART -f {rec.name}.{self.file_suffix}"]
        if rec.probes():
            # `helm create`'s chart renders resources, livenessProbe and readinessProbe, not startupProbe.
            lines.append("the chart's container template must render each key, e.g. with")
            lines.append("  {{- with .Values.startupProbe }}startupProbe: {{- toYaml . | nindent 12 }}{{- end }}")
            lines.append("(charts made by `helm create` render resources and readinessProbe, not startupProbe)")
        return lines
