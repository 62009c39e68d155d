"""The results model: one record per run, one per image, one per measurement; written and read.

JSON is the stable contract (``schema: cprofiler/results/v2``; v1 files are still read); tables,
CSV, Kubernetes output and ``--resume`` all read it back into these same classes (:meth:`Measurement.from_json`), so every
consumer gets typed objects, whatever file they came from. Every field name carries its unit
(``_ms`` milliseconds, ``_bytes`` bytes, ``_cores`` CPU cores) and every time is taken from one
monotonic clock (``time.monotonic_ns``).

Reading validates (pydantic): a file that is not a results file, or holds a string where a number
belongs, becomes one :class:`~cprofiler.errors.UsageError` naming the file and the path inside it
(``images[0].runs[3].working_set_bytes``), never a traceback. The whole contract is kept in this
one file on purpose (the load phase's records are in :mod:`cprofiler.results.load`), so that a
reader sees every field of the JSON, with its unit, in one place.
"""

from __future__ import annotations

import math
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cprofiler import __version__
from cprofiler.budgets import BudgetResult
from cprofiler.budgets import evaluate as evaluate_budgets
from cprofiler.errors import UsageError
from cprofiler.results import stats
from cprofiler.results.load import Ceiling, LoadResult
from cprofiler.scenario.model import Budgets, ReadySpec, quote
from cprofiler.settings import RunSettings

#: The schema this version writes. v2 (from v1): ``rss_bytes`` is anonymous memory alone, as
#: cAdvisor's ``container_memory_rss``, and mapped file pages are ``mapped_file_bytes``.
SCHEMA = "cprofiler/results/v2"
#: The schema before: its ``rss_bytes`` was anonymous plus mapped file memory. Still read (see
#: :func:`upgrade_v1_run`), never written.
SCHEMA_V1 = "cprofiler/results/v1"
#: Every schema a reader accepts.
READABLE_SCHEMAS = (SCHEMA_V1, SCHEMA)

STATUSES = ("ok", "timeout", "crashed", "oomkilled", "error")


class _Record(BaseModel):
    # Extra keys (``summary``, ``warnings``, ``budget_checks``: derived, recomputed on reading) are ignored; NaN and
    # infinity are not numbers any run measured. Strict: a number written as a string ("9Mi",
    # "640") is a malformed file, not something to guess at.
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False, validate_assignment=False, strict=True)


class RunResult(_Record):
    """One measured start of one image."""

    #: Scenario image name.
    image: str
    #: Measured run number for this image, from 0 (warmup runs are not recorded).
    index: int
    #: ok | timeout (never ready) | crashed (exited before ready, or after it) | oomkilled | error.
    status: str = "ok"
    #: Container exit code when it exited during the run, else null.
    exit_code: int | None = None
    #: Time to bring the image back onto the engine before this run (``--cold image``: load of the
    #: tarball cprofiler saved, or a pull), in milliseconds; not part of ``ready_ms``; null at other levels.
    fetch_ms: float | None = None
    #: Duration of the engine's create call, in milliseconds.
    create_ms: float | None = None
    #: Duration of the engine's start call, in milliseconds.
    start_ms: float | None = None
    #: From just before create until the probe saw the container ready, in milliseconds.
    ready_ms: float | None = None
    #: From just before create until the app said it was ready (``monotonic_ns=`` in its output),
    #: in milliseconds; null when the app prints no such stamp.
    app_ready_ms: float | None = None
    #: How much later the probe noticed readiness than the app reported it, in milliseconds.
    probe_lag_ms: float | None = None
    #: Memory usage minus inactive file cache after settle (kubelet's working set), in bytes.
    working_set_bytes: int | None = None
    #: Anonymous memory after settle, in bytes: cAdvisor's ``container_memory_rss`` (cgroup v1
    #: ``total_rss``, v2 ``anon``), what Kubernetes tooling calls a container's RSS.
    rss_bytes: int | None = None
    #: File pages mapped into the container's processes after settle (shared libraries, the
    #: executable), in bytes: v1 ``total_mapped_file``, v2 ``file_mapped``.
    mapped_file_bytes: int | None = None
    #: Anonymous plus mapped file memory after settle, in bytes: what a schema v1 file called
    #: ``rss_bytes``, kept under its own name when such a file is read; null in files written now.
    anon_and_mapped_file_bytes: int | None = None
    #: Highest memory usage the cgroup recorded during the run, in bytes (null: see ``notes``).
    peak_bytes: int | None = None
    #: Proportional set size summed over the container's processes after settle, in bytes.
    pss_bytes: int | None = None
    #: Container CPU time over the settle window divided by its length, in cores.
    settle_cpu_cores: float | None = None
    #: Highest working set seen while settling, sampled every ``SETTLE_SAMPLE_INTERVAL_S``
    #: (cprofiler.measure.settle_peak) from ready until the end of settle, in bytes.
    settle_peak_working_set_bytes: int | None = None
    #: Highest memory usage over the container's whole life, kept by a per-run parent cgroup
    #: after the container is gone (exit-probed images; cprofiler.measure.lifetime), in bytes.
    lifetime_peak_bytes: int | None = None
    #: CPU time of the container's whole life divided by its ``ready_ms`` (exit-probed images), in cores.
    lifetime_cpu_cores: float | None = None
    #: Where memory was read: cgroup-v1, cgroup-v2, engine-stats or kubelet-summary.
    memory_source: str | None = None
    # --- ``--backend kubernetes`` only (null on Docker): a run is a Pod -------------------------
    #: From just before create until a watch event showed the pod bound to a node, in milliseconds
    #: (a pod created with ``spec.nodeName`` is bound by its create).
    scheduled_ms: float | None = None
    #: From just before create until a watch event showed its container running (or already
    #: ended), in milliseconds.
    running_ms: float | None = None
    #: The API server's PodScheduled condition time minus the pod's creationTimestamp, in
    #: milliseconds; both are whole seconds, so this is a multiple of 1000.
    server_scheduled_ms: float | None = None
    #: The container's startedAt minus the pod's creationTimestamp (whole seconds), in milliseconds.
    server_running_ms: float | None = None
    #: The Ready condition time minus the pod's creationTimestamp (whole seconds), in milliseconds.
    server_ready_ms: float | None = None
    #: The kubelet's pull of the image during this run (``--registry``), from its Pulled event's
    #: message (the kubelet times it to the nanosecond), in milliseconds; part of ``ready_ms``. Null
    #: when the image was already on the node (the event then says so) or no pull was read.
    image_pull_ms: float | None = None
    #: How long after ready the kubelet took the memory sample reported (it samples every ~10 s),
    #: in milliseconds.
    memory_sample_after_ready_ms: float | None = None
    #: Page faults of the container so far, from the kubelet's sample (a count).
    page_faults: int | None = None
    #: Major page faults of the container so far, from the kubelet's sample (a count).
    major_page_faults: int | None = None
    #: Why a figure is missing or how it was obtained, one short sentence each.
    notes: list[str] = Field(default_factory=list)
    #: What went wrong, for status other than ok.
    error: str | None = None
    #: Last lines the container wrote (kept for crashed, timeout and oomkilled runs).
    log_tail: list[str] = Field(default_factory=list)
    #: Probe transport: netns (probed inside the container's network namespace), published-port,
    #: or kubelet (the pod's readinessProbe, ``--backend kubernetes``).
    probe_via: str | None = None

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_json(cls, data: dict[str, Any], *, where: str = "run") -> RunResult:
        return validate(cls, data, where)


#: Run fields that are summarised per image (min, median, mean, p95, max, stdev, ci95): every
#: numeric measurement, found by its unit suffix.
NUMERIC_FIELDS = tuple(n for n in RunResult.model_fields if n.endswith(("_ms", "_bytes", "_cores")))


class ImageRef(_Record):
    """The image that was run."""

    #: Its local tag (``cprofiler/web:3f2a…``).
    tag: str
    #: Content-addressed image id (``sha256:…``).
    id: str


class StandInUse(_Record):
    """Which stand-in bases replaced the real ones an image names (``cprofiler bases list``)."""

    model_config = ConfigDict(populate_by_name=True)

    #: The real base images replaced, comma-separated (``python:3.12-alpine``).
    replaced: str = Field(alias="for")
    #: The recipes used instead, comma-separated (``musl-python``).
    recipe: str
    #: The versions inside the stand-ins (``musl 1.2.3, busybox 1.35.0, CPython 3.11.2``).
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class ImageResult(_Record):
    """Everything measured for one scenario image (or for the runtime floor)."""

    #: Scenario image name.
    name: str
    #: The image that was run.
    image: ImageRef
    #: Uncompressed image size as the engine reports it, in bytes.
    image_size_bytes: int
    #: Number of filesystem layers.
    layers: int
    #: The probe used, as in the scenario file (``{"http": {"port": 8080, "path": "/healthz"}}``).
    ready: ReadySpec
    #: Memory limit given to the engine, in bytes; null when none.
    memory_limit_bytes: int | None = None
    #: CPU limit given to the engine, in cores; null when none.
    cpus: float | None = None
    #: Set when a stand-in base replaced the real one.
    stand_in: StandInUse | None = None
    #: The scenario's name for the image; differs from ``name`` for a row of a ``cpus`` list
    #: (``web@cpus=0.5``).
    scenario_image: str | None = None
    #: The user the image runs as (its ``Config.User``: ``""`` is root, else a name or
    #: ``uid[:gid]``); null in files written before it was recorded.
    user: str | None = None
    #: The ``security:`` profile its containers ran under: ``default`` or ``restricted`` (see
    #: ``cprofiler.measure.security``); null in files written before it was recorded.
    security: str | None = None
    #: ``UID:GID`` its containers ran as when the profile chose it (``restricted`` for an image whose
    #: user is root or a name: ``65534:65534``); null: the image's own ``user``.
    run_as: str | None = None
    #: The budgets the scenario set for this image (its own over the top-level ones), or null.
    budgets: Budgets | None = None
    runs: list[RunResult] = Field(default_factory=list)
    #: The load phase, when the scenario has one for this image.
    load: LoadResult | None = None

    @property
    def kind(self) -> str:
        """``exit`` for a batch job (an exit probe), ``serve`` for a service."""
        return "exit" if self.ready.kind == "exit" else "serve"

    @property
    def label(self) -> str:
        """The name as tables show it, with the stand-in recipe when one was used."""
        return f"{self.name} (stand-in: {self.stand_in.recipe})" if self.stand_in else self.name

    def ok_runs(self) -> list[RunResult]:
        return [r for r in self.runs if r.status == "ok"]

    def values(self, field: str) -> list[float]:
        """``field`` of every ok run that has it, in run order."""
        out = []
        for r in self.runs:
            value = getattr(r, field)
            if r.status == "ok" and value is not None:
                out.append(value)
        return out

    def status_counts(self) -> dict[str, int]:
        return {s: sum(r.status == s for r in self.runs) for s in STATUSES}

    def summary(self) -> dict[str, Any]:
        """Statistics of each numeric field over ok runs, plus a count of runs by status."""
        out: dict[str, Any] = {"status_counts": self.status_counts()}
        for name in NUMERIC_FIELDS:
            s = stats.summarize(self.values(name))
            out[name] = s.to_dict() if s is not None else None
        return out

    def warnings(self) -> list[str]:
        """What a reader should do about this image's numbers: outliers in ``ready_ms``, in run order."""
        warning = stats.outlier_warning([r.ready_ms if r.status == "ok" else None for r in self.runs])
        return [f"ready_ms: {warning}"] if warning else []

    def budget_results(self) -> list[BudgetResult]:
        """Each of this image's budgets, judged on its ok runs (:func:`cprofiler.budgets.evaluate`)."""
        return evaluate_budgets(self)

    def header_json(self) -> dict[str, Any]:
        """The image's entry without runs and derived figures: what a run log's header holds."""
        return {
            "name": self.name,
            "image": self.image.model_dump(mode="json"),
            "image_size_bytes": self.image_size_bytes,
            "layers": self.layers,
            "ready": self.ready.to_json(),
            "memory_limit_bytes": self.memory_limit_bytes,
            "cpus": self.cpus,
            "stand_in": self.stand_in.to_json() if self.stand_in is not None else None,
            **({"scenario_image": self.scenario_image} if self.scenario_image not in (None, self.name) else {}),
            **({"load": self.load.model_dump(mode="json", exclude={"steps"})} if self.load is not None else {}),
            "user": self.user,
            "budgets": self.budgets.set() if self.budgets is not None else None,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            **{k: v for k, v in self.header_json().items() if k != "load"},
            "runs": [r.to_json() for r in self.runs],
            "summary": self.summary(),
            "warnings": self.warnings(),
            **({"load": self.load.to_json()} if self.load is not None else {}),
            **({"max_rate_within_slo": self.load.max_rate_within_slo()} if self.load and self.load.slo_p99_ms else {}),
            "budget_checks": [b.to_json() for b in self.budget_results()],
        }


class Environment(_Record):
    """Facts of the engine and the machine a measurement ran on (all optional: older files lack some)."""

    model_config = ConfigDict(extra="allow")

    #: Where the runs ran: docker (null in older files) or kubernetes; with kubernetes the engine
    #: facts below are the node's, and ``kubernetes_version``, ``kubelet_version``, ``node_name``,
    #: ``node_capacity_*``, ``namespace`` and ``context`` say which cluster.
    backend: str | None = None
    #: Docker engine version (``20.10.24``).
    engine_version: str | None = None
    #: Engine API version.
    api_version: str | None = None
    #: Kernel version as the engine reports it.
    kernel: str | None = None
    #: Operating system as the engine reports it.
    os: str | None = None
    #: ``1`` or ``2``.
    cgroup_version: str | None = None
    #: cgroupfs or systemd.
    cgroup_driver: str | None = None
    #: overlay2, fuse-overlayfs, …
    storage_driver: str | None = None
    #: CPUs the engine sees.
    engine_cpus: int | None = None
    #: Memory the engine sees, in bytes.
    engine_memory_bytes: int | None = None
    #: This machine's CPU model.
    cpu_model: str | None = None
    #: This machine's CPU count.
    cpu_count: int | None = None
    #: Python version cprofiler ran on.
    python: str | None = None
    cprofiler_version: str | None = None
    started_at: str | None = None

    @model_validator(mode="after")
    def _finite_extras(self) -> Environment:
        # Unknown facts are kept and written back out: never as NaN, which is no JSON.
        for key, value in (self.model_extra or {}).items():
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{key}: expected a finite number")
        return self

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)


class Measurement(_Record):
    """A whole ``cprofiler measure`` invocation."""

    environment: Environment = Field(default_factory=Environment)
    settings: RunSettings
    started_at: str | None = None
    images: list[ImageResult] = Field(default_factory=list)
    #: The runtime floor (an empty static binary), measured like the images; None with ``--no-floor``.
    floor: ImageResult | None = None
    finished_at: str | None = None
    #: Set when the measurement stopped early: why.
    interrupted: str | None = None
    #: The load generator against a trivial server, once per invocation; null without a load phase.
    ceiling: Ceiling | None = None
    #: The cprofiler version that wrote the file.
    cprofiler_version: str = __version__
    schema_: str = Field(default=SCHEMA, alias="schema")

    model_config = ConfigDict(populate_by_name=True)

    def entries(self) -> list[ImageResult]:
        """The scenario's images, then the floor when there is one: everything that has runs."""
        return [*self.images, *([self.floor] if self.floor is not None else [])]

    def by_name(self) -> dict[str, ImageResult]:
        return {e.name: e for e in self.entries()}

    def header_json(self) -> dict[str, Any]:
        """Everything but the runs and derived figures: the first record of a run log."""
        return {
            "schema": SCHEMA,
            "cprofiler_version": self.cprofiler_version,
            "started_at": self.started_at,
            "environment": self.environment.to_json(),
            "settings": self.settings.to_json(),
            "images": [i.header_json() for i in self.images],
            "floor": self.floor.header_json() if self.floor is not None else None,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "cprofiler_version": self.cprofiler_version,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "interrupted": self.interrupted,
            "environment": self.environment.to_json(),
            "settings": self.settings.to_json(),
            "images": [i.to_json() for i in self.images],
            "floor": self.floor.to_json() if self.floor is not None else None,
            **({"ceiling": self.ceiling.model_dump(mode="json")} if self.ceiling is not None else {}),
        }

    @classmethod
    def from_json(cls, data: Any, *, where: str) -> Measurement:
        """The measurement a results document describes; UsageError naming ``where`` if it is not one."""
        if not isinstance(data, dict):
            raise UsageError(f"{where}: expected a cprofiler results object, got a JSON {type(data).__name__}")
        if data.get("schema") not in READABLE_SCHEMAS:
            raise UsageError(
                f"{where}: schema: expected {SCHEMA!r} (or {SCHEMA_V1!r}); this file's schema is {data.get('schema')!r}: "
                "is this a cprofiler results file?"
            )
        if data["schema"] == SCHEMA_V1:
            # New dicts all the way to the runs: the caller's document is left as it was.
            data = {**data}
            if isinstance(data.get("images"), list):
                data["images"] = [_upgrade_v1_entry(e) for e in data["images"]]
            data["floor"] = _upgrade_v1_entry(data.get("floor"))
        return validate(cls, data, where)


def _upgrade_v1_entry(entry: Any) -> Any:
    if not isinstance(entry, dict) or not isinstance(entry.get("runs"), list):
        return entry
    return {**entry, "runs": [upgrade_v1_run(r) for r in entry["runs"]]}


def upgrade_v1_run(record: Any) -> Any:
    """A run record of a schema v1 file, in v2 terms: the one reader shim between the two.

    v1's ``rss_bytes`` held anonymous plus mapped file memory, which cannot be split afterwards;
    it moves to ``anon_and_mapped_file_bytes`` and ``rss_bytes`` stays unknown, so a v1 figure is
    never shown as, or compared with, the anonymous-only RSS of v2. Anything else passes unchanged
    (validation reports what is wrong with it).
    """
    if not isinstance(record, dict) or "rss_bytes" not in record:
        return record
    record = {**record}
    record["anon_and_mapped_file_bytes"] = record.pop("rss_bytes")
    return record


_Model = TypeVar("_Model", bound=BaseModel)


def validate(model: type[_Model], data: Any, where: str) -> _Model:
    """``model`` validated from ``data``; UsageError naming ``where`` and the path inside it."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise UsageError(f"{where}: {describe_error(exc)}") from None
    except RecursionError:
        raise UsageError(f"{where}: nested too deeply; expected a cprofiler results file") from None


def describe_error(exc: ValidationError) -> str:
    """The first validation error as ``images[0].runs[3].working_set_bytes: expected …``."""
    err = exc.errors()[0]
    path = ""
    for part in err["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    if err["type"] == "missing":
        return f"{path or 'document'}: required key is missing"
    msg = str(err["msg"]).removeprefix("Value error, ")
    got = err.get("input")
    shown = "" if isinstance(got, (dict, list)) else f" (got {quote(got)})"
    return f"{path or 'document'}: {msg}{shown}"
