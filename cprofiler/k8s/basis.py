"""What a recommendation is sized from: the basis, chosen per image from the figures it has.

A basis names the per-run figures behind the memory request, the memory limit and the CPU request,
and says how they were measured. :func:`choose` takes the first function of :data:`BASES` that
applies to an image, so a newer kind of evidence wins and an older results file still gets the
rule it was written for:

* ``lifetime`` (exit-probed images): each run's memory high-water mark over its whole life,
  kept by a per-run parent cgroup (:mod:`cprofiler.measure.lifetime`), and its CPU time over its life;
* ``settle-peak``: each run's peak working set over the settle window, sampled at 20 Hz
  (:mod:`cprofiler.measure.settle_peak`); the VPA-like rule;
* ``settle-snapshot``: one working-set reading per run at the end of settle; the rule for results
  written before the settle window was sampled.

The two settle bases are idle figures: no traffic was applied. A basis built from a load phase (working-set
peaks under load, cores at a chosen rate) is one more function placed first in :data:`BASES`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cprofiler.results.model import ImageResult


@dataclass(frozen=True)
class Figure:
    """Per-run values of one measured figure, and how a rule reduces them."""

    #: The values, one per run (bytes or cores).
    values: list[float]
    #: What they are, as the formula text names them: ``settle peak working set``.
    what: str
    #: The percentile taken (linear interpolation between closest ranks); None: the maximum.
    percentile: int | None = None


@dataclass(frozen=True)
class Basis:
    """The figures one image's recommendation is sized from."""

    #: Short name, for the header, annotations and the summary: ``settle-peak``.
    name: str
    #: One line: what was measured and how the request is derived from it.
    description: str
    #: The memory request's figure (ok runs).
    memory_request: Figure
    #: The memory limit's figure (every run: a timed-out run's memory was still used).
    memory_limit: Figure
    #: The CPU request's figure (ok runs); None when none was measured.
    cpu_request: Figure | None
    #: True when no load was applied: the sizes cover start-up and idle, not traffic.
    idle: bool = True
    #: Why a figure is missing or replaced, one sentence each.
    notes: tuple[str, ...] = field(default=())


#: A basis function: the basis for an image, or None when the image lacks its figures.
BasisFunc = Callable[[ImageResult], "Basis | None"]


def _all_runs(image: ImageResult, name: str) -> list[float]:
    """``name`` of every run that has it, whatever its status."""
    return [float(v) for r in image.runs if (v := getattr(r, name)) is not None]


def _cpu(image: ImageResult, name: str, what: str) -> Figure | None:
    values = image.values(name)
    return Figure(values, what, 90) if values else None


def _settle_limit(image: ImageResult, notes: list[str]) -> Figure:
    """The services' limit figure: the cgroup's peak over every run, else the largest working set."""
    peaks = _all_runs(image, "peak_bytes")
    if peaks:
        return Figure(peaks, "peak")
    notes.append("no run recorded a memory peak; the limit is built on the largest working set instead")
    return Figure(image.values("working_set_bytes"), "working set")


def lifetime(image: ImageResult) -> Basis | None:
    """A batch job sized from its whole life, when its runs recorded it."""
    peaks = image.values("lifetime_peak_bytes")
    if image.kind != "exit" or not peaks:
        return None
    return Basis(
        name="lifetime",
        description="each run's memory high-water mark over its whole life (a per-run parent cgroup); "
        "request from p95 of the per-run peaks, limit from the largest",
        memory_request=Figure(peaks, "lifetime peak", 95),
        memory_limit=Figure(_all_runs(image, "lifetime_peak_bytes"), "lifetime peak"),
        cpu_request=_cpu(image, "lifetime_cpu_cores", "lifetime CPU"),
        # A job's own work is its load: the risk is other input, which recommend's header states.
        idle=False,
    )


def settle_peak(image: ImageResult) -> Basis | None:
    """The VPA-like rule: a high percentile of each run's peak working set while settling."""
    ok = image.ok_runs()
    peaks = image.values("settle_peak_working_set_bytes")
    if not ok or len(peaks) < len(ok):
        return None
    notes: list[str] = []
    return Basis(
        name="settle-peak",
        description="each run's peak working set from ready to the end of settle, sampled every 50ms; "
        "request from p95 of the per-run peaks (the VPA recommender: p90 of a histogram of peaks "
        "decaying with a 24h half-life over 8 days)",
        memory_request=Figure(peaks, "settle peak working set", 95),
        memory_limit=_settle_limit(image, notes),
        cpu_request=_cpu(image, "settle_cpu_cores", "settle CPU"),
        notes=tuple(notes),
    )


def settle_snapshot(image: ImageResult) -> Basis | None:
    """The rule for results without settle sampling: one working-set reading per run."""
    working_sets = image.values("working_set_bytes")
    if not working_sets:
        return None
    notes: list[str] = []
    if image.kind != "exit":
        notes.append(
            "the results hold no settle_peak_working_set_bytes (written before cprofiler sampled the settle "
            "window): the memory request uses one working-set snapshot per run, the older rule"
        )
    return Basis(
        name="settle-snapshot",
        description="one working-set reading per run at the end of settle; request from p95 of them",
        memory_request=Figure(working_sets, "working set", 95),
        memory_limit=_settle_limit(image, notes),
        cpu_request=_cpu(image, "settle_cpu_cores", "settle CPU"),
        notes=tuple(notes),
    )


#: Tried in order; the first that applies is used. A load-phase basis goes first.
BASES: tuple[BasisFunc, ...] = (lifetime, settle_peak, settle_snapshot)


def choose(image: ImageResult) -> Basis | None:
    """The first basis of :data:`BASES` that ``image`` has the figures for; None when none does."""
    for basis in BASES:
        found = basis(image)
        if found is not None:
            return found
    return None
