"""``cprofiler clean``: remove containers (or, ``--backend kubernetes``, pods) that dead cprofiler
invocations left behind, and with ``--images`` the images cprofiler built (stand-in bases only with
``--bases``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from cprofiler import engine as engine_mod
from cprofiler import reaper
from cprofiler.engine import Engine, LabelledImage
from cprofiler.errors import CprofilerError, EngineError, UsageError
from cprofiler.labels import STAND_IN_OWNER
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
    if dry_run:
        print(_listing(chosen, kept_bases))
        return 0
    outcome = remove_images(engine, chosen)
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


def remove_images(engine: Engine, images: list[LabelledImage]) -> Removal:
    """Remove ``images`` in the order given (newest first: children before the bases they were
    built FROM); an image a container still uses, running or not, is kept and said so."""
    out = Removal()
    for image in images:
        users = engine.containers_of_image(image.id)
        if users:
            out.kept.append((image, f"used by {len(users)} containers ({' '.join(u[:12] for u in users[:3])})"))
            continue
        try:
            engine.remove_image(image.id)
        except EngineError as exc:
            out.failed.append(f"{name_of(image)}: {exc}")
            continue
        out.removed.append((image, image.size_bytes))
    return out


def _listing(chosen: list[LabelledImage], kept_bases: list[LabelledImage]) -> str:
    if not chosen:
        lines = ["nothing to remove: no image built by cprofiler" + (" besides stand-in bases" if kept_bases else "")]
    else:
        total = sum(i.size_bytes for i in chosen)
        lines = [f"would remove {len(chosen)} images ({human_bytes(total)} at most: layers may be shared):"]
        for image in chosen:
            kind = "stand-in base" if image.owner == STAND_IN_OWNER else "built image"
            lines.append(f"  {human_bytes(image.size_bytes):>10}  {image.id[7:19]}  {name_of(image)}  ({kind})")
    if kept_bases:
        lines.append(_bases_hint(kept_bases))
    return "\n".join(lines)


def _bases_hint(kept_bases: list[LabelledImage]) -> str:
    total = human_bytes(sum(i.size_bytes for i in kept_bases))
    return f"kept {len(kept_bases)} stand-in bases ({total}); add --bases to remove them too (they take minutes to rebuild)"
