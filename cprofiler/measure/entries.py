"""The result entry of an image about to be measured: what it is, its probe and budgets, no runs yet."""

from __future__ import annotations

from cprofiler.backends.run import Subject
from cprofiler.measure.security import confinement
from cprofiler.results.load import LoadResult
from cprofiler.results.model import ImageRef, ImageResult, StandInUse
from cprofiler.scenario.model import Budgets


def image_result(p: Subject, budgets: Budgets | None = None, load: LoadResult | None = None) -> ImageResult:
    """The result entry of an image about to be measured: what it is and its budgets, no runs yet."""
    info = p.built.info
    return ImageResult(
        name=p.name,
        image=ImageRef(tag=info.tag, id=info.id),
        image_size_bytes=info.size_bytes,
        layers=info.layers,
        ready=p.spec.ready,
        memory_limit_bytes=p.spec.memory_limit,
        cpus=p.cpus,
        stand_in=StandInUse.model_validate(p.built.stand_in) if p.built.stand_in else None,
        scenario_image=p.scenario_name or None,
        load=load,
        user=info.user,
        security=p.spec.security or "default",
        run_as=confinement(p.spec, info.user).user,
        budgets=budgets,
    )
