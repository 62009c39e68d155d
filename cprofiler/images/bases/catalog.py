"""The stand-in recipes cprofiler ships; importing this module registers every one of them.

``registry`` cannot import its recipes (each imports it), so the whole list is here: a new recipe
is a folder under ``recipes/`` with its ``recipe.py``, and one import line below.
"""

from __future__ import annotations

from cprofiler.images.bases.recipes.debian_python import recipe as _debian_python  # noqa: F401 - registers it
from cprofiler.images.bases.recipes.go_builder import recipe as _go_builder  # noqa: F401 - registers it
from cprofiler.images.bases.recipes.musl_python import recipe as _musl_python  # noqa: F401 - registers it
from cprofiler.images.bases.registry import RECIPES, Recipe


def names() -> list[str]:
    """Every recipe's name, sorted: the rows of ``cprofiler bases list`` and the default build."""
    return sorted(RECIPES)


def suggest(ref: str) -> str | None:
    """The recipe that stands in for the image ``ref`` (``python:3.12-alpine`` → musl-python), or None;
    of several, the one whose matching pattern is the most specific (the longest)."""
    found = [(RECIPES.get(name).covers(ref), name) for name in names()]
    best = max(found, key=lambda f: len(f[0] or ""), default=(None, ""))
    return best[1] if best[0] else None


def get_recipe(name: str) -> Recipe:
    """The recipe ``name``; UsageError naming every recipe when there is none of that name."""
    return RECIPES.get(name)
