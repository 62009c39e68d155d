"""The offline stand-in bases, built for real from the machine's Debian mirror and then used.

The first run on a machine builds all three (minutes: debootstrap, then CPython compiled against
musl); later runs reuse the images, whose tags hash every input.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest

from cprofiler.images.bases.build import StandInStatus, build_stand_ins, stand_ins
from cprofiler.images.bases.mirror import find_mirror
from cprofiler.images.bases.probing import run_in_image
from cprofiler.labels import LABEL, LABEL_DETAIL, LABEL_RECIPE

pytestmark = [pytest.mark.engine, pytest.mark.slow_build]

#: Starts http.server on a thread and fetches its root page over loopback inside the container,
#: the way the sample Python service is served and probed.
SERVE_AND_FETCH = """
import http.server, threading, urllib.request
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
threading.Thread(target=server.serve_forever, daemon=True).start()
with urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/", timeout=10) as r:
    print("status", r.status)
server.shutdown()
"""

HELLO_GO = 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello from scratch") }\n'


@pytest.fixture(scope="module")
def built(engine) -> dict[str, StandInStatus]:
    """Every stand-in, built (or found built) once for this module."""
    lines: list[str] = []
    started = time.monotonic()
    images = build_stand_ins(engine, mirror=find_mirror(), progress=lambda name, line: lines.append(f"{name}: {line}"))
    took = time.monotonic() - started
    if any(": building " in line for line in lines):
        print(f"\nbuilt the stand-ins in {took:.0f} s")
    return {image.name: image for image in images}


def run(engine, image: str, command: list[str]) -> tuple[int | None, str]:
    return run_in_image(engine, image, command, timeout_s=120)


def test_every_stand_in_is_built_and_labelled(engine, built) -> None:
    assert set(built) == {"debian-python", "musl-python", "go-builder"}
    for image in built.values():
        assert image.built and image.detail and image.size_bytes, image
        labels = engine.image(image.tag).labels
        assert labels[LABEL] == "base"
        assert labels[LABEL_RECIPE] == image.name
        assert labels[LABEL_DETAIL] == image.detail


def test_a_second_build_reuses_every_image(engine, built) -> None:
    lines: list[str] = []
    started = time.monotonic()
    again = build_stand_ins(engine, mirror=find_mirror(), progress=lambda name, line: lines.append(line))
    assert time.monotonic() - started < 30
    assert lines == []
    assert [i.tag for i in again] == [built[i.name].tag for i in again]
    bound = stand_ins(engine, find_mirror())
    assert all(s.is_built() for s in bound.values())


def test_musl_python_is_python_on_musl_and_busybox_from_scratch(engine, built) -> None:
    image = built["musl-python"]
    assert image.detail.startswith("musl 1.2")
    assert "busybox 1." in image.detail and "CPython 3." in image.detail
    assert "ssl" in image.missing_modules  # no OpenSSL is built: `bases list` says so
    assert engine.image(image.tag).layers == 1  # FROM scratch plus one COPY of the whole root

    code, out = run(engine, image.tag, ["ldd", "/usr/local/bin/python3"])
    assert code == 0, out
    assert "ld-musl-x86_64.so.1" in out
    assert "libc.so.6" not in out and "x86_64-linux-gnu" not in out
    code, out = run(engine, image.tag, ["sh", "-c", "readlink /bin/sh; /lib/ld-musl-x86_64.so.1 2>&1 | head -n 1"])
    assert out.splitlines()[:2] == ["/bin/busybox", "musl libc (x86_64)"], out


def test_musl_python_imports_what_a_web_service_needs(engine, built) -> None:
    modules = "socket, select, asyncio, json, http.server, zlib, ctypes"
    code, out = run(engine, built["musl-python"].tag, ["python3", "-c", f"import {modules}; print('imported')"])
    assert (code, out.strip()) == (0, "imported")


@pytest.mark.parametrize("name", ["musl-python", "debian-python"])
def test_python_stand_ins_serve_http(engine, built, name: str) -> None:
    code, out = run(engine, built[name].tag, ["python3", "-c", SERVE_AND_FETCH])
    assert code == 0, out
    assert "status 200" in out


def test_debian_python_has_the_full_standard_library(engine, built) -> None:
    image = built["debian-python"]
    assert image.detail.startswith("Debian 12") and "glibc" in image.detail
    code, out = run(engine, image.tag, ["python3", "-c", "import resource, asyncio, sqlite3, ssl; print(resource.getpagesize())"])
    assert code == 0, out
    assert int(out.strip()) > 0
    # apt in the image points at the machine's mirror, not at anything baked into cprofiler.
    code, out = run(engine, image.tag, ["cat", "/etc/apt/sources.list.d/debian.sources"])
    assert find_mirror().archive in out


def test_go_builder_makes_a_static_binary_for_a_scratch_image(engine, built) -> None:
    image = built["go-builder"]
    # golang:1.22's version, so the go.mod a current `go mod init` writes (`go 1.22.0`) builds.
    assert "Go 1.22" in image.detail
    with tempfile.TemporaryDirectory(prefix="cprofiler-test-go-") as tmp:
        ctx = Path(tmp)
        (ctx / "main.go").write_text(HELLO_GO)
        (ctx / "go.mod").write_text("module example.com/hello\n\ngo 1.22.0\n")
        (ctx / "Dockerfile").write_text(
            f"FROM {image.tag} AS build\n"
            "WORKDIR /src\n"
            "COPY go.mod main.go ./\n"
            "RUN CGO_ENABLED=0 go build -o /hello .\n"
            "FROM scratch\n"
            "COPY --from=build /hello /hello\n"
            'ENTRYPOINT ["/hello"]\n'
        )
        tag = "cprofiler-test/go-hello:latest"
        image_id = engine.build(
            name="go-hello", context=ctx, dockerfile=ctx / "Dockerfile", tag=tag, buildargs={}, labels={LABEL: "test"}
        )
    try:
        info = engine.image(tag)
        assert info.layers == 1
        assert info.size_bytes < 10 * 2**20  # a static binary alone
        code, out = run(engine, tag, ["/hello"])
        assert (code, out.strip()) == (0, "hello from scratch")
    finally:
        engine.remove_image(image_id)


def test_a_build_that_fails_on_a_stand_in_names_its_toolchain(engine, built, tmp_path) -> None:
    # A user's own Dockerfile, FROM the real golang:1.22 (no registry here), with a go.mod that wants
    # a Go the stand-in does not have: the stand-in replaces the FROM, and the failure says which Go it had.
    from cprofiler.errors import BuildError
    from cprofiler.images.fallback import build_with_fallback
    from cprofiler.scenario.model import ImageSpec

    (tmp_path / "main.go").write_text(HELLO_GO)
    (tmp_path / "go.mod").write_text("module example.com/hello\n\ngo 1.99\n")
    (tmp_path / "Dockerfile").write_text(
        "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY go.mod main.go ./\nRUN go build -o /hello .\n"
    )
    spec = ImageSpec.model_validate(
        {"dockerfile": tmp_path / "Dockerfile", "fallback": {"golang:1.22": "go-builder"}, "ready": {"exit": True}}
    )
    with pytest.raises(BuildError) as failed:
        build_with_fallback(engine, "go-too-new", spec, invocation="test", offline=True)
    assert f"[built FROM stand-in go-builder ({built['go-builder'].detail}), which stands in for golang:*]" in str(failed.value)
    assert "go 1.99" in str(failed.value) or "1.99" in str(failed.value)  # the engine's own reason is kept
