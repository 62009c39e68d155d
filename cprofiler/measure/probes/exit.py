"""A batch job: ready when the container exits with status 0."""

from __future__ import annotations

from cprofiler.measure.probes.base import Probe, Watch
from cprofiler.measure.probes.registry import PROBES


@PROBES.register("exit")
class ExitProbe(Probe):
    def on_exit(self, watch: Watch, t_ns: int, code: int | None) -> None:
        if code == 0:
            watch.mark_ready(t_ns)
        watch.mark_exit(t_ns, code)
