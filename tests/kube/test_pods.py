"""``--backend kubernetes`` on a real cluster: the engine tests' core cases, each run a Pod.

The pods run the tests' FROM scratch testapp image, built by the local engine, which the local
cluster's kubelet uses too (``imagePullPolicy: Never``).
"""

from __future__ import annotations

import signal
import statistics
import time
from dataclasses import replace

import pytest

from cprofiler.backends.kubernetes.starter import PodStarter
from cprofiler.labels import LABEL, LABEL_PID
from tests.engine.procs import Cli, wait_until
from tests.helpers import by_name, measure, runner, write_scenario
from tests.kube.conftest import NODE

pytestmark = pytest.mark.kube
MiB = 1 << 20
SERVICE = {"env": {"MODE": "http"}, "ready": {"http": {"port": 8080, "path": "/healthz"}}}


def on_kube(engine, path, **overrides):
    return measure(engine, path, backend="kubernetes", kube_node=NODE, **overrides)


def test_a_known_allocation_reads_as_working_set(engine, cluster, testapp_context, tmp_path):
    path = write_scenario(
        tmp_path,
        testapp_context,
        {"alloc": {"env": {"MODE": "http", "ALLOC_MB": "64"}, "ready": SERVICE["ready"]}},
        settle=0.5,
    )
    m = on_kube(engine, path)
    run = by_name(m)["alloc"].runs[0]
    assert run.status == "ok", (run.error, run.log_tail)
    assert run.memory_source == "kubelet-summary", run.notes
    # 64 MiB touched page by page, in a static binary of a few hundred KiB: within ±5 %.
    assert 0.95 * 64 * MiB <= run.working_set_bytes <= 1.05 * 64 * MiB, run.working_set_bytes / MiB
    assert run.rss_bytes is not None and run.rss_bytes >= 0.95 * 64 * MiB
    assert run.page_faults is not None and run.page_faults >= 64 * MiB // 4096
    # The sample the kubelet took at least settle after ready (it samples every ~10 s).
    assert run.memory_sample_after_ready_ms is not None and run.memory_sample_after_ready_ms >= 500
    # Client-side order of events, and the API server's own whole-second record beside it. Ready is
    # the 1 ms probe inside the pod (the node is this machine), which can beat the running event.
    assert run.probe_via == "netns" and run.ready_ms <= run.ready_condition_ms
    assert run.create_ms <= run.scheduled_ms <= run.running_ms <= run.ready_condition_ms
    assert run.server_ready_ms is not None and run.server_ready_ms % 1000 == 0
    assert run.app_ready_ms is not None and run.app_ready_ms <= run.ready_ms
    env = m.environment.to_json()
    assert env["backend"] == "kubernetes" and env["node_name"] == NODE
    assert env["kubelet_version"].startswith("v1.") and env["kubernetes_version"].startswith("v1.")
    assert env["node_capacity_cpu"] and env["node_capacity_memory"]


def test_a_known_start_delay_shows_in_pod_startup(engine, cluster, testapp_context, tmp_path):
    # Exit-probed: ready is the container's exit, seen by the watch; no memory wait.
    path = write_scenario(
        tmp_path,
        testapp_context,
        {
            "now": {"env": {"MODE": "exit"}, "ready": {"exit": True}},
            "late": {"env": {"MODE": "exit", "DELAY_MS": "2000"}, "ready": {"exit": True}},
        },
        runs=2,
    )
    m = by_name(on_kube(engine, path))
    for img in m.values():
        assert [r.status for r in img.runs] == ["ok", "ok"], [(r.error, r.log_tail) for r in img.runs]
    # The app's own stamp (the host's monotonic clock, which the pod shares) moves by the delay.
    app = statistics.median(m["late"].values("app_ready_ms")) - statistics.median(m["now"].values("app_ready_ms"))
    assert 1800 <= app <= 2600, app
    # The watch sees it too, at the kubelet's 1 s status cadence (PLEG relists every second).
    seen = statistics.median(m["late"].values("ready_ms")) - statistics.median(m["now"].values("ready_ms"))
    assert 1000 <= seen <= 3500, seen


def test_cold_image_makes_the_kubelet_pull_by_digest_on_every_run(engine, cluster, registry, testapp_context, tmp_path):
    path = write_scenario(tmp_path, testapp_context, {"job": {"env": {"MODE": "exit"}, "ready": {"exit": True}}}, runs=2)
    m = by_name(on_kube(engine, path, kube_registry=registry, cold="image"))
    for run in m["job"].runs:
        assert run.status == "ok", (run.error, run.log_tail, run.notes)
        # The kubelet timed its pull (Pulled event); the pull is inside the pod's start.
        assert run.image_pull_ms is not None and 0 < run.image_pull_ms < run.ready_ms, run.notes
        assert any(f"the kubelet pulled {registry}/" in n and "@sha256:" in n for n in run.notes), run.notes
        assert run.fetch_ms is None
    # The engine has the image back, under the tag it was built with.
    tag = m["job"].image.tag
    assert engine.image(tag) is not None, tag

    # Warm, with the registry: the image is on the node, so the kubelet pulls nothing.
    warm = by_name(on_kube(engine, path, kube_registry=registry, runs=1))["job"].runs[0]
    assert warm.status == "ok" and warm.image_pull_ms is None, warm.notes
    assert "image_pull_ms: the image was already on the node (the kubelet's Pulled event)" in warm.notes


def test_a_pod_is_confined_as_the_docker_container_is(engine, cluster, testapp_context, tmp_path):
    caps = {"env": {"MODE": "caps"}, "ready": {"exit": True}}
    images = {"default": caps, "restricted": {**caps, "security": "restricted"}}
    m = by_name(on_kube(engine, write_scenario(tmp_path, testapp_context, images)))
    default, restricted = m["default"].runs[0], m["restricted"].runs[0]
    # The runtime's default capabilities, as on Docker: root, and mknod, chroot and raw sockets work.
    assert default.status == "crashed" and default.exit_code == 3, (default.error, default.log_tail)
    assert "caps: uid=0 mknod=ok chroot=ok raw=ok" in default.log_tail
    # restricted: every capability dropped and uid 65534, from the pod's securityContext.
    assert restricted.status == "ok" and restricted.exit_code == 0, (restricted.error, restricted.log_tail)
    assert (m["restricted"].security, m["restricted"].run_as) == ("restricted", "65534:65534")


def test_log_and_tcp_readiness(engine, cluster, testapp_context, tmp_path):
    path = write_scenario(
        tmp_path,
        testapp_context,
        {
            "log": {"env": {"MODE": "http"}, "ready": {"log": "^ready "}},
            "tcp": {"env": {"MODE": "tcp", "PORT": "9000"}, "ready": {"tcp": {"port": 9000}}},
        },
        settle=0,
    )
    m = by_name(on_kube(engine, path))
    for name, img in m.items():
        run = img.runs[0]
        assert run.status == "ok", (name, run.error, run.log_tail)
    log, tcp = m["log"].runs[0], m["tcp"].runs[0]
    # The log is followed once the container runs; the tcp probe polls inside the pod from its sandbox.
    assert log.probe_via == "kubelet" and log.ready_ms >= log.running_ms
    assert tcp.probe_via == "netns" and tcp.ready_ms <= tcp.ready_condition_ms and tcp.running_ms <= tcp.ready_condition_ms


def test_a_300_ms_start_delay_reads_within_50_ms_in_the_pod(engine, cluster, testapp_context, tmp_path):
    ready = {"http": {"port": 8080, "path": "/healthz"}}
    path = write_scenario(
        tmp_path,
        testapp_context,
        {"now": {"env": {"MODE": "http"}, "ready": ready}, "late": {"env": {"MODE": "http", "DELAY_MS": "300"}, "ready": ready}},
        runs=4,
        settle=0,
    )
    m = by_name(on_kube(engine, path))
    for img in m.values():
        assert [r.status for r in img.runs] == ["ok"] * 4, [(r.error, r.log_tail) for r in img.runs]
        assert {r.probe_via for r in img.runs} == {"netns"}
        for r in img.runs:
            # The app's stamp comes first, the in-pod probe within a few ms, the Ready condition last.
            assert r.app_ready_ms <= r.ready_ms <= r.ready_condition_ms, r
    seen = statistics.median(m["late"].values("ready_ms")) - statistics.median(m["now"].values("ready_ms"))
    assert 250 <= seen <= 350, seen


def test_a_crash_and_a_timeout_become_rows(engine, cluster, testapp_context, tmp_path):
    path = write_scenario(
        tmp_path,
        testapp_context,
        {
            "crash": {"env": {"MODE": "crash", "EXIT_CODE": "3"}, "ready": SERVICE["ready"]},
            "hang": {"env": {"MODE": "never"}, "ready": {"tcp": {"port": 8080}}},
        },
        timeout=4,
    )
    m = by_name(on_kube(engine, path))
    crash, hang = m["crash"].runs[0], m["hang"].runs[0]
    assert crash.status == "crashed" and crash.exit_code == 3, (crash.error, crash.log_tail)
    assert any("crashing on purpose" in line for line in crash.log_tail), crash.log_tail
    assert hang.status == "timeout" and "not ready within 4 s" in (hang.error or "")


def test_a_missing_image_is_an_error_not_a_timeout(engine, cluster, testapp_context, tmp_path):
    path = write_scenario(tmp_path, testapp_context, {"web": SERVICE}, timeout=30)
    r = runner(engine, path, backend="kubernetes", kube_node=NODE)
    subject = r.prepare()[0]
    built = replace(subject.built, info=replace(subject.built.info, tag="cprofiler/not-there:0"))
    missing = replace(subject, built=built)
    starter = r.backend.starter
    assert isinstance(starter, PodStarter)
    started = time.monotonic()
    run = starter.run(missing, 0)
    assert run.status == "error" and "ErrImageNeverPull" in (run.error or ""), run.error
    assert time.monotonic() - started < 20  # failed at once, not after the timeout
    starter.pods.remove_all()


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_leaves_no_pod(engine, cluster, testapp_context, tmp_path, signum, code):
    path = write_scenario(tmp_path, testapp_context, {"hang": {"env": {"MODE": "never"}, "ready": {"tcp": {"port": 8080}}}})
    cli = Cli(
        "measure",
        str(path),
        "--backend",
        "kubernetes",
        "--node",
        NODE,
        "--no-floor",
        "--timeout",
        "120",
        "--output",
        str(tmp_path / "r.json"),
        cwd=tmp_path,
    )
    try:

        def pods():
            return [p for p in cluster.labelled_pods(LABEL) if p.labels.get(LABEL_PID) == str(cli.pid)]

        wait_until(lambda: [p for p in pods() if p.container.state == "running"], 60, "a running pod of the invocation")
        cli.send(signum)
        assert cli.finish(timeout=60) == code, cli.stderr
        assert pods() == []
        assert "finished runs kept" in cli.stderr
    finally:
        cli.kill()


def test_pods_of_a_dead_invocation_are_reaped_by_label(engine, cluster, testapp_context, tmp_path):
    from cprofiler.backends.kubernetes.manifest import Placement, PodRequest, pod_manifest
    from cprofiler.backends.kubernetes.pods import reap_pods
    from cprofiler.reaper import own_labels
    from cprofiler.scenario.reader import load as load_scenario

    path = write_scenario(tmp_path, testapp_context, {"web": SERVICE})
    spec = load_scenario(path).scenario.images["web"]
    dead = {**own_labels("deadbeef0000"), LABEL_PID: "999999999"}  # no such process
    alive = own_labels("a11ve0000000")
    for name, labels in (("cprofiler-reap-dead", dead), ("cprofiler-reap-alive", alive)):
        cluster.create_pod(
            pod_manifest(
                PodRequest(name=name, image_ref="cprofiler/none:0", row="web", spec=spec, cpus=None),
                labels=labels,
                placement=Placement(node=NODE),
            )
        )
    try:
        assert "cprofiler-reap-dead" in reap_pods(cluster)
        names = [p.name for p in cluster.labelled_pods(LABEL)]
        assert "cprofiler-reap-dead" not in names and "cprofiler-reap-alive" in names
    finally:
        cluster.delete_pod("cprofiler-reap-dead")
        cluster.delete_pod("cprofiler-reap-alive")
