"""How the command line's options are made: choices, ``KEY=VALUE`` lists, help without
``<bool>`` beside flags, and the setting options generated from ``RunSettings``' declaration.

The command line has one source per fact, and imports no plug-in and no pydantic model before a
command runs (``--help`` and a usage error stay fast). A setting's option is generated
(:func:`setting_options`) from its entry in :data:`~cprofiler.setting_flags.SETTING_OPTIONS`: the
field's value type and bounds, and its :class:`~cprofiler.setting_flags.Flag` (name, help line,
panel), which is the ``RunSettings`` field's own Flag; a test checks the entry against the field
(:func:`options_of`). A choice's values are its registry's names, copied in
:mod:`cprofiler.cli_choices` and checked against the registry by a test.
"""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

import typer
import typer.core

from cprofiler.setting_flags import SETTING_OPTIONS, Flag, SettingOption

if TYPE_CHECKING:  # --help needs no pydantic: the settings' options come from SETTING_OPTIONS
    from pydantic import BaseModel
    from pydantic.fields import FieldInfo


def choice_option(*decls: str, names: Sequence[str], help: str, rich_help_panel: str | None = None) -> Any:
    """An option taking one of ``names``: shown as ``<a|b>`` in ``--help``, completed by the shell,
    any other value refused as Typer refuses a choice. Its value is the name, a ``str``."""
    choices = tuple(names)

    def parse(value: str) -> str:
        if value not in choices:
            raise ValueError(f"{value!r} is not one of {', '.join(map(repr, choices))}.")
        return value

    return typer.Option(
        *decls,
        parser=parse,
        metavar="<" + "|".join(choices) + ">",
        autocompletion=lambda: list(choices),
        help=help,
        rich_help_panel=rich_help_panel,
    )


def key_values(flag: str, items: list[str] | None) -> dict[str, str] | None:
    """``["k=v", …]`` → ``{"k": "v"}``; a BadParameter naming ``flag`` for an item without ``=``."""
    if not items:
        return None
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint=flag)
        out[key] = value
    return out


def epilog(*examples: str, exits: str) -> str:
    """A command's examples and its exit statuses (the same words as the README's *Exit status*)."""
    return "Examples:\n\n" + "\n\n".join(f"  {e}" for e in examples) + f"\n\nExit status: {exits}"


def _hide_bool_types(params: Sequence[object]) -> None:
    # A flag takes no value, so ``--help`` has no value type to show beside it; Typer would show
    # ``<bool>``. An empty metavar leaves that column blank (and changes nothing else).
    for param in params:
        if getattr(param, "is_bool_flag", False) and getattr(param, "metavar", "") is None:
            param.metavar = ""  # type: ignore[attr-defined]


class Command(typer.core.TyperCommand):
    """A command whose ``--help`` shows no ``<bool>`` beside its flags."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _hide_bool_types(self.get_params(ctx))
        super().format_help(ctx, formatter)


class Group(typer.core.TyperGroup):
    """A group whose ``--help`` shows no ``<bool>`` beside its flags (``--verbose``, ``--help``)."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _hide_bool_types(self.get_params(ctx))
        super().format_help(ctx, formatter)


# --- setting options --------------------------------------------------------------------------


def _without_none(annotation: Any) -> Any:
    """``int | None`` → ``int``; anything else unchanged."""
    if get_origin(annotation) in (Union, types.UnionType):
        kept = [a for a in get_args(annotation) if a is not type(None)]
        if len(kept) == 1:
            return kept[0]
    return annotation


def _bounds(name: str, info: FieldInfo, flag: Flag) -> tuple[float | None, float | None]:
    """``(min, max)`` of the option: the field's inclusive bounds, ``flag.min`` over an exclusive one."""
    low: float | None = None
    high: float | None = None
    for meta in info.metadata:
        low = low if getattr(meta, "ge", None) is None else meta.ge
        high = high if getattr(meta, "le", None) is None else meta.le
        if (getattr(meta, "gt", None) is not None and flag.min is None) or getattr(meta, "lt", None) is not None:
            raise TypeError(f"{name}: an exclusive bound has no option equivalent; give its Flag a min")
    return (flag.min if flag.min is not None else low), high


def options_of(settings: type[BaseModel]) -> tuple[SettingOption, ...]:
    """The setting options of a settings model, from its fields that have a Flag, in field order:
    the value type is the field's without None, the bounds are its inclusive ones (a Flag's ``min``
    over an exclusive one). For ``RunSettings`` this is :data:`~cprofiler.setting_flags.SETTING_OPTIONS`."""
    from cprofiler.settings import flagged

    out = []
    for name, flag in flagged(settings).items():
        info = settings.model_fields[name]
        kind = _without_none(info.annotation)
        low, high = _bounds(name, info, flag) if kind in (int, float) else (None, None)
        out.append(SettingOption(name, kind, flag, low, high))
    return tuple(out)


def _option(option: SettingOption) -> Any:
    """The ``Annotated`` option type of one setting."""
    kind, flag = option.kind, option.flag
    shown: dict[str, Any] = {"help": flag.help, "rich_help_panel": flag.panel}
    if get_origin(kind) is Literal:
        return Annotated[str | None, choice_option(flag.name, names=[str(v) for v in get_args(kind)], **shown)]
    if get_origin(kind) is dict:
        return Annotated[list[str] | None, typer.Option(flag.name, metavar=flag.metavar or "KEY=VALUE", **shown)]
    if kind is bool:  # a flag: given or not (None), never ``--no-…``
        return Annotated[bool | None, typer.Option(flag.name, **shown)]
    if kind in (int, float):
        return Annotated[kind | None, typer.Option(flag.name, metavar=flag.metavar, min=option.low, max=option.high, **shown)]
    if kind is str:
        return Annotated[str | None, typer.Option(flag.name, metavar=flag.metavar, **shown)]
    raise TypeError(f"{option.field}: a Flag on a field of type {kind}; the command line has no option of that type")


def _panel(param: inspect.Parameter) -> str | None:
    """The ``--help`` panel of a command's own option (its OptionInfo's ``rich_help_panel``)."""
    for meta in getattr(param.annotation, "__metadata__", ()):
        panel = getattr(meta, "rich_help_panel", None)
        if panel is not None:
            return str(panel)
    return None


def _merged(own: list[inspect.Parameter], generated: list[tuple[str, inspect.Parameter]]) -> list[inspect.Parameter]:
    """The command's parameters with each generated option (``(panel, parameter)``, in field order)
    before the command's first own option of the same panel, or last when it has none there.

    ``--help`` lists panels in the order they first appear and options in parameter order, so the
    generated ones join their panel where the command's own options of that panel begin.
    """
    out = list(own)
    for panel, param in generated:
        anchor = next((p for p in own if _panel(p) == panel), None)
        out.insert(out.index(anchor) if anchor is not None else len(out), param)
    # Keyword-only: Typer passes every value by name, and options without defaults may then follow
    # options with defaults.
    return [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in out]


def setting_options(settings: type[BaseModel] | None = None) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a Typer command one option per field of ``settings`` that has a Flag, generated from
    the field (type, bounds) and the Flag (name, help, panel); by default ``RunSettings``', from
    :data:`~cprofiler.setting_flags.SETTING_OPTIONS` (no pydantic to import). The command receives
    their values as its keyword argument ``setting_flags``: flag → value, None when not given
    (``{"--runs": 5, "--seed": None, "--node-selector": {"k": "v"}, …}``), as ``RunSettings.build``
    and ``RunSettings.refuse_flags`` take them."""
    options = {o.field: o for o in (SETTING_OPTIONS if settings is None else options_of(settings))}
    generated = [
        (o.flag.panel, inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=_option(o)))
        for name, o in options.items()
    ]

    def value(name: str, given: Any) -> Any:
        option = options[name]
        return key_values(option.flag.name, given) if get_origin(option.kind) is dict else given

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        own = inspect.signature(command, eval_str=True)
        clash = [name for name in options if name in own.parameters]
        if clash:
            raise TypeError(f"{command.__name__}: parameter {clash[0]!r} is also a setting's name")

        @functools.wraps(command)
        def with_settings(**given: Any) -> None:
            flags = {options[name].flag.name: value(name, given.pop(name)) for name in options}
            command(**given, setting_flags=flags)

        params = _merged([p for p in own.parameters.values() if p.name != "setting_flags"], generated)
        # Typer reads a command's options from its signature: this one, not the function's own.
        with_settings.__dict__["__signature__"] = own.replace(parameters=params)
        with_settings.__annotations__ = {p.name: p.annotation for p in params} | {"return": None}
        return with_settings

    return decorate
