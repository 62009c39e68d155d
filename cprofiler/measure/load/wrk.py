"""wrk: a closed-loop generator (Debian's ``wrk`` package), for engines where oha is not installed.

wrk sends the next request on a connection only when the previous answer came, so a slow answer
delays the requests behind it and their latency is never measured: its percentiles suffer from
coordinated omission, and it cannot hold a rate. So it refuses ``rate`` (oha holds one), and its
``latency_method`` says what its figures are. Its results come from a Lua ``done()`` hook that
prints one JSON line. Answers are counted by status class in a ``response()`` hook, so that a
redirect is an error here as under oha (wrk itself counts only a status ≥ 400); that hook makes wrk
read every answer's headers, which costs it some of its top rate. wrk cannot tell a request's time
inside a run, so its warm-up is a run of its own (new connections for the measured window).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from cprofiler.errors import UsageError
from cprofiler.measure.load.counts import Counts, Unanswered
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
from cprofiler.results.load import LatencyMs

#: Prefix of the line the done() hook prints, so that it is found among wrk's own report.
MARK = "cprofiler-wrk "
_VERSION = re.compile(r"wrk (\S+)")

# Each thread counts its answers by status class in response(); done() runs once, after every
# thread finished, and adds them up. wrk's latency covers the requests answered within the timeout
# only (a later answer is counted as a timeout, and in summary.requests too), so done() also prints
# the percentiles over every request sent: the q-th of all N is the (q·N/A)-th of the A answered in
# time, or a request without an answer in time (-1: the request timeout) when that is above 100.
# Latency figures are in microseconds.
_HOOK = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) c1, c2, c3, c4, c5 = 0, 0, 0, 0, 0 end
function response(status, headers, body)
  local k = math.floor(status / 100)
  if k == 2 then c2 = c2 + 1 elseif k == 3 then c3 = c3 + 1 elseif k == 4 then c4 = c4 + 1
  elseif k == 5 then c5 = c5 + 1 else c1 = c1 + 1 end
end
done = function(summary, latency, requests)
  local c = {0, 0, 0, 0, 0}
  for _, t in ipairs(threads) do
    for k = 1, 5 do c[k] = c[k] + (t:get("c" .. k) or 0) end
  end
  local e = summary.errors
  -- An answer later than the timeout is in summary.requests and in e.timeout, not in latency.
  local timely = summary.requests - e.timeout
  local sent = summary.requests + e.connect + e.read + e.write
  local function all(q)
    if timely <= 0 or q * sent / timely > 100 then return -1 end
    return latency:percentile(q * sent / timely)
  end
  io.write(string.format(
    '%s{"duration_us": %d, "requests": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, ' ..
    '"1xx": %d, "2xx": %d, "3xx": %d, "4xx": %d, "5xx": %d, ' ..
    '"p50_us": %.1f, "p90_us": %.1f, "p99_us": %.1f, "p999_us": %.1f, "max_us": %.1f, ' ..
    '"all_p50_us": %.1f, "all_p90_us": %.1f, "all_p99_us": %.1f, "all_p999_us": %.1f}\\n',
    mark, summary.duration, summary.requests, e.connect, e.read, e.write, e.timeout, c[1], c[2], c[3], c[4], c[5],
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, all(50), all(90), all(99), all(99.9)))
end
"""
#: wrk's words for the requests it got no answer to, as its summary names them.
_SOCKET_ERRORS = ("connect", "read", "write", "timeout")


@GENERATORS.register("wrk")
class Wrk(Generator):
    name = "wrk"
    install_hint = "install it with: apt-get install wrk"

    def version(self) -> str | None:
        path = find_program("wrk")
        if path is None:
            return None
        line = program_version(path, "--version") or ""
        m = _VERSION.search(line)
        return m.group(1) if m else line or None

    def latency_method(self, rate: float | None) -> str:
        return "closed loop, from the actual send time (coordinated omission: a stalled answer hides the requests behind it)"

    def check(self, shape: LoadShape) -> None:
        if shape.rate is not None:
            raise UsageError(
                "load.rate: wrk runs closed loop only and cannot hold a rate (nor a sweep's rates); "
                "use load.generator: oha for rates, or leave rate and rates out"
            )

    def command(self, request: LoadRequest, shape: LoadShape, workdir: Path, cpus: int) -> list[str]:
        path = find_program("wrk")
        if path is None:
            raise UsageError(f"load.generator 'wrk' is not installed; {self.install_hint}")
        lines = [f'mark = "{MARK}"', f'wrk.method = "{request.method}"']
        if request.body is not None:
            # Read from a file, so that no body needs escaping into Lua source.
            (workdir / "body").write_bytes(request.body.encode("utf-8"))
            lines.append(f'local f = io.open("{workdir / "body"}", "rb"); wrk.body = f:read("*a"); f:close()')
        script = workdir / "cprofiler.lua"
        script.write_text("\n".join(lines) + "\n" + _HOOK, encoding="utf-8")
        # One thread per generator CPU (a thread is one event loop), never more than connections.
        threads = max(1, min(shape.connections, cpus))
        cmd = [
            path,
            f"--threads={threads}",
            f"--connections={shape.connections}",
            # wrk takes whole seconds only.
            f"--duration={max(1, round(shape.duration_s))}s",
            f"--timeout={max(1, round(shape.request_timeout_s))}s",
            f"--script={script}",
        ]
        for name, value in request.headers.items():
            cmd.append(f"--header={name}: {value}")
        return [*cmd, request.url]

    def parse(self, stdout: str, shape: LoadShape, workdir: Path) -> GeneratorResult:
        line = next((ln[len(MARK) :] for ln in stdout.splitlines() if ln.startswith(MARK)), None)
        if line is None:
            raise GeneratorError("wrk printed no result line")
        try:
            d = json.loads(line)
            counts = _counts(d, timeout_s=shape.request_timeout_s)
        except (ValueError, KeyError, TypeError) as exc:
            raise GeneratorError(f"wrk's result line cannot be read ({exc}): {line[:200]}") from None
        # The run is the window alone (its warm-up is a run of its own).
        return GeneratorResult(counts, self.latency_method(shape.rate), counts.window_s, answered_in_run=counts.answered)


def _counts(d: dict[str, Any], *, timeout_s: float) -> Counts:
    """The counts of the done() hook's line ``d``: answers by class, the unanswered by wrk's kind."""
    kinds = Unanswered(Counter({k: int(d[k]) for k in _SOCKET_ERRORS if int(d[k]) > 0}))
    classes = {k: int(d[k]) for k in ("1xx", "3xx", "4xx", "5xx") if int(d[k]) > 0}
    timeout_ms = timeout_s * 1000

    def ms(key: str) -> float | None:
        value = float(d[key])
        return timeout_ms if value < 0 else value / 1000

    # A timeout under wrk is an answer that came too late: counted in "requests" and in a class.
    timely = int(d["requests"]) - kinds.timeouts
    over_answers = LatencyMs(p50=ms("p50_us"), p90=ms("p90_us"), p99=ms("p99_us"), p999=ms("p999_us"), max=ms("max_us"))
    over_all = LatencyMs(
        p50=ms("all_p50_us"),
        p90=ms("all_p90_us"),
        p99=ms("all_p99_us"),
        p999=ms("all_p999_us"),
        max=max(timeout_ms, over_answers.max or 0.0) if kinds.total else over_answers.max,
    )
    late_2xx = min(int(d["2xx"]), kinds.timeouts)  # the late answers, counted out of the 2xx first
    return Counts(
        requests=timely + kinds.total,
        answered_2xx=int(d["2xx"]) - late_2xx,
        non_2xx=classes,
        timeouts=kinds.timeouts,
        connection_errors=kinds.connection_errors,
        error_kinds=dict(kinds.kinds),
        latency_ms=over_all if timely > 0 or kinds.total else LatencyMs(),
        # wrk's latency is of every timely answer: it is of the 2xx answers alone only when all were 2xx.
        latency_answered_ms=over_answers if timely > 0 and not classes else LatencyMs(),
        window_s=int(d["duration_us"]) / 1e6,
    )
