"""Every field of every results model survives the results file and the run log.

Each model is built with every field set to a value other than its default, the fields found
through ``model_fields``: a field added to a model is covered here without editing this file, and
a field the writer or the reader forgets fails it.
"""

from __future__ import annotations

import enum
import json
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from cprofiler import report
from cprofiler.results import runlog
from cprofiler.results.load import Ceiling, LatencyMs, LoadResult, LoadStep
from cprofiler.results.model import Environment, ImageRef, ImageResult, Measurement, RunResult, StandInUse
from cprofiler.scenario.model import ReadySpec
from cprofiler.settings import RunSettings

#: Fields whose value is not free to choose, with the value each gets.
FIXED: dict[tuple[type[BaseModel], str], Any] = {
    # A run belongs to the image it is listed under, by name and an index of its own.
    (RunResult, "image"): "web",
    # Written as the schema this version writes, whatever was read: v1 files are upgraded.
    (Measurement, "schema_"): "cprofiler/results/v2",
    (ImageResult, "name"): "web",
    (ImageResult, "ready"): ReadySpec.model_validate({"http": {"port": 8081, "path": "/ready"}}),
    (ImageResult, "scenario_image"): "web-scenario",
    (Measurement, "settings"): RunSettings(scenario_file="/s.yaml", runs=2, warmup=1, settle_s=1.0, timeout_s=30, cold="warm"),
}

_counter = iter(range(1, 1 << 30))


def value_for(owner: type[BaseModel], name: str, annotation: Any) -> Any:
    """A value of ``annotation`` that is not the default of field ``name`` of ``owner``."""
    if (owner, name) in FIXED:
        return FIXED[(owner, name)]
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return value_for(owner, name, next(a for a in args if a is not type(None)))
    if origin is typing.Annotated:
        if args[0] is float and any(getattr(m, "le", None) == 1 for f in args[1:] for m in [f, *getattr(f, "metadata", [])]):
            return 1 / (next(_counter) + 1)  # a share, from 0 to 1
        return value_for(owner, name, args[0])
    if origin is typing.Literal:
        default = owner.model_fields[name].default
        return next(a for a in reversed(args) if a != default)
    if origin is list:
        return [value_for(owner, name, args[0]), value_for(owner, name, args[0])]
    if origin is dict:
        return {"server": value_for(owner, name, args[1])}
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        default = owner.model_fields[name].default
        return next(m for m in reversed(list(annotation)) if m != default)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return full(annotation)
    n = next(_counter)
    if annotation is bool:
        return not owner.model_fields[name].default
    if annotation is int:
        return n
    if annotation is float:
        return n + 0.25
    if annotation is str:
        return f"{name}-{n}"
    raise AssertionError(f"{owner.__name__}.{name}: no value for {annotation!r}; teach value_for this type")


def full(model: type[BaseModel]) -> Any:
    """``model`` with every field set to a value other than its default."""
    hints = typing.get_type_hints(model, include_extras=True)
    values = {name: value_for(model, name, hints[name]) for name in model.model_fields}
    if model is ImageResult:
        values["runs"] = [full(RunResult).model_copy(update={"index": i}) for i in range(3)]
    if model is LoadResult:
        values["steps"] = [full(LoadStep).model_copy(update={"repeat": i}) for i in range(2)]
    made = model.model_validate(values, by_name=True)
    for name, field in model.model_fields.items():
        default = field.get_default(call_default_factory=True)
        assert (model, name) in FIXED or getattr(made, name) != default, f"{model.__name__}.{name} left at its default"
    return made


#: Every model a results file is made of.
MODELS = (RunResult, ImageRef, StandInUse, ImageResult, Environment, Measurement, LoadResult, LoadStep, LatencyMs, Ceiling)


def everything() -> Measurement:
    m = full(Measurement)
    floor_runs = [r.model_copy(update={"image": "(floor)"}) for r in m.floor.runs]
    m.floor = m.floor.model_copy(update={"name": "(floor)", "runs": floor_runs})
    m.images = m.images[:1]
    return m


def test_every_model_is_in_a_measurement_built_with_every_field_set():
    seen: set[type[BaseModel]] = set()

    def walk(value: Any) -> None:
        if isinstance(value, BaseModel):
            seen.add(type(value))
            for name in type(value).model_fields:
                walk(getattr(value, name))
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(everything())
    assert set(MODELS) <= seen


def test_every_field_survives_the_results_file(tmp_path: Path) -> None:
    m = everything()
    path = tmp_path / "r.json"
    path.write_text(report.render(m, "json"))
    assert runlog.load(path) == m


def test_every_field_survives_the_run_log(tmp_path: Path) -> None:
    m = everything()
    path = tmp_path / "r.jsonl"
    log = runlog.RunLog(path, {"invocation": "test", **m.header_json()}, measurement=m.settings.invocation)
    for entry in m.entries():
        for run in entry.runs:
            log.run(run)
        assert entry.load is not None
        for step in entry.load.steps:
            log.load_step(entry.name, step)
    assert m.ceiling is not None
    log.ceiling(m.ceiling)
    log.end(m.finished_at, m.interrupted)
    log.close()
    assert runlog.load(path) == m


def test_the_results_file_names_every_field(tmp_path: Path) -> None:
    """Each model's fields are keys of its JSON object (the schema_ field as ``schema``)."""
    data = json.loads(report.render(everything(), "json"))
    image, run, load = data["images"][0], data["images"][0]["runs"][0], data["images"][0]["load"]
    for model, written in ((Measurement, data), (ImageResult, image), (RunResult, run), (LoadResult, load)):
        names = {(f.alias or n) for n, f in model.model_fields.items()}
        assert names <= set(written), f"{model.__name__}: {sorted(names - set(written))} not written"
