"""The results model: one record per run, one per image, one per measurement; written and read.

JSON is the stable contract (``schema: cprofiler/results/v2``; v1 files are still read); tables,
CSV, Kubernetes output and ``--resume`` all read it back into these same classes (:meth:`Measurement.from_json`), so every
consumer gets typed objects, whatever file they came from. Every field name carries its unit
(``_ms`` milliseconds, ``_bytes`` bytes, ``_cores`` CPU cores) and every time is taken from one
monotonic clock (``time.monotonic_ns``).

Reading validates (pydantic): a file that is not a results file, or holds a string where a number
belongs, becomes one :class:`~cprofiler.errors.UsageError` naming the file and the path inside it
(``images[0].runs[3].working_set_bytes``), never a traceback.

The model is data: it is serialised by pydantic (``model_dump``), every field, so a new field is
written without further edits. Figures derived from the runs (summary, warnings, the load summary,
budget checks) are computed by :mod:`cprofiler.results.derive` and added by
:mod:`cprofiler.results.writer`; on reading they are ignored and computed again.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import (
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_serializer,
    model_serializer,
    model_validator,
)

from cprofiler import __version__
from cprofiler.errors import UsageError
from cprofiler.results.kinds import BackendNameField, RunStatus
from cprofiler.results.load import Ceiling, LoadResult
from cprofiler.results.record import Cores, Record, Size, validate
from cprofiler.results.run import NUMERIC_FIELDS, STATUSES, RunResult
from cprofiler.scenario.model import Budgets, ReadySpec
from cprofiler.settings import RunSettings

# The run record lives in its own module; these names stay importable from here.
__all__ = [
    "NUMERIC_FIELDS",
    "READABLE_SCHEMAS",
    "SCHEMA",
    "SCHEMA_V1",
    "STATUSES",
    "Environment",
    "ImageRef",
    "ImageResult",
    "Measurement",
    "RunResult",
    "StandInUse",
    "upgrade_v1_run",
]

#: The schema this version writes. v2 (from v1): ``rss_bytes`` is anonymous memory alone, as
#: cAdvisor's ``container_memory_rss``, and mapped file pages are ``mapped_file_bytes``.
SCHEMA = "cprofiler/results/v2"
#: The schema before: its ``rss_bytes`` was anonymous plus mapped file memory. Still read (see
#: :func:`upgrade_v1_run`), never written.
SCHEMA_V1 = "cprofiler/results/v1"
#: Every schema a reader accepts.
READABLE_SCHEMAS = (SCHEMA_V1, SCHEMA)


class ImageRef(Record):
    """The image that was run."""

    #: Its local tag (``cprofiler/web:3f2a…``).
    tag: str
    #: Content-addressed image id (``sha256:…``).
    id: str


class StandInUse(Record):
    """Which stand-in bases replaced the real ones an image names (``cprofiler bases list``)."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    #: The real base images replaced, comma-separated (``python:3.12-alpine``).
    replaced: str = Field(alias="for")
    #: The recipes used instead, comma-separated (``musl-python``).
    recipe: str
    #: The versions inside the stand-ins (``musl 1.2.3, busybox 1.35.0, CPython 3.11.2``).
    detail: str = ""


class ImageResult(Record):
    """Everything measured for one scenario image (or for the runtime floor)."""

    #: Scenario image name.
    name: str
    #: The image that was run.
    image: ImageRef
    #: Uncompressed image size as the engine reports it, in bytes.
    image_size_bytes: Size
    #: Number of filesystem layers.
    layers: Size
    #: The probe used, as in the scenario file (``{"http": {"port": 8080, "path": "/healthz"}}``).
    ready: ReadySpec
    #: Memory limit given to the engine, in bytes; null when none.
    memory_limit_bytes: Size | None = None
    #: CPU limit given to the engine, in cores; null when none.
    cpus: Cores | None = None
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

    @model_validator(mode="after")
    def _one_record_per_run(self) -> ImageResult:
        first: set[int] = set()
        for run in self.runs:
            if run.index in first:
                raise ValueError(f"run {run.index} is listed twice; expected one record per run")
            first.add(run.index)
        return self

    @property
    def kind(self) -> str:
        """``exit`` for a batch job (an exit probe), ``serve`` for a service."""
        return "exit" if self.ready.kind == "exit" else "serve"

    @property
    def label(self) -> str:
        """The name as tables show it, with the stand-in recipe when one was used."""
        return f"{self.name} (stand-in: {self.stand_in.recipe})" if self.stand_in else self.name

    def ok_runs(self) -> list[RunResult]:
        return [r for r in self.runs if r.status == RunStatus.OK]

    def values(self, field: str) -> list[float]:
        """``field`` of every ok run that has it, in run order."""
        out = []
        for r in self.runs:
            value = getattr(r, field)
            if r.status == RunStatus.OK and value is not None:
                out.append(value)
        return out

    def status_counts(self) -> dict[str, int]:
        """Runs per status, every status listed; ``skipped`` only when a run was (it is newer than
        the files that list the others, and most measurements skip nothing)."""
        counts: dict[str, int] = {s: sum(r.status == s for r in self.runs) for s in STATUSES}
        if not counts[RunStatus.SKIPPED]:
            del counts[RunStatus.SKIPPED]
        return counts

    @field_serializer("ready")
    def _ready_json(self, ready: ReadySpec) -> dict[str, Any]:
        return ready.model_dump(mode="json", exclude_none=True)

    @field_serializer("budgets")
    def _budgets_json(self, budgets: Budgets | None) -> dict[str, float] | None:
        return budgets.set() if budgets is not None else None

    @model_serializer(mode="wrap")
    def _omit_absent(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A row's scenario name is written only where it differs from the row's, and a load phase
        # only where there is one: files without them read the same.
        data: dict[str, Any] = handler(self)
        if data.get("scenario_image") in (None, self.name):
            data.pop("scenario_image", None)
        if "load" in data and data["load"] is None:
            del data["load"]
        return data

    def header_json(self) -> dict[str, Any]:
        """The image's entry without runs and derived figures: what a run log's header holds."""
        return self.model_dump(mode="json", exclude=HEADER_EXCLUDES)


#: What an image's entry in a run log's header leaves out: its runs and load steps (each is a
#: record of its own).
HEADER_EXCLUDES: dict[str, Any] = {"runs": True, "load": {"steps"}}


class Environment(Record):
    """Facts of the engine and the machine a measurement ran on (all optional: older files lack some)."""

    model_config = ConfigDict(extra="allow")

    #: Where the runs ran: docker (null in older files) or kubernetes; with kubernetes the engine
    #: facts below are the node's, and ``kubernetes_version``, ``kubelet_version``, ``node_name``,
    #: ``node_capacity_*``, ``namespace`` and ``context`` say which cluster.
    backend: BackendNameField | None = None
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
    engine_cpus: Size | None = None
    #: Memory the engine sees, in bytes.
    engine_memory_bytes: Size | None = None
    #: This machine's CPU model.
    cpu_model: str | None = None
    #: This machine's CPU count.
    cpu_count: Size | None = None
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

    @model_serializer(mode="wrap")
    def _only_known(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A fact is written only where it was known (measured, or read from the file): older files
        # stay as they were.
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if k in self.model_fields_set or k in (self.model_extra or {})}

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class Measurement(Record):
    """A whole ``cprofiler measure`` invocation."""

    # In the order the results file lists them.
    schema_: str = Field(default=SCHEMA, alias="schema")
    #: The cprofiler version that wrote the file.
    cprofiler_version: str = __version__
    started_at: str | None = None
    finished_at: str | None = None
    #: Set when the measurement stopped early: why.
    interrupted: str | None = None
    environment: Environment = Field(default_factory=Environment)
    settings: RunSettings
    images: list[ImageResult] = Field(default_factory=list)
    #: The runtime floor (an empty static binary), measured like the images; None with ``--no-floor``.
    floor: ImageResult | None = None
    #: The load generator against a trivial server, once per invocation; null without a load phase.
    ceiling: Ceiling | None = None

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    @field_serializer("schema_")
    def _written_schema(self, _schema: str) -> str:
        # A v1 file is upgraded as it is read (upgrade_v1_run): what is written is v2.
        return SCHEMA

    @model_serializer(mode="wrap")
    def _omit_absent(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if "ceiling" in data and data["ceiling"] is None:
            del data["ceiling"]
        return data

    def entries(self) -> list[ImageResult]:
        """The scenario's images, then the floor when there is one: everything that has runs."""
        return [*self.images, *([self.floor] if self.floor is not None else [])]

    def by_name(self) -> dict[str, ImageResult]:
        return {e.name: e for e in self.entries()}

    def header_json(self) -> dict[str, Any]:
        """Everything but the runs and derived figures: the first record of a run log."""
        return self.model_dump(
            mode="json",
            exclude={
                "finished_at": True,
                "interrupted": True,
                "ceiling": True,
                "images": {"__all__": HEADER_EXCLUDES},
                "floor": HEADER_EXCLUDES,
            },
        )

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
