"""``--backend kubernetes`` as the runner sees it: a pod starter for the settings, the cluster's
facts for the results, and what this backend cannot do yet (refused before anything is built)."""

from __future__ import annotations

from typing import Any

from cprofiler.errors import UsageError
from cprofiler.kube import cluster as cluster_mod
from cprofiler.kube.starter import PodStarter
from cprofiler.measure.signals import SignalGuard
from cprofiler.settings import RunSettings


def check(settings: RunSettings, load_rows: int) -> None:
    """UsageError naming the flag or key this backend does not support (yet)."""
    if settings.cold not in (None, "warm"):
        raise UsageError(f"--cold {settings.cold}: not available with --backend kubernetes yet (only warm)")
    if load_rows:
        raise UsageError(
            "load: a load phase is not available with --backend kubernetes yet; remove load: or use --backend docker"
        )
    if settings.kube_node and settings.kube_node_selector:
        raise UsageError("--node cannot be combined with --node-selector: a pod is bound to a node or scheduled, not both")


def pod_starter(settings: RunSettings, *, invocation: str, labels: dict[str, str], signals: SignalGuard) -> PodStarter:
    """Connect to the cluster the settings name and return the starter of this invocation's pods."""
    cluster = cluster_mod.connect(settings.kube_context, settings.kube_namespace)
    if settings.kube_node and not cluster.node_exists(settings.kube_node):
        raise UsageError(f"--node {settings.kube_node}: no such node in the cluster (kubectl get nodes lists them)")
    return PodStarter(
        cluster,
        invocation=invocation,
        labels=labels,
        signals=signals,
        timeout_s=settings.timeout_s,
        settle_s=settings.settle_s,
        node=settings.kube_node,
        node_selector=settings.kube_node_selector,
    )


def facts(starter: PodStarter) -> dict[str, Any]:
    """The cluster's facts for the results' environment: versions, namespace, and the node's
    versions and capacity when the pods are bound to one node."""
    cluster = starter.cluster
    out: dict[str, Any] = {
        "backend": "kubernetes",
        "kubernetes_version": cluster.server_version(),
        "namespace": cluster.namespace,
        "context": cluster.context,
    }
    if starter.node is not None:
        node = cluster.node_facts(starter.node)
        node.pop("node_addresses", None)
        out.update(node)
    return out
