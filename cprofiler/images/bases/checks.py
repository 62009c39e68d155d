"""What building the stand-in bases needs from this machine, checked before any work starts.

Each missing requirement is one error that says what is missing and how to get it, so a build does
not fail ten minutes in on something that could have been seen at once.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from cprofiler.errors import CprofilerError

#: Free space the debootstrap root filesystem needs in the temporary directory, in bytes.
MIN_FREE_TMP_BYTES = 1 << 30
#: Free space the engine needs for the stand-ins and their builder stages, in bytes (measured:
#: about 1.6 GB of layers while they build, 0.7 GB kept afterwards), with room to spare.
MIN_FREE_ENGINE_BYTES = 4 << 30


class RequirementError(CprofilerError):
    """This machine lacks something the stand-in bases need (root, a tool, disk space, a mirror)."""


def which_sbin(tool: str) -> str | None:
    """``shutil.which`` that also looks in the sbin directories, which a user's PATH may lack."""
    path = os.environ.get("PATH", os.defpath) + os.pathsep + "/usr/local/sbin:/usr/sbin:/sbin"
    return shutil.which(tool, path=path)


def check_root(recipe: str) -> None:
    if os.geteuid() != 0:
        raise RequirementError(
            f"building the {recipe} stand-in runs debootstrap, which needs root; run `cprofiler bases build` as root"
        )


def check_tool(tool: str, package: str, recipe: str) -> str:
    """Return the path of ``tool``; raise when it is not installed."""
    found = which_sbin(tool)
    if found is None:
        raise RequirementError(f"building the {recipe} stand-in needs {tool}; install it with `apt-get install {package}`")
    return found


def check_free_space(path: Path, need_bytes: int, what: str) -> None:
    """Raise unless the file system holding ``path`` has ``need_bytes`` free."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if free < need_bytes:
        raise RequirementError(
            f"{what} ({probe}) has {free / 2**30:.1f} GiB free; the stand-in bases need {need_bytes / 2**30:.0f} GiB: "
            "free some space (docker system prune removes unused images) or point TMPDIR elsewhere"
        )
