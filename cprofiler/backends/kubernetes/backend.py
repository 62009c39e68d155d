"""``--backend kubernetes`` as the runner sees it (:class:`KubernetesBackend`): a pod starter for
the settings, the cluster's facts for the results, and what this backend cannot do yet (refused
before anything is built)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cprofiler.backends.base import Backend, Invocation, Transport
from cprofiler.backends.kubernetes import cluster as cluster_mod
from cprofiler.backends.kubernetes import images
from cprofiler.backends.kubernetes.manifest import PROBE_PERIOD_S, Placement
from cprofiler.backends.kubernetes.pods import reap_pods
from cprofiler.backends.kubernetes.starter import PodStarter
from cprofiler.backends.registry import BACKENDS
from cprofiler.backends.run import RunTiming, Subject
from cprofiler.errors import UsageError
from cprofiler.measure.probes.base import POLL_INTERVAL_S
from cprofiler.measure.start import probe_via
from cprofiler.results.model import RunResult
from cprofiler.settings import RunSettings

if TYPE_CHECKING:
    from cprofiler.engine import Engine, ImageInfo
    from cprofiler.scenario.loadspec import LoadSpec


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


def pod_starter(settings: RunSettings, engine: Engine, invocation: Invocation) -> PodStarter:
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
        timing=RunTiming(timeout_s=settings.timeout_s, settle_s=settings.settle_s),
        placement=Placement(node=settings.kube_node, node_selector=settings.kube_node_selector),
        registry=settings.kube_registry,
        engine=engine,
    )


@BACKENDS.register("kubernetes")
class KubernetesBackend(Backend):
    """Runs on a cluster: one Pod per run, deleted when the run ends; images built by the local engine."""

    name = "kubernetes"

    def __init__(self, settings: RunSettings, engine: Engine, invocation: Invocation) -> None:
        super().__init__(settings, engine, invocation)
        self.starter = pod_starter(settings, engine, invocation)
        if settings.cold == "image":
            self.cold = images.NodeImage(engine, self.starter.image_refs)

    @classmethod
    def transport(cls, engine: Engine) -> Transport:
        # Where this process may enter a pod's network namespace, the in-pod probe of a pod on this
        # machine polls every POLL_INTERVAL_S (a run on another node records probe_via kubelet);
        # else the kubelet probes, once per readinessProbe period.
        if probe_via(engine) == "netns":
            return Transport(probe_via="netns", probe_interval_ms=POLL_INTERVAL_S * 1000)
        return Transport(probe_via="kubelet", probe_interval_ms=PROBE_PERIOD_S * 1000)

    def check(self, load_rows: list[tuple[str, LoadSpec]]) -> None:
        check(self.settings, len(load_rows))
        self.cold.check()

    def run(self, subject: Subject, index: int) -> RunResult:
        return self.starter.run(subject, index)

    def publish(self, images_built: list[ImageInfo]) -> None:
        """With ``--registry``, push the images and have the pods pull them by digest; else nothing."""
        registry = self.starter.registry
        if registry is not None:
            pushed = images.publish(self.engine, images_built, images.parse_registry(registry), self.invocation.say)
            self.starter.image_refs.update(pushed)

    def facts(self) -> dict[str, Any]:
        """The cluster's facts for the results' environment: versions, namespace, and the node's
        versions and capacity when the pods are bound to one node."""
        cluster = self.starter.cluster
        out: dict[str, Any] = {
            "backend": self.name,
            "kubernetes_version": cluster.server_version(),
            "namespace": cluster.namespace,
            "context": cluster.context,
        }
        if self.starter.node is not None:
            node = cluster.node_facts(self.starter.node)
            node.pop("node_addresses", None)
            node.pop("node_boot_id", None)
            out.update(node)
        return out

    def reap_stale(self, say: Callable[[str], None]) -> None:
        """The local engine's leftovers, then pods of killed invocations in the namespace measured in."""
        super().reap_stale(say)
        removed = reap_pods(self.starter.cluster)
        if removed:
            say(f"deleted {len(removed)} pods left by killed cprofiler invocations: {' '.join(removed)}")

    def close(self) -> None:
        self.starter.pods.remove_all()
