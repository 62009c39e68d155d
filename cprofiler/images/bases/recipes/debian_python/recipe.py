"""debian-python: the stand-in for ``ubuntu + python3``, and the base the other recipes build FROM."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from cprofiler.errors import BuildError
from cprofiler.images.bases import checks
from cprofiler.images.bases.dockerfile import label_instruction
from cprofiler.images.bases.hostfs import remove_tree, tar_stream
from cprofiler.images.bases.mirror import ENV_MIRROR, write_apt_dir
from cprofiler.images.bases.probing import PROBE_TIMEOUT_S, parse_probe, probe_labels, python_detail
from cprofiler.images.bases.registry import PROBE, SUITE, BuildJob, Recipe, register


@register
class DebianPython(Recipe):
    """Minimal Debian with python3 and its full standard library, imported from a debootstrap tree."""

    name = "debian-python"
    stands_in_for = "ubuntu + python3"
    covers_patterns = ("ubuntu:*", "debian:*", "python:*")
    typical_build_s = 40.0
    required_modules = ("socket", "select", "asyncio", "json", "http.server", "resource")

    def check(self) -> None:
        checks.check_root(self.name)
        checks.check_tool("debootstrap", "debootstrap", self.name)
        checks.check_tool("chroot", "coreutils", self.name)
        checks.check_tool("tar", "tar", self.name)
        checks.check_free_space(Path(tempfile.gettempdir()), checks.MIN_FREE_TMP_BYTES, "the temporary directory")

    def make(self, job: BuildJob) -> None:
        tmp = Path(tempfile.mkdtemp(prefix="cprofiler-rootfs-"))
        try:
            rootfs, apt_dir = tmp / "rootfs", tmp / "apt"
            write_apt_dir(job.mirror, SUITE, apt_dir)
            job.say(self.name, f"debootstrap {SUITE} (minbase + python3)")
            script = self.directory / "rootfs.sh"
            _run_logged(
                job,
                self.name,
                ["sh", str(script), SUITE, job.mirror.archive, str(rootfs), str(apt_dir)],
                what=f"debootstrap of {SUITE} from {job.mirror.archive} (named by {job.mirror.origin}; "
                f"name another mirror with --mirror URL or ${ENV_MIRROR})",
            )
            job.say(self.name, "probing the root filesystem for its versions and modules")
            chroot = checks.which_sbin("chroot") or "chroot"
            probe = subprocess.run(  # noqa: S603 - fixed argv, the probe is our own file
                [chroot, str(rootfs), "python3", "-c", PROBE.read_text()],
                capture_output=True,
                text=True,
                timeout=PROBE_TIMEOUT_S,
                check=False,
            )
            try:
                found = parse_probe(probe.stdout)
            except ValueError as exc:
                raise BuildError(
                    f"stand-in {self.name!r}: python3 in the new root filesystem failed: {probe.stderr[-400:]}"
                ) from exc
            detail = f"Debian {found.get('debian')} ({found.get('libc')} {found.get('libc_version')}), {python_detail(found)}"
            labels = probe_labels(self, found, detail)
            job.say(self.name, "importing the root filesystem into the engine")
            changes = ['CMD ["python3"]', label_instruction({**job.labels, **labels}).strip()]
            with tar_stream(rootfs) as chunks:
                job.engine.import_image(chunks, tag=job.tag, changes=changes)
        finally:
            remove_tree(tmp)


def _run_logged(job: BuildJob, name: str, argv: list[str], *, what: str) -> None:
    """Run ``argv``, passing each output line to progress; raise BuildError with the tail on failure."""
    tail: list[str] = []
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace") as proc:  # noqa: S603
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip("\n")
            tail = [*tail[-19:], line]
            job.say(name, line)
        code = proc.wait()
    if code != 0:
        lines = "\n    ".join(tail)
        raise BuildError(f"stand-in {name!r}: {what} failed (exit {code}); last lines:\n    {lines}")
