"""``cprofiler measure SCENARIO --resume RESULTS.jsonl``: go on with an interrupted measurement.

The JSON Lines file holds a header (scenario file, image ids, settings, machine) and one record per
finished run. Resuming takes every setting from the header, builds the scenario's images again
(normally found by their input hash, not rebuilt) and refuses to go on when the scenario file, an
image id, a setting or the machine differs: runs measured on other images or another machine would
not compare. It then appends the runs still missing to the same file, after a ``resume`` record, in
the order the first invocation would have run them. Finished runs are never repeated; warmup runs
are done again (they are not recorded, and the machine has cooled down meanwhile).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cprofiler.errors import UsageError
from cprofiler.results import Measurement, RunLog, RunResult, read_run_log
from cprofiler.schema import LoadedScenario

#: Settings that name the invocation rather than the measurement; they may differ when resuming.
_PER_INVOCATION = ("invocation",)
#: Facts of the machine that must be equal for runs to compare (where both files record them).
_MACHINE = ("engine_version", "kernel", "cpu_model", "cpu_count")
#: Settings every header has, and MeasureConfig needs.
_REQUIRED = ("scenario_file", "runs", "warmup", "settle_s", "timeout_s")


@dataclass
class Recorded:
    """What an interrupted measurement's JSON Lines file says."""

    path: Path
    #: The header record (without its ``type``).
    header: dict[str, Any]
    #: Run records in file order (without ``type``), across every earlier resume.
    runs: list[dict[str, Any]] = field(default_factory=list)
    #: Length of the file up to its last whole line, in bytes: a process killed while writing
    #: leaves a torn last line, which is cut off before anything is appended.
    whole_bytes: int = 0

    @property
    def settings(self) -> dict[str, Any]:
        return dict(self.header["settings"])

    def image_names(self) -> list[str]:
        """The scenario images that were measured (the floor is not a scenario image)."""
        return [img["name"] for img in self.header["images"]]

    def _fail(self, text: str) -> UsageError:
        return UsageError(f"--resume {self.path}: {text}")

    def check_scenario(self, loaded: LoadedScenario) -> None:
        """The file must come from this very scenario file (compared as absolute paths)."""
        recorded = Path(self.settings["scenario_file"])
        if recorded != loaded.path:
            raise self._fail(f"it was measured from {recorded}; expected that scenario file, not {loaded.path}")

    def done(self) -> dict[str, int]:
        """Finished runs per image name (the floor's included)."""
        return dict(Counter(str(r.get("image")) for r in self.runs))

    def adopt(self, measurement: Measurement) -> None:
        """Check that ``measurement`` (freshly built) continues this one, then take over its
        start, settings, machine facts and finished runs."""
        entries = list(self.header["images"]) + ([self.header["floor"]] if self.header.get("floor") else [])
        results = list(measurement.images)
        if measurement.floor is not None:
            results.append(measurement.floor)
        now = {r.name: r for r in results}
        for entry in entries:
            name, was = entry["name"], entry["image"]["id"]
            if name not in now:
                raise self._fail(f"image {name!r} was measured but is not being measured now; expected the same images")
            is_ = now[name].image["id"]
            if is_ != was:
                raise self._fail(
                    f"image {name!r} is now {is_[:19]}, but its runs so far are of {was[:19]}; its Dockerfile or "
                    "context changed, so start a new measurement"
                )
        extra = sorted(set(now) - {e["name"] for e in entries})
        if extra:
            raise self._fail(f"image {extra[0]!r} was not in the interrupted measurement; expected the same images")
        for key, was in self.settings.items():
            if key in _PER_INVOCATION or key not in measurement.settings:
                continue
            if measurement.settings[key] != was:
                raise self._fail(f"setting {key} was {was!r}, now {measurement.settings[key]!r}; expected the same")
        env = self.header.get("environment") or {}
        for key in _MACHINE:
            before, after = env.get(key), measurement.environment.get(key)
            if before is not None and after is not None and before != after:
                raise self._fail(f"{key} was {before!r}, now {after!r}; resume on the machine and engine it started on")
        measurement.environment = env
        measurement.settings = self.settings
        measurement.started_at = self.header.get("started_at", measurement.started_at)
        for record in self.runs:
            target = now.get(str(record.get("image")))
            if target is None:
                raise self._fail(f"a run of {record.get('image')!r}, an image its header does not list")
            target.runs.append(RunResult.from_json(record))

    def open_log(self, invocation: str, started_at: str) -> RunLog:
        """Append to the same file: cut a torn last line, then a ``resume`` record."""
        if self.path.stat().st_size > self.whole_bytes:
            os.truncate(self.path, self.whole_bytes)
        return RunLog(
            self.path, {"invocation": invocation, "started_at": started_at, "runs_before": len(self.runs)}, kind="resume"
        )


def read(path: Path) -> Recorded:
    """Read the JSON Lines file of an interrupted measurement; UsageError (exit 2) if it is not one."""
    path = Path(path)
    contents = read_run_log(path, where=f"--resume {path}")
    header = contents.header
    settings = header.get("settings")
    images = header.get("images")
    missing = [k for k in _REQUIRED if not isinstance(settings, dict) or k not in settings]
    if missing or not isinstance(images, list) or not all(_image_entry(i) for i in images):
        what = f"settings.{missing[0]}" if missing else "images"
        raise UsageError(f"{path}:1: header has no usable {what}; expected a header written by cprofiler measure")
    if header.get("floor") is not None and not _image_entry(header["floor"]):
        raise UsageError(f"{path}:1: header has no usable floor; expected a header written by cprofiler measure")
    return Recorded(path=path, header=header, runs=contents.runs, whole_bytes=contents.whole_bytes)


def _image_entry(entry: Any) -> bool:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        return False
    image = entry.get("image")
    return isinstance(image, dict) and isinstance(image.get("id"), str)
