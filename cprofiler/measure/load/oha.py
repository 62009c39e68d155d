"""oha: the default generator; open loop at a rate, with latency from the intended send time.

At ``rate`` it sends on a fixed schedule (``-q``), and ``--latency-correction`` measures each
request from when it was due, not from when a free connection finally sent it: a stalled server
shows as latency, not as fewer requests (no coordinated omission). Without a rate it runs closed
loop, as fast as answers come, and its latency is then from the actual send time.

The warm-up, the measured window and a short tail are one run (``-z`` of all three), so the
connections are warm when the window opens and every request due in it is sent before oha stops.
Every answered request is read from oha's SQLite output (``--db-url``), and only those due in the
window count; oha's own percentiles, of answered requests only, are not used.
Requests without an answer are not in that file: at a rate, they are the requests due in the
window (known from the schedule) that have no row; closed loop, the window's share by time of
oha's ``errorDistribution``. ``counts`` turns both into the step's counts and percentiles.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from cprofiler.errors import UsageError
from cprofiler.measure.load.counts import Answer, Unanswered, count, share_of
from cprofiler.measure.load.generators import (
    GENERATORS,
    Generator,
    GeneratorError,
    GeneratorResult,
    LoadRequest,
    LoadShape,
    find_program,
    program_version,
)

#: The version the project installs and its output format was read from.
VERSION = "1.16.0"
#: Where ``cargo install`` puts it when ~/.cargo/bin is not on PATH.
CARGO_BIN = Path.home() / ".cargo" / "bin" / "oha"
#: The SQLite file oha stores every answered request in (``--db-url``), in the run's folder.
_DB = "requests.db"
#: Seconds the run goes on after the window, not counted: oha sends nothing due before its deadline
#: once the deadline has passed (a tick that fires late, or waits for a free connection), so
#: without it the last requests due in the window of a healthy server were lost (2 to 32 of 16,000
#: to 320,000 in the gateway sweep) and counted as unanswered.
TAIL_S = 0.5
_VERSION = re.compile(r"oha (\S+)")


@GENERATORS.register("oha")
class Oha(Generator):
    name = "oha"
    warms_up_in_run = True
    install_hint = (
        f"install it with: bash scripts/install.sh --load (cargo install oha --version {VERSION} --locked, 5-10 minutes once)"
    )

    def version(self) -> str | None:
        path = find_program("oha", CARGO_BIN)
        if path is None:
            return None
        line = program_version(path, "--version") or ""
        m = _VERSION.search(line)
        return m.group(1) if m else line or None

    def latency_method(self, rate: float | None) -> str:
        if rate is None:
            return "closed loop, from the actual send time (coordinated omission: a stalled answer hides the requests behind it)"
        return "open loop at a fixed rate, from the intended send time (--latency-correction: free of coordinated omission)"

    def command(self, request: LoadRequest, shape: LoadShape, workdir: Path, cpus: int) -> list[str]:
        path = find_program("oha", CARGO_BIN)
        if path is None:
            raise UsageError(f"load.generator 'oha' is not installed; {self.install_hint}")
        cmd = [
            path,
            "--no-tui",
            "--output-format",
            "json",
            "-c",
            str(shape.connections),
            # One run for the warm-up and the measured window, so that the connections warmed up
            # are the ones measured; only requests due after the warm-up are counted.
            "-z",
            f"{max(1, round((shape.warmup_s + shape.duration_s + TAIL_S) * 1000))}ms",
            # Requests in flight at the deadline are waited for (up to -t), not cut and lost.
            "-w",
            # A redirect is the answer, not followed: it counts as a non-2xx answer, as under wrk.
            "--redirect",
            "0",
            "--db-url",
            str(workdir / _DB),
            "-t",
            f"{max(1, round(shape.request_timeout_s * 1000))}ms",
            "-m",
            request.method,
            # Its default is the machine's core count, not the CPUs it is pinned to.
            "--worker-threads",
            str(max(1, cpus)),
        ]
        if shape.rate is not None:
            cmd += ["-q", f"{shape.rate:g}", "--latency-correction"]
        for name, value in request.headers.items():
            cmd += ["-H", f"{name}: {value}"]
        if request.body is not None:
            (workdir / "body").write_bytes(request.body.encode("utf-8"))
            cmd += ["-D", str(workdir / "body")]
        return [*cmd, request.url]

    def parse(self, stdout: str, shape: LoadShape, workdir: Path) -> GeneratorResult:
        data = _json(stdout)
        try:
            errors = {str(k): int(v) for k, v in (data.get("errorDistribution") or {}).items()}
            elapsed_s = float(data["summary"]["total"])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise GeneratorError(f"oha printed no JSON result ({exc}): {stdout.strip()[:200]!r}") from None
        w0, w1 = shape.warmup_s, shape.warmup_s + shape.duration_s
        rows = _rows(workdir / _DB)
        answers = [Answer(latency_s=lat, status=status) for due, lat, status in rows if w0 <= due < w1]
        if shape.rate is not None:
            # Open loop: the requests due in the window are known from the schedule (one every
            # 1/rate s from oha's start); each one not answered got no answer, whatever oha said.
            due = math.ceil(w1 * shape.rate - 1e-9) - math.ceil(w0 * shape.rate - 1e-9)
            missing = max(0, due - len(answers))
        else:
            # Closed loop: oha's errors are of the whole run; the window's share of them by time.
            missing = round(sum(errors.values()) * shape.duration_s / (w1 + TAIL_S))
        counts = count(
            answers, Unanswered(share_of(errors, missing)), timeout_s=shape.request_timeout_s, window_s=shape.duration_s
        )
        return GeneratorResult(counts, self.latency_method(shape.rate), elapsed_s, answered_in_run=len(rows))


def _json(stdout: str) -> dict[str, Any]:
    start = stdout.find("{")
    try:
        data = json.loads(stdout[start:]) if start >= 0 else None
    except ValueError as exc:
        raise GeneratorError(f"oha printed no JSON result ({exc}): {stdout.strip()[:200]!r}") from None
    if not isinstance(data, dict):
        raise GeneratorError(f"oha printed no JSON result: {stdout.strip()[:200]!r}")
    return data


def _rows(db: Path) -> list[tuple[float, float, int]]:
    """``(due s, latency s, status)`` of every answered request oha stored, due time from its start:
    the intended send time with ``--latency-correction``, else the send time."""
    if not db.exists():
        raise GeneratorError(f"oha wrote no request database ({_DB})")
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            rows = conn.execute("SELECT COALESCE(start_latency_correction, start), duration, status FROM oha").fetchall()
    except sqlite3.Error as exc:
        raise GeneratorError(f"oha's request database cannot be read: {exc}") from None
    return [(float(due), float(lat), int(status)) for due, lat, status in rows]
