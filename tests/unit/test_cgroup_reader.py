"""The samplers' cgroup reads, on cgroup folders made of plain files in a temporary directory.

The samplers keep a cgroup's files open and read them again many times a second; what they read
must be what opening and parsing the whole file gives (``Cgroup.memory_usage``), value by value.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from cprofiler.measure.load.sampler import StepSampler
from cprofiler.measure.memory import Cgroup, WorkingSetReader, from_figures, stat_keys
from cprofiler.measure.settle_peak import wait_settle, working_set_bytes

# memory.stat as the kernels print it (abridged, real key order; v1 has plain and total_ keys).
V1_STAT = """cache 4939776
rss 26013696
rss_huge 0
mapped_file 1081344
inactive_anon 0
active_anon 26148864
inactive_file 4800000
active_file 139264
unevictable 0
hierarchical_memory_limit 9223372036854771712
total_cache 4939776
total_rss 26013696
total_mapped_file 1081344
total_inactive_anon 0
total_active_anon 26148864
total_inactive_file 4939776
total_active_file 139264
total_unevictable 0
"""
V2_STAT = """anon 26013696
file 4939776
kernel 1118208
sock 0
file_mapped 1081344
file_dirty 0
inactive_anon 26148864
active_anon 4096
inactive_file 3145728
active_file 1794048
unevictable 0
workingset_refault_anon 0
workingset_refault_file 0
pgfault 12345
"""


def cgroup_dir(root: Path, version: int, usage: int, stat: str) -> Cgroup:
    root.mkdir(parents=True, exist_ok=True)
    (root / ("memory.current" if version == 2 else "memory.usage_in_bytes")).write_text(f"{usage}\n")
    (root / "memory.stat").write_text(stat)
    return Cgroup(version, root, root)


@pytest.mark.parametrize(("version", "stat"), [(1, V1_STAT), (2, V2_STAT)])
def test_reader_gives_the_working_set_and_inactive_cache_of_the_full_parse(tmp_path, version, stat):
    cg = cgroup_dir(tmp_path, version, 40_000_000, stat)
    usage, full = cg.memory_usage()
    with WorkingSetReader(cg) as reader:
        read_usage, some = reader.read()
        assert read_usage == usage == 40_000_000
        # Every key it returns is the full parse's value, and the working set is the same.
        assert some and all(full[k] == v for k, v in some.items())
        want = from_figures(usage, full, None, v2=version == 2).working_set_bytes
        assert from_figures(read_usage, some, None, v2=version == 2).working_set_bytes == want
        assert reader.working_set_bytes() == want == working_set_bytes(cg)
    inactive = "inactive_file" if version == 2 else "total_inactive_file"
    assert some[inactive] == full[inactive]


def test_stat_keys_follows_the_full_parse_rules():
    text = b"inactive_file_extra 9\ninactive_file 12\nx_inactive_file 7\nbad -\nneg -3\nlast 1\nlast 2"
    assert stat_keys(text, (b"inactive_file", b"neg", b"last", b"bad", b"missing")) == {"inactive_file": 12, "neg": -3, "last": 2}
    assert stat_keys(b"", (b"inactive_file",)) == {}


def test_reader_sees_each_new_value_of_a_file_it_keeps_open(tmp_path):
    cg = cgroup_dir(tmp_path, 2, 1000, "inactive_file 100\n")
    with WorkingSetReader(cg) as reader:
        assert reader.working_set_bytes() == 900
        (tmp_path / "memory.current").write_text("5000\n")
        (tmp_path / "memory.stat").write_text("anon 1\ninactive_file 1000\n")
        assert reader.read() == (5000, {"inactive_file": 1000})
        assert reader.working_set_bytes() == 4000


def test_reader_reads_a_memory_stat_longer_than_one_chunk(tmp_path):
    filler = "".join(f"key_{i} {i}\n" for i in range(3000))  # about 36 KB
    cg = cgroup_dir(tmp_path, 2, 1000, filler + "inactive_file 10\n")
    with WorkingSetReader(cg) as reader:
        assert reader.read() == (1000, {"inactive_file": 10})


def test_reader_of_a_missing_cgroup_reads_nothing_as_memory_usage_does(tmp_path):
    cg = Cgroup(2, tmp_path / "gone", tmp_path / "gone")
    with WorkingSetReader(cg) as reader:
        assert reader.read() == cg.memory_usage() == (None, {})
        assert reader.working_set_bytes() is None


def test_reader_without_memory_stat_has_no_working_set(tmp_path):
    cg = cgroup_dir(tmp_path, 1, 1000, "")
    (tmp_path / "memory.stat").unlink()
    with WorkingSetReader(cg) as reader:
        assert reader.read() == cg.memory_usage() == (1000, {})
        assert reader.working_set_bytes() is None  # the settle sampler's rule: no figure from half the inputs


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_reader_closes_its_files(tmp_path):
    cg = cgroup_dir(tmp_path, 2, 1000, V2_STAT)
    before = open_fds()
    reader = WorkingSetReader(cg)
    assert open_fds() == before + 2
    reader.close()
    reader.close()  # twice is harmless
    assert open_fds() == before
    with WorkingSetReader(cg):
        pass
    assert open_fds() == before


def test_settle_sampling_keeps_the_working_set_and_closes_its_files(tmp_path):
    cg = cgroup_dir(tmp_path, 2, 50_000_000, V2_STAT)
    before = open_fds()
    exited = threading.Event()
    assert wait_settle(cg, exited, 0.0) == (False, 50_000_000 - 3145728)
    exited.set()
    assert wait_settle(cg, exited, 60.0) == (True, 50_000_000 - 3145728)
    assert open_fds() == before


def test_step_sampler_on_cgroup_files(tmp_path):
    cg = cgroup_dir(tmp_path, 2, 80_000_000, V2_STAT)
    (tmp_path / "cpu.stat").write_text("usage_usec 1000\nnr_periods 10\nnr_throttled 2\nthrottled_usec 500\n")
    (tmp_path / "pids.current").write_text("7\n")
    before = open_fds()
    sampler = StepSampler(cg, interval_s=0.001)
    sampler.start()
    (tmp_path / "cpu.stat").write_text("usage_usec 3000\nnr_periods 20\nnr_throttled 5\nthrottled_usec 1500\n")
    figures = sampler.stop()
    assert figures.working_set_peak_bytes == figures.working_set_end_bytes == 80_000_000 - 3145728
    assert figures.rss_end_bytes == 26013696 and figures.pids == 7 and figures.samples >= 1
    assert (figures.throttled_periods, figures.throttled_ms) == (3, 1.0)
    assert open_fds() == before
