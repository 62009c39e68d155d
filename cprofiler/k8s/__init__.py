"""Kubernetes resources from measurements: numbers in, manifests out.

Pure logic, no engine and no cluster: :func:`recommend` turns one image entry of a
``cprofiler/results/v1`` file into a :class:`Recommendation` (requests, limits, probe timings and
where every number came from); :func:`render` writes it in one of the formats registered in
:mod:`cprofiler.k8s.formats`, one file per image.

The rules, with ``m`` the margin (default 0.15, the VPA recommender's) and percentiles taken over
the image's ok runs by linear interpolation between closest ranks (numpy's default method)::

    memory request = max(16Mi, ceil_Mi(p95(working_set_bytes) * (1 + m)))
    memory limit   = max(memory request, ceil_Mi(max(peak_bytes over all runs) * (1 + m)))
    after an OOM kill at M bytes: request and limit >= ceil_Mi(max(M + 100Mi, M * 1.2))
    cpu request    = max(10m, ceil(p90(settle_cpu_cores) * (1 + m) * 1000) m)
    cpu limit      = none, unless asked for
    startupProbe   = periodSeconds * failureThreshold >= 2 * p99(ready_ms), failureThreshold >= 3

Percentiles are :func:`cprofiler.stats.percentile`'s. The margin arithmetic is exact
(:class:`fractions.Fraction`): in floats, 50Mi x (1 + 0.1) rounds up to 56Mi instead of 55Mi.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import yaml

from cprofiler.errors import CprofilerError, UsageError
from cprofiler.k8s.escape import comment
from cprofiler.results.model import SCHEMA
from cprofiler.results.stats import percentile

#: Oldest Kubernetes release whose OpenAPI schema every manifest is checked against in the tests.
TARGET_KUBERNETES_VERSION = "1.30"

MIB = 1024 * 1024
#: Safety margin added to every measured figure; 0.15 is the VPA recommender's default.
DEFAULT_MARGIN = 0.15
#: No memory request below this, in bytes: a smaller one leaves no room for a runtime's page cache,
#: and a scheduler that packs that tightly is not worth 10 MiB.
MEMORY_FLOOR_BYTES = 16 * MIB
#: No CPU request below this, in millicores: below 10m the CFS share is too small to matter.
CPU_FLOOR_MILLICORES = 10
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

_DNS_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_DNS_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_CPU_RE = re.compile(r"^(\d+(?:\.\d+)?|\.\d+)(m?)$")


# --- numbers ------------------------------------------------------------------------------------


def exact(value: float | int | Fraction) -> Fraction:
    """``value`` as the exact fraction of its shortest decimal form (0.15 is 3/20, not 0.1499…)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    return Fraction(repr(float(value)))


def ceil_mib(n_bytes: Fraction | int) -> int:
    """Round ``n_bytes`` up to a whole number of MiB; return bytes."""
    return math.ceil(exact(n_bytes) / MIB) * MIB


def memory_quantity(n_bytes: int) -> str:
    """Canonical Kubernetes quantity for a byte count: the largest binary suffix that is exact.

    ``100663296`` → ``96Mi``, ``1073741824`` → ``1Gi``, ``1536Mi`` stays ``1536Mi`` (as the API
    server writes it back).
    """
    for suffix, size in (
        ("Ei", 1 << 60),
        ("Pi", 1 << 50),
        ("Ti", 1 << 40),
        ("Gi", 1 << 30),
        ("Mi", 1 << 20),
        ("Ki", 1 << 10),
    ):
        if n_bytes and n_bytes % size == 0:
            return f"{n_bytes // size}{suffix}"
    return str(n_bytes)


def cpu_quantity(millicores: int) -> str:
    """Canonical Kubernetes quantity for CPU: ``250m``, and whole cores as ``1``, ``2``."""
    return str(millicores // 1000) if millicores % 1000 == 0 else f"{millicores}m"


def parse_cpu_quantity(text: str) -> int:
    """Parse ``500m``, ``1``, ``1.5`` or ``0.25`` into millicores (rounded up); raise ValueError."""
    m = _CPU_RE.match(text.strip())
    if not m:
        raise ValueError(f"expected a CPU quantity such as 500m, 1 or 1.5, got {text!r}")
    number = Fraction(m.group(1))
    millicores = math.ceil(number if m.group(2) else number * 1000)
    if millicores <= 0:
        raise ValueError(f"expected a CPU quantity above zero, got {text!r}")
    return millicores


def _mib(n: Fraction | int) -> str:
    return f"{float(exact(n) / MIB):.1f}MiB"


# --- names --------------------------------------------------------------------------------------


def is_dns_label(name: str) -> bool:
    """True when ``name`` is an RFC 1123 label (container names, label values, Service names)."""
    return bool(_DNS_LABEL_RE.match(name))


def is_dns_subdomain(name: str) -> bool:
    """True when ``name`` is an RFC 1123 subdomain (Deployment names)."""
    return len(name) <= 253 and bool(_DNS_SUBDOMAIN_RE.match(name))


def dns_label(name: str) -> str:
    """``name`` made an RFC 1123 label: lowercase, runs of other characters as ``-``, 63 at most.

    ``Go_Server.v2`` → ``go-server-v2``. Raise CprofilerError when nothing usable is left.
    """
    label = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:63].rstrip("-")
    if not label:
        raise CprofilerError(f"image name {name!r} has no letter or digit to make a Kubernetes name from")
    return label


# --- the recommendation -------------------------------------------------------------------------


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
    #: Lowest memory request, in bytes.
    memory_floor_bytes: int = MEMORY_FLOOR_BYTES
    #: Lowest CPU request, in millicores.
    cpu_floor_millicores: int = CPU_FLOOR_MILLICORES
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
        others = ", ".join(f"{n} {s}" for s, n in sorted(self.run_statuses.items()) if s != "ok")
        runs = f"{self.ok_runs} ok of {self.total_runs} runs" + (f" ({others})" if others else "")
        lines = [
            f"image {self.image_name!r} ({self.image_ref}), measured by cprofiler",
            f"from: {self.results_file}; {runs}; cold level: {self.cold}; margin: {self.margin:.0%}",
            "percentiles over the ok runs, linear interpolation between closest ranks",
            *self.formula,
        ]
        lines += [f"note: {n}" for n in self.notes]
        return lines


def _values(runs: Sequence[Mapping[str, Any]], key: str) -> list[float]:
    return [float(r[key]) for r in runs if r.get(key) is not None]


def recommend(image_result: Mapping[str, Any], options: K8sOptions) -> Recommendation:
    """Recommend requests, limits and probes for one image entry of a results file.

    Statistics come from the image's ``ok`` runs; the memory limit also covers the peak of every
    other run (a timed-out run's memory was still used). Raise CprofilerError, naming the image,
    when it has no ok run or no working set to start from.
    """
    name = str(image_result.get("name", "?"))
    runs: list[Mapping[str, Any]] = list(image_result.get("runs") or [])
    statuses = dict(Counter(str(r.get("status", "?")) for r in runs))
    ok = [r for r in runs if r.get("status") == "ok"]
    if not ok:
        detail = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())) or "no runs at all"
        hint = (
            " It was OOM-killed: raise its memory_limit in the scenario file and measure again."
            if statuses.get("oomkilled")
            else " Read the runs' error fields, fix the scenario and measure again."
        )
        raise CprofilerError(
            f"{options.results_file}: image {name!r} has no ok run ({detail}); nothing to base resources on.{hint}"
        )
    working_sets = _values(ok, "working_set_bytes")
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

    ws_p95 = exact(percentile(working_sets, 95))
    mem_request = max(options.memory_floor_bytes, ceil_mib(ws_p95 * factor))
    formula.append(
        f"memory request = max({memory_quantity(options.memory_floor_bytes)} floor, "
        f"p95 working set {_mib(ws_p95)} {x}, up to Mi) = {memory_quantity(mem_request)}"
    )

    peaks = _values(runs, "peak_bytes")
    if peaks:
        peak, peak_what = exact(max(peaks)), "max peak"
    else:
        peak, peak_what = exact(max(working_sets)), "max working set"
        notes.append("no run recorded a memory peak; the limit is built on the largest working set instead")
    mem_limit = max(mem_request, ceil_mib(peak * factor))
    formula.append(f"memory limit   = max(request, {peak_what} {_mib(peak)} {x}, up to Mi) = {memory_quantity(mem_limit)}")

    oom_bumped = False
    oom_runs = [r for r in runs if r.get("status") == "oomkilled"]
    if oom_runs:
        at_oom_candidates = _values(oom_runs, "peak_bytes")
        if image_result.get("memory_limit_bytes") is not None:
            at_oom_candidates.append(float(image_result["memory_limit_bytes"]))
        at_oom = exact(max(at_oom_candidates)) if at_oom_candidates else peak
        bumped = ceil_mib(max(at_oom + OOM_MIN_BUMP_BYTES, at_oom * OOM_BUMP_RATIO))
        oom_bumped = True
        mem_request = max(mem_request, bumped)
        mem_limit = max(mem_limit, bumped)
        formula.append(
            f"OOM bump       = max({_mib(at_oom)} + 100Mi, {_mib(at_oom)} x 1.2, up to Mi) = "
            f"{memory_quantity(bumped)}; request and limit raised to at least that"
        )
        notes.append(
            f"{len(oom_runs)} run(s) were OOM-killed at about {_mib(at_oom)}: memory bumped to "
            f"{memory_quantity(bumped)} by the VPA recommender's rule max(+100Mi, x1.2); "
            "measure again with a higher memory_limit to replace the guess by a measurement"
        )

    cpu_values = _values(ok, "settle_cpu_cores")
    if cpu_values:
        cpu_p90 = exact(percentile(cpu_values, 90))
        cpu_request = max(options.cpu_floor_millicores, math.ceil(cpu_p90 * factor * 1000))
        formula.append(
            f"cpu request    = max({options.cpu_floor_millicores}m floor, p90 settle CPU "
            f"{float(cpu_p90 * 1000):.1f}m {x}, up to 1m) = {cpu_quantity(cpu_request)}"
        )
    else:
        cpu_request = options.cpu_floor_millicores
        formula.append(f"cpu request    = {options.cpu_floor_millicores}m floor (no settle CPU measured)")
        notes.append("no ok run measured settle CPU; the CPU request is the floor")
    if image_result.get("cpus") is not None:
        notes.append(f"measured under a {image_result['cpus']:g}-CPU cap (cpus: in the scenario)")

    cpu_limit = _cpu_limit(name, image_result, options, cpu_request)
    if cpu_limit is None:
        formula.append("cpu limit      = none: a CPU limit throttles start-up and bursts even on an idle node")
    else:
        source = "the scenario's cpus:" if options.cpu_limit == "measured" else "--cpu-limit"
        formula.append(f"cpu limit      = {cpu_quantity(cpu_limit)} from {source}")

    handler, port = _probe_handler(image_result.get("ready") or {}, notes)
    period: int | None = None
    failures: int | None = None
    ready = _values(ok, "ready_ms")
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

    if image_result.get("stand_in"):
        stand_in = image_result["stand_in"]
        what = stand_in.get("detail") or stand_in.get("for") or "see the results file"
        notes.append(f"measured on a stand-in base ({what}), not the real one")

    return Recommendation(
        image_name=name,
        name=dns_label(name),
        image_ref=str((image_result.get("image") or {}).get("tag") or name),
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
        total_runs=len(runs),
        run_statuses=statuses,
        cold=options.cold or "not recorded",
        margin=options.margin,
        formula=tuple(formula),
    )


def _cpu_limit(name: str, image_result: Mapping[str, Any], options: K8sOptions, request: int) -> int | None:
    if options.cpu_limit is None:
        return None
    if options.cpu_limit == "measured":
        cpus = image_result.get("cpus")
        if cpus is None:
            raise UsageError(
                f"--cpu-limit measured: image {name!r} was measured without a CPU cap (no cpus: in the scenario); "
                "give a quantity instead, e.g. --cpu-limit 500m"
            )
        limit = math.ceil(exact(cpus) * 1000)
    else:
        limit = parse_cpu_quantity(options.cpu_limit)
    if limit < request:
        raise UsageError(
            f"--cpu-limit {cpu_quantity(limit)} is below the CPU request of image {name!r} ({cpu_quantity(request)}); "
            f"Kubernetes rejects a limit under the request: give at least --cpu-limit {cpu_quantity(request)}"
        )
    return limit


def _probe_handler(ready: Mapping[str, Any], notes: list[str]) -> tuple[dict[str, Any] | None, int | None]:
    """The Kubernetes probe handler for the scenario's probe, and the port; note why when none."""
    if "http" in ready:
        port = int(ready["http"]["port"])
        return {"httpGet": {"path": str(ready["http"].get("path") or "/"), "port": port}}, port
    if "tcp" in ready:
        port = int(ready["tcp"]["port"])
        return {"tcpSocket": {"port": port}}, port
    if "log" in ready:
        notes.append(
            "no startupProbe or readinessProbe: the scenario waits for a log line, which a kubelet "
            "cannot watch; add an httpGet, tcpSocket or exec probe if the service has one"
        )
    elif "exit" in ready:
        notes.append(
            "no probes: the scenario waits for the container to exit, so it is a batch job; "
            "run it as a Job (a Deployment would restart it forever)"
        )
    else:
        notes.append("no probes: the results file does not say how readiness was probed")
    return None, None


# --- rendering ----------------------------------------------------------------------------------


def check_results(results: Any, source: str) -> Mapping[str, Any]:
    """Return ``results`` if it is a ``cprofiler/results/v1`` document; raise UsageError naming ``source``."""
    if not isinstance(results, Mapping):
        raise UsageError(f"{source}: expected a cprofiler results object, got a JSON {type(results).__name__}")
    schema = results.get("schema")
    if schema != SCHEMA:
        raise UsageError(
            f"{source}: schema is {schema!r}, expected {SCHEMA!r}; give the JSON file that `cprofiler measure` wrote"
        )
    images = results.get("images")
    if not isinstance(images, list) or not images:
        raise UsageError(f"{source}: has no images; was the measurement interrupted before the first image?")
    return results


def skip_reason(image: Mapping[str, Any]) -> str | None:
    """Why ``image`` gets no manifest, or None. A batch job (exit probe) is not a Deployment, and
    cprofiler does not sample its memory (its cgroup is gone once it is ready)."""
    if "exit" in (image.get("ready") or {}):
        return f"image {image.get('name')!r} skipped: an exit-probe image is a batch job, with no memory sampled to size it"
    return None


def render(results: Mapping[str, Any], fmt: str, options: K8sOptions) -> dict[str, str]:
    """Render every image of ``results`` in format ``fmt``: file name → YAML text with its header.

    Images come out in the results' order; the top-level ``floor`` entry is not an image and is
    skipped. Raise UsageError for an unknown format, CprofilerError for an image that cannot be
    recommended for.
    """
    # Imported here, not at the top: each format module imports this one.
    from cprofiler.k8s.formats import FORMATS, format_names

    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r} is unknown; choose one of: {format_names()}")
    spec = FORMATS[fmt]
    check_results(results, options.results_file)
    if options.cold is None:
        settings = results.get("settings") or {}
        options = replace(options, cold=str(settings["cold"]) if settings.get("cold") is not None else None)
    interrupted = results.get("interrupted")

    files: dict[str, str] = {}
    owners: dict[str, str] = {}
    for image in results["images"]:
        if skip_reason(image) is not None:
            continue
        rec = recommend(image, options)
        filename = f"{rec.name}.{spec.file_suffix}"
        if filename in files:
            raise CprofilerError(
                f"{options.results_file}: images {owners[filename]!r} and {rec.image_name!r} both become {rec.name!r} "
                "as Kubernetes names; rename one in the scenario file"
            )
        owners[filename] = rec.image_name
        lines = [f"{filename}: cprofiler k8s --format {fmt}", *rec.header()]
        if interrupted:
            lines.append(f"note: the measurement stopped early, with fewer runs than planned: {interrupted}")
        lines += spec.usage(rec, options)
        # Escaped: a line break in a results value must not end the comment (issue 14, item 8).
        files[filename] = comment(lines) + dump_yaml(spec.build(rec, options))
    return files


class _PlainDumper(yaml.SafeDumper):
    """A safe dumper that writes shared objects out again instead of as ``&id001`` anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_yaml(data: Any, *, flow: bool = False) -> str:
    """YAML text for ``data``: keys in insertion order, no anchors, block style unless ``flow``."""
    return str(yaml.dump(data, Dumper=_PlainDumper, sort_keys=False, default_flow_style=flow, width=1000))


def yaml_stream(files: Mapping[str, str]) -> str:
    """Join rendered files into one YAML stream (``---`` before each document), for stdout."""
    return "".join(f"---\n{text}" for text in files.values())


__all__ = [
    "DEFAULT_MARGIN",
    "TARGET_KUBERNETES_VERSION",
    "K8sOptions",
    "Recommendation",
    "check_results",
    "cpu_quantity",
    "dns_label",
    "memory_quantity",
    "recommend",
    "render",
    "yaml_stream",
]
