"""The one base of every results record, and reading one: strict, finite, never negative where a
figure cannot be.

Strict: a number written as a string (``"9Mi"``, ``"640"``, ``"qps": "1651"``) is a malformed
file, not something to guess at; NaN and infinity are not numbers any run measured. Extra keys are
ignored: a file's derived figures (``summary``, ``warnings``, ``budget_checks``) are computed again
from its runs. Sizes, durations, rates, counts and CPU are :data:`Size`, :data:`Duration`,
:data:`Rate`, :data:`Cores`, never below zero; a figure that is the difference of two clocks (``probe_lag_ms``,
the API server's times) may be.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cprofiler.errors import UsageError
from cprofiler.scenario.model import quote


class Record(BaseModel):
    """A record of a results file or run log."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False, validate_assignment=False, strict=True)


#: A size in bytes, or a count (layers, requests, pids, page faults): zero or more.
Size = Annotated[int, Field(ge=0)]
#: A duration or a latency (``_ms``, ``_s``): zero or more.
Duration = Annotated[float, Field(ge=0)]
#: A rate, in requests per second: zero or more.
Rate = Annotated[float, Field(ge=0)]
#: CPU, in cores: zero or more.
Cores = Annotated[float, Field(ge=0)]


M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], data: Any, where: str) -> M:
    """``model`` validated from ``data``; UsageError naming ``where`` and the path inside it."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise UsageError(f"{where}: {describe_error(exc)}") from None
    except RecursionError:
        raise UsageError(f"{where}: nested too deeply; expected a cprofiler results file") from None


def describe_error(exc: ValidationError) -> str:
    """The first validation error as ``images[0].runs[3].working_set_bytes: expected …``."""
    err = exc.errors()[0]
    path = ""
    for part in err["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    if err["type"] == "missing":
        return f"{path or 'document'}: required key is missing"
    msg = str(err["msg"]).removeprefix("Value error, ")
    got = err.get("input")
    shown = "" if isinstance(got, (dict, list)) else f" (got {quote(got)})"
    return f"{path or 'document'}: {msg}{shown}"
