"""Which load step a recommendation is sized at, and what one pod serves: pure, from a load phase.

A rate is the intended requests per second of an open-loop step; ``None`` is the closed loop (as
fast as it goes, a saturation figure). Only steps that ended ``ok`` count, and only with the
figure used (``working_set_peak_bytes`` to size at a rate, ``cpu_cores`` and ``qps`` for the
autoscaler). Served, within the SLO and capacity are :mod:`cprofiler.results.capacity`'s.

* The **sizing rate** (:func:`choose_rate`): ``--at-rate``, which must be a measured rate whose
  every repeat was served; by default the capacity rate, else (no SLO, or no rate within it) the
  highest rate served with every lower one, else the closed loop.
* The **capacity** of one pod (:func:`capacity`): the median 2xx rate achieved at the capacity
  rate (``capacity_qps``, never the rate offered); without one, at the highest served rate;
  closed loop, the median QPS it reached. With it, the CPU per request/s measured at that rate,
  from which the autoscaler's target follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from cprofiler.errors import UsageError
from cprofiler.manifests.quantities import exact
from cprofiler.results import capacity as verdict
from cprofiler.results.load import LoadResult, LoadStep
from cprofiler.results.stats import percentile


@dataclass(frozen=True)
class RateChoice:
    """The rate the requests are sized at."""

    #: Intended requests per second; None: the closed loop.
    rate: float | None
    #: Why this rate, for the header: ``the highest rate within the p99 <= 50ms SLO``.
    why: str
    #: The ok steps at ``rate`` that have a working-set peak, in run order.
    steps: list[LoadStep]


@dataclass(frozen=True)
class Capacity:
    """The requests per second one pod should serve at most, and the CPU each of them costs."""

    #: Requests per second per pod.
    qps: Fraction
    #: How ``qps`` was found, for the formula: ``the highest rate within the p99 <= 50ms SLO``.
    why: str
    #: ``cpu_cores / qps`` of each ok step at that rate: cores per request/s.
    cores_per_qps: list[float]

    def median_cores_per_qps(self) -> Fraction:
        """The median of :attr:`cores_per_qps`, exact."""
        return exact(percentile(self.cores_per_qps, 50))


def rate_text(rate: float | None) -> str:
    """``200 requests/s``, or ``closed loop`` for None."""
    return "closed loop" if rate is None else f"{rate:g} requests/s"


def at_rate_text(rate: float | None) -> str:
    """``at 200 requests/s``, or ``in the closed loop`` for None: where a figure was measured."""
    return "in the closed loop" if rate is None else f"at {rate:g} requests/s"


def _sized(steps: list[LoadStep]) -> list[LoadStep]:
    return [s for s in steps if s.working_set_peak_bytes is not None]


def _listing(rates: list[float]) -> str:
    return ", ".join(f"{r:g}" for r in sorted(rates))


def choose_rate(image_name: str, phase: LoadResult, at_rate: float | None) -> RateChoice | None:
    """The sizing rate of ``image_name``'s load phase: ``at_rate`` (``--at-rate``) when given, else
    the capacity rate, else the highest rate served with every lower one, else the closed loop.
    None when no step has what sizing needs (an ok end and a working-set peak).

    Raise UsageError, naming ``--at-rate`` and the measured rates, when ``at_rate`` was not
    measured, was not served in every repeat, or none of its steps has a working-set peak.
    """
    measured = [r for r in phase.rates() if r is not None]
    usable = [r for r in measured if _sized(phase.ok_steps_at(r))]
    if at_rate is not None:
        _check_at_rate(image_name, phase, at_rate, measured, usable)
        return RateChoice(at_rate, "chosen with --at-rate", _sized(phase.ok_steps_at(at_rate)))
    within = verdict.capacity_rate(phase)
    if within is not None and within in usable:
        why = f"the highest rate within the p99 <= {phase.slo_p99_ms:g}ms SLO"
        return RateChoice(within, why, _sized(phase.ok_steps_at(within)))
    served = verdict.served_rate(phase)
    if served is not None and served in usable:
        unbounded = f"no rate met the p99 <= {phase.slo_p99_ms:g}ms SLO" if phase.slo_p99_ms is not None else "no slo:"
        return RateChoice(
            served, f"the highest rate served, every lower rate too ({unbounded})", _sized(phase.ok_steps_at(served))
        )
    closed = _sized(phase.ok_steps_at(None))
    if closed:
        return RateChoice(None, "as fast as it goes: a saturation figure", closed)
    return None


def _check_at_rate(image_name: str, phase: LoadResult, at_rate: float, measured: list[float], usable: list[float]) -> None:
    """UsageError naming ``--at-rate`` unless ``at_rate`` was measured, served and has peaks to size from."""
    flag = f"--at-rate {at_rate:g}"
    if not measured:
        raise UsageError(
            f"{flag}: image {image_name!r} was measured closed loop only (as fast as it goes), at no rate; "
            "leave --at-rate out, or select images measured with rates: by --only"
        )
    if at_rate not in measured:
        raise UsageError(f"{flag}: image {image_name!r} was not measured at that rate; measured rates: {_listing(measured)}")
    if at_rate not in usable:
        statuses = sorted({s.status for s in phase.steps if s.rate == at_rate})
        with_ok = f"rates with ok steps: {_listing(usable)}" if usable else "no rate has an ok step"
        raise UsageError(
            f"{flag}: no step of image {image_name!r} at that rate ended ok with a working-set peak "
            f"({', '.join(statuses)}); {with_ok}"
        )
    judged = {v.rate: v for v in verdict.verdicts(phase)}
    if not judged[at_rate].served:
        served = [r for r, v in judged.items() if v.served]
        others = f"served rates: {_listing(served)}" if served else "no rate was served"
        raise UsageError(
            f"{flag}: image {image_name!r} did not serve that rate in every repeat ({'; '.join(judged[at_rate].unserved)}); "
            f"a pod sized for it would fail it; {others}"
        )


def capacity(phase: LoadResult, choice: RateChoice) -> Capacity | None:
    """What one pod serves: the median 2xx rate achieved at the capacity rate; without one, at the
    highest served rate; closed loop, the median QPS reached. None when no ok step there has CPU and QPS."""
    if choice.rate is None:
        rate, bound = None, ""
    elif (within := verdict.capacity_rate(phase)) is not None:
        rate, bound = within, f"the highest rate within the p99 <= {phase.slo_p99_ms:g}ms SLO"
    elif (served := verdict.served_rate(phase)) is not None:
        no_slo = "no rate met the SLO" if phase.slo_p99_ms is not None else "no slo: to bound it"
        rate, bound = served, f"the highest rate served, every lower rate too ({no_slo})"
    else:
        return None
    steps = [s for s in phase.ok_steps_at(rate) if s.qps]
    achieved = verdict.achieved_qps(phase, rate)
    if not steps or not achieved:
        return None
    if rate is None:
        why = f"the median QPS of {len(steps)} closed-loop steps: saturation, with no latency bound"
    else:
        why = f"the median 2xx rate achieved at {rate:g}/s, {bound}"
    per_qps = [s.cpu_cores / s.qps for s in steps if s.cpu_cores is not None and s.qps]
    if not per_qps:
        return None
    return Capacity(qps=exact(achieved), why=why, cores_per_qps=per_qps)
