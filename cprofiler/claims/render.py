"""The claims table as Markdown (one table per claims table) or JSON (one object per claim)."""

from __future__ import annotations

import json
from collections.abc import Callable

from cprofiler.claims.check import Row
from cprofiler.claims.figures import Figure
from cprofiler.plugins import Registry
from cprofiler.results.intervals import notation
from cprofiler.text import markdown_cell

#: A format: the judged rows in, text out.
FORMATS: Registry[Callable[[list[Row]], str]] = Registry("claims format", flag="--format")


def number(value: float, unit: str) -> str:
    """``value`` as a reader wants it in ``unit``: whole requests/s with separators, ms to three digits."""
    if unit == "req/s":
        return f"{value:,.0f}"
    if unit == "×":
        return f"{value:.2f}×" if value < 10 else f"{value:.1f}×"
    if unit == "cores":
        return f"{value:.2f}"
    if unit == "ms":
        return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"
    return f"{value:.1f}"


def shown(f: Figure) -> str:
    unit = "" if f.unit == "×" else f" {f.unit}"
    prefix = "≥ " if f.at_least else ""
    if f.low == f.high:
        return f"{prefix}{number(f.median, f.unit)}{unit}"
    interval = notation(number(f.median, f.unit), number(f.low, f.unit), number(f.high, f.unit))
    return f"{prefix}{interval}{unit} ({f.label})"


def _cells(row: Row) -> list[str]:
    f = row.figure
    unit = f.unit if f is not None else ""
    article = "–" if row.claim.article is None else number(row.claim.article, unit) + ("" if unit in ("×", "") else f" {unit}")
    measured = "–" if f is None else shown(f)
    against = row.against_article
    why = row.verdict.why
    notes = ([", ".join(f.caveats)] if f is not None and f.caveats else []) + (
        [row.claim.note] if row.claim.note and row.claim.claims != "none" else []
    )
    return [
        row.claim.claim,
        article,
        measured,
        "–" if against is None else ("≥ " if f is not None and f.at_least else "") + f"{against:.2f}×",
        f"**{row.verdict.kind}**",
        why + ("" if not notes else " (" + "; ".join(notes) + ")"),
    ]


@FORMATS.register("markdown")
def markdown(rows: list[Row]) -> str:
    out: list[str] = []
    header = "| claim | article | measured here | here ÷ article | verdict | why |\n|---|---|---|---|---|---|"
    for title in dict.fromkeys(r.table for r in rows):
        out += [f"**{markdown_cell(title)}**", "", header]
        out += ["| " + " | ".join(markdown_cell(c) for c in _cells(r)) + " |" for r in rows if r.table == title]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


@FORMATS.register("json")
def as_json(rows: list[Row]) -> str:
    def figure(f: Figure | None) -> dict[str, object] | None:
        if f is None:
            return None
        return {
            "median": f.median,
            "low": f.low,
            "high": f.high,
            "n": f.n,
            "interval": f.label,
            "unit": f.unit,
            "at_least": f.at_least,
            "generator_bound": f.generator_bound,
            "caveats": list(f.caveats),
        }

    return (
        json.dumps(
            [
                {
                    "table": r.table,
                    "claim": r.claim.claim,
                    "article": r.claim.article,
                    "claims": r.claim.claims,
                    "tolerance": r.claim.tolerance,
                    "measured": figure(r.figure),
                    "measured_over_article": r.against_article,
                    "verdict": r.verdict.kind,
                    "why": r.verdict.why,
                }
                for r in rows
            ],
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
