"""The measurement settings a ``cprofiler measure`` flag sets: each one's option, without pydantic.

``cprofiler --help`` and a usage error build every command's options, and must not wait for the
results model (pydantic) to be built: ``cli_kit.setting_options`` makes ``measure``'s setting options
from :data:`SETTING_OPTIONS` here. :class:`~cprofiler.settings.RunSettings` annotates each of those
fields with the same :class:`Flag` (:func:`flag_of`), and ``tests/unit/test_setting_flags.py`` checks
that this table is what its fields say (names, order, value types, bounds): adding a setting is one
entry here and its field there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

BackendName = Literal["docker", "kubernetes"]

#: ``--help`` panels of the setting flags.
RUNS = "Runs"
KUBERNETES = "Kubernetes"


@dataclass(frozen=True)
class Flag:
    """How the command line sets one setting (in a ``RunSettings`` field's ``Annotated`` metadata)."""

    #: The option, ``--runs``.
    name: str
    #: Its line in ``cprofiler measure --help``.
    help: str
    #: The ``--help`` panel it is listed in.
    panel: str
    #: The scenario file's key for the same setting, when the file has one (the flag wins over it).
    scenario: str | None = None
    #: What ``--help`` shows for its value (``KEY=VALUE``); None: its type.
    metavar: str | None = None
    #: The smallest value the option takes, where the field's bound is exclusive (``gt=0``).
    min: float | None = None


@dataclass(frozen=True)
class SettingOption:
    """One generated ``measure`` option: the ``RunSettings`` field it sets, the type of its value
    (the field's type without ``None``: ``int``, ``float``, ``str``, ``dict[str, str]`` or a
    ``Literal``), its inclusive bounds (None: unbounded) and its Flag."""

    field: str
    kind: Any
    flag: Flag
    low: float | None = None
    high: float | None = None


#: The flagged settings in ``RunSettings``' field order (the order of ``measure --help``).
SETTING_OPTIONS: tuple[SettingOption, ...] = (
    SettingOption(
        "runs", int, Flag("--runs", "Measured runs per image (overrides the file).", RUNS, scenario="runs"), 1, 100_000
    ),
    SettingOption("warmup", int, Flag("--warmup", "Unmeasured runs per image first.", RUNS, scenario="warmup"), 0, 10_000),
    SettingOption(
        "settle_s", float, Flag("--settle", "Seconds after ready before sampling memory.", RUNS, scenario="settle"), 0, 3600
    ),
    SettingOption(
        "timeout_s",
        float,
        Flag("--timeout", "Seconds an image may take to become ready.", RUNS, scenario="timeout", min=0.001),
        0.001,
        24 * 3600,
    ),
    SettingOption(
        "keep_going", bool, Flag("--keep-going", "Run all of an image's runs even when its warmup or first run failed.", RUNS)
    ),
    SettingOption("seed", int, Flag("--seed", "Seed for --shuffle (same seed, same order).", RUNS)),
    SettingOption(
        "backend",
        BackendName,
        Flag(
            "--backend",
            "Where runs run: docker (the local engine) or kubernetes (one Pod per run; images must be on the node).",
            KUBERNETES,
        ),
    ),
    SettingOption("kube_context", str, Flag("--context", "Kubeconfig context (default: its current one).", KUBERNETES)),
    SettingOption(
        "kube_namespace", str, Flag("--namespace", "Namespace of the pods (default: the context's, else default).", KUBERNETES)
    ),
    SettingOption(
        "kube_node", str, Flag("--node", "Bind every pod to this node (spec.nodeName; no scheduler needed).", KUBERNETES)
    ),
    SettingOption(
        "kube_node_selector",
        dict[str, str],
        Flag("--node-selector", "Let the scheduler pick a node with this label (repeatable).", KUBERNETES, metavar="KEY=VALUE"),
    ),
    SettingOption(
        "kube_registry",
        str,
        Flag(
            "--registry",
            "Push the images there first; pods pull them by digest (--cold image: on every run, timed).",
            KUBERNETES,
            metavar="HOST[:PORT]/PREFIX",
        ),
    ),
)


def flag_of(field: str) -> Flag:
    """The Flag of the setting ``field`` in :data:`SETTING_OPTIONS` (KeyError: it has none)."""
    for option in SETTING_OPTIONS:
        if option.field == field:
            return option.flag
    raise KeyError(field)
