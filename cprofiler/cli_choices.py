"""The names the command line offers as choices, without importing the plug-ins that own them.

``cprofiler --help`` and a usage error build every command's options; importing the report,
compare, Kubernetes or recommend plug-ins for their names would load the results model (pydantic)
first, several times the time Python takes to start. So the names are copied here, and
``tests/unit/test_cli_choices.py`` keeps each copy equal to its registry (a plug-in added to a
registry fails that test until its name, and its help line, is here too). The cold levels, in a
module that imports nothing heavy, are read from their registry directly.
"""

from __future__ import annotations

#: ``sorted(cprofiler.report.registry.FORMATS)``: ``report`` and ``measure --format``.
REPORT_FORMATS = ("benchmark-json", "csv", "json", "markdown", "openmetrics", "table")

#: ``sorted(cprofiler.compare.registry.FORMATS)``: ``compare --format``.
COMPARE_FORMATS = ("csv", "json", "markdown", "table")

#: ``cprofiler.manifests.formats.registry.FORMATS``: name → its ``summary``, in registration order
#: (the order of ``k8s --format``'s help; its choices are sorted).
K8S_FORMATS = {
    "resources": "the container resources: block alone, to paste under a container",
    "deployment": "a complete workload per image: an apps/v1 Deployment, or for an exit-probed image a batch/v1 Job "
    "(a CronJob with --schedule); --name and --container name it",
    "kustomize": "a strategic-merge patch per image for an existing workload (--name NAME --container NAME; probes "
    "replaced whole), and a kustomization.yaml listing them",
    "helm": "a Helm values snippet (resources, startupProbe, readinessProbe keys; autoscaling when sized under load)",
}

#: ``cprofiler.manifests.summary.registry.SUMMARIES``, in registration order: ``k8s --summary``.
K8S_SUMMARIES = ("table", "json")

#: ``cprofiler.recommend.criteria.CRITERIA``, in registration order: ``recommend --prefer``.
CRITERIA = ("start", "memory", "size", "qps")


def k8s_formats_help() -> str:
    """``k8s --format``'s help text: each format with its one-line summary (as ``formats_help()``)."""
    return "Output format: " + "; ".join(f"{name}: {summary}" for name, summary in K8S_FORMATS.items()) + "."
