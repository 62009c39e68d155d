"""``--backend kubernetes`` without a cluster: the pod manifest, the kubelet summary, the settings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cprofiler.backends.kubernetes import backend, images
from cprofiler.backends.kubernetes.manifest import (
    ANNOTATION_IMAGE,
    Placement,
    PodRequest,
    cpu_quantity,
    label_value,
    pod_manifest,
    pod_name,
)
from cprofiler.backends.kubernetes.summary import container_sample
from cprofiler.errors import UsageError
from cprofiler.labels import LABEL, LABEL_IMAGE
from cprofiler.results.model import Environment, RunResult
from cprofiler.scenario.model import ImageSpec
from cprofiler.settings import RunSettings

HTTP = {"http": {"port": 8080, "path": "/healthz"}}


def spec(**kw) -> ImageSpec:
    return ImageSpec.model_validate({"dockerfile": Path("/x/Dockerfile"), "ready": HTTP, **kw})


def manifest(s: ImageSpec, **kw):
    args = {
        "name": "cprofiler-web-abc-1",
        "image_ref": "cprofiler/web:3f2a",
        "row": "web@cpus=0.5",
        "spec": s,
        "cpus": None,
        "labels": {LABEL: "abc", "cprofiler.host": "box"},
        "node": "127.0.0.1",
        "node_selector": None,
        **kw,
    }
    labels = args.pop("labels")
    placement = Placement(node=args.pop("node"), node_selector=args.pop("node_selector"))
    return pod_manifest(PodRequest(**args), labels=labels, placement=placement)


def test_pod_is_bound_never_restarted_never_pulled_and_labelled():
    m = manifest(spec(env={"MODE": "http"}, command=["/app", "--fast"], memory_limit="64m"), cpus=0.5)
    pod, c = m["spec"], m["spec"]["containers"][0]
    assert pod["nodeName"] == "127.0.0.1" and "nodeSelector" not in pod
    assert pod["restartPolicy"] == "Never" and pod["automountServiceAccountToken"] is False
    assert c["imagePullPolicy"] == "Never" and c["image"] == "cprofiler/web:3f2a"
    # The scenario's command replaces CMD, as on Docker: Kubernetes calls that args.
    assert c["args"] == ["/app", "--fast"] and "command" not in c
    assert c["env"] == [{"name": "MODE", "value": "http"}]
    assert c["resources"] == {"limits": {"memory": str(64 << 20), "cpu": "500m"}}
    assert m["metadata"]["labels"][LABEL] == "abc"
    # A row name is not a valid label value; the exact name travels as an annotation.
    assert m["metadata"]["labels"][LABEL_IMAGE] == "web-cpus-0.5"
    assert m["metadata"]["annotations"][ANNOTATION_IMAGE] == "web@cpus=0.5"


def test_readiness_probe_from_ready():
    http = manifest(spec())["spec"]["containers"][0]["readinessProbe"]
    assert http["httpGet"] == {"path": "/healthz", "port": 8080} and http["periodSeconds"] == 1
    tcp = manifest(spec(ready={"tcp": {"port": 9000}}))["spec"]["containers"][0]["readinessProbe"]
    assert tcp["tcpSocket"] == {"port": 9000}
    for ready in ({"log": "^ready"}, {"exit": True}):
        assert "readinessProbe" not in manifest(spec(ready=ready))["spec"]["containers"][0]


def test_node_selector_instead_of_a_node():
    m = manifest(spec(), node=None, node_selector={"disk": "ssd"})
    assert "nodeName" not in m["spec"] and m["spec"]["nodeSelector"] == {"disk": "ssd"}


@pytest.mark.parametrize(
    ("text", "value"), [("web", "web"), ("web@cpus=0.5", "web-cpus-0.5"), ("-x-", "x"), ("a" * 80, "a" * 63)]
)
def test_label_values_are_valid(text, value):
    assert label_value(text) == value


def test_pod_names_are_dns_labels():
    name = pod_name("Web_App@cpus=0.5", "0123456789abcdef", 7)
    assert name == "cprofiler-web-app-cpus-0-5-0123456789ab-7"
    assert len(pod_name("x" * 200, "0123456789ab", 99999)) <= 63


def test_cpu_quantity_in_millicores():
    assert cpu_quantity(0.5) == "500m" and cpu_quantity(2) == "2000m" and cpu_quantity(0.1) == "100m"


SUMMARY = {
    "pods": [
        {"podRef": {"name": "other", "namespace": "ns"}, "containers": []},
        {
            "podRef": {"name": "p", "namespace": "ns"},
            "containers": [
                {
                    "name": "app",
                    "memory": {
                        "time": "2026-11-27T15:40:12Z",
                        "workingSetBytes": 67_500_000,
                        "rssBytes": 67_200_000,
                        "usageBytes": 67_600_000,
                        "pageFaults": 16_600,
                        "majorPageFaults": 0,
                    },
                }
            ],
        },
    ]
}


def test_container_sample_from_the_summary():
    s = container_sample(SUMMARY, "ns", "p", "app")
    assert s is not None
    assert (s.working_set_bytes, s.rss_bytes, s.page_faults, s.major_page_faults) == (67_500_000, 67_200_000, 16_600, 0)
    assert s.taken_s == dt.datetime(2026, 11, 27, 15, 40, 12, tzinfo=dt.UTC).timestamp()
    assert container_sample(SUMMARY, "other-ns", "p", "app") is None
    assert container_sample(SUMMARY, "ns", "p", "sidecar") is None
    assert container_sample({}, "ns", "p", "app") is None
    # Listed before its first sample: no figure yet, not a zero.
    unsampled = {"pods": [{"podRef": {"name": "p", "namespace": "ns"}, "containers": [{"name": "app", "memory": {}}]}]}
    assert container_sample(unsampled, "ns", "p", "app") is None


def settings(**kw) -> RunSettings:
    return RunSettings(scenario_file="/s.yaml", runs=1, warmup=0, settle_s=1, timeout_s=10, **kw)


def test_settings_round_trip_with_the_backend():
    s = settings(backend="kubernetes", kube_node="127.0.0.1", kube_namespace="ns", kube_node_selector={"a": "b"})
    assert RunSettings.from_json(s.to_json()) == s
    # Results written before the backend existed ran on Docker.
    old = {k: v for k, v in settings().to_json().items() if not k.startswith(("backend", "kube_"))}
    assert RunSettings.from_json(old).backend == "docker"


def test_backend_refuses_what_it_cannot_do_yet():
    with pytest.raises(UsageError, match="--cold image with --backend kubernetes: needs --registry"):
        backend.check(settings(backend="kubernetes", cold="image"), 0)
    with pytest.raises(UsageError, match="--cold image with --backend kubernetes: needs --node"):
        backend.check(settings(backend="kubernetes", cold="image", kube_registry="127.0.0.1:5000/cp"), 0)
    with pytest.raises(UsageError, match="--cold cache: not available with --backend kubernetes"):
        backend.check(settings(backend="kubernetes", cold="cache"), 0)
    with pytest.raises(UsageError, match=r"--registry 'Reg:5000': expected HOST\[:PORT\]/PREFIX"):
        backend.check(settings(backend="kubernetes", kube_registry="Reg:5000"), 0)
    backend.check(settings(backend="kubernetes", cold="image", kube_registry="127.0.0.1:5000/cp", kube_node="n"), 0)
    with pytest.raises(UsageError, match="load:"):
        backend.check(settings(backend="kubernetes"), 1)
    with pytest.raises(UsageError, match="--node cannot be combined"):
        backend.check(settings(backend="kubernetes", kube_node="n", kube_node_selector={"a": "b"}), 0)
    backend.check(settings(backend="kubernetes", cold="warm"), 0)


@pytest.mark.parametrize(
    ("flag", "field", "value"),
    [("--node", "kube_node", "n"), ("--registry", "kube_registry", "127.0.0.1:5000/cp"), ("--namespace", "kube_namespace", "x")],
)
def test_kubernetes_flags_are_refused_on_docker(tmp_path, flag, field, value):
    from cprofiler.scenario import reader as scenario_load

    path = tmp_path / "s.yaml"
    path.write_text(f"images:\n  web:\n    dockerfile: {tmp_path}/Dockerfile\n    ready: {{exit: true}}\n")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    loaded = scenario_load.load(path)
    kw = {"shuffle": False, "cold": "warm", "floor": False, "probe_via": "netns", "probe_interval_ms": 50.0}
    with pytest.raises(UsageError, match=f"^{flag}: only with --backend kubernetes$"):
        RunSettings.build(loaded, {flag: value}, **kw)
    built = RunSettings.build(loaded, {flag: value, "--backend": "kubernetes"}, **kw)
    assert getattr(built, field) == value


def test_registry_values_and_where_an_image_goes():
    assert images.parse_registry("127.0.0.1:5000/cp/") == "127.0.0.1:5000/cp"
    assert images.parse_registry("registry.example.test/team/cprofiler") == "registry.example.test/team/cprofiler"
    for bad in ("127.0.0.1:5000", "http://127.0.0.1:5000/cp", "127.0.0.1:5000/CP", "127.0.0.1:5000//cp", ""):
        with pytest.raises(UsageError, match="--registry"):
            images.parse_registry(bad)
    assert images.remote_tag("127.0.0.1:5000/cp", "cprofiler/web:3f2a") == "127.0.0.1:5000/cp/cprofiler/web:3f2a"
    assert images.remote_tag("r:1/cp", "localhost:5000/web:1") == "r:1/cp/web:1"
    assert images.remote_tag("r:1/cp", "web") == "r:1/cp/web:latest"


@pytest.mark.parametrize(
    ("text", "ms"),
    [("1.234567891s", 1234.567891), ("523.5ms", 523.5), ("850µs", 0.85), ("1m2.5s", 62500.0), ("12ns", 12e-6), ("0s", 0.0)],
)
def test_go_durations_in_milliseconds(text, ms):
    assert images.go_duration_ms(text) == pytest.approx(ms)


@pytest.mark.parametrize("text", ["", "1.5", "s", "1.5 s", "1x", "1s garbage"])
def test_what_is_not_a_go_duration(text):
    assert images.go_duration_ms(text) is None


def test_pull_time_from_the_kubelets_events():
    pulled_120 = 'Successfully pulled image "r:1/cp/web@sha256:ab" in 1.234567891s'
    pulled_new = 'Successfully pulled image "r:1/cp/web@sha256:ab" in 812ms (1.02s including waiting). Image size: 4 bytes.'
    present = 'Container image "r:1/cp/web@sha256:ab" already present on machine'
    assert images.pull_from_events([("Scheduled", "x"), ("Pulling", "pulling"), ("Pulled", pulled_120)]) == (True, 1234.567891)
    assert images.pull_from_events([("Pulled", pulled_new), ("Created", "c")]) == (True, 812.0)
    assert images.pull_from_events([("Pulled", present)]) == (True, None)
    assert images.pull_from_events([("Pulling", "pulling")]) == (False, None)


def test_a_pod_is_confined_as_the_docker_container_would_be():
    plain = manifest(spec())["spec"]["containers"][0]["securityContext"]
    assert plain == {"allowPrivilegeEscalation": False}  # no-new-privileges; the runtime's default capabilities
    strict = manifest(spec(security="restricted"), user="")["spec"]["containers"][0]["securityContext"]
    assert strict["capabilities"] == {"drop": ["ALL"]} and strict["runAsUser"] == 65534 and strict["runAsNonRoot"]
    own = manifest(spec(security="restricted"), user="1000:1000")["spec"]["containers"][0]["securityContext"]
    assert "runAsUser" not in own and own["runAsNonRoot"] is True


def test_a_pushed_image_is_pulled_by_digest_if_not_present():
    c = manifest(spec(), image_ref="r:1/cp/web@sha256:ab", pull_policy="IfNotPresent")["spec"]["containers"][0]
    assert c["image"] == "r:1/cp/web@sha256:ab" and c["imagePullPolicy"] == "IfNotPresent"
    assert manifest(spec())["spec"]["containers"][0]["imagePullPolicy"] == "Never"


def test_kubernetes_fields_round_trip_in_results():
    r = RunResult(image="a", index=0, scheduled_ms=3.5, running_ms=900.0, server_ready_ms=1000.0, page_faults=12)
    assert RunResult.from_json(r.to_json()) == r
    env = Environment.model_validate({"backend": "kubernetes", "kubelet_version": "v1.20.2", "node_name": "127.0.0.1"})
    assert env.to_json()["kubelet_version"] == "v1.20.2" and env.backend == "kubernetes"


def test_the_table_says_how_a_kubernetes_run_was_timed():
    from cprofiler.report.rows import footnote
    from cprofiler.results.model import Measurement

    m = Measurement(
        environment=Environment.model_validate(
            {"backend": "kubernetes", "kubernetes_version": "v1.20.2", "kubelet_version": "v1.20.2", "node_name": "n1"}
        ),
        settings=settings(backend="kubernetes", probe_via="kubelet", probe_interval_ms=1000),
    )
    text = footnote(m)
    assert "watch event" in text and "readinessProbe" in text
    assert "/stats/summary" in text and "kubelet v1.20.2 on node n1" in text
    assert "Engine" not in text


def test_the_table_says_when_the_probe_ran_inside_the_pod():
    import json

    from cprofiler.report.rows import footnote
    from cprofiler.results.model import Measurement

    data = json.loads((Path(__file__).parents[2] / "docs/results/kubernetes.json").read_text())
    assert "inside the pod" not in footnote(Measurement.from_json(data, where="test"))
    data["settings"].update(probe_via="netns", probe_interval_ms=1)
    for image in data["images"]:
        for run in image["runs"]:
            run["probe_via"] = "netns"
    text = footnote(Measurement.from_json(data, where="test"))
    assert "the netns probe (http and tcp polled every 1 ms) inside the pod's network namespace saw ready" in text
    assert "its Ready condition is ready_condition_ms" in text and "readinessProbe, every 1 s" not in text


def test_the_kubelets_pulls_get_a_column_and_a_footnote():
    import json

    from cprofiler import report
    from cprofiler.results.model import Measurement

    data = json.loads((Path(__file__).parents[2] / "docs/results/kubernetes.json").read_text())
    plain = report.render(Measurement.from_json(data, where="test"), "table")
    assert "pull p50" not in plain and "fetch p50" not in plain
    data["settings"].update(cold="image", kube_registry="127.0.0.1:5000/cp")
    for image in data["images"]:
        for i, run in enumerate(image["runs"]):
            run["image_pull_ms"] = 100.0 + i
    text = report.render(Measurement.from_json(data, where="test"), "table")
    header = text.splitlines()[0]
    assert "pull p50" in header and "fetch p50" not in header
    assert "pulled by the kubelet from 127.0.0.1:5000/cp by digest" in text and "fetch:" not in text
    assert "image_pull_median_ms" in report.render(Measurement.from_json(data, where="test"), "csv").splitlines()[0]


def test_owner_labels_survive_sanitising_for_the_reaper():
    from cprofiler.backends.kubernetes.pods import _as_written
    from cprofiler.labels import LABEL_PIDNS
    from cprofiler.reaper import is_stale, own_labels, pid_namespace

    labels = {**own_labels("abc"), "cprofiler.pid": "999999999"}  # a dead owner
    pod_labels = manifest(spec(), labels=labels)["metadata"]["labels"]
    if pid_namespace():
        assert pod_labels[LABEL_PIDNS] != pid_namespace()  # ":[" is not allowed in a label value
    assert is_stale(_as_written(pod_labels))
