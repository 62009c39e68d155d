"""A comparison as CSV: one row per image and metric (and load figure per rate), every metric both
files have, raw numbers, each row with its p-values and the number of cells Holm's correction ran over."""

from __future__ import annotations

from typing import Any

from cprofiler import tables
from cprofiler.compare.registry import FORMATS
from cprofiler.compare.verdict import Comparison
from cprofiler.tables import Table

HEADER = [
    "image",
    "metric",
    "before_median",
    "after_median",
    "n_before",
    "n_after",
    "change_pct",
    "change_pct_low",
    "change_pct_high",
    "verdict",
    "broken_rules",
    "step",
    "change_pp",
    "p_value",
    "p_holm",
    "cells_tested",
]


def _num(v: float | None, digits: int = 3) -> str | float:
    return "" if v is None else round(v, digits)


@FORMATS.register("csv")
def render_csv(c: Comparison) -> str:
    lines: list[list[Any]] = []
    broken: dict[tuple[str, str], list[str]] = {}
    for r in c.rules:
        for name, _ in r.broken:
            broken.setdefault((name, r.rule.metric), []).append(r.rule.text)
    for image in c.images:
        for m in (*image.metrics, *image.load):
            pct = m.change_pct
            lines.append(
                [
                    image.name,
                    m.metric,
                    _num(m.before),
                    _num(m.after),
                    m.n_before,
                    m.n_after,
                    _num(pct.value if pct else None, 2),
                    _num(pct.low if pct else None, 2),
                    _num(pct.high if pct else None, 2),
                    m.verdict,
                    " ".join(broken.get((image.name, m.metric), [])) if m.step is None else "",
                    m.step or "",
                    _num(m.difference_pp.value if m.difference_pp else None, 3),
                    _num(m.p_value, 6),
                    _num(m.p_adjusted, 6),
                    c.cells_tested,
                ]
            )
    return tables.csv(Table(HEADER, lines))
