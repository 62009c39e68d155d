"""``kustomize``: a strategic-merge patch that sets resources and probes on an existing Deployment."""

from __future__ import annotations

from typing import Any

from cprofiler.k8s.formats.registry import Formatter, register
from cprofiler.k8s.recommend import K8sOptions, Recommendation


@register("kustomize")
class Kustomize(Formatter):
    summary = "a strategic-merge patch for an existing Deployment (--deployment NAME --container NAME)"
    file_suffix = "patch.yaml"

    def build(self, rec: Recommendation, options: K8sOptions) -> dict[str, Any]:
        # Only the fields we measured: the patch must not touch image, ports or env of the target.
        container: dict[str, Any] = {"name": options.container or rec.name, "resources": rec.resources()}
        container.update(rec.probes())
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": options.deployment or rec.name},
            "spec": {"template": {"spec": {"containers": [container]}}},
        }

    def usage(self, rec: Recommendation, options: K8sOptions) -> list[str]:
        lines = [
            "in kustomization.yaml:",
            "  patches:",
            f"    - path: {rec.name}.{self.file_suffix}",
        ]
        if options.deployment is None or options.container is None:
            lines.append(
                f"Deployment and container are named {rec.name!r} after the image; "
                "give --deployment and --container to patch yours"
            )
        if rec.probes():
            # Strategic merge merges a probe field by field: an exec or grpc handler already there
            # would stay beside ours, and the API server rejects a probe with two handlers.
            lines.append("if the container already has a startupProbe or readinessProbe of another kind")
            lines.append("(exec, grpc), remove it first: a probe may have only one handler")
        return lines
