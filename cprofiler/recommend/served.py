"""Which images ``recommend`` leaves out for their load phase, and why, before anything is ranked.

An image whose load phase failed (:func:`cprofiler.results.capacity.failures`: a step crashed, did
not answer, or answered too many requests with errors) has no throughput to weigh, and its other
figures are of a service that does not serve: it is excluded, saying why, never ranked. When some
images have a throughput figure, one without is excluded too, saying why, rather than throughput
being dropped from the criteria without a word.
"""

from __future__ import annotations

from collections.abc import Sequence

from cprofiler.recommend.criteria import Candidate
from cprofiler.recommend.decide import Excluded
from cprofiler.results import capacity
from cprofiler.results.model import Measurement


def unserved(m: Measurement) -> dict[str, str]:
    """Label → why the image is left out for its load phase (the clause ``recommend`` prints)."""
    out = {}
    for image in m.images:
        why = capacity.failures(image.load) if image.load is not None else []
        if why:
            out[image.label] = f"its load phase failed ({'; '.join(why)}), so it has no throughput to weigh"
    return out


def split(cands: Sequence[Candidate], m: Measurement) -> tuple[list[Candidate], list[Excluded]]:
    """``cands`` less those left out for their load phase, and the excluded with their reasons."""
    failed = unserved(m)
    any_qps = any("qps" in x.values for x in cands if x.label not in failed)
    kept, excluded = [], []
    for x in cands:
        if x.label in failed:
            excluded.append(Excluded(x, failed[x.label]))
        elif any_qps and "qps" not in x.values:
            excluded.append(Excluded(x, "no throughput figure (no load phase), while other images have one"))
        else:
            kept.append(x)
    return kept, excluded
