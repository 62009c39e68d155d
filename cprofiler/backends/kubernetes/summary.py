"""Memory of one container from the kubelet's ``/stats/summary`` (pure: a parsed document in, a
sample out).

The kubelet serves what cAdvisor last sampled: one sample per container every ~10 s (its
housekeeping interval, stretched up to 15 s when nothing changes), each with the instant it was
taken. So a figure is "the working set at ``time``", and cprofiler records how long after ready
that instant was (``memory_sample_after_ready_ms``). Working set is usage minus inactive file
cache, the figure the kubelet evicts and the OOM killer's accounting follow; RSS and page faults
come from the same sample.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class KubeletSample:
    """One container's memory as the kubelet reported it."""

    #: When cAdvisor took the sample, epoch seconds.
    taken_s: float
    working_set_bytes: int | None
    rss_bytes: int | None
    usage_bytes: int | None
    page_faults: int | None
    major_page_faults: int | None


def _epoch(text: str) -> float | None:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def container_sample(summary: dict[str, Any], namespace: str, pod: str, container: str) -> KubeletSample | None:
    """The sample of ``container`` in pod ``namespace/pod``; None when the kubelet has none yet."""
    for p in summary.get("pods") or []:
        ref = p.get("podRef") or {}
        if ref.get("name") != pod or ref.get("namespace") != namespace:
            continue
        for c in p.get("containers") or []:
            if c.get("name") != container:
                continue
            mem = c.get("memory") or {}
            taken = _epoch(str(mem.get("time") or ""))
            if taken is None or not mem.get("workingSetBytes"):
                return None  # listed before its first sample: no figure yet
            return KubeletSample(
                taken_s=taken,
                working_set_bytes=mem.get("workingSetBytes"),
                rss_bytes=mem.get("rssBytes"),
                usage_bytes=mem.get("usageBytes"),
                page_faults=mem.get("pageFaults"),
                major_page_faults=mem.get("majorPageFaults"),
            )
    return None
