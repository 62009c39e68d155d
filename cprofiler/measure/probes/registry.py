"""The readiness probes by the scenario's ``ready`` key (``http``, ``tcp``, ``log``, ``exit``)."""

from __future__ import annotations

from cprofiler.measure.probes.base import Probe
from cprofiler.plugins import Registry
from cprofiler.scenario.model import ReadySpec

#: Probe classes by ``ready`` key; each probe module adds its class on import.
PROBES: Registry[type[Probe]] = Registry("probe", flag="ready")


def make_probe(spec: ReadySpec) -> Probe:
    """A fresh probe for one run, of the kind ``spec`` names."""
    return PROBES.get(spec.kind)(spec)
