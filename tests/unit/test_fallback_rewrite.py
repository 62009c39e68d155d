"""Which fallback entry replaces which base, and the Dockerfile a user's own base is swapped in."""

from __future__ import annotations

from pathlib import Path

from cprofiler.images.bases import catalog
from cprofiler.images.build import BaseUnavailable, arg_defaults, stand_in_mark
from cprofiler.images.fallback import _entry_for, _with_hint, rewrite_from
from cprofiler.labels import LABEL, LABEL_DETAIL, LABEL_RECIPE, LABEL_STANDS_IN_FOR, STAND_IN_OWNER
from cprofiler.scenario.model import ImageSpec

USER_DOCKERFILE = """\
# a user's own
FROM python:3.12-alpine AS deps
RUN pip install nothing
FROM --platform=linux/amd64 golang:1.22 AS build
FROM deps
COPY --from=build /x /x
"""


def _spec(tmp_path: Path, **fields: object) -> ImageSpec:
    (tmp_path / "Dockerfile").write_text(USER_DOCKERFILE)
    return ImageSpec.model_validate({"dockerfile": tmp_path / "Dockerfile", "ready": {"exit": True}, **fields})


def test_rewrite_swaps_only_the_named_base_and_keeps_every_other_line():
    out = rewrite_from(USER_DOCKERFILE, {}, {"python:3.12-alpine": "cprofiler-base/musl-python:abc"})
    assert "FROM cprofiler-base/musl-python:abc AS deps\n" in out
    assert "FROM --platform=linux/amd64 golang:1.22 AS build\n" in out  # not named: untouched
    assert "FROM deps\n" in out  # a stage, not a base
    assert out.count("\n") == USER_DOCKERFILE.count("\n")


def test_rewrite_resolves_args_before_matching():
    text = "ARG BUILDER=golang:1.22\nFROM ${BUILDER} AS build\n"
    out = rewrite_from(text, arg_defaults(text), {"golang:1.22": "cprofiler-base/go-builder:1"})
    assert out.endswith("FROM cprofiler-base/go-builder:1 AS build\n")


def test_fallback_is_accepted_with_a_dockerfile(tmp_path):
    spec = _spec(tmp_path, fallback={"python:3.12-alpine": "musl-python"})
    assert spec.fallback == {"python:3.12-alpine": "musl-python"}


def test_the_entry_for_a_base_is_the_base_or_the_arg_that_names_it(tmp_path):
    spec = _spec(tmp_path, fallback={"python:3.12-alpine": "musl-python"})
    assert _entry_for(spec, USER_DOCKERFILE, {}, "python:3.12-alpine") == "python:3.12-alpine"
    assert _entry_for(spec, USER_DOCKERFILE, {}, "golang:1.22") is None  # no entry: the error says which to add
    template = "ARG BASE=python:3.12-alpine\nFROM ${BASE}\n"
    (tmp_path / "t.Dockerfile").write_text(template)
    by_arg = ImageSpec.model_validate(
        {"template": tmp_path / "t.Dockerfile", "fallback": {"BASE": "musl-python"}, "ready": {"exit": True}}
    )
    assert _entry_for(by_arg, template, {}, "python:3.12-alpine") == "BASE"
    assert _entry_for(by_arg, template, {"BASE": "python:3.13-alpine"}, "python:3.12-alpine") is None


def test_a_missing_base_names_the_entry_that_would_replace_it(tmp_path):
    spec = _spec(tmp_path)
    err = _with_hint(BaseUnavailable("app", "python:3.12-alpine", "no registry"), spec)
    assert 'give the image fallback: {"python:3.12-alpine": musl-python}' in str(err)
    assert str(_with_hint(BaseUnavailable("app", "golang:1.22", "x"), spec)).count("go-builder") == 1
    # Nothing stands in for it: the message says so in general terms, and names no recipe.
    assert "musl-python" not in str(_with_hint(BaseUnavailable("app", "node:22", "x"), spec))


def test_suggestions_follow_what_each_recipe_covers():
    assert catalog.suggest("python:3.12-alpine") == "musl-python"
    assert catalog.suggest("python:3.12-slim") == "debian-python"
    assert catalog.suggest("ubuntu:24.04") == "debian-python"
    assert catalog.suggest("golang:1.22-bookworm") == "go-builder"
    assert catalog.suggest("node:22") is None


def test_a_stand_in_base_marks_the_row_from_its_own_labels():
    labels = {
        LABEL: STAND_IN_OWNER,
        LABEL_RECIPE: "musl-python",
        LABEL_STANDS_IN_FOR: "python:*-alpine",
        LABEL_DETAIL: "musl 1.2.3",
    }
    assert stand_in_mark(labels) == {"for": "python:*-alpine", "recipe": "musl-python", "detail": "musl 1.2.3"}
    assert stand_in_mark({LABEL: "some invocation", LABEL_RECIPE: "musl-python"}) is None  # a scenario image, not a stand-in
    assert stand_in_mark({}) is None
