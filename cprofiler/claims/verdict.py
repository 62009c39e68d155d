"""The verdict on one claim: *confirmed*, *refuted* or *not comparable*, with why.

The rules, by what the claim states (``claims:`` in the claims file):
- ``none``, nothing measured, a figure that measured the load generator, or a stand-in's figure
  where the claim says a stand-in cannot answer it (``stand_in_judged: false``, an image's size):
  **not comparable**, with the claim's note or what was missing as the reason.
- ``direction`` (a ratio: which of two is larger): **confirmed** when the ratio's whole interval lies
  on the article's side of 1, **refuted** when it lies wholly on the other side, **not comparable**
  when it holds 1 (the two cannot be told apart).
- ``size`` (a ratio's size) and ``value`` (an absolute figure that should hold on any machine, such
  as an image's size): **confirmed** when the interval meets the article's figure widened by the
  claim's tolerance (``article / tolerance … article × tolerance``), **refuted** otherwise; a ratio on
  the other side of 1 is refuted as "the other way round". A lower bound (a capacity at the top of
  the sweep) refutes only when it is already above the article's band, else it is not comparable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cprofiler.claims.figures import Figure
from cprofiler.claims.model import Claim

Kind = Literal["confirmed", "refuted", "not comparable"]


@dataclass(frozen=True)
class Verdict:
    kind: Kind
    #: One sentence: the rule that decided, with the figures.
    why: str


def _x(v: float) -> str:
    return f"{v:.2f}×" if v < 10 else f"{v:.1f}×"


def _direction(a: float, f: Figure) -> Verdict:
    if f.low <= 1 <= f.high:
        return Verdict("not comparable", f"cannot be told apart: the interval {_x(f.low)}…{_x(f.high)} holds 1")
    same = (f.low > 1) == (a > 1)
    side = "above" if f.low > 1 else "below"
    if same:
        return Verdict("confirmed", f"the whole interval lies {side} 1, as the article says")
    return Verdict("refuted", f"the other way round: the whole interval lies {side} 1")


def _size(claim: Claim, a: float, f: Figure) -> Verdict:
    tol = claim.tolerance
    band_low, band_high = a / tol, a * tol
    if f.unit == "×" and a != 1 and not f.low <= 1 <= f.high and (f.low > 1) != (a > 1):
        return _direction(a, f)
    if f.at_least:
        if f.low > band_high:
            return Verdict("refuted", f"at least {f.low / a:.2f}× the article's, beyond its ×{tol:g} band")
        return Verdict("not comparable", "a lower bound (the sweep's top rate was served): the server may do more")
    if f.high >= band_low and f.low <= band_high:
        return Verdict("confirmed", f"the interval meets the article's figure within ×{tol:g}")
    return Verdict("refuted", f"{f.median / a:.2f}× the article's figure, outside its ×{tol:g} band")


def judge(claim: Claim, figure: Figure | None, missing: str | None = None) -> Verdict:
    """The verdict on ``claim`` given its measured ``figure`` (None: not measured, for ``missing``)."""
    if claim.claims == "none":
        return Verdict("not comparable", claim.note or "the claim names no figure that can be measured here")
    if figure is None:
        return Verdict("not comparable", f"not measured: {missing or 'no figure'}")
    if figure.stand_in and not claim.stand_in_judged:
        return Verdict("not comparable", "measured on a stand-in base, not on the image the article built")
    if figure.generator_bound:
        return Verdict("not comparable", "measured the load generator's ceiling, not the server")
    if claim.claims == "direction" and claim.expects is not None:
        return _direction(2.0 if claim.expects == "above" else 0.5, figure)
    if claim.article is None or claim.article <= 0:
        return Verdict("not comparable", "the claim gives no positive figure to compare with")
    if claim.claims == "direction":
        return _direction(claim.article, figure)
    return _size(claim, claim.article, figure)
