"""Newlines in results values never become live YAML in a manifest.

Through the command line, so that the test holds whatever shape ``cprofiler.manifests`` takes inside.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cprofiler.manifests.escape import comment, comment_text

ROOT = Path(__file__).resolve().parents[2]
EVIL = "x\nsecurityContext: {privileged: true}\n"
#: Every way YAML breaks a line: the two usual ones, NEL and the Unicode separators.
BREAKS = ["\n", "\r", "\r\n", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("brk", BREAKS)
def test_a_comment_stays_one_line_whatever_breaks_it_holds(brk):
    text = f"note: stopped{brk}securityContext: {{privileged: true}}"
    block = comment([text, "", "plain"])
    assert yaml.safe_load("a: 1\n" + block) == {"a": 1}
    assert block.count("\n") == 3 and block.startswith("# note: stopped\\")
    assert comment_text("tab\tand é stay") == "tab\tand é stay"
    assert comment_text("\x00\x1b\x7f\ufeff") == "\\x00\\x1b\\x7f\\ufeff"


def crafted(tmp_path: Path, name: str) -> Path:
    data = json.loads((ROOT / "docs" / "results" / "default.json").read_text())
    data["interrupted"] = "interrupted by SIGTERM" + EVIL
    image = data["images"][0]
    image["image"]["tag"] = "cprofiler/go-static:1" + EVIL.replace("x", "", 1)
    image["stand_in"] = {"for": "golang:1" + EVIL, "recipe": "go-builder\u2028privileged: true", "detail": "Go\x85" + EVIL}
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def privileged(node: object) -> bool:
    """Whether a parsed document holds ``privileged: true`` anywhere (a value quoting it is text)."""
    if isinstance(node, dict):
        return node.get("privileged") is True or any(privileged(v) for v in node.values())
    return isinstance(node, list) and any(privileged(v) for v in node)


@pytest.mark.parametrize("fmt", ["resources", "deployment", "kustomize", "helm"])
@pytest.mark.parametrize("name", ["r.json", "evil\nsecurityContext: {privileged: true}\n.json"])
def test_crafted_results_cannot_inject_yaml(tmp_path, fmt, name):
    path = crafted(tmp_path, name)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run(
        [sys.executable, "-m", "cprofiler", "k8s", str(path), "--format", fmt, "--explain"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert p.returncode == 0, p.stderr
    docs = list(yaml.safe_load_all(p.stdout))
    assert docs and not any(privileged(doc) for doc in docs), p.stdout
    # Whatever was quoted from the file is in the comments, escaped, on the lines it began on.
    assert "interrupted by SIGTERMx\\nsecurityContext:" in p.stdout
    for line in p.stdout.splitlines():
        assert not line.startswith("securityContext"), p.stdout
