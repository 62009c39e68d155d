"""A comparison as JSON (``schema: cprofiler/compare/v1``): every metric, every rule, for scripts."""

from __future__ import annotations

import json

from cprofiler.compare.registry import FORMATS
from cprofiler.compare.verdict import Comparison


@FORMATS.register("json")
def render_json(c: Comparison) -> str:
    return json.dumps(c.to_json(), indent=2) + "\n"
