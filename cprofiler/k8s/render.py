"""Rendering: recommendations for every image of a measurement, in one format, as YAML text.

Each file starts with a comment saying where every number came from; :func:`yaml_stream` joins
the files for stdout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import yaml

from cprofiler.errors import CprofilerError, UsageError
from cprofiler.k8s.recommend import K8sOptions, recommend
from cprofiler.results.model import ImageResult, Measurement

#: Oldest Kubernetes release whose OpenAPI schema every manifest is checked against in the tests.
TARGET_KUBERNETES_VERSION = "1.30"


def skip_reason(image: ImageResult) -> str | None:
    """Why ``image`` gets no manifest, or None. A batch job (exit probe) is not a Deployment, and
    cprofiler does not sample its memory (its cgroup is gone once it is ready)."""
    if image.kind == "exit":
        return f"image {image.name!r} skipped: an exit-probe image is a batch job, with no memory sampled to size it"
    return None


def render(measurement: Measurement, fmt: str, options: K8sOptions) -> dict[str, str]:
    """Render every image of ``measurement`` in format ``fmt``: file name → YAML text with its header.

    Images come out in the results' order; the runtime floor is not an image and is skipped.
    Raise UsageError for an unknown format or a measurement without images, CprofilerError for an
    image that cannot be recommended for.
    """
    # Imported here, not at the top: the resources format imports dump_yaml from this module, and
    # importing the registry imports every format (cprofiler.k8s.formats registers them).
    from cprofiler.k8s.formats.registry import FORMATS, format_names

    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r} is unknown; choose one of: {format_names()}")
    spec = FORMATS[fmt]
    if not measurement.images:
        raise UsageError(f"{options.results_file}: has no images; was the measurement interrupted before the first image?")
    if options.cold is None:
        options = replace(options, cold=measurement.settings.cold)

    files: dict[str, str] = {}
    owners: dict[str, str] = {}
    for image in measurement.images:
        if skip_reason(image) is not None:
            continue
        rec = recommend(image, options)
        filename = f"{rec.name}.{spec.file_suffix}"
        if filename in files:
            raise CprofilerError(
                f"{options.results_file}: images {owners[filename]!r} and {rec.image_name!r} both become {rec.name!r} "
                "as Kubernetes names; rename one in the scenario file"
            )
        owners[filename] = rec.image_name
        lines = [f"{filename}: cprofiler k8s --format {fmt}", *rec.header()]
        if measurement.interrupted:
            lines.append(f"note: the measurement stopped early, with fewer runs than planned: {measurement.interrupted}")
        lines += spec.usage(rec, options)
        header = "".join(f"# {line}\n" if line else "#\n" for line in lines)
        files[filename] = header + dump_yaml(spec.build(rec, options))
    return files


class _PlainDumper(yaml.SafeDumper):
    """A safe dumper that writes shared objects out again instead of as ``&id001`` anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_yaml(data: Any, *, flow: bool = False) -> str:
    """YAML text for ``data``: keys in insertion order, no anchors, block style unless ``flow``."""
    return str(yaml.dump(data, Dumper=_PlainDumper, sort_keys=False, default_flow_style=flow, width=1000))


def yaml_stream(files: Mapping[str, str]) -> str:
    """Join rendered files into one YAML stream (``---`` before each document), for stdout."""
    return "".join(f"---\n{text}" for text in files.values())
