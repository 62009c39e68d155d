"""The command line: options in, one call out, exit code back.

Each command's work lives in ``cprofiler.commands``; this module only declares options and turns
cprofiler's errors into one line on stderr and an exit code (a traceback only with ``--verbose``).
It is long because it is the whole command line in one place (every option, its help and its
panel), which is what a reader of ``--help`` wants to check against; it holds no logic.
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
from cprofiler import compare as compare_formats
from cprofiler.errors import CprofilerError
from cprofiler.manifests.autoscale import DEFAULT_HEADROOM, DEFAULT_MAX_REPLICAS, DEFAULT_MIN_REPLICAS
from cprofiler.manifests.formats.registry import FORMATS as K8S_FORMATS
from cprofiler.manifests.formats.registry import formats_help
from cprofiler.manifests.summary.registry import SUMMARIES as K8S_SUMMARIES
from cprofiler.measure import cold as cold_levels
from cprofiler.recommend.criteria import CRITERIA
from cprofiler.report import table as table_format

app = typer.Typer(
    name="cprofiler",
    help="Measure container cold start and memory on a real Docker engine, and compare images.",
    no_args_is_help=True,
    add_completion=True,
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

WIDE_OPTION = typer.Option(
    "--wide", help="In a terminal, show every column of the table, even wider than the terminal.", rich_help_panel="Output"
)
HTML_OPTION = typer.Option(
    "--html",
    metavar="FILE",
    help="Instead, write one self-contained HTML report (table, charts, notes) to FILE; needs cprofiler\\[plot].",
)


def _epilog(*examples: str, exits: str) -> str:
    """A command's examples and its exit statuses (the same words as the README's *Exit status*)."""
    return "Examples:\n\n" + "\n\n".join(f"  {e}" for e in examples) + f"\n\nExit status: {exits}"


#: Every command: a cprofiler error it can explain is one line on stderr and one of these.
_INTERRUPTED = "130 interrupted (Ctrl-C)."
MEASURE_EXITS = (
    "0 every run ended ok and every budget was kept; 1 a run did not end ok (unless --allow-failed-runs), a budget "
    "was exceeded, or the engine or a build failed; 2 bad input (scenario file, flag); 130 Ctrl-C, 143 SIGTERM "
    "(finished runs are kept)."
)
REPORT_EXITS = (
    "0 rendered (report does not judge the figures: measure and compare do); 2 bad input (not a results file or a "
    f"malformed one, a flag, an output file that cannot be written); {_INTERRUPTED}"
)
COMPARE_EXITS = (
    "0 compared and no --fail-on rule broken; 1 a --fail-on rule broken; 2 bad input (results file, rule, flag, "
    f"output file); {_INTERRUPTED}"
)
K8S_EXITS = f"0 written; 1 the output folder cannot be written; 2 bad input (results file, flag); {_INTERRUPTED}"
ENGINE_EXITS = f"0 done; 1 the engine (or a build) failed; 2 bad input (flag, recipe, Docker context); {_INTERRUPTED}"


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
    from cprofiler.commands.output import format_for

    return format_for(output)


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
    epilog=_epilog(
        "cprofiler measure scenarios.yaml",
        "cprofiler measure examples/offline.yaml --runs 5 -o r.json",
        "cprofiler measure scenarios.yaml --only go --runs 30 --format markdown",
        "cprofiler measure scenarios.yaml -o r.json --resume r.jsonl   # after Ctrl-C",
        "cprofiler measure scenarios.yaml --backend kubernetes --node 127.0.0.1   # every run a Pod",
        "cprofiler measure scenarios.yaml --backend kubernetes --node 127.0.0.1 --registry 127.0.0.1:5000/cp --cold image",
        exits=MEASURE_EXITS,
    )
)
def measure(
    scenario_file: Annotated[Path, typer.Argument(help="Scenario YAML file (it is code: it names images to build and run).")],
    runs: Annotated[
        int | None, typer.Option(min=1, max=100_000, help="Measured runs per image (overrides the file).", rich_help_panel="Runs")
    ] = None,
    warmup: Annotated[
        int | None, typer.Option(min=0, max=10_000, help="Unmeasured runs per image first.", rich_help_panel="Runs")
    ] = None,
    settle: Annotated[
        float | None, typer.Option(min=0, max=3600, help="Seconds after ready before sampling memory.", rich_help_panel="Runs")
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(min=0.001, max=86_400, help="Seconds an image may take to become ready.", rich_help_panel="Runs"),
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
    allow_failed_runs: Annotated[
        bool,
        typer.Option(
            "--allow-failed-runs",
            help="Exit 0 even when runs did not end ok (timeout, crash, OOM); they are still reported.",
            rich_help_panel="Runs",
        ),
    ] = False,
    resume: Annotated[
        Path | None,
        typer.Option(
            "--resume",
            metavar="RESULTS.jsonl",
            help="Continue this interrupted measurement of the same scenario: its settings, its file, no run repeated.",
            rich_help_panel="Runs",
        ),
    ] = None,
    wide: Annotated[bool, WIDE_OPTION] = False,
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
    registry: Annotated[
        str | None,
        typer.Option(
            metavar="HOST[:PORT]/PREFIX",
            help="Push the images there first; pods pull them by digest (--cold image: on every run, timed).",
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
            "--registry": registry,
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
        allow_failed_runs=allow_failed_runs,
    )
    # A table written to --output is a file and stays plain text, whatever stdout is.
    with table_format.terminal(wide=wide, enabled=not (output is not None and opts.fmt == "table")):
        _run(lambda: measure_command(opts))


@app.command(
    name="report",
    epilog=_epilog(
        "cprofiler report r.json --format markdown",
        "cprofiler report .cprofiler/run-….jsonl",
        "cprofiler report r.json -o r.csv",
        "cprofiler report r.json --html report.html",
        exits=REPORT_EXITS,
    ),
)
def report_(
    results_file: Annotated[Path, typer.Argument(help="Results JSON, or the .jsonl of an interrupted run.")],
    fmt: Annotated[
        Format | None,  # type: ignore[valid-type]
        typer.Option("--format", "-f", help=FORMAT_HELP + " Default: from --output's suffix, else table."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the --format output to this file (the table still prints).")
    ] = None,
    html: Annotated[Path | None, HTML_OPTION] = None,
    wide: Annotated[bool, WIDE_OPTION] = False,
) -> None:
    """Render a saved results file again, in any format."""
    from cprofiler.commands.plot import html_command
    from cprofiler.commands.report import report_command

    if html is not None:
        _run(lambda: html_command(results_file, html))
    chosen = fmt.value if fmt is not None else _format_for(output)
    with table_format.terminal(wide=wide, enabled=not (output is not None and chosen == "table")):
        _run(lambda: report_command(results_file, chosen, output))


CompareFormat = Enum("CompareFormat", {n: n for n in compare_formats.names()}, type=str)  # type: ignore[misc]


@app.command(
    epilog=_epilog(
        "cprofiler compare before.json after.json",
        "cprofiler compare main.json pr.jsonl --format markdown -o comparison.md",
        "cprofiler compare main.json pr.json --fail-on ready_ms:+10% --fail-on working_set_bytes:+5%",
        exits=COMPARE_EXITS,
    )
)
def compare(
    before: Annotated[Path, typer.Argument(help="Results before the change: JSON, or the .jsonl of a run.")],
    after: Annotated[Path, typer.Argument(help="Results after the change: JSON, or the .jsonl of a run.")],
    fmt: Annotated[
        CompareFormat | None,  # type: ignore[valid-type]
        typer.Option(
            "--format",
            "-f",
            help="Output format: " + ", ".join(compare_formats.names()) + ". Default: from --output's suffix, else table.",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the --format output to this file (the table still prints).")
    ] = None,
    fail_on: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-on",
            metavar="METRIC:±N%",
            help="Exit 1 when METRIC (ready_ms, working_set_bytes, rss_bytes, peak_bytes, image_size_bytes, …) of any "
            "image changed by more than N % in that direction, with evidence (its interval excludes zero). Repeatable.",
        ),
    ] = None,
) -> None:
    """Compare two results files image by image: medians, change with its interval, verdict."""
    from cprofiler.commands.compare import compare_command

    _run(lambda: compare_command(before, after, fmt.value if fmt is not None else _format_for(output), output, fail_on or []))


@app.command(
    epilog=_epilog(
        "cprofiler k8s r.json --format deployment",
        "cprofiler k8s r.json --format deployment --only web --name shop-web",
        "cprofiler k8s r.json --format kustomize --only web --name web --container app --output-dir k8s/",
        "cprofiler k8s r.json --format helm --margin 0.25 --cpu-limit 500m",
        "cprofiler k8s r.json --format deployment --only web --at-rate 400 --max-replicas 20",
        "cprofiler k8s r.json --summary table",
        exits=K8S_EXITS,
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
            # No -o: across commands -o names one output file; this is a folder.
            "--output-dir",
            help="One file per image here; default: one YAML stream on stdout.",
            rich_help_panel="Output",
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
    at_rate: Annotated[
        float | None,
        typer.Option(
            "--at-rate",
            metavar="QPS",
            help="Size images measured under load at this measured rate, requests/s. "
            "Default: the highest rate within the SLO, else the highest measured rate (closed loop: its steps).",
            rich_help_panel="Under load",
        ),
    ] = None,
    hpa: Annotated[
        bool,
        typer.Option(
            "--hpa/--no-hpa",
            help="Write a HorizontalPodAutoscaler for Deployments sized under load (deployment, kustomize, helm).",
            rich_help_panel="Under load",
        ),
    ] = True,
    min_replicas: Annotated[
        int, typer.Option("--min-replicas", min=1, help="The HPA's minReplicas.", rich_help_panel="Under load")
    ] = DEFAULT_MIN_REPLICAS,
    max_replicas: Annotated[
        int, typer.Option("--max-replicas", min=1, help="The HPA's maxReplicas.", rich_help_panel="Under load")
    ] = DEFAULT_MAX_REPLICAS,
    hpa_headroom: Annotated[
        float,
        typer.Option(
            "--hpa-headroom",
            min=0.01,
            max=1,
            help="Share of one pod's capacity at which the HPA adds pods (room for the scale-up lag).",
            rich_help_panel="Under load",
        ),
    ] = DEFAULT_HEADROOM,
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
            at_rate=at_rate,
            hpa=hpa,
            min_replicas=min_replicas,
            max_replicas=max_replicas,
            hpa_headroom=hpa_headroom,
        )
    )


@app.command(
    epilog=(
        "Examples:\n\n"
        "  cprofiler plot r.json -o report.html\n\n"
        "  cprofiler plot r.json -o charts.svg                  # charts-cold-start.svg, charts-memory.svg, …\n\n"
        "  cprofiler plot r.json -o cold.png --chart cold-start"
    )
)
def plot(
    results_file: Annotated[Path, typer.Argument(help="Results JSON, or the .jsonl of an interrupted run.")],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="A .html file (every chart, with the table and notes), or .png/.svg (one file per chart: "
            "<stem>-<chart>.svg). Default: <results stem>.html here.",
        ),
    ] = None,
    charts: Annotated[
        list[str] | None,
        typer.Option("--chart", help="Draw only this chart (repeatable); a wrong name lists them all."),
    ] = None,
) -> None:
    """Charts of a results file: cold start, memory, size, start against memory, load; needs cprofiler\\[plot].

    Exit 1 when matplotlib is missing (the message says how to install it), 2 for a bad flag or results file.
    """
    from cprofiler.commands.plot import plot_command

    _run(lambda: plot_command(results_file, output, charts or []))


Criterion = Enum("Criterion", {n: n for n in CRITERIA}, type=str)  # type: ignore[misc]
RecommendFormat = Enum("RecommendFormat", {n: n for n in ("text", "json")}, type=str)  # type: ignore[misc]


@app.command(
    epilog=(
        "Examples:\n\n"
        "  cprofiler recommend r.json\n\n"
        "  cprofiler recommend r.json --prefer memory --max-start 500ms\n\n"
        "  cprofiler recommend r.json --weights start=2,memory=1,size=0 --format json"
    )
)
def recommend(
    results_file: Annotated[Path, typer.Argument(help="Results JSON, or the .jsonl of an interrupted run.")],
    prefer: Annotated[
        Criterion | None,  # type: ignore[valid-type]
        typer.Option(help="Rank on this criterion alone (the Pareto set still counts all).", rich_help_panel="Criteria"),
    ] = None,
    weights: Annotated[
        str | None,
        typer.Option(
            metavar="NAME=W,…",
            help="Weigh criteria: start=2,memory=1 (" + ", ".join(CRITERIA) + "). Default: each measured one ×1.",
            rich_help_panel="Criteria",
        ),
    ] = None,
    max_start: Annotated[
        str | None,
        typer.Option(
            metavar="DURATION",
            help="Leave out images whose median cold start is over this: 500ms, 1.5s.",
            rich_help_panel="Limits",
        ),
    ] = None,
    max_memory: Annotated[
        str | None,
        typer.Option(
            metavar="SIZE", help="Leave out images whose median working set is over this: 64MiB.", rich_help_panel="Limits"
        ),
    ] = None,
    max_size: Annotated[
        str | None, typer.Option(metavar="SIZE", help="Leave out images larger than this: 100MiB.", rich_help_panel="Limits")
    ] = None,
    min_qps: Annotated[
        str | None,
        typer.Option(
            metavar="RATE", help="Leave out images whose median throughput under load is below this.", rich_help_panel="Limits"
        ),
    ] = None,
    fmt: Annotated[RecommendFormat, typer.Option("--format", "-f", help="text or json.")] = RecommendFormat["text"],  # type: ignore[misc]
) -> None:
    """Which image: the ranking on your criteria, the Pareto set, one choice and how sure it is.

    Exit 1 when the limits leave no image, 2 for a bad flag or results file.
    """
    from cprofiler.commands.recommend import recommend_command

    limits = {"--max-start": max_start, "--max-memory": max_memory, "--max-size": max_size, "--min-qps": min_qps}
    _run(lambda: recommend_command(results_file, prefer.value if prefer else None, weights, limits, fmt.value))


@app.command(
    epilog=_epilog(
        "cprofiler clean",
        "cprofiler clean --all",
        "cprofiler clean --images --dry-run",
        "cprofiler clean --images --bases",
        exits=ENGINE_EXITS,
    )
)
def clean(
    all_: Annotated[bool, typer.Option("--all", help="Remove every cprofiler container, even of live invocations.")] = False,
    images: Annotated[
        bool,
        typer.Option("--images", help="Also remove the images cprofiler built (not while a measurement runs: it needs them)."),
    ] = False,
    bases: Annotated[
        bool, typer.Option("--bases", help="With --images: remove the stand-in bases too (minutes to rebuild).")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="With --images: list what would go, with sizes; remove nothing.")
    ] = False,
    backend: Annotated[
        Backend | None,  # type: ignore[valid-type]
        typer.Option(help="kubernetes: delete pods instead of containers (in --namespace of --context)."),
    ] = None,
    context: Annotated[str | None, typer.Option(help="Kubeconfig context (with --backend kubernetes).")] = None,
    namespace: Annotated[str | None, typer.Option(help="Namespace (with --backend kubernetes).")] = None,
) -> None:
    """Remove containers (or, with --backend kubernetes, pods) that killed cprofiler invocations left
    behind (found by label); with --images, the images cprofiler built."""
    from cprofiler.commands.clean import clean_command, clean_pods_command

    if backend is not None and backend.value == "kubernetes":
        _run(lambda: clean_pods_command(all_, context, namespace))
    else:
        _run(lambda: clean_command(all_, images, bases, dry_run))


bases_app = typer.Typer(
    help="Offline stand-ins for base images that cannot be pulled (built from a Debian mirror).", no_args_is_help=True
)
app.add_typer(bases_app, name="bases")
MIRROR_HELP = "Debian archive URL; default: $CPROFILER_MIRROR, else this machine's apt configuration."


@bases_app.command("list", epilog=_epilog("cprofiler bases list", exits=ENGINE_EXITS))
def bases_list(mirror: Annotated[str | None, typer.Option(help=MIRROR_HELP)] = None) -> None:
    """Each recipe, what it stands in for, whether it is built, its tag, size and what it lacks."""
    from cprofiler.commands.bases import list_command

    _run(lambda: list_command(mirror))


@bases_app.command(
    "build", epilog=_epilog("cprofiler bases build", "cprofiler bases build musl-python --force", exits=ENGINE_EXITS)
)
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
