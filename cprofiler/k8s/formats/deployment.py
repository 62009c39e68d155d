"""``deployment``: a complete ``apps/v1`` Deployment with image, labels, resources and probes."""

from __future__ import annotations

from typing import Any

from cprofiler.k8s.formats.registry import Formatter, register
from cprofiler.k8s.recommend import K8sOptions, Recommendation


@register("deployment")
class Deployment(Formatter):
    summary = "a complete apps/v1 Deployment (--deployment, --container name it)"
    file_suffix = "deployment.yaml"

    def build(self, rec: Recommendation, options: K8sOptions) -> dict[str, Any]:
        name = options.deployment or rec.name
        labels = {"app.kubernetes.io/name": rec.name}
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [rec.container(options.container)]},
                },
            },
        }

    def usage(self, rec: Recommendation, options: K8sOptions) -> list[str]:
        return [
            f"image: {rec.image_ref} is the local tag that was measured; push it to your registry",
            "and change image: to that reference before kubectl apply -f",
        ]
