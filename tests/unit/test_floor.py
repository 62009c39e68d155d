"""The runtime floor's binaries, the app-start column, cold levels and warnings, without an engine."""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import shutil
import socket
import struct
import subprocess
import time
from pathlib import Path

import pytest

from cprofiler import report
from cprofiler.errors import CprofilerError
from cprofiler.images import floor
from cprofiler.measure import cold
from cprofiler.report.rows import comparison_rows
from cprofiler.results import writer
from cprofiler.results.model import SCHEMA, ImageResult, RunResult
from cprofiler.results.runlog import RunLog, load
from tests.helpers import typed

HOST_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine())
MACHINES = {"amd64": 62, "arm64": 183}


def _fields(elf: bytes) -> dict[str, int]:
    names = "type machine version entry phoff shoff flags ehsize phentsize phnum shentsize shnum shstrndx".split()
    header = dict(zip(names, struct.unpack_from("<HHIQQQIHHHHHH", elf, 16), strict=True))
    program = struct.unpack_from("<IIQQQQQQ", elf, header["phoff"])
    names = "p_type p_flags p_offset p_vaddr p_paddr p_filesz p_memsz p_align".split()
    return {**header, **dict(zip(names, program, strict=True))}


@pytest.mark.parametrize("arch", ["amd64", "arm64"])
@pytest.mark.parametrize("make", [floor.exit0_elf, floor.serve_elf])
def test_elf_header_fields(arch, make):
    elf = make(arch)
    assert elf[:4] == b"\x7fELF" and elf[4:7] == bytes([2, 1, 1])  # 64-bit, little-endian, version 1
    f = _fields(elf)
    assert f["type"] == 2 and f["machine"] == MACHINES[arch] and f["version"] == 1
    assert f["ehsize"] == 64 and f["phoff"] == 64 and f["phentsize"] == 56 and f["phnum"] == 1
    assert f["shoff"] == 0 and f["shnum"] == 0
    # One read+execute segment maps the whole file; the entry is the first byte after the headers.
    assert f["p_type"] == 1 and f["p_flags"] == 5 and f["p_offset"] == 0
    assert f["p_filesz"] == f["p_memsz"] == len(elf)
    assert f["p_vaddr"] % f["p_align"] == 0
    assert f["entry"] == f["p_vaddr"] + 120 < f["p_vaddr"] + len(elf)
    assert len(elf) < 256


def test_exit0_is_about_130_bytes_and_serve_ends_with_its_sockaddr():
    assert len(floor.exit0_elf("amd64")) == 129 and len(floor.exit0_elf("arm64")) == 132
    tail = floor.serve_elf("amd64", 8080)[-16:]
    assert tail == struct.pack("<H", 2) + struct.pack(">H", 8080) + bytes(12)


def test_unknown_architecture_names_the_flag():
    with pytest.raises(CprofilerError, match="--no-floor"):
        floor.exit0_elf("riscv64")


def _runner(arch: str) -> list[str] | None:
    """How to run an ``arch`` binary here: natively, or under qemu-user; None if neither."""
    if arch == HOST_ARCH:
        return []
    qemu = shutil.which(f"qemu-{'aarch64' if arch == 'arm64' else 'x86_64'}")
    return [qemu] if qemu else None


@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_exit0_exits_zero(arch, tmp_path):
    prefix = _runner(arch)
    if prefix is None:
        pytest.skip(f"cannot run {arch} binaries here (no qemu-user)")
    binary = tmp_path / "exit0"
    binary.write_bytes(floor.exit0_elf(arch))
    binary.chmod(0o755)
    assert subprocess.run([*prefix, str(binary)], timeout=30).returncode == 0


@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_serve_listens_at_once_and_fails_on_a_busy_port(arch, tmp_path):
    prefix = _runner(arch)
    if prefix is None:
        pytest.skip(f"cannot run {arch} binaries here (no qemu-user)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    binary = tmp_path / "serve"
    binary.write_bytes(floor.serve_elf(arch, port))
    binary.chmod(0o755)
    proc = subprocess.Popen([*prefix, str(binary)])
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the serving floor never listened"
                time.sleep(0.01)
        assert proc.poll() is None  # it sleeps, it does not exit
        # A second one cannot bind the same port: it exits 1 instead of sleeping unready forever.
        assert subprocess.run([*prefix, str(binary)], timeout=30).returncode == 1
    finally:
        proc.kill()
        proc.wait()


def test_floor_mode_serves_when_any_image_is_a_service():
    assert floor.floor_mode(["exit", "http"]) == "serve"
    assert floor.floor_mode(["log"]) == "serve"
    assert floor.floor_mode(["exit", "exit"]) == "exit"
    ctx = Path("/nonexistent")
    assert floor.floor_spec(ctx / "Dockerfile", "serve").ready.kind == "tcp"
    assert floor.floor_spec(ctx / "Dockerfile", "exit").command == ["/exit0"]


# --- app start: image median − floor median, from the results JSON alone --------------------------


def _image(name: str, ready: dict, values: list[float], fetch: list[float] | None = None) -> dict:
    img = ImageResult(name=name, image={"tag": f"t/{name}", "id": "sha256:x"}, image_size_bytes=1000, layers=1, ready=ready)
    for i, v in enumerate(values):
        img.runs.append(RunResult(image=name, index=i, ready_ms=v, fetch_ms=fetch[i] if fetch else None))
    return writer.image_json(img)


def results(floor_ready: dict, cold_level: str = "warm", fetch: list[float] | None = None) -> dict:
    return {
        "schema": SCHEMA,
        "settings": {"scenario_file": "/s.yaml", "runs": 5, "warmup": 1, "settle_s": 0, "timeout_s": 60, "cold": cold_level},
        "environment": {},
        "images": [
            _image("svc", {"http": {"port": 8080, "path": "/"}}, [300, 310, 305, 330, 302], fetch),
            _image("job", {"exit": True}, [500, 520, 505, 510, 515], fetch),
        ],
        "floor": _image(floor.FLOOR_NAME, floor_ready, [250, 260, 252, 255, 251], fetch),
    }


def test_app_start_is_median_minus_floor_median_within_a_kind():
    rows = {r["image"]: r for r in comparison_rows(typed(results({"tcp": {"port": 8080}})))}
    assert rows["svc"]["app_start_median_ms"] == pytest.approx(305 - 252)
    assert rows["job"]["app_start_median_ms"] is None  # a batch job is not compared with a serving floor
    assert rows["(floor)"]["ready_median_ms"] == 252 and rows["(floor)"]["app_start_median_ms"] is None
    assert rows["(floor)"]["ready_ratio"] is None and rows["svc"]["ready_ratio"].value == 1.0  # best is among images
    rows = {r["image"]: r for r in comparison_rows(typed(results({"exit": True})))}
    assert rows["job"]["app_start_median_ms"] == pytest.approx(510 - 252)
    assert rows["svc"]["app_start_median_ms"] is None


def test_without_a_floor_there_is_no_floor_row_and_no_app_start():
    data = results({"tcp": {"port": 8080}})
    data["floor"] = None
    rows = comparison_rows(typed(data))
    assert [r["image"] for r in rows] == ["svc", "job"]
    assert all(r["app_start_median_ms"] is None for r in rows)


def test_table_and_csv_show_the_floor_row_and_app_start():
    data = results({"tcp": {"port": 8080}})
    text = report.render(typed(data), "table")
    assert "app start" in text.splitlines()[0] and "fetch p50" not in text
    floor_line = next(line for line in text.splitlines() if line.startswith("(floor)"))
    assert "252 ms" in floor_line
    svc_line = next(line for line in text.splitlines() if line.startswith("svc"))
    assert "53 ms (45…78)" in svc_line  # the difference of medians with its interval
    rows = {r["image"]: r for r in csv.DictReader(io.StringIO(report.render(typed(data), "csv")))}
    assert float(rows["svc"]["app_start_median_ms"]) == 53.0 and rows["job"]["app_start_median_ms"] == ""
    assert rows["(floor)"]["ready_median_ms"] == "252.0"
    assert "(floor)" in report.render(typed(data), "markdown")


def test_fetch_column_appears_at_cold_level_image():
    data = results({"tcp": {"port": 8080}}, cold_level="image", fetch=[40, 42, 41, 90, 43])
    text = report.render(typed(data), "table")
    assert "fetch p50" in text.splitlines()[0] and "42 ms" in text
    assert data["images"][0]["summary"]["fetch_ms"]["median"] == 42


def test_jsonl_rebuild_keeps_the_floor(tmp_path):
    data = results({"tcp": {"port": 8080}})
    header = {**data, "images": [{**i, "runs": []} for i in data["images"]], "floor": {**data["floor"], "runs": []}}
    log = RunLog(tmp_path / "r.jsonl", {"invocation": "x", **header})
    for entry in [*data["images"], data["floor"]]:
        for run in entry["runs"]:
            log.run(RunResult.from_json(run))
    log.close()
    rebuilt = writer.results_json(load(tmp_path / "r.jsonl"))
    assert rebuilt["floor"]["name"] == "(floor)" and len(rebuilt["floor"]["runs"]) == 5
    assert rebuilt["floor"]["summary"]["ready_ms"]["median"] == 252
    assert [len(i["runs"]) for i in rebuilt["images"]] == [5, 5]
    assert json.loads(json.dumps(rebuilt)) == rebuilt


# --- outlier warnings ------------------------------------------------------------------------------


def test_warnings_say_what_to_do_and_are_in_the_json():
    slow_first = _image("a", {"exit": True}, [900, 300, 301, 302, 299, 300, 303])
    assert slow_first["warnings"] == ["ready_ms: the first run is much slower than the rest: add --warmup runs"]
    steady = _image("b", {"exit": True}, [300, 301, 302, 299, 300])
    assert steady["warnings"] == []


# --- cold levels -----------------------------------------------------------------------------------


class _LocalEngine:
    """The one thing a cold level asks before any run: is the engine on this host."""

    def is_local(self) -> bool:
        return True


def test_cold_levels_registry():
    assert cold.names() == ["warm", "cache", "image"]
    assert "image" in cold.help_text() and "fetch_ms" in cold.help_text()
    with pytest.raises(CprofilerError, match="--cold frozen: unknown cold level; expected one of: warm, cache, image"):
        cold.make("frozen", _LocalEngine())  # type: ignore[arg-type]


def test_cold_cache_refuses_in_one_line_when_it_cannot_drop_caches(tmp_path):
    level = cold.make("cache", _LocalEngine())  # type: ignore[arg-type]
    level.path = tmp_path / "no" / "drop_caches"  # type: ignore[attr-defined]
    with pytest.raises(CprofilerError) as err:
        level.check()
    message = str(err.value)
    assert message.startswith("--cold cache: cannot write") and "--cold warm" in message and "\n" not in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_cold_cache_refuses_without_root():
    with pytest.raises(CprofilerError, match="--cold cache"):
        cold.make("cache", _LocalEngine()).check()  # type: ignore[arg-type]
