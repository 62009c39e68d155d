"""go-builder: the stand-in for ``golang:*``, for a Go template's builder stage."""

from __future__ import annotations

from cprofiler.images.bases.dockerfile import DockerfileRecipe
from cprofiler.images.bases.registry import register


@register
class GoBuilder(DockerfileRecipe):
    """The debian-python stand-in plus Go 1.22 from the suite's backports, for a Go template's builder stage."""

    name = "go-builder"
    stands_in_for = "golang:*"
    covers_patterns = ("golang:*",)
    typical_build_s = 60.0
    requires = ("debian-python",)

    def probe_command(self) -> list[str]:
        return ["sh", "-c", "cat /etc/debian_version && go version"]

    def detail_from(self, output: str) -> tuple[str, dict[str, object]]:
        lines = [line.strip() for line in output.splitlines() if line.strip()]
        go = next((line.split() for line in lines if line.startswith("go version ")), None)
        if not lines or go is None or len(go) < 3:
            raise ValueError("no `go version` line")
        return f"Debian {lines[0]}, Go {go[2].removeprefix('go')}", {"missing": []}
