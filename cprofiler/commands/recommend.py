"""``cprofiler recommend``: rank the images of a results file on the user's criteria and choose one."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tabulate import tabulate

from cprofiler.recommend import limits as flags
from cprofiler.recommend import served
from cprofiler.recommend.criteria import CRITERIA, MEMORY_AFTER_SETTLE, MEMORY_UNDER_LOAD, Candidate, Estimate, candidates
from cprofiler.recommend.decide import NothingLeft, Recommendation, recommend
from cprofiler.results import intervals, runlog
from cprofiler.results.load import DISTURBED_SHARE


def recommend_command(
    path: Path,
    prefer: str | None,
    weights: str | None,
    limits: dict[str, str | None],
    fmt: str,
) -> int:
    """Print the ranking, the Pareto set and one recommendation for ``path``; return 0.

    ``limits`` holds the hard-limit flags as given (``{"--max-start": "500ms", …}``). Raises
    UsageError (exit 2) for a bad flag, NothingLeft (exit 1) when the limits leave no image.
    """
    wanted = flags.preferences(prefer, weights)
    bounds = flags.parse_limits(
        limits.get("--max-start"), limits.get("--max-memory"), limits.get("--max-size"), limits.get("--min-qps")
    )
    measurement = runlog.load(path)
    kept, left_out = served.split(candidates(measurement), measurement)
    if not kept and left_out:
        raise NothingLeft("no image is left to recommend: " + "; ".join(f"{e.candidate.label}: {e.reason}" for e in left_out))
    groups = by_cpus(kept)
    recs: list[tuple[float | None, Recommendation]] = []
    for cpus, group in groups.items():
        rec = recommend(group, wanted, bounds)
        first = not recs
        rec.excluded[:0] = [e for e in left_out if e.candidate.cpus == cpus or (first and e.candidate.cpus not in groups)]
        rec.notes.extend(candidate_notes(group))
        if measurement.interrupted:
            rec.notes.append(f"the measurement was interrupted ({measurement.interrupted}): some images have fewer runs")
        recs.append((cpus, rec))
    if fmt == "json":
        docs = [{"cpus": cpus, **json.loads(render_json(rec))} for cpus, rec in recs]
        sys.stdout.write(json.dumps(docs[0] if len(docs) == 1 else {"by_cpus": docs}, indent=2) + "\n")
        return 0
    texts = [render_text(rec, weights_given=wanted is not None) for _, rec in recs]
    if len(recs) > 1:
        texts = [
            f"At cpus={_cpus(cpus)}: rows of one CPU limit compared with each other only.\n\n{t}"
            for (cpus, _), t in zip(recs, texts, strict=True)
        ]
    sys.stdout.write("\n".join(texts))
    return 0


def _cpus(cpus: float | None) -> str:
    return "none (no limit)" if cpus is None else f"{cpus:g}"


def by_cpus(cands: list[Candidate]) -> dict[float | None, list[Candidate]]:
    """The candidates by CPU limit, in the order first seen: rows of one image at different ``cpus``
    are the image under different limits, not rival images, so each limit is ranked on its own."""
    out: dict[float | None, list[Candidate]] = {}
    for x in cands:
        out.setdefault(x.cpus, []).append(x)
    return out


def candidate_notes(group: list[Candidate]) -> list[str]:
    """What the figures rest on: the memory basis, and the images whose load steps were disturbed."""
    basis = group[0].memory_basis if group else MEMORY_AFTER_SETTLE
    why = "the load phase's summary" if basis == MEMORY_UNDER_LOAD else "not every image has a load phase peak"
    notes = [f"memory is the {basis} for every image ({why})"]
    for x in group:
        if x.disturbed:
            notes.append(
                f"{x.label}: a load step was disturbed (other work took more than {DISTURBED_SHARE:.0%} of the server's or "
                "generator's CPUs), so its throughput is not the image's alone; measure again on a quiet machine"
            )
    return notes


def _figure(name: str, est: Estimate) -> str:
    """``244 ms (223…254)``: the median and, when it has one, its interval in the same unit (what
    the interval is, ``range of 3`` or ``97.8 % CI``, is said once above the table)."""
    fmt = CRITERIA[name].fmt
    text = ("≥ " if est.at_least else "") + fmt(est.median)
    if est.low == est.high:
        return text
    unit = text.rpartition(" ")[2]
    low, high = fmt(est.low), fmt(est.high)
    if low.endswith(" " + unit) and high.endswith(" " + unit):
        return intervals.notation(text, low.rpartition(" ")[0], high.rpartition(" ")[0])
    return intervals.notation(text, low, high)


def _interval_words(rec: Recommendation) -> str:
    """What the intervals in parentheses are, per criterion: ``97.8 % CI for cold start; range of 3 for throughput``."""
    per: dict[str, list[str]] = {}
    for r in rec.ranking:
        for n, e in r.candidate.values.items():
            if e.label and e.low != e.high:
                per.setdefault(e.label, []).append(CRITERIA[n].what)
    if not per:
        return "no interval"
    parts = [f"{label} for {', '.join(dict.fromkeys(whats))}" for label, whats in per.items()]
    return "interval of the median: " + "; ".join(parts) + "; a range of fewer than 6 values tells no images apart"


def render_text(rec: Recommendation, *, weights_given: bool = True) -> str:
    weights = ", ".join(f"{n} ×{w:g}" for n, w in rec.weights.items())
    how = "" if weights_given else " (the default; choose with --prefer or --weights)"
    lines = [f"Criteria: {weights}{how}. Figures: medians over ok runs, in parentheses: {_interval_words(rec)}.", ""]
    under_load = bool(rec.ranking) and rec.ranking[0].candidate.memory_basis == MEMORY_UNDER_LOAD
    whats = [MEMORY_UNDER_LOAD if n == "memory" and under_load else CRITERIA[n].what for n in rec.compared_on]
    headers = ["rank", "image", *whats, "score ×best", "Pareto set"]
    rows = [
        [str(k), r.candidate.label, *(_figure(n, r.candidate.values[n]) for n in rec.compared_on), f"{r.score:.2f}"]
        + ["yes" if r.pareto else "dominated"]
        for k, r in enumerate(rec.ranking, 1)
    ]
    lines += [tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True), ""]
    for e in rec.excluded:
        lines.append(f"Excluded: {e.candidate.label}: {e.reason}.")
    lines.append("Pareto set: " + "; ".join(r.candidate.label for r in rec.pareto) + ".")
    for r in rec.ranking:
        if r.dominated_by:
            by = "; ".join(f"{d.by} (on {', '.join(d.on)})" for d in r.dominated_by)
            lines.append(f"Dominated: {r.candidate.label}, by {by}.")
    lines += ["", f"Recommendation: {rec.choice.candidate.label}.", f"Why: {rec.reason}", f"Uncertainty: {rec.uncertainty}."]
    lines += [f"Note: {note}." for note in rec.notes]
    return "\n".join(lines) + "\n"


def render_json(rec: Recommendation) -> str:
    def figures(values: dict[str, Estimate]) -> dict[str, Any]:
        return {
            CRITERIA[n].key: {
                "median": e.median,
                "ci95": [e.low, e.high],
                "n": e.n,
                "ci_coverage": e.coverage,
                "ci_label": e.label,
                "generator_bound": e.at_least,
            }
            for n, e in values.items()
        }

    doc = {
        "weights": rec.weights,
        "limits": {CRITERIA[n].key: v for n, v in rec.limits.items()},
        "compared_on": list(rec.compared_on),
        "ranking": [
            {
                "image": r.candidate.label,
                "stand_in": r.candidate.stand_in,
                "runs_ok": r.candidate.runs_ok,
                "score": r.score,
                "pareto": r.pareto,
                "dominated_by": [{"image": d.by, "on": list(d.on)} for d in r.dominated_by],
                "figures": figures(r.candidate.values),
                "disturbed": r.candidate.disturbed,
            }
            for r in rec.ranking
        ],
        "excluded": [{"image": e.candidate.label, "reason": e.reason} for e in rec.excluded],
        "pareto": [r.candidate.label for r in rec.pareto],
        "recommendation": {
            "image": rec.choice.candidate.label,
            "reason": rec.reason,
            "uncertainty": rec.uncertainty,
            "ties": [{"image": t.other.label, "on": list(t.on)} for t in rec.ties],
        },
        "notes": rec.notes,
        "memory_basis": rec.ranking[0].candidate.memory_basis if rec.ranking else None,
    }
    return json.dumps(doc, indent=2) + "\n"
