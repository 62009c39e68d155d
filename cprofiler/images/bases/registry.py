"""What a stand-in recipe is, what its build gets, and the registry of recipes.

A recipe is a class in a ``recipe.py`` beside the files it builds from (``recipes/musl_python/``
holds its Dockerfile too), registered on import with ``@register``. This module imports no recipe,
since every recipe imports it: the shipped ones are imported by ``catalog``, which is where every
user of the whole list asks.
"""

from __future__ import annotations

import fnmatch
import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, TypeVar

from cprofiler.engine import Engine
from cprofiler.images.bases.mirror import Mirror
from cprofiler.plugins import Registry

#: Folder of the recipes: one package each, with the files its image is built from.
RECIPES_DIR = Path(__file__).parent / "recipes"
#: Run by a stand-in's own python3 to learn its versions and missing modules; an input of every recipe.
PROBE = RECIPES_DIR / "probe.py"
#: The Debian release every recipe builds from.
SUITE = "bookworm"
#: The modules in a recipe's folder that define the recipe: its code, not its image's files.
_RECIPE_MODULES = frozenset({"__init__.py", "recipe.py"})

#: Called with (recipe name, one line of progress: a phase or a line of the build's log); recipes
#: that build side by side call it from their own threads.
Progress = Callable[[str, str], None]


@dataclass
class BuildJob:
    """What a recipe's ``make`` gets: where to put the image and how to report."""

    engine: Engine
    mirror: Mirror
    tag: str
    #: Tags of the recipes this one builds FROM, by name.
    dependency_tags: dict[str, str]
    progress: Progress
    #: Labels the image must carry (owner, recipe, what it stands in for, inputs hash).
    labels: dict[str, str] = field(default_factory=dict)

    def say(self, name: str, line: str) -> None:
        self.progress(name, line)


class Recipe(ABC):
    """One stand-in: what it replaces, which files make it, and how they become an image."""

    #: Recipe name, as users see it: the value scenarios use in ``fallback`` and the image's name.
    name: ClassVar[str]
    #: The real images it stands in for, as a user would write them (``python:*-alpine``).
    stands_in_for: ClassVar[str]
    #: Image references it can stand in for, as shell patterns (``python:*alpine*``): what
    #: ``catalog.suggest`` proposes when such a base cannot be pulled.
    covers_patterns: ClassVar[tuple[str, ...]] = ()
    #: Seconds a build of it usually takes on this project's 2-core machine, beside the other
    #: recipes of its wave (``docs/bases.md``): the estimate its progress line shows.
    typical_build_s: ClassVar[float] = 120.0
    #: Recipes whose images this one builds FROM (built first).
    requires: ClassVar[tuple[str, ...]] = ()
    #: Modules the image's python3 must import, or the build fails.
    required_modules: ClassVar[tuple[str, ...]] = ()

    def covers(self, ref: str) -> str | None:
        """The first pattern by which this recipe stands in for the image ``ref`` (its last path part:
        a registry and a namespace aside), or None; it only proposes a ``fallback`` entry, which the user writes."""
        bare = ref.rsplit("/", 1)[-1]
        return next((p for p in self.covers_patterns if fnmatch.fnmatchcase(bare, p)), None)

    @property
    def directory(self) -> Path:
        """The recipe's folder: the one its module is in."""
        return Path(inspect.getfile(type(self))).parent

    def image_files(self) -> list[Path]:
        """The files of the recipe's folder its image is built from, in a stable order."""
        return sorted(
            p
            for p in self.directory.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.relative_to(self.directory).as_posix() not in _RECIPE_MODULES
        )

    def files(self) -> list[Path]:
        """Every file that goes into the image's inputs hash, in a stable order."""
        return [*self.image_files(), PROBE]

    def check(self) -> None:  # noqa: B027 - most recipes need nothing beyond the engine
        """Raise RequirementError for the first thing this machine lacks to build the recipe."""

    @abstractmethod
    def make(self, job: BuildJob) -> None:
        """Build the image as ``job.tag`` with ``job.labels``, probe it, and label it with what the probe learnt.

        The caller reads the finished image back from the engine (``StandIn.status``).
        """


#: Every recipe, by name; filled as the recipe modules are imported (``catalog`` imports them all).
RECIPES: Registry[Recipe] = Registry("stand-in recipe")

R = TypeVar("R", bound=type[Recipe])


def register(cls: R) -> R:
    """Class decorator: add one instance of the recipe to ``RECIPES`` under its ``name``."""
    RECIPES.add(cls.name, cls())
    return cls
