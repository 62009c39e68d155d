"""``cprofiler k8s``: Kubernetes requests, limits and probes from a results file."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from cprofiler.errors import CprofilerError
from cprofiler.k8s.recommend import K8sOptions
from cprofiler.k8s.render import render, skip_reason, yaml_stream
from cprofiler.results import runlog


def write_manifests(files: Mapping[str, str], output_dir: Path) -> list[Path]:
    """Write each rendered file into ``output_dir`` (created if missing, files overwritten)."""
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in files.items():
            target = output_dir / name
            target.write_text(text, encoding="utf-8")
            written.append(target)
    except OSError as exc:
        raise CprofilerError(f"--output-dir {output_dir}: cannot write ({exc.strerror or exc})") from exc
    return written


def k8s_command(
    results_path: Path,
    fmt: str,
    output_dir: Path | None,
    margin: float,
    cpu_limit: str | None,
    deployment: str | None,
    container: str | None,
) -> int:
    """Render ``results_path`` in format ``fmt``: one file per image into ``output_dir``, or one
    YAML stream on stdout when it is ``None``. Return 0.

    ``results_path`` is a results JSON, or the JSON Lines file of an interrupted measurement.
    ``cpu_limit``: None for none, ``"measured"`` for the scenario's ``cpus:``, else a quantity such
    as ``500m``.
    """
    options = K8sOptions(
        margin=margin,
        cpu_limit=cpu_limit,
        deployment=deployment,
        container=container,
        results_file=str(results_path),
    )
    measurement = runlog.load(results_path)
    for image in measurement.images:
        reason = skip_reason(image)
        if reason:
            print(f"cprofiler: {reason}", file=sys.stderr)
    files = render(measurement, fmt, options)
    if output_dir is None:
        sys.stdout.write(yaml_stream(files))
        return 0
    for path in write_manifests(files, output_dir):
        print(f"wrote {path}", file=sys.stderr)
    return 0
