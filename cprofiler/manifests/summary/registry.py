"""The summaries of ``cprofiler k8s --summary``, by name; each summary module adds itself on import.

A summary is one text for all the selected images (krr's table and JSON), where a format
(:mod:`cprofiler.manifests.formats`) is one manifest per image: the two are chosen by separate flags
and can be asked for together.
"""

from __future__ import annotations

from collections.abc import Callable

from cprofiler.manifests.options import Source
from cprofiler.manifests.render import Skipped
from cprofiler.manifests.sizing import Sizing
from cprofiler.plugins import Registry

#: A summary: every selected image's recommendation, or why it has none, and where the results
#: came from, in; text out.
SummaryFunc = Callable[[list[Sizing | Skipped], Source], str]

SUMMARIES: Registry[SummaryFunc] = Registry("summary", flag="--summary")


def basis_text(rec: Sizing) -> str:
    """``load at 200/s``, ``load (closed loop)``, ``settle-peak (idle)``, ``lifetime``."""
    return rec.basis_label()


def hpa_text(rec: Sizing) -> str:
    """``70% cpu, 1-10``: the HPA's target and replica bounds, or ``-``."""
    hpa = rec.autoscaling
    return "-" if hpa is None else f"{hpa.target_percent}% cpu, {hpa.min_replicas}-{hpa.max_replicas}"


def probe_window(rec: Sizing) -> str:
    """``3s (1s x 4)``: the startupProbe's guaranteed window and its timing, or ``-``."""
    if rec.startup_window_s is None:
        return "-"
    return f"{rec.startup_window_s}s ({rec.startup_period_s}s x {rec.startup_failure_threshold})"
