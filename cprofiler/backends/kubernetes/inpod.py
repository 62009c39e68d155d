"""The http and tcp probes inside the pod's network namespace, where the node is this machine.

The kubelet's readinessProbe runs once a second, so the pod's Ready condition says when the app was
ready only to within a second. Where the pod runs on this machine, in the Docker engine cprofiler
talks to (the local cluster), its network namespace is reachable as on the Docker backend: the
namespace of the pod's sandbox container (dockershim's, which the app's container joins). There
cprofiler runs the same probe as on Docker, polling 127.0.0.1 every millisecond, from the moment the
sandbox runs; ``ready_ms`` is what it saw, ``probe_via`` is ``netns``, and the Ready condition is
kept beside it as ``ready_condition_ms`` (what a Service waits for). Anywhere else ``ready_ms`` is
the Ready condition (``probe_via: kubelet``).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from cprofiler.backends.kubernetes import images
from cprofiler.errors import CprofilerError
from cprofiler.measure.probes import Probe, Watch
from cprofiler.measure.probes.base import Target
from cprofiler.measure.start import probe_via

if TYPE_CHECKING:
    from cprofiler.backends.kubernetes.cluster import Cluster
    from cprofiler.engine import Engine

#: Pause between two looks for the pod's sandbox on the engine, in seconds (the sandbox runs tens
#: of milliseconds before the app's container starts, so the probe is polling before the app can answer).
SANDBOX_POLL_S = 0.005


class InPodProbes:
    """Which nodes are this machine, and the in-pod probe of each run on one of them."""

    def __init__(self, engine: Engine | None, cluster: Cluster) -> None:
        self.engine = engine
        self.cluster = cluster
        #: Whether this process may enter another network namespace (root, an engine on this host).
        self.possible = engine is not None and probe_via(engine) == "netns"
        self._nodes: dict[str, bool] = {}

    def on_this_machine(self, node: str) -> bool:
        """Whether ``node`` runs its pods in this machine's engine (cached per node)."""
        if node not in self._nodes:
            ok = False
            if self.possible and self.engine is not None:
                try:
                    ok = images.this_machines_engine(self.engine, node, self.cluster.node_facts(node)) is None
                except CprofilerError:
                    ok = False
            self._nodes[node] = ok
        return self._nodes[node]

    def begin(self, pod: str, probe: Probe, watch: Watch) -> InPodProbe:
        """Start looking for ``pod``'s sandbox; the probe begins in its namespace once it runs."""
        assert self.engine is not None
        inpod = InPodProbe(self.engine, self.cluster.namespace, pod, probe, watch)
        threading.Thread(target=inpod.find, name="cprofiler-inpod", daemon=True).start()
        return inpod


class InPodProbe:
    """One run's probe inside its pod: begun (``begun`` set) once the pod's sandbox was found."""

    def __init__(self, engine: Engine, namespace: str, pod: str, probe: Probe, watch: Watch) -> None:
        self.engine, self.namespace, self.pod = engine, namespace, pod
        self.probe, self.watch = probe, watch
        self.begun = threading.Event()

    def find(self) -> None:
        """Poll the engine for the sandbox until found, the run is over, or the engine fails (the
        Ready condition is then ready, as without this probe)."""
        watch = self.watch
        while not watch.stop.is_set() and not watch.done.is_set():
            try:
                pid = self.engine.pod_sandbox_pid(self.namespace, self.pod)
            except CprofilerError:
                return
            if pid is not None:
                self.begun.set()
                self.probe.begin(watch, Target(netns=f"/proc/{pid}/ns/net"))
                return
            time.sleep(SANDBOX_POLL_S)
