"""Scenario writing and running helpers for the engine tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from cprofiler import schema
from cprofiler.results import Measurement
from cprofiler.runner import MeasureConfig, Runner


def write_scenario(tmp_path: Path, context: Path, images: dict[str, dict[str, Any]], **settings: Any) -> Path:
    """Write a scenario whose images all use the testapp context, with per-image env and probe."""
    doc: dict[str, Any] = {"runs": 1, "warmup": 0, "settle": 0.5, "timeout": 20, **settings, "images": {}}
    for name, img in images.items():
        doc["images"][name] = {"dockerfile": str(context / "Dockerfile"), "context": str(context), **img}
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def measure(engine: Any, path: Path, **overrides: Any) -> Measurement:
    loaded = schema.load(path)
    sc = loaded.scenario
    cfg = MeasureConfig(
        scenario=loaded,
        runs=overrides.pop("runs", sc.runs),
        warmup=overrides.pop("warmup", sc.warmup),
        settle_s=overrides.pop("settle_s", sc.settle),
        timeout_s=overrides.pop("timeout_s", sc.timeout),
        output=overrides.pop("output", path.parent / "r.json"),
        # The floor adds a run per round; tests about other things leave it out (pass floor=True).
        floor=overrides.pop("floor", False),
        **overrides,
    )
    return Runner(engine, cfg).measure()


def by_name(m: Measurement) -> dict[str, Any]:
    return {i.name: i for i in m.images}
