"""The defaults of what ``cprofiler k8s`` is asked (:class:`~cprofiler.manifests.options.K8sOptions`).

A module of constants alone: ``cprofiler k8s --help`` shows them, and must not import the results
model to do so.
"""

from __future__ import annotations

#: Safety margin added to every measured figure; 0.15 is the VPA recommender's default.
DEFAULT_MARGIN = 0.15
#: Share of the capacity at which pods should scale out (``--hpa-headroom``).
DEFAULT_HEADROOM = 0.8
#: ``--min-replicas`` and ``--max-replicas`` defaults.
DEFAULT_MIN_REPLICAS = 1
DEFAULT_MAX_REPLICAS = 10
