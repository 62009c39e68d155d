"""``cprofiler clean``: remove containers that dead cprofiler invocations left behind."""

from __future__ import annotations

from cprofiler import engine as engine_mod
from cprofiler import reaper


def clean_command(everything: bool) -> int:
    engine = engine_mod.connect()
    removed = reaper.reap(engine, everything=everything)
    if removed:
        print(f"removed {len(removed)} containers: {' '.join(removed)}")
    else:
        print("nothing to clean: no container of a dead cprofiler invocation")
    return 0
