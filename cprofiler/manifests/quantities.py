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


def significant(value: float | Fraction, digits: int = 3) -> str:
    """``value`` to ``digits`` significant figures, in plain digits: 25532 → ``25500``, 4.8234 →
    ``4.82``, 0.012345 → ``0.0123``, 1.1 → ``1.1`` (no trailing zeros, as ``%g``). A measured rate
    is known to a few percent at best (three repeats spread over 8 %), so the header prints no
    more figures than that."""
    x = float(value)
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    exponent = math.floor(math.log10(abs(x)))
    decimals = digits - 1 - exponent
    rounded = round(x, decimals)
    # Rounding can carry into a new digit (999.6 → 1000): one decimal fewer then.
    if rounded and math.floor(math.log10(abs(rounded))) > exponent:
        decimals -= 1
    text = f"{rounded:.{max(decimals, 0)}f}"
    # As %g does, without its exponent: 1.10 is written 1.1.
    return text.rstrip("0").rstrip(".") if "." in text else text
