"""The results JSON itself (``schema: cprofiler/results/v1``), the stable contract."""

from __future__ import annotations

import json
from typing import Any

from cprofiler.report import register


@register("json")
def render_json(results: dict[str, Any]) -> str:
    return json.dumps(results, indent=2, sort_keys=False) + "\n"
