"""One image's Kubernetes sizing (:class:`Sizing`): requests, limits, probes and workload, with
the provenance of every number and the pieces every format writes (resources, probes, labels,
annotations, the header). Made by :func:`cprofiler.manifests.recommend.recommend`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from cprofiler.manifests.autoscale import (
    Autoscaling,
)
from cprofiler.manifests.options import ANNOTATION_PREFIX, Source
from cprofiler.manifests.probes import (
    READINESS_FAILURES,
    READINESS_PERIOD_S,
    guaranteed_window_s,
)
from cprofiler.manifests.quantities import cpu_quantity, memory_quantity
from cprofiler.manifests.rates import RateChoice
from cprofiler.results.kinds import RunStatus


@dataclass(frozen=True)
class Sizing:
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
    #: Memory limit, in bytes (a whole number of MiB, never below the request); None for none, when
    #: no start-up peak was measured (``--backend kubernetes``'s kubelet samples).
    memory_limit_bytes: int | None
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
    #: The container's securityContext (:mod:`cprofiler.manifests.security`).
    security_context: dict[str, Any]
    #: Job ``activeDeadlineSeconds`` and ``backoffLimit``; ``None`` for a service.
    job_deadline_s: int | None
    job_backoff_limit: int | None
    #: Cron schedule of a CronJob; ``None`` otherwise.
    schedule: str | None
    #: What the figures were sized from (:mod:`cprofiler.manifests.basis`): name, one-line description, idle,
    #: what the percentiles are over.
    basis: str
    basis_description: str
    idle: bool
    basis_over: str
    #: Header lines that say what the figures cover: under load at which rate, or idle and its risk.
    coverage: tuple[str, ...]
    #: Why a figure was bumped, missing or is to be read with care, one sentence each.
    notes: tuple[str, ...]
    #: What makes the figures other than they look (sized from a closed loop), one sentence each:
    #: ``WARNING:`` lines in the header and the summaries.
    warnings: tuple[str, ...]
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
        limits: dict[str, str] = {}
        if self.cpu_limit_millicores is not None:
            limits["cpu"] = cpu_quantity(self.cpu_limit_millicores)
        if self.memory_limit_bytes is not None:
            limits["memory"] = memory_quantity(self.memory_limit_bytes)
        requests = {
            "cpu": cpu_quantity(self.cpu_request_millicores),
            "memory": memory_quantity(self.memory_request_bytes),
        }
        return {"requests": requests, "limits": limits} if limits else {"requests": requests}

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
        cpu = {"type": "Utilization", "averageUtilization": hpa.target_percent}
        return {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": self.workload_name, "labels": self.labels(), "annotations": self.annotations()},
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
        """The one ``cprofiler.dev/provenance`` annotation: :meth:`provenance`, kept where kubectl keeps it."""
        return {ANNOTATION_PREFIX + "provenance": self.provenance()}

    def provenance(self) -> str:
        """``figures sha256:<16 hex>, cprofiler <version>``: a digest of what determines the manifest's
        numbers (the image reference, the basis, every formula line with its figures and options, and
        what the formats write), never of when, on which kernel or host it was measured: measuring
        again changes it only when a figure the manifest is sized from moved."""
        from cprofiler import __version__

        decided = {
            "image": self.image_ref,
            "kind": self.kind,
            "basis": self.basis,
            "formula": list(self.formula),
            "resources": self.resources(),
            "probes": self.probes(),
            "securityContext": self.security_context,
            "job": [self.job_deadline_s, self.job_backoff_limit, self.schedule],
            "hpa": None if self.autoscaling is None else [self.autoscaling.formula],
        }
        text = json.dumps(decided, sort_keys=True, separators=(",", ":"))
        return f"figures sha256:{hashlib.sha256(text.encode()).hexdigest()[:16]}, cprofiler {__version__}"

    def runs_text(self) -> str:
        """``5 ok of 6 runs (1 timeout)``."""
        others = ", ".join(f"{n} {s}" for s, n in sorted(self.run_statuses.items()) if s != RunStatus.OK and n)
        return f"{self.ok_runs} ok of {self.total_runs} runs" + (f" ({others})" if others else "")

    def basis_label(self) -> str:
        """``load at 200/s``, ``load (closed loop)``, ``settle-peak (idle)``, ``lifetime``."""
        if self.sized_at is not None:
            rate = self.sized_at.rate
            return f"{self.basis} at {rate:g}/s" if rate is not None else f"{self.basis} (closed loop)"
        return self.basis + (" (idle)" if self.idle else "")

    def explanation(self) -> list[str]:
        """Where every number came from, one long line each (without ``#``): what ``--explain``
        writes under the header and the summaries print. Nothing in it names the time, kernel or host
        of the measurement, so an explained file, too, changes only when a figure moved."""
        lines = [f"WARNING: {w}" for w in self.warnings]
        lines.append(f"basis: {self.basis}: {self.basis_description}")
        lines += self.coverage
        lines.append(f"percentiles over {self.basis_over}, linear interpolation between closest ranks")
        lines += self.formula
        lines += [f"note: {n}" for n in self.notes]
        return lines
