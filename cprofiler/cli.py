"""The command line: options in, one call out, exit code back.

Each command's work lives in ``cprofiler.commands``; this module only declares options and turns
cprofiler's errors into one line on stderr and an exit code (a traceback only with ``--verbose``).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from cprofiler import __version__, report
from cprofiler.errors import CprofilerError
from cprofiler.k8s.formats.registry import FORMATS as K8S_FORMATS
from cprofiler.k8s.formats.registry import formats_help
from cprofiler.k8s.summary.registry import SUMMARIES as K8S_SUMMARIES
from cprofiler.measure import cold as cold_levels

app = typer.Typer(
    name="cprofiler",
    help="Measure container cold start and memory on a real Docker engine, and compare images.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

Format = Enum("Format", {n: n for n in report.names()}, type=str)  # type: ignore[misc]
FORMAT_HELP = "Output format: " + ", ".join(report.names()) + "."
Cold = Enum("Cold", {n: n for n in cold_levels.names()}, type=str)  # type: ignore[misc]
K8sFormat = Enum("K8sFormat", {n: n for n in sorted(K8S_FORMATS)}, type=str)  # type: ignore[misc]
Backend = Enum("Backend", {n: n for n in ("docker", "kubernetes")}, type=str)  # type: ignore[misc]
K8sSummary = Enum("K8sSummary", {n: n for n in K8S_SUMMARIES}, type=str)  # type: ignore[misc]

_state = {"verbose": False}


def _run(fn: Callable[[], int]) -> None:
    """Run a command body; map cprofiler's errors to one line and an exit code."""
    try:
        code = fn()
    except CprofilerError as exc:
        if _state["verbose"]:
            traceback.print_exc()
        print(f"cprofiler: {exc}", file=sys.stderr)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        print("cprofiler: interrupted", file=sys.stderr)
        raise typer.Exit(130) from None
    raise typer.Exit(code)


def _format_for(output: Path | None) -> str:
    """``r.json`` means JSON, ``r.md`` Markdown, ``r.csv`` CSV; anything else the table."""
    suffix = output.suffix.lower() if output is not None else ""
    return {".json": "json", ".md": "markdown", ".csv": "csv"}.get(suffix, "table")


def _key_values(flag: str, items: list[str] | None) -> dict[str, str] | None:
    """``["k=v", …]`` → ``{"k": "v"}``; a BadParameter naming ``flag`` for an item without ``=``."""
    if not items:
        return None
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint=flag)
        out[key] = value
    return out


def _version(value: bool) -> None:
    if value:
        print(f"cprofiler {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_options(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks of errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    _state["verbose"] = verbose


@app.command(
    epilog=(
        "Examples:\n\n"
        "  cprofiler measure scenarios.yaml\n\n"
        "  cprofiler measure examples/offline.yaml --runs 5 --format json --output r.json\n\n"
        "  cprofiler measure scenarios.yaml --only go --runs 30 --format markdown\n\n"
        "  cprofiler measure scenarios.yaml --output r.json --resume r.jsonl   # after Ctrl-C\n\n"
        "  cprofiler measure scenarios.yaml --backend kubernetes --node 127.0.0.1   # every run a Pod"
    )
)
def measure(
    scenario_file: Annotated[Path, typer.Argument(help="Scenario YAML file (it is code: it names images to build and run).")],
    runs: Annotated[
        int | None, typer.Option(min=1, help="Measured runs per image (overrides the file).", rich_help_panel="Runs")
    ] = None,
    warmup: Annotated[int | None, typer.Option(min=0, help="Unmeasured runs per image first.", rich_help_panel="Runs")] = None,
    settle: Annotated[
        float | None, typer.Option(min=0, help="Seconds after ready before sampling memory.", rich_help_panel="Runs")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(min=0.001, help="Seconds an image may take to become ready.", rich_help_panel="Runs")
    ] = None,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Measure only this image (repeatable).", rich_help_panel="Runs")
    ] = None,
    shuffle: Annotated[bool, typer.Option(help="Shuffle the image order within each round.", rich_help_panel="Runs")] = False,
    seed: Annotated[int | None, typer.Option(help="Seed for --shuffle (same seed, same order).", rich_help_panel="Runs")] = None,
    offline: Annotated[bool, typer.Option(help="Never try to pull base images.", rich_help_panel="Images")] = False,
    cold: Annotated[Cold, typer.Option(help=cold_levels.help_text(), rich_help_panel="Cold start")] = Cold["warm"],  # type: ignore[misc]
    floor: Annotated[
        bool,
        typer.Option(
            "--floor/--no-floor",
            help="Also run the runtime floor (an empty container) each round; the table's app start subtracts it.",
            rich_help_panel="Cold start",
        ),
    ] = True,
    fmt: Annotated[
        Format | None,  # type: ignore[valid-type]
        typer.Option(
            "--format", "-f", help=FORMAT_HELP + " Default: from --output's suffix, else table.", rich_help_panel="Output"
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the --format output here; every run also goes to a .jsonl beside it.",
            rich_help_panel="Output",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.", rich_help_panel="Output")] = False,
    k8s_dir: Annotated[
        Path | None,
        typer.Option(
            "--k8s", help="Also write Kubernetes Deployments (one per image) into this folder.", rich_help_panel="Output"
        ),
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option(
            "--resume",
            metavar="RESULTS.jsonl",
            help="Continue this interrupted measurement of the same scenario: its settings, its file, no run repeated.",
            rich_help_panel="Runs",
        ),
    ] = None,
    backend: Annotated[
        Backend | None,  # type: ignore[valid-type]
        typer.Option(
            help="Where runs run: docker (the local engine) or kubernetes (one Pod per run; images must be on the node).",
            rich_help_panel="Kubernetes",
        ),
    ] = None,
    context: Annotated[
        str | None, typer.Option(help="Kubeconfig context (default: its current one).", rich_help_panel="Kubernetes")
    ] = None,
    namespace: Annotated[
        str | None,
        typer.Option(help="Namespace of the pods (default: the context's, else default).", rich_help_panel="Kubernetes"),
    ] = None,
    node: Annotated[
        str | None,
        typer.Option(help="Bind every pod to this node (spec.nodeName; no scheduler needed).", rich_help_panel="Kubernetes"),
    ] = None,
    node_selector: Annotated[
        list[str] | None,
        typer.Option(
            "--node-selector",
            metavar="KEY=VALUE",
            help="Let the scheduler pick a node with this label (repeatable).",
            rich_help_panel="Kubernetes",
        ),
    ] = None,
) -> None:
    """Build each image, start it many times, and print the comparison table."""
    from cprofiler.commands.measure import MeasureOptions, measure_command

    opts = MeasureOptions(
        scenario_file=scenario_file,
        # Every flag that sets a RunSettings field, by its name there (see cprofiler/settings.py).
        setting_flags={
            "--runs": runs,
            "--warmup": warmup,
            "--settle": settle,
            "--timeout": timeout,
            "--seed": seed,
            "--backend": backend.value if backend is not None else None,
            "--context": context,
            "--namespace": namespace,
            "--node": node,
            "--node-selector": _key_values("--node-selector", node_selector),
        },
        fmt=fmt.value if fmt is not None else _format_for(output),
        output=output,
        only=only or [],
        offline=offline,
        cold=cold.value,
        floor=floor,
        shuffle=shuffle,
        quiet=quiet,
        k8s_dir=k8s_dir,
        resume=resume,
    )
    _run(lambda: measure_command(opts))


@app.command(
    name="report", epilog="Examples:\n\n  cprofiler report r.json --format markdown\n\n  cprofiler report .cprofiler/run-….jsonl"
)
def report_(
    results_file: Annotated[Path, typer.Argument(help="Results JSON, or the .jsonl of an interrupted run.")],
    fmt: Annotated[Format, typer.Option("--format", "-f", help=FORMAT_HELP)] = Format["table"],  # type: ignore[misc]
) -> None:
    """Render a saved results file again, in any format."""
    from cprofiler.commands.report import report_command

    _run(lambda: report_command(results_file, fmt.value))


@app.command(
    epilog=(
        "Examples:\n\n"
        "  cprofiler k8s r.json --format deployment\n\n"
        "  cprofiler k8s r.json --format deployment --only web --name shop-web\n\n"
        "  cprofiler k8s r.json --format kustomize --only web --name web --container app --output-dir k8s/\n\n"
        "  cprofiler k8s r.json --format helm --margin 0.25 --cpu-limit 500m\n\n"
        "  cprofiler k8s r.json --summary table"
    )
)
def k8s(
    results_file: Annotated[Path, typer.Argument(help="Results JSON, or the .jsonl of an interrupted run.")],
    fmt: Annotated[K8sFormat, typer.Option("--format", "-f", help=formats_help(), rich_help_panel="Output")] = K8sFormat[  # type: ignore[misc]
        "resources"
    ],
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir", "-o", help="One file per image here; default: one YAML stream on stdout.", rich_help_panel="Output"
        ),
    ] = None,
    summary: Annotated[
        K8sSummary | None,
        typer.Option(
            "--summary",
            help="Print the recommendations as a " + " or ".join(K8S_SUMMARIES) + " on stdout (instead of the YAML stream).",
            rich_help_panel="Output",
        ),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only", metavar="IMAGE", help="Only this image (repeatable); default: every image.", rich_help_panel="Names"
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            "--deployment",
            help="Workload to name or patch, with one image selected (--only); default: each image's name.",
            rich_help_panel="Names",
        ),
    ] = None,
    container: Annotated[
        str | None, typer.Option(help="Container to name or patch; default: the image name.", rich_help_panel="Names")
    ] = None,
    part_of: Annotated[
        str | None,
        typer.Option("--part-of", help="Set the app.kubernetes.io/part-of label to this application.", rich_help_panel="Names"),
    ] = None,
    margin: Annotated[
        float,
        typer.Option(
            min=0,
            max=10,
            help="Safety margin on every measured figure: 0.15 is 15 % (the VPA's default).",
            rich_help_panel="Sizing",
        ),
    ] = 0.15,
    cpu_limit: Annotated[
        str | None,
        typer.Option(
            "--cpu-limit",
            metavar="QUANTITY|measured",
            help="Add a CPU limit: a quantity (500m, 1), or 'measured' (the scenario's cpus). Default: none.",
            rich_help_panel="Sizing",
        ),
    ] = None,
    schedule: Annotated[
        str | None,
        typer.Option(
            "--schedule",
            metavar="CRON",
            help="Write exit-probed images as CronJobs on this schedule (else Jobs).",
            rich_help_panel="Batch",
        ),
    ] = None,
    kustomize_base: Annotated[
        list[str] | None,
        typer.Option(
            "--kustomize-base",
            metavar="PATH",
            help="resources: of the generated kustomization.yaml (repeatable); default: ../base.",
            rich_help_panel="Output",
        ),
    ] = None,
) -> None:
    """Kubernetes requests, limits, probes and workloads from a results file, one manifest per image."""
    from cprofiler.commands.k8s import k8s_command

    _run(
        lambda: k8s_command(
            results_file,
            fmt.value,
            output_dir,
            margin,
            cpu_limit,
            name,
            container,
            only=only or (),
            schedule=schedule,
            part_of=part_of,
            kustomize_resources=kustomize_base or (),
            summary=summary.value if summary is not None else None,
        )
    )


@app.command(epilog="Examples:\n\n  cprofiler clean\n\n  cprofiler clean --all")
def clean(
    all_: Annotated[bool, typer.Option("--all", help="Remove every cprofiler container, even of live invocations.")] = False,
    backend: Annotated[
        Backend | None,  # type: ignore[valid-type]
        typer.Option(help="kubernetes: delete pods instead of containers (in --namespace of --context)."),
    ] = None,
    context: Annotated[str | None, typer.Option(help="Kubeconfig context (with --backend kubernetes).")] = None,
    namespace: Annotated[str | None, typer.Option(help="Namespace (with --backend kubernetes).")] = None,
) -> None:
    """Remove containers (or pods) that killed cprofiler invocations left behind (found by label)."""
    from cprofiler.commands.clean import clean_command, clean_pods_command

    if backend is not None and backend.value == "kubernetes":
        _run(lambda: clean_pods_command(all_, context, namespace))
    else:
        _run(lambda: clean_command(all_))


bases_app = typer.Typer(
    help="Offline stand-ins for base images that cannot be pulled (built from a Debian mirror).", no_args_is_help=True
)
app.add_typer(bases_app, name="bases")
MIRROR_HELP = "Debian archive URL; default: $CPROFILER_MIRROR, else this machine's apt configuration."


@bases_app.command("list", epilog="Example:\n\n  cprofiler bases list")
def bases_list(mirror: Annotated[str | None, typer.Option(help=MIRROR_HELP)] = None) -> None:
    """Each recipe, what it stands in for, whether it is built, its tag, size and what it lacks."""
    from cprofiler.commands.bases import list_command

    _run(lambda: list_command(mirror))


@bases_app.command("build", epilog="Examples:\n\n  cprofiler bases build\n\n  cprofiler bases build musl-python --force")
def bases_build(
    names: Annotated[list[str] | None, typer.Argument(help="Recipes to build (default: all).")] = None,
    mirror: Annotated[str | None, typer.Option(help=MIRROR_HELP)] = None,
    force: Annotated[bool, typer.Option(help="Rebuild even if an image with the same inputs exists.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Build stand-in bases (and what they build FROM), reusing any already built."""
    from cprofiler.commands.bases import build_command

    _run(lambda: build_command(names or [], mirror, force, quiet))


def main() -> None:
    app()
