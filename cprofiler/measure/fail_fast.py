"""Fail fast: when an image's warmup or first measured run fails, its other runs are skipped.

An image that cannot start once (a wrong port, a missing file, a crash on start) usually fails
the same way every time, and each failure can cost a whole ``--timeout``: ten runs of an
image that is never ready would keep the user waiting ten timeouts for nothing new. So, unless
``--keep-going``, the first failure of an image's warmup or of its first measured run ends that
image: its measured runs not yet run are recorded as ``skipped`` (each saying how the first one
failed), the other images go on, and one line says so. A failure of a later run is data (a flaky
start) and skips nothing.

Pure: the Runner hands each finished run to :meth:`FailFast.after` and does what it answers.
When the probe never saw the container ready and its port is not one the image declares with
``EXPOSE``, the line says so (:func:`port_hint`): a common cause of a first run that times out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cprofiler.results.kinds import RunStatus
from cprofiler.results.run import RunResult
from cprofiler.scenario.model import ReadySpec


@dataclass(frozen=True)
class Decision:
    """What the Runner does after one run of an image."""

    #: Said once to the user (the skip, or the port hint with ``--keep-going``); None: nothing.
    line: str | None = None
    #: The skipped measured runs to record, in index order; empty: the image goes on.
    skipped: list[RunResult] = field(default_factory=list)


@dataclass(frozen=True)
class FailFast:
    """The fail-fast rule of one measurement: ``runs`` measured runs per image, ``keep_going`` off or on."""

    #: Measured runs planned per image.
    runs: int
    #: ``--keep-going``: never skip; only the port hint is said.
    keep_going: bool = False

    def after(self, run: RunResult, *, warmup: bool, recorded: int, ready: ReadySpec, exposed: Sequence[str]) -> Decision:
        """The decision after ``run`` of image ``run.image``: ``warmup`` for a warmup run,
        ``recorded`` its measured runs recorded so far (this one included), ``ready`` its probe and
        ``exposed`` the ports its image EXPOSEs. Skips only on the first failure that counts: a
        warmup's, or the first measured run's (index 0), and only runs not recorded yet."""
        if not first_failure(run, warmup=warmup):
            return Decision()
        hint = port_hint(ready, exposed, run)
        left = self.runs - recorded
        if self.keep_going or left <= 0:
            return Decision(line=f"{run.image}: {hint}" if hint else None)
        which = "warmup run" if warmup else "first run"
        how = f"{run.status}: {run.error}" if run.error else str(run.status)
        failed = f"{which} failed ({how}{'; ' + hint if hint else ''})"
        others = f"{'measured' if warmup else 'other'} run{'s' if left != 1 else ''}"
        line = f"{run.image}: {failed}, skipping its {left} {others}; --keep-going runs them all"
        skipped = [
            RunResult(
                image=run.image, index=i, status=RunStatus.SKIPPED, error=f"skipped: its {failed}; --keep-going runs every run"
            )
            for i in range(recorded, self.runs)
        ]
        return Decision(line=line, skipped=skipped)


def first_failure(run: RunResult, *, warmup: bool) -> bool:
    """True when ``run`` failed (any status but ok and skipped) and was a warmup or the image's
    first measured run: the failure that ends the image without ``--keep-going``."""
    return run.status not in (RunStatus.OK, RunStatus.SKIPPED) and (warmup or run.index == 0)


def probe_port(ready: ReadySpec) -> int | None:
    """The port an http or tcp probe knocks on; None for a log or exit probe."""
    check = ready.http or ready.tcp
    return check.port if check is not None else None


def port_hint(ready: ReadySpec, exposed: Sequence[str], run: RunResult) -> str | None:
    """``the probe's port 8081 is not one the image EXPOSEs (8080/tcp)`` when ``run`` was never
    ready (timeout), its probe is http or tcp, and the image EXPOSEs some ports but not that one
    over tcp; None otherwise (an image that EXPOSEs nothing says nothing about its ports)."""
    port = probe_port(ready)
    if run.status != RunStatus.TIMEOUT or port is None or not exposed:
        return None
    if f"{port}/tcp" in exposed or str(port) in exposed:
        return None
    return f"the probe's port {port} is not one the image EXPOSEs ({', '.join(exposed)})"
