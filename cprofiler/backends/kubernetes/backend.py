"""``--backend kubernetes`` as the runner sees it: a pod starter for the settings, the cluster's
facts for the results, and what this backend cannot do yet (refused before anything is built)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cprofiler.backends.kubernetes import cluster as cluster_mod
from cprofiler.backends.kubernetes import images
from cprofiler.backends.kubernetes.starter import PodStarter
from cprofiler.errors import UsageError
from cprofiler.measure import cold as cold_levels
from cprofiler.measure.signals import SignalGuard
from cprofiler.settings import RunSettings

if TYPE_CHECKING:
    from cprofiler.engine import Engine, ImageInfo


def check(settings: RunSettings, load_rows: int) -> None:
    """UsageError naming the flag or key this backend does not support (yet)."""
    if settings.kube_registry is not None:
        images.parse_registry(settings.kube_registry)
    if settings.cold == "image":
        if settings.kube_registry is None:
            raise UsageError(
                "--cold image with --backend kubernetes: needs --registry HOST[:PORT]/PREFIX, where the kubelet pulls "
                "the removed image back from"
            )
        if settings.kube_node is None:
            raise UsageError("--cold image with --backend kubernetes: needs --node NAME, the node its image is removed from")
    elif settings.cold not in (None, "warm"):
        raise UsageError(f"--cold {settings.cold}: not available with --backend kubernetes (warm, or image with --registry)")
    if load_rows:
        raise UsageError(
            "load: a load phase is not available with --backend kubernetes yet; remove load: or use --backend docker"
        )
    if settings.kube_node and settings.kube_node_selector:
        raise UsageError("--node cannot be combined with --node-selector: a pod is bound to a node or scheduled, not both")


def pod_starter(
    settings: RunSettings, engine: Engine, *, invocation: str, labels: dict[str, str], signals: SignalGuard
) -> PodStarter:
    """Connect to the cluster the settings name and return the starter of this invocation's pods."""
    check(settings, 0)
    cluster = cluster_mod.connect(settings.kube_context, settings.kube_namespace)
    if settings.kube_node and not cluster.node_exists(settings.kube_node):
        raise UsageError(f"--node {settings.kube_node}: no such node in the cluster (kubectl get nodes lists them)")
    if settings.cold == "image" and settings.kube_node is not None:
        why = images.this_machines_engine(engine, settings.kube_node, cluster.node_facts(settings.kube_node))
        if why is not None:
            raise UsageError(
                f"--cold image with --backend kubernetes: {why}, so cprofiler cannot remove an image from it "
                "(Kubernetes has no API for that); use --cold warm, or run cprofiler on the node"
            )
    return PodStarter(
        cluster,
        invocation=invocation,
        labels=labels,
        signals=signals,
        timeout_s=settings.timeout_s,
        settle_s=settings.settle_s,
        node=settings.kube_node,
        node_selector=settings.kube_node_selector,
        registry=settings.kube_registry,
    )


def cold_level(settings: RunSettings, engine: Engine, starter: PodStarter) -> cold_levels.ColdLevel:
    """The ``--cold`` level of this backend: warm, or the node's image removed before each run."""
    if settings.cold == "image":
        return images.NodeImage(engine, starter.image_refs)
    return cold_levels.make("warm", engine)


def publish(engine: Engine, starter: PodStarter, infos: list[ImageInfo], say: Callable[[str], None]) -> None:
    """With ``--registry``, push the images and have the pods pull them by digest; else nothing."""
    registry = starter.registry
    if registry is not None:
        starter.image_refs.update(images.publish(engine, infos, images.parse_registry(registry), say))


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
        node.pop("node_boot_id", None)
        out.update(node)
    return out
