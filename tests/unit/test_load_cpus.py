"""The CPU split, the measured window, interference from /proc/stat and the generator-bound rule."""

from __future__ import annotations

import os
import sys

import pytest

from cprofiler.errors import UsageError
from cprofiler.measure.load.cpus import CpuSplit, server_cpus_needed, split_cpus
from cprofiler.measure.load.interference import USER_HZ, disturbed, other_cpu_share, parse_proc_stat, process_cpu_s
from cprofiler.measure.load.launch import run_measured
from cprofiler.measure.load.window import LoadWindow, is_generator_bound
from cprofiler.results.load import Ceiling


def test_the_server_gets_as_many_cpus_as_its_cap_can_use():
    assert [server_cpus_needed(c) for c in (None, 0.25, 1, 1.5, 2, 4)] == [1, 1, 1, 2, 2, 4]
    assert split_cpus(2, cpus=1) == CpuSplit("0", "1")
    assert split_cpus(2, cpus=0.5) == CpuSplit("0", "1")
    assert split_cpus(4, cpus=2) == CpuSplit("0-1", "2-3")
    assert split_cpus(8, cpus=1.5) == CpuSplit("0-1", "2-7")
    assert split_cpus(3, cpus=2) == CpuSplit("0-1", "2")
    # Without cpus, as before: CPU 0 and the rest.
    assert split_cpus(8) == CpuSplit("0", "1-7")


def test_a_cpus_the_machine_cannot_give_beside_the_generator_is_refused_naming_it():
    with pytest.raises(UsageError) as got:
        split_cpus(2, cpus=2)
    text = str(got.value)
    assert text.startswith("cpus: 2 needs 2 CPUs") and "\n" not in text
    assert "the engine has 2 CPUs (0-1)" in text and "load generator needs 1 more" in text
    assert got.value.exit_code == 2
    # The user's own server_cpus must hold the cap too, or cpus would not be honoured.
    with pytest.raises(UsageError, match=r"^cpus: 2 needs 2 CPUs but load.server_cpus '0' gives the container 1"):
        split_cpus(4, cpus=2, container="0")
    assert split_cpus(4, cpus=2, container="2-3", generator="0") == CpuSplit("2-3", "0")


def _stat(*cpus: tuple[int, int, int, int, int, int]) -> str:
    """A /proc/stat text; each CPU: (user, nice, system, idle, softirq, steal) ticks."""
    lines = ["cpu  1 2 3 4 5 6 7 8 0 0"]
    for n, (user, nice, system, idle, softirq, steal) in enumerate(cpus):
        lines.append(f"cpu{n} {user} {nice} {system} {idle} 0 0 {softirq} {steal} 0 0")
    return "\n".join([*lines, "intr 12345 0 0", "ctxt 999", "procs_running 2"]) + "\n"


def test_other_work_is_the_busy_time_less_ours_over_the_cpus_time():
    before = parse_proc_stat(_stat((100, 0, 50, 1000, 5, 0), (10, 0, 10, 2000, 0, 0)))
    # 2 s on 2 CPUs (4 s of CPU). CPU 0: 1.5 s busy (user + system); CPU 1: 1.0 s busy, 0.2 s of it steal.
    hz = USER_HZ
    after = parse_proc_stat(
        _stat(
            (100 + int(1.2 * hz), 0, 50 + int(0.3 * hz), 1000 + int(0.4 * hz), 5 + int(0.1 * hz), 0),
            (10 + int(0.6 * hz), int(0.1 * hz), 10 + int(0.1 * hz), 2000 + hz, 0, int(0.2 * hz)),
        )
    )
    # Ours: the container 1.4 s, the generator 0.6 s: 0.5 s of the 2.5 s busy was other work.
    share = other_cpu_share(before, after, [0, 1], own_cpu_s=2.0)
    assert share == pytest.approx(0.5 / 4.0)
    assert disturbed(share) and not disturbed(0.10) and not disturbed(None)
    # Softirq (the load's own loopback traffic) is not other work; what we used is never negative.
    assert other_cpu_share(before, after, [0, 1], own_cpu_s=9.0) == 0.0
    assert other_cpu_share(before, after, [0, 2], own_cpu_s=0.0) is None  # no such CPU
    assert other_cpu_share(before, before, [0], own_cpu_s=0.0) is None  # no time passed


def test_the_generator_is_the_limit_at_90_percent_of_its_cpus_or_70_percent_of_the_ceiling():
    ceiling = Ceiling(qps=10_000.0, n=3)
    assert is_generator_bound(0.90, 100.0, ceiling)
    assert not is_generator_bound(0.89, 7_000.0, ceiling)
    assert is_generator_bound(0.10, 7_001.0, ceiling)
    assert is_generator_bound(0.95, None, None)
    assert not is_generator_bound(None, 9_999.0, None)


BUSY = [sys.executable, "-c", "n = 0\nwhile n < 3_000_000: n += 1"]


def test_the_launcher_reports_the_generators_cpu_time_and_the_window_reads_it():
    window = LoadWindow(None, offset_s=0.0, duration_s=600.0, server_cpus=[0], generator_cpus=[0])
    done = run_measured(BUSY, timeout_s=60, watch=window)
    got = window.result()
    assert done.code == 0 and not done.timed_out and done.cpu_s > 0
    assert got.generator_cpu_s == done.cpu_s
    # It ended before its duration did: the window closed when it exited, and its CPU within the
    # window is at most what it used in all.
    assert got.cpu_window_s is not None and 0 < got.cpu_window_s < 600
    assert got.generator_cpu_share is not None and 0 < got.generator_cpu_share <= 1
    assert got.generator_cpu_share * got.cpu_window_s <= done.cpu_s + 1 / USER_HZ


def test_a_window_that_had_not_opened_when_the_generator_exited_reads_nothing():
    window = LoadWindow(None, offset_s=600.0, duration_s=1.0, server_cpus=[0], generator_cpus=[0])
    done = run_measured(["true"], timeout_s=60, watch=window)
    got = window.result()
    assert done.code == 0 and got.generator_cpu_s == done.cpu_s
    assert got.cpu_window_s is None and got.generator_cpu_share is None and got.other_cpu_share is None


def test_the_launcher_kills_at_the_hard_timeout():
    done = run_measured(["sleep", "30"], timeout_s=0.2)
    assert done.timed_out and done.code < 0


def test_a_process_cpu_time_is_read_from_proc():
    assert (process_cpu_s(os.getpid()) or 0) > 0
    assert process_cpu_s(2**22 + 12345) is None


def test_each_images_ceiling_is_in_the_run_log_and_read_back(tmp_path):
    from cprofiler.report import render
    from cprofiler.results import runlog
    from tests.unit.test_load_model import measurement

    m = measurement()
    path = tmp_path / "r.jsonl"
    log = runlog.RunLog(path, {"invocation": "x", **m.header_json()})
    log.write({"type": "ceiling", "image": "go", **Ceiling(qps=20_000.0, n=3).model_dump(mode="json")})
    log.write({"type": "ceiling", "image": "py", **Ceiling(qps=9_000.0, n=3).model_dump(mode="json")})
    log.ceiling(Ceiling(qps=20_000.0, n=3))
    for image in m.images:
        assert image.load is not None
        for s in image.load.steps:
            step = s.model_copy(update={"disturbed": image.name == "py", "other_cpu_share": 0.4 if image.name == "py" else 0.0})
            log.load_step(image.name, step)
    log.close()
    back = runlog.load(path)
    ceilings = {i.name: i.load.ceiling for i in back.images if i.load}
    assert ceilings == {"go": Ceiling(qps=20_000.0, n=3), "py": Ceiling(qps=9_000.0, n=3)}
    assert back.ceiling == Ceiling(qps=20_000.0, n=3)
    # Judged by its own ceiling, go's 9,001 QPS is not generator-bound; py is marked disturbed.
    text = render(back, "table")
    under_load = text[text.index("image under load") :]
    go = next(line for line in under_load.splitlines() if line.startswith("go "))
    py = next(line for line in under_load.splitlines() if line.startswith("py "))
    assert "[generator-bound]" not in go and "[disturbed]" not in go
    assert "[disturbed]" in py and "disturbed: other work took more than 10%" in text
