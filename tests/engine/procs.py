"""A real ``python -m cprofiler`` process for the hardening tests: start it, watch its stderr and
its JSON Lines file, signal it, and find its containers on the engine by the pid label."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cprofiler.engine import Engine
from cprofiler.labels import LABEL_PID

ROOT = Path(__file__).resolve().parent.parent.parent


def wait_until(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


class Cli:
    """``python -m cprofiler ARGS`` in the background, its output collected as it comes."""

    #: Every process started, so that ``stop_all`` can clean up after a failing test.
    started: list[Cli] = []

    def __init__(self, *args: str, cwd: Path, env: dict[str, str] | None = None) -> None:
        Cli.started.append(self)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cprofiler", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
            # Its own session: a Ctrl-C meant for pytest must not reach it, only our signals.
            start_new_session=True,
        )
        self.pid = self.proc.pid
        self._out: list[str] = []
        self._err: list[str] = []
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self._readers = [
            threading.Thread(target=self._collect, args=(self.proc.stdout, self._out), daemon=True),
            threading.Thread(target=self._collect, args=(self.proc.stderr, self._err), daemon=True),
        ]
        for t in self._readers:
            t.start()

    @staticmethod
    def _collect(stream: Any, into: list[str]) -> None:
        for line in stream:
            into.append(line)

    @property
    def stdout(self) -> str:
        return "".join(self._out)

    @property
    def stderr(self) -> str:
        return "".join(self._err)

    def wait_for_stderr(self, fragment: str, timeout: float = 60) -> None:
        def seen() -> bool:
            if self.proc.poll() is not None and fragment not in self.stderr:
                raise AssertionError(f"exited {self.proc.returncode} before printing {fragment!r}:\n{self.stderr}")
            return fragment in self.stderr

        wait_until(seen, timeout, f"{fragment!r} on stderr")

    def send(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def finish(self, timeout: float = 60) -> int:
        """Wait for the exit; return the exit code (negative: killed by that signal)."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"still running after {timeout:g} s:\n{self.stderr}") from None
        for t in self._readers:
            t.join(5)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def containers(self, engine: Engine) -> list[dict[str, Any]]:
        """This process's containers on the engine (by the pid label), running or not."""
        return [c for c in engine.labelled_containers() if c["labels"].get(LABEL_PID) == str(self.pid)]


def records(jsonl: Path) -> list[dict[str, Any]]:
    """Every record of a JSON Lines file; fails on any line that is not whole JSON."""
    return [json.loads(line) for line in jsonl.read_text().splitlines()]


def run_count(jsonl: Path) -> int:
    """Finished runs in a JSON Lines file that may be written to right now (a torn last line is skipped)."""
    if not jsonl.exists():
        return 0
    return sum('"type": "run"' in line for line in jsonl.read_text().splitlines())


def stop_all(engine: Engine) -> None:
    """Kill every Cli process still running and remove its containers (after a failed test)."""
    while Cli.started:
        cli = Cli.started.pop()
        cli.kill()
        for c in cli.containers(engine):
            engine.remove(c["id"])
