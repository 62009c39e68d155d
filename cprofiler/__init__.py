"""cprofiler: measure container cold start and memory on a real Docker engine."""

__version__ = "0.1.0"
