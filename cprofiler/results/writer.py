"""The results file as written: the model's own fields (``model_dump``), then what is derived.

Each image entry is its measured fields and runs, then ``summary`` and ``warnings``
(:mod:`cprofiler.results.derive`), its ``load`` phase with the load ``summary`` (and
``max_rate_within_slo`` when the phase has an SLO), and ``budget_checks`` (:mod:`cprofiler.budgets`).
A reader ignores the derived keys and computes them again from the runs.
"""

from __future__ import annotations

from typing import Any

from cprofiler import budgets
from cprofiler.results import derive
from cprofiler.results.model import ImageResult, Measurement


def image_json(image: ImageResult) -> dict[str, Any]:
    """One image entry of a results file, derived figures included."""
    data = image.model_dump(mode="json")
    load = data.pop("load", None)
    data["summary"] = derive.summary(image)
    data["warnings"] = derive.warnings(image)
    if image.load is not None:
        data["load"] = {**load, "summary": derive.load_summary(image.load).model_dump(mode="json")}
        if image.load.slo_p99_ms:
            data["max_rate_within_slo"] = derive.max_rate_within_slo(image.load)
    data["budget_checks"] = [b.to_json() for b in budgets.evaluate(image)]
    return data


def results_json(m: Measurement) -> dict[str, Any]:
    """The whole results document of ``m`` (``cprofiler/results/v2``)."""
    # Entries without their runs first: each is then replaced, in its place, by its full entry.
    data = m.model_dump(mode="json", exclude={"images": {"__all__": {"runs"}}, "floor": {"runs"}})
    data["images"] = [image_json(i) for i in m.images]
    data["floor"] = image_json(m.floor) if m.floor is not None else None
    return data
