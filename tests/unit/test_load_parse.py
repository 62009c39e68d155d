"""The load phase without an engine: generator output parsing (real captured output), the CPU split,
the result model's JSON, the cgroup readings on a stand-in cgroup tree, and the hard timeout."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from cprofiler.errors import UsageError
from cprofiler.measure import memory
from cprofiler.measure.load import GENERATORS, make_generator
from cprofiler.measure.load.cpus import CpuSplit, split_cpus
from cprofiler.measure.load.generators import GeneratorError, GeneratorTimeout, LoadRequest, LoadShape, cpuset_cpus, run_bounded
from cprofiler.measure.load.sampler import StepSampler
from cprofiler.measure.memory import Cgroup
from cprofiler.results.load import Ceiling, LatencyMs, LoadStep, generator_bound

DATA = Path(__file__).resolve().parent.parent / "data" / "load"


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


# --- wrk ------------------------------------------------------------------------------------------


def wrk_parse(name: str, timeout_s: float = 1.0):
    return make_generator("wrk").parse(read(name), LoadShape(connections=8, duration_s=2, request_timeout_s=timeout_s), DATA)


def test_wrk_closed_loop_output():
    r = wrk_parse("wrk-closed-ok.txt")
    c = r.counts
    assert (c.requests, c.answered_2xx, c.errors_http, c.errors_socket) == (331407, 331407, 0, 0)
    assert c.qps == pytest.approx(331407 / 2.099495)
    assert c.latency_ms == LatencyMs(p50=0.040, p90=0.054, p99=0.119, p999=1.119, max=2.201)
    assert c.latency_answered_ms == c.latency_ms  # every request was answered 2xx in time
    assert r.latency_method.startswith("closed loop") and "coordinated omission" in r.latency_method


def test_wrk_counts_500s_and_redirects_as_errors_by_class():
    fails = wrk_parse("wrk-closed-errors.txt").counts
    assert fails.non_2xx == {"5xx": 33958} and fails.answered_2xx == 305629
    assert fails.error_share == pytest.approx(0.1, abs=0.001)
    # wrk alone counts a 302 as a success; the response() hook makes it an error, as under oha.
    redirects = wrk_parse("wrk-closed-redirects.txt").counts
    assert redirects.non_2xx == {"3xx": 34802} and redirects.error_share == pytest.approx(0.1, abs=0.001)
    assert redirects.qps == pytest.approx(313222 / 2.100137)
    assert redirects.answers_per_s == pytest.approx(348024 / 2.100137)
    # wrk's latency mixes the classes: it is not passed off as that of the 2xx answers.
    assert redirects.latency_answered_ms == LatencyMs()


def test_wrk_late_answers_are_timeouts_at_the_timeout_in_the_percentiles():
    # Every 50th request held 2 s, timeout 1 s: wrk counts the late answers in requests and as
    # timeouts, and keeps them out of its latency, which then shows p99 0.58 ms.
    c = wrk_parse("wrk-closed-stalls.txt").counts
    assert c.timeouts == 16 and c.answered_2xx == 1192 - 16 and c.requests == 1192
    assert c.error_share == pytest.approx(16 / 1192)
    assert c.latency_answered_ms.p99 == pytest.approx(0.583)
    assert c.latency_ms.p99 == 1000.0 and c.latency_ms.max == 1000.0  # over all: at the timeout
    assert c.latency_ms.p90 == pytest.approx(0.464)


def test_wrk_socket_errors_of_a_killed_server():
    c = wrk_parse("wrk-server-killed.txt").counts
    # wrk counts failed reads and writes (every retry), on top of the 114919 answers it got.
    assert c.connection_errors == 8 + 164689 and c.error_kinds == {"read": 8, "write": 164689}
    assert c.requests == 114919 + c.connection_errors
    assert c.latency_ms.p50 == 1000.0  # most requests sent got no answer


def test_wrk_refuses_a_rate_naming_the_key():
    with pytest.raises(UsageError, match=r"load\.rate: wrk runs closed loop only"):
        make_generator("wrk").check(LoadShape(connections=4, duration_s=1, rate=100))


def test_wrk_without_its_result_line():
    with pytest.raises(GeneratorError, match="no result line"):
        make_generator("wrk").parse("Running 2s test @ http://127.0.0.1:8080/\n", LoadShape(1, 1.0), DATA)


def test_wrk_command_runs_one_thread_per_cpu_at_loopback(tmp_path):
    wrk = make_generator("wrk")
    if wrk.version() is None:
        pytest.skip("wrk is not installed")  # the command needs its path; parsing above does not
    req = LoadRequest(port=9000, path="/x?y=1", method="POST", headers={"X-A": "b"}, body='{"k": "v"}')
    cmd = wrk.command(req, LoadShape(connections=8, duration_s=2.4), tmp_path, 4)
    assert cmd[-1] == "http://127.0.0.1:9000/x?y=1"
    assert "--threads=4" in cmd and "--connections=8" in cmd and "--duration=2s" in cmd
    assert "--header=X-A: b" in cmd
    script = (tmp_path / "cprofiler.lua").read_text()
    assert 'wrk.method = "POST"' in script and (tmp_path / "body").read_text() == '{"k": "v"}'


# --- oha ------------------------------------------------------------------------------------------


def oha_parse(name: str, tmp: Path, rate: float | None = 400.0):
    """Parse a captured run: its JSON and its request database, as they were in the run's folder.
    1 s warm-up and 2 s measured, one run, request timeout 0.5 s."""
    shutil.copy(DATA / f"oha-{name}.db", tmp / "requests.db")
    shape = LoadShape(connections=16, duration_s=2.0, rate=rate, request_timeout_s=0.5, warmup_s=1.0)
    return make_generator("oha").parse(read(f"oha-{name}.json"), shape, tmp)


def test_oha_open_loop_output(tmp_path):
    r = oha_parse("rate-ok", tmp_path)
    c = r.counts
    # 400 req/s: 800 due in the 2 s after the warm-up, all answered 2xx.
    assert (c.requests, c.answered_2xx, c.errors_http, c.errors_socket) == (800, 800, 0, 0)
    assert c.qps == pytest.approx(400.0) and c.window_s == 2.0
    lat = c.latency_ms
    assert lat.p50 <= lat.p90 <= lat.p99 <= lat.p999 <= lat.max < 50  # type: ignore[operator]
    assert lat == c.latency_answered_ms
    assert "intended send time" in r.latency_method


def test_oha_stalled_requests_are_timeouts_and_set_the_p99(tmp_path):
    # Every 50th request never answered: oha's own p99 (answered only) said 3.5 ms.
    c = oha_parse("rate-stalls", tmp_path).counts
    assert (c.requests, c.answered_2xx, c.timeouts) == (800, 784, 16) and c.error_share == pytest.approx(0.02)
    assert c.latency_ms.p99 == 500.0 and c.latency_answered_ms.p99 < 10  # type: ignore[operator]


def test_oha_counts_redirects_and_500s_as_errors_by_class(tmp_path):
    redirects = oha_parse("rate-redirects", tmp_path).counts
    assert redirects.non_2xx == {"3xx": 80} and redirects.answered_2xx == 720 and redirects.error_share == pytest.approx(0.1)
    assert redirects.qps == pytest.approx(360.0) and redirects.answers_per_s == pytest.approx(400.0)
    fails = oha_parse("closed-errors", tmp_path, rate=None).counts
    assert set(fails.non_2xx) == {"5xx"} and fails.error_share == pytest.approx(0.1, abs=0.01)
    assert fails.requests < 2552 + 283  # only the window's, not the warm-up's
    assert "closed loop" in oha_parse("closed-errors", tmp_path, rate=None).latency_method


def test_oha_socket_errors_of_a_killed_server(tmp_path):
    # The server exited after 2 s of the 3: the last second's 400 requests were refused.
    c = oha_parse("rate-killed", tmp_path).counts
    assert c.requests == 800 and c.connection_errors >= 380 and c.timeouts == 0
    assert all("refused" in k for k in c.error_kinds)
    assert c.latency_ms.p50 == 500.0


def test_oha_without_json(tmp_path):
    with pytest.raises(GeneratorError, match="oha printed no JSON"):
        make_generator("oha").parse("error: invalid value\n", LoadShape(1, 1.0), tmp_path)


def test_oha_runs_warm_up_and_window_in_one_run_and_keeps_every_answer(tmp_path):
    oha = make_generator("oha")
    if oha.version() is None:
        pytest.skip("oha is not installed")  # the command needs its path; parsing above does not
    shape = LoadShape(connections=8, duration_s=2.0, rate=300.0, request_timeout_s=1.5, warmup_s=1.0)
    cmd = oha.command(LoadRequest(port=9000), shape, tmp_path, 1)
    # 1 s warm-up, 2 s window, a 0.5 s tail so that every request due in the window is sent.
    assert cmd[cmd.index("-z") + 1] == "3500ms" and cmd[cmd.index("-t") + 1] == "1500ms"
    assert "-w" in cmd and cmd[cmd.index("--redirect") + 1] == "0"
    assert cmd[cmd.index("--db-url") + 1] == str(tmp_path / "requests.db")
    assert oha.warms_up_in_run and not make_generator("wrk").warms_up_in_run


# --- the family -----------------------------------------------------------------------------------


def test_registry_names_the_generators_and_the_key():
    assert GENERATORS.names() == ["oha", "wrk"]
    with pytest.raises(UsageError, match=r"load\.generator ab: unknown load generator; expected one of: oha, wrk"):
        make_generator("ab")


def test_a_missing_generator_says_how_to_install_it(monkeypatch):
    oha = make_generator("oha")
    monkeypatch.setattr(type(oha), "version", lambda self: None)
    with pytest.raises(UsageError, match="cargo install oha --version 1.16.0 --locked"):
        oha.require()


def test_the_url_is_always_the_containers_loopback():
    assert LoadRequest(port=80, path="a/b").url == "http://127.0.0.1:80/a/b"


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"method": 'GET"; os.exit()'}, "load.method"),
        ({"method": "-x"}, "load.method"),
        ({"path": "/a b"}, "load.path"),
        ({"path": "/a\nHost: x"}, "load.path"),
        ({"headers": {"X-A": "b\r\nX-B: c"}}, "load.headers"),
        ({"headers": {"-H": "x"}}, "load.headers"),
    ],
)
def test_requests_that_could_escape_a_command_line_are_refused(kwargs, key):
    with pytest.raises(UsageError, match=key):
        LoadRequest(port=80, **kwargs)


def test_hard_timeout_kills_the_whole_process_group():
    t0 = time.monotonic()
    with pytest.raises(GeneratorTimeout, match="sleeper ran past its hard timeout"):
        # The shell's child sleeps on after the shell is killed unless the group is killed.
        run_bounded(["sh", "-c", "sleep 30 & sleep 30"], what="sleeper", timeout_s=0.5)
    assert time.monotonic() - t0 < 5


# --- CPUs, results --------------------------------------------------------------------------------


def test_cpusets():
    assert cpuset_cpus("0") == [0] and cpuset_cpus("1-3") == [1, 2, 3] and cpuset_cpus("0,2-3") == [0, 2, 3]
    with pytest.raises(UsageError, match="not a CPU list"):
        cpuset_cpus("one")


def test_cpu_split():
    assert split_cpus(2) == CpuSplit(container="0", generator="1")
    assert split_cpus(8) == CpuSplit(container="0", generator="1-7")
    assert split_cpus(4, container="0-1", generator="2-3") == CpuSplit("0-1", "2-3")
    with pytest.raises(UsageError, match="the engine has 1 CPU"):
        split_cpus(1)
    with pytest.raises(UsageError, match="share CPU 1"):
        split_cpus(4, container="0-1", generator="1")
    with pytest.raises(UsageError, match="CPU 5 in '5' does not exist"):
        split_cpus(2, generator="5")


def test_generator_bound_above_70_percent_of_the_ceiling():
    c = Ceiling(qps=40000, latency_ms=LatencyMs())
    assert not generator_bound(28000, c) and generator_bound(28001, c)


def _step(rate: float | None, repeat: int) -> LoadStep:
    return LoadStep(
        rate=rate,
        repeat=repeat,
        requests=5000,
        errors_http=3,
        errors_socket=1,
        qps=1666.7,
        latency_ms=LatencyMs(p50=1.0, p90=2.0, p99=3.0, p999=4.0, max=5.0),
        cpu_cores=0.98,
        throttled_periods=12,
        throttled_ms=340.5,
        working_set_peak_bytes=1 << 20,
        working_set_end_bytes=900_000,
        rss_end_bytes=800_000,
        working_set_after_bytes=700_000,
        pids=1,
    )


def test_a_step_and_the_ceiling_read_back_from_their_json():
    for step in (_step(500, 0), _step(None, 1)):
        assert LoadStep.model_validate(step.model_dump(mode="json")) == step
    c = Ceiling(qps=41000.5, latency_ms=LatencyMs(p50=0.2), n=3)
    assert Ceiling.model_validate(c.model_dump(mode="json")) == c
    assert CpuSplit("0", "1").to_json() == {"server": "0", "generator": "1"}


# --- cgroup readings on a stand-in tree -----------------------------------------------------------


@pytest.fixture
def fake_v1(tmp_path, monkeypatch) -> Cgroup:
    """A cgroup v1 tree like the engine's (memory, cpuacct, cpu and pids hierarchies) in files."""
    monkeypatch.setattr(memory, "CGROUP_ROOT", tmp_path)
    mem = tmp_path / "memory" / "docker" / "c1"
    for d in ("memory", "cpuacct", "cpu", "pids"):
        (tmp_path / d / "docker" / "c1").mkdir(parents=True)
    (mem / "memory.usage_in_bytes").write_text("10000000\n")
    (mem / "memory.stat").write_text("total_inactive_file 1000000\ntotal_rss 7000000\ntotal_mapped_file 500000\n")
    (mem / "memory.max_usage_in_bytes").write_text("12000000\n")
    (mem / "tasks").write_text("1\n2\n3\n")
    (tmp_path / "cpuacct" / "docker" / "c1" / "cpuacct.usage").write_text("5000000000\n")
    (tmp_path / "cpu" / "docker" / "c1" / "cpu.stat").write_text("nr_periods 100\nnr_throttled 7\nthrottled_time 35000000\n")
    (tmp_path / "pids" / "docker" / "c1" / "pids.current").write_text("4\n")
    return Cgroup(1, mem, tmp_path / "cpuacct" / "docker" / "c1")


def test_cgroup_v1_throttling_tasks_and_peak(fake_v1):
    assert fake_v1.throttling() == (7, 35_000_000)
    assert fake_v1.tasks() == 4
    assert fake_v1.peak() == 12_000_000
    assert fake_v1.reset_peak() and fake_v1.peak() == 0  # the kernel would restart it from usage
    (memory.CGROUP_ROOT / "pids" / "docker" / "c1" / "pids.current").unlink()
    assert fake_v1.tasks() == 3  # from the memory hierarchy's task list


def test_cgroup_v2_has_no_reset(tmp_path):
    (tmp_path / "cpu.stat").write_text("usage_usec 100\nnr_periods 10\nnr_throttled 2\nthrottled_usec 4000\n")
    (tmp_path / "pids.current").write_text("2\n")
    cg = Cgroup(2, tmp_path, tmp_path)
    assert cg.throttling() == (2, 4_000_000) and cg.tasks() == 2 and not cg.reset_peak()


def test_sampler_on_a_stand_in_cgroup(fake_v1):
    mem = fake_v1.memory_dir
    sampler = StepSampler(fake_v1, interval_s=0.02)
    sampler.start()
    (memory.CGROUP_ROOT / "cpuacct" / "docker" / "c1" / "cpuacct.usage").write_text("5500000000\n")
    (memory.CGROUP_ROOT / "cpu" / "docker" / "c1" / "cpu.stat").write_text(
        "nr_periods 200\nnr_throttled 17\nthrottled_time 85000000\n"
    )
    time.sleep(0.1)
    (mem / "memory.usage_in_bytes").write_text("30000000\n")  # a burst the samples see
    time.sleep(0.1)
    (mem / "memory.usage_in_bytes").write_text("11000000\n")
    (mem / "memory.max_usage_in_bytes").write_text("41000000\n")  # a spike between two samples
    time.sleep(0.05)
    f = sampler.stop()
    assert f.samples >= 5
    assert f.throttled_periods == 10 and f.throttled_ms == pytest.approx(50.0)
    assert f.cpu_cores is not None and 0 < f.cpu_cores < 0.5 / 0.25
    assert f.working_set_peak_bytes == 41_000_000 - 1_000_000
    # rss is anonymous memory alone (total_rss on v1), as cAdvisor counts it: results schema v2.
    assert (f.working_set_end_bytes, f.rss_end_bytes, f.pids) == (10_000_000, 7_000_000, 4)
    assert f.notes == []
