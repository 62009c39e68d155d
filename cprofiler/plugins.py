"""The one registry helper behind every plug-in family.

Probes, cold levels, report formats, Kubernetes formats, stand-in recipes and load generators are
each a :class:`Registry` filled by a decorator in the plug-in's own module::

    FORMATS: Registry[FormatFunc] = Registry("report format", flag="--format")

    @FORMATS.register("csv")
    def render_csv(results: Measurement) -> str: ...

A registry lives in a module of its own (never in the ``__init__`` that its plug-ins import), so
importing a plug-in never runs half of a package. What a registry holds is the family's choice: a
function, an instance or a class; the registry only names it, keeps the order of registration and
turns an unknown name into a one-line error naming the flag and the choices.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from cprofiler.errors import UsageError

T = TypeVar("T")


class Registry(Generic[T]):
    """Names → plug-ins of one family, in registration order."""

    def __init__(self, kind: str, *, flag: str | None = None) -> None:
        #: What one entry is, for messages: ``report format``.
        self.kind = kind
        #: The flag or key that chooses an entry (``--format``), for messages.
        self.flag = flag
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: add the decorated object under ``name``; a second entry of one name is a bug."""

        def deco(item: T) -> T:
            self.add(name, item)
            return item

        return deco

    def add(self, name: str, item: T) -> None:
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._items[name] = item

    def remove(self, name: str) -> T:
        """Take the entry ``name`` out again and return it (a test that registered a plug-in undoes it)."""
        return self._items.pop(name)

    def get(self, name: str) -> T:
        """The entry ``name``; UsageError (exit 2) naming the flag and the choices when unknown."""
        try:
            return self._items[name]
        except KeyError:
            where = f"{self.flag} {name}" if self.flag else repr(name)
            raise UsageError(f"{where}: unknown {self.kind}; expected one of: {', '.join(self._items)}") from None

    def __getitem__(self, name: str) -> T:
        return self._items[name]

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def names(self) -> list[str]:
        """Entry names in registration order."""
        return list(self._items)

    def items(self) -> list[tuple[str, T]]:
        return list(self._items.items())
