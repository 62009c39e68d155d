"""The measuring backends by their ``--backend`` name; each backend's module adds its class."""

from __future__ import annotations

from cprofiler.backends.base import Backend
from cprofiler.plugins import Registry

BACKENDS: Registry[type[Backend]] = Registry("backend", flag="--backend")
