"""Scenario writing and running helpers for the engine tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from cprofiler.measure.runner import Runner
from cprofiler.results.model import Measurement
from cprofiler.scenario.reader import load as load_scenario


def write_scenario(tmp_path: Path, context: Path, images: dict[str, dict[str, Any]], **settings: Any) -> Path:
    """Write a scenario whose images all use the testapp context, with per-image env and probe."""
    doc: dict[str, Any] = {"runs": 1, "warmup": 0, "settle": 0.5, "timeout": 20, **settings, "images": {}}
    for name, img in images.items():
        doc["images"][name] = {"dockerfile": str(context / "Dockerfile"), "context": str(context), **img}
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def runner(engine: Any, path: Path, **overrides: Any) -> Runner:
    """A Runner for the scenario at ``path``; ``overrides`` are RunSettings fields (``runs=2``) or
    ``Runner.for_scenario``'s keywords (``output``, ``cold``, ``floor``, ``shuffle``)."""
    overrides.setdefault("output", path.parent / "r.json")
    # The floor adds a run per round; tests about other things leave it out (pass floor=True).
    overrides.setdefault("floor", False)
    return Runner.for_scenario(engine, load_scenario(path), **overrides)


def measure(engine: Any, path: Path, **overrides: Any) -> Measurement:
    return runner(engine, path, **overrides).measure()


def by_name(m: Measurement) -> dict[str, Any]:
    return {i.name: i for i in m.images}


def typed(data: dict[str, Any]) -> Measurement:
    """A results document as the typed model every format and reader gets."""
    return Measurement.from_json(data, where="test results")
