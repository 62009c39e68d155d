"""Every file cprofiler writes is as safe as ``-o``: the HTML report, each chart of ``plot`` and the
manifests of ``k8s --output-dir`` are refused (exit 2, one line naming the path and what is
expected) at a symlink, a named pipe or a device, and a symlinked output folder is refused too;
nothing is written through any of them. The CLI runs as its own process under a timeout, so a
command that opens a named pipe (and waits forever for a reader) fails the test instead of hanging.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cprofiler.results import writer
from tests.unit import factories

ROOT = Path(__file__).resolve().parents[2]
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (mknod)")
#: Far longer than any of these commands takes; a command that hangs on a named pipe never ends.
TIMEOUT_S = 120
REFUSED = "cprofiler replaces only regular files, so name another path"


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "cprofiler", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT_S
    )


def refused(p: subprocess.CompletedProcess[str], line: str) -> None:
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert p.stderr == f"cprofiler: {line}\n", p.stderr


@pytest.fixture
def results(tmp_path: Path) -> Path:
    m = factories.measurement(factories.image("web", factories.spread(100)), factories.image("api", factories.spread(150)))
    path = tmp_path / "r.json"
    path.write_text(json.dumps(writer.results_json(m)))
    return path


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    path = tmp_path / "victim"
    path.write_text("precious")
    return path


def plant(path: Path, kind: str, victim: Path) -> str:
    """Make ``path`` a ``kind`` (symlink to ``victim``, fifo, chardev: /dev/null's numbers); return
    how cprofiler names it."""
    if kind == "symlink":
        path.symlink_to(victim)
        return "a symbolic link"
    if kind == "fifo":
        os.mkfifo(path)
        return "a named pipe"
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    return "a character device"


def untouched(path: Path, kind: str, victim: Path) -> None:
    mode = os.lstat(path).st_mode
    expected = {"symlink": stat.S_ISLNK, "fifo": stat.S_ISFIFO, "chardev": stat.S_ISCHR}[kind]
    assert expected(mode) and victim.read_text() == "precious"


KINDS = ["symlink", "fifo", pytest.param("chardev", marks=ROOT_ONLY)]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("command", [("report", "--html"), ("plot", "-o")])
def test_the_html_report_is_never_written_through_a_planted_file(tmp_path, results, victim, kind, command):
    factories.require_matplotlib()
    target = tmp_path / "report.html"
    what = plant(target, kind, victim)
    refused(cli(tmp_path, command[0], str(results), command[1], str(target)), f"{command[1]} {target}: is {what}; {REFUSED}")
    untouched(target, kind, victim)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "report.html", "victim"]  # no temporary left


@pytest.mark.parametrize("kind", KINDS)
def test_a_chart_file_is_never_written_through_a_planted_file(tmp_path, results, victim, kind):
    factories.require_matplotlib()
    # One chart: -o names the file itself.
    one = tmp_path / "one.png"
    what = plant(one, kind, victim)
    refused(cli(tmp_path, "plot", str(results), "-o", str(one), "--chart", "memory"), f"-o {one}: is {what}; {REFUSED}")
    untouched(one, kind, victim)
    # Several charts: each x-<chart>.svg is checked, and none is written when one is refused.
    from cprofiler.plot.registry import ChartInput
    from cprofiler.plot.render import charts_for, require_matplotlib
    from cprofiler.results import runlog

    require_matplotlib()
    names = [c.name for c in charts_for(ChartInput.of(runlog.load(results)))]
    assert len(names) > 1
    planted = tmp_path / f"x-{names[-1]}.svg"
    plant(planted, kind, victim)
    refused(cli(tmp_path, "plot", str(results), "-o", str(tmp_path / "x.svg")), f"-o {planted}: is {what}; {REFUSED}")
    untouched(planted, kind, victim)
    assert not [p for p in tmp_path.glob("x-*") if p != planted]


@pytest.mark.parametrize("kind", KINDS)
def test_a_manifest_is_never_written_through_a_planted_file(tmp_path, results, victim, kind):
    out = tmp_path / "k8s"
    out.mkdir()
    target = out / "web.resources.yaml"
    what = plant(target, kind, victim)
    refused(cli(tmp_path, "k8s", str(results), "--output-dir", str(out)), f"--output-dir {target}: is {what}; {REFUSED}")
    untouched(target, kind, victim)


def test_a_symlinked_output_dir_is_refused_and_nothing_written_where_it_points(tmp_path, results):
    elsewhere = tmp_path / "etc"
    elsewhere.mkdir()
    link = tmp_path / "k8s"
    link.symlink_to(elsewhere)
    refused(
        cli(tmp_path, "k8s", str(results), "--output-dir", str(link)),
        f"--output-dir {link}: is a symbolic link; expected a directory (name the folder it points to, if that is meant)",
    )
    assert list(elsewhere.iterdir()) == [] and link.is_symlink()
    os.mkfifo(tmp_path / "pipe")
    refused(
        cli(tmp_path, "k8s", str(results), "--output-dir", str(tmp_path / "pipe")),
        f"--output-dir {tmp_path / 'pipe'}: is a named pipe; expected a directory",
    )
    # The folder it points to, named itself, is fine; a missing one is made.
    assert cli(tmp_path, "k8s", str(results), "--output-dir", str(elsewhere)).returncode == 0
    assert sorted(p.name for p in elsewhere.iterdir()) == ["api.resources.yaml", "web.resources.yaml"]
    assert cli(tmp_path, "k8s", str(results), "--output-dir", str(tmp_path / "new" / "k8s")).returncode == 0
    assert (tmp_path / "new" / "k8s" / "web.resources.yaml").is_file()


def test_the_one_writer_writes_bytes_and_text_and_keeps_the_old_file_on_refusal(tmp_path):
    from cprofiler.errors import UsageError
    from cprofiler.results import files

    files.write_replacing(tmp_path / "a.png", b"\x89PNG\r\n")
    files.write_replacing(tmp_path / "a.html", "<p>é</p>")
    assert (tmp_path / "a.png").read_bytes() == b"\x89PNG\r\n" and (tmp_path / "a.html").read_text("utf-8") == "<p>é</p>"
    with files.OutputDir(tmp_path / "out") as folder:
        assert folder.write("m.yaml", "kind: x\n") == tmp_path / "out" / "m.yaml"
        for bad in ("../escape.yaml", "sub/m.yaml", ".."):
            with pytest.raises(UsageError, match="is not a file name"):
                folder.write(bad, "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html", "a.png", "out"]
