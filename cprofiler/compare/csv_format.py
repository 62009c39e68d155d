"""A comparison as CSV: one row per image and metric, every metric both files have, raw numbers."""

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
        for m in image.metrics:
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
                    " ".join(broken.get((image.name, m.metric), [])),
                ]
            )
    return tables.csv(Table(HEADER, lines))
