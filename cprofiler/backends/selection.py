"""The one place a backend is chosen: by the settings' ``backend``, from ``BACKENDS``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cprofiler.backends.base import Backend, Invocation
from cprofiler.backends.docker import backend as _docker  # noqa: F401 - registers itself
from cprofiler.backends.kubernetes import backend as _kubernetes  # noqa: F401
from cprofiler.backends.registry import BACKENDS

if TYPE_CHECKING:
    from cprofiler.engine import Engine
    from cprofiler.settings import RunSettings


def backend_class(name: str) -> type[Backend]:
    """The backend named ``name`` (``docker``, ``kubernetes``); UsageError naming ``--backend`` if none is."""
    return BACKENDS.get(name)


def select(settings: RunSettings, engine: Engine, invocation: Invocation) -> Backend:
    """The backend the settings name, made for this measurement (Kubernetes connects to its cluster)."""
    return backend_class(settings.backend)(settings, engine, invocation)
