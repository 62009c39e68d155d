"""One family of errors, caught at the CLI edge.

Every message is one line that names the file, key or flag at fault and, where it can, the fix.
The user never sees a traceback for one of these (only with ``--verbose``).
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class CprofilerError(Exception):
    """A fault cprofiler can explain in one line; ``exit_code`` is what the process returns."""

    exit_code: int = 1


class UsageError(CprofilerError):
    """Bad input: a scenario file, flag or results file the user must fix (exit code 2)."""

    exit_code = 2


class ScenarioError(UsageError):
    """A scenario file that cannot be used; the message names file, line, key and expectation."""

    def __init__(self, path: object, key: str | None, expected: str, line: int | None = None) -> None:
        where = f"{path}"
        if line is not None:
            where += f":{line}"
        what = f"{key}: " if key else ""
        # Keys, values and file names come from the user's file: a newline in one must not break
        # the one-line promise, so control characters are shown escaped.
        super().__init__(_CONTROL.sub(lambda m: repr(m.group())[1:-1], f"{where}: {what}{expected}"))
        self.path = path
        self.key = key
        self.line = line


class EngineError(CprofilerError):
    """The Docker engine is missing, refused us, or failed mid-run."""


class ClusterError(EngineError):
    """The Kubernetes API server is missing, refused us, or failed mid-run (``--backend kubernetes``)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        #: The HTTP status the API server answered (404: no such object), or None.
        self.status = status


class ImageMissing(EngineError):
    """The engine has no image of that id (another invocation's ``--cold image`` may have removed it)."""


class ImageInUse(EngineError):
    """The engine refused to remove an image because a running container uses it."""


class RegistryRefused(EngineError):
    """The engine answered a pull or a push with a refusal (no such image, registry unreachable from
    the engine, access denied): the engine itself works, the transfer does not."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        #: The engine's or the registry's one-line reason, for callers that word their own message.
        self.reason = reason


class BuildError(CprofilerError):
    """An image did not build; the message carries the image name and the build log's tail."""


class Signalled(BaseException):
    """SIGINT, SIGTERM or SIGHUP arrived; raised in the main thread by the runner's signal handler.

    A BaseException, like KeyboardInterrupt, so that no ``except Exception`` on its way (around an
    engine call, a probe, a build stream) can turn it into an ordinary error. The measure command
    turns it into Interrupted once clean-up is done.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    def describe(self) -> str:
        """``interrupted by Ctrl-C`` or ``interrupted by SIGTERM``: for the results and the user."""
        import signal

        return "interrupted by " + ("Ctrl-C" if self.signum == signal.SIGINT else signal.Signals(self.signum).name)


class Interrupted(CprofilerError):
    """Ctrl-C, SIGTERM or SIGHUP: finished runs are kept; exit 130, 143 or 129 (128 + the signal)."""

    def __init__(self, signum: int, message: str) -> None:
        super().__init__(message)
        self.exit_code = 128 + signum
