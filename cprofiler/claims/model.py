"""The claims file: what a text (an article, a vendor's page) states, and where its figure is measured.

```yaml
title: The article's claims
results: {gateway: ../results/article-gateway.json}   # names for results files, relative to this file
tables:
  - title: The gateway table
    claims:
      - claim: Go serves 2.96x Python's QPS
        article: 2.96                 # the figure the text gives, in the unit of what is measured
        claims: size                  # size | direction | value | none (see verdict.py)
        measured: {ratio: [{results: gateway, image: go-gin, field: qps}, {results: gateway, image: flask-gunicorn, field: qps}]}
```
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cprofiler.errors import UsageError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Selector(_Strict):
    """One measured figure: an image's field in a named results file."""

    results: str
    #: The scenario's image name (an entry of a ``cpus`` list is chosen by ``cpus``).
    image: str
    #: What is read (figures.py says how each is computed and in which unit).
    field: Literal[
        "qps",
        "p99_ms",
        "cpu_cores",
        "working_set_peak_mib",
        "capacity_rps",
        "ready_ms",
        "app_start_ms",
        "image_size_mib",
        "working_set_mib",
    ]
    #: The entry's CPU limit, in cores; none: the image's only entry.
    cpus: float | None = None
    #: The offered rate of a load step, in requests per second; none: closed loop.
    rate: float | None = None


class Measured(_Strict):
    """A figure, or the ratio of two (``ratio: [numerator, denominator]``)."""

    figure: Selector | None = None
    ratio: tuple[Selector, Selector] | None = None

    @model_validator(mode="after")
    def _one(self) -> Measured:
        if (self.figure is None) == (self.ratio is None):
            raise ValueError("give exactly one of figure and ratio")
        return self


class Claim(_Strict):
    claim: str
    #: The text's own figure; none for a claim without a number.
    article: float | None = None
    #: ``size``: the figure itself (a ratio's size) within ``tolerance``; ``direction``: only which
    #: side of 1 a ratio lies; ``value``: an absolute figure that should hold anywhere (an image's
    #: size); ``none``: not comparable for the reason in ``note``.
    claims: Literal["size", "direction", "value", "none"] = "size"
    #: For a ``direction`` claim the text gives no figure for: the side of 1 it says the ratio lies.
    expects: Literal["above", "below"] | None = None
    #: A measured figure within a factor of this of the article's agrees with it.
    tolerance: float = Field(default=1.5, gt=1)
    measured: Measured | None = None
    #: False where a stand-in's figure says nothing of the image the text built (its size): such a
    #: figure is then shown but not judged.
    stand_in_judged: bool = True
    #: Why, for ``claims: none``; otherwise said beside the verdict.
    note: str | None = None


class Table(_Strict):
    title: str
    claims: list[Claim]


class ClaimsFile(_Strict):
    title: str
    #: Results files by name, relative to the claims file.
    results: dict[str, Path]
    tables: list[Table]

    @model_validator(mode="after")
    def _known_results(self) -> ClaimsFile:
        for table in self.tables:
            for claim in table.claims:
                for sel in _selectors(claim):
                    if sel.results not in self.results:
                        raise ValueError(f"claim {claim.claim!r}: results {sel.results!r} is not one of {sorted(self.results)}")
        return self


def _selectors(claim: Claim) -> list[Selector]:
    if claim.measured is None:
        return []
    return [claim.measured.figure] if claim.measured.figure else list(claim.measured.ratio or ())


def load(path: Path) -> ClaimsFile:
    """Read and check ``path``; raise UsageError (exit 2) naming the file and key on any mistake."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageError(f"{path}: cannot read the claims file: {exc}") from exc
    try:
        parsed = ClaimsFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(top)"
        raise UsageError(f"{path}: {where}: {err['msg']}") from exc
    base = path.parent
    return parsed.model_copy(update={"results": {k: (base / v) for k, v in parsed.results.items()}})
