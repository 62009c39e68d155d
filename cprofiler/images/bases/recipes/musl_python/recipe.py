"""musl-python: the stand-in for ``python:*-alpine``."""

from __future__ import annotations

from cprofiler.images.bases.dockerfile import DockerfileRecipe
from cprofiler.images.bases.probing import parse_probe, python_detail
from cprofiler.images.bases.registry import register


@register
class MuslPython(DockerfileRecipe):
    """FROM scratch: busybox, Debian's musl and CPython compiled against it from Debian's sources."""

    name = "musl-python"
    stands_in_for = "python:*-alpine"
    covers_patterns = ("python:*alpine*",)
    typical_build_s = 180.0
    requires = ("debian-python",)
    required_modules = ("socket", "select", "asyncio", "json", "http.server")

    def detail_from(self, output: str) -> tuple[str, dict[str, object]]:
        found = parse_probe(output)
        if found.get("libc") != "musl":
            raise ValueError(f"the image's python3 is not linked against musl: {found.get('libc')!r}")
        return f"musl {found['libc_version']}, busybox {found.get('busybox')}, {python_detail(found)}", found
