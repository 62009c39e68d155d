"""The results JSON itself (``schema: cprofiler/results/v2``), the stable contract."""

from __future__ import annotations

import json

from cprofiler.report.registry import FORMATS
from cprofiler.results import writer
from cprofiler.results.model import Measurement


@FORMATS.register("json")
def render_json(results: Measurement) -> str:
    return json.dumps(writer.results_json(results), indent=2, sort_keys=False) + "\n"
