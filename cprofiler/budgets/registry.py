"""The budget checks by scenario key (``budgets: {cold_start_p95_ms: 500}``); each adds itself on import."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from cprofiler.plugins import Registry

if TYPE_CHECKING:
    from cprofiler.results.model import ImageResult


@dataclass(frozen=True)
class BudgetCheck:
    """How one ``budgets:`` key is checked against an image's results."""

    #: What the figure is, for people: ``cold start p95``.
    what: str
    #: The unit of both the limit and the figure: ``ms``, ``MiB``, ``qps``.
    unit: str
    #: ``max``: the figure must not exceed the limit; ``min``: it must not fall below it.
    kind: Literal["max", "min"]
    #: The figure in ``unit``, from an image's ok runs; None when they do not have it.
    figure: Callable[[ImageResult], float | None]
    #: The report column (``report.rows.COLUMNS`` key) that shows the figure, to mark; None if none does.
    column: str | None = None
    #: True for a load-phase figure: a failed load phase exceeds the budget, whatever the figure.
    load: bool = False


BUDGETS: Registry[BudgetCheck] = Registry("budget", flag="budgets")
