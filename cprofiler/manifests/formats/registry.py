"""The Kubernetes output formats by ``--format`` name; each format module adds itself on import.

Adding a format is adding one module to :mod:`cprofiler.manifests.formats` (and its import there): a
:class:`Formatter` subclass decorated with ``@register("name")``. The CLI builds its ``--format``
help from :data:`FORMATS`.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any, ClassVar

from cprofiler.manifests.options import K8sOptions
from cprofiler.manifests.sizing import Sizing
from cprofiler.plugins import Registry


class Formatter(abc.ABC):
    """Turns one image's :class:`Sizing` into one YAML document (or a few, in one file)."""

    #: One line for ``--format``'s help.
    summary: ClassVar[str]
    #: Ending of the file written per image: ``<image>.<file_suffix>``.
    file_suffix: ClassVar[str]

    @abc.abstractmethod
    def build(self, rec: Sizing, options: K8sOptions) -> dict[str, Any]:
        """The document, as plain data for ``yaml.safe_dump``."""

    def documents(self, rec: Sizing, options: K8sOptions) -> list[dict[str, Any]]:
        """The documents of ``rec``'s file: :meth:`build`'s, and whatever belongs beside it
        (the deployment format's HorizontalPodAutoscaler)."""
        return [self.build(rec, options)]

    def file_name(self, rec: Sizing) -> str:
        """The file written for ``rec``."""
        return f"{rec.name}.{self.file_suffix}"

    def usage(self, rec: Sizing, options: K8sOptions) -> list[str]:
        """Comment lines on how to use the file (without ``#``), written with ``--explain``."""
        return []

    def hint(self, rec: Sizing, options: K8sOptions) -> str:
        """The header's one line on how to use the file: by default the first of :meth:`usage`."""
        return next(iter(self.usage(rec, options)), "")

    def index(self, recs: list[Sizing], files: list[str], options: K8sOptions) -> dict[str, str]:
        """Files that tie the per-image ``files`` together (kustomize's ``kustomization.yaml``)."""
        return {}


#: One instance of every format, by its ``--format`` name, in registration order.
FORMATS: Registry[Formatter] = Registry("Kubernetes format", flag="--format")


def register(name: str) -> Callable[[type[Formatter]], type[Formatter]]:
    """Class decorator: add one instance of the class to :data:`FORMATS` under ``name``."""

    def deco(cls: type[Formatter]) -> type[Formatter]:
        FORMATS.add(name, cls())
        return cls

    return deco


def format_names() -> str:
    """``resources, deployment, kustomize, helm``: for error messages."""
    return ", ".join(FORMATS)


def formats_help() -> str:
    """``--format``'s help text: each format with its one-line summary."""
    return "Output format: " + "; ".join(f"{name}: {f.summary}" for name, f in FORMATS.items()) + "."
