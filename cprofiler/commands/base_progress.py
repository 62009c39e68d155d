"""Progress of stand-in builds: one line per base with its phase, elapsed time and an estimate.

On a terminal each base building has one live line; elsewhere (CI logs, a pipe) a line is printed
whenever a base enters a new phase, whole: a log is read later, so nothing is cut to a width. The
estimate is the recipe's usual build time on this project's 2-core machine
(``Recipe.typical_build_s``), minus the time spent so far: a guide, said as "about".
"""

from __future__ import annotations

import math
import re
import time

from rich.console import Console
from rich.progress import Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text

from cprofiler.images.bases.catalog import get_recipe
from cprofiler.text import plain

_STEP = re.compile(r"^Step (\d+/\d+) : (\S+)")
_SCRIPT_STEP = re.compile(r"^== \d\d:\d\d:\d\d (.+)$")
_HEARTBEAT = re.compile(r"^\s*\d\d:\d\d:\d\d (\d+ object files compiled)$")
_SLOW_STEPS = frozenset({"FROM", "RUN", "COPY", "ADD"})
#: The recipes' own lines (``images.bases``): each starts a phase.
_OWN = ("building ", "built ", "probing ", "waiting", "debootstrap ", "importing ")


def phase_of(line: str) -> str | None:
    """The phase a stand-in's progress line starts (``step 3/6: RUN``, ``CPython: make``), or None
    for a line of a build's log that starts none."""
    if m := _STEP.match(line):
        # The steps that take time; ARG, ENV, LABEL and the like pass in a moment.
        return f"step {m.group(1)}: {m.group(2)}" if m.group(2).upper() in _SLOW_STEPS else None
    if m := _SCRIPT_STEP.match(line):
        return m.group(1).strip()
    if line.startswith(_OWN):
        return line
    return None


def estimate(name: str, elapsed_s: float) -> str:
    """``about 3 min left`` from the recipe's usual build time, or what is known when it is past that."""
    typical = get_recipe(name).typical_build_s
    left = typical - elapsed_s
    if left <= 0:
        return f"past its usual {math.ceil(typical / 60)} min"
    return f"about {math.ceil(left / 60)} min left"


class StandInProgress:
    """A ``Progress`` sink (``images.bases.registry.Progress``): call it with (recipe, line)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.started: dict[str, float] = {}
        self.phase: dict[str, str] = {}
        self.live: Progress | None = None
        self.tasks: dict[str, TaskID] = {}
        self.done: set[str] = set()

    def __call__(self, name: str, line: str) -> None:
        now = time.monotonic()
        self.started.setdefault(name, now)
        beat = _HEARTBEAT.match(line)
        phase = phase_of(line)
        if phase is None and beat is None:
            return
        if self.console.is_terminal:
            self._live_line(name, phase or f"{self.phase.get(name, '')} ({beat.group(1) if beat else ''})", now)
        elif phase is not None:
            elapsed = now - self.started[name]
            tail = "" if phase.startswith("built") else f" ({estimate(name, elapsed)})"
            self.console.print(Text(f"{elapsed:6.0f} s {plain(name)}: {plain(phase)}{tail}"), highlight=False, soft_wrap=True)
        if phase is not None:
            self.phase[name] = phase

    def _live_line(self, name: str, text: str, now: float) -> None:
        if self.live is None:
            self.live = Progress(
                TextColumn("[bold]{task.fields[base]}"),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                TextColumn("[dim]{task.fields[eta]}"),
                console=self.console,
            )
            self.live.start()
        if name not in self.tasks:
            self.tasks[name] = self.live.add_task("", base=name, eta="", total=None)
        done = text.startswith("built")
        eta = "" if done else estimate(name, now - self.started[name])
        # One line per base on a terminal: a long phase is cut at a word, never mid-word.
        width = max(20, self.console.width - len(name) - 40)
        shown = text if len(text) <= width else text[:width].rsplit(" ", 1)[0] + "…"
        self.live.update(self.tasks[name], description=plain(shown), eta=eta)
        if done:
            self.live.update(self.tasks[name], total=1, completed=1)
            self.done.add(name)
        if self.done >= set(self.tasks):
            self.close()  # every base drawn is built: the lines stay, and the next display may start

    def close(self) -> None:
        """End the live lines (a no-op when none were drawn)."""
        if self.live is not None:
            self.live.stop()
            self.live = None
            self.tasks = {}
