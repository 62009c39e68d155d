"""oha: the default generator; open loop at a rate, with latency from the intended send time.

At ``rate`` it sends on a fixed schedule (``-q``), and ``--latency-correction`` measures each
request from when it was due, not from when a free connection finally sent it: a stalled server
shows as latency, not as fewer requests (no coordinated omission). Without a rate it runs closed
loop, as fast as answers come, and its latency is then from the actual send time. Results come from
``--output-format json``. Requests still in flight at the deadline are cut by oha and reported as
``aborted due to deadline``; they are neither answered nor failed, so they are left out.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

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

#: The version the project installs and its output format was read from.
VERSION = "1.16.0"
#: Where ``cargo install`` puts it when ~/.cargo/bin is not on PATH.
CARGO_BIN = Path.home() / ".cargo" / "bin" / "oha"
_DEADLINE = "aborted due to deadline"
_VERSION = re.compile(r"oha (\S+)")


@GENERATORS.register("oha")
class Oha(Generator):
    name = "oha"
    install_hint = f"install it with: cargo install oha --version {VERSION} --locked (bash scripts/install.sh does)"

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
            "-z",
            f"{max(1, round(shape.duration_s * 1000))}ms",
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

    def parse(self, stdout: str, rate: float | None) -> GeneratorResult:
        start = stdout.find("{")
        try:
            data: dict[str, Any] = json.loads(stdout[start:]) if start >= 0 else {}
            summary = data["summary"]
            statuses = {int(k): int(v) for k, v in (data.get("statusCodeDistribution") or {}).items()}
            errors = {str(k): int(v) for k, v in (data.get("errorDistribution") or {}).items()}
            percentiles = data.get("latencyPercentiles") or {}
            elapsed_s = float(summary["total"])
            slowest = summary.get("slowest")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise GeneratorError(f"oha printed no JSON result ({exc}): {stdout.strip()[:200]!r}") from None
        answered = sum(statuses.values())
        socket_errors = sum(v for k, v in errors.items() if k != _DEADLINE)

        def ms(key: str) -> float | None:
            value = percentiles.get(key)
            return None if value is None else float(value) * 1000

        latency = LatencyMs(
            p50=ms("p50"),
            p90=ms("p90"),
            p99=ms("p99"),
            p999=ms("p99.9"),
            max=None if slowest is None else float(slowest) * 1000,
        )
        return GeneratorResult(
            requests=answered + socket_errors,
            errors_http=sum(v for k, v in statuses.items() if not 200 <= k < 300),
            errors_socket=socket_errors,
            qps=answered / elapsed_s if elapsed_s > 0 else 0.0,
            latency_ms=latency if answered else LatencyMs(),
            latency_method=self.latency_method(rate),
            elapsed_s=elapsed_s,
        )
