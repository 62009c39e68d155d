"""Reading what the user prefers: ``--prefer``, ``--weights start=2,memory=1`` and hard limits.

Every error is a :class:`~cprofiler.errors.UsageError` naming the flag and showing a value that works.
"""

from __future__ import annotations

import math
import re

from cprofiler.errors import UsageError
from cprofiler.recommend.criteria import CRITERIA

_NUMBER = r"\s*(\d+(?:\.\d*)?|\.\d+)\s*"
_DURATION = re.compile(_NUMBER + r"(ms|s)?\s*", re.IGNORECASE)
_SIZE = re.compile(_NUMBER + r"([kmgt]i?b?|b)?\s*", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_duration_ms(flag: str, text: str) -> float:
    """``500ms``, ``1.5s`` or a bare number of milliseconds, in milliseconds."""
    m = _DURATION.fullmatch(text)
    if m is None:
        raise UsageError(f"{flag} {text}: expected a duration such as 500ms or 1.5s")
    return float(m.group(1)) * (1000 if (m.group(2) or "ms").lower() == "s" else 1)


def parse_bytes(flag: str, text: str) -> float:
    """``64MiB``, ``64M``, ``1.5GiB`` or a bare number of bytes, in bytes (powers of 1024, as the engine)."""
    m = _SIZE.fullmatch(text)
    if m is None:
        raise UsageError(f"{flag} {text}: expected a size such as 64MiB or 1.5GiB")
    unit = (m.group(2) or "").lower().rstrip("b").rstrip("i")
    return float(m.group(1)) * _SIZE_UNITS[unit]


def parse_rate(flag: str, text: str) -> float:
    """A number of requests per second (``1000``, ``1.5k``)."""
    m = re.fullmatch(_NUMBER + r"(k)?\s*", text, re.IGNORECASE)
    if m is None:
        raise UsageError(f"{flag} {text}: expected requests per second such as 1000 or 1.5k")
    return float(m.group(1)) * (1000 if m.group(2) else 1)


def parse_weights(text: str) -> dict[str, float]:
    """``start=2,memory=1`` → ``{"start": 2.0, "memory": 1.0}``; zero weights are left out."""
    weights: dict[str, float] = {}
    for part in text.split(","):
        name, eq, value = part.partition("=")
        name = name.strip()
        if not eq or not name:
            raise UsageError(f"--weights {text}: expected criterion=weight pairs such as start=2,memory=1")
        if name not in CRITERIA:
            raise UsageError(f"--weights {text}: unknown criterion {name!r}; expected one of: {', '.join(CRITERIA)}")
        if name in weights:
            raise UsageError(f"--weights {text}: {name} is given twice")
        try:
            weight = float(value)
        except ValueError:
            raise UsageError(f"--weights {text}: {name}={value.strip()} is not a number") from None
        if not math.isfinite(weight) or weight < 0:
            raise UsageError(f"--weights {text}: {name}={value.strip()}: expected a weight of 0 or more")
        if weight > 0:
            weights[name] = weight
    if not weights:
        raise UsageError(f"--weights {text}: every weight is 0; give at least one criterion a positive weight")
    return weights


def preferences(prefer: str | None, weights: str | None) -> dict[str, float] | None:
    """The weights ``--prefer`` or ``--weights`` ask for; None when neither was given."""
    if prefer is not None and weights is not None:
        raise UsageError("--prefer cannot be combined with --weights; use --weights alone, e.g. start=2,memory=1")
    if prefer is not None:
        CRITERIA.get(prefer)  # names the flag and the choices when unknown
        return {prefer: 1.0}
    return parse_weights(weights) if weights is not None else None


def parse_limits(max_start: str | None, max_memory: str | None, max_size: str | None, min_qps: str | None) -> dict[str, float]:
    """Criterion → hard limit in its unit (ms, bytes, requests per second), for the flags given."""
    limits = {}
    if max_start is not None:
        limits["start"] = parse_duration_ms("--max-start", max_start)
    if max_memory is not None:
        limits["memory"] = parse_bytes("--max-memory", max_memory)
    if max_size is not None:
        limits["size"] = parse_bytes("--max-size", max_size)
    if min_qps is not None:
        limits["qps"] = parse_rate("--min-qps", min_qps)
    return limits
