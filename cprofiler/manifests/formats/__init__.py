"""Output formats for ``cprofiler k8s``, one module each, behind the ``FORMATS`` registry
(:mod:`cprofiler.manifests.formats.registry`).

This package only imports the format modules, so that they register; the order of the imports is
the order of the help text.
"""

from cprofiler.manifests.formats import resources, deployment, kustomize, helm  # noqa: F401, I001 - they register themselves
