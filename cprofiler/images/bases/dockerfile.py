"""Recipes that are a Dockerfile (plus files) built FROM other stand-ins, then probed and labelled."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from abc import abstractmethod
from pathlib import Path

from cprofiler.engine import Engine
from cprofiler.errors import BuildError, EngineError
from cprofiler.images.bases.probing import probe_labels, run_in_image
from cprofiler.images.bases.registry import PROBE, SUITE, BuildJob, Recipe


def label_instruction(labels: dict[str, str]) -> str:
    """One Dockerfile ``LABEL`` line for all ``labels`` (the engine's ``labels`` build option adds
    one build step per label, seconds each on a busy engine)."""
    return "LABEL " + " ".join(f"{k}={json.dumps(v)}" for k, v in sorted(labels.items())) + "\n"


def stage_leaves(log: list[str]) -> list[str]:
    """Ids of the images that ended each stage but the last, read from a classic build's log."""
    leaves: list[str] = []
    last: str | None = None
    for line in log:
        if re.match(r"^Step \d+/\d+ : FROM ", line, flags=re.IGNORECASE):
            if last is not None:
                leaves.append(last)
            last = None
        elif m := re.match(r"^ ---> ([0-9a-f]{12,64})$", line):
            last = m.group(1)
    return leaves


class DockerfileRecipe(Recipe):
    """A recipe that is a Dockerfile (plus files) built FROM other stand-ins, then probed.

    The Dockerfile gets ``SUITE`` and, when the recipe requires another, ``BASE`` (the first
    one's tag) as build args.
    """

    def probe_command(self) -> list[str]:
        """The command whose output ``detail_from`` reads; by default the Python probe."""
        return ["python3", "-c", PROBE.read_text()]

    @abstractmethod
    def detail_from(self, output: str) -> tuple[str, dict[str, object]]:
        """Read the probe command's output: return the detail string and the probe's JSON."""

    def make(self, job: BuildJob) -> None:
        log: list[str] = []

        def on_line(line: str) -> None:
            log.append(line)
            job.say(self.name, line)

        with tempfile.TemporaryDirectory(prefix=f"cprofiler-{self.name}-") as tmp:
            context = Path(tmp) / "context"
            for path in self.image_files():
                target = context / path.relative_to(self.directory)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
            dockerfile = context / "Dockerfile"
            with dockerfile.open("a") as f:
                f.write(label_instruction(job.labels))
            args = {"SUITE": SUITE}
            if self.requires:
                args["BASE"] = job.dependency_tags[self.requires[0]]
            # Host networking: the mirror is whatever the host's apt reaches (a proxy on
            # localhost included), which a container on the default bridge may not.
            image_id = job.engine.build(
                name=f"stand-in {self.name}",
                context=context,
                dockerfile=dockerfile,
                tag=job.tag,
                buildargs=args,
                labels={},
                on_line=on_line,
                network_mode="host",
            )
        try:
            job.say(self.name, "probing the image for its versions and modules")
            code, output = run_in_image(job.engine, image_id, self.probe_command())
            try:
                detail, found = self.detail_from(output)
            except (ValueError, KeyError) as exc:
                raise BuildError(f"stand-in {self.name!r}: its probe failed (exit {code}): {output.strip()[-400:]}") from exc
            _label_image(job, self.name, image_id, probe_labels(self, found, detail))
        except BaseException:
            _remove_images(job.engine, [image_id])  # a stand-in that failed its probe is no stand-in
            raise
        finally:
            # The engine keeps the last image of every earlier stage (musl-python's builder:
            # compilers and sources, ~700 MB); nothing reuses it once the stand-in is tagged.
            _remove_images(job.engine, stage_leaves(log))


def _label_image(job: BuildJob, name: str, image_id: str, labels: dict[str, str]) -> None:
    """Give ``image_id`` more labels and move ``job.tag`` to the result (an engine keeps labels
    immutable: a two-line build FROM the image adds them without a new layer)."""
    with tempfile.TemporaryDirectory(prefix="cprofiler-label-") as tmp:
        dockerfile = Path(tmp) / "Dockerfile"
        dockerfile.write_text(f"FROM {image_id}\n" + label_instruction({**job.labels, **labels}))
        job.engine.build(name=f"stand-in {name}", context=Path(tmp), dockerfile=dockerfile, tag=job.tag, buildargs={}, labels={})


def _remove_images(engine: Engine, refs: list[str]) -> None:
    for ref in refs:
        try:
            engine.remove_image(ref)
        except EngineError:
            pass  # in use by a build running right now: it stays, and costs only disk
