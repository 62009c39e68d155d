"""What a recommendation's figures cover, in words for its header: the job as run, one pod at a
rate, a saturation figure, or idle and its risk; and when a load step counts as throttled.

Pure text from the results model and the chosen basis (:mod:`cprofiler.manifests.basis`).
"""

from __future__ import annotations

from cprofiler.manifests import failed
from cprofiler.manifests.rates import RateChoice, rate_text
from cprofiler.results.load import LoadResult, LoadStep
from cprofiler.results.model import ImageResult

#: A step is throttled by its ``cpus:`` cap when more than this share of its CFS periods, or of its
#: window's time, was throttled: one throttled period of 200 (0.018 ms in 20 s) is a scheduling
#: blip, not a cap that held the container back.
THROTTLED_SHARE = 0.01
#: The CFS period, in milliseconds: the kernel's and Docker's default (``cpu.cfs_period_us`` 100000).
CFS_PERIOD_MS = 100.0


def throttled(step: LoadStep, duration_s: float) -> bool:
    """True when ``step`` was throttled in more than :data:`THROTTLED_SHARE` of its CFS periods or of
    its window (``cpu_window_s``, else ``window_s``, else the phase's ``duration_s``)."""
    window_ms = 1000 * (step.cpu_window_s or step.window_s or duration_s)
    if window_ms <= 0:
        return False
    periods = window_ms / CFS_PERIOD_MS
    by_periods = (step.throttled_periods or 0) > THROTTLED_SHARE * periods
    by_time = (step.throttled_ms or 0) > THROTTLED_SHARE * window_ms
    return by_periods or by_time


def saturation_warning(image: ImageResult, choice: RateChoice | None) -> str | None:
    """The warning of a recommendation sized from a closed loop (a ``load:`` without ``rates:``),
    or None: such figures are what the image took flat out, not what it needs at a served rate."""
    if choice is None or choice.rate is not None:
        return None
    cpu = (
        f"its cpus: {image.cpus:g} cap plus the margin" if image.cpus is not None else "the CPU it took flat out plus the margin"
    )
    return (
        "sized from a closed loop (a load: without rates:), a saturation figure: the CPU request is "
        f"{cpu}, and the HPA target and capacity come from the QPS reached flat out, not from a rate served "
        "within a latency target; add rates: and slo: (e.g. slo: {p99_ms: 100}) to the scenario's load: block "
        "and measure again to size at a rate"
    )


IDLE = (
    "idle figures: no load was applied; they cover start-up and an idle service, not traffic",
    "idle risk: under traffic the pod is under-provisioned: memory grows with concurrency (connections, "
    "buffers, caches), so the limit can OOM-kill a busy pod, and the CPU request covers idle only, so on a "
    "busy node the pod gets too little CPU and slows down; add a load: block to the scenario and measure again",
)


def coverage(image: ImageResult, choice: RateChoice | None, batch: bool) -> tuple[str, ...]:
    """Header lines saying what the figures cover: the job as run, one pod at a rate, or idle, and its risk."""
    if batch:
        return ("batch figures: the job as the scenario ran it; with more input it can need more memory and time",)
    if (lines := failed.coverage(image)) is not None:
        return lines
    phase = image.load
    if phase is None or choice is None:
        return IDLE
    how = _how(phase, choice)
    if choice.rate is None:
        return (
            f"load figures: closed loop, as fast as it goes, from {how}: a saturation figure, the most memory and CPU "
            "the image took when driven flat out, not a rate it serves within a latency target; "
            "measure with rates: and slo: to size at a rate",
        )
    return (
        f"load figures: requests sized at {rate_text(choice.rate)} ({choice.why}; --at-rate to choose), from {how}; "
        "they cover one pod at that rate: more traffic needs more pods, not bigger ones",
    )


def _how(phase: LoadResult, choice: RateChoice) -> str:
    generator = " ".join(filter(None, (phase.generator, phase.generator_version)))
    return (
        f"{len(choice.steps)} ok steps of {phase.duration_s:g}s, {phase.connections} connections, "
        f"{generator}, {phase.request or 'the probe path'}"
    )
