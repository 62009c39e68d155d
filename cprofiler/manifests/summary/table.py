"""``--summary table``: one row per image, for a person."""

from __future__ import annotations

from tabulate import tabulate

from cprofiler.manifests.options import Source
from cprofiler.manifests.quantities import cpu_quantity, memory_quantity
from cprofiler.manifests.render import Skipped
from cprofiler.manifests.sizing import Sizing
from cprofiler.manifests.summary.registry import SUMMARIES, basis_text, hpa_text, probe_window


@SUMMARIES.register("table")
def render_table(recs: list[Sizing | Skipped], source: Source) -> str:
    headers = ["image", "workload", "cpu req", "cpu limit", "mem req", "mem limit", "startup window", "basis", "hpa", "warnings"]
    rows = []
    notes = []
    for rec in recs:
        if isinstance(rec, Skipped):
            rows.append([rec.image_name, "skipped", "-", "-", "-", "-", "-", "-", "-", "see below"])
            notes.append(rec.reason)
            continue
        limit = cpu_quantity(rec.cpu_limit_millicores) if rec.cpu_limit_millicores is not None else "none"
        rows.append(
            [
                rec.image_name,
                f"{rec.kind}/{rec.workload_name}",
                cpu_quantity(rec.cpu_request_millicores),
                limit,
                memory_quantity(rec.memory_request_bytes),
                memory_quantity(rec.memory_limit_bytes),
                probe_window(rec),
                basis_text(rec),
                hpa_text(rec),
                str(len(rec.notes)),
            ]
        )
        notes += [f"{rec.image_name}: {n}" for n in rec.notes]
    text = tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)
    footer = f"\nfrom {source.results_file}; cold level {source.cold}; each file's header has the formula with its figures\n"
    return text + "\n" + "".join(f"\n- {n}" for n in notes) + ("\n" if notes else "") + footer
