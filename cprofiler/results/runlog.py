"""The JSON Lines run log: every finished run on disk the moment it ends, and the one reader of it.

A run log holds a ``header`` record (the measurement without runs: :meth:`Measurement.header_json`
plus the invocation id), one ``run`` record per finished run, a ``resume`` record where a
resumed measurement went on, and an ``end`` record. ``cprofiler report``/``k8s`` rebuild the
results from it (:func:`load`) and ``--resume`` continues from it (:mod:`cprofiler.results.resume`).

A run log belongs to one measurement: each run record carries the measurement's id (its first
invocation's, ``settings.invocation``), the writer holds an exclusive lock on the file
(:func:`cprofiler.results.files.open_log`), and a new measurement never appends to the log of
another: only the log of a finished one is replaced. Reading refuses a file that mixes two.

Reading trusts nothing: a file that is not regular (``/dev/zero``, a pipe) or over
``MAX_READ_BYTES`` is refused before it is read; NaN, infinities and numbers beyond int64 are
refused by the results model, naming the key; each fault is one UsageError (exit 2).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cprofiler.errors import UsageError
from cprofiler.results import files
from cprofiler.results.load import Ceiling, LoadStep
from cprofiler.results.model import (
    READABLE_SCHEMAS,
    SCHEMA,
    SCHEMA_V1,
    Measurement,
    RunResult,
    upgrade_v1_run,
)
from cprofiler.results.record import validate

#: Largest results file or run log read, in bytes: 100,000 runs take about 60 MB.
MAX_READ_BYTES = 256 << 20


def read_bounded(path: Path, *, where: str, fd: int | None = None) -> bytes:
    """The bytes of a results file or run log: a regular file of at most MAX_READ_BYTES.

    Read from ``fd`` (its start) when given: the descriptor ``--resume`` holds locked. UsageError
    naming ``where`` for a missing, unreadable, non-regular or too large file; a pipe never blocks.
    """
    return files.read_bounded(
        path,
        where=where,
        limit=MAX_READ_BYTES,
        expected="a cprofiler results file or .jsonl",
        sized="a results file",
        fd=fd,
    )


def jsonl_path(output: Path) -> Path:
    """The JSON Lines file kept beside ``output`` (``r.json`` → ``r.jsonl``)."""
    return output.with_suffix(".jsonl") if output.suffix != ".jsonl" else output


def _finished(fd: int, size: int) -> bool:
    """Whether the log open at ``fd`` ends with the ``end`` record of a measurement that finished."""
    tail = os.pread(fd, min(size, 1 << 16), max(0, size - (1 << 16)))
    lines = tail.rstrip(b"\n").split(b"\n")
    try:
        last = json.loads(lines[-1]) if tail.endswith(b"\n") else None
    except ValueError:
        return False
    return isinstance(last, dict) and last.get("type") == "end" and last.get("interrupted") is None


def claim(path: Path, *, empty: bool = True) -> int:
    """Open and lock the run log of a new measurement at ``path``; return the descriptor.

    The file must be absent, empty, or the log of an earlier measurement that finished (its runs
    are in the results file that measurement wrote, which the new one replaces too): that is
    emptied when ``empty``. The log of an unfinished measurement is refused, naming ``--resume``,
    and so is one another process is writing. With ``empty=False`` nothing is changed: a check.
    """
    fd = files.open_log(path, create=True)
    try:
        size = os.fstat(fd).st_size
        if size and not _finished(fd, size):
            raise UsageError(
                f"{path}: holds the runs of another measurement that did not finish; go on with it "
                f"(--resume {path}), or move the file away first"
            )
        if size and empty:
            os.ftruncate(fd, 0)
    except BaseException:
        os.close(fd)
        raise
    return fd


def check_new(path: Path) -> None:
    """Raise UsageError now, before anything is built, if a new measurement could not write its run
    log at ``path`` (see :func:`claim`). Nothing is created or changed."""
    if os.path.lexists(path):
        os.close(claim(path, empty=False))
    else:
        files.check_output(path, "run log")


class RunLog:
    """Append-only JSON Lines file: every finished run is written (and flushed) as soon as it ends.

    We write each run at once because a crash, Ctrl-C or SIGTERM later on must not lose it.
    """

    def __init__(
        self, path: Path, header: dict[str, Any], kind: str = "header", *, fd: int | None = None, measurement: str | None = None
    ) -> None:
        """Write ``header`` as the next record of ``path``, of type ``kind`` (``resume`` when a
        resumed measurement appends to the file of the one it continues).

        ``fd``: the locked descriptor to append to (``--resume`` holds it); without it ``path`` is
        claimed for a new measurement (:func:`claim`). ``measurement`` is the id each run record
        carries; by default the header's ``settings.invocation``.
        """
        self.path = path
        self._fh = os.fdopen(claim(path) if fd is None else fd, "w", encoding="utf-8")
        settings = header.get("settings")
        self.measurement = measurement or (settings.get("invocation") if isinstance(settings, dict) else None)
        self.write({"type": kind, **header})

    def write(self, record: dict[str, Any]) -> None:
        self._fh.write(json.dumps(record, sort_keys=True) + "\n")
        self._fh.flush()

    def run(self, run: RunResult) -> None:
        self.write({"type": "run", "measurement": self.measurement, **run.to_json()})

    def load_step(self, image: str, step: LoadStep) -> None:
        self.write({"type": "load_step", "image": image, **step.model_dump(mode="json")})

    def ceiling(self, ceiling: Ceiling) -> None:
        self.write({"type": "ceiling", **ceiling.model_dump(mode="json")})

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
    #: Each image's ceiling with its own request shape, by row name.
    image_ceilings: dict[str, Ceiling] = field(default_factory=dict)

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
        for name, ceiling in self.image_ceilings.items():
            entry = by_name.get(name)
            if entry is not None and entry.load is not None:
                entry.load.ceiling = ceiling
        if self.end is None:
            m.finished_at, m.interrupted = None, "the measurement did not finish (no end record)"
        else:
            m.finished_at, m.interrupted = self.end
        return m


def read_run_log(path: Path, *, where: str, fd: int | None = None) -> RunLogContents:
    """Parse a JSON Lines file of runs (read from ``fd`` when given); UsageError naming ``where``
    (or file:line) if it is not the log of one measurement."""
    raw = read_bounded(path, where=where, fd=fd)
    reader = _LogReader(path)
    for n, record in _records(path, raw):
        reader.take(n, record)
    if reader.header is None:
        raise UsageError(f"{where}: no header line; expected the .jsonl of a cprofiler measurement")
    return RunLogContents(
        path=path,
        header=reader.header,
        runs=reader.runs,
        load_steps=reader.load_steps,
        ceiling=reader.ceiling,
        image_ceilings=reader.image_ceilings,
        end=reader.end,
        # Up to the last newline: what follows it is torn (the process died while writing it).
        whole_bytes=raw.rfind(b"\n") + 1,
    )


def _records(path: Path, raw: bytes) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, record)`` of every whole, non-blank line; UsageError naming file:line for
    one that is not a JSON object."""
    # Every line but the last ends with a newline; the last is empty when the file ends with one,
    # and otherwise is torn: it is left out.
    for n, line in enumerate(raw.split(b"\n")[:-1], 1):
        if not line.strip():
            continue
        try:
            record = parse_json(line)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            raise UsageError(f"{path}:{n}: not valid JSON; expected the .jsonl of a cprofiler measurement") from None
        except ValueError as exc:  # a number no measurement can produce, or no text (parse_json names it)
            raise UsageError(f"{path}:{n}: {exc}; expected the .jsonl of a cprofiler measurement") from None
        if not isinstance(record, dict):
            raise UsageError(f"{path}:{n}: expected a JSON object per line (a cprofiler .jsonl)")
        yield n, record


@dataclass
class _LogReader:
    """The records of one run log, taken in file order: the header first, then runs, load
    steps, the ceiling and end records (``resume`` records need nothing taken from them)."""

    path: Path
    header: Measurement | None = None
    runs: list[RunResult] = field(default_factory=list)
    load_steps: list[tuple[str, LoadStep]] = field(default_factory=list)
    ceiling: Ceiling | None = None
    image_ceilings: dict[str, Ceiling] = field(default_factory=dict)
    end: tuple[str | None, str | None] | None = None
    #: ``(image, run index)`` → the line it was first on.
    seen: dict[tuple[str, int], int] = field(default_factory=dict)

    def take(self, n: int, record: dict[str, Any]) -> None:
        kind = record.pop("type", None)
        if self.header is None:
            self._header(n, kind, record)
            return
        take = {
            "header": self._second_header,
            "run": self._run,
            "load_step": self._load_step,
            "ceiling": self._ceiling,
            "end": self._end,
        }.get(kind if isinstance(kind, str) else "")
        if take is not None:
            take(n, record)

    def _header(self, n: int, kind: Any, record: dict[str, Any]) -> None:
        where = f"{self.path}:{n}"
        if kind != "header" or record.get("schema") not in READABLE_SCHEMAS:
            raise UsageError(f"{where}: expected a cprofiler header line with schema {SCHEMA!r} first")
        try:
            self.header = Measurement.from_json(record, where=where)
        except UsageError as exc:
            detail = str(exc).removeprefix(f"{where}: ")
            raise UsageError(f"{where}: header has no usable {detail}; expected a header written by cprofiler measure") from None

    def _second_header(self, n: int, _record: dict[str, Any]) -> None:
        raise UsageError(
            f"{self.path}:{n}: a second measurement's header; this file mixes two measurements, so its runs do not "
            "compare: keep the lines before this one, or measure again"
        )

    def _run(self, n: int, record: dict[str, Any]) -> None:
        assert self.header is not None
        owner, measurement = record.pop("measurement", None), self.header.settings.invocation
        if owner is not None and measurement is not None and owner != measurement:
            raise UsageError(
                f"{self.path}:{n}: a run of measurement {str(owner)[:20]!r} in the log of {measurement!r}; "
                "this file mixes two measurements, so its runs do not compare"
            )
        if self.header.schema_ == SCHEMA_V1:
            record = upgrade_v1_run(record)
        run = RunResult.from_json(record, where=f"{self.path}:{n}")
        first = self.seen.setdefault((run.image, run.index), n)
        if first != n:
            raise UsageError(
                f"{self.path}:{n}: run {run.index} of {run.image!r} again (first at line {first}); two processes "
                "wrote this file at once, so its runs do not compare"
            )
        self.runs.append(run)

    def _load_step(self, n: int, record: dict[str, Any]) -> None:
        name = record.pop("image", None)
        if not isinstance(name, str):
            raise UsageError(f"{self.path}:{n}: a load step without its image name")
        self.load_steps.append((name, validate(LoadStep, record, f"{self.path}:{n}")))

    def _ceiling(self, n: int, record: dict[str, Any]) -> None:
        image = record.pop("image", None)
        ceiling = validate(Ceiling, record, f"{self.path}:{n}")
        if isinstance(image, str):
            self.image_ceilings[image] = ceiling  # that image's own request shape
        else:
            self.ceiling = ceiling

    def _end(self, _n: int, record: dict[str, Any]) -> None:
        finished, interrupted = record.get("finished_at"), record.get("interrupted")
        self.end = (finished if isinstance(finished, str) else None, interrupted if isinstance(interrupted, str) else None)


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


#: A JSON escape of a UTF-16 surrogate (``\\ud800``): half of a pair, or a lone one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE_ESCAPE_BYTES = re.compile(_SURROGATE_ESCAPE.pattern.encode())


def parse_json(text: str | bytes) -> Any:
    """``json.loads``, refusing numbers no measurement can produce and text that is not Unicode
    (a lone surrogate, ``"\\ud800"``, which no output can print): ValueError naming what it is."""
    data = json.loads(text, parse_int=_int, parse_float=_float)
    found = _SURROGATE_ESCAPE_BYTES.search(text) if isinstance(text, bytes) else _SURROGATE_ESCAPE.search(text)
    if found:
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(f"a lone UTF-16 surrogate ({exc.object[exc.start]!r}) in a string, which is not text") from None
    return data


def load(path: Path) -> Measurement:
    """Read a results JSON, or rebuild one from the JSON Lines file of a measurement.

    Raises UsageError (exit 2) naming the file when it is missing or not a cprofiler results file.
    """
    if path.suffix == ".jsonl":
        return read_run_log(path, where=str(path)).measurement()
    try:
        text = read_bounded(path, where=str(path)).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: cannot be read as a results file (not UTF-8 at byte {exc.start})") from exc
    try:
        data = parse_json(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from exc
    except ValueError as exc:
        raise UsageError(f"{path}: {exc}; expected a cprofiler results file") from None
    except RecursionError:
        raise UsageError(f"{path}: nested too deeply; expected a cprofiler results file") from None
    return Measurement.from_json(data, where=str(path))
