"""The recommendation: one image's measured runs in, requests, limits and probe timings out.

Pure logic, no engine and no cluster. The rules, with ``m`` the margin (default 0.15, the VPA
recommender's) and percentiles taken over the image's ok runs by linear interpolation between
closest ranks (:func:`cprofiler.results.stats.percentile`, numpy's default method)::

    memory request = max(16Mi, ceil_Mi(p95(working_set_bytes) * (1 + m)))
    memory limit   = max(memory request, ceil_Mi(max(peak_bytes over all runs) * (1 + m)))
    after an OOM kill at M bytes: request and limit >= ceil_Mi(max(M + 100Mi, M * 1.2))
    cpu request    = max(10m, ceil(p90(settle_cpu_cores) * (1 + m) * 1000) m)
    cpu limit      = none, unless asked for
    startupProbe   = periodSeconds * failureThreshold >= 2 * p99(ready_ms), failureThreshold >= 3

16Mi and 10m are the smallest requests written (Kubernetes minimum requests, not cprofiler's
runtime floor container).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from cprofiler.errors import CprofilerError, UsageError
from cprofiler.k8s.names import dns_label, is_dns_label, is_dns_subdomain
from cprofiler.k8s.quantities import MIB, ceil_mib, cpu_quantity, exact, memory_quantity, mib_text, parse_cpu_quantity
from cprofiler.results.model import ImageResult
from cprofiler.results.stats import percentile
from cprofiler.scenario.model import ReadySpec

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
#: The startupProbe window covers this many times the p99 time to ready.
STARTUP_COVER = 2
#: Kubernetes' own default failureThreshold; fewer would kill a container for one slow probe.
STARTUP_MIN_FAILURES = 3
#: Windows up to this long probe every second; longer ones every STARTUP_SLOW_PERIOD_S seconds,
#: so a slow starter is not polled hundreds of times.
STARTUP_FAST_WINDOW_S = 60
STARTUP_SLOW_PERIOD_S = 5
#: readinessProbe timing: Kubernetes' default failureThreshold, twice as often as its default period.
READINESS_PERIOD_S = 5
READINESS_FAILURES = 3


@dataclass(frozen=True)
class K8sOptions:
    """What the user chose; ``results_file`` and ``cold`` are provenance for the header comment."""

    #: Fraction added to every measured figure (``--margin``); 0.15 is 15 %.
    margin: float = DEFAULT_MARGIN
    #: ``None``: no CPU limit; ``"measured"``: the scenario's ``cpus:``; else a quantity (``500m``).
    cpu_limit: str | None = None
    #: Deployment to name (deployment format) or patch (kustomize format); default: the image name.
    deployment: str | None = None
    #: Container to name or patch; default: the image name.
    container: str | None = None
    #: Smallest memory request written, in bytes.
    min_memory_request_bytes: int = MIN_MEMORY_REQUEST_BYTES
    #: Smallest CPU request written, in millicores.
    min_cpu_request_millicores: int = MIN_CPU_REQUEST_MILLICORES
    #: The results file, as the header comment should name it.
    results_file: str = "results.json"
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
        if self.deployment is not None and not is_dns_subdomain(self.deployment):
            raise UsageError(
                f"--deployment {self.deployment!r} is not a valid Deployment name; "
                f"expected lowercase letters, digits, '-' and '.', e.g. {dns_label(self.deployment)!r}"
            )
        if self.container is not None and not is_dns_label(self.container):
            raise UsageError(
                f"--container {self.container!r} is not a valid container name; "
                f"expected at most 63 lowercase letters, digits and '-', e.g. {dns_label(self.container)!r}"
            )


@dataclass(frozen=True)
class Recommendation:
    """Requests, limits and probes for one image, with the provenance of every number."""

    #: The image's name in the results file.
    image_name: str
    #: The same, made an RFC 1123 label (file names, Deployment and container defaults).
    name: str
    #: The image reference that was measured (its local tag).
    image_ref: str
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
    #: The probe handler (``{"httpGet": …}`` or ``{"tcpSocket": …}``); ``None`` for log and exit probes.
    probe_handler: dict[str, Any] | None
    #: The port the service listens on, from an http or tcp probe.
    port: int | None
    #: Why a figure was bumped, missing or is to be read with care, one sentence each.
    notes: tuple[str, ...]
    #: True when a run was OOM-killed and memory was bumped by the VPA rule.
    oom_bumped: bool
    #: Provenance: the results file, runs used, cold level, margin and the formula with its figures.
    results_file: str
    ok_runs: int
    total_runs: int
    run_statuses: dict[str, int]
    cold: str
    margin: float
    formula: tuple[str, ...]

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
        """A complete container entry: name, image, port, resources and probes."""
        out: dict[str, Any] = {"name": name or self.name, "image": self.image_ref}
        if self.port is not None:
            out["ports"] = [{"containerPort": self.port}]
        out["resources"] = self.resources()
        out.update(self.probes())
        return out

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

    def header(self) -> list[str]:
        """Comment lines (without ``#``) saying where every number came from."""
        others = ", ".join(f"{n} {s}" for s, n in sorted(self.run_statuses.items()) if s != "ok" and n)
        runs = f"{self.ok_runs} ok of {self.total_runs} runs" + (f" ({others})" if others else "")
        lines = [
            f"image {self.image_name!r} ({self.image_ref}), measured by cprofiler",
            f"from: {self.results_file}; {runs}; cold level: {self.cold}; margin: {self.margin:.0%}",
            "percentiles over the ok runs, linear interpolation between closest ranks",
            *self.formula,
        ]
        lines += [f"note: {n}" for n in self.notes]
        return lines


def _all_values(image: ImageResult, field: str) -> list[float]:
    """``field`` of every run that has it, whatever its status."""
    return [float(v) for r in image.runs if (v := getattr(r, field)) is not None]


def recommend(image: ImageResult, options: K8sOptions) -> Recommendation:
    """Recommend requests, limits and probes for one image of a results file.

    Statistics come from the image's ``ok`` runs; the memory limit also covers the peak of every
    other run (a timed-out run's memory was still used). Raise CprofilerError, naming the image,
    when it has no ok run or no working set to start from.
    """
    name = image.name
    statuses = image.status_counts()
    ok = image.ok_runs()
    if not ok:
        detail = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()) if n) or "no runs at all"
        hint = (
            " It was OOM-killed: raise its memory_limit in the scenario file and measure again."
            if statuses["oomkilled"]
            else " Read the runs' error fields, fix the scenario and measure again."
        )
        raise CprofilerError(
            f"{options.results_file}: image {name!r} has no ok run ({detail}); nothing to base resources on.{hint}"
        )
    working_sets = image.values("working_set_bytes")
    if not working_sets:
        raise CprofilerError(
            f"{options.results_file}: image {name!r} has no working_set_bytes in its ok runs; "
            "memory could not be read on this engine (see the runs' notes)"
        )

    m = exact(options.margin)
    factor = 1 + m
    notes: list[str] = []
    formula: list[str] = []
    x = f"x {float(factor):g}"
    min_memory = options.min_memory_request_bytes
    min_cpu = options.min_cpu_request_millicores

    ws_p95 = exact(percentile(working_sets, 95))
    mem_request = max(min_memory, ceil_mib(ws_p95 * factor))
    formula.append(
        f"memory request = max({memory_quantity(min_memory)} floor, "
        f"p95 working set {mib_text(ws_p95)} {x}, up to Mi) = {memory_quantity(mem_request)}"
    )

    peaks = _all_values(image, "peak_bytes")
    if peaks:
        peak, peak_what = exact(max(peaks)), "max peak"
    else:
        peak, peak_what = exact(max(working_sets)), "max working set"
        notes.append("no run recorded a memory peak; the limit is built on the largest working set instead")
    mem_limit = max(mem_request, ceil_mib(peak * factor))
    formula.append(f"memory limit   = max(request, {peak_what} {mib_text(peak)} {x}, up to Mi) = {memory_quantity(mem_limit)}")

    oom_bumped = False
    oom_runs = [r for r in image.runs if r.status == "oomkilled"]
    if oom_runs:
        at_oom_candidates = [float(r.peak_bytes) for r in oom_runs if r.peak_bytes is not None]
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
        notes.append(
            f"{len(oom_runs)} run(s) were OOM-killed at about {mib_text(at_oom)}: memory bumped to "
            f"{memory_quantity(bumped)} by the VPA recommender's rule max(+100Mi, x1.2); "
            "measure again with a higher memory_limit to replace the guess by a measurement"
        )

    cpu_values = image.values("settle_cpu_cores")
    if cpu_values:
        cpu_p90 = exact(percentile(cpu_values, 90))
        cpu_request = max(min_cpu, math.ceil(cpu_p90 * factor * 1000))
        formula.append(
            f"cpu request    = max({min_cpu}m floor, p90 settle CPU "
            f"{float(cpu_p90 * 1000):.1f}m {x}, up to 1m) = {cpu_quantity(cpu_request)}"
        )
    else:
        cpu_request = min_cpu
        formula.append(f"cpu request    = {min_cpu}m floor (no settle CPU measured)")
        notes.append(f"no ok run measured settle CPU; the CPU request is the smallest written, {min_cpu}m")
    if image.cpus is not None:
        notes.append(f"measured under a {image.cpus:g}-CPU cap (cpus: in the scenario)")

    cpu_limit = _cpu_limit(image, options, cpu_request)
    if cpu_limit is None:
        formula.append("cpu limit      = none: a CPU limit throttles start-up and bursts even on an idle node")
    else:
        source = "the scenario's cpus:" if options.cpu_limit == "measured" else "--cpu-limit"
        formula.append(f"cpu limit      = {cpu_quantity(cpu_limit)} from {source}")

    handler, port = _probe_handler(image.ready, notes)
    period: int | None = None
    failures: int | None = None
    ready = image.values("ready_ms")
    if ready:
        p99 = exact(percentile(ready, 99))
        window_s = STARTUP_COVER * p99 / 1000
        period = 1 if window_s <= STARTUP_FAST_WINDOW_S else STARTUP_SLOW_PERIOD_S
        failures = max(STARTUP_MIN_FAILURES, math.ceil(window_s / period))
        formula.append(
            f"startupProbe   = every {period}s x {failures} failures = {period * failures}s, "
            f"covers {STARTUP_COVER} x p99 ready {float(p99):.0f}ms (never under {STARTUP_MIN_FAILURES} failures)"
        )
    else:
        notes.append("no ok run reported ready_ms, so no startupProbe timing")

    if image.stand_in is not None:
        what = image.stand_in.detail or image.stand_in.replaced or "see the results file"
        notes.append(f"measured on a stand-in base ({what}), not the real one")

    return Recommendation(
        image_name=name,
        name=dns_label(name),
        image_ref=image.image.tag or name,
        memory_request_bytes=mem_request,
        memory_limit_bytes=mem_limit,
        cpu_request_millicores=cpu_request,
        cpu_limit_millicores=cpu_limit,
        startup_period_s=period,
        startup_failure_threshold=failures,
        probe_handler=handler,
        port=port,
        notes=tuple(notes),
        oom_bumped=oom_bumped,
        results_file=options.results_file,
        ok_runs=len(ok),
        total_runs=len(image.runs),
        run_statuses=statuses,
        cold=options.cold or "not recorded",
        margin=options.margin,
        formula=tuple(formula),
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


def _probe_handler(ready: ReadySpec, notes: list[str]) -> tuple[dict[str, Any] | None, int | None]:
    """The Kubernetes probe handler for the scenario's probe, and the port; note why when none."""
    if ready.http is not None:
        return {"httpGet": {"path": ready.http.path, "port": ready.http.port}}, ready.http.port
    if ready.tcp is not None:
        return {"tcpSocket": {"port": ready.tcp.port}}, ready.tcp.port
    if ready.log is not None:
        notes.append(
            "no startupProbe or readinessProbe: the scenario waits for a log line, which a kubelet "
            "cannot watch; add an httpGet, tcpSocket or exec probe if the service has one"
        )
    else:
        notes.append(
            "no probes: the scenario waits for the container to exit, so it is a batch job; "
            "run it as a Job (a Deployment would restart it forever)"
        )
    return None, None
