"""The Docker SDK's and the transport's exceptions, translated into cprofiler's errors.

Every engine call runs inside :func:`engine_call`, which turns whatever the SDK, requests or the
operating system raised into one line for the user: what cprofiler was doing (with the ids
involved), and the engine's or the operating system's own words for why it failed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import docker.errors
import requests.exceptions

from cprofiler.errors import CprofilerError, EngineError, ImageMissing

_ENGINE_HINT = "is the Docker engine running, and may this user use it (docker info)?"


def _os_reason(exc: BaseException) -> str | None:
    """The operating system's words at the bottom of a transport error ("Connection refused").

    requests wraps urllib3, which wraps the OSError; their own texts are nested tuples of reprs.
    """
    todo: list[BaseException] = [exc]
    seen: set[int] = set()
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, OSError) and e.strerror:
            return e.strerror
        if isinstance(e, OSError) and len(e.args) == 1 and isinstance(e.args[0], str):
            return e.args[0]  # "Remote end closed connection without response"
        todo.extend(a for a in e.args if isinstance(a, BaseException))
        todo.extend(n for n in (e.__cause__, e.__context__, getattr(e, "reason", None)) if isinstance(n, BaseException))
    return None


def _engine_reason(exc: BaseException) -> str | None:
    """The engine's own words for refusing a request ("Minimum memory limit allowed is 6MB"), not
    the SDK's "400 Client Error … for url …" around them."""
    if isinstance(exc, docker.errors.APIError):
        text = str(exc.explanation or "").strip()
        if text:
            return text.splitlines()[0]
    return None


def engine_fault(action: str, exc: BaseException) -> EngineError:
    """Translate an SDK or transport exception into one line for the user."""
    text = (
        _engine_reason(exc) or _os_reason(exc) or (str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
    )
    if isinstance(exc, PermissionError) or "Permission denied" in text:
        return EngineError(f"Docker engine: permission denied while trying to {action}; {_ENGINE_HINT}")
    if isinstance(exc, (requests.exceptions.ConnectionError, FileNotFoundError, ConnectionError)):
        return EngineError(f"Docker engine: not reachable while trying to {action} ({text}); {_ENGINE_HINT}")
    if isinstance(exc, docker.errors.ImageNotFound):
        return ImageMissing(f"Docker engine: failed to {action}: {text}")
    return EngineError(f"Docker engine: failed to {action}: {text}")


@contextmanager
def engine_call(action: str) -> Iterator[None]:
    """Turn any SDK or transport exception raised inside into ``engine_fault(action, …)``.

    ``action`` says what was being done, with the ids involved (``start container 0123456789ab``):
    it is the only part of the message that tells the user which call failed. cprofiler's own
    errors raised inside (a BuildError read from a build log) pass through unchanged; an answer
    that is no failure (an image already gone) is caught inside the ``with`` before it gets here.
    """
    try:
        yield
    except CprofilerError:
        raise
    except Exception as exc:  # noqa: BLE001 - any SDK or transport error becomes one line
        raise engine_fault(action, exc) from exc


def refusal(exc: docker.errors.APIError) -> str:
    """The engine's one-line reason for refusing a request (a pull of an unknown image)."""
    return str(exc.explanation or exc).strip().splitlines()[0]
