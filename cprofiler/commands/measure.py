"""``cprofiler measure``: build, run, report; finished runs survive any way out."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from cprofiler import engine as engine_mod
from cprofiler import report, schema
from cprofiler.errors import CprofilerError, Interrupted
from cprofiler.results import RunResult
from cprofiler.runner import MeasureConfig, Runner


@dataclass
class MeasureOptions:
    scenario_file: Path
    runs: int | None
    warmup: int | None
    settle: float | None
    timeout: float | None
    fmt: str
    output: Path | None
    only: list[str]
    offline: bool
    shuffle: bool
    seed: int | None
    quiet: bool
    #: Folder for Kubernetes Deployments written from this measurement, or None.
    k8s_dir: Path | None = None


class RichReporter:
    """Progress on stderr: one line per build step, a bar with ETA over all runs."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        self.failures = 0

    def message(self, text: str) -> None:
        self.console.print(f"[dim]{text}[/dim]", highlight=False)

    def building(self, name: str, line: str | None) -> None:
        if line is None:
            self.console.print(f"building [bold]{name}[/bold]…", highlight=False)
        elif line.startswith("Step ") and " : LABEL " not in line:
            self.console.print(f"  [dim]{name}: {line[:110]}[/dim]", highlight=False)

    def runs_planned(self, total: int) -> None:
        self.progress = Progress(
            TextColumn("measuring"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        )
        self.progress.start()
        self.task = self.progress.add_task("", total=total)

    def run_done(self, run: RunResult, warmup: bool) -> None:
        if run.status != "ok":
            self.failures += 1
            self.console.print(f"[yellow]{run.image}: run {run.status}: {run.error}[/yellow]", highlight=False)
        if self.progress is not None and self.task is not None:
            what = f"{run.image} {'warmup' if warmup else f'#{run.index + 1}'}"
            self.progress.update(self.task, advance=1, description=what)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


class QuietReporter(RichReporter):
    def message(self, text: str) -> None:
        pass

    def building(self, name: str, line: str | None) -> None:
        pass

    def runs_planned(self, total: int) -> None:
        pass

    def run_done(self, run: RunResult, warmup: bool) -> None:
        pass


def measure_command(opts: MeasureOptions) -> int:
    loaded = schema.load(opts.scenario_file)
    sc = loaded.scenario
    unknown = [n for n in opts.only if n not in sc.images]
    if unknown:
        raise CprofilerError(
            f"--only {unknown[0]}: no such image in {opts.scenario_file}; expected one of {', '.join(sc.images)}"
        )
    config = MeasureConfig(
        scenario=loaded,
        runs=opts.runs if opts.runs is not None else sc.runs,
        warmup=opts.warmup if opts.warmup is not None else sc.warmup,
        settle_s=opts.settle if opts.settle is not None else sc.settle,
        timeout_s=opts.timeout if opts.timeout is not None else sc.timeout,
        output=opts.output,
        offline=opts.offline,
        shuffle=opts.shuffle,
        seed=opts.seed,
        only=opts.only,
    )
    err = Console(stderr=True)
    reporter = QuietReporter(err) if opts.quiet else RichReporter(err)
    engine = engine_mod.connect()
    runner = Runner(engine, config, reporter)
    try:
        measurement = runner.measure()
    except (KeyboardInterrupt, Interrupted, CprofilerError) as exc:
        reporter.close()
        partial = getattr(runner, "measurement", None)
        if partial is not None:
            if opts.output is not None:
                _write(opts.output, report.render(partial.to_json(), opts.fmt))
            kept = sum(len(i.runs) for i in partial.images)
            print(f"cprofiler: {kept} finished runs kept in {runner.log_path}", file=sys.stderr)
        if isinstance(exc, KeyboardInterrupt):
            raise Interrupted(2, "interrupted (Ctrl-C)") from exc
        raise
    reporter.close()
    results = measurement.to_json()
    text = report.render(results, opts.fmt)
    if opts.output is not None:
        _write(opts.output, text)
        if not opts.quiet:
            err.print(f"results written to {opts.output} (every run also in {runner.log_path})", highlight=False)
        if opts.fmt != "table":
            sys.stdout.write(report.render(results, "table"))
    else:
        sys.stdout.write(text)
    if opts.k8s_dir is not None:
        _write_k8s(results, opts, runner.log_path)
    if reporter.failures:
        err.print(f"[yellow]{reporter.failures} runs did not end ok; see status and error per run in the results[/yellow]")
    return 0


def _write_k8s(results: dict[str, object], opts: MeasureOptions, log_path: Path) -> None:
    """Deployments from this measurement; the results are on disk already, so a failure here loses nothing."""
    from cprofiler.commands.k8s import write_manifests
    from cprofiler.k8s import K8sOptions, render

    assert opts.k8s_dir is not None
    source = str(opts.output or log_path)
    written = write_manifests(render(results, "deployment", K8sOptions(results_file=source)), opts.k8s_dir)
    print(f"Kubernetes manifests: {', '.join(str(p) for p in written)}", file=sys.stderr)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)  # atomic: a reader never sees half a results file
