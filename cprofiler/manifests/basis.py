"""What a recommendation is sized from: the basis, chosen per image from the figures it has.

A basis names the per-run (or per-step) figures behind the memory request, the memory limit and
the CPU request, and says how they were measured. :func:`choose` takes the first function of
:data:`BASES` that applies to an image, so a newer kind of evidence wins and an older results file
still gets the rule it was written for:

* ``load`` (images with a load phase): the working-set peaks under load and the cores used at one
  rate of the load phase (:mod:`cprofiler.manifests.rates`: ``--at-rate``, by default the capacity
  rate); the limit from the largest peak the container reached, under load at any rate or while
  starting; never from a load phase that failed (:mod:`cprofiler.manifests.failed`);
* ``lifetime`` (exit-probed images): each run's memory high-water mark over its whole life,
  kept by a per-run parent cgroup (:mod:`cprofiler.measure.lifetime`), and its CPU time over its life;
* ``kubelet-sample`` (``--backend kubernetes``): one working set per run from the kubelet's
  ``/stats/summary``, some seconds after ready (cAdvisor samples every 10-15 s); the start-up peak
  is unknown, so it gives a request and no memory limit, unless the runs also hold a peak;
* ``settle-peak``: each run's peak working set over the settle window, sampled at 20 Hz
  (:mod:`cprofiler.measure.settle_peak`); the VPA-like rule;
* ``settle-snapshot``: one working-set reading per run at the end of settle; the rule for results
  written before the settle window was sampled.

The two settle bases are idle figures: no traffic was applied, and the header says what that risks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cprofiler.errors import UsageError
from cprofiler.manifests.coverage import THROTTLED_SHARE, throttled
from cprofiler.manifests.quantities import significant
from cprofiler.manifests.rates import Capacity, RateChoice, at_rate_text, capacity, choose_rate, rate_text
from cprofiler.results import capacity as verdict
from cprofiler.results.kinds import MemorySource, StepStatus
from cprofiler.results.load import GENERATOR_BOUND_SHARE, Ceiling, LoadStep, generator_bound
from cprofiler.results.model import ImageResult


@dataclass(frozen=True)
class Figure:
    """Per-run values of one measured figure, and how a rule reduces them."""

    #: The values, one per run or load step (bytes or cores); empty when none was measured.
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
    #: The CPU request's figure (ok runs); no values when none was measured.
    cpu_request: Figure
    #: True when no load was applied: the sizes cover start-up and idle, not traffic.
    idle: bool = True
    #: What the percentiles are taken over, for the header.
    over: str = "the ok runs"
    #: The load step the requests are sized at; None for a basis without a load phase.
    rate: RateChoice | None = None
    #: What one pod serves and the CPU per request/s there, for the autoscaler; None without.
    capacity: Capacity | None = None
    #: Why a figure is missing or replaced, one sentence each.
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Context:
    """What a basis may need beside the image: the user's choice and the measurement's facts."""

    #: The rate to size at, requests/s (``--at-rate``); None: the basis's default.
    at_rate: float | None = None
    #: The load generator's ceiling on the measuring machine; None without a load phase.
    ceiling: Ceiling | None = None


#: A basis function: the basis for an image, or None when the image lacks its figures.
BasisFunc = Callable[[ImageResult, Context], "Basis | None"]


def _all_runs(image: ImageResult, name: str) -> list[float]:
    """``name`` of every run that has it, whatever its status."""
    return [float(v) for r in image.runs if (v := getattr(r, name)) is not None]


def _cpu(image: ImageResult, name: str, what: str) -> Figure:
    return Figure(image.values(name), what, 90)


def _settle_limit(image: ImageResult, notes: list[str]) -> Figure:
    """The services' limit figure: the cgroup's peak over every run, else the largest working set."""
    peaks = _all_runs(image, "peak_bytes")
    if peaks:
        return Figure(peaks, "peak")
    notes.append("no run recorded a memory peak; the limit is built on the largest working set instead")
    return Figure(image.values("working_set_bytes"), "working set")


def load(image: ImageResult, context: Context) -> Basis | None:
    """Sized under load: working-set peaks and cores at the sizing rate, when the image has a load
    phase with ok steps (:func:`cprofiler.manifests.rates.choose_rate`; UsageError for a bad ``--at-rate``)."""
    phase = image.load
    if phase is None:
        return None
    if verdict.failures(phase):
        # A failed phase sizes nothing (cprofiler.manifests.failed): with --from-idle the idle bases do.
        return None
    choice = choose_rate(image.name, phase, context.at_rate)
    if choice is None:
        return None
    at = at_rate_text(choice.rate)
    steps = choice.steps
    # The limit covers every peak the container reached: under load whatever the rate or the
    # step's end, and while starting, since a pod starts before it serves.
    peaks = [float(s.working_set_peak_bytes) for s in phase.steps if s.working_set_peak_bytes is not None]
    peaks += _all_runs(image, "peak_bytes")
    notes = _load_notes(phase.steps, steps, context.ceiling, image.cpus is not None, phase.duration_s)
    return Basis(
        name="load",
        description=f"{len(steps)} ok load steps {at} ({choice.why}); request from p95 of their working-set "
        "peaks and p90 of their CPU, limit from the largest peak under load at any rate or at start-up",
        memory_request=Figure([float(s.working_set_peak_bytes or 0) for s in steps], f"working-set peak under load {at}", 95),
        memory_limit=Figure(peaks, "peak under load or at start-up"),
        cpu_request=Figure([s.cpu_cores for s in steps if s.cpu_cores is not None], f"CPU under load {at}", 90),
        idle=False,
        over=f"the ok load steps {at} (memory and CPU requests) and the ok runs (startupProbe)",
        rate=choice,
        capacity=capacity(phase, choice),
        notes=tuple(notes),
    )


def _load_notes(
    every: list[LoadStep], used: list[LoadStep], ceiling: Ceiling | None, capped: bool, duration_s: float
) -> list[str]:
    """What to know about the load steps: failures, steps that measured the generator, throttling."""
    notes = []
    failed = [s for s in every if s.status != StepStatus.OK]
    if failed:
        what = ", ".join(f"{s.status} {at_rate_text(s.rate)}" for s in failed)
        notes.append(
            f"{len(failed)} of {len(every)} load steps did not end ok ({what}): their peaks count toward the limit, "
            "their other figures are left out"
        )
    bound = [s for s in every if generator_bound(s.qps, ceiling)]
    if bound and ceiling is not None and ceiling.qps is not None:
        rates = ", ".join(dict.fromkeys(rate_text(s.rate) for s in bound))
        notes.append(
            f"{len(bound)} load step(s) ({rates}) ran above {GENERATOR_BOUND_SHARE:.0%} of the load generator's ceiling "
            f"({significant(ceiling.qps)} QPS here): they measured the generator as much as the image, which may serve more"
        )
    held = [s for s in used if throttled(s, duration_s)]
    if held and capped:
        notes.append(
            f"throttled by the cpus: cap in {len(held)} of {len(used)} steps sized from (in more than {THROTTLED_SHARE:.0%} "
            "of their CFS periods or time): their CPU figure is the cap, not what the image would take without it"
        )
    return notes


def lifetime(image: ImageResult, context: Context) -> Basis | None:
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


def kubelet_sample(image: ImageResult, context: Context) -> Basis | None:
    """A service measured on ``--backend kubernetes``: each ok run's working set as the kubelet
    reported it once, some seconds after ready. No start-up peak was seen, so no memory limit comes
    from it; a peak the runs do hold (``peak_bytes``) gives the limit as usual."""
    ok = image.ok_runs()
    if image.kind == "exit" or not ok or any(r.memory_source != MemorySource.KUBELET_SUMMARY for r in ok):
        return None
    samples = [float(v) for r in ok if (v := r.settle_peak_working_set_bytes or r.working_set_bytes) is not None]
    if not samples:
        return None
    after = [r.memory_sample_after_ready_ms / 1000 for r in ok if r.memory_sample_after_ready_ms is not None]
    when = f"{min(after):.0f}-{max(after):.0f}s after ready" if after else "some seconds after ready"
    peaks = _all_runs(image, "peak_bytes")
    notes = []
    if not peaks:
        notes.append(
            "no memory limit: the kubelet's samples miss the start-up peak, and a limit below it OOM-kills the pod "
            "as it starts; measure with --backend docker for the peak (peak_bytes), or set a limit by hand"
        )
    return Basis(
        name="kubelet-sample",
        description=f"one kubelet /stats/summary working-set sample per run, {when} (cAdvisor samples every "
        "10-15s); the start-up peak is unknown; request from p95 of the samples, "
        + ("limit from the largest start-up peak" if peaks else "no limit"),
        memory_request=Figure(samples, "kubelet working-set sample", 95),
        memory_limit=Figure(peaks, "start-up peak" if peaks else "no start-up peak was measured (kubelet samples only)"),
        cpu_request=_cpu(image, "settle_cpu_cores", "settle CPU"),
        notes=tuple(notes),
    )


def settle_peak(image: ImageResult, context: Context) -> Basis | None:
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


def settle_snapshot(image: ImageResult, context: Context) -> Basis | None:
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


#: Tried in order; the first that applies is used.
BASES: tuple[BasisFunc, ...] = (load, lifetime, kubelet_sample, settle_peak, settle_snapshot)


def choose(image: ImageResult, context: Context | None = None) -> Basis | None:
    """The first basis of :data:`BASES` that ``image`` has the figures for; None when none does.

    Raise UsageError when ``context.at_rate`` is given and ``image`` has no load step at that rate
    to size from: sizing it from idle figures instead would not be what was asked.
    """
    context = context or Context()
    if context.at_rate is not None and image.load is None:
        raise UsageError(
            f"--at-rate {context.at_rate:g}: image {image.name!r} has no load phase; "
            "select the images measured under load with --only IMAGE, or leave --at-rate out"
        )
    for basis in BASES:
        found = basis(image, context)
        if found is not None:
            return found
    return None
