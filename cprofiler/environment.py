"""Facts about the machine cprofiler runs on (the engine's own facts come from the engine module)."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any


def host_facts() -> dict[str, Any]:
    """Facts about the machine cprofiler runs on (not the engine's)."""
    cpu_model = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu_model": cpu_model, "cpu_count": os.cpu_count(), "python": platform.python_version()}
