"""The settings of one measurement: one immutable object, built once, written into the results.

:class:`RunSettings` is built from the scenario file and the command line's flags
(:meth:`RunSettings.build`: a flag wins over the file, the file over the default), serialised into
the JSON Lines header and the results (``settings``), and read back from there by ``--resume``
and by every reader, through the same class. Nothing changes it after it is built: the seed of
``--shuffle`` and the invocation id are drawn while building.

Adding a setting is one field here (with its ``flag`` and, if the scenario file has it, its
``scenario`` key in the field's metadata) and one option in ``cli.py``.
"""

from __future__ import annotations

import os
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cprofiler.errors import UsageError
from cprofiler.scenario.model import LoadedScenario

Order = Literal["interleaved", "interleaved-shuffled"]
Backend = Literal["docker", "kubernetes"]


def _flag(flag: str, scenario: str | None = None) -> dict[str, Any]:
    """Field metadata: the command-line flag that sets a setting, and its key in the scenario file."""
    return {"flag": flag, "scenario": scenario}


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
    runs: int = Field(ge=1, le=100_000, json_schema_extra=_flag("--runs", "runs"))
    #: Unmeasured runs per image before the measured ones.
    warmup: int = Field(ge=0, le=10_000, json_schema_extra=_flag("--warmup", "warmup"))
    #: Seconds after ready before memory is sampled.
    settle_s: float = Field(ge=0, le=3600, json_schema_extra=_flag("--settle", "settle"))
    #: Seconds a container may take to become ready.
    timeout_s: float = Field(gt=0, le=24 * 3600, json_schema_extra=_flag("--timeout", "timeout"))
    #: Run order within each round: images interleaved, or interleaved and shuffled (``--shuffle``).
    order: Order = "interleaved"
    #: Seed of the shuffled order (drawn when ``--shuffle`` has none, so the order can be replayed).
    seed: int | None = Field(default=None, json_schema_extra=_flag("--seed"))
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
    backend: Backend = Field(default="docker", json_schema_extra=_flag("--backend"))
    #: ``--backend kubernetes``: the kubeconfig context (null: its current context).
    kube_context: str | None = Field(default=None, json_schema_extra=_flag("--context"))
    #: ``--backend kubernetes``: the namespace of the pods (null: the context's, else default).
    kube_namespace: str | None = Field(default=None, json_schema_extra=_flag("--namespace"))
    #: ``--backend kubernetes``: the node every pod is bound to (``spec.nodeName``; no scheduler involved).
    kube_node: str | None = Field(default=None, json_schema_extra=_flag("--node"))
    #: ``--backend kubernetes``: ``key=value`` labels the scheduler must match (``spec.nodeSelector``).
    kube_node_selector: dict[str, str] | None = Field(default=None, json_schema_extra=_flag("--node-selector"))
    #: ``--backend kubernetes``: ``HOST[:PORT]/PREFIX`` the images are pushed to; pods pull them by
    #: digest from there (null: pods use the node's images, ``imagePullPolicy: Never``).
    kube_registry: str | None = Field(default=None, json_schema_extra=_flag("--registry"))

    @property
    def shuffle(self) -> bool:
        return self.order == "interleaved-shuffled"

    @classmethod
    def build(
        cls,
        loaded: LoadedScenario,
        flags: dict[str, Any],
        *,
        shuffle: bool,
        cold: str,
        floor: bool,
        probe_via: str,
        probe_interval_ms: float,
        invocation: str | None = None,
    ) -> RunSettings:
        """Settings from the scenario file and ``flags`` (flag → value, None for not given)."""
        values: dict[str, Any] = {}
        for name, extra in _flagged().items():
            given = flags.get(extra["flag"])
            if given is not None:
                values[name] = given
            elif extra["scenario"] is not None:
                values[name] = getattr(loaded.scenario, extra["scenario"])
        if shuffle and values.get("seed") is None:
            # Record the seed we drew, so a shuffled order can always be replayed with --seed.
            values["seed"] = int.from_bytes(os.urandom(4), "little")
        if values.get("backend", "docker") != "kubernetes":
            for name, extra in _flagged().items():
                if name.startswith("kube_") and values.get(name) is not None:
                    raise UsageError(f"{extra['flag']}: only with --backend kubernetes")
        return cls(
            scenario_file=str(loaded.path),
            scenario_sha256=loaded.sha256 or None,
            order="interleaved-shuffled" if shuffle else "interleaved",
            cold=cold,
            floor=floor,
            probe_via=probe_via,
            probe_interval_ms=probe_interval_ms,
            invocation=invocation or new_invocation_id(),
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


def _flagged() -> dict[str, dict[str, Any]]:
    """Setting name → its field metadata, for the settings that a flag can set."""
    out = {}
    for name, info in RunSettings.model_fields.items():
        extra = info.json_schema_extra
        if isinstance(extra, dict) and "flag" in extra:
            out[name] = extra
    return out
