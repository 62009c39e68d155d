"""``cprofiler bases``: list and build the offline stand-in base images."""

from __future__ import annotations

import time

from rich.console import Console
from tabulate import tabulate

from cprofiler import bases
from cprofiler import engine as engine_mod
from cprofiler.errors import UsageError
from cprofiler.report.rows import human_bytes


def list_command(mirror: str | None) -> int:
    engine = engine_mod.connect()
    rows = []
    for stand_in in bases.stand_ins(engine, bases.find_mirror(mirror)).values():
        info = stand_in.info()
        rows.append(
            [
                info.name,
                info.stands_in_for,
                "yes" if info.built else "no",
                info.tag,
                human_bytes(info.size_bytes) if info.size_bytes is not None else "-",
                info.detail or "-",
                ", ".join(info.missing_modules) or ("none" if info.built else "-"),
            ]
        )
    headers = ["recipe", "stands in for", "built", "tag", "size", "detail", "missing modules"]
    print(tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True))
    return 0


def build_command(names: list[str], mirror: str | None, force: bool, quiet: bool) -> int:
    unknown = [n for n in names if n not in bases.names()]
    if unknown:
        raise UsageError(f"bases build {unknown[0]}: no such recipe; expected one of {', '.join(bases.names())}")
    console = Console(stderr=True, soft_wrap=True)
    started = time.monotonic()

    def progress(name: str, line: str) -> None:
        if not quiet:
            console.print(f"[dim]{time.monotonic() - started:6.0f} s[/dim] {name}: {line[:150]}", highlight=False)

    engine = engine_mod.connect()
    built = bases.build(engine, names or None, mirror=bases.find_mirror(mirror), progress=progress, force=force)
    for info in built:
        size = human_bytes(info.size_bytes) if info.size_bytes is not None else "-"
        print(f"{info.name}: {info.tag} ({size}; {info.detail or 'no detail'})")
    console.print(f"stand-ins ready in {time.monotonic() - started:.0f} s", highlight=False)
    return 0
