"""Ready at the first output line (stdout or stderr) that matches a regular expression.

The match runs in a worker process with a time bound per line (``bounded_regex``): a regex that
backtracks catastrophically fails the run with one line instead of holding up cprofiler.
"""

from __future__ import annotations

from cprofiler.measure.probes.base import Probe, Watch
from cprofiler.measure.probes.bounded_regex import RegexTooSlow, bounded
from cprofiler.measure.probes.registry import PROBES
from cprofiler.scenario.model import ReadySpec


@PROBES.register("log")
class LogProbe(Probe):
    def __init__(self, spec: ReadySpec) -> None:
        super().__init__(spec)
        assert spec.log is not None
        self.pattern = bounded(spec.log)
        # Made before the run's clock starts: the worker's start-up is not the container's.
        self.pattern.start()

    def on_line(self, watch: Watch, t_ns: int, line: bytes) -> None:
        # The instant is when the line reached us through the attach stream, taken by the reader.
        if watch.probe_error is not None:
            return  # the regex failed already; the run is over
        try:
            if self.pattern.search(line):
                watch.mark_ready(t_ns)
        except RegexTooSlow as exc:
            watch.fail(str(exc))
