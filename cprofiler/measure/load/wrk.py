"""wrk: a closed-loop generator (Debian's ``wrk`` package), for engines where oha is not installed.

wrk sends the next request on a connection only when the previous answer came, so a slow answer
delays the requests behind it and their latency is never measured: its percentiles suffer from
coordinated omission, and it cannot hold a rate. So it refuses ``rate`` (oha holds one), and its
``latency_method`` says what its figures are. Its results come from a Lua ``done()`` hook that
prints one JSON line; wrk counts a status ≥ 400 as an HTTP error (a 3xx counts as success).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from cprofiler.errors import UsageError
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

# The done() hook runs once, after every thread finished; latency figures are in microseconds.
_DONE_HOOK = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%s{"duration_us": %d, "requests": %d, "connect": %d, "read": %d, "write": %d, "status": %d, ' ..
    '"timeout": %d, "p50_us": %.1f, "p90_us": %.1f, "p99_us": %.1f, "p999_us": %.1f, "max_us": %.1f}\\n',
    mark, summary.duration, summary.requests, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max))
end
"""


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
        script.write_text("\n".join(lines) + "\n" + _DONE_HOOK, encoding="utf-8")
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

    def parse(self, stdout: str, rate: float | None) -> GeneratorResult:
        line = next((ln[len(MARK) :] for ln in stdout.splitlines() if ln.startswith(MARK)), None)
        if line is None:
            raise GeneratorError("wrk printed no result line")
        try:
            d = json.loads(line)
            socket_errors = int(d["connect"]) + int(d["read"]) + int(d["write"]) + int(d["timeout"])
            answered = int(d["requests"])
            elapsed_s = int(d["duration_us"]) / 1e6
            latency = LatencyMs(
                p50=d["p50_us"] / 1000,
                p90=d["p90_us"] / 1000,
                p99=d["p99_us"] / 1000,
                p999=d["p999_us"] / 1000,
                max=d["max_us"] / 1000,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise GeneratorError(f"wrk's result line cannot be read ({exc}): {line[:200]}") from None
        return GeneratorResult(
            requests=answered + socket_errors,
            errors_http=int(d["status"]),
            errors_socket=socket_errors,
            qps=answered / elapsed_s if elapsed_s > 0 else 0.0,
            latency_ms=latency if answered else LatencyMs(),
            latency_method=self.latency_method(rate),
            elapsed_s=elapsed_s,
        )
