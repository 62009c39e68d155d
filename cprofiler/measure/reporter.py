"""What the runner tells the user while it works: the protocol, and a reporter that says nothing.

The command line draws it (``cprofiler.commands.measure``); tests and benchmarks pass nothing.
"""

from __future__ import annotations

from typing import Protocol

from cprofiler.results.kinds import RunStatus, StepStatus
from cprofiler.results.load import LoadStep
from cprofiler.results.model import RunResult


class Reporter(Protocol):
    """Progress of a measurement: builds, the number of runs, each finished run."""

    def message(self, text: str) -> None: ...
    #: A line that changes what the measurement will hold (an image's other runs skipped).
    def warning(self, text: str) -> None: ...
    def building(self, name: str, line: str | None) -> None: ...
    def stand_in(self, recipe: str, line: str) -> None: ...
    def runs_planned(self, total: int) -> None: ...
    def run_done(self, run: RunResult, warmup: bool) -> None: ...
    def load_planned(self, total: int) -> None: ...
    def load_step_done(self, name: str, step: LoadStep, line: str) -> None: ...


class SilentReporter:
    """Says nothing; counts the runs that did not end ok, so a caller can still report them."""

    def __init__(self) -> None:
        #: Runs (warmup included) whose status was not ok.
        self.failures = 0

    def message(self, text: str) -> None:
        pass

    def warning(self, text: str) -> None:
        pass

    def building(self, name: str, line: str | None) -> None:
        pass

    def stand_in(self, recipe: str, line: str) -> None:
        pass

    def runs_planned(self, total: int) -> None:
        pass

    def run_done(self, run: RunResult, warmup: bool) -> None:
        if run.status != RunStatus.OK:
            self.failures += 1

    def load_planned(self, total: int) -> None:
        pass

    def load_step_done(self, name: str, step: LoadStep, line: str) -> None:
        if step.status != StepStatus.OK:
            self.failures += 1

    def close(self) -> None:
        pass
