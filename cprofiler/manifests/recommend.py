"""The recommendation: one image's measured runs in, requests, limits, probes and workload out.

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
from fractions import Fraction

from cprofiler.errors import CprofilerError, UsageError
from cprofiler.manifests import basis as bases
from cprofiler.manifests.autoscale import (
    Autoscaling,
    autoscaling,
)
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
from cprofiler.manifests.rates import rate_text
from cprofiler.manifests.recommendation import Recommendation
from cprofiler.manifests.security import security_context
from cprofiler.results.kinds import RunStatus, StepStatus
from cprofiler.results.model import ImageResult
from cprofiler.results.stats import percentile


def _reduce(figure: bases.Figure) -> Fraction:
    if figure.percentile is None:
        return exact(max(figure.values))
    return exact(percentile(figure.values, figure.percentile))


def _stat(figure: bases.Figure) -> str:
    return f"p{figure.percentile}" if figure.percentile is not None else "max"


def recommend(image: ImageResult, options: K8sOptions, source: Source | None = None) -> Recommendation:
    """Recommend requests, limits, probes and a workload for one image of a results file.

    Statistics come from the image's ``ok`` runs, or its ok load steps at the sizing rate, through
    its basis (:func:`cprofiler.manifests.basis.choose`); the memory limit also covers the peak of every
    other run and step (a timed-out run's memory was still used). Raise CprofilerError, naming the
    image, when it has no ok run or no memory figure; UsageError for an ``--at-rate`` it was not
    measured at.
    """
    name = image.name
    src = source or Source(
        results_file=options.results_file, results_sha256=options.results_sha256, cold=options.cold or "not recorded"
    )
    statuses = image.status_counts()
    ok = image.ok_runs()
    if not ok:
        detail = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()) if n) or "no runs at all"
        hint = (
            " It was OOM-killed: raise its memory_limit in the scenario file and measure again."
            if statuses[RunStatus.OOMKILLED]
            else " Read the runs' error fields, fix the scenario and measure again."
        )
        raise CprofilerError(f"{src.results_file}: image {name!r} has no ok run ({detail}); nothing to base resources on.{hint}")
    basis = bases.choose(image, bases.Context(at_rate=options.at_rate, ceiling=src.ceiling))
    if basis is None:
        field_name = "lifetime_peak_bytes" if image.kind == "exit" else "working_set_bytes"
        raise CprofilerError(
            f"{src.results_file}: image {name!r} has no {field_name} in its ok runs; "
            "memory could not be read on this engine (see the runs' notes)"
        )

    m = exact(options.margin)
    factor = 1 + m
    notes: list[str] = list(basis.notes)
    if image.load is not None and basis.rate is None:
        notes.append("the load phase has no ok step with a working-set peak: the figures are idle figures")
    formula: list[str] = []
    x = f"x {float(factor):g}"
    min_memory = options.min_memory_request_bytes
    min_cpu = options.min_cpu_request_millicores

    fig = basis.memory_request
    mem_basis = _reduce(fig)
    mem_request = max(min_memory, ceil_mib(mem_basis * factor))
    formula.append(
        f"memory request = max({memory_quantity(min_memory)} floor, "
        f"{_stat(fig)} {fig.what} {mib_text(mem_basis)} {x}, up to Mi) = {memory_quantity(mem_request)}"
    )

    peak = _reduce(basis.memory_limit)
    mem_limit = max(mem_request, ceil_mib(peak * factor))
    limit_what = f"max {basis.memory_limit.what} {mib_text(peak)} {x}"
    formula.append(f"memory limit   = max(request, {limit_what}, up to Mi) = {memory_quantity(mem_limit)}")

    oom_bumped = False
    oom_runs = [r for r in image.runs if r.status == RunStatus.OOMKILLED]
    oom_steps = [s for s in image.load.steps if s.status == StepStatus.OOMKILLED] if image.load is not None else []
    if oom_runs or oom_steps:
        at_oom_candidates = [float(v) for r in oom_runs for v in (r.peak_bytes, r.lifetime_peak_bytes) if v is not None]
        at_oom_candidates += [float(s.working_set_peak_bytes) for s in oom_steps if s.working_set_peak_bytes is not None]
        if image.memory_limit_bytes is not None:
            at_oom_candidates.append(float(image.memory_limit_bytes))
        at_oom = exact(max(at_oom_candidates)) if at_oom_candidates else peak
        bumped = ceil_mib(max(at_oom + OOM_MIN_BUMP_BYTES, at_oom * OOM_BUMP_RATIO))
        oom_bumped = True
        mem_request = max(mem_request, bumped)
        mem_limit = max(mem_limit, bumped)
        formula.append(
            f"OOM bump       = max({mib_text(at_oom)} + 100Mi, {mib_text(at_oom)} x 1.2, up to Mi) = "
            f"{memory_quantity(bumped)}; request and limit raised to at least that"
        )
        killed = " and ".join(f"{n} {what}" for n, what in ((len(oom_runs), "run(s)"), (len(oom_steps), "load step(s)")) if n)
        notes.append(
            f"{killed} were OOM-killed at about {mib_text(at_oom)}: memory bumped to "
            f"{memory_quantity(bumped)} by the VPA recommender's rule max(+100Mi, x1.2); "
            "measure again with a higher memory_limit to replace the guess by a measurement"
        )

    cpu_fig = basis.cpu_request
    if cpu_fig.values:
        cpu_basis = _reduce(cpu_fig)
        cpu_request = max(min_cpu, math.ceil(cpu_basis * factor * 1000))
        formula.append(
            f"cpu request    = max({min_cpu}m floor, {_stat(cpu_fig)} {cpu_fig.what} "
            f"{float(cpu_basis * 1000):.1f}m {x}, up to 1m) = {cpu_quantity(cpu_request)}"
        )
    else:
        cpu_request = min_cpu
        formula.append(f"cpu request    = {min_cpu}m floor (no {cpu_fig.what} measured)")
        notes.append(f"no {cpu_fig.what} was measured; the CPU request is the smallest written, {min_cpu}m")
    if image.cpus is not None:
        notes.append(f"measured under a {image.cpus:g}-CPU cap (cpus: in the scenario)")

    cpu_limit = _cpu_limit(image, options, cpu_request)
    if cpu_limit is None:
        formula.append("cpu limit      = none: a CPU limit throttles start-up and bursts even on an idle node")
    else:
        origin = "the scenario's cpus:" if options.cpu_limit == "measured" else "--cpu-limit"
        formula.append(f"cpu limit      = {cpu_quantity(cpu_limit)} from {origin}")
        measured_mc = math.ceil(exact(image.cpus) * 1000) if image.cpus is not None else None
        if measured_mc is None or cpu_limit < measured_mc:
            how = "without a CPU limit" if measured_mc is None else f"under a {cpu_quantity(measured_mc)} CPU cap"
            notes.append(
                f"start-up was measured {how}; under the lower limit of {cpu_quantity(cpu_limit)} it can take "
                "longer than measured, and longer than the startupProbe allows"
            )

    handler, port, probe_note = probe_handler(image.ready)
    if probe_note is not None:
        notes.append(probe_note)
    period: int | None = None
    failures: int | None = None
    p99_ms: float | None = None
    ready = image.values("ready_ms")
    batch = image.kind == "exit"
    if ready and not batch:
        p99 = exact(percentile(ready, 99))
        p99_ms = float(p99)
        period, failures = startup_timing(p99)
        cap = "without a CPU limit" if image.cpus is None else f"under a {image.cpus:g}-CPU cap (cpus:)"
        window = guaranteed_window_s(period, failures)
        formula.append(
            f"startupProbe   = every {period}s x {failures} failures: at least ({failures} - 1) x {period}s = {window}s "
            "to start, "
            f"covers {STARTUP_COVER} x p99 ready {p99_ms:.0f}ms (p99 of {len(ready)} ok runs, measured {cap}; "
            f"never under {STARTUP_MIN_FAILURES} failures)"
        )
    elif not batch:
        notes.append("no ok run reported ready_ms, so no startupProbe timing")

    deadline: int | None = None
    backoff: int | None = None
    if batch:
        longest = exact(max(ready)) if ready else Fraction(0)
        deadline = max(JOB_MIN_DEADLINE_S, math.ceil(JOB_DEADLINE_COVER * longest / 1000))
        backoff = JOB_BACKOFF_LIMIT
        formula.append(
            f"activeDeadlineSeconds = max({JOB_MIN_DEADLINE_S}s, {JOB_DEADLINE_COVER} x longest run "
            f"{float(longest):.0f}ms, up to 1s) = {deadline}s; backoffLimit {backoff}"
        )

    hpa: Autoscaling | None = None
    if basis.rate is not None and not batch and options.hpa:
        if basis.capacity is None:
            notes.append("no HPA: no ok load step at the capacity rate has both CPU and QPS figures")
        else:
            hpa = autoscaling(
                basis.capacity,
                cpu_request,
                headroom=options.hpa_headroom,
                min_replicas=options.min_replicas,
                max_replicas=options.max_replicas,
            )
            formula.append(f"HPA target     = {hpa.formula}")
            if hpa.note is not None:
                notes.append(hpa.note)

    sec, sec_why = security_context(image.user, image.security, image.run_as)
    formula.append(f"securityContext = {sec_why}")

    stand_in = None
    if image.stand_in is not None:
        stand_in = image.stand_in.detail or image.stand_in.replaced or "see the results file"
        notes.append(f"measured on a stand-in base ({stand_in}), not the real one")

    label = dns_label(name)
    kind = ("CronJob" if options.schedule else "Job") if batch else "Deployment"
    return Recommendation(
        image_name=name,
        name=label,
        workload_name=options.name or label,
        kind=kind,
        image_ref=image.image.tag or name,
        image_id=image.image.id,
        memory_request_bytes=mem_request,
        memory_limit_bytes=mem_limit,
        cpu_request_millicores=cpu_request,
        cpu_limit_millicores=cpu_limit,
        startup_period_s=period,
        startup_failure_threshold=failures,
        startup_p99_ms=p99_ms,
        probe_handler=handler,
        port=port,
        security_context=sec,
        job_deadline_s=deadline,
        job_backoff_limit=backoff,
        schedule=options.schedule if batch else None,
        basis=basis.name,
        basis_description=basis.description,
        idle=basis.idle,
        basis_over=basis.over,
        coverage=_coverage(image, basis, batch),
        notes=tuple(notes),
        oom_bumped=oom_bumped,
        ok_runs=len(ok),
        total_runs=len(image.runs),
        run_statuses=statuses,
        margin=options.margin,
        formula=tuple(formula),
        stand_in=stand_in,
        part_of=options.part_of,
        sized_at=basis.rate,
        autoscaling=hpa,
        source=src,
    )


def _coverage(image: ImageResult, basis: bases.Basis, batch: bool) -> tuple[str, ...]:
    """Header lines saying what the figures cover: the job as run, one pod at a rate, or idle, and its risk."""
    if batch:
        return ("batch figures: the job as the scenario ran it; with more input it can need more memory and time",)
    phase, choice = image.load, basis.rate
    if phase is None or choice is None:
        return (
            "idle figures: no load was applied; they cover start-up and an idle service, not traffic",
            "idle risk: under traffic the pod is under-provisioned: memory grows with concurrency (connections, "
            "buffers, caches), so the limit can OOM-kill a busy pod, and the CPU request covers idle only, so on a "
            "busy node the pod gets too little CPU and slows down; add a load: block to the scenario and measure again",
        )
    generator = " ".join(filter(None, (phase.generator, phase.generator_version)))
    how = (
        f"{len(choice.steps)} ok steps of {phase.duration_s:g}s, {phase.connections} connections, "
        f"{generator}, {phase.request or 'the probe path'}"
    )
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
