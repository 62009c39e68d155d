"""``cprofiler compare BEFORE AFTER``: two results files, image by image, and ``--fail-on`` rules."""

from __future__ import annotations

import sys
from pathlib import Path

from cprofiler import compare
from cprofiler.commands.output import write_output
from cprofiler.compare.rows import human_change
from cprofiler.compare.verdict import compare as compare_measurements
from cprofiler.compare.verdict import parse_rule
from cprofiler.results import runlog


def compare_command(before: Path, after: Path, fmt: str, output: Path | None, fail_on: list[str]) -> int:
    """Print (or write to ``output``) the comparison; return 1 when a ``--fail-on`` rule is broken
    or had nothing to check (no image in both files, no verdict on its metric).

    Rules are parsed before any file is read, so a typo in one is exit 2 at once.
    """
    rules = [parse_rule(text) for text in fail_on]
    comparison = compare_measurements(runlog.load(before), runlog.load(after), rules, names=(str(before), str(after)))
    text = compare.render(comparison, fmt)
    if output is not None:
        write_output(output, text)
        if fmt != "table":
            sys.stdout.write(compare.render(comparison, "table"))
    else:
        sys.stdout.write(text)
    # The table says it too; stderr is what a CI log shows beside the exit code, whatever the format.
    for side, names in (("before", comparison.only_before), ("after", comparison.only_after)):
        if names:
            print(f"cprofiler: unmatched: only in {side} ({getattr(comparison, side)}): {', '.join(names)}", file=sys.stderr)
    for r in comparison.rules:
        if r.nothing_to_check:
            print(f"cprofiler: --fail-on {r.rule.text} checked nothing: {r.nothing_to_check}", file=sys.stderr)
        for name, change in r.broken:
            print(f"cprofiler: --fail-on {r.rule.text}: {name} {human_change(change)}, {change.verdict}", file=sys.stderr)
    return 1 if comparison.failed else 0
