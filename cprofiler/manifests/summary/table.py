"""``--summary table``: one row per image, for a person."""

from __future__ import annotations

from cprofiler import tables
from cprofiler.manifests.header import wrap
from cprofiler.manifests.options import Source
from cprofiler.manifests.quantities import cpu_quantity, memory_quantity
from cprofiler.manifests.render import Skipped
from cprofiler.manifests.sizing import Sizing
from cprofiler.manifests.summary.registry import SUMMARIES, basis_text, hpa_text, probe_window
from cprofiler.tables import Note, Table

HEADERS = ["image", "workload", "cpu req", "cpu limit", "mem req", "mem limit", "startup window", "basis", "hpa", "warnings"]


def _row(rec: Sizing) -> list[str]:
    limit = cpu_quantity(rec.cpu_limit_millicores) if rec.cpu_limit_millicores is not None else "none"
    return [
        rec.image_name,
        f"{rec.kind}/{rec.workload_name}",
        cpu_quantity(rec.cpu_request_millicores),
        limit,
        memory_quantity(rec.memory_request_bytes),
        memory_quantity(rec.memory_limit_bytes) if rec.memory_limit_bytes is not None else "none",
        probe_window(rec),
        basis_text(rec),
        hpa_text(rec),
        f"{len(rec.notes)} + WARNING" if rec.warnings else str(len(rec.notes)),
    ]


def summary_table(recs: list[Sizing | Skipped], source: Source) -> Table:
    """One row per selected image (a skipped one says so); every warning, and why one was skipped, as a note."""
    rows, notes = [], []
    for rec in recs:
        if isinstance(rec, Skipped):
            rows.append([rec.image_name, "skipped", "-", "-", "-", "-", "-", "-", "-", "see below"])
            notes.append(Note(rec.reason))
        else:
            rows.append(_row(rec))
            notes += [Note(f"WARNING: {rec.image_name}: {w}") for w in rec.warnings]
            notes += [Note(f"{rec.image_name}: {n}") for n in rec.notes]
            notes.append(
                Note(
                    f"{rec.image_name}: {rec.provenance()}; the formulas with their figures:",
                    details=wrap(list(rec.formula), 114),
                )
            )
    return Table(HEADERS, rows, notes, footnote(source), note_mark="- ")


def footnote(source: Source) -> list[str]:
    """Where the figures came from: the results file and its digest, when and on what it was measured
    (what the manifests leave out, so that measuring again changes them only when a figure moved)."""
    digest = f" (sha256 {source.results_sha256})" if source.results_sha256 else ""
    lines = [f"from {source.results_file}{digest}; cold level {source.cold}"]
    measured = "; ".join(w for w in (source.measured_at, source.engine) if w)
    if measured:
        lines.append(f"measured {measured}")
    lines.append("--explain writes the formulas with their figures into each file's header")
    return lines


@SUMMARIES.register("table")
def render_table(recs: list[Sizing | Skipped], source: Source) -> str:
    return tables.text(summary_table(recs, source))
