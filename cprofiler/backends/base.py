"""The one seam between the runner and where runs run: :class:`Backend`.

The runner is handed one backend, chosen once from ``--backend`` (``backends/selection.py``), and
never asks which it has. A backend checks the plan before anything is built, starts one run at a
time, owns its ``--cold`` level (and its load phase, if it has one), publishes the built images
where its runs pull them from, states its environment for the results, reaps what killed
invocations left, and removes what it started on every way out. Images are always built by the
local engine, whatever the backend.
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from cprofiler import reaper
from cprofiler.backends.run import Invocation
from cprofiler.measure import cold as cold_levels

__all__ = ["Backend", "Invocation", "Transport", "say_on_stderr"]

if TYPE_CHECKING:
    from cprofiler.backends.run import Subject
    from cprofiler.engine import Engine, ImageInfo
    from cprofiler.measure.load.phase import LoadPhase
    from cprofiler.results.model import RunResult
    from cprofiler.scenario.loadspec import LoadSpec
    from cprofiler.settings import RunSettings


@dataclass(frozen=True)
class Transport:
    """How a backend's http and tcp probes reach a container, known before the settings exist
    (they are written into them)."""

    #: ``netns``, ``published-port`` or ``kubelet``.
    probe_via: str
    #: Pause between two probe attempts, in milliseconds.
    probe_interval_ms: float


class Backend(ABC):
    """Where the runs of one measurement run. Subclasses register in ``backends.registry.BACKENDS``
    under their ``--backend`` name, and are made once per measurement from its settings."""

    #: Its ``--backend`` name, also the results' ``environment.backend``.
    name: ClassVar[str]

    def __init__(self, settings: RunSettings, engine: Engine, invocation: Invocation) -> None:
        self.settings = settings
        #: The local engine: it builds the images on every backend.
        self.engine = engine
        self.invocation = invocation
        #: The ``--cold`` level of this backend's runs.
        self.cold: cold_levels.ColdLevel = cold_levels.make("warm", engine)
        #: The load phase of this backend, or None where it has none (``check`` refuses ``load:``).
        self.load: LoadPhase | None = None

    @classmethod
    @abstractmethod
    def transport(cls, engine: Engine) -> Transport:
        """How this backend's probes would reach containers here."""

    @classmethod
    def notice(cls, engine: Engine) -> str | None:
        """A line to print once before measuring about how this backend will measure here, or None."""
        return None

    @abstractmethod
    def check(self, load_rows: list[tuple[str, LoadSpec]]) -> None:
        """UsageError naming the flag or key this backend cannot do here; before anything is built.
        ``load_rows`` are the scenario rows to measure that have a load phase."""

    @abstractmethod
    def run(self, subject: Subject, index: int) -> RunResult:
        """One run of ``subject`` (``index`` -1: a warmup); nothing of it is left when this returns."""

    def publish(self, images: list[ImageInfo]) -> None:  # noqa: B027 - most backends run the images where built
        """Once, after the images are built and before the first run: put them where runs pull them."""

    @abstractmethod
    def facts(self) -> dict[str, Any]:
        """What the results' ``environment`` says of where the runs ran (``backend`` among them)."""

    def reap_stale(self, say: Callable[[str], None]) -> None:
        """Remove what killed cprofiler invocations left on the local engine: their containers, and
        an image a killed ``--cold image`` run left removed (before building: a ``--resume`` must
        find it)."""
        removed = reaper.reap(self.engine)
        if removed:
            say(f"removed {len(removed)} containers left by killed cprofiler invocations: {' '.join(removed)}")
        cold_levels.recover(self.engine, say)

    @abstractmethod
    def close(self) -> None:
        """Remove every container or pod of this invocation still there; on every way out."""


def say_on_stderr(text: str) -> None:
    """``cprofiler: text`` on stderr: how the command line says what it did besides measuring."""
    print(f"cprofiler: {text}", file=sys.stderr)
