"""Ready at the first accepted connection."""

from __future__ import annotations

from cprofiler.measure.probes.base import Probe, Target, Watch, poll_connect
from cprofiler.measure.probes.registry import PROBES


@PROBES.register("tcp")
class TcpProbe(Probe):
    def ports(self) -> list[int]:
        assert self.spec.tcp is not None
        return [self.spec.tcp.port]

    def begin(self, watch: Watch, target: Target) -> None:
        assert self.spec.tcp is not None
        # Inside the container's namespace an accepted connect is the app's own accept queue.
        # Through a published port the engine's userland proxy may accept before the app listens;
        # the README says so, and the runner prefers the namespace.
        poll_connect(watch, target, self.spec.tcp.port, lambda s: True)
