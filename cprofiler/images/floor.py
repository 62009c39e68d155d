"""The runtime floor: the smallest container this engine can start, measured beside every image.

A cold start is the engine's work (create, mounts, namespaces, cgroups, runc) plus the app's. The
floor image holds nothing but two tiny static binaries, so its ``ready_ms`` is the engine's share
alone and ``app start = ready − floor median`` is the image's:

- ``/serve`` listens on ``FLOOR_PORT`` at once and sleeps: the floor of services (http, tcp and log
  probes), probed over tcp like them.
- ``/exit0`` exits with status 0 at once: the floor of batch jobs (exit probe). Its ready time also
  holds the engine's handling of the exit (task delete, clean-up, the wait reply), about 80 ms on a
  2-core cgroup v1 machine, which a service's ready time never contains; so a service is never
  compared with it.

The binaries are written here from bytes (an ELF header, one program header and a few instructions
of machine code), so the floor builds on any machine without a compiler or a registry.
"""

from __future__ import annotations

import struct
import tempfile
from collections.abc import Callable
from pathlib import Path

from cprofiler.engine import Engine
from cprofiler.errors import CprofilerError
from cprofiler.images.build import BuiltImage, build_image
from cprofiler.scenario.model import ImageSpec

#: Name of the floor in results (runs, the top-level ``floor`` entry, table rows). Scenario image
#: names cannot contain parentheses, so it never collides with one.
FLOOR_NAME = "(floor)"
#: Name the floor image is built under (its tag is ``cprofiler/floor:<input hash>``).
FLOOR_BUILD_NAME = "floor"
#: Port the serving floor listens on, inside its own network namespace.
FLOOR_PORT = 8080

_ELF_HEADER_SIZE = 64
_PROGRAM_HEADER_SIZE = 56
_CODE_OFFSET = _ELF_HEADER_SIZE + _PROGRAM_HEADER_SIZE
_LOAD_ADDRESS = 0x400000

#: Per engine architecture (Go's names, as the engine reports them): ELF e_machine and the
#: segment alignment (64 KiB on arm64 suits both 4 K and 64 K page kernels).
_MACHINES: dict[str, tuple[int, int]] = {"amd64": (62, 0x1000), "arm64": (183, 0x10000)}

#: exit_group(0). amd64: mov eax, 231; xor edi, edi; syscall.
#: arm64: mov x0, #0; mov x8, #94; svc #0.
_EXIT0 = {
    "amd64": bytes.fromhex("b8e700000031ff0f05"),
    "arm64": bytes.fromhex("000080d2c80b80d2010000d4"),
}

#: socket(AF_INET, SOCK_STREAM, 0); bind(fd, &addr, 16); listen(fd, 16); then sleep forever
#: (pause on amd64, ppoll with no fds on arm64); exit_group(1) if a call fails. ``addr`` is the
#: 16-byte sockaddr_in placed right after the code (rip-relative lea / adr find it).
#: amd64 (GNU as, intel syntax):
#:   push 41; pop rax; push 2; pop rdi; push 1; pop rsi; xor edx, edx; syscall; test eax, eax; js fail
#:   mov edi, eax; push 49; pop rax; lea rsi, [rip+addr]; push 16; pop rdx; syscall; test eax, eax; jnz fail
#:   push 50; pop rax; push 16; pop rsi; syscall; test eax, eax; jnz fail
#:   wait: push 34; pop rax; syscall; jmp wait
#:   fail: push 1; pop rdi; mov eax, 231; syscall
#: arm64:
#:   mov x8, #198; mov x0, #2; mov x1, #1; mov x2, #0; svc #0; tbnz x0, #63, fail
#:   mov x9, x0; mov x8, #200; adr x1, addr; mov x2, #16; svc #0; cbnz x0, fail
#:   mov x0, x9; mov x8, #201; mov x1, #16; svc #0; cbnz x0, fail
#:   wait: mov x0, #0; mov x1, #0; mov x2, #0; mov x3, #0; mov x8, #73; svc #0; b wait
#:   fail: mov x0, #1; mov x8, #94; svc #0
_SERVE = {
    "amd64": bytes.fromhex(
        "6a29586a025f6a015e31d20f0585c0782889c76a3158488d35260000006a105a0f0585c075136a32586a105e"
        "0f0585c075076a22580f05ebf96a015fb8e70000000f05"
    ),
    "arm64": bytes.fromhex(
        "c81880d2400080d2210080d2020080d2010000d46002f8b7e90300aa081980d261020010020280d2010000d4"
        "a00100b5e00309aa281980d2010280d2010000d4000100b5000080d2010080d2020080d2030080d2280980d2"
        "010000d4faffff17200080d2c80b80d2010000d4"
    ),
}


def arches() -> list[str]:
    """Engine architectures the floor binary can be written for."""
    return sorted(_MACHINES)


def static_elf(arch: str, code: bytes) -> bytes:
    """Return a static Linux ELF executable for ``arch`` whose entry point runs ``code``.

    One PT_LOAD segment maps the whole file (headers included) read+execute at 0x400000; the entry
    point is the first byte after the headers. ``code`` must be position-independent.
    Raises CprofilerError for an architecture it has no machine number for.
    """
    if arch not in _MACHINES:
        raise CprofilerError(
            f"the runtime floor has no binary for engine architecture {arch!r} (known: {', '.join(arches())}); use --no-floor"
        )
    machine, align = _MACHINES[arch]
    size = _CODE_OFFSET + len(code)
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)  # 64-bit, little-endian, version 1, SysV ABI
    header = ident + struct.pack(
        "<HHIQQQIHHHHHH",
        2,  # e_type: ET_EXEC
        machine,
        1,  # e_version
        _LOAD_ADDRESS + _CODE_OFFSET,  # e_entry
        _ELF_HEADER_SIZE,  # e_phoff
        0,  # e_shoff: no section headers
        0,  # e_flags
        _ELF_HEADER_SIZE,  # e_ehsize
        _PROGRAM_HEADER_SIZE,  # e_phentsize
        1,  # e_phnum
        0,  # e_shentsize
        0,  # e_shnum
        0,  # e_shstrndx
    )
    program = struct.pack(
        "<IIQQQQQQ",
        1,  # p_type: PT_LOAD
        5,  # p_flags: R + X
        0,  # p_offset
        _LOAD_ADDRESS,  # p_vaddr
        _LOAD_ADDRESS,  # p_paddr
        size,  # p_filesz
        size,  # p_memsz
        align,
    )
    return header + program + code


def exit0_elf(arch: str) -> bytes:
    """A static executable that exits with status 0 at once (about 130 bytes)."""
    return static_elf(arch, _EXIT0.get(arch, b""))


def serve_elf(arch: str, port: int = FLOOR_PORT) -> bytes:
    """A static executable that listens on TCP ``port`` (all addresses) at once and then sleeps."""
    sockaddr = struct.pack("<H", 2) + struct.pack(">H", port) + bytes(12)  # AF_INET, port, INADDR_ANY
    return static_elf(arch, _SERVE.get(arch, b"") + sockaddr)


def write_context(directory: Path, arch: str) -> Path:
    """Write the floor's build context (both binaries + Dockerfile) into ``directory``; return the Dockerfile."""
    for name, data in (("exit0", exit0_elf(arch)), ("serve", serve_elf(arch))):
        binary = directory / name
        binary.write_bytes(data)
        binary.chmod(0o755)
    dockerfile = directory / "Dockerfile"
    dockerfile.write_text('FROM scratch\nCOPY exit0 serve /\nCMD ["/exit0"]\n', encoding="utf-8")
    return dockerfile


def floor_mode(ready_kinds: list[str]) -> str:
    """``serve`` when any image is a service (http, tcp or log probe), else ``exit``."""
    return "serve" if any(kind != "exit" for kind in ready_kinds) else "exit"


def floor_spec(dockerfile: Path, mode: str) -> ImageSpec:
    """The floor as a scenario image in ``mode``: which binary runs and how its readiness is seen."""
    ready: dict[str, object]
    if mode == "serve":
        command, ready = ["/serve"], {"tcp": {"port": FLOOR_PORT}}
    else:
        command, ready = ["/exit0"], {"exit": True}
    return ImageSpec.model_validate({"dockerfile": dockerfile, "context": dockerfile.parent, "command": command, "ready": ready})


def build_floor(
    engine: Engine, mode: str, *, invocation: str, on_line: Callable[[str], None] | None = None
) -> tuple[ImageSpec, BuiltImage]:
    """Build (or reuse, by input hash) the floor image for the engine's architecture; its spec in ``mode``."""
    with tempfile.TemporaryDirectory(prefix="cprofiler-floor-") as tmp:
        spec = floor_spec(write_context(Path(tmp), engine.arch()), mode)
        built = build_image(engine, FLOOR_BUILD_NAME, spec, invocation=invocation, offline=True, on_line=on_line)
    return spec, built
