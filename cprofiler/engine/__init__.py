"""The one package that talks to the Docker engine.

Everything else in cprofiler asks this package for builds, containers, logs and images, so that the
engine's API (and its errors) are translated into cprofiler's terms in one place; no module outside
it imports ``docker`` (``scripts/check-structure.py`` checks). By job:

- ``facade.py``: :class:`Engine`, the calls the rest of cprofiler makes, and :func:`connect`;
  ``images.py`` and ``containers.py`` hold its image and container calls;
- ``endpoint.py``: which engine (``DOCKER_HOST``, ``DOCKER_CONTEXT``, the current Docker context);
- ``faults.py``: the SDK's and the transport's exceptions turned into one line each.
"""

from cprofiler.engine.containers import KUBELET_POD_LABEL, ContainerSpec, ContainerState
from cprofiler.engine.endpoint import DEFAULT_HOST, Endpoint, docker_config_dir, resolve_endpoint
from cprofiler.engine.facade import Engine, connect
from cprofiler.engine.images import BuildSpec, ImageInfo, LabelledImage, build_context_entries

__all__ = [
    "DEFAULT_HOST",
    "KUBELET_POD_LABEL",
    "BuildSpec",
    "ContainerSpec",
    "ContainerState",
    "Endpoint",
    "Engine",
    "ImageInfo",
    "LabelledImage",
    "build_context_entries",
    "connect",
    "docker_config_dir",
    "resolve_endpoint",
]
