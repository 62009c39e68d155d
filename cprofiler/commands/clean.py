"""``cprofiler clean``: remove containers (or, ``--backend kubernetes``, pods) that dead cprofiler
invocations left behind, and with ``--images`` the images cprofiler built (stand-in bases only with
``--bases``)."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

from cprofiler import engine as engine_mod
from cprofiler import reaper
from cprofiler.engine import Engine, LabelledImage
from cprofiler.errors import CprofilerError, EngineError, UsageError
from cprofiler.labels import LABEL, LABEL_HOST, LABEL_PID, LABEL_PIDNS, STAND_IN_OWNER
from cprofiler.report.rows import human_bytes


def clean_command(everything: bool, images: bool = False, bases: bool = False, dry_run: bool = False) -> int:
    if (bases or dry_run) and not images:
        raise UsageError(f"{'--bases' if bases else '--dry-run'}: only with --images")
    engine = engine_mod.connect()
    if not dry_run:
        removed = reaper.reap(engine, everything=everything)
        if removed:
            print(f"removed {len(removed)} containers: {' '.join(removed)}")
        elif not images:
            print("nothing to clean: no container of a dead cprofiler invocation")
    if not images:
        return 0
    chosen, kept_bases = images_to_clean(engine, bases=bases)
    return clean_images(engine, chosen, kept_bases, dry_run=dry_run)


def clean_images(engine: Engine, chosen: list[LabelledImage], kept_bases: list[LabelledImage], *, dry_run: bool) -> int:
    """Remove ``chosen`` (or, ``dry_run``, say which would go), keeping each image a container
    still uses, above all a live invocation's (another measurement on this engine), and saying
    why; ``kept_bases`` are the stand-in bases left out (without ``--bases``). Return 0."""
    owners = Owners.of(engine)
    if dry_run:
        kept = [(image, why) for image in chosen if (why := owners.why_kept(engine, image)) is not None]
        keep = {image.id for image, _ in kept}
        print(_listing([i for i in chosen if i.id not in keep], kept, kept_bases))
        return 0
    outcome = remove_images(engine, chosen, owners)
    for image, size in outcome.removed:
        print(f"removed {name_of(image)} ({human_bytes(size)})")
    for image, why in outcome.kept:
        print(f"kept {name_of(image)}: {why}")
    total = sum(size for _, size in outcome.removed)
    print(f"removed {len(outcome.removed)} images ({human_bytes(total)} at most: layers shared with kept images stay)")
    if kept_bases:
        print(_bases_hint(kept_bases))
    if outcome.failed:
        raise CprofilerError(f"{len(outcome.failed)} images could not be removed: {'; '.join(outcome.failed)}")
    return 0


def clean_pods_command(everything: bool, context: str | None, namespace: str | None) -> int:
    from cprofiler.backends.kubernetes import cluster as cluster_mod
    from cprofiler.backends.kubernetes.pods import reap_pods

    cluster = cluster_mod.connect(context, namespace)
    removed = reap_pods(cluster, everything=everything)
    if removed:
        print(f"deleted {len(removed)} pods in namespace {cluster.namespace}: {' '.join(removed)}")
    else:
        print(f"nothing to clean: no pod of a dead cprofiler invocation in namespace {cluster.namespace}")
    return 0


def name_of(image: LabelledImage) -> str:
    """Its tags (the first three, then how many more), or its short id when it has none."""
    if not image.tags:
        return image.id[:19]
    more = f" and {len(image.tags) - 3} more tags" if len(image.tags) > 3 else ""
    return ", ".join(image.tags[:3]) + more


def images_to_clean(engine: Engine, *, bases: bool) -> tuple[list[LabelledImage], list[LabelledImage]]:
    """``(to remove, stand-in bases kept)``: every labelled image, bases only when ``bases``."""
    found = engine.labelled_images()
    if bases:
        return found, []
    return [i for i in found if i.owner != STAND_IN_OWNER], [i for i in found if i.owner == STAND_IN_OWNER]


@dataclass
class Removal:
    #: ``(image, size in bytes)`` of each image removed.
    removed: list[tuple[LabelledImage, int]] = field(default_factory=list)
    #: ``(image, why)`` of each image left because a container still uses it.
    kept: list[tuple[LabelledImage, str]] = field(default_factory=list)
    #: One line per image the engine refused to remove.
    failed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Owners:
    """The cprofiler containers on the engine when ``clean`` began, judged by the reaper's owner
    check: those of a live invocation (or one whose owner cannot be judged from here) and those
    of a dead one, which ``clean`` removes before any image."""

    #: Container id → labels, for each container whose invocation is alive or cannot be judged.
    live: dict[str, dict[str, str]]
    #: Ids of containers whose invocation is dead.
    stale: frozenset[str]

    @classmethod
    def of(cls, engine: Engine) -> Owners:
        live, stale = {}, set()
        for c in engine.labelled_containers():
            if reaper.is_stale(c["labels"]):
                stale.add(c["id"])
            else:
                live[c["id"]] = c["labels"]
        return cls(live, frozenset(stale))

    def why_kept(self, engine: Engine, image: LabelledImage) -> str | None:
        """Why ``image`` must stay, asked of the engine now (a container made since ``clean``
        began counts as another's); None when nothing but dead invocations' containers use it."""
        users = engine.containers_of_image(image.id)
        live = [u for u in users if u in self.live]
        if live:
            return f"in use by {_owner(self.live[live[0]])}: {_containers(live)}"
        others = [u for u in users if u not in self.stale]
        if others:
            return f"used by {_containers(others)}"
        measuring = {labels.get(LABEL) for labels in self.live.values() if LABEL_PID in labels}
        if image.owner in measuring:
            return f"built by live cprofiler invocation {image.owner}, which is still measuring"
        return None


def _containers(ids: list[str]) -> str:
    return f"{len(ids)} containers ({' '.join(u[:12] for u in ids[:3])}{' …' if len(ids) > 3 else ''})"


def _owner(labels: dict[str, str]) -> str:
    """The invocation that owns a container, as the reaper judged it (alive, or not judgeable)."""
    invocation, pid = labels.get(LABEL, "?"), labels.get(LABEL_PID)
    if pid is None:
        return f"cprofiler container of {invocation} with no owner recorded (only clean --all removes it)"
    here = labels.get(LABEL_HOST) in (None, socket.gethostname()) and labels.get(LABEL_PIDNS) in (None, reaper.pid_namespace())
    if not here:
        return f"cprofiler invocation {invocation} of another host or PID namespace (pid {pid} there, not judged from here)"
    return f"live cprofiler invocation {invocation} (pid {pid})"


def remove_images(engine: Engine, images: list[LabelledImage], owners: Owners | None = None) -> Removal:
    """Remove ``images`` in the order given (newest first: children before the bases they were
    built FROM); an image a container still uses, running or not, is kept and said so, as is one
    a live invocation built and is measuring (``owners``, read from the engine when None)."""
    owners = owners if owners is not None else Owners.of(engine)
    out = Removal()
    for image in images:
        why = owners.why_kept(engine, image)
        if why is not None:
            out.kept.append((image, why))
            continue
        try:
            engine.remove_image(image.id)
        except EngineError as exc:
            out.failed.append(f"{name_of(image)}: {exc}")
            continue
        out.removed.append((image, image.size_bytes))
    return out


def _listing(chosen: list[LabelledImage], kept: list[tuple[LabelledImage, str]], kept_bases: list[LabelledImage]) -> str:
    if not chosen:
        lines = ["nothing to remove: no image built by cprofiler" + (" besides stand-in bases" if kept_bases else "")]
        if kept:
            lines = ["nothing to remove: every image built by cprofiler is in use"]
    else:
        total = sum(i.size_bytes for i in chosen)
        lines = [f"would remove {len(chosen)} images ({human_bytes(total)} at most: layers may be shared):"]
        for image in chosen:
            kind = "stand-in base" if image.owner == STAND_IN_OWNER else "built image"
            lines.append(f"  {human_bytes(image.size_bytes):>10}  {image.id[7:19]}  {name_of(image)}  ({kind})")
    lines += [f"would keep {name_of(image)}: {why}" for image, why in kept]
    if kept_bases:
        lines.append(_bases_hint(kept_bases))
    return "\n".join(lines)


def _bases_hint(kept_bases: list[LabelledImage]) -> str:
    total = human_bytes(sum(i.size_bytes for i in kept_bases))
    return f"kept {len(kept_bases)} stand-in bases ({total}); add --bases to remove them too (they take minutes to rebuild)"
