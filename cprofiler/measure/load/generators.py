"""The load generator plug-in family: what a generator is, and the registry that names them.

A generator is an established tool (oha, wrk), never a Python loop: a loop in this interpreter
would measure the interpreter. Each implementation lives in its own module (``oha.py``,
``wrk.py``), registers itself with ``@GENERATORS.register(name)``, builds its command line and
parses its output; launching is shared and done here, because the two rules of the load phase
hold for every generator alike:

* **Traffic stays in the container.** The generator runs inside the container's own network
  namespace (``nsenter --net``, given a descriptor of that namespace) and its URL is always
  ``http://127.0.0.1:PORT``: it never sends to a bridge address, a published port or the host.
* **Nothing runs unbounded.** Each run has a hard timeout (the load's duration plus the request
  timeout plus a grace) after which its whole process group is killed; an interrupted cprofiler
  kills it on its way out, and a SIGKILLed one takes it along (``measure/children.py``).

The generator is pinned to its own CPUs (``taskset -c``) so that it does not compete with the
container for them; ``nsenter`` and ``taskset`` both execute the next program in place, so the
process the timeout kills is the generator itself.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from cprofiler.errors import CprofilerError, UsageError
from cprofiler.measure.children import spawn
from cprofiler.measure.load.counts import Counts
from cprofiler.measure.load.launch import RunWatch, run_measured
from cprofiler.plugins import Registry

#: Seconds a generator may run beyond its load's duration and request timeout before it is killed.
GRACE_S = 10.0
#: Characters of a failed generator's error output kept in the message.
_STDERR_TAIL = 300


_METHOD = re.compile(r"^[A-Z]{1,16}$")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$%&'*+.^_`|~-]{0,127}$")
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class GeneratorError(CprofilerError):
    """A load generator failed, printed nothing usable, or had to be killed."""


class GeneratorTimeout(GeneratorError):
    """A load generator ran past its hard timeout and was killed."""


@dataclass(frozen=True)
class LoadRequest:
    """The request every connection sends, to 127.0.0.1 inside the container's network namespace."""

    #: Container port the service listens on.
    port: int
    #: Path and query of the request.
    path: str = "/"
    #: HTTP method.
    method: str = "GET"
    #: Extra request headers.
    headers: Mapping[str, str] = field(default_factory=dict)
    #: Request body, sent as is; None for none.
    body: str | None = None

    def __post_init__(self) -> None:
        # These go onto generators' command lines and into a Lua script: refuse what could be
        # read as an option or break out of a string there, naming the scenario key.
        if not _METHOD.match(self.method):
            raise UsageError(f"load.method: {self.method!r} is not an HTTP method (GET, POST, …)")
        if not self.path or _UNSAFE.search(self.path):
            raise UsageError(f"load.path: {self.path!r} must be a URL path without spaces or control characters")
        for name, value in self.headers.items():
            if not _HEADER_NAME.match(name) or _CONTROL.search(value):
                raise UsageError(f"load.headers: {name!r}: {value!r} is not a valid header name and value")

    @property
    def url(self) -> str:
        # Always the container's own loopback: see the module docstring.
        path = self.path if self.path.startswith("/") else "/" + self.path
        return f"http://127.0.0.1:{self.port}{path}"


@dataclass(frozen=True)
class LoadShape:
    """How much load one generator run applies."""

    #: Connections kept open, a count.
    connections: int
    #: Length of the run, in seconds.
    duration_s: float
    #: Requests per second to send (open loop); None to send as fast as answers come (closed loop).
    rate: float | None = None
    #: Time after which a request without an answer counts as a timeout, in seconds.
    request_timeout_s: float = 5.0
    #: Seconds of load before the measured window in the same run, not counted (generators that
    #: ``warm_up_in_run`` only; others get a separate warm-up run).
    warmup_s: float = 0.0

    def hard_timeout_s(self) -> float:
        """Seconds after which the generator process is killed: the run, half of it again for a
        slow start and the writing of its results, the requests in flight at its end, a grace."""
        return 1.5 * (self.warmup_s + self.duration_s) + self.request_timeout_s + GRACE_S


@dataclass(frozen=True)
class GeneratorResult:
    """What one generator run reports about its measured window (``counts`` has the definitions)."""

    #: Every request of the window by outcome, and the percentiles over all of them.
    counts: Counts
    #: How the latency was measured (from the intended send time, or from the actual one).
    latency_method: str
    #: Length of the whole run as the generator measured it, in seconds.
    elapsed_s: float
    #: Answers of any status in the whole run, warm-up included: none means the container answers
    #: nothing; some with none in the window means it is far behind the rate, a count.
    answered_in_run: int


class Generator(ABC):
    """A load generator program. Implementations register with ``@GENERATORS.register(name)``."""

    #: Registry name, as in ``load.generator``.
    name: ClassVar[str]
    #: One line telling how to install it.
    install_hint: ClassVar[str]

    @abstractmethod
    def version(self) -> str | None:
        """The version the installed program prints; None when it is not installed."""

    @abstractmethod
    def latency_method(self, rate: float | None) -> str:
        """What its latency figures mean at ``rate`` (None: closed loop), one sentence."""

    #: True when one run holds the warm-up and the window (``LoadShape.warmup_s``), keeping its
    #: connections across both; False: the warm-up is a run of its own before the measured one.
    warms_up_in_run: ClassVar[bool] = False

    def check(self, shape: LoadShape) -> None:
        """Refuse a shape this generator cannot apply faithfully (UsageError naming the key)."""
        return None  # every shape, unless a generator says otherwise

    @abstractmethod
    def command(self, request: LoadRequest, shape: LoadShape, workdir: Path, cpus: int) -> list[str]:
        """The command line of one run on ``cpus`` CPUs; ``workdir`` is an empty folder for files it needs."""

    @abstractmethod
    def parse(self, stdout: str, shape: LoadShape, workdir: Path) -> GeneratorResult:
        """Parse the output of one run of ``shape`` (and what it wrote in ``workdir``); GeneratorError
        when it holds no result."""

    def require(self) -> str:
        """The installed version; UsageError with the install hint when it is not installed."""
        found = self.version()
        if found is None:
            raise UsageError(f"load.generator {self.name!r} is not installed; {self.install_hint}")
        return found

    def run(
        self, request: LoadRequest, shape: LoadShape, *, netns_fd: int, cpuset: str, watch: RunWatch | None = None
    ) -> GeneratorResult:
        """Run once inside the network namespace open at ``netns_fd``, pinned to ``cpuset``; ``watch``
        is told its pid when it starts and its CPU time (rusage) when it has exited.

        Raises GeneratorTimeout when it outlives ``shape.hard_timeout_s()`` (it is killed then),
        GeneratorError when it fails or prints nothing usable.
        """
        self.check(shape)
        what = f"load generator {self.name}"
        with tempfile.TemporaryDirectory(prefix=f"cprofiler-{self.name}-") as tmp:
            argv = self.command(request, shape, Path(tmp), len(cpuset_cpus(cpuset)))
            # The child opens its own copy of the descriptor: /proc/self is nsenter there.
            cmd = ["nsenter", f"--net=/proc/self/fd/{netns_fd}", "taskset", "-c", cpuset, *argv]
            timeout_s = shape.hard_timeout_s()
            try:
                done = run_measured(cmd, timeout_s=timeout_s, pass_fds=(netns_fd,), watch=watch)
            except OSError as exc:
                raise GeneratorError(f"cannot run {what} ({cmd[0]}): {exc}") from exc
            if done.timed_out:
                raise GeneratorTimeout(f"{what} ran past its hard timeout of {timeout_s:.0f} s and was killed")
            if done.code != 0:
                raise GeneratorError(f"{what} exited with {done.code}: {_tail(done.stderr or done.stdout)}")
            try:  # in the run's folder, which holds what it wrote besides its output
                return self.parse(done.stdout, shape, Path(tmp))
            except GeneratorError as exc:
                raise GeneratorError(f"{exc}; its error output: {_tail(done.stderr)}") from None


#: Every load generator class, by name (``load.generator`` in a scenario).
GENERATORS: Registry[type[Generator]] = Registry("load generator", flag="load.generator")

#: The generator used when the scenario names none: open loop with latency from the intended send time.
DEFAULT_GENERATOR = "oha"


def make_generator(name: str = DEFAULT_GENERATOR) -> Generator:
    """The generator called ``name``; UsageError naming ``load.generator`` and the choices when unknown."""
    return GENERATORS.get(name)()


def run_bounded(cmd: list[str], *, what: str, timeout_s: float, pass_fds: tuple[int, ...] = ()) -> tuple[str, str, int]:
    """Run ``cmd`` (named ``what`` in messages); return ``(stdout, stderr, exit code)``. Kill its process group at ``timeout_s``.

    The child leads a session of its own, so a kill reaches anything it started too, and it is
    killed when this process dies. Waited for in the calling thread, which must be the one that
    outlives it (see ``children``).
    """
    try:
        proc = spawn(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            pass_fds=pass_fds,
            start_new_session=True,
        )
    except OSError as exc:
        raise GeneratorError(f"cannot run {what} ({cmd[0]}): {exc}") from exc
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.communicate()
        raise GeneratorTimeout(f"{what} ran past its hard timeout of {timeout_s:.0f} s and was killed") from None
    except BaseException:
        _kill_group(proc)  # an interrupt must not leave a generator loading a container
        proc.communicate()
        raise
    return out, err, proc.returncode


def cpuset_cpus(cpuset: str) -> list[int]:
    """The CPU numbers of a cpuset list (``0``, ``1-3``, ``0,2-3``); UsageError naming it when malformed."""
    cpus: set[int] = set()
    try:
        for part in cpuset.split(","):
            first, _, last = part.strip().partition("-")
            cpus.update(range(int(first), int(last or first) + 1))
    except ValueError:
        raise UsageError(f"load cpuset {cpuset!r} is not a CPU list like 0, 1-3 or 0,2") from None
    if not cpus or min(cpus) < 0:
        raise UsageError(f"load cpuset {cpuset!r} is not a CPU list like 0, 1-3 or 0,2")
    return sorted(cpus)


def find_program(name: str, *extra: Path) -> str | None:
    """``name`` on PATH, else the first of ``extra`` that exists and is executable."""
    found = shutil.which(name)
    if found:
        return found
    return next((str(p) for p in extra if os.access(p, os.X_OK)), None)


def program_version(path: str, *args: str) -> str | None:
    """First line ``path args`` prints (stdout or stderr); None when it cannot be run."""
    try:
        proc = subprocess.run([path, *args], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = (proc.stdout or proc.stderr).strip().splitlines()
    return lines[0].strip() if lines else None


def _kill_group(proc: subprocess.Popen[str]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # already gone


def _tail(text: str) -> str:
    text = " ".join(text.split())
    return text[-_STDERR_TAIL:] if text else "(no output)"
