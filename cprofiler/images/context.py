"""A build context as the engine gets it: which entries of the folder are sent for a Dockerfile.

Image reuse hashes exactly these (``images.build``), so an image is rebuilt whenever what the engine
would get has changed, and not when a file ``.dockerignore`` leaves out changes.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cprofiler.engine import build_context_entries
from cprofiler.errors import UsageError

#: Largest ``.dockerignore`` read, in bytes.
MAX_DOCKERIGNORE_BYTES = 1 << 20
#: A Dockerfile outside the context travels under a random name that no file of the context has.
_OUTSIDE_DOCKERFILE = ".dockerfile.outside-the-context"


def context_files(context: Path, dockerfile: Path) -> list[str]:
    """The entries of ``context`` the engine is sent to build ``dockerfile``, sorted.

    Relative, ``/``-separated paths of files, links and folders, selected as the engine package's
    build sends them: what the context's ``.dockerignore`` leaves in, plus the Dockerfile and the
    ``.dockerignore`` themselves. UsageError when the context or its ``.dockerignore`` cannot be read.
    """
    root = os.path.abspath(context)
    try:
        exclude = _dockerignore(os.path.join(root, ".dockerignore"))
        rel = os.path.relpath(os.path.abspath(dockerfile), root)
        name = rel if not rel.startswith("..") else _OUTSIDE_DOCKERFILE
        return sorted(build_context_entries(root, exclude, name))
    except OSError as exc:
        raise UsageError(f"build context {context}: cannot be read ({exc.strerror or exc}: {exc.filename})") from exc


def _dockerignore(path: str) -> list[str]:
    """The patterns of the ``.dockerignore`` at ``path`` (none when it is absent), comments left out."""
    if not os.path.exists(path):
        return []
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_DOCKERIGNORE_BYTES:
        raise UsageError(f"{path}: expected a regular file of at most {MAX_DOCKERIGNORE_BYTES} bytes")
    with open(path, encoding="utf-8", errors="replace") as fh:  # the SDK's own reading
        lines = [line.strip() for line in fh.read(MAX_DOCKERIGNORE_BYTES).splitlines()]
    return [line for line in lines if line and not line.startswith("#")]
