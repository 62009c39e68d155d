"""One measured start of one image: the run record of a results file and of a run log.

Every field name carries its unit (``_ms`` milliseconds, ``_bytes`` bytes, ``_cores`` CPU cores);
every time is taken from one monotonic clock (``time.monotonic_ns``). A field added here (with its
unit and a doc comment) is written, read, resumed and, when it ends in a unit, summarised per image
without further edits.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from cprofiler.results.kinds import MemorySourceField, ProbeViaField, RunStatus, RunStatusField
from cprofiler.results.record import Cores, Duration, Record, Size, validate

#: Every way a run can end, in the order tables count them.
STATUSES = tuple(RunStatus)


class RunResult(Record):
    """One measured start of one image."""

    #: Scenario image name.
    image: str
    #: Measured run number for this image, from 0 (warmup runs are not recorded).
    index: int
    #: ok | timeout (never ready) | crashed (exited before ready, or after it) | oomkilled | error |
    #: skipped (never started: the image's warmup or first run had failed; see ``error``).
    status: RunStatusField = RunStatus.OK
    #: Container exit code when it exited during the run, else null.
    exit_code: int | None = None
    #: Time to bring the image back onto the engine before this run (``--cold image``: load of the
    #: tarball cprofiler saved, or a pull), in milliseconds; not part of ``ready_ms``; null at other levels.
    fetch_ms: Duration | None = None
    #: Duration of the engine's create call, in milliseconds.
    create_ms: Duration | None = None
    #: Duration of the engine's start call, in milliseconds.
    start_ms: Duration | None = None
    #: From just before create until the probe saw the container ready, in milliseconds.
    ready_ms: Duration | None = None
    #: From just before create until the app said it was ready (``monotonic_ns=`` in its output),
    #: in milliseconds; null when the app prints no such stamp.
    app_ready_ms: Duration | None = None
    #: How much later the probe noticed readiness than the app reported it, in milliseconds.
    probe_lag_ms: float | None = None
    #: Memory usage minus inactive file cache after settle (kubelet's working set), in bytes.
    working_set_bytes: Size | None = None
    #: Anonymous memory after settle, in bytes: cAdvisor's ``container_memory_rss`` (cgroup v1
    #: ``total_rss``, v2 ``anon``), what Kubernetes tooling calls a container's RSS.
    rss_bytes: Size | None = None
    #: File pages mapped into the container's processes after settle (shared libraries, the
    #: executable), in bytes: v1 ``total_mapped_file``, v2 ``file_mapped``.
    mapped_file_bytes: Size | None = None
    #: Anonymous plus mapped file memory after settle, in bytes: what a schema v1 file called
    #: ``rss_bytes``, kept under its own name when such a file is read; null in files written now.
    anon_and_mapped_file_bytes: Size | None = None
    #: Highest memory usage the cgroup recorded during the run, in bytes (null: see ``notes``).
    peak_bytes: Size | None = None
    #: Proportional set size summed over the container's processes after settle, in bytes.
    pss_bytes: Size | None = None
    #: Container CPU time over the settle window divided by its length, in cores.
    settle_cpu_cores: Cores | None = None
    #: Highest working set seen while settling, sampled every ``SETTLE_SAMPLE_INTERVAL_S``
    #: (cprofiler.measure.settle_peak) from ready until the end of settle, in bytes.
    settle_peak_working_set_bytes: Size | None = None
    #: Highest memory usage over the container's whole life, kept by a per-run parent cgroup
    #: after the container is gone (exit-probed images; cprofiler.measure.lifetime), in bytes.
    lifetime_peak_bytes: Size | None = None
    #: CPU time of the container's whole life divided by its ``ready_ms`` (exit-probed images), in cores.
    lifetime_cpu_cores: Cores | None = None
    #: Where memory was read: cgroup-v1, cgroup-v2, engine-stats or kubelet-summary.
    memory_source: MemorySourceField | None = None
    # --- ``--backend kubernetes`` only (null on Docker): a run is a Pod -------------------------
    #: From just before create until a watch event showed the pod bound to a node, in milliseconds
    #: (a pod created with ``spec.nodeName`` is bound by its create).
    scheduled_ms: Duration | None = None
    #: From just before create until a watch event showed its container running (or already
    #: ended), in milliseconds.
    running_ms: Duration | None = None
    #: From just before create until a watch event first showed the pod's Ready condition True
    #: (the kubelet's readinessProbe, every 1 s), in milliseconds: what a Service waits for. It is
    #: ``ready_ms`` too when ``probe_via`` is ``kubelet``; with ``netns`` ``ready_ms`` is the 1 ms
    #: probe inside the pod's network namespace, and this comes later.
    ready_condition_ms: Duration | None = None
    #: The API server's PodScheduled condition time minus the pod's creationTimestamp, in
    #: milliseconds; both are whole seconds, so this is a multiple of 1000.
    server_scheduled_ms: float | None = None
    #: The container's startedAt minus the pod's creationTimestamp (whole seconds), in milliseconds.
    server_running_ms: float | None = None
    #: The Ready condition time minus the pod's creationTimestamp (whole seconds), in milliseconds.
    server_ready_ms: float | None = None
    #: The kubelet's pull of the image during this run (``--registry``), from its Pulled event's
    #: message (the kubelet times it to the nanosecond), in milliseconds; part of ``ready_ms``. Null
    #: when the image was already on the node (the event then says so) or no pull was read.
    image_pull_ms: Duration | None = None
    #: How long after ready the kubelet took the memory sample reported (it samples every ~10 s),
    #: in milliseconds.
    memory_sample_after_ready_ms: Duration | None = None
    #: Page faults of the container so far, from the kubelet's sample (a count).
    page_faults: Size | None = None
    #: Major page faults of the container so far, from the kubelet's sample (a count).
    major_page_faults: Size | None = None
    #: Why a figure is missing or how it was obtained, one short sentence each.
    notes: list[str] = Field(default_factory=list)
    #: What went wrong, for status other than ok.
    error: str | None = None
    #: Last lines the container wrote (kept for crashed, timeout and oomkilled runs).
    log_tail: list[str] = Field(default_factory=list)
    #: Probe transport: netns (probed inside the container's network namespace), published-port,
    #: or kubelet (the pod's readinessProbe, ``--backend kubernetes``).
    probe_via: ProbeViaField | None = None

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_json(cls, data: dict[str, Any], *, where: str = "run") -> RunResult:
        return validate(cls, data, where)


#: Run fields that are summarised per image (min, median, mean, p95, max, stdev, ci95): every
#: numeric measurement, found by its unit suffix.
NUMERIC_FIELDS = tuple(n for n in RunResult.model_fields if n.endswith(("_ms", "_bytes", "_cores")))
