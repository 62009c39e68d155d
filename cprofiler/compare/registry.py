"""The ``cprofiler compare`` formats by ``--format`` name; each format module adds itself on import."""

from __future__ import annotations

from collections.abc import Callable

from cprofiler.compare.verdict import Comparison
from cprofiler.plugins import Registry

#: A format: the comparison in, text out.
CompareFormatFunc = Callable[[Comparison], str]

FORMATS: Registry[CompareFormatFunc] = Registry("compare format", flag="--format")
