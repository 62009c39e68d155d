"""What the user chose for ``cprofiler k8s`` (:class:`K8sOptions`), where the figures came from
(:class:`Source`), and the constants of the rules in :mod:`cprofiler.manifests.recommend`."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from cprofiler.errors import UsageError
from cprofiler.manifests.defaults import (
    DEFAULT_HEADROOM,
    DEFAULT_MARGIN,
    DEFAULT_MAX_REPLICAS,
    DEFAULT_MIN_REPLICAS,
)
from cprofiler.manifests.names import dns_label, is_dns_label, is_dns_subdomain
from cprofiler.manifests.quantities import MIB, parse_cpu_quantity
from cprofiler.results.load import Ceiling
from cprofiler.results.model import Measurement

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
#: Where the provenance annotation lives.
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
    #: The load-phase rate to size at, requests/s (``--at-rate``); None: the capacity rate (cprofiler.results.capacity).
    at_rate: float | None = None
    #: Write a HorizontalPodAutoscaler for images sized under load (``--hpa/--no-hpa``).
    hpa: bool = True
    #: Size an image whose load phase failed from its idle figures (``--from-idle``), with a warning.
    from_idle: bool = False
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
    #: Write every formula with its figures, and how to use the file, under each header (``--explain``).
    explain: bool = False

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
