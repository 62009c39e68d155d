"""The charts, one module each; importing this package registers them in ``CHARTS``.

The import order is the order of the report's pages: the idle measurements first, then load.
"""

# isort: off
from cprofiler.plot.charts import cold_start, memory, size, pareto  # noqa: F401 - they register themselves
from cprofiler.plot.charts import load_throughput, load_latency, load_resources  # noqa: F401
# isort: on
