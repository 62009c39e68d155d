"""The settings of one measurement: one immutable object, built once, written into the results.

:class:`RunSettings` is built from the scenario file and the command line's flags
(:meth:`RunSettings.build`: a flag wins over the file, the file over the default), serialised into
the JSON Lines header and the results (``settings``), and read back from there by ``--resume``
and by every reader, through the same class. Nothing changes it after it is built: the seed of
``--shuffle`` and the invocation id are drawn while building.

Adding a setting is one field here. A field annotated with a :class:`Flag` also gets a
``cprofiler measure`` option, generated from the field (its type, its bounds) and the Flag (its
name, help line and ``--help`` panel) by ``cprofiler.cli_kit.setting_options``; the flag wins over
the scenario file's ``scenario`` key, and ``--resume`` refuses it.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NotRequired, TypedDict, Unpack

from pydantic import BaseModel, ConfigDict, Field

from cprofiler.errors import UsageError
from cprofiler.scenario.model import LoadedScenario

Order = Literal["interleaved", "interleaved-shuffled"]
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


class Chosen(TypedDict):
    """What ``RunSettings.build`` takes besides the flags: the measurement's other choices, and how
    its probes reach the containers (facts of the engine, not choices)."""

    #: ``--shuffle``: shuffle the image order within each round.
    shuffle: bool
    #: ``--cold``: the cold level's name.
    cold: str
    #: ``--floor/--no-floor``.
    floor: bool
    #: How http and tcp probes reach the containers: netns, published-port or kubelet.
    probe_via: str
    #: Pause between two probe attempts, in milliseconds.
    probe_interval_ms: float
    #: The invocation id; absent or None: a new one is drawn.
    invocation: NotRequired[str | None]


def new_invocation_id() -> str:
    """A fresh id for one cprofiler process: it labels the containers that process makes."""
    return uuid.uuid4().hex[:12]


class RunSettings(BaseModel):
    """How a measurement runs. Times in seconds (``_s``) or milliseconds (``_ms``)."""

    # Extra keys are ignored on reading: a newer cprofiler's results stay readable by an older one.
    model_config = ConfigDict(frozen=True, extra="ignore", allow_inf_nan=False)

    #: The scenario file, as an absolute path.
    scenario_file: str
    #: sha256 of the scenario file's text when the measurement began (hex); ``--resume`` compares it.
    scenario_sha256: str | None = None
    #: Measured runs per image.
    # The bounds are the scenario file's: a header read back by --resume obeys them too.
    runs: Annotated[int, Flag("--runs", "Measured runs per image (overrides the file).", RUNS, scenario="runs")] = Field(
        ge=1, le=100_000
    )
    #: Unmeasured runs per image before the measured ones.
    warmup: Annotated[int, Flag("--warmup", "Unmeasured runs per image first.", RUNS, scenario="warmup")] = Field(ge=0, le=10_000)
    #: Seconds after ready before memory is sampled.
    settle_s: Annotated[float, Flag("--settle", "Seconds after ready before sampling memory.", RUNS, scenario="settle")] = Field(
        ge=0, le=3600
    )
    #: Seconds a container may take to become ready.
    timeout_s: Annotated[
        float, Flag("--timeout", "Seconds an image may take to become ready.", RUNS, scenario="timeout", min=0.001)
    ] = Field(gt=0, le=24 * 3600)
    #: Run every run of an image even after its warmup or first measured run failed; by default
    #: the rest are recorded as ``skipped`` (``cprofiler.measure.fail_fast``).
    keep_going: Annotated[
        bool, Flag("--keep-going", "Run all of an image's runs even when its warmup or first run failed.", RUNS)
    ] = False
    #: Run order within each round: images interleaved, or interleaved and shuffled (``--shuffle``).
    order: Order = "interleaved"
    #: Seed of the shuffled order (drawn when ``--shuffle`` has none, so the order can be replayed).
    seed: Annotated[int | None, Flag("--seed", "Seed for --shuffle (same seed, same order).", RUNS)] = None
    #: Cold level (``cprofiler.measure.cold``): warm, cache or image.
    cold: str | None = None
    #: Whether the runtime floor image ran each round.
    floor: bool | None = None
    #: Pause between two connection attempts of the http and tcp probes, in milliseconds (log and
    #: exit probes do not poll).
    probe_interval_ms: float | None = None
    #: How http and tcp probes reached the container: netns (inside its network namespace) or
    #: published-port.
    probe_via: str | None = None
    #: The invocation that started the measurement (a resumed one keeps it).
    invocation: str | None = None
    #: Where runs run: docker (the local engine) or kubernetes (one Pod per run).
    backend: Annotated[
        BackendName,
        Flag(
            "--backend",
            "Where runs run: docker (the local engine) or kubernetes (one Pod per run; images must be on the node).",
            KUBERNETES,
        ),
    ] = "docker"
    #: ``--backend kubernetes``: the kubeconfig context (null: its current context).
    kube_context: Annotated[str | None, Flag("--context", "Kubeconfig context (default: its current one).", KUBERNETES)] = None
    #: ``--backend kubernetes``: the namespace of the pods (null: the context's, else default).
    kube_namespace: Annotated[
        str | None, Flag("--namespace", "Namespace of the pods (default: the context's, else default).", KUBERNETES)
    ] = None
    #: ``--backend kubernetes``: the node every pod is bound to (``spec.nodeName``; no scheduler involved).
    kube_node: Annotated[
        str | None, Flag("--node", "Bind every pod to this node (spec.nodeName; no scheduler needed).", KUBERNETES)
    ] = None
    #: ``--backend kubernetes``: ``key=value`` labels the scheduler must match (``spec.nodeSelector``).
    kube_node_selector: Annotated[
        dict[str, str] | None,
        Flag("--node-selector", "Let the scheduler pick a node with this label (repeatable).", KUBERNETES, metavar="KEY=VALUE"),
    ] = None
    #: ``--backend kubernetes``: ``HOST[:PORT]/PREFIX`` the images are pushed to; pods pull them by
    #: digest from there (null: pods use the node's images, ``imagePullPolicy: Never``).
    kube_registry: Annotated[
        str | None,
        Flag(
            "--registry",
            "Push the images there first; pods pull them by digest (--cold image: on every run, timed).",
            KUBERNETES,
            metavar="HOST[:PORT]/PREFIX",
        ),
    ] = None

    @property
    def shuffle(self) -> bool:
        return self.order == "interleaved-shuffled"

    @classmethod
    def build(cls, loaded: LoadedScenario, flags: dict[str, Any], **chosen: Unpack[Chosen]) -> RunSettings:
        """Settings from the scenario file and ``flags`` (flag → value, None for not given)."""
        values: dict[str, Any] = {}
        for name, flag in flagged(cls).items():
            given = flags.get(flag.name)
            if given is not None:
                values[name] = given
            elif flag.scenario is not None:
                values[name] = getattr(loaded.scenario, flag.scenario)
        if chosen["shuffle"] and values.get("seed") is None:
            # Record the seed we drew, so a shuffled order can always be replayed with --seed.
            values["seed"] = int.from_bytes(os.urandom(4), "little")
        if values.get("backend", "docker") != "kubernetes":
            for name, flag in flagged(cls).items():
                if name.startswith("kube_") and values.get(name) is not None:
                    raise UsageError(f"{flag.name}: only with --backend kubernetes")
        return cls(
            scenario_file=str(loaded.path),
            scenario_sha256=loaded.sha256 or None,
            order="interleaved-shuffled" if chosen["shuffle"] else "interleaved",
            cold=chosen["cold"],
            floor=chosen["floor"],
            probe_via=chosen["probe_via"],
            probe_interval_ms=chosen["probe_interval_ms"],
            invocation=chosen.get("invocation") or new_invocation_id(),
            **values,
        )

    @staticmethod
    def refuse_flags(flags: dict[str, Any], why: str) -> None:
        """UsageError naming the first flag given (not None): ``why`` says what it cannot be combined with."""
        for flag, value in flags.items():
            if value is not None and value is not False and value != []:
                raise UsageError(f"{flag} cannot be combined with {why}")

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunSettings:
        return cls.model_validate(data)


def flagged(settings: type[BaseModel] = RunSettings) -> dict[str, Flag]:
    """Field name → its :class:`Flag`, for the fields of ``settings`` that a flag can set, in field order."""
    out = {}
    for name, info in settings.model_fields.items():
        for meta in info.metadata:
            if isinstance(meta, Flag):
                out[name] = meta
    return out
