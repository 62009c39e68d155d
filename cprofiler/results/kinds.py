"""The words a results file uses for how a run or step ended, how it was probed, where memory was
read and where runs ran: one enum each, whose values are the JSON strings.

Fields typed with these accept the JSON string on reading (``"ok"``) and hold the member; code
compares with and assigns members (``run.status == RunStatus.OK``), never a bare string.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Strict


class RunStatus(StrEnum):
    """How a measured run ended."""

    #: Ready, and measured through settle.
    OK = "ok"
    #: Never ready within the timeout.
    TIMEOUT = "timeout"
    #: Exited before it was ready, or after it.
    CRASHED = "crashed"
    #: Killed by its memory limit.
    OOMKILLED = "oomkilled"
    #: cprofiler could not run or probe it (``error`` says why).
    ERROR = "error"
    #: Never started: the image's warmup or first run had failed, so its other runs were skipped
    #: (``error`` says how it failed; ``--keep-going`` runs them all).
    SKIPPED = "skipped"


class StepStatus(StrEnum):
    """How the container came through a load step: a run's words, and ``unresponsive``."""

    OK = "ok"
    #: Never ready, so never loaded.
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    OOMKILLED = "oomkilled"
    #: Alive, but it stopped answering under the load.
    UNRESPONSIVE = "unresponsive"
    ERROR = "error"


class ProbeVia(StrEnum):
    """How the readiness probe reached the container."""

    #: From inside the container's network namespace.
    NETNS = "netns"
    #: Through a port published on the host.
    PUBLISHED_PORT = "published-port"
    #: The pod's readinessProbe, run by the kubelet (``--backend kubernetes``).
    KUBELET = "kubelet"


class MemorySource(StrEnum):
    """Where a run's memory figures were read."""

    CGROUP_V1 = "cgroup-v1"
    CGROUP_V2 = "cgroup-v2"
    #: The engine's stats API (the cgroup was not visible here).
    ENGINE_STATS = "engine-stats"
    #: The kubelet's summary API (``--backend kubernetes``).
    KUBELET_SUMMARY = "kubelet-summary"


class BackendName(StrEnum):
    """Where the runs ran."""

    DOCKER = "docker"
    KUBERNETES = "kubernetes"


# Every other field of a record is strict; these take their JSON string (``"ok"``) as the member.
RunStatusField = Annotated[RunStatus, Strict(False)]
StepStatusField = Annotated[StepStatus, Strict(False)]
ProbeViaField = Annotated[ProbeVia, Strict(False)]
MemorySourceField = Annotated[MemorySource, Strict(False)]
BackendNameField = Annotated[BackendName, Strict(False)]
