"""``cprofiler clean --images`` on the real engine, with throwaway images this test makes.

The real command runs only with ``--dry-run`` here: other tests and sessions share the engine and
rely on their images. Removal is checked through the command's own function
(``clean_images``, what ``clean --images`` runs after choosing the images) on this test's images
alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cprofiler.commands.clean import clean_images, images_to_clean, remove_images
from cprofiler.labels import LABEL, STAND_IN_OWNER
from cprofiler.reaper import own_labels
from tests.conftest import ROOT

pytestmark = pytest.mark.engine


def cprofiler(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "cprofiler", *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture
def throwaway(engine, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Two tiny labelled images of this test: one like a built image, one like a stand-in base."""
    token = uuid.uuid4().hex[:12]
    made = {}
    for kind, owner in (("built", f"test-{token}"), ("base", STAND_IN_OWNER)):
        ctx = tmp_path / kind
        ctx.mkdir()
        (ctx / "marker").write_text(f"{kind} {token}\n")  # unique content: a layer of its own
        (ctx / "Dockerfile").write_text("FROM scratch\nCOPY marker /marker\n")
        tag = f"cprofiler-test/clean-{kind}:{token}"
        engine.build(name=tag, context=ctx, dockerfile=ctx / "Dockerfile", tag=tag, buildargs={}, labels={LABEL: owner})
        made[kind] = tag
    yield made
    for tag in made.values():
        info = engine.image(tag)
        if info is not None:
            engine.remove_image(info.id)


def test_dry_run_lists_built_images_with_sizes_and_bases_only_with_bases(engine, throwaway):
    p = cprofiler("clean", "--images", "--dry-run")
    assert p.returncode == 0, p.stderr
    line = next(line for line in p.stdout.splitlines() if throwaway["built"] in line)
    assert line.strip().split()[1] == "B" and line.endswith("(built image)")  # 16-odd bytes of marker
    assert throwaway["base"] not in p.stdout and "add --bases to remove them too" in p.stdout
    with_bases = cprofiler("clean", "--images", "--bases", "--dry-run")
    assert with_bases.returncode == 0 and f"{throwaway['base']}  (stand-in base)" in with_bases.stdout
    assert all(engine.image(tag) is not None for tag in throwaway.values())  # a dry run removes nothing


def test_removal_keeps_images_in_use_and_removes_the_rest(engine, throwaway):
    chosen, kept_bases = images_to_clean(engine, bases=False)
    mine = [i for i in chosen if throwaway["built"] in i.tags]
    assert len(mine) == 1 and any(throwaway["base"] in i.tags for i in kept_bases)
    container = engine.create(
        image=mine[0].id, command=["/marker"], env={}, labels=own_labels("clean-test"), memory_limit_bytes=None, cpus=None
    )
    try:
        outcome = remove_images(engine, mine)
        assert outcome.removed == [] and "in use by live cprofiler invocation clean-test" in outcome.kept[0][1]
    finally:
        engine.remove(container)
    outcome = remove_images(engine, mine)
    assert [i.id for i, _ in outcome.removed] == [mine[0].id] and not outcome.failed
    assert engine.image(throwaway["built"]) is None and engine.image(throwaway["base"]) is not None


def test_an_image_a_live_invocation_is_measuring_is_kept_until_its_container_goes(engine, testapp_context, tmp_path, capsys):
    """Another live invocation on this engine: its container (owned by this test process, as a
    measurement's is) runs an image ``clean --images`` would otherwise remove."""
    token = uuid.uuid4().hex[:12]
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    shutil.copy2(testapp_context / "testapp", ctx / "testapp")
    (ctx / "marker").write_text(f"measured {token}\n")  # unique content: an image of its own
    (ctx / "Dockerfile").write_text('FROM scratch\nCOPY testapp marker /\nENTRYPOINT ["/testapp"]\n')
    tag = f"cprofiler-test/clean-live:{token}"
    invocation = f"clean-live-{token}"
    container = None
    try:
        image_id = engine.build(
            name=tag, context=ctx, dockerfile=ctx / "Dockerfile", tag=tag, buildargs={}, labels={LABEL: f"test-{token}"}
        )
        container = engine.create(
            image=image_id, command=None, env={"MODE": "never"}, labels=own_labels(invocation), memory_limit_bytes=None, cpus=None
        )
        engine.start(container)
        reason = f"in use by live cprofiler invocation {invocation} (pid {os.getpid()}): 1 containers ({container[:12]})"

        dry = cprofiler("clean", "--images", "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert f"would keep {tag}: {reason}" in dry.stdout.splitlines()
        assert not [line for line in dry.stdout.splitlines() if tag in line and not line.startswith("would keep")]

        mine = [i for i in images_to_clean(engine, bases=False)[0] if tag in i.tags]
        assert len(mine) == 1
        assert clean_images(engine, mine, [], dry_run=False) == 0
        out = capsys.readouterr().out
        assert f"kept {tag}: {reason}" in out.splitlines() and "removed 0 images" in out
        assert engine.image(tag) is not None and engine.state(container).running  # the measurement goes on

        engine.remove(container)
        container = None
        assert clean_images(engine, mine, [], dry_run=False) == 0
        assert f"removed {tag} (" in capsys.readouterr().out and engine.image(tag) is None
    finally:
        if container is not None:
            engine.remove(container)
        info = engine.image(tag)
        if info is not None:
            engine.remove_image(info.id)


def test_bases_and_dry_run_need_images():
    p = cprofiler("clean", "--dry-run")
    assert p.returncode == 2 and "--dry-run: only with --images" in p.stderr
