"""The report formats by ``--format`` name; each format module adds itself on import."""

from __future__ import annotations

from collections.abc import Callable

from cprofiler.plugins import Registry
from cprofiler.results.model import Measurement

#: A format: the measurement in, text out.
FormatFunc = Callable[[Measurement], str]

FORMATS: Registry[FormatFunc] = Registry("report format", flag="--format")
