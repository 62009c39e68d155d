"""``cprofiler compare BEFORE AFTER``: two results files, image by image, with verdicts.

The comparison itself is pure (:mod:`cprofiler.compare.verdict`); its formats, one module each,
sit behind the ``FORMATS`` registry (:mod:`cprofiler.compare.registry`) as the report's do.
"""

from __future__ import annotations

from cprofiler.compare import csv_format, json_format, markdown, table  # noqa: F401 - they register themselves
from cprofiler.compare.registry import FORMATS
from cprofiler.compare.verdict import Comparison


def render(comparison: Comparison, fmt: str) -> str:
    return FORMATS.get(fmt)(comparison)


def names() -> list[str]:
    return sorted(FORMATS)
