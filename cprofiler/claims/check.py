"""Check every claim of a claims file against its results files: one row per claim."""

from __future__ import annotations

from dataclasses import dataclass

from cprofiler.claims import figures
from cprofiler.claims.figures import Figure, Missing
from cprofiler.claims.model import Claim, ClaimsFile
from cprofiler.claims.verdict import Verdict, judge
from cprofiler.results import runlog
from cprofiler.results.model import Measurement


@dataclass(frozen=True)
class Row:
    table: str
    claim: Claim
    figure: Figure | None
    verdict: Verdict

    @property
    def against_article(self) -> float | None:
        """The measured median over the article's figure (a ratio of ratios for a ratio claim)."""
        if self.figure is None or not self.claim.article:
            return None
        return self.figure.median / self.claim.article


def check(claims: ClaimsFile) -> list[Row]:
    """Every claim of ``claims`` judged; each results file is read once (UsageError when one cannot be)."""
    measurements: dict[str, Measurement] = {name: runlog.load(path) for name, path in claims.results.items()}
    rows = []
    for table in claims.tables:
        for claim in table.claims:
            figure, missing = None, None
            if claim.measured is not None:
                try:
                    figure = figures.measured(measurements, claims.results, claim.measured)
                except Missing as exc:
                    missing = str(exc)
            rows.append(Row(table.title, claim, figure, judge(claim, figure, missing)))
    return rows
