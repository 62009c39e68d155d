"""Rendering: the selected images of a measurement, recommended for and written in one format.

One workload per image, each with a unique kind and name, so that the files, or the YAML stream on
stdout, apply cleanly one after another. Each file starts with a short comment (:mod:`cprofiler.manifests.header`; with
``--explain``, every formula with its figures too), and each object carries one
``cprofiler.dev/provenance`` annotation, a digest of what its numbers were sized from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from cprofiler.errors import CprofilerError, UsageError
from cprofiler.manifests import escape, failed, header
from cprofiler.manifests.options import CRONJOB_MAX_NAME, K8sOptions, Source
from cprofiler.manifests.recommend import recommend
from cprofiler.manifests.sizing import Sizing
from cprofiler.results.model import ImageResult, Measurement

#: Oldest Kubernetes release whose OpenAPI schema every manifest is checked against in the tests.
TARGET_KUBERNETES_VERSION = "1.30"


@dataclass(frozen=True)
class Skipped:
    """A selected image that gets no manifest, and why."""

    image_name: str
    reason: str


def skip_reason(image: ImageResult) -> str | None:
    """Why ``image`` gets no manifest, or None: a batch job (exit probe) whose results hold no
    lifetime peak, because they were written before cprofiler recorded it or where per-run
    cgroups were not available (its cgroup is gone once it is ready)."""
    if image.kind == "exit" and not image.values("lifetime_peak_bytes"):
        return (
            f"image {image.name!r} skipped: an exit-probe image is a batch job, and its runs have no "
            "lifetime_peak_bytes to size it (measure it again on a local engine with the cgroupfs driver, as root)"
        )
    return None


def select(measurement: Measurement, options: K8sOptions) -> list[ImageResult]:
    """The images ``--only`` names (every image without it), in the results' order.

    The runtime floor is not an image to deploy. Raise UsageError for a name that is not an
    image, for an empty measurement, and for ``--name`` with more than one image selected.
    """
    source = options.results_file
    if not measurement.images:
        raise UsageError(f"{source}: has no images; was the measurement interrupted before the first image?")
    known = [i.name for i in measurement.images]
    for name in options.only:
        if name not in known:
            raise UsageError(f"--only {name!r}: no such image in {source}; expected one of: {', '.join(known)}")
    chosen = [i for i in measurement.images if not options.only or i.name in options.only]
    if options.name is not None and len(chosen) > 1:
        raise UsageError(
            f"--name {options.name!r} names one workload, but {len(chosen)} images are selected "
            f"({', '.join(i.name for i in chosen)}); add --only IMAGE to pick one, or leave --name out "
            "to name each workload after its image"
        )
    return chosen


def recommend_all(measurement: Measurement, options: K8sOptions) -> list[Sizing | Skipped]:
    """A recommendation, or why there is none, for every selected image, in the results' order.

    Raise CprofilerError when two images would become workloads of one kind and name.
    """
    source = Source.of(measurement, options)
    out: list[Sizing | Skipped] = []
    owners: dict[str, str] = {}
    for image in select(measurement, options):
        # With --at-rate, a failed phase is a usage error (exit 2) from recommend, not a skip.
        reason = skip_reason(image) or (None if options.from_idle or options.at_rate is not None else failed.refusal(image))
        if reason is not None:
            out.append(Skipped(image.name, reason))
            continue
        rec = recommend(image, options, source)
        # Unique names, whatever the kind: a Job and a Deployment of one name would still
        # confuse everyone reading `kubectl get all`.
        key = rec.workload_name
        if key in owners:
            raise CprofilerError(
                f"{source.results_file}: images {owners[key]!r} and {rec.image_name!r} both become {rec.workload_name!r} "
                "as Kubernetes names; rename one in the scenario file"
            )
        if rec.kind == "CronJob" and len(rec.workload_name) > CRONJOB_MAX_NAME:
            raise UsageError(
                f"--schedule: the CronJob name {rec.workload_name!r} is longer than {CRONJOB_MAX_NAME} characters "
                "(its Jobs add 11); give a shorter --name, with --only IMAGE"
            )
        owners[key] = rec.image_name
        out.append(rec)
    return out


def render(measurement: Measurement, fmt: str, options: K8sOptions, *, index: bool = False) -> dict[str, str]:
    """Render the selected images of ``measurement`` in format ``fmt``: file name → YAML text with
    its header, one file per image in the results' order; with ``index``, then the format's files
    that list the others (``kustomization.yaml``).

    Raise UsageError for an unknown format or selection, CprofilerError for an image that cannot
    be recommended for.
    """
    # Imported here, not at the top: the resources format imports dump_yaml from this module, and
    # importing the registry imports every format (cprofiler.manifests.formats registers them).
    from cprofiler.manifests.formats.registry import FORMATS, format_names

    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r} is unknown; choose one of: {format_names()}")
    spec = FORMATS[fmt]
    recs = [r for r in recommend_all(measurement, options) if isinstance(r, Sizing)]
    files: dict[str, str] = {}
    for rec in recs:
        filename = spec.file_name(rec)
        lines = header.short(rec, filename, fmt, spec.hint(rec, options), measurement.interrupted, explain=options.explain)
        if options.explain:
            lines += header.explanation(rec, measurement.interrupted, spec.usage(rec, options))
        files[filename] = comment(lines) + "---\n".join(dump_yaml(doc) for doc in spec.documents(rec, options))
    if index and recs:
        files.update(spec.index(recs, list(files), options))
    return files


def comment(lines: list[str]) -> str:
    """``lines`` as a YAML comment block, each folded to at most 120 characters with its ``# ``
    (:func:`cprofiler.manifests.header.wrap`); a line break or control character inside a line (a
    results value quoted in it) is written escaped, so nothing after ``#`` can become YAML."""
    return escape.comment(header.wrap([escape.comment_text(line) for line in lines]))


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
