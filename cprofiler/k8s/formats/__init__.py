"""Output formats for ``cprofiler k8s``: one module each, registered by a decorator.

Adding a format is adding one module here (and its import below): a :class:`Formatter` subclass
decorated with :func:`register`. The CLI builds its ``--format`` help from :data:`FORMATS`.
"""

from __future__ import annotations

import abc
from typing import Any, ClassVar

from cprofiler.k8s import K8sOptions, Recommendation


class Formatter(abc.ABC):
    """Turns one image's :class:`Recommendation` into one YAML document."""

    #: The ``--format`` value.
    name: ClassVar[str]
    #: One line for ``--format``'s help.
    summary: ClassVar[str]
    #: Ending of the file written per image: ``<image>.<file_suffix>``.
    file_suffix: ClassVar[str]

    @abc.abstractmethod
    def build(self, rec: Recommendation, options: K8sOptions) -> dict[str, Any]:
        """The document, as plain data for ``yaml.safe_dump``."""

    def usage(self, rec: Recommendation, options: K8sOptions) -> list[str]:
        """Header comment lines on how to use the file (without ``#``)."""
        return []


#: Every format by its ``--format`` name, in registration order.
FORMATS: dict[str, Formatter] = {}


def register(cls: type[Formatter]) -> type[Formatter]:
    """Class decorator: add one instance of ``cls`` to :data:`FORMATS` under ``cls.name``."""
    if cls.name in FORMATS:
        raise ValueError(f"format {cls.name!r} is registered twice")
    FORMATS[cls.name] = cls()
    return cls


def format_names() -> str:
    """``resources, deployment, kustomize, helm``: for error messages."""
    return ", ".join(FORMATS)


def formats_help() -> str:
    """``--format``'s help text: each format with its one-line summary."""
    return "Output format: " + "; ".join(f"{f.name}: {f.summary}" for f in FORMATS.values()) + "."


# Imported last, for their @register side effect; the order is the order of the help text.
from cprofiler.k8s.formats import resources, deployment, kustomize, helm  # noqa: E402, F401, I001
