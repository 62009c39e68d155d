"""Summaries for ``cprofiler k8s --summary``, one module each, behind the ``SUMMARIES`` registry
(:mod:`cprofiler.manifests.summary.registry`). This package only imports them, so that they register."""

from cprofiler.manifests.summary import table, json_format  # noqa: F401, I001 - they register themselves
