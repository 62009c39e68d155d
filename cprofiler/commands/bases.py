"""``cprofiler bases``: list and build the offline stand-in base images."""

from __future__ import annotations

import time

from rich.console import Console
from tabulate import tabulate

from cprofiler import engine as engine_mod
from cprofiler.commands.base_progress import StandInProgress
from cprofiler.errors import UsageError
from cprofiler.images.bases import catalog
from cprofiler.images.bases.build import build_stand_ins, stand_ins
from cprofiler.images.bases.mirror import find_mirror
from cprofiler.report.rows import human_bytes


def list_command(mirror: str | None) -> int:
    engine = engine_mod.connect()
    rows = []
    for stand_in in stand_ins(engine, find_mirror(mirror)).values():
        status = stand_in.status()
        rows.append(
            [
                status.name,
                status.stands_in_for,
                "yes" if status.built else "no",
                status.tag,
                human_bytes(status.size_bytes) if status.size_bytes is not None else "-",
                status.detail or "-",
                ", ".join(status.missing_modules) or ("none" if status.built else "-"),
            ]
        )
    headers = ["recipe", "stands in for", "built", "tag", "size", "detail", "missing modules"]
    print(tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True))
    return 0


def build_command(names: list[str], mirror: str | None, force: bool, quiet: bool) -> int:
    unknown = [n for n in names if n not in catalog.names()]
    if unknown:
        raise UsageError(f"bases build {unknown[0]}: no such recipe; expected one of {', '.join(catalog.names())}")
    console = Console(stderr=True, soft_wrap=True)
    started = time.monotonic()
    progress = StandInProgress(console)
    engine = engine_mod.connect()
    try:
        built = build_stand_ins(
            engine, names or None, mirror=find_mirror(mirror), progress=None if quiet else progress, force=force
        )
    finally:
        progress.close()
    for status in built:
        size = human_bytes(status.size_bytes) if status.size_bytes is not None else "-"
        print(f"{status.name}: {status.tag} ({size}; {status.detail or 'no detail'})")
    console.print(f"stand-ins ready in {time.monotonic() - started:.0f} s", highlight=False)
    return 0
