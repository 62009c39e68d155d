"""What ``cprofiler measure`` refuses before any work (checked before the engine is contacted),
and why a finished measurement fails (its exit status 1).

A flag or a load that cannot work must be said at once, in one line naming the option or key,
never after the cold-start rounds (a measurement takes minutes) and never in the words of another
command's option.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from cprofiler import budgets
from cprofiler.errors import UsageError
from cprofiler.measure.load.phase import check_shapes
from cprofiler.results import capacity
from cprofiler.results.files import kind_of
from cprofiler.results.kinds import RunStatus
from cprofiler.results.model import Measurement
from cprofiler.scenario.model import LoadedScenario


def check_before_work(loaded: LoadedScenario, *, only: list[str], k8s_dir: Path | None) -> None:
    """Raise UsageError unless the measurement's load steps can be made and ``--k8s`` can be written.

    ``only``: the images to be measured (``--only``; empty: every image).
    """
    scenario = loaded.scenario
    rows = []
    for name in scenario.images:
        spec = scenario.load_for(name)
        if spec is not None and (not only or name in only):
            rows.append((name, spec))
    check_shapes(rows, str(loaded.path))
    if k8s_dir is not None:
        check_output_dir(k8s_dir, "--k8s")


def check_output_dir(path: Path, flag: str) -> None:
    """Raise UsageError naming ``flag`` unless ``path`` is a folder files can be written into, or
    can be made one: absent (its nearest existing ancestor a writable folder) or a folder itself,
    not a file, a device or a symbolic link. Nothing is changed: a probe file is made and removed."""
    try:
        st: os.stat_result | None = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        st = None  # a path through a file is found out at its ancestor below
    except OSError as exc:
        raise UsageError(f"{flag} {path}: cannot be used ({exc.strerror or exc})") from exc
    if st is not None and not stat.S_ISDIR(st.st_mode):
        kind = kind_of(st.st_mode) or "a regular file"
        raise UsageError(
            f"{flag} {path}: is {kind}; expected a folder for the Kubernetes files (made if missing), "
            f"such as {path.parent / 'k8s'}"
        )
    folder = path
    while not os.path.lexists(folder) and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise UsageError(f"{flag} {path}: {folder} is not a folder; expected a folder for the Kubernetes files")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".cprofiler-", suffix=".check")
    except OSError as exc:
        raise UsageError(f"{flag} {path}: cannot write in {folder} ({exc.strerror or exc})") from exc
    os.close(fd)
    os.unlink(probe)


def failures(m: Measurement, *, allow_failed_runs: bool) -> list[str]:
    """Why ``m`` fails, one line each (the exit status is then 1): runs that did not end ok and
    failed load phases (unless ``--allow-failed-runs``), and exceeded budgets. Empty when every
    run ended ok, every load phase held (:func:`cprofiler.results.capacity.failures`) and every
    budget was kept."""
    out = []
    bad = sum(r.status != RunStatus.OK for e in m.entries() for r in e.runs)
    if bad and not allow_failed_runs:
        out.append(f"{bad} runs did not end ok: exit status 1 (--allow-failed-runs accepts them)")
    failed = [e.name for e in m.images if e.load is not None and capacity.failures(e.load)]
    if failed and not allow_failed_runs:
        out.append(
            f"the load phase failed for {len(failed)} images ({', '.join(failed)}; see the notices): "
            "exit status 1 (--allow-failed-runs accepts them)"
        )
    exceeded = [f"{e.name} {b.key}" for e in m.images for b in budgets.evaluate(e) if b.status == budgets.EXCEEDED]
    if exceeded:
        out.append(f"{len(exceeded)} budgets exceeded ({', '.join(exceeded)}): exit status 1")
    return out
