"""``cprofiler measure SCENARIO --resume RESULTS.jsonl``: go on with an interrupted measurement.

The JSON Lines file holds a header (scenario file, image ids, settings, machine) and one record per
finished run. Resuming takes every setting from the header, builds the scenario's images again
(normally found by their input hash, not rebuilt) and refuses to go on when the scenario file, an
image id, a setting or the machine differs: runs measured on other images or another machine would not
compare. It then appends the runs still missing to the same file, after a ``resume`` record, in
the order the first invocation would have run them. Finished runs are never repeated; warmup runs
are done again (they are not recorded, and the machine has cooled down meanwhile).

The file is locked (``flock``) from the moment it is read until the resumed measurement ends, so
a resume of a measurement that is still running, or two resumes at once, are refused; and the
whole file is validated before anything is appended: a refusal changes nothing.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from cprofiler.errors import UsageError
from cprofiler.results import files, writer
from cprofiler.results.load import Ceiling, LoadResult, LoadStep
from cprofiler.results.model import SCHEMA, Environment, ImageResult, Measurement, RunResult
from cprofiler.results.runlog import RunLog, read_run_log
from cprofiler.scenario.model import LoadedScenario
from cprofiler.settings import RunSettings

#: Facts of the machine that must be equal for runs to compare (where both files record them).
_MACHINE = ("engine_version", "kernel", "cpu_model", "cpu_count")


@dataclass
class Recorded:
    """What an interrupted measurement's JSON Lines file says."""

    path: Path
    #: The measurement as its header describes it (images and floor without runs).
    header: Measurement
    #: Finished runs in file order, across every earlier resume.
    runs: list[RunResult]
    #: Load steps in file order: ``(row name, step)``.
    load_steps: list[tuple[str, LoadStep]] = field(default_factory=list)
    #: The load generator's ceiling, when it was measured.
    ceiling: Ceiling | None = None
    #: Each image's ceiling with its own request shape, by row name.
    image_ceilings: dict[str, Ceiling] = field(default_factory=dict)
    #: Length of the file up to its last whole line, in bytes: a process killed while writing
    #: leaves a torn last line, which is cut off before anything is appended.
    whole_bytes: int = 0
    #: The file's descriptor, holding its exclusive lock until the resumed measurement ends.
    fd: int | None = None

    @property
    def settings(self) -> RunSettings:
        return self.header.settings

    def image_names(self) -> list[str]:
        """The scenario images that were measured (the floor is not a scenario image)."""
        return [img.name for img in self.header.images]

    def load_done(self) -> set[tuple[str, float | None, int]]:
        """The load steps already measured, as ``(row, rate, repeat)``."""
        return {(name, step.rate, step.repeat) for name, step in self.load_steps}

    def _fail(self, text: str) -> UsageError:
        return UsageError(f"--resume {self.path}: {text}")

    def check_scenario(self, loaded: LoadedScenario) -> None:
        """The file must come from this very scenario file (compared as absolute paths), unedited."""
        recorded = Path(self.settings.scenario_file)
        if recorded != loaded.path:
            raise self._fail(f"it was measured from {recorded}; expected that scenario file, not {loaded.path}")
        was = self.settings.scenario_sha256
        if was is not None and was != loaded.sha256:
            raise self._fail(
                f"{loaded.path} was edited since the measurement began (sha256 {was[:12]}…, now {loaded.sha256[:12]}…); "
                "runs of an edited scenario would not compare, so start a new measurement"
            )

    def done(self) -> dict[str, int]:
        """Finished runs per image name (the floor's included)."""
        return dict(Counter(r.image for r in self.runs))

    def adopt(self, measurement: Measurement) -> None:
        """Check that ``measurement`` (freshly built) continues this one, then take over its
        start, settings, machine facts and finished runs."""
        now = measurement.by_name()
        self._check_images(now)
        self._check_settings(measurement.settings)
        self._check_machine(measurement.environment)
        loaded = {name: r.load for name, r in now.items() if r.load is not None}
        self._check_records(now, loaded)
        measurement.environment = self.header.environment
        measurement.settings = self.settings
        measurement.started_at = self.header.started_at
        for record in self.runs:
            now[record.image].runs.append(record)
        for name, step in self.load_steps:
            loaded[name].steps.append(step)
        measurement.ceiling = self.ceiling
        for name, ceiling in self.image_ceilings.items():
            if name in loaded:
                loaded[name].ceiling = ceiling

    def _check_images(self, now: dict[str, ImageResult]) -> None:
        """The same images, of the same ids."""
        recorded = self.header.entries()
        for entry in recorded:
            if entry.name not in now:
                raise self._fail(f"image {entry.name!r} was measured but is not being measured now; expected the same images")
            was, is_ = entry.image.id, now[entry.name].image.id
            if is_ != was:
                raise self._fail(
                    f"image {entry.name!r} is now {is_[:19]}, but its runs so far are of {was[:19]}; its Dockerfile or "
                    "context changed, so start a new measurement"
                )
        extra = sorted(set(now) - {e.name for e in recorded})
        if extra:
            raise self._fail(f"image {extra[0]!r} was not in the interrupted measurement; expected the same images")

    def _check_settings(self, settings: RunSettings) -> None:
        """Every setting both record, but the invocation, equal."""
        now_set = settings.to_json()
        for key, was in self.settings.to_json().items():
            now_value = now_set.get(key)
            if key != "invocation" and was is not None and now_value is not None and now_value != was:
                raise self._fail(f"setting {key} was {was!r}, now {now_value!r}; expected the same")

    def _check_machine(self, after: Environment) -> None:
        """The same machine and engine, where both record a fact."""
        before = self.header.environment
        for key in _MACHINE:
            was_, is_now = getattr(before, key), getattr(after, key)
            if was_ is not None and is_now is not None and was_ != is_now:
                raise self._fail(f"{key} was {was_!r}, now {is_now!r}; resume on the machine and engine it started on")

    def _check_records(self, now: dict[str, ImageResult], loaded: dict[str, LoadResult]) -> None:
        """Every recorded run of an image measured now, every load step of one with a load phase."""
        for record in self.runs:
            if record.image not in now:
                raise self._fail(f"a run of {record.image!r}, an image its header does not list")
        for name, _step in self.load_steps:
            if name not in loaded:
                raise self._fail(f"a load step of {name!r}, an image without a load phase now")

    def open_log(self, invocation: str, started_at: str) -> RunLog:
        """Append to the same file: cut a torn last line, then a ``resume`` record."""
        fd = self.fd if self.fd is not None else files.open_log(self.path, create=False)
        self.fd = None  # the log owns it now, and closes it
        if os.fstat(fd).st_size > self.whole_bytes:
            os.ftruncate(fd, self.whole_bytes)
        return RunLog(
            self.path,
            {"invocation": invocation, "started_at": started_at, "runs_before": len(self.runs)},
            kind="resume",
            fd=fd,
            measurement=self.settings.invocation,
        )

    def close(self) -> None:
        """Let go of the file (and its lock) without appending: the resume was refused."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def read(path: Path) -> Recorded:
    """Lock and read the JSON Lines file of an interrupted measurement; UsageError (exit 2) if it
    is not one, or another process is writing it."""
    path = Path(path)
    where = f"--resume {path}"
    try:
        fd = files.open_log(path, create=False)
    except UsageError as exc:
        raise type(exc)(f"--resume {exc}") from None
    try:
        contents = read_run_log(path, where=where, fd=fd)
        if contents.header.schema_ != SCHEMA:
            # Its runs measured rss_bytes otherwise: appending ours would mix two meanings in one file.
            raise UsageError(
                f"--resume {path}: written with schema {contents.header.schema_!r}, which measured RSS otherwise; "
                "start a new measurement"
            )
        # Everything an appended run would be combined with must render: validate it all now.
        writer.results_json(contents.measurement())
    except BaseException:
        os.close(fd)
        raise
    return Recorded(
        path=path,
        header=contents.header,
        runs=contents.runs,
        load_steps=contents.load_steps,
        ceiling=contents.ceiling,
        image_ceilings=contents.image_ceilings,
        whole_bytes=contents.whole_bytes,
        fd=fd,
    )
