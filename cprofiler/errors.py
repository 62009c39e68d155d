"""One family of errors, caught at the CLI edge.

Every message is one line that names the file, key or flag at fault and, where it can, the fix.
The user never sees a traceback for one of these (only with ``--verbose``).
"""

from __future__ import annotations


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
        super().__init__(f"{where}: {what}{expected}")
        self.path = path
        self.key = key
        self.line = line


class EngineError(CprofilerError):
    """The Docker engine is missing, refused us, or failed mid-run."""


class BuildError(CprofilerError):
    """An image did not build; the message carries the image name and the build log's tail."""


class Interrupted(CprofilerError):
    """Ctrl-C or SIGTERM: finished runs are kept; exit 130 or 143."""

    def __init__(self, signum: int, message: str) -> None:
        super().__init__(message)
        self.exit_code = 128 + signum
