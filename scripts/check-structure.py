#!/usr/bin/env python3
"""The layout rules no linter checks: module and function length, import cycles, who imports what.

    python3 scripts/check-structure.py [ROOT]   exit 1 with one line per breach, else 0

ROOT is the directory holding the ``cprofiler`` package (default: this repository), so the checker
itself can be tested on a small tree of its own (tests/unit/test_check_structure.py); a ROOT
without ``cprofiler/`` exits 2.

Rules (the contributor guide, CONTRIBUTING.md, says why each exists):
- no module in ``cprofiler/`` over MAX_MODULE_LINES lines, no function over MAX_FUNCTION_LINES;
- no import cycle between cprofiler's modules, counting every import: module level, under
  ``if TYPE_CHECKING:`` and inside functions (a lazy import hides a cycle from Python, not from a
  reader who has to follow it);
- only the engine package imports ``docker`` and only the Kubernetes cluster module imports
  ``kubernetes``, so each outside system has one door.

It reads the source with :mod:`ast` and runs nothing, so it needs no engine and no dependency.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
#: Third-party package -> the only modules (dotted prefixes) that may import it.
DOORS = {
    "docker": ("cprofiler.engine",),
    "kubernetes": ("cprofiler.backends.kubernetes.cluster",),
}


def modules(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` under ``root/cprofiler``."""
    out = {}
    for path in sorted((root / "cprofiler").rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(tree: ast.AST, name: str, is_package: bool) -> Iterator[tuple[str, int]]:
    """(imported dotted name, line) for every import in ``tree``, relative ones resolved."""
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield f"{base}.{alias.name}", node.lineno
            yield base, node.lineno


def graph(root: Path) -> tuple[dict[str, set[str]], list[str]]:
    """The import graph between cprofiler's modules, and the breaches of DOORS."""
    mods = modules(root)
    edges: dict[str, set[str]] = {m: set() for m in mods}
    breaches = []
    for name, path in mods.items():
        tree = ast.parse(path.read_text(), str(path))
        for target, line in _imports(tree, name, path.name == "__init__.py"):
            top = target.split(".")[0]
            allowed = DOORS.get(top)
            if allowed is not None and not any(name == a or name.startswith(a + ".") for a in allowed):
                breaches.append(f"{path}:{line}: imports {top}; only {', '.join(allowed)} may")
            if target in mods and target != name:
                edges[name].add(target)
    return edges, breaches


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def lengths(root: Path) -> list[str]:
    """One line per module or function over its limit."""
    out = []
    for path in modules(root).values():
        text = path.read_text()
        n = len(text.splitlines())
        if n > MAX_MODULE_LINES:
            out.append(f"{path}: {n} lines; at most {MAX_MODULE_LINES} (split it by concern)")
        for node in ast.walk(ast.parse(text, str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > MAX_FUNCTION_LINES:
                    out.append(f"{path}:{node.lineno}: {node.name} is {size} lines; at most {MAX_FUNCTION_LINES}")
    return out


def breaches(root: Path) -> list[str]:
    """Every breach of the rules above, one line each; empty when the tree keeps them."""
    edges, doors = graph(root)
    out = lengths(root) + doors
    out += [f"import cycle: {' <-> '.join(group)}" for group in cycles(edges)]
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1:
        print(f"check-structure: {' '.join(args)}: expected at most one argument, the repository's root", file=sys.stderr)
        return 2
    root = Path(args[0]).resolve() if args else Path(__file__).resolve().parent.parent
    if not (root / "cprofiler").is_dir():
        print(f"check-structure: {root}: no cprofiler/ package here; expected the repository's root", file=sys.stderr)
        return 2
    found = breaches(root)
    for line in found:
        print(f"check-structure: {line}", file=sys.stderr)
    if not found:
        print("check-structure: modules, functions, import cycles and doors are within the rules")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
