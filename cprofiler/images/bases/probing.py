"""What a built stand-in holds, as its own tools say: the probe's answer and the labels made of it.

Every Python recipe runs ``registry.PROBE`` with the image's own python3 (in a chroot or in a
container of the image); its JSON line gives the versions for the ``detail`` label and the
modules an official image would have and this one lacks.
"""

from __future__ import annotations

import json
import threading

from cprofiler.engine import Engine
from cprofiler.errors import BuildError
from cprofiler.images.bases.registry import Recipe
from cprofiler.labels import LABEL_DETAIL, LABEL_MISSING, STAND_IN_OWNER
from cprofiler.reaper import own_labels

#: Seconds a probe of a built image may take.
PROBE_TIMEOUT_S = 60.0


def parse_probe(output: str) -> dict[str, object]:
    """The probe's JSON line (the last line of ``output`` that is a JSON object)."""
    for line in reversed(output.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                found = json.loads(line)
            except ValueError:
                continue
            if isinstance(found, dict):
                return found
    raise ValueError("no JSON line in the probe's output")


def python_detail(found: dict[str, object]) -> str:
    """The Python part of a ``detail`` label: ``CPython 3.11.2``."""
    return f"CPython {found.get('python')}"


def probe_labels(recipe: Recipe, found: dict[str, object], detail: str) -> dict[str, str]:
    """Check the probe's answer against ``recipe.required_modules``; return the labels to record."""
    listed = found.get("missing")
    missing = [str(m) for m in listed] if isinstance(listed, list) else []
    lacking = [m for m in recipe.required_modules if m in missing]
    if lacking:
        raise BuildError(
            f"stand-in {recipe.name!r} was built, but its python3 cannot import {', '.join(lacking)}; "
            f"see the recipe in {recipe.directory}"
        )
    return {LABEL_DETAIL: detail, LABEL_MISSING: ",".join(missing)}


def run_in_image(engine: Engine, image: str, command: list[str], *, timeout_s: float = PROBE_TIMEOUT_S) -> tuple[int | None, str]:
    """Run ``command`` in a fresh container of ``image``; return its exit code and output.

    The container carries this process's owner labels (so a crash leaves nothing ``cprofiler
    clean`` cannot judge) and is removed whatever happens; past ``timeout_s`` it is removed while
    running, and the exit code is None.
    """
    container = engine.create(
        image=image, command=command, env={}, labels=own_labels(STAND_IN_OWNER), memory_limit_bytes=None, cpus=None
    )
    timed_out = threading.Event()

    def expire() -> None:
        timed_out.set()
        engine.remove(container)  # ends the output stream below

    timer = threading.Timer(timeout_s, expire)
    try:
        output = engine.attach_output(container)
        engine.start(container)
        timer.start()
        text = b"".join(output).decode(errors="replace")
        code = None if timed_out.is_set() else engine.wait_exit(container)
        return (None if timed_out.is_set() else code), text
    finally:
        timer.cancel()
        engine.remove(container)
