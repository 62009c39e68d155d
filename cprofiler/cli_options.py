"""Every option and argument of the command line, declared once, by command.

Each is an ``Annotated`` type that a command in ``cli.py`` gives its parameter, so a command's
signature reads as its list of options. The settings of a measurement (``--runs``, ``--backend``,
…) are not here: ``cli_kit.setting_options`` generates them from ``setting_flags``. Nothing here
imports a plug-in: the choices' names come from ``cli_choices`` (and the cold levels' light module).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, get_args

import typer

from cprofiler.cli_choices import COMPARE_FORMATS, CRITERIA, K8S_FORMATS, K8S_SUMMARIES, REPORT_FORMATS, k8s_formats_help
from cprofiler.cli_kit import choice_option
from cprofiler.measure import cold as cold_levels
from cprofiler.setting_flags import RUNS, BackendName

FORMAT_HELP = "Output format: " + ", ".join(REPORT_FORMATS) + "."
_FROM_SUFFIX = " Default: from --output's suffix, else table."
_OUTPUT_FILE_HELP = "Write the --format output to this file (the table still prints)."
MIRROR_HELP = "Debian archive URL; default: $CPROFILER_MIRROR, else this machine's apt configuration."

# --- shared -----------------------------------------------------------------------------------

ResultsFile = Annotated[Path, typer.Argument(help="Results JSON, or the .jsonl of an interrupted run.")]
Wide = Annotated[
    bool,
    typer.Option(
        "--wide", help="In a terminal, show every column of the table, even wider than the terminal.", rich_help_panel="Output"
    ),
]
Quiet = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="No progress output, and none of the closing lines (where the results are, the verdict, the next commands).",
        rich_help_panel="Output",
    ),
]
OutputFile = Annotated[Path | None, typer.Option("--output", "-o", help=_OUTPUT_FILE_HELP)]

# --- measure ----------------------------------------------------------------------------------

ScenarioFile = Annotated[Path, typer.Argument(help="Scenario YAML file (it is code: it names images to build and run).")]
Only = Annotated[list[str] | None, typer.Option("--only", help="Measure only this image (repeatable).", rich_help_panel=RUNS)]
Shuffle = Annotated[bool, typer.Option(help="Shuffle the image order within each round.", rich_help_panel=RUNS)]
AllowFailedRuns = Annotated[
    bool,
    typer.Option(
        "--allow-failed-runs",
        help="Exit 0 even when runs did not end ok (timeout, crash, OOM); they are still reported.",
        rich_help_panel=RUNS,
    ),
]
Resume = Annotated[
    Path | None,
    typer.Option(
        "--resume",
        metavar="RESULTS.jsonl",
        help="Continue this interrupted measurement of the same scenario: its settings, its file, no run repeated.",
        rich_help_panel=RUNS,
    ),
]
Offline = Annotated[bool, typer.Option(help="Never try to pull base images.", rich_help_panel="Images")]
Cold = Annotated[
    str, choice_option("--cold", names=cold_levels.names(), help=cold_levels.help_text(), rich_help_panel="Cold start")
]
Floor = Annotated[
    bool,
    typer.Option(
        "--floor/--no-floor",
        help="Also run the runtime floor (an empty container) each round; the table's app start subtracts it.",
        rich_help_panel="Cold start",
    ),
]
MeasureFormat = Annotated[
    str | None, choice_option("--format", "-f", names=REPORT_FORMATS, help=FORMAT_HELP + _FROM_SUFFIX, rich_help_panel="Output")
]
MeasureOutput = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write the --format output here; every run also goes to a .jsonl beside it.",
        rich_help_panel="Output",
    ),
]
K8sDir = Annotated[
    Path | None,
    typer.Option("--k8s", help="Also write Kubernetes Deployments (one per image) into this folder.", rich_help_panel="Output"),
]

# --- report, compare, plot --------------------------------------------------------------------

ReportFormat = Annotated[str | None, choice_option("--format", "-f", names=REPORT_FORMATS, help=FORMAT_HELP + _FROM_SUFFIX)]
Html = Annotated[
    Path | None,
    typer.Option(
        "--html",
        metavar="FILE",
        help="Instead, write one self-contained HTML report (table, charts, notes) to FILE; needs cprofiler\\[plot].",
    ),
]
Before = Annotated[Path, typer.Argument(help="Results before the change: JSON, or the .jsonl of a run.")]
After = Annotated[Path, typer.Argument(help="Results after the change: JSON, or the .jsonl of a run.")]
CompareFormat = Annotated[
    str | None,
    choice_option(
        "--format",
        "-f",
        names=COMPARE_FORMATS,
        help="Output format: " + ", ".join(COMPARE_FORMATS) + "." + _FROM_SUFFIX,
    ),
]
FailOn = Annotated[
    list[str] | None,
    typer.Option(
        "--fail-on",
        metavar="METRIC:±N%",
        help="Exit 1 when METRIC (ready_ms, working_set_bytes, rss_bytes, peak_bytes, image_size_bytes, …) of any "
        "image changed by more than N % in that direction, with evidence (its interval excludes zero). Repeatable.",
    ),
]
PlotOutput = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="A .html file (every chart, with the table and notes), or .png/.svg (one file per chart: "
        "<stem>-<chart>.svg). Default: <results stem>.html here.",
    ),
]
Charts = Annotated[
    list[str] | None, typer.Option("--chart", help="Draw only this chart (repeatable); a wrong name lists them all.")
]

# --- recommend --------------------------------------------------------------------------------

Prefer = Annotated[
    str | None,
    choice_option(
        "--prefer",
        names=CRITERIA,
        help="Rank on this criterion alone (the Pareto set still counts all).",
        rich_help_panel="Criteria",
    ),
]
Weights = Annotated[
    str | None,
    typer.Option(
        metavar="NAME=W,…",
        help="Weigh criteria: start=2,memory=1 (" + ", ".join(CRITERIA) + "). Default: each measured one ×1.",
        rich_help_panel="Criteria",
    ),
]
MaxStart = Annotated[
    str | None,
    typer.Option(
        metavar="DURATION", help="Leave out images whose median cold start is over this: 500ms, 1.5s.", rich_help_panel="Limits"
    ),
]
MaxMemory = Annotated[
    str | None,
    typer.Option(metavar="SIZE", help="Leave out images whose median working set is over this: 64MiB.", rich_help_panel="Limits"),
]
MaxSize = Annotated[
    str | None, typer.Option(metavar="SIZE", help="Leave out images larger than this: 100MiB.", rich_help_panel="Limits")
]
MinQps = Annotated[
    str | None,
    typer.Option(
        metavar="RATE", help="Leave out images whose median throughput under load is below this.", rich_help_panel="Limits"
    ),
]
RecommendFormat = Annotated[str, choice_option("--format", "-f", names=("text", "json"), help="text or json.")]

# --- clean, bases -----------------------------------------------------------------------------

CleanAll = Annotated[bool, typer.Option("--all", help="Remove every cprofiler container, even of live invocations.")]
CleanImages = Annotated[
    bool, typer.Option("--images", help="Also remove the images cprofiler built (not while a measurement runs: it needs them).")
]
CleanBases = Annotated[bool, typer.Option("--bases", help="With --images: remove the stand-in bases too (minutes to rebuild).")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="With --images: list what would go, with sizes; remove nothing.")]
CleanBackend = Annotated[
    str | None,
    choice_option(
        "--backend",
        names=get_args(BackendName),
        help="kubernetes: delete pods instead of containers (in --namespace of --context).",
    ),
]
CleanContext = Annotated[str | None, typer.Option(help="Kubeconfig context (with --backend kubernetes).")]
CleanNamespace = Annotated[str | None, typer.Option(help="Namespace (with --backend kubernetes).")]
Mirror = Annotated[str | None, typer.Option(help=MIRROR_HELP)]
Recipes = Annotated[list[str] | None, typer.Argument(help="Recipes to build (default: all).")]
Force = Annotated[bool, typer.Option(help="Rebuild even if an image with the same inputs exists.")]
BasesQuiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]

# --- k8s --------------------------------------------------------------------------------------

K8sFormat = Annotated[
    str, choice_option("--format", "-f", names=sorted(K8S_FORMATS), help=k8s_formats_help(), rich_help_panel="Output")
]
OutputDir = Annotated[
    Path | None,
    typer.Option(
        # -o as on every other command: here it names a folder, since k8s writes a file per image.
        "--output-dir",
        "--output",
        "-o",
        help="One file per image in this folder; default: one YAML stream on stdout.",
        rich_help_panel="Output",
    ),
]
Summary = Annotated[
    str | None,
    choice_option(
        "--summary",
        names=K8S_SUMMARIES,
        help="Print the recommendations as a " + " or ".join(K8S_SUMMARIES) + " on stdout (instead of the YAML stream).",
        rich_help_panel="Output",
    ),
]
Explain = Annotated[
    bool,
    typer.Option(
        "--explain",
        help="Write every formula with its figures, and how to use the file, as comments under each header.",
        rich_help_panel="Output",
    ),
]
KustomizeBase = Annotated[
    list[str] | None,
    typer.Option(
        "--kustomize-base",
        metavar="PATH",
        help="resources: of the generated kustomization.yaml (repeatable); default: ../base.",
        rich_help_panel="Output",
    ),
]
OnlyImage = Annotated[
    list[str] | None,
    typer.Option("--only", metavar="IMAGE", help="Only this image (repeatable); default: every image.", rich_help_panel="Names"),
]
WorkloadName = Annotated[
    str | None,
    typer.Option(
        "--name",
        "--deployment",
        help="Workload to name or patch, with one image selected (--only); default: each image's name.",
        rich_help_panel="Names",
    ),
]
ContainerName = Annotated[
    str | None, typer.Option(help="Container to name or patch; default: the image name.", rich_help_panel="Names")
]
PartOf = Annotated[
    str | None,
    typer.Option("--part-of", help="Set the app.kubernetes.io/part-of label to this application.", rich_help_panel="Names"),
]
Margin = Annotated[
    float,
    typer.Option(
        min=0, max=10, help="Safety margin on every measured figure: 0.15 is 15 % (the VPA's default).", rich_help_panel="Sizing"
    ),
]
CpuLimit = Annotated[
    str | None,
    typer.Option(
        "--cpu-limit",
        metavar="QUANTITY|measured",
        help="Add a CPU limit: a quantity (500m, 1), or 'measured' (the scenario's cpus). Default: none.",
        rich_help_panel="Sizing",
    ),
]
Schedule = Annotated[
    str | None,
    typer.Option(
        "--schedule",
        metavar="CRON",
        help="Write exit-probed images as CronJobs on this schedule (else Jobs).",
        rich_help_panel="Batch",
    ),
]
AtRate = Annotated[
    float | None,
    typer.Option(
        "--at-rate",
        metavar="QPS",
        help="Size images measured under load at this measured rate, requests/s; it must have been served. "
        "Default: the capacity (highest rate within the SLO, every lower rate too), else the highest served rate "
        "(closed loop: its steps).",
        rich_help_panel="Under load",
    ),
]
FromIdle = Annotated[
    bool,
    typer.Option(
        "--from-idle",
        help="Size an image whose load phase failed from its idle figures (start-up and an idle service), "
        "with a WARNING; no HPA. Without it such an image is skipped.",
        rich_help_panel="Under load",
    ),
]
Hpa = Annotated[
    bool,
    typer.Option(
        "--hpa/--no-hpa",
        help="Write a HorizontalPodAutoscaler for Deployments sized under load (deployment, kustomize, helm).",
        rich_help_panel="Under load",
    ),
]
MinReplicas = Annotated[int, typer.Option("--min-replicas", min=1, help="The HPA's minReplicas.", rich_help_panel="Under load")]
MaxReplicas = Annotated[int, typer.Option("--max-replicas", min=1, help="The HPA's maxReplicas.", rich_help_panel="Under load")]
HpaHeadroom = Annotated[
    float,
    typer.Option(
        "--hpa-headroom",
        min=0.01,
        max=1,
        help="Share of one pod's capacity at which the HPA adds pods (room for the scale-up lag).",
        rich_help_panel="Under load",
    ),
]
