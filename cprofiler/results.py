"""The result model: one record per run, one per image, one per measurement.

JSON is the stable contract (``schema: cprofiler/results/v1``); tables, CSV and Kubernetes output
all read it. Every field name carries its unit (``_ms`` milliseconds, ``_bytes`` bytes,
``_cores`` CPU cores) and every time is taken from one monotonic clock (``time.monotonic_ns``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cprofiler import stats

SCHEMA = "cprofiler/results/v1"

#: Run fields that are summarised per image (min, median, mean, p95, max, stdev, ci95).
NUMERIC_FIELDS = (
    "fetch_ms",
    "create_ms",
    "start_ms",
    "ready_ms",
    "app_ready_ms",
    "probe_lag_ms",
    "working_set_bytes",
    "rss_bytes",
    "peak_bytes",
    "pss_bytes",
    "settle_cpu_cores",
)

STATUSES = ("ok", "timeout", "crashed", "oomkilled", "error")


@dataclass
class RunResult:
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
    #: Anonymous plus mapped-file memory after settle, in bytes.
    rss_bytes: int | None = None
    #: Highest memory usage the cgroup recorded during the run, in bytes (null: see ``notes``).
    peak_bytes: int | None = None
    #: Proportional set size summed over the container's processes after settle, in bytes.
    pss_bytes: int | None = None
    #: Container CPU time over the settle window divided by its length, in cores.
    settle_cpu_cores: float | None = None
    #: Where memory was read: cgroup-v1, cgroup-v2 or engine-stats.
    memory_source: str | None = None
    #: Why a figure is missing or how it was obtained, one short sentence each.
    notes: list[str] = field(default_factory=list)
    #: What went wrong, for status other than ok.
    error: str | None = None
    #: Last lines the container wrote (kept for crashed, timeout and oomkilled runs).
    log_tail: list[str] = field(default_factory=list)
    #: Probe transport: netns (probed inside the container's network namespace) or published-port.
    probe_via: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunResult:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class ImageResult:
    """Everything measured for one scenario image."""

    #: Scenario image name.
    name: str
    #: ``{"tag": …, "id": "sha256:…"}`` of the image that was run.
    image: dict[str, str]
    #: Uncompressed image size as the engine reports it, in bytes.
    image_size_bytes: int
    #: Number of filesystem layers.
    layers: int
    #: The probe used, as in the scenario file (``{"http": {"port": 8080, "path": "/healthz"}}``).
    ready: dict[str, Any]
    #: Memory limit given to the engine, in bytes; null when none.
    memory_limit_bytes: int | None = None
    #: CPU limit given to the engine, in cores; null when none.
    cpus: float | None = None
    #: Set when a stand-in base replaced the real one: ``{"for", "recipe", "detail"}``.
    stand_in: dict[str, str] | None = None
    runs: list[RunResult] = field(default_factory=list)

    def ok_runs(self) -> list[RunResult]:
        return [r for r in self.runs if r.status == "ok"]

    def summary(self) -> dict[str, Any]:
        """Statistics of each numeric field over ok runs, plus a count of runs by status."""
        ok = self.ok_runs()
        out: dict[str, Any] = {"status_counts": {s: sum(r.status == s for r in self.runs) for s in STATUSES}}
        for name in NUMERIC_FIELDS:
            s = stats.summarize([getattr(r, name) for r in ok])
            out[name] = s.to_dict() if s is not None else None
        return out

    def warnings(self) -> list[str]:
        """What a reader should do about this image's numbers: outliers in ``ready_ms``, in run order."""
        warning = stats.outlier_warning([r.ready_ms if r.status == "ok" else None for r in self.runs])
        return [f"ready_ms: {warning}"] if warning else []

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "image": self.image,
            "image_size_bytes": self.image_size_bytes,
            "layers": self.layers,
            "ready": self.ready,
            "memory_limit_bytes": self.memory_limit_bytes,
            "cpus": self.cpus,
            "stand_in": self.stand_in,
            "runs": [r.to_json() for r in self.runs],
            "summary": self.summary(),
            "warnings": self.warnings(),
        }


@dataclass
class Measurement:
    """A whole ``cprofiler measure`` invocation."""

    environment: dict[str, Any]
    settings: dict[str, Any]
    started_at: str
    images: list[ImageResult]
    #: The runtime floor (an empty static binary that exits at once), measured like the images;
    #: None with ``--no-floor``.
    floor: ImageResult | None = None
    finished_at: str | None = None
    #: Set when the measurement stopped early: why.
    interrupted: str | None = None

    def to_json(self) -> dict[str, Any]:
        from cprofiler import __version__

        return {
            "schema": SCHEMA,
            "cprofiler_version": __version__,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "interrupted": self.interrupted,
            "environment": self.environment,
            "settings": self.settings,
            "images": [i.to_json() for i in self.images],
            "floor": self.floor.to_json() if self.floor is not None else None,
        }


def jsonl_path(output: Path) -> Path:
    """The JSON Lines file kept beside ``output`` (``r.json`` → ``r.jsonl``)."""
    return output.with_suffix(".jsonl") if output.suffix != ".jsonl" else output


class RunLog:
    """Append-only JSON Lines file: every finished run is written (and flushed) as soon as it ends.

    We write each run at once because a crash, Ctrl-C or SIGTERM later on must not lose it.
    """

    def __init__(self, path: Path, header: dict[str, Any], kind: str = "header") -> None:
        """Open ``path`` for appending and write ``header`` as its first record, of type ``kind``
        (``resume`` when a resumed measurement appends to the file of the one it continues)."""
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = path.open("a", encoding="utf-8")
        self.write({"type": kind, **header})

    def write(self, record: dict[str, Any]) -> None:
        self._fh.write(json.dumps(record, sort_keys=True) + "\n")
        self._fh.flush()

    def run(self, run: RunResult) -> None:
        self.write({"type": "run", **run.to_json()})

    def close(self) -> None:
        self._fh.close()


def load(path: Path) -> dict[str, Any]:
    """Read a results JSON, or rebuild one from a JSON Lines file of an interrupted measurement.

    Raises UsageError (exit 2) naming the file when it is missing or not a cprofiler results file.
    """
    from cprofiler.errors import UsageError

    if path.suffix == ".jsonl":
        return _from_lines(read_run_log(path, where=str(path)))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot be read as a results file ({exc})") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise UsageError(f"{path}: schema: expected {SCHEMA!r}; is this a cprofiler results file?")
    return data


@dataclass
class RunLogContents:
    """What a JSON Lines file of runs holds (see ``RunLog``)."""

    path: Path
    #: The first header record (without its ``type``).
    header: dict[str, Any]
    #: Run records in file order (without ``type``), across every resume.
    runs: list[dict[str, Any]]
    #: The last ``end`` record, or None when the measurement never ended.
    end: dict[str, Any] | None
    #: Length of the file up to its last whole line, in bytes: a process killed while writing
    #: leaves a torn last line, which a resume cuts off before appending.
    whole_bytes: int


def read_run_log(path: Path, *, where: str) -> RunLogContents:
    """Parse a JSON Lines file of runs; UsageError naming ``where`` (or file:line) if it is not one.

    The one reader of these files: ``cprofiler report``/``k8s`` rebuild results from it and
    ``--resume`` continues from it.
    """
    from cprofiler.errors import UsageError

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{where}: no such file; expected the .jsonl of a cprofiler measurement") from None
    except OSError as exc:
        raise UsageError(f"{where}: cannot be read ({exc.strerror or exc})") from exc
    header: dict[str, Any] | None = None
    runs: list[dict[str, Any]] = []
    end: dict[str, Any] | None = None
    whole = 0
    lines = raw.split(b"\n")
    # Every line but the last ends with a newline; the last is empty when the file ends with one,
    # and otherwise is torn (the process died while writing it): it is left out.
    for n, line in enumerate(lines[:-1], 1):
        whole += len(line) + 1
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise UsageError(f"{path}:{n}: not valid JSON; expected the .jsonl of a cprofiler measurement") from None
        if not isinstance(record, dict):
            raise UsageError(f"{path}:{n}: expected a JSON object per line (a cprofiler .jsonl)")
        kind = record.pop("type", None)
        if header is None and (kind != "header" or record.get("schema") != SCHEMA):
            raise UsageError(f"{path}:{n}: expected a cprofiler header line with schema {SCHEMA!r} first")
        if kind == "header" and header is None:
            header = record
        elif kind == "run":
            runs.append(record)
        elif kind == "end":
            end = record
    if header is None:
        raise UsageError(f"{where}: no header line; expected the .jsonl of a cprofiler measurement")
    return RunLogContents(path=path, header=header, runs=runs, end=end, whole_bytes=whole)


def _from_lines(contents: RunLogContents) -> dict[str, Any]:
    header = dict(contents.header)
    runs, end = contents.runs, contents.end
    header["images"] = [_rebuild_image(img, runs) for img in header.get("images", [])]
    if header.get("floor") is not None:
        header["floor"] = _rebuild_image(header["floor"], runs)
    header.pop("invocation", None)
    header["finished_at"] = end.get("finished_at") if end else None
    header["interrupted"] = end.get("interrupted") if end else "the measurement did not finish (no end record)"
    return header


def _rebuild_image(img: dict[str, Any], runs: list[dict[str, Any]]) -> dict[str, Any]:
    """An image's (or the floor's) entry from the header, with its runs and fresh statistics."""
    result = ImageResult(
        name=img["name"],
        image=img["image"],
        image_size_bytes=img["image_size_bytes"],
        layers=img["layers"],
        ready=img["ready"],
        memory_limit_bytes=img.get("memory_limit_bytes"),
        cpus=img.get("cpus"),
        stand_in=img.get("stand_in"),
        runs=[RunResult.from_json(r) for r in runs if r.get("image") == img["name"]],
    )
    return result.to_json()
