"""Readiness probes, one module each, found by the scenario's ``ready`` key through ``PROBES``."""

from cprofiler.measure.probes import exit as _exit  # noqa: F401 - registers itself
from cprofiler.measure.probes import http as _http  # noqa: F401
from cprofiler.measure.probes import log as _log  # noqa: F401
from cprofiler.measure.probes import tcp as _tcp  # noqa: F401
from cprofiler.measure.probes.base import Probe, Target, Watch
from cprofiler.measure.probes.registry import PROBES, make_probe

__all__ = ["PROBES", "Probe", "Target", "Watch", "make_probe"]
