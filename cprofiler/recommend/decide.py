"""Which image, and why: hard limits, the Pareto set, a weighted ranking, one recommendation.

Pure functions of :class:`~cprofiler.recommend.criteria.Candidate` lists. The conventions:

- **Better** means separably better: the intervals of the two medians, each of at least 95 %
  coverage, do not overlap (:func:`~cprofiler.recommend.criteria.separable`). A difference inside
  the noise decides nothing, and neither do fewer than 6 values (their interval is a range that
  covers less than 95 %): that is "too few runs to separate", never "apart". Image sizes within
  ``max(1 MiB, 2 %)`` are equal.
- **Dominated**: another image is separably better on at least one criterion and separably worse
  on none. The Pareto set (the images nothing dominates) is taken over every criterion all
  candidates have, whatever the weights: weights choose *within* it, so a dominated image is
  never recommended.
- **Score**: the weighted geometric mean of each weighted criterion's median over the best
  median (the table's "×best"); 1.0 is best on everything weighted.
- **Tie**: a Pareto image that the recommended one is not separably better than on any weighted
  criterion; the recommendation then rests on noise, and says so.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from cprofiler.errors import CprofilerError, UsageError
from cprofiler.recommend.criteria import CRITERIA, Candidate, Criterion, separable, too_few

#: The criteria weighed when the user names none: each measured one counts the same.
DEFAULT_CRITERIA = ("start", "memory", "size", "qps")


class NothingLeft(CprofilerError):
    """No image meets the hard limits (exit 1): the message says which limits and the closest image."""


@dataclass(frozen=True)
class Domination:
    """``by`` is separably better on the criteria ``on`` and separably worse on none."""

    by: str
    on: tuple[str, ...]


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    #: Weighted geometric mean of median/best over the weighted criteria; 1.0 is best on each.
    score: float
    dominated_by: tuple[Domination, ...] = ()

    @property
    def pareto(self) -> bool:
        return not self.dominated_by


@dataclass(frozen=True)
class Excluded:
    candidate: Candidate
    #: One clause: ``cold start 625 ms is over --max-start 500 ms``.
    reason: str


@dataclass(frozen=True)
class Tie:
    """A Pareto image the recommended one is not separably better than on the weighted criteria."""

    other: Candidate
    #: Weighted criteria the two cannot be told apart on (intervals overlap, or too few values).
    on: tuple[str, ...]
    #: Those of ``on`` where one side has too few values to tell (a range short of 95 %).
    too_few: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recommendation:
    #: Criterion → weight, as used (the defaults when the user gave none).
    weights: dict[str, float]
    #: Criterion → hard limit, in the criterion's unit (a maximum, or a minimum for qps).
    limits: dict[str, float]
    #: The criteria of the Pareto set: every one all remaining candidates have.
    compared_on: tuple[str, ...]
    #: Best score first; dominated images included (and marked).
    ranking: list[Ranked]
    excluded: list[Excluded]
    choice: Ranked
    #: One sentence: why the choice.
    reason: str
    ties: list[Tie]
    #: One sentence: the uncertainty that matters to the choice.
    uncertainty: str
    notes: list[str] = field(default_factory=list)

    @property
    def pareto(self) -> list[Ranked]:
        return [r for r in self.ranking if r.pareto]


def dominations(cands: Sequence[Candidate], criteria: Sequence[str]) -> dict[str, tuple[Domination, ...]]:
    """Label → who dominates it and on what; an empty tuple for the Pareto set.

    With overlapping intervals "dominates" need not be transitive, and in a rare cycle every
    candidate would be dominated; the medians alone then decide, which always leaves a Pareto set.
    """
    crits = [CRITERIA[c] for c in criteria]
    out = _separably_dominated(cands, crits)
    if cands and all(out.values()):
        out = {b.label: _dominated_by(b, cands, crits) for b in cands}
    return out


def _separably_dominated(cands: Sequence[Candidate], crits: list[Criterion]) -> dict[str, tuple[Domination, ...]]:
    """``dominations`` on the intervals, as sets of candidates (bit i: ``cands[i]``).

    Comparing every pair would be quadratic in the images before a word of output: for each
    criterion, the candidates sorted by an interval end give, for each candidate, the ones
    separably better (and worse) than it as a prefix (a suffix) of that order, one bisection
    each; only the dominations found are then spelled out, in ``cands`` order.
    """
    better_than: list[list[int]] = [[0] * len(cands) for _ in crits]
    worse_than = [0] * len(cands)
    for c, better in zip(crits, better_than, strict=True):
        # An estimate's bounds: its interval with its margin, unbounded when it cannot tell.
        ests = [x.values[c.name].bounds for x in cands]
        # Lower is better: a beats b when a.high < b.low. Higher is better: when a.low > b.high.
        sign = -1.0 if c.higher_is_better else 1.0
        tops = [(sign * (e[0] if c.higher_is_better else e[1]), i) for i, e in enumerate(ests)]
        bottoms = [(sign * (e[1] if c.higher_is_better else e[0]), i) for i, e in enumerate(ests)]
        tops.sort()
        bottoms.sort()
        ahead = _prefix_sets([i for _, i in tops])
        behind = _suffix_sets([i for _, i in bottoms])
        top_keys = [k for k, _ in tops]
        bottom_keys = [k for k, _ in bottoms]
        for i, e in enumerate(ests):
            mine_bottom = sign * (e[1] if c.higher_is_better else e[0])
            mine_top = sign * (e[0] if c.higher_is_better else e[1])
            better[i] = ahead[bisect.bisect_left(top_keys, mine_bottom)]
            worse_than[i] |= behind[bisect.bisect_right(bottom_keys, mine_top)]
    out = {}
    for i, b in enumerate(cands):
        winners = 0
        for better in better_than:
            winners |= better[i]
        winners &= ~worse_than[i] & ~(1 << i)
        # Which criteria each winner is better on: one set operation per combination of criteria.
        on_of: dict[int, tuple[str, ...]] = {}
        for combo in range(1, 1 << len(crits)) if winners else ():
            chosen = winners
            for bit, better in enumerate(better_than):
                chosen &= better[i] if combo >> bit & 1 else ~better[i]
            if chosen:
                on = tuple(c.name for bit, c in enumerate(crits) if combo >> bit & 1)
                on_of.update(dict.fromkeys(_members(chosen), on))
        out[b.label] = tuple(Domination(cands[j].label, on_of[j]) for j in _members(winners))
    return out


def _prefix_sets(order: list[int]) -> list[int]:
    """``sets[k]``: the first k of ``order`` as a bit set."""
    sets = [0]
    for i in order:
        sets.append(sets[-1] | 1 << i)
    return sets


def _suffix_sets(order: list[int]) -> list[int]:
    """``sets[k]``: all of ``order`` from position k on, as a bit set."""
    sets = [0] * (len(order) + 1)
    for k in range(len(order) - 1, -1, -1):
        sets[k] = sets[k + 1] | 1 << order[k]
    return sets


def _members(bits: int) -> list[int]:
    """The positions of the set bits of ``bits``, lowest first."""
    out = []
    while bits:
        low = bits & -bits
        out.append(low.bit_length() - 1)
        bits ^= low
    return out


def _dominated_by(b: Candidate, cands: Sequence[Candidate], crits: list[Criterion]) -> tuple[Domination, ...]:
    """Who dominates ``b`` on the medians alone (the fallback of ``dominations``)."""
    found = []
    for a in cands:
        if a is b:
            continue
        better = tuple(c.name for c in crits if _median_better(c, a, b))
        worse = any(_median_better(c, b, a) for c in crits)
        if better and not worse:
            found.append(Domination(a.label, better))
    return tuple(found)


def _median_better(c: Criterion, a: Candidate, b: Candidate) -> bool:
    x, y = a.values[c.name].median, b.values[c.name].median
    return x > y if c.higher_is_better else x < y


def recommend(
    cands: Sequence[Candidate], weights: dict[str, float] | None = None, limits: dict[str, float] | None = None
) -> Recommendation:
    """Rank ``cands`` and choose one; ``weights`` None weighs every default criterion they all have.

    Raises UsageError when a weighted criterion has no figure in any candidate (``--prefer qps``
    without a load phase), NothingLeft when the limits exclude every candidate.
    """
    limits = dict(limits or {})
    if not cands:
        raise NothingLeft("no image has an ok run to recommend; see the status of each run in the results")
    if weights is None:
        weights = {c: 1.0 for c in DEFAULT_CRITERIA if all(c in x.values for x in cands)}
    for name in [*weights, *limits]:
        if not any(name in x.values for x in cands):
            crit = CRITERIA[name]
            flag = crit.limit_flag if name in limits else f"--prefer/--weights {name}"
            raise UsageError(f"{flag}: no image in these results has a {crit.what} figure{_why_missing(name)}")
    excluded, left = _apply(cands, weights, limits)
    if not left:
        flags = ", ".join(f"{CRITERIA[n].limit_flag} {CRITERIA[n].fmt(v)}" for n, v in limits.items())
        reasons = "; ".join(f"{e.candidate.label}: {e.reason}" for e in excluded[:3])
        raise NothingLeft(f"no image is left after {flags or 'the criteria'} ({reasons}); relax a limit")
    compared_on = tuple(c for c in CRITERIA if all(c in x.values for x in left))
    dominated = dominations(left, compared_on)
    best = {n: CRITERIA[n].best_of([x.values[n].median for x in left]) for n in weights}
    ranking = sorted(
        (Ranked(x, _score(x, weights, best), dominated[x.label]) for x in left), key=lambda r: (r.score, r.candidate.label)
    )
    choice = next(r for r in ranking if r.pareto)
    ties = [t for r in ranking if r.pareto and r is not choice and (t := _tie(choice.candidate, r.candidate, weights))]
    return Recommendation(
        weights=weights,
        limits=limits,
        compared_on=compared_on,
        ranking=ranking,
        excluded=excluded,
        choice=choice,
        reason=_reason(choice.candidate, left, weights),
        ties=ties,
        uncertainty=_uncertainty(choice, ranking, ties, weights),
        notes=[*_stand_in_notes(left), *_bound_notes(left)],
    )


def _stand_in_notes(left: Sequence[Candidate]) -> list[str]:
    """One note per stand-in base: which images ran on it instead of the real base."""
    by_base: dict[str, list[str]] = {}
    for x in left:
        if x.stand_in is not None:
            by_base.setdefault(x.stand_in, []).append(x.label)
    return [
        f"{_join(labels)} {'was' if len(labels) == 1 else 'were'} measured on a stand-in base ({base}), not the real one; "
        "measure the real base before deciding"
        for base, labels in by_base.items()
    ]


def _bound_notes(left: Sequence[Candidate]) -> list[str]:
    """One note naming the images whose QPS is generator-bound: a lower bound, never a win."""
    bound = [x.label for x in left if "qps" in x.values and x.values["qps"].at_least]
    if not bound:
        return []
    return [
        f"the QPS of {_join(bound)} is generator-bound (≥: near the load generator's own ceiling): it measured the "
        "generator, not the image; it is ranked as a lower bound, never as a win over another bound figure"
    ]


def _why_missing(name: str) -> str:
    return "; it needs a load phase in the scenario" if name == "qps" else ""


def _apply(
    cands: Sequence[Candidate], weights: dict[str, float], limits: dict[str, float]
) -> tuple[list[Excluded], list[Candidate]]:
    excluded, left = [], []
    for x in cands:
        missing = [CRITERIA[n].what for n in [*weights, *limits] if n not in x.values]
        over = [
            f"{c.what} {c.fmt(x.values[n].median)} is {'under' if c.higher_is_better else 'over'} {c.limit_flag} {c.fmt(v)}"
            for n, v in limits.items()
            if n in x.values and not (c := CRITERIA[n]).within(x.values[n].median, v)
        ]
        if missing:
            excluded.append(Excluded(x, f"no {' or '.join(dict.fromkeys(missing))} figure"))
        elif over:
            excluded.append(Excluded(x, "; ".join(over)))
        else:
            left.append(x)
    return excluded, left


def _score(x: Candidate, weights: dict[str, float], best: dict[str, float]) -> float:
    total = 0.0
    for name, w in weights.items():
        value, top = max(x.values[name].median, 1e-9), max(best[name], 1e-9)
        total += w * math.log(top / value if CRITERIA[name].higher_is_better else value / top)
    return math.exp(total / sum(weights.values()))


def _tie(choice: Candidate, other: Candidate, weights: dict[str, float]) -> Tie | None:
    if any(CRITERIA[n].better(choice.values[n], other.values[n]) for n in weights):
        return None
    on = tuple(n for n in weights if not separable(choice.values[n], other.values[n]))
    return Tie(other, on, tuple(n for n in on if too_few(choice.values[n], other.values[n])))


def _reason(choice: Candidate, left: Sequence[Candidate], weights: dict[str, float]) -> str:
    if len(left) == 1:
        figures = ", ".join(f"{CRITERIA[n].what} {CRITERIA[n].fmt(choice.values[n].median)}" for n in weights)
        return f"{choice.label} is the only image left to choose ({figures})."
    strengths, costs = [], []
    for name in weights:
        c, mine = CRITERIA[name], choice.values[name]
        top = max(left, key=lambda x: x.values[name].median * (1 if c.higher_is_better else -1))
        if mine.median == top.values[name].median:
            strengths.append(f"{c.best_words} ({c.fmt(mine.median)})")
        elif too_few(top.values[name], mine):
            figures = f"{c.fmt(mine.median)} against {c.fmt(top.values[name].median)}"
            strengths.append(f"a {c.what} that too few repeats cannot tell from the best ({figures})")
        elif not c.better(top.values[name], mine):
            strengths.append(
                f"a {c.what} within noise of the best ({c.fmt(mine.median)} against {c.fmt(top.values[name].median)})"
            )
        else:
            costs.append(f"{c.worse_words} ({c.fmt(mine.median)} against {c.fmt(top.values[name].median)} for {top.label})")
    text = f"{choice.label} has {_join(strengths)}" if strengths else f"{choice.label} has the best weighted balance"
    return text + (f", at the cost of {_join(costs)}." if costs else ".")


def _uncertainty(choice: Ranked, ranking: list[Ranked], ties: list[Tie], weights: dict[str, float]) -> str:
    me = choice.candidate
    if ties:
        tie = ties[0]
        noisy = [n for n in tie.on if n != "size"]
        figures = ", ".join(
            f"{CRITERIA[n].what} {CRITERIA[n].fmt(me.values[n].median)} against {CRITERIA[n].fmt(tie.other.values[n].median)}"
            for n in tie.on
        )
        others = _join([t.other.label for t in ties])
        runs = min(me.runs_ok, *(t.other.runs_ok for t in ties))
        text = f"{me.label} and {others} are not separable on {_join(list(tie.on))} at {runs} runs"
        text += f" ({figures}; {_why_not(tie)})"
        return text + ("; add --runs" if noisy else "")
    if len(ranking) == 1:
        return "no other image was left to compare it with"
    rest = [r for r in ranking if r.pareto and r is not choice]
    if rest:
        trades = []
        for r in rest:
            gains = [CRITERIA[n].better_words for n in CRITERIA if n in me.values and _better(n, r.candidate, me)]
            trades.append(r.candidate.label + (f", with {_join(gains)}," if gains else ""))
        using = ", ".join(f"{n} ×{w:g}" for n, w in weights.items())
        are = "is" if len(rest) == 1 else "are"
        return f"{_join(trades)} {are} also on the Pareto set: the choice between them follows from the weights ({using})"
    runs = min(r.candidate.runs_ok for r in ranking)
    return (
        "every other image is dominated: separably worse on a criterion (intervals of the medians of ≥ 95 % apart, "
        f"or sizes more than max(1 MiB, 2 %) apart) and better on none, at {runs} runs"
    )


def _why_not(tie: Tie) -> str:
    """Why two images cannot be told apart: overlapping intervals, or too few repeats."""
    overlap = [n for n in tie.on if n not in tie.too_few and n != "size"]
    parts = [f"intervals of the medians overlap on {_join(overlap)}"] if overlap else []
    if "size" in tie.on:
        parts.append("image sizes within max(1 MiB, 2 %) count as equal")
    if tie.too_few:
        parts.append(f"too few runs to separate on {_join(list(tie.too_few))} (fewer than 6 give no 95 % interval)")
    return "; ".join(parts)


def _better(name: str, a: Candidate, b: Candidate) -> bool:
    return name in a.values and CRITERIA[name].better(a.values[name], b.values[name])


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
