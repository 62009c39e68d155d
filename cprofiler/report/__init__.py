"""Output formats, one module each, behind a registry filled by ``@register``.

Every format reads the results JSON (the stable contract), never the runner's objects, so a
format can be re-rendered from a saved results file (``cprofiler report r.json --format csv``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: A format: results JSON in, text out.
FormatFunc = Callable[[dict[str, Any]], str]

FORMATS: dict[str, FormatFunc] = {}


def register(name: str) -> Callable[[FormatFunc], FormatFunc]:
    def deco(fn: FormatFunc) -> FormatFunc:
        FORMATS[name] = fn
        return fn

    return deco


def render(results: dict[str, Any], fmt: str) -> str:
    return FORMATS[fmt](results)


def names() -> list[str]:
    return sorted(FORMATS)


# Importing the modules registers them; keep this after ``register`` is defined.
from cprofiler.report import csv_format, json_format, markdown, table  # noqa: E402,F401
