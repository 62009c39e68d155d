"""``cprofiler measure``: build, run, report; finished runs survive any way out."""

from __future__ import annotations

import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from cprofiler import engine as engine_mod
from cprofiler import reaper, report, resume, schema
from cprofiler.errors import CprofilerError, EngineError, Interrupted, Signalled, UsageError
from cprofiler.images.build import STAND_IN_PREFIX
from cprofiler.results import RunResult
from cprofiler.runner import MeasureConfig, Runner, SilentReporter


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
    #: ``--cold`` level: warm, cache or image.
    cold: str = "warm"
    #: ``--floor/--no-floor``: also run the runtime floor image.
    floor: bool = True
    #: ``--resume``: the .jsonl of an interrupted measurement of the same scenario to continue.
    resume: Path | None = None


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
        elif line.startswith(STAND_IN_PREFIX) and (" building " in line or " built " in line or "Step " in line):
            self.console.print(f"  [cyan]{name}: {line[:120]}[/cyan]", highlight=False)
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


class QuietReporter(SilentReporter):
    """``--quiet``: nothing while measuring (errors and the final output still print)."""

    failures = 0

    def close(self) -> None:
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
        cold=opts.cold,
        floor=opts.floor,
        shuffle=opts.shuffle,
        seed=opts.seed,
        only=opts.only,
    )
    if opts.resume is not None:
        _resume_config(config, opts, opts.resume)
    err = Console(stderr=True, soft_wrap=True)
    reporter: RichReporter | QuietReporter = QuietReporter() if opts.quiet else RichReporter(err)
    engine = engine_mod.connect()
    _reap_stale(engine)
    runner = Runner(engine, config, reporter)
    try:
        measurement = runner.measure()
    except (KeyboardInterrupt, Signalled, CprofilerError) as exc:
        # The runs are being saved and the process exits next: a further Ctrl-C or SIGTERM (a
        # burst is common) must neither cut that short nor kill the process before its exit code.
        _ignore_signals_until_exit()
        reporter.close()
        partial = getattr(runner, "measurement", None)
        stopped = isinstance(exc, (KeyboardInterrupt, Signalled, Interrupted))
        resumable = stopped or isinstance(exc, EngineError)  # the engine may come back
        if partial is not None:
            if opts.output is not None:
                _write(opts.output, report.render(partial.to_json(), opts.fmt))
            kept = sum(len(i.runs) for i in [*partial.images, *([partial.floor] if partial.floor else [])])
            again = f"; go on with: cprofiler measure {opts.scenario_file} --resume {runner.log_path}" if resumable else ""
            print(f"cprofiler: {kept} finished runs kept in {runner.log_path}{again}", file=sys.stderr)
        elif stopped:
            print("cprofiler: stopped before the first run; no results to keep", file=sys.stderr)
        if isinstance(exc, Signalled):
            raise Interrupted(exc.signum, exc.describe()) from None
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
    # Once, at the very end, where they are not lost among progress lines; also in the JSON.
    for warning in _warnings(results):
        err.print(f"[yellow]warning: {warning}[/yellow]", highlight=False, soft_wrap=True)
    return 0


def _warnings(results: dict[str, Any]) -> list[str]:
    """Every image's (and the floor's) warnings, each prefixed with the image name."""
    entries = [*results.get("images", []), *([results["floor"]] if results.get("floor") else [])]
    return [f"{entry['name']}: {w}" for entry in entries for w in entry.get("warnings", [])]


def _write_k8s(results: dict[str, object], opts: MeasureOptions, log_path: Path) -> None:
    """Deployments from this measurement; the results are on disk already, so a failure here loses nothing."""
    from cprofiler.commands.k8s import write_manifests
    from cprofiler.k8s import K8sOptions, render

    assert opts.k8s_dir is not None
    source = str(opts.output or log_path)
    written = write_manifests(render(results, "deployment", K8sOptions(results_file=source)), opts.k8s_dir)
    print(f"Kubernetes manifests: {', '.join(str(p) for p in written)}", file=sys.stderr)


def _resume_config(config: MeasureConfig, opts: MeasureOptions, path: Path) -> None:
    """With --resume every setting comes from the interrupted measurement's header; flags that
    would change one are refused rather than ignored."""
    given = {
        "--runs": opts.runs,
        "--warmup": opts.warmup,
        "--settle": opts.settle,
        "--timeout": opts.timeout,
        "--only": opts.only or None,
        "--shuffle": opts.shuffle or None,
        "--seed": opts.seed,
    }
    for flag, value in given.items():
        if value is not None:
            raise UsageError(f"{flag} cannot be combined with --resume: a resumed measurement keeps the settings it started with")
    recorded = resume.read(path)
    recorded.check_scenario(config.scenario)
    s = recorded.settings
    config.runs, config.warmup, config.settle_s, config.timeout_s = s["runs"], s["warmup"], s["settle_s"], s["timeout_s"]
    config.shuffle = s.get("order") == "interleaved-shuffled"
    config.seed = s.get("seed")
    config.only = recorded.image_names()
    config.cold = s.get("cold", config.cold)
    config.floor = s.get("floor", config.floor)
    config.resume = recorded


def _reap_stale(engine: engine_mod.Engine) -> None:
    """Remove containers of cprofiler invocations that were killed (SIGKILL, a closed laptop)."""
    removed = reaper.reap(engine)
    if removed:
        ids = " ".join(removed)
        print(f"cprofiler: removed {len(removed)} containers left by killed cprofiler invocations: {ids}", file=sys.stderr)


def _ignore_signals_until_exit() -> None:
    """Ignore SIGINT and SIGTERM from now on (main thread only): the process is on its way out."""
    if threading.current_thread() is threading.main_thread():
        for s in (signal.SIGINT, signal.SIGTERM):
            signal.signal(s, signal.SIG_IGN)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)  # atomic: a reader never sees half a results file
