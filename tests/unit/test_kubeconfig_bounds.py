"""The kubeconfig is read bounded: ``KUBECONFIG`` naming ``/dev/zero`` (alone or in a list) is one
line naming the file and the limit, exit 2, run under a time and memory limit."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("kubernetes")

from cprofiler.backends.kubernetes.cluster import MAX_KUBECONFIG_BYTES  # noqa: E402

#: Address space the command may use, in bytes: a read of /dev/zero stops there with a MemoryError.
_AS_LIMIT = 1 << 30


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (_AS_LIMIT, _AS_LIMIT))


@pytest.mark.parametrize("listed", [False, True])
def test_a_kubeconfig_linked_to_dev_zero_is_one_line_naming_it_and_the_limit(tmp_path, listed):
    zero = tmp_path / "config"
    zero.symlink_to("/dev/zero")
    value = f"{tmp_path / 'absent'}{os.pathsep}{zero}" if listed else str(zero)
    proc = subprocess.run(
        [sys.executable, "-m", "cprofiler", "clean", "--backend", "kubernetes"],
        env={**os.environ, "KUBECONFIG": value, "PYTHONPATH": os.getcwd()},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limited,
    )
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert f"the kubeconfig {zero}: is a character device" in proc.stderr
    assert f"at most {MAX_KUBECONFIG_BYTES} bytes" in proc.stderr


def test_a_regular_kubeconfig_is_read_as_before(tmp_path: Path):
    from cprofiler.backends.kubernetes.cluster import _check_kubeconfig

    (tmp_path / "config").write_text("apiVersion: v1\nkind: Config\n")
    _check_kubeconfig(f"{tmp_path / 'config'}{os.pathsep}{tmp_path / 'absent'}")
