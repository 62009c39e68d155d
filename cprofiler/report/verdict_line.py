"""The one line ``cprofiler measure`` ends with: which image starts fastest and uses least memory,
by how much, and only where the runs tell.

Pure: a results model in, one line out. For each criterion, cold start (median ``ready_ms``) and
memory (median ``working_set_bytes``), over the ok runs of the scenario's images (the runtime
floor is no image): the image with the lowest median is compared with the one with the highest,
by the ratio of their medians (:func:`cprofiler.results.stats.ratio`), and the ratio is said only
when the runs tell the two apart:

- the permutation test of the rank sum (:func:`cprofiler.results.significance.permutation_p`)
  of the two, its p multiplied by the number of pairs that could have been the extremes (every
  pair of images with enough runs, of every criterion: Bonferroni's bound, which picking the
  extremes after the fact needs), must be at most ``ALPHA``; else "no clear difference";
- "too few runs to separate" instead, when either side has fewer than ``MIN_RUNS`` ok runs
  (``compare``'s own minimum), or when even two samples wholly apart could not pass that test
  (:func:`~cprofiler.results.significance.smallest_p`: 5 a side tell 2 or 3 images apart, not 4).

An image without a single ok run is named as failed; a stand-in is named with its recipe
(``ImageResult.label``); a single image is described, never compared.
"""

from __future__ import annotations

from dataclasses import dataclass

from cprofiler.report.rows import human_bytes, human_ms
from cprofiler.results import significance, stats
from cprofiler.results.model import ImageResult, Measurement
from cprofiler.results.significance import ALPHA, MIN_RUNS


@dataclass(frozen=True)
class Criterion:
    #: The run field whose median is compared.
    field: str
    #: What it is, in the line (``start``).
    noun: str
    #: The better side's words (``faster start``).
    better: str


START = Criterion("ready_ms", "start", "faster start")
MEMORY = Criterion("working_set_bytes", "memory", "less memory")
CRITERIA = (START, MEMORY)


#: What a criterion says when the runs cannot tell: too few of them to tell anything at all …
TOO_FEW = "too few runs to separate"
#: … or enough, and the two are not told apart.
NO_CLEAR = "no clear difference"


@dataclass(frozen=True)
class Finding:
    """One criterion over the images that have it: the best and worst medians, and what the runs tell."""

    criterion: Criterion
    best: ImageResult
    worst: ImageResult
    #: ``median(worst) / median(best)``.
    ratio: float
    #: None when the two are told apart; else TOO_FEW or NO_CLEAR.
    undecided: str | None
    #: Images compared on the criterion (those with values of it).
    images: int = 2


def verdict_line(m: Measurement) -> str:
    """What the measurement found, in one line (see the module's rules)."""
    started = [i for i in m.images if i.ok_runs()]
    failed = [i.label for i in m.images if not i.ok_runs()]
    if len(started) == 1:
        parts = [_described(started[0])]
    elif started:
        parts = _compared(started)
    else:
        parts = ["no image started"] if m.images else ["no image was measured"]
    if failed:
        parts.append(f"failed (no run ended ok): {', '.join(failed)}")
    return "; ".join(parts)


def findings(images: list[ImageResult]) -> list[Finding]:
    """Each criterion that at least two of ``images`` have values of, best against worst."""
    sides = []
    for c in CRITERIA:
        having = [i for i in images if i.values(c.field)]
        if len(having) >= 2:
            ranked = sorted(having, key=lambda i: stats.percentile(i.values(c.field), 50))
            sides.append((c, ranked, sum(len(i.values(c.field)) >= MIN_RUNS for i in having)))
    # Every pair with enough runs, of every criterion, might have turned out to be the extremes.
    family = sum(n * (n - 1) // 2 for *_, n in sides)
    out = []
    for c, having, _n in sides:
        best, worst = having[0], having[-1]
        b, w = best.values(c.field), worst.values(c.field)
        if min(b) <= 0:
            continue  # a ratio to zero means nothing (never seen for a start or a working set)
        ratio = stats.ratio(w, b).value
        undecided = None
        if len(b) < MIN_RUNS or len(w) < MIN_RUNS or significance.smallest_p(len(w), len(b)) * family > ALPHA:
            undecided = TOO_FEW  # even two samples wholly apart could not be told apart
        elif significance.permutation_p(w, b) * family > ALPHA:
            undecided = NO_CLEAR
        out.append(Finding(c, best, worst, ratio, undecided, len(having)))
    return out


def _compared(images: list[ImageResult]) -> list[str]:
    found = findings(images)
    told = [f for f in found if f.undecided is None]
    parts = []
    if len(told) == 2 and told[0].best is told[1].best:
        a, b = told
        if a.worst is b.worst:
            parts.append(
                f"{a.best.label}: {_times(a)} {a.criterion.better} and {_times(b)} {b.criterion.better} than {a.worst.label}"
            )
        else:
            parts.append(f"{a.best.label}: {_told(a)} and {_told(b)}")
    else:
        parts += [f"{f.best.label}: {_told(f)}" for f in told]
    # Criteria undecided for the same reason, on the same figures, are said once.
    said: dict[str, list[str]] = {}
    for f in found:
        if f.undecided is not None:
            said.setdefault(f"{f.undecided} ({_why(f)})", []).append(f.criterion.noun)
    parts += [f"{' and '.join(nouns)}: {why}" for why, nouns in said.items()]
    return parts or ["no figure to compare"]


def _told(f: Finding) -> str:
    return f"{_times(f)} {f.criterion.better} than {f.worst.label}"


def _times(f: Finding) -> str:
    """``2.7×`` (``12×`` from 10), or ``23 %`` under 1.5× (the share less of the worst's figure)."""
    if f.ratio < 1.5:
        return f"{(1 - 1 / f.ratio) * 100:.0f} %"
    return f"{f.ratio:.1f}×" if round(f.ratio, 1) < 10 else f"{f.ratio:.0f}×"


def _why(f: Finding) -> str:
    """The figures behind an undecided criterion: the run counts, or the two medians."""
    b, w = f.best.values(f.criterion.field), f.worst.values(f.criterion.field)
    if f.undecided == TOO_FEW:
        need = f"{MIN_RUNS} a side needed" if min(len(b), len(w)) < MIN_RUNS else f"more needed to tell {f.images} images apart"
        return f"ok runs: {f.best.label} {len(b)}, {f.worst.label} {len(w)}; {need}"
    shown = human_ms if f.criterion is START else human_bytes
    return f"medians: {f.best.label} {shown(stats.percentile(b, 50))}, {f.worst.label} {shown(stats.percentile(w, 50))}"


def _described(image: ImageResult) -> str:
    start = image.values(START.field)
    memory = image.values(MEMORY.field)
    said = [f"median start {human_ms(stats.percentile(start, 50))}"] if start else []
    said += [f"working set {human_bytes(stats.percentile(memory, 50))}"] if memory else []
    return f"{image.label}: {', '.join(said) or 'measured'} (one image: nothing to compare)"
