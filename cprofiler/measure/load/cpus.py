"""Which CPUs the container under load and the load generator run on (``CpuSplit``).

The two never share a CPU: a generator on the container's CPU takes time from what it measures.
The container gets as many CPUs as its ``cpus`` cap can use (``ceil(cpus)``, at least one), so
that ``cpus: 2`` is two cores and not one core with a quota of two; the generator gets the rest.
When the machine has too few CPUs for both, the split is refused before anything is built.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cprofiler.errors import UsageError
from cprofiler.measure.load.generators import cpuset_cpus

#: CPUs the load generator needs of its own, at least.
GENERATOR_MIN_CPUS = 1


@dataclass(frozen=True)
class CpuSplit:
    """Which CPUs the container and the load generator may run on, in cpuset syntax (``0``, ``1-3``)."""

    #: CPUs of the container under load (``--cpuset-cpus``).
    container: str
    #: CPUs of the load generator (``taskset -c``).
    generator: str

    def to_json(self) -> dict[str, str]:
        return {"server": self.container, "generator": self.generator}


def server_cpus_needed(cpus: float | None) -> int:
    """CPUs a container capped at ``cpus`` cores can use at once: ``ceil(cpus)``, at least 1 (None: 1)."""
    return max(1, math.ceil(cpus)) if cpus is not None else 1


def split_cpus(
    engine_cpus: int, *, cpus: float | None = None, container: str | None = None, generator: str | None = None
) -> CpuSplit:
    """The CPUs of the container and of the generator. Given ones are checked; by default the
    container gets CPUs ``0`` to ``ceil(cpus) - 1`` (CPU 0 without ``cpus``) and the generator every
    other CPU (on 2 CPUs without ``cpus``: ``0`` and ``1``).

    UsageError naming ``cpus`` when the container's cap needs more CPUs than the machine has
    beside the generator's (or than ``load.server_cpus`` gives it); naming ``load.cpuset`` when a
    CPU does not exist, the two share one, or the engine has a single CPU.
    """
    need = server_cpus_needed(cpus)
    if engine_cpus < 1 + GENERATOR_MIN_CPUS:
        raise UsageError(
            f"load.cpuset: the engine has {engine_cpus} CPU; the container and the load generator need one each, "
            "or the generator competes with what it measures (run the load phase on a machine with 2 or more CPUs)"
        )
    if container is None and need + GENERATOR_MIN_CPUS > engine_cpus:
        raise UsageError(
            f"cpus: {cpus:g} needs {need} CPUs of the container's own and the load generator needs "
            f"{GENERATOR_MIN_CPUS} more, but the engine has {engine_cpus} CPUs (0-{engine_cpus - 1}); "
            f"use cpus of at most {engine_cpus - GENERATOR_MIN_CPUS} with load:, "
            f"or a machine with {need + GENERATOR_MIN_CPUS} CPUs"
        )
    container = container or (f"0-{need - 1}" if need > 1 else "0")
    mine = cpuset_cpus(container)
    default_generator = f"{max(mine) + 1}-{engine_cpus - 1}" if max(mine) + 2 < engine_cpus else str(engine_cpus - 1)
    generator = generator or default_generator
    theirs = cpuset_cpus(generator)
    for chosen, what in ((mine, container), (theirs, generator)):
        if max(chosen) >= engine_cpus:
            raise UsageError(
                f"load.cpuset: CPU {max(chosen)} in {what!r} does not exist; the engine has CPUs 0-{engine_cpus - 1}"
            )
    shared = sorted(set(mine) & set(theirs))
    if shared:
        raise UsageError(
            f"load.cpuset: container {container!r} and generator {generator!r} share CPU {shared[0]}; give each its own"
        )
    if len(mine) < need:
        raise UsageError(
            f"cpus: {cpus:g} needs {need} CPUs but load.server_cpus {container!r} gives the container {len(mine)}; "
            f"give it {need} CPUs or lower cpus"
        )
    return CpuSplit(container=container, generator=generator)
