"""The fallback decision on the real engine: the real base when it can be had, else the stand-in, marked."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest
import yaml

from cprofiler.labels import LABEL

pytestmark = pytest.mark.engine


@pytest.fixture
def local_bases(engine, testapp_context):
    """Two images only this engine has: one plays the real base, one the stand-in."""
    suffix = uuid.uuid4().hex[:8]
    refs = {"real": f"cprofiler-test/realbase:{suffix}", "stand": f"cprofiler-test/standin:{suffix}"}
    ids = []
    for ref in refs.values():
        ids.append(
            engine.build(
                name=ref,
                context=testapp_context,
                dockerfile=testapp_context / "Dockerfile",
                tag=ref,
                buildargs={},
                labels={LABEL: "test", "cprofiler.test": ref},
            )
        )
    yield refs
    for ref in refs.values():
        engine.remove_image(ref)


def _scenario(tmp_path, base: str, fallback: str):
    (tmp_path / "t.Dockerfile").write_text("ARG BASE=none\nFROM ${BASE}\nENV MODE=exit\n")
    doc = {
        "runs": 1,
        "warmup": 0,
        "images": {
            "app": {"template": "t.Dockerfile", "args": {"BASE": base}, "fallback": {"BASE": fallback}, "ready": {"exit": True}}
        },
    }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _measure(path, *extra):
    out = path.parent / "r.json"
    p = subprocess.run(
        [sys.executable, "-m", "cprofiler", "measure", str(path), "--no-floor", "-o", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    return json.loads(out.read_text())["images"][0], p


def test_real_base_available_means_no_stand_in(local_bases, tmp_path):
    image, p = _measure(_scenario(tmp_path, local_bases["real"], local_bases["stand"]))
    assert image["stand_in"] is None
    assert "stand-in" not in p.stdout


def test_unavailable_base_uses_the_stand_in_and_marks_it(local_bases, tmp_path):
    missing = f"cprofiler-test/no-such-base:{uuid.uuid4().hex[:8]}"
    image, p = _measure(_scenario(tmp_path, missing, local_bases["stand"]))
    assert image["stand_in"] == {"for": missing, "recipe": local_bases["stand"], "detail": f"local image {local_bases['stand']}"}
    assert image["runs"][0]["status"] == "ok"
    assert f"app (stand-in: {local_bases['stand']})" in p.stdout
    assert f"stand-in {local_bases['stand']} for {missing}" in p.stderr


def test_offline_skips_the_pull_even_for_a_pullable_name(local_bases, tmp_path):
    # With --offline an absent base is not even tried: the stand-in is used at once.
    image, _ = _measure(_scenario(tmp_path, "cprofiler-test/never-pulled:1", local_bases["stand"]), "--offline")
    assert image["stand_in"]["for"] == "cprofiler-test/never-pulled:1"


def test_unknown_fallback_is_a_clear_error(tmp_path):
    path = _scenario(tmp_path, f"cprofiler-test/no-such-base:{uuid.uuid4().hex[:8]}", "no-such-recipe")
    p = subprocess.run([sys.executable, "-m", "cprofiler", "measure", str(path), "--no-floor"], capture_output=True, text=True)
    assert p.returncode == 2
    assert "fallback BASE: 'no-such-recipe' is neither a stand-in recipe" in p.stderr


def _dockerfile_scenario(tmp_path, dockerfile_text: str, fallback: dict[str, str] | None):
    (tmp_path / "Dockerfile").write_text(dockerfile_text)
    image = {"dockerfile": "Dockerfile", "ready": {"exit": True}}
    if fallback is not None:
        image["fallback"] = fallback
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"runs": 1, "warmup": 0, "images": {"app": image}}))
    return path


def test_a_users_dockerfile_gets_a_stand_in_for_the_base_its_from_names(local_bases, tmp_path):
    missing = f"cprofiler-test/no-such-base:{uuid.uuid4().hex[:8]}"
    text = f"# the user's own, with no build arg for its base\nFROM {missing} AS app\nENV MODE=exit\n"
    image, p = _measure(_dockerfile_scenario(tmp_path, text, {missing: local_bases["stand"]}))
    assert image["stand_in"] == {"for": missing, "recipe": local_bases["stand"], "detail": f"local image {local_bases['stand']}"}
    assert image["runs"][0]["status"] == "ok"
    assert f"app (stand-in: {local_bases['stand']})" in p.stdout
    assert (tmp_path / "Dockerfile").read_text() == text  # the swap is in a copy; the user's file is untouched


def test_a_base_without_an_entry_names_the_entry_to_add(tmp_path):
    # python:3.12-alpine cannot be pulled here (no registry): the error says which fallback entry replaces it.
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "cprofiler",
            "measure",
            str(_dockerfile_scenario(tmp_path, "FROM python:3.12-alpine\n", None)),
            "--no-floor",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode != 0
    assert 'give the image fallback: {"python:3.12-alpine": musl-python}' in p.stderr


@pytest.fixture
def hand_made_stand_in(engine, testapp_context):
    """A local image carrying a stand-in's labels, as `cprofiler bases build` gives them."""
    from cprofiler.labels import LABEL_DETAIL, LABEL_RECIPE, LABEL_STANDS_IN_FOR, STAND_IN_OWNER

    ref = f"cprofiler-test/labelled-standin:{uuid.uuid4().hex[:8]}"
    labels = {
        LABEL: STAND_IN_OWNER,
        LABEL_RECIPE: "musl-python",
        LABEL_STANDS_IN_FOR: "python:*-alpine",
        LABEL_DETAIL: "test detail",
    }
    engine.build(
        name=ref, context=testapp_context, dockerfile=testapp_context / "Dockerfile", tag=ref, buildargs={}, labels=labels
    )
    yield ref
    engine.remove_image(ref)


def test_a_from_that_names_a_stand_in_by_hand_is_marked_as_one(hand_made_stand_in, tmp_path):
    image, p = _measure(_dockerfile_scenario(tmp_path, f"FROM {hand_made_stand_in}\nENV MODE=exit\n", None))
    assert image["stand_in"] == {"for": "python:*-alpine", "recipe": "musl-python", "detail": "test detail"}
    assert "app (stand-in: musl-python)" in p.stdout


def test_a_multi_stage_build_leaves_no_untagged_stage_image(engine, local_bases, tmp_path):
    # The builder stage's last image inherits its base's labels; once the image is built nothing
    # uses it, and it must not stay on disk (a Go builder stage on a stand-in is hundreds of MB).
    # (The base has no shell: ENV makes the stage's own image without a RUN.)
    text = (
        f"FROM {local_bases['stand']} AS build\nENV STAGE=build\n"
        'FROM scratch\nCOPY --from=build /testapp /testapp\nENV MODE=exit\nENTRYPOINT ["/testapp"]\n'
    )
    image, _ = _measure(_dockerfile_scenario(tmp_path, text, None))
    assert image["runs"][0]["status"] == "ok"
    left = engine.api.images(filters={"label": f"cprofiler.test={local_bases['stand']}"})
    assert [i["RepoTags"] for i in left] == [[local_bases["stand"]]]  # the base itself, nothing else
