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
from rich.text import Text

from cprofiler import engine as engine_mod
from cprofiler import report
from cprofiler.backends import selection
from cprofiler.backends.base import Invocation, say_on_stderr
from cprofiler.commands.base_progress import StandInProgress
from cprofiler.commands.measure_checks import check_before_work, failures
from cprofiler.commands.measure_ending import ending_lines
from cprofiler.errors import CprofilerError, EngineError, Interrupted, Signalled, UsageError
from cprofiler.images.build import STAND_IN_PREFIX
from cprofiler.measure.reporter import SilentReporter
from cprofiler.measure.runner import Runner, Scope, default_log_path
from cprofiler.measure.signals import SignalGuard
from cprofiler.report import notices
from cprofiler.results import files, resume, runlog
from cprofiler.results.kinds import RunStatus, StepStatus
from cprofiler.results.load import LoadStep
from cprofiler.results.model import Measurement, RunResult
from cprofiler.results.resume import Recorded
from cprofiler.scenario import reader as scenario
from cprofiler.scenario.model import LoadedScenario
from cprofiler.settings import RunSettings, new_invocation_id
from cprofiler.text import plain

#: Redraws of the progress bar a second. Rich's default, 10, costs 1.3 % of a core on a terminal
#: for the whole measurement (the bar is re-rendered in a thread of its own); 2 costs 0.24 % and
#: still shows the elapsed seconds and each run as it ends well within a second.
PROGRESS_REFRESH_PER_S = 2


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
    #: ``--allow-failed-runs``: runs that did not end ok do not make the exit status 1.
    allow_failed_runs: bool = False


def styled(text: str, style: str) -> Text:
    """``text`` as one style, never read as Rich markup and with its control characters shown as
    escapes: image names, errors and build lines come from scenario files and containers."""
    return Text(plain(text), style=style)


class RichReporter:
    """Progress on stderr: one line per build step, a bar with ETA over all runs."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        self.load_task: TaskID | None = None
        self.failures = 0
        self.bases = StandInProgress(console)

    def message(self, text: str) -> None:
        self.console.print(styled(text, "dim"))

    def warning(self, text: str) -> None:
        self.console.print(styled(text, "yellow"))

    def building(self, name: str, line: str | None) -> None:
        if line is None:
            self.console.print(Text.assemble("building ", styled(name, "bold"), "…"))
        elif line.startswith(STAND_IN_PREFIX):
            recipe, _, rest = line.removeprefix(STAND_IN_PREFIX).partition(": ")
            self.stand_in(recipe, rest)
        elif line.startswith("Step ") and " : LABEL " not in line:
            self.console.print(styled(f"  {name}: {self._fit(line)}", "dim"))

    def stand_in(self, recipe: str, line: str) -> None:
        self.bases(recipe, line)

    def _fit(self, line: str) -> str:
        """A build line, whole in a log; on a terminal cut at a word to one line."""
        width = self.console.width - 20
        if not self.console.is_terminal or len(line) <= width:
            return line
        return line[:width].rsplit(" ", 1)[0] + "…"

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
            refresh_per_second=PROGRESS_REFRESH_PER_S,
        )
        self.progress.start()
        self.task = self.progress.add_task("", total=total)

    def run_done(self, run: RunResult, warmup: bool) -> None:
        if run.status == RunStatus.SKIPPED:
            pass  # the fail-fast line said it once for all of the image's skipped runs
        elif run.status != RunStatus.OK:
            self.failures += 1
            self.console.print(styled(f"{run.image}: run {run.status}: {run.error}", "yellow"))
        if self.progress is not None and self.task is not None:
            what = f"{run.image} {'warmup' if warmup else f'#{run.index + 1}'}"
            self.progress.update(self.task, advance=1, description=what)

    def load_planned(self, total: int) -> None:
        if self.progress is None:
            self.runs_planned(0)
        assert self.progress is not None
        self.load_task = self.progress.add_task("load steps", total=total)

    def load_step_done(self, name: str, step: LoadStep, line: str) -> None:
        if step.status != StepStatus.OK:
            self.failures += 1
        self.console.print(styled(line, "yellow" if step.status != StepStatus.OK else "dim"))
        if self.progress is not None and self.load_task is not None:
            self.progress.update(self.load_task, advance=1, description=f"{name} load")

    def close(self) -> None:
        self.bases.close()
        if self.progress is not None:
            self.progress.stop()


class QuietReporter(SilentReporter):
    """``--quiet``: nothing while measuring; failed runs are counted and reported at the end, and
    errors and the final output still print."""


def measure_command(opts: MeasureOptions) -> int:
    """Measure, print or write the results, and return the exit status (1: runs failed or budgets
    were exceeded); on an interruption the finished runs are kept and the way to resume is said."""
    loaded = _load_scenario(opts)
    invocation = new_invocation_id()
    recorded = _read_resumed(opts, loaded)
    log_path = recorded.path if recorded is not None else default_log_path(opts.output, invocation)
    _check_paths(opts.output, log_path, fresh=recorded is None)
    engine = engine_mod.connect()
    settings, images = _settings(opts, loaded, recorded, engine, invocation)
    err = Console(stderr=True, soft_wrap=True)
    reporter: RichReporter | QuietReporter = QuietReporter() if opts.quiet else RichReporter(err)
    # Chosen once, here: the runner is handed it and never asks which it has.
    backend = selection.select(settings, engine, Invocation(invocation, say=reporter.message))
    backend.reap_stale(say_on_stderr)
    scope = Scope(log_path=log_path, images=images, offline=opts.offline, resume=recorded)
    runner = Runner(engine, loaded, settings, backend, scope, reporter)
    try:
        measurement = runner.measure()
    except (KeyboardInterrupt, Signalled, CprofilerError) as exc:
        # The runs are being saved and the process exits next: a further Ctrl-C or SIGTERM (a
        # burst is common) must neither cut that short nor kill the process before its exit code.
        _ignore_signals_until_exit()
        reporter.close()
        _keep_partial(exc, runner, opts)
        if isinstance(exc, Signalled):
            raise Interrupted(exc.signum, exc.describe()) from None
        if isinstance(exc, KeyboardInterrupt):
            raise Interrupted(2, "interrupted (Ctrl-C)") from exc
        raise
    reporter.close()
    return _report(measurement, opts, runner.log_path, err)


def _load_scenario(opts: MeasureOptions) -> LoadedScenario:
    """The scenario file, with every ``--only`` name checked against its images."""
    loaded = scenario.load(opts.scenario_file)
    sc = loaded.scenario
    unknown = [n for n in opts.only if n not in sc.images]
    if unknown:
        raise UsageError(f"--only {unknown[0]}: no such image in {opts.scenario_file}; expected one of: {', '.join(sc.images)}")
    check_before_work(loaded, only=opts.only, k8s_dir=opts.k8s_dir)
    return loaded


def _read_resumed(opts: MeasureOptions, loaded: LoadedScenario) -> Recorded | None:
    """With ``--resume``, the interrupted measurement (read and locked); None without it."""
    if opts.resume is None:
        return None
    # Every setting comes from the interrupted measurement's header; a flag that would change
    # one is refused rather than ignored.
    why = "--resume: a resumed measurement keeps the settings it started with"
    RunSettings.refuse_flags({**opts.setting_flags, "--only": opts.only, "--shuffle": opts.shuffle}, why)
    # Read (and locked) before anything else: a refusal must come before minutes of building.
    recorded = resume.read(opts.resume)
    recorded.check_scenario(loaded)
    return recorded


def _settings(
    opts: MeasureOptions, loaded: LoadedScenario, recorded: Recorded | None, engine: engine_mod.Engine, invocation: str
) -> tuple[RunSettings, list[str]]:
    """The measurement's settings and the images it measures: the resumed one's, else from the
    scenario file and the flags, with how the chosen backend's probes reach containers here."""
    name = recorded.settings.backend if recorded is not None else opts.setting_flags.get("--backend") or "docker"
    kind = selection.backend_class(name)
    transport = kind.transport(engine)
    notice = kind.notice(engine)
    if notice is not None:
        say_on_stderr(notice)
    if recorded is not None:
        if recorded.settings.probe_via not in (None, transport.probe_via):
            raise UsageError(
                f"--resume {opts.resume}: its probes reached containers by {recorded.settings.probe_via}, now they would "
                f"by {transport.probe_via}; resume as the same user on the same host"
            )
        return recorded.settings, recorded.image_names()
    settings = RunSettings.build(
        loaded,
        opts.setting_flags,
        shuffle=opts.shuffle,
        cold=opts.cold,
        floor=opts.floor,
        probe_via=transport.probe_via,
        probe_interval_ms=transport.probe_interval_ms,
        invocation=invocation,
    )
    return settings, opts.only


def _keep_partial(exc: BaseException, runner: Runner, opts: MeasureOptions) -> None:
    """After a measurement stopped early: write what it has to ``--output`` and say where its runs
    are kept and, when it can go on, how to resume it."""
    partial = runner.measurement
    stopped = isinstance(exc, (KeyboardInterrupt, Signalled, Interrupted))
    resumable = stopped or isinstance(exc, EngineError)  # the engine may come back
    if partial is not None:
        if opts.output is not None:
            try:
                _write(opts.output, report.render(partial, opts.fmt), runner.log_path)
            except CprofilerError as failed:  # the runs are in the log: say so, keep the first error
                print(f"cprofiler: {failed}", file=sys.stderr)
        kept = sum(len(i.runs) for i in partial.entries())
        again = f"; go on with: cprofiler measure {opts.scenario_file} --resume {runner.log_path}" if resumable else ""
        print(f"cprofiler: {kept} finished runs kept in {runner.log_path}{again}", file=sys.stderr)
    elif stopped:
        print("cprofiler: stopped before the first run; no results to keep", file=sys.stderr)


def _report(measurement: Measurement, opts: MeasureOptions, log_path: Path, err: Console) -> int:
    """Print and write the finished measurement, then its notices and why it fails; the exit status."""
    text = report.render(measurement, opts.fmt)
    if opts.output is not None:
        _write(opts.output, text, log_path)
        if opts.fmt != "table":
            sys.stdout.write(report.render(measurement, "table"))
        table_shown = opts.fmt != "table"
    else:
        sys.stdout.write(text)
        table_shown = opts.fmt in ("table", "markdown")
    if opts.k8s_dir is not None:
        _write_k8s(measurement, opts, log_path)
    if not table_shown:
        # Once, at the very end, where they are not lost among progress lines; the human table
        # carries them itself, and the JSON has every run and warning.
        for n in notices.notices(measurement):
            err.print(styled(f"{n.kind}: {n.text}", "yellow"), soft_wrap=True)
            for line in n.details:
                err.print(f"    | {plain(line)}", highlight=False, soft_wrap=True, markup=False)
    reasons = failures(measurement, allow_failed_runs=opts.allow_failed_runs)
    for reason in reasons:
        print(f"cprofiler: {reason}", file=sys.stderr)
    if not opts.quiet:
        # Last, where it is seen: where the results are, what they say, and what reads them next.
        for line in ending_lines(measurement, output=opts.output, fmt=opts.fmt, log_path=log_path):
            err.print(plain(line), highlight=False, soft_wrap=True, markup=False)
    return 1 if reasons else 0


def _write_k8s(measurement: Measurement, opts: MeasureOptions, log_path: Path) -> None:
    """Deployments from this measurement; the results are on disk already, so a failure here loses nothing."""
    from cprofiler.commands.k8s import file_sha256, say_why, write_manifests
    from cprofiler.manifests.options import K8sOptions
    from cprofiler.manifests.render import render

    assert opts.k8s_dir is not None
    source = opts.output or log_path
    options = K8sOptions(results_file=str(source), results_sha256=file_sha256(source))
    say_why(measurement, options)  # a skipped image (its load phase failed) is said, not silently left out
    written = write_manifests(render(measurement, "deployment", options, index=True), opts.k8s_dir)
    print(f"Kubernetes manifests: {', '.join(str(p) for p in written)}", file=sys.stderr)


def _ignore_signals_until_exit() -> None:
    """Ignore the signals a measurement handles from now on (main thread only): the process is on its way out."""
    if threading.current_thread() is threading.main_thread():
        for s in SignalGuard.SIGNALS:
            signal.signal(s, signal.SIG_IGN)


def _check_paths(output: Path | None, log_path: Path, *, fresh: bool) -> None:
    """Refuse, before the engine is contacted, an ``--output`` or run log that could not be written.

    ``--output`` must not be the run log itself (the final write would replace every run with the
    table), must be a regular file or absent, and writable; a new measurement's run log must not
    belong to another measurement that is unfinished or still running (``--resume`` locked its own).
    """
    if output is not None:
        if output.resolve() == log_path.resolve():
            raise UsageError(
                f"--output {output}: that is the run log's path (every run goes to {log_path}); "
                f"name the output another way, e.g. {output.with_suffix('.json')}"
            )
        files.check_output(output)
    if fresh:
        runlog.check_new(log_path)


def _write(path: Path, text: str, log_path: Path) -> None:
    """Replace ``path`` with ``text`` atomically (see ``files.write_replacing``); a failure says
    where the runs are."""
    try:
        files.write_replacing(path, text)
    except UsageError as exc:
        raise CprofilerError(f"{exc}; every finished run is kept in {log_path}") from None
