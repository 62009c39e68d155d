"""``cprofiler measure``: build, run, report; finished runs survive any way out."""

from __future__ import annotations

import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from cprofiler import engine as engine_mod
from cprofiler import reaper, report
from cprofiler.errors import CprofilerError, EngineError, Interrupted, Signalled, UsageError
from cprofiler.images.build import STAND_IN_PREFIX
from cprofiler.kube.manifest import PROBE_PERIOD_S
from cprofiler.measure.probes.base import POLL_INTERVAL_S
from cprofiler.measure.reporter import SilentReporter
from cprofiler.measure.schedule import Runner, default_log_path
from cprofiler.measure.start import probe_via
from cprofiler.results import resume
from cprofiler.results.load import LoadStep
from cprofiler.results.model import Measurement, RunResult
from cprofiler.results.resume import Recorded
from cprofiler.scenario import load as scenario
from cprofiler.settings import RunSettings, new_invocation_id

if TYPE_CHECKING:
    from cprofiler.kube.cluster import Cluster


@dataclass(frozen=True)
class MeasureOptions:
    """What ``cprofiler measure`` was asked, besides the measurement's settings (see ``RunSettings``)."""

    scenario_file: Path
    #: Setting flags as given (``{"--runs": 5, "--seed": None, …}``; None: not given).
    setting_flags: dict[str, Any]
    fmt: str
    output: Path | None
    #: ``--only``: measure only these scenario images.
    only: list[str]
    offline: bool
    #: ``--shuffle``: shuffle the image order within each round.
    shuffle: bool
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
        self.load_task: TaskID | None = None
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

    def load_planned(self, total: int) -> None:
        if self.progress is None:
            self.runs_planned(0)
        assert self.progress is not None
        self.load_task = self.progress.add_task("load steps", total=total)

    def load_step_done(self, name: str, step: LoadStep, line: str) -> None:
        if step.status != "ok":
            self.failures += 1
        self.console.print(f"[yellow]{line}[/yellow]" if step.status != "ok" else f"[dim]{line}[/dim]", highlight=False)
        if self.progress is not None and self.load_task is not None:
            self.progress.update(self.load_task, advance=1, description=f"{name} load")

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


class QuietReporter(SilentReporter):
    """``--quiet``: nothing while measuring; failed runs are counted and reported at the end, and
    errors and the final output still print."""


def measure_command(opts: MeasureOptions) -> int:
    loaded = scenario.load(opts.scenario_file)
    sc = loaded.scenario
    unknown = [n for n in opts.only if n not in sc.images]
    if unknown:
        raise CprofilerError(
            f"--only {unknown[0]}: no such image in {opts.scenario_file}; expected one of {', '.join(sc.images)}"
        )
    engine = engine_mod.connect()
    backend = opts.setting_flags.get("--backend") or "docker"
    via = "kubelet" if backend == "kubernetes" else probe_via(engine)
    invocation = new_invocation_id()
    recorded: Recorded | None = None
    if opts.resume is not None:
        # Every setting comes from the interrupted measurement's header; a flag that would change
        # one is refused rather than ignored.
        why = "--resume: a resumed measurement keeps the settings it started with"
        RunSettings.refuse_flags({**opts.setting_flags, "--only": opts.only, "--shuffle": opts.shuffle}, why)
        recorded = resume.read(opts.resume)
        recorded.check_scenario(loaded)
        if recorded.settings.backend == "kubernetes":
            via = "kubelet"
        if recorded.settings.probe_via not in (None, via):
            raise UsageError(
                f"--resume {opts.resume}: its probes reached containers by {recorded.settings.probe_via}, now they would "
                f"by {via}; resume as the same user on the same host"
            )
        settings = recorded.settings
        images = recorded.image_names()
    else:
        settings = RunSettings.build(
            loaded,
            opts.setting_flags,
            shuffle=opts.shuffle,
            cold=opts.cold,
            floor=opts.floor,
            probe_via=via,
            # On Kubernetes the kubelet probes, once per readinessProbe period.
            probe_interval_ms=PROBE_PERIOD_S * 1000 if via == "kubelet" else POLL_INTERVAL_S * 1000,
            invocation=invocation,
        )
        images = opts.only
    err = Console(stderr=True, soft_wrap=True)
    reporter: RichReporter | QuietReporter = QuietReporter() if opts.quiet else RichReporter(err)
    _reap_stale(engine)
    runner = Runner(
        engine,
        loaded,
        settings,
        log_path=default_log_path(opts.output, invocation),
        invocation=invocation,
        reporter=reporter,
        images=images,
        offline=opts.offline,
        resume=recorded,
    )
    if runner.pod_starter is not None:
        _reap_stale_pods(runner.pod_starter.pods.cluster)
    try:
        measurement = runner.measure()
    except (KeyboardInterrupt, Signalled, CprofilerError) as exc:
        # The runs are being saved and the process exits next: a further Ctrl-C or SIGTERM (a
        # burst is common) must neither cut that short nor kill the process before its exit code.
        _ignore_signals_until_exit()
        reporter.close()
        partial = runner.measurement
        stopped = isinstance(exc, (KeyboardInterrupt, Signalled, Interrupted))
        resumable = stopped or isinstance(exc, EngineError)  # the engine may come back
        if partial is not None:
            if opts.output is not None:
                _write(opts.output, report.render(partial, opts.fmt))
            kept = sum(len(i.runs) for i in partial.entries())
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
    text = report.render(measurement, opts.fmt)
    if opts.output is not None:
        _write(opts.output, text)
        if not opts.quiet:
            err.print(f"results written to {opts.output} (every run also in {runner.log_path})", highlight=False)
        if opts.fmt != "table":
            sys.stdout.write(report.render(measurement, "table"))
    else:
        sys.stdout.write(text)
    if opts.k8s_dir is not None:
        _write_k8s(measurement, opts, runner.log_path)
    if reporter.failures:
        err.print(f"[yellow]{reporter.failures} runs did not end ok; see status and error per run in the results[/yellow]")
    # Once, at the very end, where they are not lost among progress lines; also in the JSON.
    for warning in _warnings(measurement):
        err.print(f"[yellow]warning: {warning}[/yellow]", highlight=False, soft_wrap=True)
    return 0


def _warnings(measurement: Measurement) -> list[str]:
    """Every image's (and the floor's) warnings, each prefixed with the image name."""
    return [f"{entry.name}: {w}" for entry in measurement.entries() for w in entry.warnings()]


def _write_k8s(measurement: Measurement, opts: MeasureOptions, log_path: Path) -> None:
    """Deployments from this measurement; the results are on disk already, so a failure here loses nothing."""
    from cprofiler.commands.k8s import file_sha256, write_manifests
    from cprofiler.k8s.recommend import K8sOptions
    from cprofiler.k8s.render import render

    assert opts.k8s_dir is not None
    source = opts.output or log_path
    options = K8sOptions(results_file=str(source), results_sha256=file_sha256(source))
    written = write_manifests(render(measurement, "deployment", options, index=True), opts.k8s_dir)
    print(f"Kubernetes manifests: {', '.join(str(p) for p in written)}", file=sys.stderr)


def _reap_stale(engine: engine_mod.Engine) -> None:
    """Remove containers of cprofiler invocations that were killed (SIGKILL, a closed laptop)."""
    removed = reaper.reap(engine)
    if removed:
        ids = " ".join(removed)
        print(f"cprofiler: removed {len(removed)} containers left by killed cprofiler invocations: {ids}", file=sys.stderr)


def _reap_stale_pods(cluster: Cluster) -> None:
    """Delete pods of cprofiler invocations that were killed, in the namespace measured in."""
    from cprofiler.kube.pods import reap_pods

    removed = reap_pods(cluster)
    if removed:
        print(
            f"cprofiler: deleted {len(removed)} pods left by killed cprofiler invocations: {' '.join(removed)}", file=sys.stderr
        )


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
