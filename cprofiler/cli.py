"""The command line: options in, one call out, exit code back.

Each command's work lives in ``cprofiler.commands``; this module declares the commands (their
options are declared once in ``cli_options``, the measurement's settings are generated from
``RunSettings`` by ``cli_kit.setting_options``), builds the typed object a command takes, and turns
cprofiler's errors into one line on stderr and an exit code (a traceback only with ``--verbose``).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from cprofiler import __version__
from cprofiler import cli_options as opt
from cprofiler.cli_choices import COMPARE_FORMATS
from cprofiler.cli_kit import Command, Group, epilog, setting_options
from cprofiler.errors import CprofilerError
from cprofiler.manifests.defaults import DEFAULT_HEADROOM, DEFAULT_MARGIN, DEFAULT_MAX_REPLICAS, DEFAULT_MIN_REPLICAS

app = typer.Typer(
    name="cprofiler",
    help="Measure container cold start and memory on a real Docker engine, and compare images.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    cls=Group,
)

_state = {"verbose": False}

#: Every command: a cprofiler error it can explain is one line on stderr and one of these.
_INTERRUPTED = "130 interrupted (Ctrl-C)."
MEASURE_EXITS = (
    "0 every run ended ok and every budget was kept; 1 a run did not end ok (unless --allow-failed-runs), a budget "
    "was exceeded, or the engine or a build failed; 2 bad input (scenario file, flag); 130 Ctrl-C, 143 SIGTERM, 129 SIGHUP "
    "(finished runs are kept)."
)
REPORT_EXITS = (
    "0 rendered (report does not judge the figures: measure and compare do); 2 bad input (not a results file or a "
    f"malformed one, a flag, an output file that cannot be written); {_INTERRUPTED}"
)
COMPARE_EXITS = (
    "0 compared and no --fail-on rule broken; 1 a --fail-on rule broken or with nothing to check (no image in both "
    "files, no verdict on its metric); 2 bad input (results file, rule, flag, "
    f"output file); {_INTERRUPTED}"
)
K8S_EXITS = (
    "0 written; 1 nothing to base a manifest on (no ok run, every image skipped); 2 bad input (results file, "
    f"flag, an --output-dir that is a symlink or cannot be written, a file in it that is not a regular file); {_INTERRUPTED}"
)
ENGINE_EXITS = f"0 done; 1 the engine (or a build) failed; 2 bad input (flag, recipe, Docker context); {_INTERRUPTED}"


def _run(fn: Callable[[], int]) -> NoReturn:
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


def _format_for(output: Path | None, offered: Collection[str] | None = None) -> str:
    """``r.json`` means JSON, ``r.md`` Markdown, ``r.csv`` CSV, ``r.prom`` openmetrics (where
    ``offered``); anything else the table."""
    from cprofiler.commands.output import format_for

    return format_for(output, offered)


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
    cls=Command,
    epilog=epilog(
        "cprofiler measure scenarios.yaml",
        "cprofiler measure examples/offline.yaml --runs 5 -o r.json",
        "cprofiler measure scenarios.yaml --only go --runs 30 --format markdown",
        "cprofiler measure scenarios.yaml -o r.json --resume r.jsonl   # after Ctrl-C",
        "cprofiler measure scenarios.yaml --backend kubernetes --node 127.0.0.1   # every run a Pod",
        "cprofiler measure scenarios.yaml --backend kubernetes --node 127.0.0.1 --registry 127.0.0.1:5000/cp --cold image",
        exits=MEASURE_EXITS,
    ),
)
@setting_options()
def measure(  # noqa: PLR0913 - a Typer command declares its options as its parameters
    scenario_file: opt.ScenarioFile,
    only: opt.Only = None,
    shuffle: opt.Shuffle = False,
    offline: opt.Offline = False,
    cold: opt.Cold = "warm",
    floor: opt.Floor = True,
    fmt: opt.MeasureFormat = None,
    output: opt.MeasureOutput = None,
    quiet: opt.Quiet = False,
    k8s_dir: opt.K8sDir = None,
    allow_failed_runs: opt.AllowFailedRuns = False,
    resume: opt.Resume = None,
    wide: opt.Wide = False,
    *,
    setting_flags: dict[str, Any],
) -> None:
    """Build each image, start it many times, and print the comparison table.

    It ends, on stderr, with where the results are, a verdict line and the commands that read them next.
    """
    from cprofiler.commands.measure import MeasureOptions, measure_command
    from cprofiler.report import table as table_format

    opts = MeasureOptions(
        scenario_file=scenario_file,
        setting_flags=setting_flags,
        fmt=fmt if fmt is not None else _format_for(output),
        output=output,
        only=only or [],
        offline=offline,
        cold=cold,
        floor=floor,
        shuffle=shuffle,
        quiet=quiet,
        k8s_dir=k8s_dir,
        resume=resume,
        allow_failed_runs=allow_failed_runs,
    )
    # A table written to --output is a file and stays plain text, whatever stdout is.
    with table_format.terminal(wide=wide, enabled=not (output is not None and opts.fmt == "table")):
        _run(lambda: measure_command(opts))


@app.command(
    name="report",
    cls=Command,
    epilog=epilog(
        "cprofiler report r.json --format markdown",
        "cprofiler report .cprofiler/run-….jsonl",
        "cprofiler report r.json -o r.csv",
        "cprofiler report r.json --html report.html",
        exits=REPORT_EXITS,
    ),
)
def report_(
    results_file: opt.ResultsFile,
    fmt: opt.ReportFormat = None,
    output: opt.OutputFile = None,
    html: opt.Html = None,
    wide: opt.Wide = False,
) -> None:
    """Render a saved results file again, in any format."""
    from cprofiler.commands.plot import html_command
    from cprofiler.commands.report import report_command
    from cprofiler.report import table as table_format

    if html is not None:
        _run(lambda: html_command(results_file, html))
    chosen = fmt if fmt is not None else _format_for(output)
    with table_format.terminal(wide=wide, enabled=not (output is not None and chosen == "table")):
        _run(lambda: report_command(results_file, chosen, output))


@app.command(
    cls=Command,
    epilog=epilog(
        "cprofiler compare before.json after.json",
        "cprofiler compare main.json pr.jsonl --format markdown -o comparison.md",
        "cprofiler compare main.json pr.json --fail-on ready_ms:+10% --fail-on working_set_bytes:+5%",
        exits=COMPARE_EXITS,
    ),
)
def compare(
    before: opt.Before,
    after: opt.After,
    fmt: opt.CompareFormat = None,
    output: opt.OutputFile = None,
    fail_on: opt.FailOn = None,
) -> None:
    """Compare two results files image by image: medians, change with its interval, verdict."""
    from cprofiler.commands.compare import compare_command

    chosen = fmt if fmt is not None else _format_for(output, COMPARE_FORMATS)
    _run(lambda: compare_command(before, after, chosen, output, fail_on or []))


@app.command(
    cls=Command,
    epilog=epilog(
        "cprofiler k8s r.json --format deployment",
        "cprofiler k8s r.json --format deployment --only web --name shop-web",
        "cprofiler k8s r.json --format kustomize --only web --name web --container app --output-dir k8s/",
        "cprofiler k8s r.json --format helm --margin 0.25 --cpu-limit 500m",
        "cprofiler k8s r.json --format deployment --only web --at-rate 400 --max-replicas 20",
        "cprofiler k8s r.json --summary table",
        "cprofiler k8s r.json --format deployment --only web --explain",
        exits=K8S_EXITS,
    ),
)
def k8s(  # noqa: PLR0913 - a Typer command declares its options as its parameters
    results_file: opt.ResultsFile,
    fmt: opt.K8sFormat = "resources",
    output_dir: opt.OutputDir = None,
    summary: opt.Summary = None,
    explain: opt.Explain = False,
    only: opt.OnlyImage = None,
    name: opt.WorkloadName = None,
    container: opt.ContainerName = None,
    part_of: opt.PartOf = None,
    margin: opt.Margin = DEFAULT_MARGIN,
    cpu_limit: opt.CpuLimit = None,
    schedule: opt.Schedule = None,
    kustomize_base: opt.KustomizeBase = None,
    at_rate: opt.AtRate = None,
    hpa: opt.Hpa = True,
    from_idle: opt.FromIdle = False,
    min_replicas: opt.MinReplicas = DEFAULT_MIN_REPLICAS,
    max_replicas: opt.MaxReplicas = DEFAULT_MAX_REPLICAS,
    hpa_headroom: opt.HpaHeadroom = DEFAULT_HEADROOM,
) -> None:
    """Kubernetes requests, limits, probes and workloads from a results file, one manifest per image."""
    from cprofiler.commands.k8s import k8s_command
    from cprofiler.manifests.options import K8sOptions

    def body() -> int:
        # Built inside _run: a flag K8sOptions refuses is a UsageError, one line and exit 2.
        options = K8sOptions(
            margin=margin,
            cpu_limit=cpu_limit,
            name=name,
            container=container,
            only=tuple(only or ()),
            schedule=schedule,
            part_of=part_of,
            kustomize_resources=tuple(kustomize_base or ()) or K8sOptions.kustomize_resources,
            at_rate=at_rate,
            hpa=hpa,
            from_idle=from_idle,
            min_replicas=min_replicas,
            max_replicas=max_replicas,
            hpa_headroom=hpa_headroom,
            explain=explain,
        )
        return k8s_command(results_file, fmt, options, output_dir=output_dir, summary=summary)

    _run(body)


@app.command(
    cls=Command,
    epilog=(
        "Examples:\n\n"
        "  cprofiler plot r.json -o report.html\n\n"
        "  cprofiler plot r.json -o charts.svg                  # charts-cold-start.svg, charts-memory.svg, …\n\n"
        "  cprofiler plot r.json -o cold.png --chart cold-start"
    ),
)
def plot(results_file: opt.ResultsFile, output: opt.PlotOutput = None, charts: opt.Charts = None) -> None:
    """Charts of a results file: cold start, memory, size, start against memory, load; needs cprofiler\\[plot].

    Exit 1 when matplotlib is missing (the message says how to install it), 2 for a bad flag or results file.
    """
    from cprofiler.commands.plot import plot_command

    _run(lambda: plot_command(results_file, output, charts or []))


@app.command(
    cls=Command,
    epilog=(
        "Examples:\n\n"
        "  cprofiler recommend r.json\n\n"
        "  cprofiler recommend r.json --prefer memory --max-start 500ms\n\n"
        "  cprofiler recommend r.json --weights start=2,memory=1,size=0 --format json"
    ),
)
def recommend(  # noqa: PLR0913 - a Typer command declares its options as its parameters
    results_file: opt.ResultsFile,
    prefer: opt.Prefer = None,
    weights: opt.Weights = None,
    max_start: opt.MaxStart = None,
    max_memory: opt.MaxMemory = None,
    max_size: opt.MaxSize = None,
    min_qps: opt.MinQps = None,
    fmt: opt.RecommendFormat = "text",
) -> None:
    """Which image: the ranking on your criteria, the Pareto set, one choice and how sure it is.

    Exit 1 when the limits leave no image, 2 for a bad flag or results file.
    """
    from cprofiler.commands.recommend import recommend_command

    limits = {"--max-start": max_start, "--max-memory": max_memory, "--max-size": max_size, "--min-qps": min_qps}
    _run(lambda: recommend_command(results_file, prefer, weights, limits, fmt))


@app.command(
    cls=Command,
    epilog=epilog(
        "cprofiler claims docs/claims/article.yaml",
        "cprofiler claims docs/claims/article.yaml --format json -o claims.json",
        exits=f"0 every claim judged (a refuted claim is a finding); 2 bad input (claims or results file, flag); {_INTERRUPTED}",
    ),
)
def claims(
    claims_file: Annotated[Path, typer.Argument(help="Claims YAML: what a text states and which results measure it.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="markdown (one table per claims table) or json.")] = "markdown",
    output: opt.OutputFile = None,
) -> None:
    """Check a text's claims against results files: each figure measured here, its ratio to the text's, a verdict."""
    from cprofiler.commands.claims import claims_command

    _run(lambda: claims_command(claims_file, fmt, output))


@app.command(
    cls=Command,
    epilog=epilog(
        "cprofiler clean",
        "cprofiler clean --all",
        "cprofiler clean --images --dry-run",
        "cprofiler clean --images --bases",
        exits=ENGINE_EXITS,
    ),
)
def clean(  # noqa: PLR0913 - a Typer command declares its options as its parameters
    all_: opt.CleanAll = False,
    images: opt.CleanImages = False,
    bases: opt.CleanBases = False,
    dry_run: opt.DryRun = False,
    backend: opt.CleanBackend = None,
    context: opt.CleanContext = None,
    namespace: opt.CleanNamespace = None,
) -> None:
    """Remove containers (or, with --backend kubernetes, pods) that killed cprofiler invocations left
    behind (found by label); with --images, the images cprofiler built."""
    from cprofiler.commands.clean import clean_command, clean_pods_command

    if backend == "kubernetes":
        _run(lambda: clean_pods_command(all_, context, namespace))
    _run(lambda: clean_command(all_, images, bases, dry_run))


bases_app = typer.Typer(
    help="Offline stand-ins for base images that cannot be pulled (built from a Debian mirror).",
    no_args_is_help=True,
    cls=Group,
)
app.add_typer(bases_app, name="bases")


@bases_app.command("list", cls=Command, epilog=epilog("cprofiler bases list", exits=ENGINE_EXITS))
def bases_list(mirror: opt.Mirror = None) -> None:
    """Each recipe, what it stands in for, whether it is built, its tag, size and what it lacks."""
    from cprofiler.commands.bases import list_command

    _run(lambda: list_command(mirror))


@bases_app.command(
    "build", cls=Command, epilog=epilog("cprofiler bases build", "cprofiler bases build musl-python --force", exits=ENGINE_EXITS)
)
def bases_build(
    names: opt.Recipes = None, mirror: opt.Mirror = None, force: opt.Force = False, quiet: opt.BasesQuiet = False
) -> None:
    """Build stand-in bases (and what they build FROM), reusing any already built."""
    from cprofiler.commands.bases import build_command

    _run(lambda: build_command(names or [], mirror, force, quiet))


def main() -> None:
    app()
