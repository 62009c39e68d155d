"""The JSON Lines run log: every finished run on disk the moment it ends, and the one reader of it.

A run log holds a ``header`` record (the measurement without runs: :meth:`Measurement.header_json`
plus the invocation id), one ``run`` record per finished run, a ``resume`` record where a
resumed measurement went on, and an ``end`` record. ``cprofiler report``/``k8s`` rebuild the
results from it (:func:`load`) and ``--resume`` continues from it (:mod:`cprofiler.results.resume`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cprofiler.errors import UsageError
from cprofiler.results.load import Ceiling, LoadStep
from cprofiler.results.model import (
    READABLE_SCHEMAS,
    SCHEMA,
    SCHEMA_V1,
    Measurement,
    RunResult,
    upgrade_v1_run,
    validate,
)


def jsonl_path(output: Path) -> Path:
    """The JSON Lines file kept beside ``output`` (``r.json`` → ``r.jsonl``)."""
    return output.with_suffix(".jsonl") if output.suffix != ".jsonl" else output


class RunLog:
    """Append-only JSON Lines file: every finished run is written (and flushed) as soon as it ends.

    We write each run at once because a crash, Ctrl-C or SIGTERM later on must not lose it.
    """

    def __init__(self, path: Path, header: dict[str, Any], kind: str = "header") -> None:
        """Open ``path`` for appending and write ``header`` as its first record, of type ``kind``
        (``resume`` when a resumed measurement appends to the file of the one it continues)."""
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = path.open("a", encoding="utf-8")
        self.write({"type": kind, **header})

    def write(self, record: dict[str, Any]) -> None:
        self._fh.write(json.dumps(record, sort_keys=True) + "\n")
        self._fh.flush()

    def run(self, run: RunResult) -> None:
        self.write({"type": "run", **run.to_json()})

    def end(self, finished_at: str | None, interrupted: str | None) -> None:
        self.write({"type": "end", "finished_at": finished_at, "interrupted": interrupted})

    def close(self) -> None:
        self._fh.close()


@dataclass
class RunLogContents:
    """What a JSON Lines file of runs holds, typed."""

    path: Path
    #: The measurement as its header describes it: images and floor without runs.
    header: Measurement
    #: Run records in file order, across every resume.
    runs: list[RunResult]
    #: Load steps in file order: ``(row name, step)``.
    load_steps: list[tuple[str, LoadStep]]
    #: The load generator's ceiling, when the log has one.
    ceiling: Ceiling | None
    #: The last ``end`` record's ``finished_at`` and ``interrupted``; None when it never ended.
    end: tuple[str | None, str | None] | None
    #: Length of the file up to its last whole line, in bytes: a process killed while writing
    #: leaves a torn last line, which a resume cuts off before appending.
    whole_bytes: int

    def measurement(self) -> Measurement:
        """The header's measurement with every run in place (a fresh copy each call)."""
        m = self.header.model_copy(deep=True)
        by_name = m.by_name()
        for run in self.runs:
            entry = by_name.get(run.image)
            if entry is not None:
                entry.runs.append(run.model_copy())
        for name, step in self.load_steps:
            entry = by_name.get(name)
            if entry is not None and entry.load is not None:
                entry.load.steps.append(step.model_copy())
        m.ceiling = self.ceiling
        if self.end is None:
            m.finished_at, m.interrupted = None, "the measurement did not finish (no end record)"
        else:
            m.finished_at, m.interrupted = self.end
        return m


def read_run_log(path: Path, *, where: str) -> RunLogContents:
    """Parse a JSON Lines file of runs; UsageError naming ``where`` (or file:line) if it is not one."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{where}: no such file; expected the .jsonl of a cprofiler measurement") from None
    except OSError as exc:
        raise UsageError(f"{where}: cannot be read ({exc.strerror or exc})") from exc
    header: Measurement | None = None
    runs: list[RunResult] = []
    load_steps: list[tuple[str, LoadStep]] = []
    ceiling: Ceiling | None = None
    end: tuple[str | None, str | None] | None = None
    whole = 0
    lines = raw.split(b"\n")
    # Every line but the last ends with a newline; the last is empty when the file ends with one,
    # and otherwise is torn (the process died while writing it): it is left out.
    for n, line in enumerate(lines[:-1], 1):
        whole += len(line) + 1
        if not line.strip():
            continue
        try:
            record = parse_json(line)
        except (ValueError, RecursionError):
            raise UsageError(f"{path}:{n}: not valid JSON; expected the .jsonl of a cprofiler measurement") from None
        if not isinstance(record, dict):
            raise UsageError(f"{path}:{n}: expected a JSON object per line (a cprofiler .jsonl)")
        kind = record.pop("type", None)
        if header is None and (kind != "header" or record.get("schema") not in READABLE_SCHEMAS):
            raise UsageError(f"{path}:{n}: expected a cprofiler header line with schema {SCHEMA!r} first")
        if kind == "header" and header is None:
            try:
                header = Measurement.from_json(record, where=f"{path}:{n}")
            except UsageError as exc:
                detail = str(exc).removeprefix(f"{path}:{n}: ")
                raise UsageError(
                    f"{path}:{n}: header has no usable {detail}; expected a header written by cprofiler measure"
                ) from None
        elif kind == "run":
            assert header is not None
            if header.schema_ == SCHEMA_V1:
                record = upgrade_v1_run(record)
            runs.append(RunResult.from_json(record, where=f"{path}:{n}"))
        elif kind == "load_step":
            name = record.pop("image", None)
            if not isinstance(name, str):
                raise UsageError(f"{path}:{n}: a load step without its image name")
            load_steps.append((name, validate(LoadStep, record, f"{path}:{n}")))
        elif kind == "ceiling":
            ceiling = validate(Ceiling, record, f"{path}:{n}")
        elif kind == "end":
            finished, interrupted = record.get("finished_at"), record.get("interrupted")
            end = (finished if isinstance(finished, str) else None, interrupted if isinstance(interrupted, str) else None)
    if header is None:
        raise UsageError(f"{where}: no header line; expected the .jsonl of a cprofiler measurement")
    return RunLogContents(path=path, header=header, runs=runs, load_steps=load_steps, ceiling=ceiling, end=end, whole_bytes=whole)


#: Largest magnitude of a number in a results file: every figure cprofiler writes (bytes, ns, ms)
#: fits in 64 bits, and a bigger one would overflow the statistics' floats.
MAX_NUMBER = 2**63


def _int(text: str) -> int:
    # Checked on the digits, before int(): Python refuses to parse over 4300 digits anyway.
    if len(text.lstrip("-")) > 19 or abs(int(text)) >= MAX_NUMBER:
        raise ValueError(f"a number beyond 64 bits ({text[:20]}…)")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if abs(value) >= MAX_NUMBER:
        raise ValueError(f"a number beyond 64 bits ({text[:20]})")
    return value


def parse_json(text: str | bytes) -> Any:
    """``json.loads``, refusing numbers no measurement can produce (ValueError naming the number)."""
    return json.loads(text, parse_int=_int, parse_float=_float)


def load(path: Path) -> Measurement:
    """Read a results JSON, or rebuild one from the JSON Lines file of a measurement.

    Raises UsageError (exit 2) naming the file when it is missing or not a cprofiler results file.
    """
    if path.suffix == ".jsonl":
        return read_run_log(path, where=str(path)).measurement()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot be read as a results file ({exc})") from exc
    try:
        data = parse_json(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from exc
    except ValueError as exc:
        raise UsageError(f"{path}: {exc}; expected a cprofiler results file") from None
    except RecursionError:
        raise UsageError(f"{path}: nested too deeply; expected a cprofiler results file") from None
    return Measurement.from_json(data, where=str(path))
