"""Without an engine: the reuse hash covers what the engine is sent, in
chunks, and refuses what the engine could not take as a file."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from cprofiler.errors import UsageError
from cprofiler.images.build import copied_images, image_inputs_hash, remote_sources

ROOT = Path(__file__).resolve().parents[2]


def context(tmp_path: Path) -> Path:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM scratch\nCOPY . /\n")
    (ctx / "app.py").write_text("print(1)\n")
    return ctx


def digest(ctx: Path, **kw) -> str:
    return image_inputs_hash((ctx / "Dockerfile").read_text(), {}, ctx, **kw)


@pytest.mark.parametrize("folder", [".git", "node_modules", ".venv", "__pycache__"])
def test_folders_the_engine_is_sent_are_hashed(tmp_path, folder):
    ctx = context(tmp_path)
    (ctx / folder).mkdir()
    (ctx / folder / "app").write_text("1")
    before = digest(ctx)
    (ctx / folder / "app").write_text("2")  # the old hash skipped these folders and said "reused"
    assert digest(ctx) != before


def test_what_dockerignore_leaves_out_is_not_hashed(tmp_path):
    ctx = context(tmp_path)
    (ctx / "node_modules").mkdir()
    (ctx / "node_modules" / "app").write_text("1")
    (ctx / "notes.txt").write_text("a")
    (ctx / ".dockerignore").write_text("# local only\nnode_modules\n*.txt\n")
    before = digest(ctx)
    (ctx / "node_modules" / "app").write_text("2")
    (ctx / "notes.txt").write_text("b")
    assert digest(ctx) == before
    (ctx / "app.py").write_text("print(2)\n")
    assert digest(ctx) != before
    (ctx / ".dockerignore").write_text("*.txt\n")  # node_modules is sent again
    assert digest(ctx) != before


def test_modes_links_and_base_ids_are_inputs(tmp_path):
    ctx = context(tmp_path)
    before = digest(ctx)
    (ctx / "app.py").chmod(0o600)
    assert digest(ctx) != before
    (ctx / "link").symlink_to("app.py")
    with_link = digest(ctx)
    (ctx / "link").unlink()
    (ctx / "link").symlink_to("Dockerfile")
    assert digest(ctx) != with_link
    one = digest(ctx, image_ids={"base:1": "sha256:aa"})
    assert one != digest(ctx, image_ids={"base:1": "sha256:bb"}) and one != digest(ctx)


def test_a_large_file_is_hashed_in_chunks(tmp_path):
    ctx = context(tmp_path)
    with (ctx / "big").open("wb") as fh:  # 512 MiB, sparse: costs no disk (the old hash held it all)
        fh.truncate(512 << 20)
    code = (
        "import resource, sys; from pathlib import Path; from cprofiler.images.build import image_inputs_hash\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        f"image_inputs_hash('FROM scratch', {{}}, Path({str(ctx)!r}))\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert p.returncode == 0, p.stderr
    grown_kib = int(p.stdout)
    assert grown_kib < 64 * 1024, f"hashing a 512 MiB file grew the process by {grown_kib} KiB"


def refused(ctx: Path) -> str:
    with pytest.raises(UsageError) as info:
        digest(ctx, where="image 'a': build context")
    text = str(info.value)
    assert "\n" not in text and text.startswith("image 'a': build context: "), text
    return text


def test_a_symlink_out_of_the_context_is_one_line(tmp_path):
    ctx = context(tmp_path)
    (ctx / "zero").symlink_to("/dev/zero")  # the old hash followed it: MemoryError
    assert "zero is a symlink to /dev/zero, which leads out of the context" in refused(ctx)
    (ctx / "zero").unlink()
    (ctx / "up").symlink_to("../../etc")
    assert "up is a symlink to ../../etc, which leads out of the context" in refused(ctx)
    (ctx / ".dockerignore").write_text("up\n")  # not sent: not a problem
    digest(ctx)


def test_a_fifo_is_one_line_and_never_blocks(tmp_path):
    ctx = context(tmp_path)
    os.mkfifo(ctx / "pipe")  # the old hash blocked reading it, and the build with it, forever
    result: list[str] = []
    worker = threading.Thread(target=lambda: result.append(refused(ctx)), daemon=True)
    worker.start()
    worker.join(10)
    assert result and "pipe is a named pipe, which the engine cannot take as a file" in result[0]


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")
def test_a_device_is_one_line(tmp_path):
    ctx = context(tmp_path)
    os.mknod(ctx / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    assert "null is a character device" in refused(ctx)


def test_an_unreadable_dockerignore_is_one_line(tmp_path):
    ctx = context(tmp_path)
    os.mkfifo(ctx / ".dockerignore")
    with pytest.raises(UsageError, match=r"\.dockerignore: expected a regular file"):
        digest(ctx)


def test_remote_and_copied_sources_are_found():
    text = (
        "ARG TOOLS=tools:1\nFROM scratch AS build\nADD https://example.invalid/a.tgz /a\n"
        'ADD ["git@example.invalid:x.git", "/src"]\nADD --checksum=sha256:00 https://example.invalid/b /b\n'
        "ADD local.txt /l\nCOPY --from=build /a /a\nCOPY --from=0 /a /b\nCOPY --from=${TOOLS} /t /t\n"
    )
    assert remote_sources(text) == ["https://example.invalid/a.tgz", "git@example.invalid:x.git"]
    assert copied_images(text, {}) == ["tools:1"]
    assert copied_images(text, {"TOOLS": "tools:2"}) == ["tools:2"]
