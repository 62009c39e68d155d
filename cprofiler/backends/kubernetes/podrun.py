"""What the threads of one pod's run share while it is measured (:class:`PodRun`)."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

from cprofiler.backends.kubernetes.cluster import PodView
from cprofiler.backends.kubernetes.inpod import InPodProbe
from cprofiler.backends.run import LOG_TAIL_LINES
from cprofiler.measure.probes import Probe, Watch


@dataclass
class Marks:
    """What the watch saw of one run, besides the shared ``Watch`` (monotonic ns)."""

    scheduled_ns: int | None = None
    running_ns: int | None = None
    #: When a watch event first showed the pod's Ready condition True.
    condition_ns: int | None = None
    #: The node the pod was bound to.
    node: str | None = None
    #: Why the container ended (``OOMKilled``, ``Error``, ``Completed``).
    reason: str | None = None
    #: The last state seen.
    last: PodView | None = None


@dataclass
class PodRun:
    """One pod's run while it is measured: what the threads share."""

    name: str
    #: The scenario's ``ready`` kind: http, tcp, log or exit.
    kind: str
    probe: Probe
    watch: Watch = field(default_factory=Watch)
    marks: Marks = field(default_factory=Marks)
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=LOG_TAIL_LINES))
    #: Reads the pod's output once its container runs (started by the watch).
    follower: threading.Thread = field(default_factory=threading.Thread)
    #: The http or tcp probe inside the pod's network namespace, where the node is this machine.
    inpod: InPodProbe | None = None

    def probed_in_pod(self) -> bool:
        """Whether ready is the in-pod probe's (it found the pod's sandbox and began)."""
        return self.inpod is not None and self.inpod.begun.is_set()

    def unready_in_pod(self) -> bool:
        """The in-pod probe saw ready, but the kubelet never marked the pod Ready, nor did it exit."""
        return self.probed_in_pod() and self.marks.condition_ns is None and self.watch.exit_ns is None
