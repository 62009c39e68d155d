"""The pods one invocation has made: recorded the moment they exist, deleted on every way out;
and the reaper of pods whose invocation died (like ``measure/containers.py`` and ``reaper.py``)."""

from __future__ import annotations

import socket

from cprofiler.backends.kubernetes.cluster import Cluster
from cprofiler.backends.kubernetes.manifest import label_value
from cprofiler.labels import LABEL, LABEL_HOST, LABEL_PIDNS
from cprofiler.measure.containers import OwnedSet
from cprofiler.reaper import is_stale, pid_namespace


class PodSet(OwnedSet):
    """The pods of this invocation not yet deleted; another invocation's pods are never touched."""

    def __init__(self, cluster: Cluster, invocation: str) -> None:
        super().__init__(invocation)
        self.cluster = cluster

    def _delete(self, key: str) -> None:
        self.cluster.delete_pod(key)

    def _labelled(self) -> list[str]:
        return [pod.name for pod in self.cluster.labelled_pods(f"{LABEL}={self.invocation}")]


def _as_written(labels: dict[str, str]) -> dict[str, str]:
    """A pod's owner labels as ``own_labels`` wrote them: a label value cannot hold the PID
    namespace's ``:[]`` (nor every host name), so the manifest stored them sanitized."""
    out = dict(labels)
    for key, mine in ((LABEL_PIDNS, pid_namespace()), (LABEL_HOST, socket.gethostname())):
        if mine and out.get(key) == label_value(mine):
            out[key] = mine
    return out


def reap_pods(cluster: Cluster, *, everything: bool = False) -> list[str]:
    """Delete pods of dead cprofiler invocations in the cluster's namespace (all labelled ones
    with ``everything``); return their names."""
    removed = []
    for pod in cluster.labelled_pods(LABEL):
        if everything or is_stale(_as_written(pod.labels)):
            cluster.delete_pod(pod.name)
            removed.append(pod.name)
    return removed
