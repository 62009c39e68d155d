"""The recommendation: one image's measured runs in, requests, limits, probes and workload out.

Pure logic, no engine and no cluster. With ``m`` the margin (default 0.15, the VPA recommender's),
percentiles by linear interpolation between closest ranks (:func:`cprofiler.results.stats.percentile`,
numpy's default method), and the figures of the image's basis (:mod:`cprofiler.k8s.basis`: the
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
    HPA            = a CPU utilisation target from the CPU per request/s under load (cprofiler.k8s.autoscale)

16Mi and 10m are the smallest requests written (Kubernetes minimum requests, not cprofiler's
runtime floor container).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from cprofiler.errors import CprofilerError, UsageError
from cprofiler.k8s import basis as bases
from cprofiler.k8s.autoscale import (
    DEFAULT_HEADROOM,
    DEFAULT_MAX_REPLICAS,
    DEFAULT_MIN_REPLICAS,
    Autoscaling,
    autoscaling,
)
from cprofiler.k8s.names import dns_label, is_dns_label, is_dns_subdomain
from cprofiler.k8s.probes import (
    READINESS_FAILURES,
    READINESS_PERIOD_S,
    STARTUP_COVER,
    STARTUP_MIN_FAILURES,
    guaranteed_window_s,
    probe_handler,
    startup_timing,
)
from cprofiler.k8s.quantities import MIB, ceil_mib, cpu_quantity, exact, memory_quantity, mib_text, parse_cpu_quantity
from cprofiler.k8s.rates import RateChoice, rate_text
from cprofiler.k8s.security import security_context
from cprofiler.results.load import Ceiling
from cprofiler.results.model import ImageResult, Measurement
from cprofiler.results.stats import percentile

#: Safety margin added to every measured figure; 0.15 is the VPA recommender's default.
DEFAULT_MARGIN = 0.15
#: No memory request below this, in bytes: a smaller one leaves no room for a runtime's page cache,
#: and a scheduler that packs that tightly is not worth 10 MiB.
MIN_MEMORY_REQUEST_BYTES = 16 * MIB
#: No CPU request below this, in millicores: below 10m the CFS share is too small to matter.
MIN_CPU_REQUEST_MILLICORES = 10
#: The VPA recommender's OOM rule: after an OOM kill at M bytes, ask for max(M + 100Mi, M x 1.2).
OOM_BUMP_RATIO = Fraction(6, 5)
OOM_MIN_BUMP_BYTES = 100 * MIB
#: A Job's activeDeadlineSeconds covers this many times its longest measured run…
JOB_DEADLINE_COVER = 3
#: …and never less than this, in seconds: in a cluster the deadline also runs while the image is
#: pulled and the pod scheduled, which cprofiler did not measure.
JOB_MIN_DEADLINE_S = 60
#: Retries of a failed Job pod: enough for a lost node or an eviction, fewer than Kubernetes'
#: default 6, whose exponential back-off keeps a broken job retrying for over ten minutes.
JOB_BACKOFF_LIMIT = 3
#: Longest CronJob name: the controller appends 11 characters to name each Job.
CRONJOB_MAX_NAME = 52
#: Where the provenance annotations live.
ANNOTATION_PREFIX = "cprofiler.dev/"

_SCHEDULE_RE = re.compile(r"^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(\S+\s+){4}\S+)$")


@dataclass(frozen=True)
class K8sOptions:
    """What the user chose; ``results_file``, ``results_sha256`` and ``cold`` are provenance."""

    #: Fraction added to every measured figure (``--margin``); 0.15 is 15 %.
    margin: float = DEFAULT_MARGIN
    #: ``None``: no CPU limit; ``"measured"``: the scenario's ``cpus:``; else a quantity (``500m``).
    cpu_limit: str | None = None
    #: The workload's name (``--name``, or ``--deployment``); only with one image selected.
    #: Default: each image's name made a Kubernetes name.
    name: str | None = None
    #: Container to name or patch; default: the image name.
    container: str | None = None
    #: The images to write for (``--only``, repeatable); empty: every image.
    only: tuple[str, ...] = ()
    #: Cron schedule: exit-probed images become CronJobs instead of Jobs (``--schedule``).
    schedule: str | None = None
    #: ``app.kubernetes.io/part-of`` (``--part-of``); unset: the label is left out.
    part_of: str | None = None
    #: ``resources:`` of the generated kustomization.yaml: the base the patches change.
    kustomize_resources: tuple[str, ...] = ("../base",)
    #: The load-phase rate to size at, requests/s (``--at-rate``); None: the highest within the SLO.
    at_rate: float | None = None
    #: Write a HorizontalPodAutoscaler for images sized under load (``--hpa/--no-hpa``).
    hpa: bool = True
    #: The HPA's replica bounds (``--min-replicas``, ``--max-replicas``).
    min_replicas: int = DEFAULT_MIN_REPLICAS
    max_replicas: int = DEFAULT_MAX_REPLICAS
    #: Share of one pod's capacity at which the HPA should add pods (``--hpa-headroom``).
    hpa_headroom: float = DEFAULT_HEADROOM
    #: Smallest memory request written, in bytes.
    min_memory_request_bytes: int = MIN_MEMORY_REQUEST_BYTES
    #: Smallest CPU request written, in millicores.
    min_cpu_request_millicores: int = MIN_CPU_REQUEST_MILLICORES
    #: The results file, as the header comment should name it.
    results_file: str = "results.json"
    #: SHA-256 of the results file's bytes, hex; None when not known.
    results_sha256: str | None = None
    #: The cold level the results were measured at; ``None``: read it from the results' settings.
    cold: str | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.margin <= 10:
            raise UsageError(f"--margin {self.margin} is out of range; give a fraction such as 0.15 (15 %), between 0 and 10")
        if self.cpu_limit is not None and self.cpu_limit != "measured":
            try:
                parse_cpu_quantity(self.cpu_limit)
            except ValueError as exc:
                raise UsageError(f"--cpu-limit: {exc}, or 'measured' for the scenario's cpus: value") from exc
        # Labels carry the name too, and a label value has at most 63 characters.
        if self.name is not None and not (is_dns_subdomain(self.name) and len(self.name) <= 63):
            raise UsageError(
                f"--name {self.name!r} is not a valid workload name; "
                f"expected at most 63 lowercase letters, digits, '-' and '.', e.g. {dns_label(self.name)!r}"
            )
        if self.container is not None and not is_dns_label(self.container):
            raise UsageError(
                f"--container {self.container!r} is not a valid container name; "
                f"expected at most 63 lowercase letters, digits and '-', e.g. {dns_label(self.container)!r}"
            )
        if self.part_of is not None and not is_dns_label(self.part_of):
            raise UsageError(f"--part-of {self.part_of!r} is not a valid label value; e.g. {dns_label(self.part_of)!r}")
        if self.at_rate is not None and not (math.isfinite(self.at_rate) and self.at_rate > 0):
            raise UsageError(f"--at-rate {self.at_rate:g} is not a rate; give one of the measured rates, in requests/s")
        if self.min_replicas < 1:
            raise UsageError(f"--min-replicas {self.min_replicas} is below 1; give at least 1")
        if self.max_replicas < self.min_replicas:
            raise UsageError(
                f"--max-replicas {self.max_replicas} is below --min-replicas {self.min_replicas}; "
                f"give at least {self.min_replicas}"
            )
        if not 0 < self.hpa_headroom <= 1:
            raise UsageError(
                f"--hpa-headroom {self.hpa_headroom:g} is out of range; give a share of one pod's capacity, "
                "above 0 and at most 1, such as 0.8"
            )
        if self.schedule is not None and not _SCHEDULE_RE.match(self.schedule.strip()):
            raise UsageError(
                f"--schedule {self.schedule!r} is not a cron schedule; expected five fields such as '0 3 * * *', or @daily"
            )


@dataclass(frozen=True)
class Source:
    """Where the measurement came from: the provenance every file states once."""

    #: The results file, as given.
    results_file: str = "results.json"
    #: SHA-256 of its bytes, hex.
    results_sha256: str | None = None
    #: When the measurement started (ISO 8601).
    measured_at: str | None = None
    #: The engine and cgroup setup it ran on, one line.
    engine: str | None = None
    cold: str = "not recorded"
    #: The settle window, in seconds.
    settle_s: float | None = None
    #: Why the measurement stopped early, when it did.
    interrupted: str | None = None
    cprofiler_version: str | None = None
    #: The load generator's ceiling on the measuring machine; None without a load phase.
    ceiling: Ceiling | None = None

    @classmethod
    def of(cls, measurement: Measurement, options: K8sOptions) -> Source:
        env = measurement.environment
        engine = None
        if env.engine_version:
            engine = f"Docker {env.engine_version}"
            if env.cgroup_version:
                engine += f", cgroup v{env.cgroup_version}" + (f" ({env.cgroup_driver})" if env.cgroup_driver else "")
            if env.storage_driver:
                engine += f", {env.storage_driver}"
            if env.kernel:
                engine += f", kernel {env.kernel}"
        return cls(
            results_file=options.results_file,
            results_sha256=options.results_sha256,
            measured_at=measurement.started_at or env.started_at,
            engine=engine,
            cold=options.cold or measurement.settings.cold or "not recorded",
            settle_s=measurement.settings.settle_s,
            interrupted=measurement.interrupted,
            cprofiler_version=measurement.cprofiler_version,
            ceiling=measurement.ceiling,
        )


@dataclass(frozen=True)
class Recommendation:
    """Requests, limits, probes and workload for one image, with the provenance of every number."""

    #: The image's name in the results file.
    image_name: str
    #: The same, made an RFC 1123 label (file names, label ``app.kubernetes.io/name``).
    name: str
    #: The workload's name: ``--name``, else ``name``.
    workload_name: str
    #: ``Deployment`` for a service, ``Job`` for a batch job (exit probe), ``CronJob`` with ``--schedule``.
    kind: str
    #: The image reference that was measured (its local tag).
    image_ref: str
    #: Its content-addressed id (``sha256:…``).
    image_id: str
    #: Memory request, in bytes (a whole number of MiB).
    memory_request_bytes: int
    #: Memory limit, in bytes (a whole number of MiB, never below the request).
    memory_limit_bytes: int
    #: CPU request, in millicores.
    cpu_request_millicores: int
    #: CPU limit, in millicores; ``None`` for none (the default).
    cpu_limit_millicores: int | None
    #: startupProbe period, in seconds; ``None`` when no ok run reported a time to ready.
    startup_period_s: int | None
    #: startupProbe failureThreshold; ``None`` as above.
    startup_failure_threshold: int | None
    #: The p99 time to ready the startupProbe covers, in milliseconds; ``None`` as above.
    startup_p99_ms: float | None
    #: The probe handler (``{"httpGet": …}`` or ``{"tcpSocket": …}``); ``None`` for log and exit probes.
    probe_handler: dict[str, Any] | None
    #: The port the service listens on, from an http or tcp probe.
    port: int | None
    #: The container's securityContext (:mod:`cprofiler.k8s.security`).
    security_context: dict[str, Any]
    #: Job ``activeDeadlineSeconds`` and ``backoffLimit``; ``None`` for a service.
    job_deadline_s: int | None
    job_backoff_limit: int | None
    #: Cron schedule of a CronJob; ``None`` otherwise.
    schedule: str | None
    #: What the figures were sized from (:mod:`cprofiler.k8s.basis`): name, one-line description, idle,
    #: what the percentiles are over.
    basis: str
    basis_description: str
    idle: bool
    basis_over: str
    #: Header lines that say what the figures cover: under load at which rate, or idle and its risk.
    coverage: tuple[str, ...]
    #: Why a figure was bumped, missing or is to be read with care, one sentence each.
    notes: tuple[str, ...]
    #: True when a run was OOM-killed and memory was bumped by the VPA rule.
    oom_bumped: bool
    #: Provenance: runs used, margin, the formula with its figures, and where the results came from.
    ok_runs: int
    total_runs: int
    run_statuses: dict[str, int]
    margin: float
    formula: tuple[str, ...]
    stand_in: str | None = None
    part_of: str | None = None
    #: The load-phase rate the requests were sized at; None without a load basis.
    sized_at: RateChoice | None = None
    #: The HorizontalPodAutoscaler, for a Deployment sized under load; None otherwise.
    autoscaling: Autoscaling | None = None
    source: Source = field(default_factory=Source)

    @property
    def results_file(self) -> str:
        return self.source.results_file

    @property
    def cold(self) -> str:
        return self.source.cold

    @property
    def batch(self) -> bool:
        return self.kind in ("Job", "CronJob")

    @property
    def startup_window_s(self) -> int | None:
        """The start-up time the startupProbe guarantees, in seconds: ``(F − 1) × P``."""
        if self.startup_period_s is None or self.startup_failure_threshold is None:
            return None
        return guaranteed_window_s(self.startup_period_s, self.startup_failure_threshold)

    def resources(self) -> dict[str, Any]:
        """The container's ``resources:`` mapping, quantities in canonical form."""
        limits: dict[str, str] = {"memory": memory_quantity(self.memory_limit_bytes)}
        if self.cpu_limit_millicores is not None:
            limits = {"cpu": cpu_quantity(self.cpu_limit_millicores), **limits}
        requests = {
            "cpu": cpu_quantity(self.cpu_request_millicores),
            "memory": memory_quantity(self.memory_request_bytes),
        }
        return {"requests": requests, "limits": limits}

    def startup_probe(self) -> dict[str, Any] | None:
        """The container's ``startupProbe``, or ``None`` without a handler or a measured start."""
        if self.probe_handler is None or self.startup_period_s is None:
            return None
        return {
            **self.probe_handler,
            "periodSeconds": self.startup_period_s,
            "failureThreshold": self.startup_failure_threshold,
        }

    def readiness_probe(self) -> dict[str, Any] | None:
        """The container's ``readinessProbe``, or ``None`` for log and exit probes."""
        if self.probe_handler is None:
            return None
        return {**self.probe_handler, "periodSeconds": READINESS_PERIOD_S, "failureThreshold": READINESS_FAILURES}

    def container(self, name: str | None = None) -> dict[str, Any]:
        """A complete container entry: name, image, port, resources, probes and securityContext."""
        out: dict[str, Any] = {"name": name or self.name, "image": self.image_ref}
        if self.port is not None:
            out["ports"] = [{"containerPort": self.port}]
        out["resources"] = self.resources()
        out.update(self.probes())
        out["securityContext"] = dict(self.security_context)
        return out

    def horizontal_pod_autoscaler(self) -> dict[str, Any] | None:
        """The ``autoscaling/v2`` HorizontalPodAutoscaler of this Deployment (same name, CPU
        utilisation target), or None without one."""
        hpa = self.autoscaling
        if hpa is None:
            return None
        keep = ("results-file", "results-sha256", "measured-at", "image", "basis", "cpu-request", "hpa-target")
        annotations = {k: v for k, v in self.annotations().items() if k.removeprefix(ANNOTATION_PREFIX) in keep}
        cpu = {"type": "Utilization", "averageUtilization": hpa.target_percent}
        return {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": self.workload_name, "labels": self.labels(), "annotations": annotations},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": self.workload_name},
                "minReplicas": hpa.min_replicas,
                "maxReplicas": hpa.max_replicas,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": cpu}}],
            },
        }

    def probes(self) -> dict[str, Any]:
        """``startupProbe`` and ``readinessProbe`` keys, only those that exist."""
        out: dict[str, Any] = {}
        startup = self.startup_probe()
        if startup is not None:
            out["startupProbe"] = startup
        readiness = self.readiness_probe()
        if readiness is not None:
            out["readinessProbe"] = readiness
        return out

    def selector(self) -> dict[str, str]:
        """The labels that select this workload's pods: the image and the instance, unique per workload."""
        return {"app.kubernetes.io/name": self.name, "app.kubernetes.io/instance": self.workload_name}

    def labels(self) -> dict[str, str]:
        """Kubernetes' recommended ``app.kubernetes.io/*`` labels."""
        component = "job" if self.batch else ("server" if self.probe_handler is not None else "worker")
        out = {**self.selector(), "app.kubernetes.io/component": component}
        if self.part_of is not None:
            out["app.kubernetes.io/part-of"] = self.part_of
        out["app.kubernetes.io/managed-by"] = "cprofiler"
        return out

    def annotations(self) -> dict[str, str]:
        """Provenance under ``cprofiler.dev/``: the header's facts, kept where kubectl keeps them."""
        src = self.source
        facts: dict[str, str | None] = {
            "results-file": src.results_file,
            "results-sha256": src.results_sha256,
            "measured-at": src.measured_at,
            "engine": src.engine,
            "image": f"{self.image_ref} ({self.image_id})",
            "stand-in": self.stand_in,
            "runs": self._runs_text(),
            "cold-level": src.cold,
            "margin": f"{self.margin:g}",
            "basis": self.basis,
        }
        for line in self.formula:
            head, _, text = line.partition(" = ")
            # "startupProbe   " → startup-probe, "OOM bump" → oom-bump
            key = re.sub(r"(?<=[a-z])(?=[A-Z])", "-", head.strip())
            facts[re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")] = text
        facts["cprofiler-version"] = src.cprofiler_version
        return {ANNOTATION_PREFIX + k: v for k, v in facts.items() if v is not None}

    def _runs_text(self) -> str:
        others = ", ".join(f"{n} {s}" for s, n in sorted(self.run_statuses.items()) if s != "ok" and n)
        return f"{self.ok_runs} ok of {self.total_runs} runs" + (f" ({others})" if others else "")

    def header(self) -> list[str]:
        """Comment lines (without ``#``) saying where every number came from."""
        src = self.source
        lines = [
            f"image {self.image_name!r} ({self.image_ref}), measured by cprofiler",
            f"from: {src.results_file}; {self._runs_text()}; cold level: {src.cold}; margin: {self.margin:.0%}",
        ]
        if src.results_sha256 or src.measured_at or src.engine:
            where = [f"sha256 {src.results_sha256}" if src.results_sha256 else None, src.measured_at, src.engine]
            lines.append("measured: " + "; ".join(w for w in where if w))
        lines.append(f"basis: {self.basis}: {self.basis_description}")
        lines += self.coverage
        lines.append(f"percentiles over {self.basis_over}, linear interpolation between closest ranks")
        lines += self.formula
        lines += [f"note: {n}" for n in self.notes]
        return lines


def _reduce(figure: bases.Figure) -> Fraction:
    if figure.percentile is None:
        return exact(max(figure.values))
    return exact(percentile(figure.values, figure.percentile))


def _stat(figure: bases.Figure) -> str:
    return f"p{figure.percentile}" if figure.percentile is not None else "max"


def recommend(image: ImageResult, options: K8sOptions, source: Source | None = None) -> Recommendation:
    """Recommend requests, limits, probes and a workload for one image of a results file.

    Statistics come from the image's ``ok`` runs, or its ok load steps at the sizing rate, through
    its basis (:func:`cprofiler.k8s.basis.choose`); the memory limit also covers the peak of every
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
            if statuses["oomkilled"]
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
    oom_runs = [r for r in image.runs if r.status == "oomkilled"]
    oom_steps = [s for s in image.load.steps if s.status == "oomkilled"] if image.load is not None else []
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

    sec, sec_why = security_context(image.user)
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
