"""Ready at the first output line (stdout or stderr) that matches a regular expression."""

from __future__ import annotations

import re

from cprofiler.measure.probes.base import Probe, Watch
from cprofiler.measure.probes.registry import PROBES
from cprofiler.scenario.model import ReadySpec


@PROBES.register("log")
class LogProbe(Probe):
    def __init__(self, spec: ReadySpec) -> None:
        super().__init__(spec)
        assert spec.log is not None
        self.pattern = re.compile(spec.log)

    def on_line(self, watch: Watch, t_ns: int, line: bytes) -> None:
        # The instant is when the line reached us through the attach stream, taken by the reader.
        if self.pattern.search(line.decode("utf-8", "replace")):
            watch.mark_ready(t_ns)
