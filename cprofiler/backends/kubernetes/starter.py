"""One run on Kubernetes: create a Pod, time it to ready from the API server's watch, read its
memory from the kubelet, delete it. The same contract as Docker's ``Starter.run``: one
:class:`RunResult` per start, and the pod is gone when :meth:`PodStarter.run` returns.

Every instant is taken on this machine's monotonic clock when a watch event (or a log line)
arrives, in milliseconds from just before the create call; the API server's own timestamps have
whole-second resolution and are recorded beside them (``server_*_ms``). Readiness:

- http, tcp: where the pod runs on this machine's engine, the same 1 ms probe as on Docker, inside
  the pod's network namespace (:mod:`.inpod`), with the Ready condition kept beside it; elsewhere the
  pod's readinessProbe (period 1 s), seen as the Ready condition;
- log: the line matched in the pod's log, followed from the moment the container runs;
- exit: the container terminated with code 0.

Memory comes from the kubelet's ``/stats/summary`` (see :mod:`cprofiler.backends.kubernetes.summary`): the first
sample taken ``settle`` seconds or more after ready, waited for up to SAMPLE_WAIT_S.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from cprofiler.backends.kubernetes.cluster import Cluster, PodView
from cprofiler.backends.kubernetes.images import pull_from_events
from cprofiler.backends.kubernetes.inpod import InPodProbes
from cprofiler.backends.kubernetes.manifest import CONTAINER, Placement, PodRequest, pod_manifest, pod_name
from cprofiler.backends.kubernetes.placement import PLACEMENT_WAIT_S, unplaced_reason
from cprofiler.backends.kubernetes.podrun import Marks, PodRun
from cprofiler.backends.kubernetes.pods import PodSet
from cprofiler.backends.kubernetes.summary import KubeletSample, container_sample
from cprofiler.backends.run import (
    LOG_TAIL_LINES,
    STAMP_GRACE_S,
    Invocation,
    NotReady,
    RunTiming,
    Subject,
    end_run,
    kept_tail,
    mark_not_ready,
    read_output,
)
from cprofiler.errors import ClusterError
from cprofiler.measure.probes import Probe, Watch, make_probe
from cprofiler.results.kinds import MemorySource, ProbeVia, RunStatus
from cprofiler.results.model import RunResult

if TYPE_CHECKING:
    from collections import deque

    from cprofiler.engine import Engine

#: Waiting reasons after which a container never starts: the run fails at once instead of timing out.
FATAL_WAITING = frozenset(
    {
        "ErrImageNeverPull",
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
    }
)
#: Longest wait for a kubelet memory sample taken after ``settle``, in seconds beyond settle: the
#: kubelet samples every 10 s, stretched to 15 s for a container whose figures do not change.
SAMPLE_WAIT_S = 20.0
#: Pause between two reads of ``/stats/summary`` while waiting for a sample, in seconds.
SUMMARY_POLL_S = 1.0
MEMORY_SOURCE = MemorySource.KUBELET_SUMMARY
#: Longest wait for the kubelet's Pulled event once the container runs, in seconds (events are sent
#: asynchronously, usually within milliseconds).
PULL_EVENT_WAIT_S = 5.0
#: Pause between two looks for the Ready condition once the in-pod probe saw ready, in seconds (the
#: condition's instant is the watch event's arrival, taken by the watch thread, not this poll).
CONDITION_POLL_S = 0.01


class PodStarter:
    """Runs single starts of images as pods, one at a time, for one invocation."""

    def __init__(
        self,
        cluster: Cluster,
        *,
        invocation: Invocation,
        timing: RunTiming,
        placement: Placement,
        registry: str | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.cluster = cluster
        self.invocation = invocation.id
        self.labels = invocation.labels
        self.signals = invocation.signals
        self.timeout_s = timing.timeout_s
        self.settle_s = timing.settle_s
        self.placement = placement
        #: ``--registry``: where the images are pushed before the runs (see cprofiler.backends.kubernetes.images).
        self.registry = registry
        #: Image id → the digest reference pods pull it by; empty without ``--registry``.
        self.image_refs: dict[str, str] = {}
        self.pods = PodSet(cluster, invocation.id)
        self._serial = 0
        #: Node name → whether it is this machine, so the app's monotonic stamp means something here.
        self._local: dict[str, bool] = {}
        #: The in-pod http and tcp probes, where the node is this machine's engine.
        self.inpod = InPodProbes(engine, cluster)
        if placement.node is not None:
            self.inpod.on_this_machine(placement.node)  # asked once now, not during the first run

    @property
    def node(self) -> str | None:
        """The node every pod is bound to, or None (left to the scheduler)."""
        return self.placement.node

    def run(self, img: Subject, index: int) -> RunResult:
        """Run one pod of ``img`` and measure it; the pod is deleted when this returns."""
        res = RunResult(image=img.name, index=index, probe_via=ProbeVia.KUBELET)
        self._serial += 1
        name = pod_name(img.name, self.invocation, self._serial)
        pulled_ref = self.image_refs.get(img.built.info.id)
        pod = PodRequest(
            name=name,
            image_ref=pulled_ref or img.built.info.tag,
            pull_policy="IfNotPresent" if pulled_ref else "Never",
            row=img.name,
            spec=img.spec,
            user=img.built.info.user,
            cpus=img.cpus,
        )
        manifest = pod_manifest(pod, labels=self.labels, placement=self.placement)
        # The log probe is the one Docker's runs use, with its bound on a backtracking regex; made
        # before the clock starts (its matcher's start-up is not the pod's).
        run = PodRun(name, img.spec.ready.kind, make_probe(img.spec.ready))
        # A signal during create waits until the name is recorded: else clean-up would miss the pod.
        with self.signals.held():
            t0 = time.monotonic_ns()
            created = self.cluster.create_pod(manifest)
            t1 = time.monotonic_ns()
            self.pods.add(name)
        try:
            res.create_ms = (t1 - t0) / 1e6
            run.follower = threading.Thread(target=self._follow, args=(name, run.watch, run.probe, run.tail), daemon=True)
            threading.Thread(target=self._watch, args=(created, run), daemon=True).start()
            self._wait(run.watch, run.marks, t0)
            self._await_condition(run, t0)
            self._classify(res, run, t0)
            self._after_ready(res, run, t0)
            if pulled_ref is not None and run.marks.running_ns is not None:
                self._pull_time(res, name)
            if res.status != RunStatus.OK:
                if run.follower.ident is not None:
                    run.follower.join(timeout=1.0)  # let the last lines of a dying container arrive
                res.log_tail = kept_tail(list(run.tail)) or self._log_tail(name)
        finally:
            end_run(run.watch, lambda: self.pods.remove(name))
        return res

    def _wait(self, watch: Watch, marks: Marks, t0: int) -> None:
        """Until the pod is ready, exited or failed, or the timeout has passed since ``t0``; a pod
        still on no node after PLACEMENT_WAIT_S fails the run (see :mod:`.placement`)."""

        def remaining() -> float:
            return max(self.timeout_s - (time.monotonic_ns() - t0) / 1e9, 0)

        if watch.done.wait(min(remaining(), PLACEMENT_WAIT_S)):
            return
        unplaced = unplaced_reason(marks.last)
        if unplaced is not None:
            watch.fail(unplaced)
            return
        watch.done.wait(remaining())

    def _await_condition(self, run: PodRun, t0: int) -> None:
        """Ready by the in-pod probe: wait, within the timeout, for the Ready condition too."""
        watch, marks = run.watch, run.marks
        if not run.probed_in_pod() or watch.ready_ns is None:
            return
        end = t0 + int(self.timeout_s * 1e9)
        while marks.condition_ns is None and not watch.exited.is_set() and time.monotonic_ns() < end:
            time.sleep(CONDITION_POLL_S)

    def _after_ready(self, res: RunResult, run: PodRun, t0: int) -> None:
        """A ready run: sample the kubelet after ``settle``, then read the app's stamp."""
        watch, marks = run.watch, run.marks
        if res.status != RunStatus.OK:
            return
        if run.kind == "exit":
            res.notes.append("working set not sampled: an exit-probe container is gone once ready")
        else:
            self._sample(res, run.name, watch, marks)
        if res.status == RunStatus.OK and watch.app_ready_ns is None and marks.node is not None:
            watch.stamped.wait(STAMP_GRACE_S)
        self._app_stamp(res, watch, marks, t0)

    # --- threads ----------------------------------------------------------------------------------

    def _watch(self, created: PodView, run: PodRun) -> None:
        """Mark scheduled, running, ready, exited and fatal states as watch events arrive."""
        watch = run.watch
        try:
            self._see(created, "ADDED", run, time.monotonic_ns())
            # Long enough for the whole run: ready, settle and the wait for the kubelet's sample.
            length = self.timeout_s + self.settle_s + SAMPLE_WAIT_S + 60
            for event, pod in self.cluster.watch_pod(created.name, created.resource_version, length, watch.stop):
                self._see(pod, event, run, time.monotonic_ns())
                if watch.stop.is_set():
                    return
        except ClusterError as exc:
            if not watch.stop.is_set():
                watch.fail(str(exc))

    def _see(self, pod: PodView, event: str, run: PodRun, t_ns: int) -> None:
        watch, marks, kind, follower = run.watch, run.marks, run.kind, run.follower
        marks.last = pod
        if event == "DELETED":
            watch.fail("the pod was deleted by someone else during the run")
            return
        if pod.node_name and marks.scheduled_ns is None:
            marks.scheduled_ns, marks.node = t_ns, pod.node_name
            if kind in ("http", "tcp") and self.inpod.on_this_machine(pod.node_name):
                run.inpod = self.inpod.begin(run.name, run.probe, watch)
        c = pod.container
        if c.state in ("running", "terminated") and marks.running_ns is None:
            marks.running_ns = t_ns
            if not follower.is_alive() and follower.ident is None:
                follower.start()
        if c.state == "waiting" and c.reason in FATAL_WAITING:
            watch.fail(f"{c.reason}: {c.message or 'the container cannot start'}")
        elif c.state == "terminated":
            if kind == "exit" and c.exit_code == 0:
                watch.mark_ready(t_ns)
            marks.reason = c.reason
            watch.mark_exit(t_ns, c.exit_code)
        elif kind in ("http", "tcp") and pod.condition("Ready"):
            if marks.condition_ns is None:
                marks.condition_ns = t_ns
            if not run.probed_in_pod():
                watch.mark_ready(t_ns)

    def _follow(self, name: str, watch: Watch, probe: Probe, tail: deque[str]) -> None:
        """Read the pod's output: the log probe, the app's ready stamp, the tail for failed runs."""
        try:
            read_output(_until(watch.stop, self.cluster.follow_log(name)), probe, watch, tail)
        except ClusterError:
            pass  # the pod is being deleted: its output is no longer needed

    # --- results ----------------------------------------------------------------------------------

    def _classify(self, res: RunResult, run: PodRun, t0: int) -> None:
        watch, marks = run.watch, run.marks
        marked = (
            ("scheduled_ms", marks.scheduled_ns),
            ("running_ms", marks.running_ns),
            ("ready_condition_ms", marks.condition_ns),
        )
        for key, ns in marked:
            if ns is not None:
                setattr(res, key, (ns - t0) / 1e6)
        self._server_times(res, marks.last)
        if run.probed_in_pod():
            res.probe_via = ProbeVia.NETNS
        if watch.ready_ns is not None and run.unready_in_pod():
            res.status = RunStatus.TIMEOUT
            res.error = (
                f"answered on 127.0.0.1 inside the pod at {(watch.ready_ns - t0) / 1e6:.0f} ms, but the kubelet did not "
                f"mark it Ready within {self.timeout_s:g} s"
            )
            return
        if watch.ready_ns is not None:
            res.ready_ms = (watch.ready_ns - t0) / 1e6
            if watch.exit_ns is not None:
                res.exit_code = watch.exit_code
            return
        waiting = marks.last.container.reason if marks.last is not None else None
        seen = NotReady(
            exited=watch.exit_ns is not None,
            exit_code=watch.exit_code,
            oom_killed=marks.reason == "OOMKilled",
            probe_error=watch.probe_error,
            timeout=f"not ready within {self.timeout_s:g} s" + (f" (container: {waiting})" if waiting else ""),
        )
        mark_not_ready(res, seen)

    @staticmethod
    def _server_times(res: RunResult, pod: PodView | None) -> None:
        """The API server's own record (whole seconds), relative to the pod's creationTimestamp."""
        if pod is None or pod.created_s is None:
            return
        created = pod.created_s

        def since(t: float | None) -> float | None:
            return (t - created) * 1000 if t is not None else None

        res.server_scheduled_ms = since(pod.conditions.get("PodScheduled", (False, None))[1])
        res.server_running_ms = since(pod.container.started_at_s)
        ready = pod.conditions.get("Ready", (False, None))
        res.server_ready_ms = since(ready[1]) if ready[0] else None

    def _app_stamp(self, res: RunResult, watch: Watch, marks: Marks, t0: int) -> None:
        """``app_ready_ms`` from the app's ``monotonic_ns=`` stamp: only when the pod ran on this
        machine, whose monotonic clock the container shares."""
        stamp = watch.app_ready_ns
        if stamp is None or res.ready_ms is None or marks.node is None or not self._is_local(marks.node):
            return
        if t0 <= stamp <= t0 + res.ready_ms * 1e6:
            res.app_ready_ms = (stamp - t0) / 1e6
            res.probe_lag_ms = res.ready_ms - res.app_ready_ms

    def _is_local(self, node: str) -> bool:
        if node not in self._local:
            try:
                addresses = self.cluster.node_facts(node)["node_addresses"]
            except ClusterError:
                addresses = []
            self._local[node] = node == socket.gethostname() or "127.0.0.1" in [node, *addresses]
        return self._local[node]

    def _sample(self, res: RunResult, name: str, watch: Watch, marks: Marks) -> None:
        """Wait ``settle`` seconds after ready, then take the first kubelet sample taken after that
        instant; the highest working set among the samples seen on the way is the settle peak."""
        node = marks.node
        if node is None:
            res.notes.append("working set not sampled: the pod was never bound to a node")
            return
        wall_ready = time.time() - (time.monotonic_ns() - (watch.ready_ns or 0)) / 1e9
        wanted = wall_ready + self.settle_s
        deadline = time.monotonic() + self.settle_s + SAMPLE_WAIT_S
        peak = 0
        chosen: KubeletSample | None = None
        while time.monotonic() < deadline:
            if watch.exited.wait(SUMMARY_POLL_S if time.time() >= wanted else min(SUMMARY_POLL_S, wanted - time.time())):
                res.exit_code = watch.exit_code
                res.status = RunStatus.OOMKILLED if marks.reason == "OOMKilled" else RunStatus.CRASHED
                res.error = f"exited with code {watch.exit_code} after it was ready, before its memory was sampled"
                return
            try:
                sample = container_sample(self.cluster.stats_summary(node), self.cluster.namespace, name, CONTAINER)
            except ClusterError as exc:
                res.notes.append(f"working set not sampled: {exc}")
                return
            if sample is None or sample.taken_s < wall_ready:
                continue
            peak = max(peak, sample.working_set_bytes or 0)
            if sample.taken_s >= wanted:
                chosen = sample
                break
        if chosen is None:
            late = f"{self.settle_s:g} s after ready within {SAMPLE_WAIT_S:g} s more"
            res.notes.append(f"working set not sampled: the kubelet had no sample {late}")
            return
        res.working_set_bytes = chosen.working_set_bytes
        res.rss_bytes = chosen.rss_bytes
        res.page_faults = chosen.page_faults
        res.major_page_faults = chosen.major_page_faults
        res.settle_peak_working_set_bytes = peak or None
        res.memory_sample_after_ready_ms = (chosen.taken_s - wall_ready) * 1000
        res.memory_source = MEMORY_SOURCE

    def _pull_time(self, res: RunResult, name: str) -> None:
        """``image_pull_ms`` from the kubelet's Pulled event, which its event broadcaster may send
        a moment after the container started: waited for up to PULL_EVENT_WAIT_S."""
        deadline = time.monotonic() + PULL_EVENT_WAIT_S
        while True:
            try:
                decided, pull_ms = pull_from_events(self.cluster.pod_events(name))
            except ClusterError as exc:
                res.notes.append(f"image_pull_ms not read: {exc}")
                return
            if decided:
                res.image_pull_ms = pull_ms
                if pull_ms is None:
                    res.notes.append("image_pull_ms: the image was already on the node (the kubelet's Pulled event)")
                return
            if time.monotonic() > deadline:
                res.notes.append(f"image_pull_ms not read: no Pulled event within {PULL_EVENT_WAIT_S:g} s of the run")
                return
            time.sleep(SUMMARY_POLL_S / 4)

    def _log_tail(self, name: str) -> list[str]:
        try:
            return self.cluster.log_tail(name, LOG_TAIL_LINES)
        except ClusterError:
            return []  # a container that never started has no log


def _until(stop: threading.Event, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """``chunks`` until ``stop`` is set: a pod's log is no longer followed once its run is over."""
    for chunk in chunks:
        yield chunk
        if stop.is_set():
            return
