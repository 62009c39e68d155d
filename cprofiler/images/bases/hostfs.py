"""The host's side of a root filesystem made by debootstrap: streaming it out, and removing it safely."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from cprofiler.errors import BuildError


class tar_stream:
    """``with tar_stream(root) as chunks``: a tar of ``root`` (device nodes left out), read as made."""

    def __init__(self, root: Path) -> None:
        # The engine makes /dev itself; the numeric owners keep the rootfs's own root user.
        self.proc = subprocess.Popen(  # noqa: S603
            ["tar", "-C", str(root), "--numeric-owner", "--exclude=./dev/*", "-cf", "-", "."],  # noqa: S607
            stdout=subprocess.PIPE,
        )

    def __enter__(self) -> Iterator[bytes]:
        def chunks() -> Iterator[bytes]:
            assert self.proc.stdout is not None
            while block := self.proc.stdout.read(1 << 20):
                yield block

        return chunks()

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        code = self.proc.wait()
        if code != 0 and exc[0] is None:
            raise BuildError(f"tar of the root filesystem failed (exit {code})")


def _mounts_under(path: Path) -> list[str]:
    """Mount points at or below ``path`` (debootstrap mounts /proc and /sys in its target)."""
    prefix = str(path.resolve()).rstrip("/") + "/"
    found = []
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                point = line.split()[1].replace("\\040", " ")
                if point.startswith(prefix):
                    found.append(point)
    except OSError:
        pass  # no /proc: nothing can be mounted we could learn of
    return sorted(found, key=len, reverse=True)


def remove_tree(path: Path) -> None:
    """Remove the temporary root filesystem, never following a mount out of it.

    A failed debootstrap can leave /proc, /sys or a bind mount of the host's /dev inside the
    target; removing through those would delete the host's files, so they are unmounted first and
    the tree is kept (and named) if any stays mounted.
    """
    for point in _mounts_under(path):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)  # noqa: S603, S607
    if _mounts_under(path):
        raise BuildError(f"{path} still has file systems mounted in it; unmount them and remove it by hand")
    shutil.rmtree(path, ignore_errors=True)
