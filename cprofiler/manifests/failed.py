"""A load phase that failed: nothing is sized from it, and idle figures only when asked for.

A failed phase (:func:`cprofiler.results.capacity.failures`: a step crashed, did not answer, was
OOM-killed or answered too many requests with errors) says how the image behaves under traffic:
badly. Its figures size nothing and its rates give no HPA. ``k8s`` skips the image, saying why;
``--from-idle`` writes its idle figures instead (start-up and an idle service), with a WARNING in
the header and on stderr, since a pod sized so will meet the traffic that broke it.
"""

from __future__ import annotations

from cprofiler.errors import CprofilerError, UsageError
from cprofiler.results import capacity
from cprofiler.results.model import ImageResult

#: The flag that accepts idle figures for an image whose load phase failed.
FROM_IDLE = "--from-idle"

#: What idle figures risk under traffic, for the header.
IDLE_RISK = (
    "idle risk: under traffic the pod is under-provisioned: memory grows with concurrency (connections, "
    "buffers, caches), so the limit can OOM-kill a busy pod, and the CPU request covers idle only, so on a "
    "busy node the pod gets too little CPU and slows down"
)


def why(image: ImageResult) -> str | None:
    """Why ``image``'s load phase failed, one clause; None when it has none or it did not fail."""
    reasons = capacity.failures(image.load) if image.load is not None else []
    return "; ".join(reasons) if reasons else None


def refusal(image: ImageResult) -> str | None:
    """Why ``image`` gets no manifest without ``--from-idle``; None when its load phase did not fail."""
    reason = why(image)
    if reason is None:
        return None
    return (
        f"image {image.name!r} skipped: its load phase failed ({reason}), so nothing is sized from it and no HPA "
        f"is written; fix the service and measure again, or write its idle figures with {FROM_IDLE} (risky under traffic)"
    )


def warning(image: ImageResult) -> str | None:
    """The WARNING line of an image sized from idle figures because its load phase failed; else None."""
    reason = why(image)
    if reason is None:
        return None
    return (
        f"WARNING: image {image.name!r}: the load phase failed ({reason}); {FROM_IDLE}: these are idle figures, "
        "no HPA: a pod sized so is not known to serve traffic at all"
    )


def coverage(image: ImageResult) -> tuple[str, ...] | None:
    """The header's coverage lines of such an image: the WARNING and the idle risk; else None."""
    line = warning(image)
    return (line, IDLE_RISK) if line is not None else None


def check(image: ImageResult, *, at_rate: float | None, from_idle: bool, source: str) -> None:
    """Refuse to size ``image`` from a failed load phase: UsageError (exit 2) for ``--at-rate``,
    since no rate of it was served; CprofilerError without ``--from-idle``. Nothing when it did not fail."""
    reason = why(image)
    if reason is None:
        return
    if at_rate is not None:
        raise UsageError(
            f"--at-rate {at_rate:g}: the load phase of image {image.name!r} failed ({reason}), so no rate of it "
            f"was served to size at; leave --at-rate out (and add {FROM_IDLE} for its idle figures)"
        )
    if not from_idle:
        raise CprofilerError(f"{source}: {refusal(image)}")
