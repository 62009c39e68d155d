"""Which rates of a load phase were served within the SLO, the capacity, and whether the phase failed.

Pure rules over the measured steps (:class:`cprofiler.results.load.LoadStep`); what they read is
filled in by the generators. The definitions:

* A step is **served** when it ended ok, its 2xx rate (``qps``) is at least SERVED_SHARE of the
  rate offered, and its ``error_share`` is within the phase's ``error_limit``.
* A step is **within the SLO** when it is served and its p99 over every request sent
  (``latency_ms.p99``: a request without an answer counts at the timeout) is at or under
  ``slo_p99_ms``.
* A rate passes when **every repeat** at it passes; a rate without steps passes nothing.
* The **capacity rate** is the highest rate that passes with every lower rate passing too
  (contiguous from the bottom: a rate served only above a rate that failed is luck, not capacity),
  and whose steps measured the image, not the generator: the climb stops at the first rate that
  fails or is generator-bound. The **capacity QPS** is the median 2xx rate achieved there.
  Without an SLO, :func:`served_rate` climbs the same way on served alone; it is not a capacity.
* The **phase failed** when a step did not end ok, when a step is failing (error share above the
  limit) at or below the highest rate served from the bottom (or in a closed loop), or when rates
  were offered and the lowest was not served: then nothing is sized from it. A sweep that climbs
  past what the image serves does not fail: its top rates are simply not served.
"""

from __future__ import annotations

from dataclasses import dataclass

from cprofiler.results import stats
from cprofiler.results.kinds import StepStatus
from cprofiler.results.load import SERVED_SHARE, LoadResult, LoadStep


@dataclass(frozen=True)
class RateVerdict:
    """One offered rate judged over its repeats."""

    #: The rate offered, in requests per second.
    rate: float
    #: Its steps, in run order.
    steps: tuple[LoadStep, ...]
    #: Why it is not served, one clause each (empty: every repeat served).
    unserved: tuple[str, ...]
    #: Why it is over the SLO, one clause each (empty: within, or no SLO).
    over_slo: tuple[str, ...]
    #: True when a step at it measured the generator rather than the image.
    generator_bound: bool

    @property
    def served(self) -> bool:
        return bool(self.steps) and not self.unserved

    @property
    def within_slo(self) -> bool:
        return self.served and not self.over_slo


def error_share(step: LoadStep) -> float | None:
    """The step's share of requests not answered 2xx: its ``error_share``, else from its counts;
    None when neither was recorded (an older results file)."""
    if step.error_share is not None:
        return step.error_share
    if step.requests and step.answered_2xx is not None:
        return max(0.0, 1 - step.answered_2xx / step.requests)
    return None


def _unserved(step: LoadStep, rate: float, error_limit: float) -> list[str]:
    """Why ``step`` at ``rate`` was not served; empty when it was."""
    at = f"repeat {step.repeat + 1}"
    if step.status != StepStatus.OK:
        return [f"{at} {step.status}"]
    out = []
    if step.qps is None:
        out.append(f"{at} has no 2xx rate")
    elif step.qps < SERVED_SHARE * rate:
        out.append(f"{at} served {step.qps:.4g} 2xx/s, under {SERVED_SHARE:.0%} of {rate:g}/s")
    share = error_share(step)
    if share is not None and (share > error_limit or step.failing):
        out.append(f"{at} had {share:.2%} errors, over the {error_limit:.2%} limit")
    return out


def _over_slo(step: LoadStep, slo_p99_ms: float) -> list[str]:
    p99 = step.latency_ms.p99
    if p99 is None:
        return [f"repeat {step.repeat + 1} has no p99"]
    return [f"repeat {step.repeat + 1} p99 {p99:.4g} ms over {slo_p99_ms:g} ms"] if p99 > slo_p99_ms else []


def verdicts(load: LoadResult) -> list[RateVerdict]:
    """Every offered rate of ``load`` judged, lowest first (the closed loop has no rate: left out)."""
    out = []
    for rate in sorted(r for r in load.rates() if r is not None):
        steps = tuple(s for s in load.steps if s.rate == rate)
        unserved = [why for s in steps for why in _unserved(s, rate, load.error_limit)]
        slo = load.slo_p99_ms
        over = [why for s in steps for why in _over_slo(s, slo)] if slo is not None else []
        out.append(RateVerdict(rate, steps, tuple(unserved), tuple(over), any(s.generator_bound for s in steps)))
    return out


def _climb(judged: list[RateVerdict], *, slo: bool) -> RateVerdict | None:
    """The highest rate of the run of passing, not generator-bound rates from the bottom."""
    best = None
    for v in judged:
        if not (v.within_slo if slo else v.served) or v.generator_bound:
            break
        best = v
    return best


def capacity_rate(load: LoadResult) -> float | None:
    """The capacity rate (module docstring); None without an SLO or when the lowest rate failed it."""
    if load.slo_p99_ms is None:
        return None
    top = _climb(verdicts(load), slo=True)
    return top.rate if top is not None else None


def served_rate(load: LoadResult) -> float | None:
    """The highest rate served with every lower rate served too, SLO aside; None when none was."""
    top = _climb(verdicts(load), slo=False)
    return top.rate if top is not None else None


def achieved_qps(load: LoadResult, rate: float | None) -> float | None:
    """The median 2xx rate achieved over the ok steps at ``rate``, in requests per second."""
    values = [s.qps for s in load.ok_steps_at(rate) if s.qps is not None]
    return stats.percentile(values, 50) if values else None


def failures(load: LoadResult) -> list[str]:
    """Why ``load`` failed, one sentence each; empty when it did not (module docstring)."""
    out = []
    bad: dict[str, list[str]] = {}
    # A sweep climbs until the image can no longer serve: errors above the highest rate served
    # from the bottom are what the sweep found (those rates are not served), not a failure.
    top = served_rate(load)
    for s in load.steps:
        at = "in the closed loop" if s.rate is None else f"at {s.rate:g}/s"
        if s.status != StepStatus.OK:
            bad.setdefault(str(s.status), []).append(at)
        elif top is not None and s.rate is not None and s.rate > top:
            continue
        elif s.failing or ((share := error_share(s)) is not None and share > load.error_limit):
            share = error_share(s)
            bad.setdefault(f"failing ({share:.2%} errors)" if share is not None else "failing", []).append(at)
    for what, where in bad.items():
        out.append(f"{len(where)} of {len(load.steps)} load steps {what} ({', '.join(dict.fromkeys(where))})")
    judged = verdicts(load)
    if judged and not judged[0].served and not bad:
        out.append(f"the lowest rate, {judged[0].rate:g}/s, was not served ({'; '.join(judged[0].unserved)})")
    return out


def not_served(load: LoadResult) -> list[str]:
    """The rates not served or over the SLO, one sentence each, lowest first."""
    out = []
    for v in verdicts(load):
        if not v.served:
            out.append(f"{v.rate:g}/s not served: {'; '.join(v.unserved) or 'no steps'}")
        elif v.over_slo:
            out.append(f"{v.rate:g}/s over the SLO: {'; '.join(v.over_slo)}")
        elif v.generator_bound:
            out.append(f"{v.rate:g}/s generator-bound: it measured the load generator, so it is not a capacity")
    return out
