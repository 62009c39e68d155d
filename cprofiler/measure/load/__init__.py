"""The load phase: a generator loads a running container while its cgroup is sampled.

``generators`` holds the plug-in family and its registry; each generator registers itself in its
own module, imported here so that the registry is full once this package is imported.
"""

from cprofiler.measure.load import oha as _oha  # noqa: F401 - registers itself
from cprofiler.measure.load import wrk as _wrk  # noqa: F401
from cprofiler.measure.load.generators import DEFAULT_GENERATOR, GENERATORS, Generator, make_generator

__all__ = ["DEFAULT_GENERATOR", "GENERATORS", "Generator", "make_generator"]
