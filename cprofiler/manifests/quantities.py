"""Kubernetes quantities: exact arithmetic on measured figures, and their canonical text.

Every margin is applied with :class:`fractions.Fraction`: in floats, 50Mi x (1 + 0.1) is a hair
above 55Mi and rounds up to 56Mi. Quantities are written as the API server writes them back
(``96Mi``, ``1Gi``, ``250m``, ``1``), so a ``kubectl diff`` after apply shows nothing.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

MIB = 1024 * 1024

_CPU_RE = re.compile(r"^(\d+(?:\.\d+)?|\.\d+)(m?)$")


def exact(value: float | int | Fraction) -> Fraction:
    """``value`` as the exact fraction of its shortest decimal form (0.15 is 3/20, not 0.1499…)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    return Fraction(repr(float(value)))


def ceil_mib(n_bytes: Fraction | int) -> int:
    """Round ``n_bytes`` up to a whole number of MiB; return bytes."""
    return math.ceil(exact(n_bytes) / MIB) * MIB


def memory_quantity(n_bytes: int) -> str:
    """Canonical Kubernetes quantity for a byte count: the largest binary suffix that is exact.

    ``100663296`` → ``96Mi``, ``1073741824`` → ``1Gi``, ``1536Mi`` stays ``1536Mi`` (as the API
    server writes it back).
    """
    for suffix, size in (
        ("Ei", 1 << 60),
        ("Pi", 1 << 50),
        ("Ti", 1 << 40),
        ("Gi", 1 << 30),
        ("Mi", 1 << 20),
        ("Ki", 1 << 10),
    ):
        if n_bytes and n_bytes % size == 0:
            return f"{n_bytes // size}{suffix}"
    return str(n_bytes)


def cpu_quantity(millicores: int) -> str:
    """Canonical Kubernetes quantity for CPU: ``250m``, and whole cores as ``1``, ``2``."""
    return str(millicores // 1000) if millicores % 1000 == 0 else f"{millicores}m"


def parse_cpu_quantity(text: str) -> int:
    """Parse ``500m``, ``1``, ``1.5`` or ``0.25`` into millicores (rounded up); raise ValueError."""
    m = _CPU_RE.match(text.strip())
    if not m:
        raise ValueError(f"expected a CPU quantity such as 500m, 1 or 1.5, got {text!r}")
    number = Fraction(m.group(1))
    millicores = math.ceil(number if m.group(2) else number * 1000)
    if millicores <= 0:
        raise ValueError(f"expected a CPU quantity above zero, got {text!r}")
    return millicores


def mib_text(n_bytes: Fraction | int | float) -> str:
    """``12.3MiB``: a measured byte figure as the header comments show it, one decimal."""
    return f"{float(exact(n_bytes) / MIB):.1f}MiB"
