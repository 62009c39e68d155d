"""The inputs hash of a stand-in recipe, and the tag it gives the recipe's image.

A stand-in is tagged ``cprofiler-base/<name>:<first 16 hex digits>`` of a sha256 over what
changes what its image holds: the recipe's files, the mirror, the Debian suite and the tags of
the stand-ins it builds FROM. So it is built once per machine and mirror, and built again when
any of these changes (a parent's new tag changes its children's).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cprofiler.errors import BuildError
from cprofiler.images.bases.catalog import get_recipe, names
from cprofiler.images.bases.mirror import Mirror
from cprofiler.images.bases.registry import PROBE, SUITE, Recipe

#: Repository part of every stand-in's tag.
TAG_REPO = "cprofiler-base"
#: Bumped when the way recipes are built changes, so every stand-in is built anew.
RECIPE_FORMAT = "1"


def _hashed_name(recipe: Recipe, path: Path) -> str:
    """A file's name in the hash: ``<recipe name>/<path in its folder>``, or ``probe.py``.

    These are the files' paths under ``recipes/`` from before the recipe folders became Python
    packages (``musl_python/``, named ``musl-python/`` then); keeping them keeps every hash, so the
    stand-ins a machine built then are still found.
    """
    if path == PROBE:
        return PROBE.name
    return f"{recipe.name}/{path.relative_to(recipe.directory).as_posix()}"


def recipe_inputs_hash(recipe: Recipe, mirror: Mirror, dependency_tags: dict[str, str]) -> str:
    """sha256 over the recipe's files, the mirror, the suite and the tags of what it builds FROM."""
    h = hashlib.sha256()

    def put(key: str, value: bytes) -> None:
        h.update(f"{key}\0{len(value)}\0".encode())
        h.update(value)

    put("format", RECIPE_FORMAT.encode())
    put("name", recipe.name.encode())
    put("suite", SUITE.encode())
    put("mirror", mirror.fingerprint().encode())
    for path in recipe.files():
        put(f"file:{_hashed_name(recipe, path)}", path.read_bytes())
    for dep in sorted(dependency_tags):
        put(f"from:{dep}", dependency_tags[dep].encode())
    return h.hexdigest()


def stand_in_tags(mirror: Mirror) -> dict[str, tuple[str, str]]:
    """``name -> (tag, full inputs hash)`` for every recipe (a recipe's hash covers its parents' tags)."""
    done: dict[str, tuple[str, str]] = {}

    def visit(name: str, path: tuple[str, ...]) -> str:
        if name in done:
            return done[name][0]
        if name in path:
            raise BuildError(f"stand-in recipes build FROM each other in a circle: {' -> '.join((*path, name))}")
        recipe = get_recipe(name)
        deps = {d: visit(d, (*path, name)) for d in recipe.requires}
        digest = recipe_inputs_hash(recipe, mirror, deps)
        done[name] = (f"{TAG_REPO}/{name}:{digest[:16]}", digest)
        return done[name][0]

    for name in names():
        visit(name, ())
    return done
