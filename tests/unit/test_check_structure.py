"""scripts/check-structure.py on small trees of its own: the import cycles Python does not see
(one side imported only for type checking, or only inside a function) are still cycles to it."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check-structure.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_structure", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check = _load()


def tree(root: Path, files: dict[str, str]) -> Path:
    """A ``cprofiler`` package under ``root`` with ``files`` (path inside it -> source)."""
    for name, text in {"__init__.py": "", **files}.items():
        path = root / "cprofiler" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


TYPE_ONLY = {
    "a.py": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from cprofiler.b import B\n\n\ndef use(b: 'B'): ...\n",
    "b.py": "from cprofiler.a import use\n\n\nclass B: ...\n",
}
# Both directions hidden from import time: one inside a function, relative; one absolute, lazy too.
LAZY = {
    "pkg/__init__.py": "",
    "pkg/c.py": "def f():\n    from .d import g\n\n    return g\n",
    "pkg/d.py": "def g():\n    import cprofiler.pkg.c\n\n    return cprofiler.pkg.c\n",
}
NO_CYCLE = {
    "a.py": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from cprofiler.b import B\n",
    "b.py": "class B: ...\n",
}


def test_a_type_only_import_cycle_is_a_breach(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tree(tmp_path, TYPE_ONLY)
    assert check.breaches(root) == ["import cycle: cprofiler.a <-> cprofiler.b"]
    assert check.main([str(root)]) == 1
    assert "check-structure: import cycle: cprofiler.a <-> cprofiler.b" in capsys.readouterr().err


def test_a_lazy_import_cycle_is_a_breach(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tree(tmp_path, LAZY)
    assert check.breaches(root) == ["import cycle: cprofiler.pkg.c <-> cprofiler.pkg.d"]
    assert check.main([str(root)]) == 1
    assert "import cycle: cprofiler.pkg.c <-> cprofiler.pkg.d" in capsys.readouterr().err


def test_a_tree_without_cycles_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check.main([str(tree(tmp_path, NO_CYCLE))]) == 0
    assert "within the rules" in capsys.readouterr().out


def test_a_root_without_the_package_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check.main([str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"check-structure: {tmp_path.resolve()}: no cprofiler/ package here; expected the repository's root"
