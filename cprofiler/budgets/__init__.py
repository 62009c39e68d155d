"""Budgets: limits from the scenario file checked against an image's results.

``budgets:`` keys are declared in the scenario model (:class:`cprofiler.scenario.model.Budgets`);
how each is checked is a :class:`~cprofiler.budgets.registry.BudgetCheck` in the ``BUDGETS``
registry. A key without a check is reported as not checked, never as kept; a load-phase budget of
an image without a load phase is not measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cprofiler.budgets import checks  # noqa: F401 - they register themselves
from cprofiler.budgets.registry import BUDGETS, BudgetCheck
from cprofiler.results import capacity

if TYPE_CHECKING:
    from cprofiler.results.model import ImageResult

#: A budget's outcome: within it, beyond it, no figure to judge (no ok run), no check for the key.
KEPT, EXCEEDED, NOT_MEASURED, NOT_CHECKED = "kept", "exceeded", "not measured", "not checked"


@dataclass(frozen=True)
class BudgetResult:
    """One budget of one image, judged."""

    #: The scenario key: ``cold_start_p95_ms``.
    key: str
    #: The limit, in the key's unit.
    limit: float
    #: The figure judged, in the same unit; None when not measured or not checked.
    figure: float | None
    #: kept, exceeded, not measured, not checked.
    status: str
    #: The check, when one is registered for the key.
    check: BudgetCheck | None
    #: Why the budget is exceeded whatever the figure: the load phase failed; None otherwise.
    why: str | None = None

    def describe(self) -> str:
        """One sentence: ``cold start p95 713 ms exceeds its budget of 500 ms (cold_start_p95_ms)``."""
        c = self.check
        if c is None:
            return f"{self.key} {self.limit:g}: not checked (nothing measures it yet)"
        limit = f"{self.limit:g} {c.unit}"
        if self.why is not None:
            return f"{c.what}: {self.why}, so its budget of {limit} ({self.key}) is not kept"
        if self.figure is None:
            return f"{c.what}: not measured, so its budget of {limit} ({self.key}) is not checked"
        verb = {KEPT: "keeps", EXCEEDED: "exceeds" if c.kind == "max" else "falls below"}[self.status]
        return f"{c.what} {self.figure:.1f} {c.unit} {verb} its budget of {limit} ({self.key})"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"budget": self.key, "limit": self.limit, "figure": self.figure, "status": self.status}
        if self.why is not None:
            out["why"] = self.why
        return out


def evaluate(image: ImageResult) -> list[BudgetResult]:
    """Every budget ``image`` carries, judged on its ok runs, in the order of the scenario keys; a
    load budget of an image whose load phase failed is exceeded, saying why when its figure alone
    would have kept it."""
    if image.budgets is None:
        return []
    failed = capacity.failures(image.load) if image.load is not None else []
    out = []
    for key, limit in image.budgets.set().items():
        check = BUDGETS[key] if key in BUDGETS else None
        figure = check.figure(image) if check is not None else None
        if check is None:
            status = NOT_CHECKED
        elif figure is None:
            status = NOT_MEASURED
        elif figure > limit if check.kind == "max" else figure < limit:
            status = EXCEEDED
        else:
            status = KEPT
        if check is not None and check.load and failed and status != EXCEEDED:
            # Figures of a service that failed under load keep no budget, however good they look.
            out.append(BudgetResult(key, limit, figure, EXCEEDED, check, f"the load phase failed ({'; '.join(failed)})"))
            continue
        out.append(BudgetResult(key, limit, figure, status, check))
    return out
