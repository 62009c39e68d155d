"""``cprofiler k8s``: Kubernetes requests, limits, probes and workloads from a results file."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from cprofiler.errors import CprofilerError
from cprofiler.manifests.options import K8sOptions, Source
from cprofiler.manifests.render import Skipped, recommend_all, render, yaml_stream
from cprofiler.results import files as output_files
from cprofiler.results import runlog


def write_manifests(files: Mapping[str, str], output_dir: Path) -> list[Path]:
    """Write each rendered file into ``output_dir`` (created if missing, files overwritten)."""
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in files.items():
            target = output_dir / name
            output_files.write_replacing(target, text, "--output-dir")  # never through a planted symlink
            written.append(target)
    except OSError as exc:
        raise CprofilerError(f"--output-dir {output_dir}: cannot write ({exc.strerror or exc})") from exc
    return written


def file_sha256(path: Path) -> str | None:
    """SHA-256 of the file's bytes, hex, for the provenance annotations; None if it cannot be read."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def k8s_command(
    results_path: Path,
    fmt: str,
    output_dir: Path | None,
    margin: float,
    cpu_limit: str | None,
    name: str | None,
    container: str | None,
    *,
    only: Sequence[str] = (),
    schedule: str | None = None,
    part_of: str | None = None,
    kustomize_resources: Sequence[str] = (),
    summary: str | None = None,
    at_rate: float | None = None,
    hpa: bool = True,
    min_replicas: int = K8sOptions.min_replicas,
    max_replicas: int = K8sOptions.max_replicas,
    hpa_headroom: float = K8sOptions.hpa_headroom,
) -> int:
    """Render ``results_path`` in format ``fmt``: one file per selected image (and the format's
    index, ``kustomization.yaml``) into ``output_dir``, or one YAML stream on stdout when it is
    ``None``. With ``summary``, print that summary on stdout instead of the stream. Return 0.

    ``results_path`` is a results JSON, or the JSON Lines file of an interrupted measurement.
    ``cpu_limit``: None for none, ``"measured"`` for the scenario's ``cpus:``, else a quantity such
    as ``500m``. ``at_rate``: the load-phase rate to size at (None: the highest within the SLO);
    ``hpa``, ``min_replicas``, ``max_replicas``, ``hpa_headroom``: the HorizontalPodAutoscaler of
    images sized under load.
    """
    options = K8sOptions(
        margin=margin,
        cpu_limit=cpu_limit,
        name=name,
        container=container,
        only=tuple(only),
        schedule=schedule,
        part_of=part_of,
        kustomize_resources=tuple(kustomize_resources) or K8sOptions.kustomize_resources,
        at_rate=at_rate,
        hpa=hpa,
        min_replicas=min_replicas,
        max_replicas=max_replicas,
        hpa_headroom=hpa_headroom,
        results_file=str(results_path),
        results_sha256=file_sha256(results_path),
    )
    measurement = runlog.load(results_path)
    summarize = None
    if summary is not None:
        from cprofiler.manifests.summary.registry import SUMMARIES

        summarize = SUMMARIES.get(summary)
    recs = recommend_all(measurement, options)
    for rec in recs:
        if isinstance(rec, Skipped):
            print(f"cprofiler: {rec.reason}", file=sys.stderr)
    if all(isinstance(rec, Skipped) for rec in recs):
        raise CprofilerError(f"{results_path}: nothing to write, every selected image was skipped (see above)")
    if output_dir is not None or summarize is None:
        files = render(measurement, fmt, options, index=True)
        if output_dir is None:
            sys.stdout.write(yaml_stream(files))
        else:
            for path in write_manifests(files, output_dir):
                print(f"wrote {path}", file=sys.stderr)
    if summarize is not None:
        sys.stdout.write(summarize(recs, Source.of(measurement, options)))
    return 0
