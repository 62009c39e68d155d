"""``deployment``: a complete workload per image, ready for ``kubectl apply -f``.

A service becomes an ``apps/v1`` Deployment; an exit-probed image, a batch job, becomes a
``batch/v1`` Job, or a CronJob with ``--schedule``. Each carries the recommended labels, its
provenance as one ``cprofiler.dev/provenance`` annotation, and a selector unique to the workload. A Deployment
sized under load gets its ``autoscaling/v2`` HorizontalPodAutoscaler as a second document in the
same file, of the same name: the two are applied, and removed, together.
"""

from __future__ import annotations

from typing import Any

from cprofiler.manifests.formats.registry import Formatter, register
from cprofiler.manifests.options import K8sOptions
from cprofiler.manifests.sizing import Sizing

_SUFFIX = {"Deployment": "deployment.yaml", "Job": "job.yaml", "CronJob": "cronjob.yaml"}


def workload(rec: Sizing, options: K8sOptions) -> dict[str, Any]:
    """The Deployment, Job or CronJob for ``rec``."""
    metadata = {"name": rec.workload_name, "labels": rec.labels(), "annotations": rec.annotations()}
    # Pods carry the selector's labels, exactly: what selects them is what they are labelled with.
    labels = rec.selector()
    pod: dict[str, Any] = {"metadata": {"labels": labels}, "spec": {"containers": [rec.container(options.container)]}}
    if not rec.batch:
        # With an HPA, no replicas: the HPA owns the count, and a replicas: field would reset it
        # to 1 on every kubectl apply (the API server defaults it to 1 at creation).
        replicas = {} if rec.autoscaling is not None else {"replicas": 1}
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": metadata,
            "spec": {**replicas, "selector": {"matchLabels": rec.selector()}, "template": pod},
        }
    # Never: a failed pod stays for its logs, and backoffLimit counts failed pods.
    pod["spec"] = {"restartPolicy": "Never", **pod["spec"]}
    job = {"backoffLimit": rec.job_backoff_limit, "activeDeadlineSeconds": rec.job_deadline_s, "template": pod}
    if rec.kind == "Job":
        return {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": job}
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": metadata,
        # Forbid: the figures are one run's; two at once would need twice the memory.
        "spec": {
            "schedule": rec.schedule,
            "concurrencyPolicy": "Forbid",
            "jobTemplate": {"metadata": {"labels": labels}, "spec": job},
        },
    }


@register("deployment")
class Deployment(Formatter):
    summary = (
        "a complete workload per image: an apps/v1 Deployment, or for an exit-probed image a batch/v1 Job "
        "(a CronJob with --schedule); --name and --container name it"
    )
    file_suffix = "deployment.yaml"

    def file_name(self, rec: Sizing) -> str:
        return f"{rec.name}.{_SUFFIX[rec.kind]}"

    def build(self, rec: Sizing, options: K8sOptions) -> dict[str, Any]:
        return workload(rec, options)

    def documents(self, rec: Sizing, options: K8sOptions) -> list[dict[str, Any]]:
        hpa = rec.horizontal_pod_autoscaler()
        return [workload(rec, options), *([hpa] if hpa is not None else [])]

    def hint(self, rec: Sizing, options: K8sOptions) -> str:
        return "image: is the local tag that was measured: push it to your registry and change image: before kubectl apply"

    def usage(self, rec: Sizing, options: K8sOptions) -> list[str]:
        lines = [
            f"image: {rec.image_ref} is the local tag that was measured; push it to your registry",
            "and change image: to that reference before kubectl apply -f",
        ]
        if rec.autoscaling is not None:
            lines.append(
                "the HorizontalPodAutoscaler below owns the replica count (the Deployment sets no replicas:); "
                "it needs the metrics server in the cluster"
            )
        return lines
