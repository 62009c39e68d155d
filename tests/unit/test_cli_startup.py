"""``cprofiler --help`` and a usage error answer at once: importing the command line loads no
results model, no engine client, no comparison and no plotting, whatever a command needs later.

Run in a fresh interpreter, so that the modules other tests imported do not count.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: What a command imports when it runs, never before: pydantic and the models built on it, the
#: Docker and Kubernetes clients, the comparison, the plots and the renderers of tables and YAML.
HEAVY = (
    "pydantic",
    "cprofiler.settings",
    "cprofiler.results.model",
    "cprofiler.scenario.model",
    "cprofiler.compare.verdict",
    "cprofiler.report.table",
    "cprofiler.manifests.options",
    "cprofiler.recommend.criteria",
    "cprofiler.engine",
    "docker",
    "kubernetes",
    "matplotlib",
    "yaml",
    "tabulate",
)


def modules_after(code: str) -> set[str]:
    """The modules loaded once ``code`` has run in a new interpreter on this tree's cprofiler."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sorted(sys.modules)), file=sys.__stdout__)"],
        env=env,
        cwd=ROOT,  # ``python -c`` puts the working directory first on sys.path
        capture_output=True,
        text=True,
        check=True,
    )
    return set(out.stdout.split())


def loaded(modules: set[str], name: str) -> bool:
    return name in modules or any(m.startswith(name + ".") for m in modules)


def test_importing_the_command_line_loads_nothing_heavy():
    modules = modules_after("import cprofiler.cli")
    assert [name for name in HEAVY if loaded(modules, name)] == []


@pytest.mark.parametrize("args", [["--help"], ["measure", "--help"], ["k8s", "--help"], ["measure"]])
def test_help_and_a_usage_error_load_no_cprofiler_model(args):
    # Typer itself may load pydantic to parse a command's options; cprofiler's models stay out.
    code = (
        f"import io, sys\nsys.argv = ['cprofiler', *{args!r}]\nsys.stdout = sys.stderr = io.StringIO()\n"
        "import cprofiler.cli\ntry:\n    cprofiler.cli.main()\nexcept SystemExit:\n    pass"
    )
    modules = modules_after(code)
    assert [name for name in HEAVY if name.startswith("cprofiler.") and loaded(modules, name)] == []
