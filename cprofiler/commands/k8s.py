"""``cprofiler k8s``: Kubernetes requests, limits, probes and workloads from a results file."""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from collections.abc import Mapping
from pathlib import Path

from cprofiler.errors import CprofilerError
from cprofiler.manifests import escape, failed
from cprofiler.manifests.options import K8sOptions, Source
from cprofiler.manifests.render import Skipped, recommend_all, render, yaml_stream
from cprofiler.manifests.sizing import Sizing
from cprofiler.results import files as output_files
from cprofiler.results import runlog
from cprofiler.results.model import Measurement


def write_manifests(files: Mapping[str, str], output_dir: Path) -> list[Path]:
    """Write each rendered file into ``output_dir`` (created if missing, files replaced); a symlink
    at ``output_dir`` or at a file's name is refused, never followed (``results.files.OutputDir``)."""
    with output_files.OutputDir(output_dir, "--output-dir") as folder:
        return [folder.write(name, text) for name, text in files.items()]


def file_sha256(path: Path) -> str | None:
    """SHA-256 of the file's bytes, hex, for the summaries; None if it cannot be read."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def k8s_command(
    results_path: Path,
    fmt: str,
    options: K8sOptions,
    *,
    output_dir: Path | None = None,
    summary: str | None = None,
    terminal: bool | None = None,
) -> int:
    """Render ``results_path`` in format ``fmt``: one file per selected image (and the format's
    index, ``kustomization.yaml``) into ``output_dir``, or one YAML stream on stdout when it is
    ``None``. With ``summary``, print that summary on stdout instead of the stream. Return 0.

    On a ``terminal`` (default: stdout is one) and without ``summary``, the summary table comes
    first: as comment lines above the stream, which stays valid YAML, or after the files written.
    ``results_path`` is a results JSON, or the JSON Lines file of an interrupted measurement; the
    summaries name it with its SHA-256 (``options``' own ``results_file`` is replaced).
    """
    from cprofiler.manifests.summary.registry import SUMMARIES

    options = dataclasses.replace(options, results_file=str(results_path), results_sha256=file_sha256(results_path))
    measurement = runlog.load(results_path)
    if terminal is None:
        terminal = sys.stdout.isatty()
    recs = _recommendations(measurement, options, results_path)
    source = Source.of(measurement, options)
    table = SUMMARIES.get("table")(recs, source) if summary is None and terminal else None
    if output_dir is not None or summary is None:
        files = render(measurement, fmt, options, index=True)
        if output_dir is None:
            sys.stdout.write((escape.comment(table.splitlines()) if table else "") + yaml_stream(files))
        else:
            for path in write_manifests(files, output_dir):
                print(f"wrote {path}", file=sys.stderr)
            if table:
                sys.stdout.write(table)
    if summary is not None:
        sys.stdout.write(SUMMARIES.get(summary)(recs, source))
    return 0


def _recommendations(measurement: Measurement, options: K8sOptions, results_path: Path) -> list[Sizing | Skipped]:
    """The sizing of every selected image (:func:`say_why`), and CprofilerError when every one was skipped."""
    recs = say_why(measurement, options)
    if all(isinstance(rec, Skipped) for rec in recs):
        raise CprofilerError(f"{results_path}: nothing to write, every selected image was skipped (see above)")
    return recs


def say_why(measurement: Measurement, options: K8sOptions) -> list[Sizing | Skipped]:
    """The sizing of every selected image; why each skipped one was skipped (a failed load phase
    among them) and a WARNING for each sized from idle figures by ``--from-idle`` go to stderr."""
    recs = recommend_all(measurement, options)
    images = {i.name: i for i in measurement.images}
    for rec in recs:
        if isinstance(rec, Skipped):
            print(f"cprofiler: {rec.reason}", file=sys.stderr)
        elif (warning := failed.warning(images[rec.image_name])) is not None:
            print(f"cprofiler: {warning}", file=sys.stderr)
    return recs
