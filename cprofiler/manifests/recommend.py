"""Kubernetes sizing: one image's measured runs in, requests, limits, probes and workload out
(a :class:`~cprofiler.manifests.sizing.Sizing`), one function per figure, each returning a
:class:`Derivation`: its value, its formula line with the real figures, and its notes.

Pure logic, no engine and no cluster. With ``m`` the margin (default 0.15, the VPA recommender's),
percentiles by linear interpolation between closest ranks (:func:`cprofiler.results.stats.percentile`,
numpy's default method), and the figures of the image's basis (:mod:`cprofiler.manifests.basis`: the
working-set peaks and cores of the ok load steps at the sizing rate, or each run's settle peak
working set and settle CPU, or a batch job's lifetime peak, or for older files the working-set
snapshot)::

    memory request = max(16Mi, ceil_Mi(p95(basis memory figure) * (1 + m)))
    memory limit   = max(memory request, ceil_Mi(max(basis peak over all runs and steps) * (1 + m)))
    after an OOM kill at M bytes (a run or a load step): request and limit >= ceil_Mi(max(M + 100Mi, M * 1.2))
    cpu request    = max(10m, ceil(p90(basis CPU) * (1 + m) * 1000) m)
    cpu limit      = none, unless asked for
    startupProbe   = (failureThreshold - 1) * periodSeconds >= 2 * p99(ready_ms), failureThreshold >= 3
    Job            = activeDeadlineSeconds max(60, ceil(3 * max(ready_ms) / 1000)), backoffLimit 3
    HPA            = a CPU utilisation target from the CPU per request/s under load (cprofiler.manifests.autoscale)

16Mi and 10m are the smallest requests written (Kubernetes minimum requests, not cprofiler's
runtime floor container).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Generic, TypeVar

from cprofiler.errors import CprofilerError, UsageError
from cprofiler.manifests import basis as bases
from cprofiler.manifests import failed
from cprofiler.manifests.autoscale import (
    Autoscaling,
    autoscaling,
)
from cprofiler.manifests.coverage import coverage, saturation_warning
from cprofiler.manifests.names import dns_label
from cprofiler.manifests.options import (
    JOB_BACKOFF_LIMIT,
    JOB_DEADLINE_COVER,
    JOB_MIN_DEADLINE_S,
    OOM_BUMP_RATIO,
    OOM_MIN_BUMP_BYTES,
    K8sOptions,
    Source,
)
from cprofiler.manifests.probes import (
    STARTUP_COVER,
    STARTUP_MIN_FAILURES,
    guaranteed_window_s,
    probe_handler,
    startup_timing,
)
from cprofiler.manifests.quantities import ceil_mib, cpu_quantity, exact, memory_quantity, mib_text, parse_cpu_quantity
from cprofiler.manifests.security import security_context
from cprofiler.manifests.sizing import Sizing
from cprofiler.results.kinds import RunStatus, StepStatus
from cprofiler.results.model import ImageResult
from cprofiler.results.stats import percentile

T = TypeVar("T")


@dataclass(frozen=True)
class Derivation(Generic[T]):
    """One figure of a sizing: its value, the formula lines that derive it (with the real figures)
    and the notes it adds, in the order the header writes them."""

    value: T
    formula: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class StartupProbe:
    """The probe handler for the scenario's readiness probe, and the startupProbe's timing."""

    handler: dict[str, Any] | None
    port: int | None
    #: periodSeconds and failureThreshold, and the p99 ready time they cover; None without timing.
    period_s: int | None = None
    failures: int | None = None
    p99_ms: float | None = None


@dataclass(frozen=True)
class JobLimits:
    """A batch job's ``activeDeadlineSeconds`` and ``backoffLimit``."""

    deadline_s: int
    backoff_limit: int


def _reduce(figure: bases.Figure) -> Fraction:
    if figure.percentile is None:
        return exact(max(figure.values))
    return exact(percentile(figure.values, figure.percentile))


def _stat(figure: bases.Figure) -> str:
    return f"p{figure.percentile}" if figure.percentile is not None else "max"


def _times(options: K8sOptions) -> str:
    return f"x {float(1 + exact(options.margin)):g}"


def recommend(image: ImageResult, options: K8sOptions, source: Source | None = None) -> Sizing:
    """Requests, limits, probes and a workload for one image, one function per figure, from its ok runs
    or ok load steps at the sizing rate, through its basis (:func:`cprofiler.manifests.basis.choose`);
    CprofilerError naming the image when it has no ok run or no memory figure, UsageError for an
    ``--at-rate`` it was not measured at."""
    src = source or Source(options.results_file, options.results_sha256, cold=options.cold or "not recorded")
    basis = _basis(image, options, src)
    batch = image.kind == "exit"
    mem_request = memory_request(basis, options)
    mem_limit = memory_limit(basis, options, mem_request.value)
    bump = oom_bump(image, basis)
    cpu = cpu_request(image, basis, options)
    cpu_max = cpu_limit(image, options, cpu.value)
    probe = startup_probe(image, batch)
    job = job_limits(image, batch)
    hpa = autoscaler(basis, options, cpu.value, batch)
    sec = security(image)
    stand_in = stand_in_note(image)
    parts: list[Derivation[Any]] = [idle_note(image, basis), mem_request, mem_limit, bump, cpu, cpu_max, probe, job]
    parts += [hpa, sec, stand_in]
    label = dns_label(image.name)
    return Sizing(
        image_name=image.name,
        name=label,
        workload_name=options.name or label,
        kind=("CronJob" if options.schedule else "Job") if batch else "Deployment",
        image_ref=image.image.tag or image.name,
        image_id=image.image.id,
        memory_request_bytes=max(mem_request.value, bump.value or 0),
        memory_limit_bytes=bump.value if mem_limit.value is None else max(mem_limit.value, bump.value or 0),
        cpu_request_millicores=cpu.value,
        cpu_limit_millicores=cpu_max.value,
        startup_period_s=probe.value.period_s,
        startup_failure_threshold=probe.value.failures,
        startup_p99_ms=probe.value.p99_ms,
        probe_handler=probe.value.handler,
        port=probe.value.port,
        security_context=sec.value,
        job_deadline_s=job.value.deadline_s if job.value else None,
        job_backoff_limit=job.value.backoff_limit if job.value else None,
        schedule=options.schedule if batch else None,
        basis=basis.name,
        basis_description=basis.description,
        idle=basis.idle,
        basis_over=basis.over,
        coverage=coverage(image, basis.rate, batch),
        warnings=tuple(w for w in (saturation_warning(image, basis.rate),) if w is not None),
        notes=(*basis.notes, *(n for part in parts for n in part.notes)),
        oom_bumped=bump.value is not None,
        ok_runs=len(image.ok_runs()),
        total_runs=len(image.runs),
        run_statuses=image.status_counts(),
        margin=options.margin,
        formula=tuple(line for part in parts for line in part.formula),
        stand_in=stand_in.value,
        part_of=options.part_of,
        sized_at=basis.rate,
        autoscaling=hpa.value,
        source=src,
    )


def _basis(image: ImageResult, options: K8sOptions, src: Source) -> bases.Basis:
    """The image's basis; CprofilerError naming the image when it has no ok run or no memory figure."""
    name = image.name
    statuses = image.status_counts()
    if not image.ok_runs():
        detail = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()) if n) or "no runs at all"
        hint = (
            " It was OOM-killed: raise its memory_limit in the scenario file and measure again."
            if statuses[RunStatus.OOMKILLED]
            else " Read the runs' error fields, fix the scenario and measure again."
        )
        raise CprofilerError(f"{src.results_file}: image {name!r} has no ok run ({detail}); nothing to base resources on.{hint}")
    failed.check(image, at_rate=options.at_rate, from_idle=options.from_idle, source=src.results_file)
    basis = bases.choose(image, bases.Context(at_rate=options.at_rate, ceiling=src.ceiling))
    if basis is None:
        field_name = "lifetime_peak_bytes" if image.kind == "exit" else "working_set_bytes"
        raise CprofilerError(
            f"{src.results_file}: image {name!r} has no {field_name} in its ok runs; "
            "memory could not be read on this engine (see the runs' notes)"
        )
    return basis


def idle_note(image: ImageResult, basis: bases.Basis) -> Derivation[None]:
    """An image with a load phase whose basis is idle says so."""
    if image.load is not None and basis.rate is None and failed.why(image) is None:
        return Derivation(None, (), ("the load phase has no ok step with a working-set peak: the figures are idle figures",))
    return Derivation(None)


def memory_request(basis: bases.Basis, options: K8sOptions) -> Derivation[int]:
    """``max(16Mi, ceil_Mi(p95(basis memory figure) x (1 + m)))``, in bytes."""
    fig, least = basis.memory_request, options.min_memory_request_bytes
    figure = _reduce(fig)
    request = max(least, ceil_mib(figure * (1 + exact(options.margin))))
    line = (
        f"memory request = max({memory_quantity(least)} floor, "
        f"{_stat(fig)} {fig.what} {mib_text(figure)} {_times(options)}, up to Mi) = {memory_quantity(request)}"
    )
    return Derivation(request, (line,))


def memory_limit(basis: bases.Basis, options: K8sOptions, request: int) -> Derivation[int | None]:
    """``max(memory request, ceil_Mi(max(basis peak over all runs and steps) x (1 + m)))``, in bytes: the
    peak of every run and step, not only the ok ones (a timed-out run's memory was still used).
    None when the basis has no peak (kubelet samples): a limit under the unseen start-up peak OOM-kills."""
    if not basis.memory_limit.values:
        line = f"memory limit   = none: {basis.memory_limit.what}; a limit needs a measured start-up peak"
        return Derivation(None, (line,))
    peak = _reduce(basis.memory_limit)
    limit = max(request, ceil_mib(peak * (1 + exact(options.margin))))
    what = f"max {basis.memory_limit.what} {mib_text(peak)} {_times(options)}"
    return Derivation(limit, (f"memory limit   = max(request, {what}, up to Mi) = {memory_quantity(limit)}",))


def oom_bump(image: ImageResult, basis: bases.Basis) -> Derivation[int | None]:
    """After an OOM kill at M bytes (a run or a load step), the least request and limit:
    ``ceil_Mi(max(M + 100Mi, M x 1.2))``, the VPA recommender's rule; None without an OOM kill."""
    oom_runs = [r for r in image.runs if r.status == RunStatus.OOMKILLED]
    oom_steps = [s for s in image.load.steps if s.status == StepStatus.OOMKILLED] if image.load is not None else []
    if not oom_runs and not oom_steps:
        return Derivation(None)
    candidates = [float(v) for r in oom_runs for v in (r.peak_bytes, r.lifetime_peak_bytes) if v is not None]
    candidates += [float(s.working_set_peak_bytes) for s in oom_steps if s.working_set_peak_bytes is not None]
    if image.memory_limit_bytes is not None:
        candidates.append(float(image.memory_limit_bytes))
    at_oom = (
        exact(max(candidates))
        if candidates
        else _reduce(basis.memory_limit if basis.memory_limit.values else basis.memory_request)
    )
    bumped = ceil_mib(max(at_oom + OOM_MIN_BUMP_BYTES, at_oom * OOM_BUMP_RATIO))
    line = (
        f"OOM bump       = max({mib_text(at_oom)} + 100Mi, {mib_text(at_oom)} x 1.2, up to Mi) = "
        f"{memory_quantity(bumped)}; request and limit raised to at least that"
    )
    killed = " and ".join(f"{n} {what}" for n, what in ((len(oom_runs), "run(s)"), (len(oom_steps), "load step(s)")) if n)
    note = (
        f"{killed} were OOM-killed at about {mib_text(at_oom)}: memory bumped to "
        f"{memory_quantity(bumped)} by the VPA recommender's rule max(+100Mi, x1.2); "
        "measure again with a higher memory_limit to replace the guess by a measurement"
    )
    return Derivation(bumped, (line,), (note,))


def cpu_request(image: ImageResult, basis: bases.Basis, options: K8sOptions) -> Derivation[int]:
    """``max(10m, ceil(p90(basis CPU) x (1 + m) x 1000) m)``, in millicores; 10m when none was measured."""
    fig, least = basis.cpu_request, options.min_cpu_request_millicores
    cap = (f"measured under a {image.cpus:g}-CPU cap (cpus: in the scenario)",) if image.cpus is not None else ()
    if not fig.values:
        note = f"no {fig.what} was measured; the CPU request is the smallest written, {least}m"
        return Derivation(least, (f"cpu request    = {least}m floor (no {fig.what} measured)",), (note, *cap))
    figure = _reduce(fig)
    request = max(least, math.ceil(figure * (1 + exact(options.margin)) * 1000))
    line = (
        f"cpu request    = max({least}m floor, {_stat(fig)} {fig.what} "
        f"{float(figure * 1000):.1f}m {_times(options)}, up to 1m) = {cpu_quantity(request)}"
    )
    return Derivation(request, (line,), cap)


def cpu_limit(image: ImageResult, options: K8sOptions, request: int) -> Derivation[int | None]:
    """None unless asked for (``--cpu-limit``), with a note when it is below what start-up was measured under."""
    limit = _cpu_limit(image, options, request)
    if limit is None:
        return Derivation(None, ("cpu limit      = none: a CPU limit throttles start-up and bursts even on an idle node",))
    origin = "the scenario's cpus:" if options.cpu_limit == "measured" else "--cpu-limit"
    line = f"cpu limit      = {cpu_quantity(limit)} from {origin}"
    measured_mc = math.ceil(exact(image.cpus) * 1000) if image.cpus is not None else None
    if measured_mc is not None and limit >= measured_mc:
        return Derivation(limit, (line,))
    how = "without a CPU limit" if measured_mc is None else f"under a {cpu_quantity(measured_mc)} CPU cap"
    note = (
        f"start-up was measured {how}; under the lower limit of {cpu_quantity(limit)} it can take "
        "longer than measured, and longer than the startupProbe allows"
    )
    return Derivation(limit, (line,), (note,))


def startup_probe(image: ImageResult, batch: bool) -> Derivation[StartupProbe]:
    """The probe handler, and ``(failureThreshold - 1) x periodSeconds >= 2 x p99(ready_ms)``,
    failureThreshold >= 3, for a service whose ok runs reported ready_ms."""
    handler, port, probe_note = probe_handler(image.ready)
    notes = (probe_note,) if probe_note is not None else ()
    ready = image.values("ready_ms")
    if batch:
        return Derivation(StartupProbe(handler, port), (), notes)
    if not ready:
        return Derivation(StartupProbe(handler, port), (), (*notes, "no ok run reported ready_ms, so no startupProbe timing"))
    p99 = exact(percentile(ready, 99))
    period, failures = startup_timing(p99)
    cap = "without a CPU limit" if image.cpus is None else f"under a {image.cpus:g}-CPU cap (cpus:)"
    window = guaranteed_window_s(period, failures)
    line = (
        f"startupProbe   = every {period}s x {failures} failures: at least ({failures} - 1) x {period}s = {window}s "
        "to start, "
        f"covers {STARTUP_COVER} x p99 ready {float(p99):.0f}ms (p99 of {len(ready)} ok runs, measured {cap}; "
        f"never under {STARTUP_MIN_FAILURES} failures)"
    )
    return Derivation(StartupProbe(handler, port, period, failures, float(p99)), (line,), notes)


def job_limits(image: ImageResult, batch: bool) -> Derivation[JobLimits | None]:
    """A batch job's ``activeDeadlineSeconds max(60, ceil(3 x max(ready_ms) / 1000))`` and ``backoffLimit 3``."""
    if not batch:
        return Derivation(None)
    ready = image.values("ready_ms")
    longest = exact(max(ready)) if ready else Fraction(0)
    deadline = max(JOB_MIN_DEADLINE_S, math.ceil(JOB_DEADLINE_COVER * longest / 1000))
    line = (
        f"activeDeadlineSeconds = max({JOB_MIN_DEADLINE_S}s, {JOB_DEADLINE_COVER} x longest run "
        f"{float(longest):.0f}ms, up to 1s) = {deadline}s; backoffLimit {JOB_BACKOFF_LIMIT}"
    )
    return Derivation(JobLimits(deadline, JOB_BACKOFF_LIMIT), (line,))


def autoscaler(basis: bases.Basis, options: K8sOptions, cpu_request: int, batch: bool) -> Derivation[Autoscaling | None]:
    """The HPA's CPU target (:mod:`cprofiler.manifests.autoscale`), for a service sized under load with ``--hpa``."""
    if basis.rate is None or batch or not options.hpa:
        return Derivation(None)
    if basis.capacity is None:
        return Derivation(None, (), ("no HPA: no ok load step at the capacity rate has both CPU and QPS figures",))
    hpa = autoscaling(
        basis.capacity,
        cpu_request,
        headroom=options.hpa_headroom,
        min_replicas=options.min_replicas,
        max_replicas=options.max_replicas,
    )
    return Derivation(hpa, (f"HPA target     = {hpa.formula}",), (hpa.note,) if hpa.note is not None else ())


def security(image: ImageResult) -> Derivation[dict[str, Any]]:
    """The container's securityContext (:mod:`cprofiler.manifests.security`) and why."""
    sec, why = security_context(image.user, image.security, image.run_as)
    return Derivation(sec, (f"securityContext = {why}",))


def stand_in_note(image: ImageResult) -> Derivation[str | None]:
    """What the stand-in base was, when the image was measured on one."""
    if image.stand_in is None:
        return Derivation(None)
    stand_in = image.stand_in.detail or image.stand_in.replaced or "see the results file"
    return Derivation(stand_in, (), (f"measured on a stand-in base ({stand_in}), not the real one",))


def _cpu_limit(image: ImageResult, options: K8sOptions, request: int) -> int | None:
    if options.cpu_limit is None:
        return None
    if options.cpu_limit == "measured":
        if image.cpus is None:
            raise UsageError(
                f"--cpu-limit measured: image {image.name!r} was measured without a CPU cap (no cpus: in the scenario); "
                "give a quantity instead, e.g. --cpu-limit 500m"
            )
        limit = math.ceil(exact(image.cpus) * 1000)
    else:
        limit = parse_cpu_quantity(options.cpu_limit)
    if limit < request:
        raise UsageError(
            f"--cpu-limit {cpu_quantity(limit)} is below the CPU request of image {image.name!r} ({cpu_quantity(request)}); "
            f"Kubernetes rejects a limit under the request: give at least --cpu-limit {cpu_quantity(request)}"
        )
    return limit
