"""The pods one invocation has made: recorded the moment they exist, deleted on every way out;
and the reaper of pods whose invocation died (like ``measure/containers.py`` and ``reaper.py``)."""

from __future__ import annotations

import socket
import threading

from cprofiler.errors import CprofilerError
from cprofiler.kube.cluster import Cluster
from cprofiler.kube.manifest import label_value
from cprofiler.labels import LABEL, LABEL_HOST, LABEL_PIDNS
from cprofiler.reaper import is_stale, pid_namespace


class PodSet:
    """The pods of this invocation not yet deleted; another invocation's pods are never touched."""

    def __init__(self, cluster: Cluster, invocation: str) -> None:
        self.cluster = cluster
        self.invocation = invocation
        self._names: set[str] = set()
        self._lock = threading.Lock()

    def add(self, name: str) -> None:
        with self._lock:
            self._names.add(name)

    def remove(self, name: str) -> None:
        self.cluster.delete_pod(name)
        with self._lock:
            self._names.discard(name)

    def remove_all(self) -> None:
        """Delete every pod of this invocation; safe to call again, and after any failure."""
        with self._lock:
            names = list(self._names)
        for name in names:
            try:
                self.remove(name)
            except CprofilerError:
                pass  # the API server is gone; the next measure (or `cprofiler clean`) reaps it
        # A backstop for a pod created while the create call was cut short: it carries our label.
        try:
            for pod in self.cluster.labelled_pods(f"{LABEL}={self.invocation}"):
                self.remove(pod.name)
        except CprofilerError:
            pass  # as above


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
